"""The one amount parser every money input goes through (core.cleaning.optional_money): amounts
typed in either style are read as written, a thousands separator is never taken for cents, and
anything ambiguous or with more than two decimals is refused with a message, never guessed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from partnera.core.cleaning import optional_money

FORMAT = "Enter an amount, e.g. 12500, 12,500.50 or 12 500,50."
DECIMALS = "Enter at most two decimals (cents), e.g. 1955.83 or 1 955,83."
RANGE = "Enter an amount between 0 and 999,999,999,999.99."


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(("typed", "amount"), [
    ("1 955,83", "1955.83"), ("1\xa0955,83", "1955.83"), ("1\u202f955,83", "1955.83"),
    ("1.955,83", "1955.83"), ("1,955.83", "1955.83"), ("1'955.83", "1955.83"),
    ("12,500", "12500.00"), ("12 500", "12500.00"), ("12500", "12500.00"), ("12.500", "12500.00"),
    ("0,5", "0.50"), ("0.05", "0.05"), ("1.955", "1955.00"), ("1,955", "1955.00"),
    ("1,955,000", "1955000.00"), ("10.005,5", "10005.50"), ("1.955.000,5", "1955000.50"),
    ("  15000.00 ", "15000.00"),
    ("999,999,999,999.99", "999999999999.99"), ("0", "0.00"), ("-0", "0.00"),
])
def test_amounts_typed_in_either_style_are_read_as_written(typed, amount):
    assert optional_money(typed) == Decimal(amount)


@pytest.mark.parametrize(("typed", "message"), [
    ("1,5,0", FORMAT), ("12,5000", DECIMALS), ("1.955,831", DECIMALS), ("1,955.831", DECIMALS),
    ("0,125", DECIMALS), ("10.05,5", FORMAT), ("1.95.5,83", FORMAT), ("1,955,00", FORMAT),
    ("1.955.83", FORMAT), ("12,", FORMAT), (",5", FORMAT), ("1e3", FORMAT), ("1_000", FORMAT),
    ("NaN", FORMAT), ("Infinity", FORMAT), ("много", FORMAT), ("١٢", FORMAT), ("€12", FORMAT),
    ("-1", RANGE), ("-12,50", RANGE), ("1 000 000 000 000", RANGE),
])
def test_an_ambiguous_or_malformed_amount_is_refused_with_examples(typed, message):
    with pytest.raises(ValidationError) as caught:
        optional_money(typed)

    assert caught.value.messages == [message]


@pytest.mark.parametrize(("given", "amount"), [
    (12500, "12500.00"), (Decimal("1955.83"), "1955.83"), (0.5, "0.50"), (Decimal("12.500"), "12.50"),
    (None, None), ("", None), ("  ", None),
])
def test_numbers_are_taken_as_they_are(given, amount):
    assert optional_money(given) == (None if amount is None else Decimal(amount))


@pytest.mark.parametrize(("given", "message"), [
    (Decimal("0.125"), DECIMALS), (10.005, DECIMALS), (Decimal("NaN"), FORMAT),
    (float("inf"), FORMAT), (True, FORMAT), ([1], FORMAT), (-1, RANGE), (Decimal("1e12"), RANGE),
])
def test_numbers_with_more_than_cents_are_refused_not_rounded(given, message):
    with pytest.raises(ValidationError) as caught:
        optional_money(given)

    assert caught.value.messages == [message]
