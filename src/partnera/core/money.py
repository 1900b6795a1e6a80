"""Money (ARCHITECTURE rule 7): `Decimal` with an ISO currency; EUR by default; BGN at the fixed
rate of the euro changeover. Every total that mixes currencies is converted here and nowhere else."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

BGN_PER_EUR = Decimal("1.95583")
CENT = Decimal("0.01")


class Currency(models.TextChoices):
    EUR = "EUR", _("euro (EUR)")
    BGN = "BGN", _("lev (BGN)")


DEFAULT_CURRENCY = Currency.EUR


def round_cents(amount: Decimal) -> Decimal:
    """Round to the cent, half up (never banker's rounding: money is shown as it is summed)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_eur(amount: Decimal | None, currency: str) -> Decimal:
    """The amount in euro, to the cent; an amount in lev converts at the fixed rate."""
    if amount is None:
        return Decimal("0.00")
    if currency == Currency.BGN:
        return round_cents(amount / BGN_PER_EUR)
    return round_cents(amount)


def from_eur(amount: Decimal, currency: str) -> Decimal:
    if currency == Currency.BGN:
        return round_cents(amount * BGN_PER_EUR)
    return round_cents(amount)
