"""Formatting helpers every domain shows (phone numbers in international form)."""

from __future__ import annotations

import phonenumbers


def format_phone(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
