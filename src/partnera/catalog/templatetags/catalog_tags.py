"""Template helpers of the catalog: prices and percentages formatted per locale."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


@register.filter
def unit_price(value) -> str:
    """A unit price: two decimals, up to four when it has them (1 234,5678), per locale."""
    number = _decimal(value)
    if number is None:
        return ""
    places = 2
    for candidate in (4, 3):
        if number != number.quantize(Decimal(1).scaleb(-candidate + 1)):
            places = candidate
            break
    return number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.filter
def money(value) -> str:
    """An amount to the cent, per locale (1 234,56)."""
    number = _decimal(value)
    if number is None:
        return ""
    return number_format(number, decimal_pos=2, use_l10n=True, force_grouping=True)


@register.filter
def percent(value) -> str:
    """A percentage without trailing zeros, per locale (12,5)."""
    number = _decimal(value)
    if number is None:
        return ""
    text = format(number.normalize(), "f")
    places = len(text.split(".")[1]) if "." in text else 0
    return number_format(number, decimal_pos=places, use_l10n=True)


@register.filter
def quantity(value) -> str:
    """A quantity without trailing zeros, per locale (1 500 or 2,5)."""
    number = _decimal(value)
    if number is None:
        return ""
    text = format(number.normalize(), "f")
    places = len(text.split(".")[1]) if "." in text else 0
    return number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.filter
def tier_label(value: str) -> str:
    """A client tier's name (price lists and rules keep the tier's code)."""
    from partnera.clients.models import Tier

    return str(dict(Tier.choices).get(value, value))
