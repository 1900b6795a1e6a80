"""The pricing engine: the one place that prices a line for a client, used by offers, contracts
and orders alike, so the UI, the API, the PDF and exports always show the same amounts.

A unit price is built in steps, each kept in the line's explanation:
  1. the list price: the most specific price list valid on the day (the client's own, then its
     tier's, then everyone's); of equally specific lists, one in the document's currency, else
     the other currency's converted at the fixed 1.95583;
  2. the client's special condition (a fixed price or a discount; the lowest price wins);
  3. a promotion valid on the day (the best one);
  4. a volume discount for the quantity on the line (the best tier reached);
  5. adjustments registered by other domains (loyalty-tier discounts, from marketing);
  6. a rebate once the client's volume in the rule's period (earlier orders and this document)
     reaches the agreed volume;
  7. the manual discount the manager typed; above the pricing policy's limit it needs approval.
Free units ("every 10 bought, 1 free") are listed on the line and do not change its price.
A special fixed price above the list price is not applied (the lower price wins).

The explanation is stored language-neutral (codes, names the owners wrote, numbers); the words are
put in at display time (catalog/partials/price_explanation.html), in the reader's language.

Unit prices keep four decimals between steps; each line's amount without VAT and its VAT are
rounded to the cent, half up; totals are the sums of the rounded lines.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

from django.db.models import Q
from django.utils import formats, translation
from django.utils.translation import gettext as _

from partnera.catalog.models import (
    PriceList,
    PriceListItem,
    PriceListScope,
    PricingPolicy,
    PricingRule,
    Product,
    RuleKind,
    VatRate,
)
from partnera.core.errors import ValidationFailed
from partnera.core.money import BGN_PER_EUR, Currency, round_cents

ZERO = Decimal("0")
HUNDRED = Decimal("100")
UNIT_PRICE = Decimal("0.0001")
MAX_QUANTITY = Decimal("99999999999")  # what OrderLine/OfferLine.quantity can hold
# What the documents' money columns hold: amounts and totals (max_digits=16, decimal_places=2),
# unit prices (max_digits=14, decimal_places=4) and free units (max_digits=14, decimal_places=3).
MAX_AMOUNT = Decimal("99999999999999.99")
MAX_UNIT_PRICE = Decimal("9999999999.9999")
MAX_FREE_UNITS = Decimal("99999999999.999")
MAX_LINES = 1000


class PricingError(ValidationFailed):
    code = "pricing_error"


@dataclass(frozen=True)
class LineRequest:
    """What the manager asks for on one line."""

    product_id: int
    quantity: Decimal
    manual_discount: Decimal = ZERO  # percent
    description: str = ""


@dataclass(frozen=True)
class PriceStep:
    """One step of a line's price: what applied, and the unit price after it. Language-neutral:
    `label` is a name its owner wrote (the price list's, the rule's), empty for the built-in
    steps (manual, converted); `detail` a neutral note ("≥ 100", "+2", "1 EUR = 1.95583 BGN", the
    list's currency); `facts` the numbers the display words ("from 100") are made of."""

    # list_price, converted, special, promotion, volume, adjustment, rebate, manual, free_units
    code: str
    label: str
    unit_price: Decimal
    percent: Decimal | None = None
    rule_id: int | None = None
    detail: str = ""
    # currency, rate (converted); min_quantity (volume, free_units); free_units; volume (rebate)
    facts: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "code": self.code, "label": self.label, "unit_price": str(self.unit_price),
            "percent": None if self.percent is None else str(self.percent),
            "rule_id": self.rule_id, "detail": self.detail, **self.facts,
        }


@dataclass
class PricedLine:
    product: Product
    description: str
    quantity: Decimal
    unit: str
    list_price: Decimal
    manual_discount: Decimal
    unit_price: Decimal
    free_units: Decimal
    net_amount: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    gross_amount: Decimal
    steps: list[PriceStep]
    needs_approval: bool

    @property
    def explanation(self) -> list[dict]:
        return [step.as_dict() for step in self.steps]

    @property
    def discount_percent(self) -> Decimal:
        """The whole reduction from the list price, in percent (for lists and the PDF)."""
        if not self.list_price:
            return ZERO
        return ((self.list_price - self.unit_price) / self.list_price * HUNDRED).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class VatGroup:
    rate: Decimal
    base: Decimal
    vat: Decimal


@dataclass
class PricedDocument:
    currency: str
    pricing_date: dt.date
    lines: list[PricedLine]
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    vat_groups: list[VatGroup]
    max_manual_discount: Decimal
    needs_approval: bool = field(default=False)


# --- hooks other domains fill (registries, so catalog never imports them) ------------------------

# (company, product, quantity, on_date) -> [(percent, label)]: e.g. the loyalty-tier discount the
# marketing domain grants. Each adjustment becomes one step of the line's price.
PriceAdjuster = Callable[[object, Product, Decimal, dt.date], list[tuple[Decimal, str]]]
_adjusters: list[PriceAdjuster] = []

# (company_id, rule, start, end) -> the quantity the client already bought that the rebate rule
# counts (the orders domain registers it; without it only this document counts).
VolumeSource = Callable[[int, PricingRule, dt.date | None, dt.date | None], Decimal]
_volume_sources: list[VolumeSource] = []


def register_price_adjuster(adjuster: PriceAdjuster) -> None:
    if adjuster not in _adjusters:
        _adjusters.append(adjuster)


def register_volume_source(source: VolumeSource) -> None:
    if source not in _volume_sources:
        _volume_sources.append(source)


# --- the engine ----------------------------------------------------------------------------------


def pricing_policy() -> PricingPolicy:
    policy = PricingPolicy.objects.order_by("pk").first()
    return policy if policy is not None else PricingPolicy()


def price_document(*, company, currency: str, on_date: dt.date,
                   lines: Sequence[LineRequest]) -> PricedDocument:
    """Price every line for `company` in `currency` as of `on_date`.

    Raises PricingError with a message per line (`lines.<n>.product`, `lines.<n>.quantity`,
    `lines.<n>.manual_discount`, n from 1) when a product is unknown or inactive, a quantity is not
    positive, a discount is outside 0–100 % or no price list prices a product on that day.
    A fixed number of queries whatever the number of lines.
    """
    if currency not in Currency.values:
        raise PricingError(fields={"currency": [_("Choose EUR or BGN.")]})
    if len(lines) > MAX_LINES:
        raise PricingError(_("A document holds at most %(n)s lines.") % {"n": MAX_LINES})
    errors: dict[str, list[str]] = {}
    products = _products({line.product_id for line in lines if isinstance(line.product_id, int)})
    for number, line in enumerate(lines, start=1):
        _check_line(number, line, products, errors)
    if errors:
        raise PricingError(fields=errors)

    list_prices = _list_prices(company, currency, on_date, products.values())
    rules = _rules(company, on_date)
    policy = pricing_policy()
    rules_for = _rule_finder(rules)
    rebates = _rebates_reached(company, rules, lines, products, rules_for)

    language = translation.get_language() or "bg"
    priced: list[PricedLine] = []
    for number, line in enumerate(lines, start=1):
        product = products[line.product_id]
        base = list_prices.get(product.pk)
        if base is None:
            errors[f"lines.{number}.product"] = [
                _("No price list valid on %(day)s prices %(product)s.")
                % {"day": formats.date_format(on_date, "SHORT_DATE_FORMAT"),
                   "product": product.name_in(language)}]
            continue
        if base[0] > MAX_UNIT_PRICE:
            errors[f"lines.{number}.product"] = [
                _("The price of %(product)s in %(currency)s is more than a document can hold.")
                % {"product": product.name_in(language), "currency": currency}]
            continue
        priced_line = _price_line(product, line, base, rules_for(product), rebates, company,
                                  currency, on_date, policy.max_manual_discount)
        if priced_line.gross_amount > MAX_AMOUNT or priced_line.free_units > MAX_FREE_UNITS:
            errors[f"lines.{number}.quantity"] = [
                _("This line comes to more than a document can hold (%(max)s); lower the "
                  "quantity.") % {"max": _amount(MAX_AMOUNT)}]
            continue
        priced.append(priced_line)
    if errors:
        raise PricingError(fields=errors)
    document = _document(currency, on_date, priced, policy.max_manual_discount)
    if document.gross_total > MAX_AMOUNT:
        message = (_("Together the lines come to more than a document can hold (%(max)s); split "
                     "them into two documents.") % {"max": _amount(MAX_AMOUNT)})
        raise PricingError(message, fields={"lines": [message]})
    return document


def _amount(value: Decimal) -> str:
    return formats.number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)


def _check_line(number: int, line: LineRequest, products: dict[int, Product],
                errors: dict[str, list[str]]) -> None:
    if not isinstance(line.product_id, int) or line.product_id not in products:
        errors[f"lines.{number}.product"] = [_("Choose an active product from the catalog.")]
    quantity = line.quantity
    if not isinstance(quantity, Decimal) or not quantity.is_finite() or quantity <= 0:
        errors[f"lines.{number}.quantity"] = [_("The quantity must be more than zero.")]
    elif quantity > MAX_QUANTITY or quantity.as_tuple().exponent < -3:  # type: ignore[operator]
        errors[f"lines.{number}.quantity"] = [
            _("Enter a quantity of at most %(max)s with up to three decimals.") % {"max": MAX_QUANTITY}]
    discount = line.manual_discount
    if (not isinstance(discount, Decimal) or not discount.is_finite() or discount < 0
            or discount > HUNDRED or discount.as_tuple().exponent < -2):  # type: ignore[operator]
        errors[f"lines.{number}.manual_discount"] = [
            _("A discount is a percentage from 0 to 100 with up to two decimals.")]


def _products(ids: set[int]) -> dict[int, Product]:
    """The live active products asked for, each with its VAT rate (read once per rate, not joined
    per product: a 200-line document has a handful of rates)."""
    ids = {pk for pk in ids if 0 < pk < 2**63}
    if not ids:
        return {}
    products = {product.pk: product
                for product in Product.objects.filter(pk__in=ids, active=True).order_by()}
    rates = VatRate.objects.order_by().in_bulk({product.vat_rate_id for product in products.values()})
    cache = Product._meta.get_field("vat_rate")
    for product in products.values():
        cache.set_cached_value(product, rates[product.vat_rate_id])  # type: ignore[attr-defined]
    return products


def _list_prices(company, currency: str, on_date: dt.date,
                 products: Iterable[Product]) -> dict[int, tuple[Decimal, list[PriceStep]]]:
    """product id → (unit price in `currency`, the steps that found it: the list price as the list
    gives it, then its conversion when the list is in the other currency).

    Two statements read as tuples (no model per price: a 200-line document meets hundreds):
    the few lists that apply to the client on the day, then their prices of these products."""
    product_ids = [p.pk for p in products]
    if not product_ids:
        return {}
    lists = {row[0]: row for row in PriceList.objects.filter(
        Q(scope=PriceListScope.GENERAL) | Q(scope=PriceListScope.TIER, tier=company.tier)
        | Q(scope=PriceListScope.CLIENT, company_id=company.pk),
        Q(valid_from__isnull=True) | Q(valid_from__lte=on_date),
        Q(valid_to__isnull=True) | Q(valid_to__gte=on_date),
        active=True,
    ).order_by().values_list("id", "name", "currency", "scope", "valid_from")}
    if not lists:
        return {}
    specificity: dict[str, int] = {PriceListScope.CLIENT: 0, PriceListScope.TIER: 1,
                                   PriceListScope.GENERAL: 2}
    # The most specific list first (a client's agreed prices stand whatever the currency of the
    # document), then one in the document's currency, then the one that started last.
    rank = {pk: (specificity[scope], list_currency != currency,
                 -(valid_from or dt.date.min).toordinal(), -pk)
            for pk, _name, list_currency, scope, valid_from in lists.values()}
    best: dict[int, tuple[tuple, int, Decimal]] = {}
    for product_id, price, list_id in PriceListItem.objects.filter(
            price_list_id__in=list(lists), product_id__in=product_ids).order_by().values_list(
            "product_id", "price", "price_list_id"):  # no ordering: the model's would join
        key = rank[list_id]
        if product_id not in best or key < best[product_id][0]:
            best[product_id] = (key, list_id, price)
    prices: dict[int, tuple[Decimal, list[PriceStep]]] = {}
    for product_id, (_key, list_id, list_price) in best.items():
        _pk, name, source, _scope, _from = lists[list_id]
        price, step = _in_currency(list_price, source, currency)
        if step is None:
            steps = [PriceStep("list_price", name, price)]
        else:  # the list's own price in its currency (named in `detail`), then the conversion
            steps = [PriceStep("list_price", name, list_price, detail=source,
                               facts={"currency": source}), step]
        prices[product_id] = (price, steps)
    return prices


def _in_currency(price: Decimal, source: str, target: str) -> tuple[Decimal, PriceStep | None]:
    if source == target:
        return price, None
    converted = price * BGN_PER_EUR if target == Currency.BGN else price / BGN_PER_EUR
    converted = converted.quantize(UNIT_PRICE, rounding=ROUND_HALF_UP)
    step = PriceStep("converted", "", converted, detail=f"1 EUR = {BGN_PER_EUR} BGN",
                     facts={"currency": source, "rate": str(BGN_PER_EUR)})
    return converted, step


def _rules(company, on_date: dt.date) -> list[PricingRule]:
    return list(PricingRule.objects.filter(
        Q(company__isnull=True) | Q(company_id=company.pk),
        Q(tier="") | Q(tier=company.tier),
        Q(valid_from__isnull=True) | Q(valid_from__lte=on_date),
        Q(valid_to__isnull=True) | Q(valid_to__gte=on_date),
        active=True,
    ).order_by("pk"))


def _rule_finder(rules: list[PricingRule]) -> Callable[[Product], dict[str, list[PricingRule]]]:
    """product → the rules that apply to it, by kind. Products of the same line and category
    that no rule names share the answer (worked out once, not once per line)."""
    named = {rule.product_id for rule in rules if rule.product_id is not None}
    found: dict[tuple, dict[str, list[PricingRule]]] = {}

    def rules_for(product: Product) -> dict[str, list[PricingRule]]:
        key = (product.id if product.id in named else None, product.line_id, product.category_id)
        by_kind = found.get(key)
        if by_kind is None:
            by_kind = defaultdict(list)
            for rule in rules:
                if _applies(rule, product):
                    by_kind[rule.kind].append(rule)
            found[key] = by_kind
        return by_kind

    return rules_for


def _applies(rule: PricingRule, product: Product) -> bool:
    return ((rule.product_id is None or rule.product_id == product.id)
            and (rule.line_id is None or rule.line_id == product.line_id)
            and (rule.category_id is None or rule.category_id == product.category_id))


def _rebates_reached(company, rules: list[PricingRule], lines: Sequence[LineRequest],
                     products: dict[int, Product],
                     rules_for: Callable[[Product], dict[str, list[PricingRule]]]) -> set[int]:
    """The rebate rules whose volume the client reaches with this document."""
    in_document: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        for rule in rules_for(products[line.product_id]).get(RuleKind.REBATE, ()):
            in_document[rule.pk] += line.quantity
    reached: set[int] = set()
    for rule in rules:
        if rule.kind != RuleKind.REBATE or not rule.period_volume or not rule.discount_percent:
            continue
        volume = in_document.get(rule.pk, ZERO)
        for source in _volume_sources:
            volume += source(company.pk, rule, rule.valid_from, rule.valid_to)
        if volume >= rule.period_volume:
            reached.add(rule.pk)
    return reached


def _discounted(price: Decimal, percent: Decimal) -> Decimal:
    return (price * (HUNDRED - percent) / HUNDRED).quantize(UNIT_PRICE, rounding=ROUND_HALF_UP)


def _price_line(product: Product, line: LineRequest, base: tuple[Decimal, list[PriceStep]],
                rules: dict[str, list[PricingRule]], rebates: set[int], company, currency: str,
                on_date: dt.date, max_manual: Decimal) -> PricedLine:
    """One line's price, step by step. `rules`: those that apply to the product, by kind."""
    list_price, found = base
    price = list_price
    steps = list(found)
    by_kind = rules

    # The client's special condition: the one that gives the lowest price (a fixed price above
    # the list price is no condition: the list price stays).
    special: tuple[Decimal, PricingRule] | None = None
    for rule in by_kind.get(RuleKind.SPECIAL_CONDITION, []):
        if rule.fixed_price is not None:
            candidate, _conv = _in_currency(rule.fixed_price, rule.currency, currency)
            if candidate > price:
                continue
        elif rule.discount_percent is not None:
            candidate = _discounted(price, rule.discount_percent)
        else:
            continue
        if special is None or candidate < special[0]:
            special = (candidate, rule)
    if special is not None:
        price = special[0]
        steps.append(PriceStep("special", special[1].name, price, special[1].discount_percent,
                               special[1].pk))

    promotion = _best(by_kind.get(RuleKind.PROMOTION, []), lambda rule: True)
    if promotion is not None:
        price = _discounted(price, promotion.discount_percent or ZERO)
        steps.append(PriceStep("promotion", promotion.name, price, promotion.discount_percent,
                               promotion.pk))

    volume = _best(by_kind.get(RuleKind.VOLUME_DISCOUNT, []),
                   lambda rule: rule.min_quantity is not None and line.quantity >= rule.min_quantity)
    if volume is not None:
        price = _discounted(price, volume.discount_percent or ZERO)
        minimum = _plain(volume.min_quantity)
        steps.append(PriceStep("volume", volume.name, price, volume.discount_percent, volume.pk,
                               f"≥ {minimum}", {"min_quantity": minimum}))

    for adjuster in _adjusters:
        for percent, label in adjuster(company, product, line.quantity, on_date):
            percent = min(max(Decimal(percent), ZERO), HUNDRED)
            price = _discounted(price, percent)
            steps.append(PriceStep("adjustment", label, price, percent))

    rebate = _best([rule for rule in by_kind.get(RuleKind.REBATE, []) if rule.pk in rebates],
                   lambda rule: True)
    if rebate is not None:
        price = _discounted(price, rebate.discount_percent or ZERO)
        reached = _plain(rebate.period_volume)
        steps.append(PriceStep("rebate", rebate.name, price, rebate.discount_percent, rebate.pk,
                               f"≥ {reached}", {"volume": reached}))

    if line.manual_discount:
        price = _discounted(price, line.manual_discount)
        steps.append(PriceStep("manual", "", price, line.manual_discount))

    free_units = ZERO
    bonus = _best_free_units(by_kind.get(RuleKind.FREE_UNITS, []), line.quantity)
    if bonus is not None:
        rule, free_units = bonus
        free = _plain(free_units)
        steps.append(PriceStep("free_units", rule.name, price, None, rule.pk, f"+{free}",
                               {"free_units": free, "min_quantity": _plain(rule.min_quantity)}))

    vat_rate = product.vat_rate.rate
    net = round_cents(price * line.quantity)
    vat = round_cents(net * vat_rate / HUNDRED)
    return PricedLine(
        product=product, description=line.description or product.name, quantity=line.quantity,
        unit=product.unit, list_price=list_price, manual_discount=line.manual_discount,
        unit_price=price, free_units=free_units, net_amount=net, vat_rate=vat_rate, vat_amount=vat,
        gross_amount=net + vat, steps=steps, needs_approval=line.manual_discount > max_manual,
    )


def _best(rules: list[PricingRule], reached: Callable[[PricingRule], bool]) -> PricingRule | None:
    """The rule with the largest discount among those reached (the first one on a tie)."""
    best: PricingRule | None = None
    for rule in rules:
        if rule.discount_percent is None or not reached(rule):
            continue
        if best is None or rule.discount_percent > (best.discount_percent or ZERO):
            best = rule
    return best


def _best_free_units(rules: list[PricingRule], quantity: Decimal) -> tuple[PricingRule, Decimal] | None:
    best: tuple[PricingRule, Decimal] | None = None
    for rule in rules:
        if not rule.min_quantity or not rule.free_units or quantity < rule.min_quantity:
            continue
        try:
            times = (quantity / rule.min_quantity).to_integral_value(rounding=ROUND_FLOOR)
        except InvalidOperation:
            continue
        free = times * rule.free_units
        if best is None or free > best[1]:
            best = (rule, free)
    return best


def _plain(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text


def _document(currency: str, on_date: dt.date, lines: list[PricedLine],
              max_manual: Decimal) -> PricedDocument:
    groups: dict[Decimal, VatGroup] = {}
    for line in lines:
        group = groups.setdefault(line.vat_rate, VatGroup(line.vat_rate, ZERO, ZERO))
        group.base += line.net_amount
        group.vat += line.vat_amount
    net = sum((line.net_amount for line in lines), ZERO)
    vat = sum((line.vat_amount for line in lines), ZERO)
    return PricedDocument(
        currency=currency, pricing_date=on_date, lines=lines, net_total=round_cents(net),
        vat_total=round_cents(vat), gross_total=round_cents(net + vat),
        vat_groups=sorted(groups.values(), key=lambda g: -g.rate), max_manual_discount=max_manual,
        needs_approval=any(line.needs_approval for line in lines),
    )


# --- showing an explanation ----------------------------------------------------------------------

def _local_number(text) -> str:
    """A stored number ("1.5") per the active locale ("1,5")."""
    try:
        number = Decimal(str(text))
    except (InvalidOperation, ValueError):
        return str(text)
    if not number.is_finite():
        return str(text)
    plain = format(number.normalize(), "f")
    places = len(plain.split(".")[1]) if "." in plain else 0
    return formats.number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)


def step_words(step: dict) -> dict:
    """A stored explanation step with its `label` and `detail` in the active language, for an
    API answer (the page puts the words in with catalog/partials/price_explanation.html). Steps
    stored before the explanation was language-neutral (no facts) keep the words they have."""
    code = step.get("code")
    label, detail = step.get("label") or "", step.get("detail") or ""
    if code == "manual":
        label = _("Manual discount")
    elif code == "converted" and "rate" in step:
        label = _("Converted from %(source)s at %(rate)s") % {
            "source": step.get("currency", ""), "rate": _local_number(step["rate"])}
    elif code == "volume" and "min_quantity" in step:
        detail = _("from %(quantity)s") % {"quantity": _local_number(step["min_quantity"])}
    elif code == "rebate" and "volume" in step:
        detail = _("volume of %(volume)s reached") % {"volume": _local_number(step["volume"])}
    elif code == "free_units" and "free_units" in step:
        detail = _("%(free)s free") % {"free": _local_number(step["free_units"])}
    return {**step, "label": label, "detail": detail}
