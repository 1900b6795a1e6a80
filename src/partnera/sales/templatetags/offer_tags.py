"""Formatting of offer amounts, quantities, percentages and units in the active language (the
page's, or the document's inside core.pdf.render_pdf): 1 234,56 in Bulgarian, 1,234.56 in
English. Amounts are shown as stored (already rounded to the cent by the pricing engine)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils import formats

from partnera.catalog.models import Unit

register = template.Library()


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


@register.filter
def money(value, currency: str = "") -> str:
    """An amount with two decimals, grouped, and its currency code: "1 234,56 EUR"."""
    number = _decimal(value)
    if number is None:
        return ""
    text = formats.number_format(number, decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{text}\xa0{currency}" if currency else text


@register.filter
def unit_price(value, currency: str = "") -> str:
    """A unit price: two decimals, or up to four when the price has them (bulk goods)."""
    number = _decimal(value)
    if number is None:
        return ""
    places = 2 if number == number.quantize(Decimal("0.01")) else 4
    text = formats.number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{text}\xa0{currency}" if currency else text


@register.filter
def quantity(value) -> str:
    """A quantity without trailing zeros: 12, 2,5, 0,125."""
    number = _decimal(value)
    if number is None:
        return ""
    number = number.normalize()
    places = max(-number.as_tuple().exponent, 0)  # type: ignore[operator]
    return formats.number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.filter
def percent(value) -> str:
    """A percentage without trailing zeros: "10 %", "12,5 %"."""
    number = _decimal(value)
    if number is None:
        return ""
    return f"{quantity(number)}\xa0%"


@register.filter
def unit_label(code: str) -> str:
    """A unit's name in the active language ("бр.", "piece")."""
    try:
        return str(Unit(code).label)
    except ValueError:
        return code
