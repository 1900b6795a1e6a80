"""Pricing a 200-line offer with 10 active rules: `partnera.catalog.pricing.price_document`,
called in-process, against the SQL it issues replayed raw through a cursor, in one run.

    .venv/bin/python benchmarks/pricing.py                                  # SQLite, fresh database
    PARTNERA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/partnera_bench_pricing \\
        .venv/bin/python benchmarks/pricing.py                              # PostgreSQL
    .venv/bin/python benchmarks/pricing.py --repeat 200 --explain           # more runs; plans

The data goes into a database of its own, made fresh for each run: on SQLite
`$PARTNERA_BENCH_HOME/pricing/`; on PostgreSQL the database PARTNERA_DATABASE_URL names with
"_pricing" appended unless it ends so already (dropped and created again; `make bench BENCH_PG=1`
so never touches the shared partnera_bench). It holds 1,000 products in 10 lines and 40
categories; a general EUR price list of every product, a BGN list of half of them, a key-account
tier list of 300 and the client's own list of 50 (and last year's list, expired); the 10 active
rules the offer meets (two of each kind: special conditions for the client, volume discounts,
promotions valid today, free units and rebates) among 400 others that must be passed over (other
clients' special conditions, expired and future promotions, inactive rules); 2,000 companies.

The offer: 200 lines over 200 different products (from every list), quantities 1–5,000, a manual
discount on every fifth line, for a key account in EUR (and the same in BGN). Server time is
`price_document` alone: validation, its reads (with the orders domain's volume source for the
rebates, when installed), pricing, totals. The baseline replays the engine's own statements
(captured once with CaptureQueriesContext) through a raw cursor, fetching every row: the floor
the engine sits on. CPU = this process's CPU time per call. Target (issue 5): ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from common import Report, capture_sql, explain, summary, timed

PRODUCTS = 1_000
LINES = 10
CATEGORIES = 40
COMPANIES = 2_000
OTHER_RULES = 400
OFFER_LINES = 200


def use_own_database() -> None:
    """A fresh database of its own for this run: on PostgreSQL the one PARTNERA_DATABASE_URL names
    with "_pricing" appended (unless it already ends so), dropped first — never the shared
    benchmark database itself; else an SQLite file of its own."""
    url = os.environ.get("PARTNERA_DATABASE_URL")
    if url:
        import psycopg
        from psycopg import sql

        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        if not name.endswith("_pricing"):
            name += "_pricing"
        os.environ["PARTNERA_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
        with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        return
    base = Path(os.environ.get("PARTNERA_BENCH_HOME") or Path(tempfile.gettempdir()) / "partnera-bench")
    home = base / "pricing"
    home.mkdir(parents=True, exist_ok=True)
    for path in home.glob("partnera.sqlite3*"):
        path.unlink()
    os.environ["PARTNERA_BENCH_HOME"] = str(home)


def build(seed: int = 2026) -> dict:
    """The catalog, lists, rules and companies, written with bulk_create (test data, not services)."""
    from django.db import transaction

    from partnera.catalog.models import (
        Category,
        PriceList,
        PriceListItem,
        PricingRule,
        Product,
        ProductLine,
        VatRate,
    )
    from partnera.clients.models import Company
    from partnera.core.translit import search_key

    rng = random.Random(seed)
    today = dt.date.today()
    with transaction.atomic():
        rates = list(VatRate.objects.order_by("-rate"))
        lines = ProductLine.objects.bulk_create([ProductLine(name=f"Линия {n}", position=n)
                                                 for n in range(LINES)])
        categories = Category.objects.bulk_create([
            Category(name=f"Категория {n}", line=lines[n % LINES]) for n in range(CATEGORIES)])
        products = []
        for n in range(PRODUCTS):
            category = categories[n % CATEGORIES]
            code, name, name_en = f"P-{n:05d}", f"Артикул {n}", f"Article {n}"
            products.append(Product(
                code=code, name=name, name_en=name_en, line_id=category.line_id, category=category,
                unit="piece", vat_rate=rates[0] if n % 10 else rates[1],
                search_text=search_key(f"{code} {name} {name_en}")))
        products = Product.objects.bulk_create(products)
        companies = Company.objects.bulk_create([
            Company(legal_name=f"Фирма {n}", eik=f"{100000000 + n}",
                    tier="key_account" if n % 10 == 0 else "standard")
            for n in range(COMPANIES)])
        client = companies[0]
        general = PriceList.objects.create(name="Обща EUR", currency="EUR")
        bgn = PriceList.objects.create(name="Обща BGN", currency="BGN",
                                       valid_from=today - dt.timedelta(days=30))
        tier = PriceList.objects.create(name="Ключови", currency="EUR", scope="tier",
                                        tier="key_account")
        own = PriceList.objects.create(name="Договорни", currency="EUR", scope="client",
                                       company=client)
        expired = PriceList.objects.create(name="Миналогодишна", currency="EUR",
                                           valid_to=today - dt.timedelta(days=365))
        items = []
        for n, product in enumerate(products):
            price = Decimal(rng.randint(50, 50_000)) / 100
            items.append(PriceListItem(price_list=general, product=product, price=price))
            items.append(PriceListItem(price_list=expired, product=product, price=price * 2))
            if n % 2:
                items.append(PriceListItem(price_list=bgn, product=product,
                                           price=(price * Decimal("1.95583")).quantize(Decimal("0.01"))))
            if n < 300:
                items.append(PriceListItem(price_list=tier, product=product, price=price * Decimal("0.92")))
            if n < 50:
                items.append(PriceListItem(price_list=own, product=product, price=price * Decimal("0.88")))
        PriceListItem.objects.bulk_create(items, batch_size=2000)
        year = (dt.date(today.year, 1, 1), dt.date(today.year, 12, 31))
        soon = (today - dt.timedelta(days=5), today + dt.timedelta(days=25))
        active = [
            PricingRule(name="Договор −5 %", kind="special", company=client,
                        discount_percent=Decimal("5")),
            PricingRule(name="Фиксирана цена", kind="special", company=client,
                        product=products[7], fixed_price=Decimal("3.5")),
            PricingRule(name="Обем 100+", kind="volume", line=lines[0], min_quantity=Decimal("100"),
                        discount_percent=Decimal("3")),
            PricingRule(name="Обем 1000+", kind="volume", min_quantity=Decimal("1000"),
                        discount_percent=Decimal("6")),
            PricingRule(name="Промоция линия 1", kind="promotion", line=lines[1],
                        discount_percent=Decimal("10"), valid_from=soon[0], valid_to=soon[1]),
            PricingRule(name="Промоция категория 2", kind="promotion", category=categories[2],
                        discount_percent=Decimal("7"), valid_from=soon[0], valid_to=soon[1]),
            PricingRule(name="10 + 1", kind="free_units", line=lines[3], min_quantity=Decimal("10"),
                        free_units=Decimal("1")),
            PricingRule(name="50 + 5", kind="free_units", category=categories[4],
                        min_quantity=Decimal("50"), free_units=Decimal("5")),
            PricingRule(name="Рабат ключови", kind="rebate", tier="key_account",
                        period_volume=Decimal("10000"), discount_percent=Decimal("2"),
                        valid_from=year[0], valid_to=year[1]),
            PricingRule(name="Рабат клиент", kind="rebate", company=client,
                        period_volume=Decimal("500"), discount_percent=Decimal("1.5"),
                        valid_from=year[0], valid_to=year[1]),
        ]
        others = []
        for n in range(OTHER_RULES):
            kind = n % 4
            if kind == 0:  # another client's special condition
                others.append(PricingRule(name=f"Друг {n}", kind="special",
                                          company=companies[1 + n % (COMPANIES - 1)],
                                          discount_percent=Decimal("4")))
            elif kind == 1:  # an expired promotion
                others.append(PricingRule(name=f"Минала {n}", kind="promotion",
                                          discount_percent=Decimal("15"),
                                          valid_from=today - dt.timedelta(days=400),
                                          valid_to=today - dt.timedelta(days=300)))
            elif kind == 2:  # a future promotion
                others.append(PricingRule(name=f"Бъдеща {n}", kind="promotion",
                                          discount_percent=Decimal("15"),
                                          valid_from=today + dt.timedelta(days=100),
                                          valid_to=today + dt.timedelta(days=130)))
            else:  # switched off
                others.append(PricingRule(name=f"Изключено {n}", kind="volume", active=False,
                                          min_quantity=Decimal("1"), discount_percent=Decimal("50")))
        PricingRule.objects.bulk_create(active + others)
    picked = products[:50] + rng.sample(products[50:], OFFER_LINES - 50)
    return {"client": client, "products": picked, "rng": rng}


def offer_lines(products, rng):
    from partnera.catalog.pricing import LineRequest

    return [LineRequest(p.pk, Decimal(rng.choice([1, 5, 12, 60, 150, 400, 1200, 5000])),
                        Decimal("12.5") if n % 5 == 0 else Decimal(0))
            for n, p in enumerate(products)]


def cpu_timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        out.append((time.process_time() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT") or 100))
    parser.add_argument("--explain", action="store_true", help="print the plan of each statement")
    args = parser.parse_args()
    use_own_database()
    from common import django_setup

    engine = django_setup()
    from django.db import connection

    from partnera.catalog.pricing import _adjusters, _volume_sources, price_document

    started = time.perf_counter()
    data = build()
    print(f"built the data in {time.perf_counter() - started:.1f} s", flush=True)
    lines = offer_lines(data["products"], data["rng"])
    client, today = data["client"], dt.date.today()

    def run():
        return price_document(company=client, currency="EUR", on_date=today, lines=lines)

    document = run()
    steps = sum(len(line.steps) for line in document.lines)
    kinds = sorted({s.code for line in document.lines for s in line.steps})
    print(f"{len(document.lines)} lines, {steps} steps ({', '.join(kinds)}); "
          f"net {document.net_total} EUR, VAT {document.vat_total}, gross {document.gross_total}; "
          f"needs approval: {document.needs_approval}; volume sources: {len(_volume_sources)}, "
          f"adjusters: {len(_adjusters)}", flush=True)
    replay = capture_sql(run)
    statements = replay.statements  # type: ignore[attr-defined]
    if args.explain:
        for sql in statements:
            print(sql[:300], "\n", explain(sql), "\n", flush=True)
    server = timed(run, repeat=args.repeat, warmup=3)
    baseline = timed(replay, repeat=args.repeat, warmup=3)
    cpu = cpu_timed(run, args.repeat)
    bgn = timed(lambda: price_document(company=client, currency="BGN", on_date=today, lines=lines),
                repeat=args.repeat, warmup=1)
    report = Report("Pricing a 200-line offer with 10 active rules", engine=engine,
                    repeat=args.repeat)
    report.latency("price_document, EUR (200 lines)", server, baseline,
                   note=f"{len(statements)} statements; CPU {summary(cpu)}")
    report.latency("price_document, BGN (lists converted)", bgn, baseline)
    report.print()
    target = summary(server).p95 <= 50
    print(f"target p95 ≤ 50 ms: {'met' if target else 'NOT met'} "
          f"(p95 {summary(server).p95:.1f} ms on {connection.vendor})")


if __name__ == "__main__":
    main()
