"""The fast path for Bulgarian phone numbers gives exactly what a full libphonenumber parse gives."""

from __future__ import annotations

import random
import re

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from partnera.clients import identifiers as ids


def slow_normalize(value: str) -> str | None:
    """The library's answer: the E.164 form, or None when it is not a valid number."""
    try:
        number = phonenumbers.parse(value, "BG")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def fast_normalize(value: str) -> str | None:
    try:
        return ids.normalize_phone(value)
    except ValidationError:
        return None


def slow_digits(e164: str) -> list[str]:
    number = phonenumbers.parse(e164, None)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return [e164.lstrip("+"), re.sub(r"\D", "", national)]


PREFIXES = ["+359", "00359", "0", "+359 ", "(0", "+359 (0)", "359", ""]
SEPARATORS = ["", " ", "-", "/", ".", " - "]


def written(prefix: str, digits: str, separator: str, rng: random.Random) -> str:
    parts, rest = [], digits
    while rest:
        cut = rng.randint(1, 4)
        parts.append(rest[:cut])
        rest = rest[cut:]
    text = prefix + separator.join(parts)
    if prefix == "(0":
        text = "(0" + parts[0] + ")" + separator.join(parts[1:])
    return text


@settings(max_examples=3000, deadline=None)
@given(prefix=st.sampled_from(PREFIXES), digits=st.text("0123456789", min_size=4, max_size=11),
       separator=st.sampled_from(SEPARATORS), seed=st.integers(0, 1000))
def test_fast_path_agrees_with_libphonenumber(prefix, digits, separator, seed):
    value = written(prefix, digits, separator, random.Random(seed))
    assert fast_normalize(value) == slow_normalize(value), value


@pytest.mark.parametrize("leading", ["2", "32", "52", "56", "431", "700", "800", "87", "88",
                                     "89", "98", "90", "999", "996", "430", "4", "8", "9"])
def test_every_kind_of_bulgarian_number(leading):
    rng = random.Random(leading)
    for _ in range(400):
        digits = leading + "".join(rng.choice("0123456789") for _ in range(rng.randint(3, 8)))
        for prefix in ("+359", "0", "00359"):
            value = prefix + digits
            expected = slow_normalize(value)
            assert fast_normalize(value) == expected, value
            if expected:
                assert ids.phone_digits(expected) == slow_digits(expected), expected


def test_foreign_and_odd_numbers_still_go_through_the_library():
    assert ids.normalize_phone("+49 30 1234567") == "+49301234567"
    assert ids.normalize_phone("+359 88 812 3456") == "+359888123456"
    assert ids.normalize_phone("0888 123 456 ext. 12") == slow_normalize("0888 123 456 ext. 12")
    with pytest.raises(ValidationError):
        ids.normalize_phone("=1+2")
