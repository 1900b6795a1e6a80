"""Demo catalog: product lines and categories, about forty products (Bulgarian and English names),
a general EUR price list, a BGN list for the services, a key-account tier list, and a few pricing
rules of each kind, written through the catalog services (validated and audited) by the demo
administrator. Created once: a later `partnera demo` run finds it and adds nothing.

`ensure_catalog(run)` is idempotent, so other domains' demo hooks (offers, orders) may call it
before they need products; the catalog's own hook calls it on the first batch and gives one key
account of the batch its own price list and special condition.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from partnera.catalog import services
from partnera.catalog.models import Product, ProductLine, VatRate
from partnera.core.roles import Role

D = Decimal

# (line, line in English, [(category, [(code, name, name_en, unit, EUR price, VAT %)])])
CATALOG: list[tuple[str, str, list[tuple[str, list[tuple[str, str, str, str, str, str]]]]]] = [
    ("Опаковки", "Packaging", [
        ("Кашони", [
            ("KS-0301", "Кашон трипластов 300×200×150", "Three-ply carton 300×200×150",
             "piece", "0.42", "20"),
            ("KS-0402", "Кашон трипластов 400×300×250", "Three-ply carton 400×300×250",
             "piece", "0.68", "20"),
            ("KS-0603", "Кашон петпластов 600×400×400", "Five-ply carton 600×400×400", "piece", "1.55", "20"),
            ("KS-0800", "Кашон за архив", "Archive box", "piece", "1.10", "20"),
            ("KS-P100", "Кашони трипластови, пакет 100 бр.", "Three-ply cartons, pack of 100",
             "pack", "38.50", "20"),
        ]),
        ("Пликове и торби", [
            ("PL-0010", "Плик с въздушни мехурчета C4", "Bubble envelope C4", "piece", "0.21", "20"),
            ("PL-0020", "Хартиена торба с дръжки", "Paper bag with handles", "piece", "0.18", "20"),
            ("PL-0030", "Торба от рециклиран полиетилен", "Recycled polyethylene bag", "piece", "0.06", "20"),
            ("PL-0040", "Пликове за документи, кутия 500 бр.", "Document envelopes, box of 500",
             "box", "24.00", "20"),
        ]),
    ]),
    ("Етикети", "Labels", [
        ("Самозалепващи етикети", [
            ("ET-1001", "Етикет термо 100×150, ролка 500 бр.", "Thermal label 100×150, roll of 500",
             "pack", "7.90", "20"),
            ("ET-1002", "Етикет термо 58×40, ролка 1000 бр.", "Thermal label 58×40, roll of 1000",
             "pack", "4.60", "20"),
            ("ET-1003", "Етикет хартиен A4, 100 листа", "Paper label A4, 100 sheets", "pack", "12.40", "20"),
            ("ET-1004", "Етикет с печат по проект, 1000 бр.", "Custom printed label, 1000 pcs",
             "pack", "45.00", "20"),
        ]),
        ("Ленти за принтери", [
            ("RB-2001", "Термотрансферна лента восък 110 мм", "Wax thermal transfer ribbon 110 mm",
             "piece", "6.20", "20"),
            ("RB-2002", "Термотрансферна лента смола 110 мм", "Resin thermal transfer ribbon 110 mm",
             "piece", "14.80", "20"),
        ]),
    ]),
    ("Стреч фолио и ленти", "Stretch film and tapes", [
        ("Стреч фолио", [
            ("SF-3001", "Стреч фолио ръчно 17 мкм, 2,2 кг", "Hand stretch film 17 µm, 2.2 kg",
             "piece", "5.40", "20"),
            ("SF-3002", "Стреч фолио машинно 23 мкм, 16 кг", "Machine stretch film 23 µm, 16 kg",
             "piece", "31.00", "20"),
            ("SF-3003", "Стреч фолио черно 20 мкм", "Black stretch film 20 µm", "piece", "6.90", "20"),
        ]),
        ("Опаковъчни ленти", [
            ("TP-3101", "Тиксо кафяво 48 мм × 66 м", "Brown tape 48 mm × 66 m", "piece", "0.95", "20"),
            ("TP-3102", "Тиксо прозрачно 48 мм × 66 м", "Clear tape 48 mm × 66 m", "piece", "0.95", "20"),
            ("TP-3103", "Тиксо с печат на лого", "Tape printed with a logo", "piece", "1.60", "20"),
            ("TP-3104", "Полипропиленов чембер 12 мм", "Polypropylene strapping 12 mm",
             "piece", "18.00", "20"),
        ]),
    ]),
    ("Палети и складиране", "Pallets and storage", [
        ("Палети", [
            ("PA-4001", "Европалет EUR 1 нов", "New EUR 1 pallet", "piece", "14.50", "20"),
            ("PA-4002", "Европалет EUR 1 употребяван", "Used EUR 1 pallet", "piece", "8.20", "20"),
            ("PA-4003", "Пластмасов палет 1200×800", "Plastic pallet 1200×800", "piece", "39.00", "20"),
        ]),
        ("Складово оборудване", [
            ("SK-4101", "Пластмасова кутия за стелаж", "Plastic shelf bin", "piece", "3.80", "20"),
            ("SK-4102", "Ъглопазители картонени, 100 бр.", "Cardboard edge protectors, 100 pcs",
             "pack", "16.00", "20"),
        ]),
    ]),
    ("Хигиенни консумативи", "Hygiene supplies", [
        ("Хартиени изделия", [
            ("HG-5001", "Тоалетна хартия двупластова, 10 ролки", "Two-ply toilet paper, 10 rolls",
             "pack", "3.20", "20"),
            ("HG-5002", "Кухненска ролка промишлена", "Industrial kitchen roll", "piece", "4.10", "20"),
            ("HG-5003", "Салфетки Z-fold, кашон 3000 бр.", "Z-fold towels, carton of 3000",
             "box", "21.00", "20"),
        ]),
        ("Почистващи препарати", [
            ("HG-5101", "Препарат за под 5 л", "Floor cleaner 5 l", "piece", "6.50", "20"),
            ("HG-5102", "Течен сапун 5 л", "Liquid soap 5 l", "piece", "5.80", "20"),
            ("HG-5103", "Бебешки мокри кърпи, 12 пакета", "Baby wet wipes, 12 packs", "box", "14.40", "9"),
            ("HG-5104", "Бебешки пелени, кашон", "Baby nappies, carton", "box", "32.00", "9"),
        ]),
    ]),
    ("Услуги", "Services", [
        ("Логистика", [
            ("SV-6001", "Доставка до адрес в страната", "Delivery within Bulgaria", "service", "12.00", "20"),
            ("SV-6002", "Доставка до държава от ЕС", "Delivery to an EU country", "service", "85.00", "0"),
            ("SV-6003", "Складово съхранение на палет, месец", "Pallet storage, per month",
             "month", "6.00", "20"),
        ]),
        ("Проектиране и поддръжка", [
            ("SV-6101", "Дизайн на опаковка", "Packaging design", "hour", "35.00", "20"),
            ("SV-6102", "Сервиз на етикетиращ принтер", "Label printer service", "hour", "28.00", "20"),
            ("SV-6103", "Обучение на персонала", "Staff training", "day", "320.00", "20"),
        ]),
    ]),
]
KEY_ACCOUNT_DISCOUNT = D("0.92")  # the key-account tier list: 8 % below the general one


def _actor(run) -> Any:
    admins = [u for u in run.users.values() if u.role == Role.ADMINISTRATOR or u.is_superuser]
    return admins[0] if admins else None


def ensure_catalog(run) -> dict[str, Any]:
    """The demo catalog (created on the first call; later calls return what exists)."""
    if "catalog" in run.state:
        return run.state["catalog"]
    actor = _actor(run)
    state: dict[str, Any] = {"new": False}
    if actor is None or Product.all_objects.filter(code="KS-0301").exists():
        state["products"] = {p.code: p for p in Product.objects.filter(active=True)}
        run.state["catalog"] = state
        return state
    rates = {str(int(r.rate)): r for r in VatRate.objects.filter(active=True)}
    general = services.price_list_create(actor=actor, data={
        "name": "Обща ценова листа 2026", "currency": "EUR", "scope": "general"})
    key_accounts = services.price_list_create(actor=actor, data={
        "name": "Ключови клиенти", "currency": "EUR", "scope": "tier", "tier": "key_account"})
    services_bgn = services.price_list_create(actor=actor, data={
        "name": "Услуги в лева", "currency": "BGN", "scope": "general"})
    products: dict[str, Product] = {}
    lines: dict[str, ProductLine] = {}
    for position, (line_name, _line_en, categories) in enumerate(CATALOG):
        line = services.product_line_create(actor=actor, data={"name": line_name,
                                                               "position": position})
        lines[line_name] = line
        for category_name, rows in categories:
            category = services.category_create(actor=actor, data={"name": category_name,
                                                                   "line": line})
            for code, name, name_en, unit, eur, vat in rows:
                product = services.product_create(actor=actor, data={
                    "code": code, "name": name, "name_en": name_en, "line": line,
                    "category": category, "unit": unit, "vat_rate": rates.get(vat),
                    "kind": "service" if line_name == "Услуги" else "product"})
                products[code] = product
                services.price_list_item_add(actor=actor, price_list=general,
                                             data={"product": product, "price": D(eur)})
                if line_name in ("Опаковки", "Етикети", "Стреч фолио и ленти"):
                    key_price = (D(eur) * KEY_ACCOUNT_DISCOUNT).quantize(D("0.0001"))
                    services.price_list_item_add(actor=actor, price_list=key_accounts,
                                                 data={"product": product, "price": key_price})
                if line_name == "Услуги":
                    services.price_list_item_add(actor=actor, price_list=services_bgn, data={
                        "product": product, "price": (D(eur) * D("1.95583")).quantize(D("1"))})
    today = run.now.date() if isinstance(run.now, dt.datetime) else dt.date.today()
    year_start, year_end = dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    rules: list[dict[str, Any]] = [
        {"name": "Корпоративни клиенти −3 %", "kind": "special", "tier": "corporate",
         "discount_percent": D("3")},
        {"name": "Ключови клиенти: палети на фиксирана цена", "kind": "special",
         "tier": "key_account", "product": products["PA-4001"], "fixed_price": D("12.90")},
        {"name": "Обем опаковки от 500 бр.", "kind": "volume", "line": lines["Опаковки"],
         "min_quantity": D("500"), "discount_percent": D("3")},
        {"name": "Обем опаковки от 2000 бр.", "kind": "volume", "line": lines["Опаковки"],
         "min_quantity": D("2000"), "discount_percent": D("6")},
        {"name": "Обем тиксо от 360 бр.", "kind": "volume", "product": products["TP-3101"],
         "min_quantity": D("360"), "discount_percent": D("8")},
        {"name": "Пролетна промоция на етикети", "kind": "promotion", "line": lines["Етикети"],
         "discount_percent": D("10"), "valid_from": today - dt.timedelta(days=10),
         "valid_to": today + dt.timedelta(days=50)},
        {"name": "Есенна промоция хигиена", "kind": "promotion",
         "line": lines["Хигиенни консумативи"], "discount_percent": D("7"),
         "valid_from": today + dt.timedelta(days=90), "valid_to": today + dt.timedelta(days=120)},
        {"name": "Стреч фолио 10 + 1", "kind": "free_units", "product": products["SF-3001"],
         "min_quantity": D("10"), "free_units": D("1")},
        {"name": "Тоалетна хартия 20 + 2", "kind": "free_units", "product": products["HG-5001"],
         "min_quantity": D("20"), "free_units": D("2")},
        {"name": "Годишен рабат ключови клиенти", "kind": "rebate", "tier": "key_account",
         "period_volume": D("10000"), "discount_percent": D("2"), "valid_from": year_start,
         "valid_to": year_end},
    ]
    for data in rules:
        services.pricing_rule_create(actor=actor, data=data)
    state.update(new=True, actor=actor, products=products, general=general, key_list=key_accounts,
                 year=(year_start, year_end))
    run.state["catalog"] = state
    add = run.result.extra
    add["products"] = add.get("products", 0) + len(products)
    add["price lists"] = add.get("price lists", 0) + 3
    add["pricing rules"] = add.get("pricing rules", 0) + len(rules)
    return state


def demo_batch(companies: list[dict[str, Any]], contacts: list[dict[str, Any]], run) -> None:
    """The catalog once; on the batch that creates it, one key account gets its own price list
    and special condition, another a rebate of its own."""
    state = ensure_catalog(run)
    if not state.get("new") or state.get("clients_done"):
        return
    state["clients_done"] = True
    from partnera.clients.models import Company

    key_ids = [c["id"] for c in companies if c.get("tier") == "key_account"][:2]
    actor, products = state["actor"], state["products"]
    clients = list(Company.objects.filter(pk__in=key_ids))
    if clients:
        client = clients[0]
        own = services.price_list_create(actor=actor, data={
            "name": f"Договорни цени · {client.legal_name}"[:120], "currency": "EUR",
            "scope": "client", "company": client})
        for code, price in (("KS-0402", "0.59"), ("KS-0603", "1.39"), ("ET-1001", "6.90")):
            services.price_list_item_add(actor=actor, price_list=own,
                                         data={"product": products[code], "price": D(price)})
        services.pricing_rule_create(actor=actor, data={
            "name": f"Специални условия · {client.legal_name}"[:150], "kind": "special",
            "company": client, "discount_percent": D("5")})
    if len(clients) > 1:
        start, end = state["year"]
        services.pricing_rule_create(actor=actor, data={
            "name": f"Рабат при 5000 бр. · {clients[1].legal_name}"[:150], "kind": "rebate",
            "company": clients[1], "period_volume": D("5000"), "discount_percent": D("3"),
            "valid_from": start, "valid_to": end})
