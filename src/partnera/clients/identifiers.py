"""Validating and normalising the identifiers a Bulgarian client base carries."""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.bg import vat as bg_vat
from stdnum.eu import vat as eu_vat

from partnera.core.formatting import format_phone  # noqa: F401  (re-exported)

MAX_CONTACT_POINTS = 10


def normalize_eik(raw: str) -> str:
    """EIK/BULSTAT: 9 digits (legal entity) or 13 (a unit of one), with their check digits."""
    value = re.sub(r"[\s.\-]", "", raw or "").upper()
    if value.startswith("BG"):
        value = value[2:]
    if not value:
        return ""
    if not value.isdigit() or len(value) not in (9, 13):
        raise ValidationError(_("An EIK/BULSTAT has 9 or 13 digits."), code="eik_format")
    # The 9-digit check is the legal-entity check of the Bulgarian VAT number (python-stdnum).
    if not bg_vat.is_valid(value[:9]) or len(bg_vat.compact(value[:9])) != 9:
        raise ValidationError(_("This EIK/BULSTAT fails its check digit."), code="eik_checksum")
    if len(value) == 13 and not _unit_check_ok(value):
        raise ValidationError(_("This EIK/BULSTAT fails its check digit."), code="eik_checksum")
    return value


def _unit_check_ok(value: str) -> bool:
    # 13-digit BULSTAT (units of a legal entity): python-stdnum has no module for this part,
    # so the published second check (weights 2,7,3,5, then 4,9,5,7) is applied here.
    digits = [int(d) for d in value[8:12]]
    check = sum(w * d for w, d in zip((2, 7, 3, 5), digits, strict=True)) % 11
    if check == 10:
        check = sum(w * d for w, d in zip((4, 9, 5, 7), digits, strict=True)) % 11
    return str(check % 10) == value[12]


def normalize_vat(raw: str) -> str:
    """An EU VAT number with its country prefix (BG assumed when only digits are given)."""
    value = re.sub(r"[\s.\-]", "", raw or "").upper()
    if not value:
        return ""
    if value[:2].isdigit():
        value = "BG" + value
    try:
        return eu_vat.validate(value)
    except stdnum_errors.InvalidChecksum:
        raise ValidationError(_("This VAT number fails its check digit."), code="vat_checksum") from None
    except stdnum_errors.ValidationError:
        raise ValidationError(
            _("Enter a VAT number with its country code, e.g. BG175074752."), code="vat_format"
        ) from None


# A Bulgarian number written the usual ways (+359 88 812 3456, 0888/123-456, 00359 2 123 4567)
# is checked against libphonenumber's own Bulgarian patterns directly, without a full parse: an
# import validates hundreds of thousands of them. Anything else goes through phonenumbers.parse;
# tests compare the two paths on many numbers.
_BG_SEPARATORS = re.compile(r"[\s\-./()]+")
_BG_WRITTEN = re.compile(r"(?:\+359|00359|0)([1-9]\d{5,8})")


def _bg_patterns() -> tuple[re.Pattern, list[tuple[re.Pattern, tuple[int, ...]]]]:
    meta = phonenumbers.PhoneMetadata.metadata_for_region("BG")
    assert meta is not None and meta.general_desc is not None  # libphonenumber knows Bulgaria
    descs = [meta.fixed_line, meta.mobile, meta.toll_free, meta.premium_rate, meta.shared_cost]
    types = [(re.compile(d.national_number_pattern), tuple(d.possible_length or ()))
             for d in descs if d is not None and d.national_number_pattern]
    return re.compile(meta.general_desc.national_number_pattern or "$^"), types


_BG_GENERAL, _BG_TYPES = _bg_patterns()


def _bg_national(value: str) -> str | None:
    """The national significant number of a valid Bulgarian number in a common written form."""
    match = _BG_WRITTEN.fullmatch(_BG_SEPARATORS.sub("", value))
    if match is None:
        return None
    national = match.group(1)
    if not _BG_GENERAL.fullmatch(national):
        return None
    for pattern, lengths in _BG_TYPES:
        if len(national) in lengths and pattern.fullmatch(national):
            return national
    return None


def normalize_phone(raw: str, region: str = "BG") -> str:
    value = (raw or "").strip()
    if not value:
        return ""
    if region == "BG" and len(value) <= 24:
        national = _bg_national(value)
        if national is not None:
            return "+359" + national
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("“%(value)s” is not a phone number.") % {"value": value[:40]},
                              code="phone") from None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise ValidationError(_("“%(value)s” is not a valid phone number.") % {"value": value[:40]},
                              code="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def split_list(raw) -> list[str]:
    """Accepts a list, or text with one value per line or separated by commas/semicolons."""
    if raw is None:
        return []
    if isinstance(raw, str):
        parts = re.split(r"[\n,;]+", raw)
    elif isinstance(raw, list | tuple):
        parts = [str(p) for p in raw]
    else:
        raise ValidationError(_("Expected a list of values."), code="type")
    parts = [p.replace("\x00", "") for p in parts]
    return [p.strip() for p in parts if p and p.strip()]


def normalize_phones(raw, region: str = "BG") -> list[str]:
    values = split_list(raw)
    if len(values) > MAX_CONTACT_POINTS:
        raise ValidationError(_("At most %(n)d phone numbers.") % {"n": MAX_CONTACT_POINTS})
    errors, result = [], []
    for value in values:
        try:
            phone = normalize_phone(value, region)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        if phone not in result:
            result.append(phone)
    if errors:
        raise ValidationError(errors)
    return result


def normalize_emails(raw) -> list[str]:
    values = split_list(raw)
    if len(values) > MAX_CONTACT_POINTS:
        raise ValidationError(_("At most %(n)d e-mail addresses.") % {"n": MAX_CONTACT_POINTS})
    errors, result = [], []
    for value in values:
        email = value.lower()
        try:
            if len(email) > 254:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            errors.append(_("“%(value)s” is not an e-mail address.") % {"value": value[:60]})
            continue
        if email not in result:
            result.append(email)
    if errors:
        raise ValidationError(errors)
    return result


def fold(*parts) -> str:
    """Lower-cased, accent- and space-normalised text for the simple search column."""
    words: list[str] = []
    for part in parts:
        if not part:
            continue
        if isinstance(part, list | tuple):
            words.extend(str(p) for p in part)
        else:
            words.append(str(part))
    return " ".join(" ".join(words).casefold().split())


def phone_digits(e164: str) -> list[str]:
    """The digit strings a person may type for a stored number: 359888123456 and 0888123456."""
    digits = e164.lstrip("+")
    forms = [digits]
    if e164.startswith("+359") and _bg_national(e164) is not None:
        # Every valid Bulgarian number is written nationally with the trunk 0 before it.
        return [digits, "0" + digits[3:]]
    try:
        number = phonenumbers.parse(e164, None)
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        forms.append(re.sub(r"\D", "", national))
    except phonenumbers.NumberParseException:
        pass
    return forms


def search_words(query: str) -> list[str]:
    """Words of a search query, folded; a phone number typed in any format becomes its digits."""
    query = (query or "").replace("\x00", "").strip()
    if re.fullmatch(r"[+\d\s().\-/]{6,}", query):
        digits = re.sub(r"\D", "", query)
        if digits.startswith("00"):
            digits = digits[2:]
        if len(digits) >= 6:
            return [digits]
    return fold(query).split()[:6]
