"""Turning the lines someone asked for into priced order lines (used by the order services).

A line is either
- copied from a line of the accepted offer the order comes from (`offer_line`): it keeps the
  offer's unit price, discounts and price explanation — the client accepted those prices — and
  its amounts are computed for the ordered quantity with the same rounding as the engine;
- or priced by the pricing engine (partnera.catalog.pricing) for the client, in the order's
  currency, as of the day the order was received: price lists, the client's special conditions
  (a contract's conditions are pricing rules of that client), promotions, volume discounts.

A manual discount above the pricing policy's limit needs the head of sales' approval, which only
an offer carries: on an order such a discount is refused unless it comes from an approved offer.

Errors name the line and its field the way the engine does: `lines.<n>.<field>`, n from 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from partnera.catalog.models import Product
from partnera.catalog.pricing import (
    HUNDRED,
    MAX_LINES,
    MAX_QUANTITY,
    LineRequest,
    PricingError,
    price_document,
    pricing_policy,
)
from partnera.core import cleaning
from partnera.core.errors import ValidationFailed
from partnera.core.money import round_cents
from partnera.orders.models import OrderLine

ZERO = Decimal("0")
MAX_DESCRIPTION = 300


@dataclass
class LineContext:
    company: Any
    currency: str
    received_on: dt.date
    default_promised: dt.date | None
    offer: Any = None  # sales.Offer the order comes from, or None


def parse_quantity(value: Any) -> Decimal:
    """A quantity as typed ("12", "12,5", "1 200.250") or sent (a number): more than zero, at most
    three decimals."""
    if isinstance(value, bool) or value is None:
        raise ValidationError(_("Enter a quantity, e.g. 12 or 12.5."), code="type")
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(str(value))
    elif isinstance(value, str):
        raw = value.strip().replace("\u00a0", "").replace(" ", "")
        if raw.count(",") == 1 and "." not in raw:
            raw = raw.replace(",", ".")
        if not raw or len(raw) > 30:
            raise ValidationError(_("Enter a quantity, e.g. 12 or 12.5."), code="type")
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise ValidationError(_("Enter a quantity, e.g. 12 or 12.5."), code="type") from None
    else:
        raise ValidationError(_("Enter a quantity, e.g. 12 or 12.5."), code="type")
    if not number.is_finite():
        raise ValidationError(_("Enter a quantity, e.g. 12 or 12.5."), code="type")
    if number <= 0:
        raise ValidationError(_("The quantity must be more than zero."), code="range")
    if number > MAX_QUANTITY or number.as_tuple().exponent < -3:  # type: ignore[operator]
        raise ValidationError(_("Enter a quantity of at most %(max)s with up to three decimals.")
                              % {"max": MAX_QUANTITY}, code="range")
    return number


def parse_discount(value: Any) -> Decimal:
    if value in (None, ""):
        return ZERO
    if isinstance(value, bool):
        raise ValidationError(_("A discount is a percentage from 0 to 100 with up to two "
                                "decimals."), code="type")
    try:
        number = Decimal(str(value).strip().replace(",", ".").rstrip("%").strip()) \
            if not isinstance(value, Decimal) else value
    except InvalidOperation:
        number = Decimal("NaN")
    if (not number.is_finite() or number < 0 or number > HUNDRED
            or number.as_tuple().exponent < -2):  # type: ignore[operator]
        raise ValidationError(_("A discount is a percentage from 0 to 100 with up to two "
                                "decimals."), code="range")
    return number


def _product_id(value: Any) -> int | None:
    if isinstance(value, Product):
        return value.pk
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _offer_line_id(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if hasattr(value, "pk"):
        return value.pk
    return _product_id(value)


def build_lines(ctx: LineContext, inputs: Sequence[dict]) -> list[OrderLine]:
    """Priced, unsaved order lines (positions from 1) for `inputs`, or ValidationFailed naming
    every problem by line. A fixed number of queries whatever the number of lines."""
    if not inputs:
        raise ValidationFailed(_("An order needs at least one line."),
                               fields={"lines": [_("Add at least one line.")]})
    if len(inputs) > MAX_LINES:
        raise ValidationFailed(_("An order holds at most %(n)s lines.") % {"n": MAX_LINES},
                               fields={"lines": [_("At most %(n)s lines.") % {"n": MAX_LINES}]})
    errors: dict[str, list[str]] = {}
    offer_lines = ({ol.pk: ol for ol in ctx.offer.lines.select_related("product")}
                   if ctx.offer is not None else {})
    policy_limit = pricing_policy().max_manual_discount
    approved_offer = ctx.offer is not None and ctx.offer.approval_status in ("approved",)
    common: list[dict] = []
    engine_requests: list[LineRequest] = []
    engine_positions: list[int] = []
    for number, raw in enumerate(inputs, start=1):
        common.append(_common(number, raw, ctx, errors))
        offer_line_id = _offer_line_id(raw.get("offer_line"))
        if raw.get("offer_line") not in (None, "") and offer_line_id not in offer_lines:
            errors[f"lines.{number}.offer_line"] = [_("Choose a line of the order's offer.")]
            continue
        if offer_line_id is not None:
            offer_line = offer_lines[offer_line_id]
            if offer_line.manual_discount > policy_limit and not approved_offer:
                errors[f"lines.{number}.manual_discount"] = [
                    _("A manual discount above %(max)s %% needs an approved offer.")
                    % {"max": policy_limit}]
            common[-1]["offer_line"] = offer_line
            continue
        product_id = _product_id(raw.get("product"))
        discount = _field(number, "manual_discount", errors, parse_discount,
                          raw.get("manual_discount"))
        quantity = common[-1].get("quantity")
        if product_id is None:
            errors[f"lines.{number}.product"] = [_("Choose an active product from the catalog.")]
        if product_id is None or quantity is None or discount is None:
            continue
        engine_requests.append(LineRequest(product_id=product_id, quantity=quantity,
                                           manual_discount=discount,
                                           description=common[-1].get("description", "")))
        engine_positions.append(number)
    priced_lines: dict[int, Any] = {}
    if engine_requests and not _has_line_errors(errors, engine_positions):
        try:
            document = price_document(company=ctx.company, currency=ctx.currency,
                                      on_date=ctx.received_on, lines=engine_requests)
        except PricingError as exc:
            _remap(exc, engine_positions, errors)
        else:
            for number, priced in zip(engine_positions, document.lines, strict=True):
                if priced.needs_approval:
                    errors[f"lines.{number}.manual_discount"] = [
                        _("A manual discount above %(max)s %% needs an approved offer.")
                        % {"max": document.max_manual_discount}]
                priced_lines[number] = priced
    elif engine_requests:
        # Check the products too, so every problem is reported at once.
        _check_products(engine_requests, engine_positions, errors)
    if errors:
        raise ValidationFailed(_("Some lines are not valid."), fields=errors)
    lines: list[OrderLine] = []
    for number, values in enumerate(common, start=1):
        offer_line = values.pop("offer_line", None)
        if offer_line is not None:
            lines.append(_from_offer_line(number, offer_line, values))
        else:
            lines.append(_from_priced(number, priced_lines[number], values))
    return lines


def _field(number: int, name: str, errors: dict, parse, value):
    try:
        return parse(value)
    except ValidationError as exc:
        errors[f"lines.{number}.{name}"] = exc.messages
        return None


def _common(number: int, raw: dict, ctx: LineContext, errors: dict) -> dict:
    """What every line needs, however it is priced: quantity, promised date, description."""
    values: dict[str, Any] = {}
    quantity = _field(number, "quantity", errors, parse_quantity, raw.get("quantity"))
    if quantity is not None:
        values["quantity"] = quantity
    promised = _field(number, "promised_date", errors, cleaning.optional_date,
                      raw.get("promised_date"))
    if promised is None and f"lines.{number}.promised_date" not in errors:
        promised = ctx.default_promised
        if promised is None:
            errors[f"lines.{number}.promised_date"] = [
                _("Give the date promised to the client (or the order's requested delivery "
                  "date).")]
    if promised is not None:
        if promised < ctx.received_on:
            errors[f"lines.{number}.promised_date"] = [
                _("The promised date cannot be before the order was received.")]
        values["promised_date"] = promised
    description = _field(number, "description", errors, cleaning.text, raw.get("description"))
    if description and len(description) > MAX_DESCRIPTION:
        errors[f"lines.{number}.description"] = [
            _("At most %(n)s characters.") % {"n": MAX_DESCRIPTION}]
    values["description"] = description or ""
    return values


def _has_line_errors(errors: dict, positions: list[int]) -> bool:
    prefixes = tuple(f"lines.{n}." for n in positions)
    return any(key.startswith(prefixes) for key in errors)


def _check_products(requests: list[LineRequest], positions: list[int], errors: dict) -> None:
    ids = {r.product_id for r in requests}
    active = set(Product.objects.filter(pk__in=ids, active=True).values_list("pk", flat=True))
    for request, number in zip(requests, positions, strict=True):
        if request.product_id not in active:
            errors.setdefault(f"lines.{number}.product",
                              [_("Choose an active product from the catalog.")])


def _remap(exc: PricingError, positions: list[int], errors: dict) -> None:
    """The engine numbers the lines it was given; name them as the order numbers them."""
    for key, messages in exc.fields.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit() \
                and 1 <= int(parts[1]) <= len(positions):
            errors[f"lines.{positions[int(parts[1]) - 1]}.{parts[2]}"] = messages
        else:
            errors[key] = messages
    if not exc.fields:
        errors["lines"] = [exc.message]


def _amounts(unit_price: Decimal, quantity: Decimal, vat_rate: Decimal) -> dict:
    net = round_cents(unit_price * quantity)
    vat = round_cents(net * vat_rate / HUNDRED)
    return {"net_amount": net, "vat_amount": vat, "gross_amount": net + vat}


def _from_offer_line(number: int, offer_line, values: dict) -> OrderLine:
    quantity = values.get("quantity") or offer_line.quantity
    same = quantity == offer_line.quantity
    # Free units were earned by the offered quantity; another quantity does not carry them.
    explanation = [step for step in offer_line.explanation or []
                   if same or step.get("code") != "free_units"]
    return OrderLine(
        position=number, product=offer_line.product, offer_line=offer_line,
        description=values.get("description") or offer_line.description,
        quantity=quantity, unit=offer_line.unit, list_price=offer_line.list_price,
        manual_discount=offer_line.manual_discount, unit_price=offer_line.unit_price,
        free_units=offer_line.free_units if same else ZERO,
        vat_rate=offer_line.vat_rate, explanation=explanation,
        promised_date=values["promised_date"],
        **_amounts(offer_line.unit_price, quantity, offer_line.vat_rate),
    )


def _from_priced(number: int, priced, values: dict) -> OrderLine:
    return OrderLine(
        position=number, product=priced.product, description=priced.description,
        quantity=priced.quantity, unit=priced.unit, list_price=priced.list_price,
        manual_discount=priced.manual_discount, unit_price=priced.unit_price,
        free_units=priced.free_units, net_amount=priced.net_amount, vat_rate=priced.vat_rate,
        vat_amount=priced.vat_amount, gross_amount=priced.gross_amount,
        explanation=priced.explanation, promised_date=values["promised_date"],
    )


def offer_line_inputs(offer, promised_date: dt.date | None) -> list[dict]:
    """Every line of an offer as order line input (the order copies the offer as accepted)."""
    return [{"offer_line": ol.pk, "quantity": ol.quantity, "promised_date": promised_date}
            for ol in offer.lines.order_by("position", "pk")]


def totals(lines: Sequence[OrderLine]) -> dict[str, Decimal]:
    """The order's totals: the sums of the rounded lines (as the engine sums a document)."""
    net = sum((line.net_amount for line in lines), ZERO)
    vat = sum((line.vat_amount for line in lines), ZERO)
    return {"net_total": round_cents(net), "vat_total": round_cents(vat),
            "gross_total": round_cents(net + vat)}


def lines_summary(lines: Sequence[OrderLine]) -> list[str]:
    """The lines as the audit log keeps them: "P-00001 × 12 @ 9.5000 (due 2026-03-01)"."""
    return [f"{line.product.code} × {_plain(line.quantity)} @ {line.unit_price} "
            f"({line.promised_date.isoformat()})" for line in lines]


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
