"""Identifiers a Bulgarian client base carries: EIK/BULSTAT, VAT numbers, phones, e-mails."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from partnera.clients import identifiers as ids


def legal_check_digit(base8: str) -> str:
    """The published EIK check digit, written out here independently of the code under test:
    weights 1..8 mod 11; when that is 10, weights 3..10 mod 11; when that is 10 again, 0."""
    digits = [int(d) for d in base8]
    check = sum(w * d for w, d in zip(range(1, 9), digits, strict=True)) % 11
    if check == 10:
        check = sum(w * d for w, d in zip(range(3, 11), digits, strict=True)) % 11
    return str(check % 10)


def error_of(func, *args) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        func(*args)
    return exc.value


# --- EIK / BULSTAT ------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("175074752", "175074752"),
    (" 175 074 752 ", "175074752"),
    ("175-074-752", "175074752"),
    ("BG175074752", "175074752"),
    ("bg 121817309", "121817309"),
    ("1750747520004", "1750747520004"),  # a unit of a legal entity: second check digit 4
    ("", ""),
    (None, ""),
])
def test_valid_eik_is_normalised(raw, expected):
    assert ids.normalize_eik(raw) == expected


@pytest.mark.parametrize(("raw", "code"), [
    ("175074753", "eik_checksum"),         # 9 digits, wrong check digit
    ("1750747520005", "eik_checksum"),     # 13 digits, wrong unit check digit
    ("1750747530004", "eik_checksum"),     # 13 digits whose first nine fail
    ("17507475", "eik_format"),            # 8 digits
    ("1750747520", "eik_format"),          # 10 digits
    ("17507475200041", "eik_format"),      # 14 digits
    ("17507475A", "eik_format"),           # a letter
    ("абвгдежзи", "eik_format"),           # Cyrillic letters
])
def test_invalid_eik_is_refused_with_its_reason(raw, code):
    exc = error_of(ids.normalize_eik, raw)

    assert exc.code == code
    expected = ("An EIK/BULSTAT has 9 or 13 digits." if code == "eik_format"
                else "This EIK/BULSTAT fails its check digit.")
    assert exc.messages == [expected]


@pytest.mark.parametrize(("raw", "valid"), [
    # Unit digits 9..12 are 2,0,0,0: 2*2 = 4, check 4.
    ("1750747520004", True),
    # 2,0,2,0: 2*2 + 3*2 = 10, so the second weights: 4*2 + 5*2 = 18 % 11 = 7.
    ("1750747520207", True),
    ("1750747520200", False),
    # 2,0,3,6: both sums are 10, so the check digit is 0.
    ("1750747520360", True),
    ("1750747520361", False),
])
def test_thirteen_digit_unit_check(raw, valid):
    if valid:
        assert ids.normalize_eik(raw) == raw
    else:
        assert error_of(ids.normalize_eik, raw).code == "eik_checksum"


@given(st.integers(min_value=0, max_value=99_999_999))
def test_any_eight_digit_base_with_its_check_digit_is_accepted(n):
    base = f"{n:08d}"
    check = legal_check_digit(base)

    assert ids.normalize_eik(base + check) == base + check


@given(st.integers(min_value=0, max_value=99_999_999), st.integers(min_value=1, max_value=9))
def test_any_other_last_digit_is_refused(n, shift):
    base = f"{n:08d}"
    wrong = str((int(legal_check_digit(base)) + shift) % 10)

    exc = error_of(ids.normalize_eik, base + wrong)

    assert exc.code == "eik_checksum"


# --- VAT numbers --------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("BG175074752", "BG175074752"),
    ("bg 175 074 752", "BG175074752"),
    ("175074752", "BG175074752"),         # digits only: Bulgarian assumed
    ("DE136695976", "DE136695976"),       # Germany
    ("de 136 695 976", "DE136695976"),
    ("ATU13585627", "ATU13585627"),       # Austria
    ("FR40303265045", "FR40303265045"),   # France
    ("", ""),
    (None, ""),
])
def test_valid_vat_is_normalised(raw, expected):
    assert ids.normalize_vat(raw) == expected


@pytest.mark.parametrize(("raw", "code"), [
    ("BG175074753", "vat_checksum"),
    ("DE136695977", "vat_checksum"),
    ("XX123456789", "vat_format"),        # no such country
    ("BG12", "vat_format"),               # too short
    ("DE13669597A", "vat_format"),        # a letter where digits belong
    ("ДДС175074752", "vat_format"),
])
def test_invalid_vat_is_refused_with_its_reason(raw, code):
    exc = error_of(ids.normalize_vat, raw)

    assert exc.code == code
    expected = ("This VAT number fails its check digit." if code == "vat_checksum"
                else "Enter a VAT number with its country code, e.g. BG175074752.")
    assert exc.messages == [expected]


# --- phones -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("0888 123 456", "+359888123456"),
    ("0888123456", "+359888123456"),
    ("+359 88 812 3456", "+359888123456"),
    ("+359888123456", "+359888123456"),
    ("00359888123456", "+359888123456"),
    ("00359 888 123 456", "+359888123456"),
    ("(02) 981 11 11", "+35929811111"),
    ("02/981-11-11", "+35929811111"),
    ("032 62 62 62", "+35932626262"),       # Plovdiv
    ("+44 20 7946 0958", "+442079460958"),  # a foreign number keeps its country
    ("", ""),
])
def test_phone_in_any_common_format_becomes_e164(raw, expected):
    assert ids.normalize_phone(raw) == expected


@pytest.mark.parametrize(("raw", "message"), [
    ("abc", "“abc” is not a phone number."),
    ("123", "“123” is not a valid phone number."),
    ("0888", "“0888” is not a valid phone number."),
    ("088812345678901", "“088812345678901” is not a valid phone number."),
    ("+359 1", "“+359 1” is not a phone number."),
])
def test_invalid_phone_is_refused(raw, message):
    exc = error_of(ids.normalize_phone, raw)

    assert exc.code == "phone"
    assert exc.messages == [message]


def test_phone_list_normalises_each_and_drops_duplicates():
    assert ids.normalize_phones("0888 123 456, +359888123456; (02) 981 11 11\n00359888123456") == [
        "+359888123456", "+35929811111",
    ]
    assert ids.normalize_phones(["0888 123 456", "  "]) == ["+359888123456"]
    assert ids.normalize_phones(None) == []


def test_phone_list_reports_every_bad_number():
    exc = error_of(ids.normalize_phones, ["abc", "0888 123 456", "123"])

    assert exc.messages == ["“abc” is not a phone number.", "“123” is not a valid phone number."]


@pytest.mark.parametrize("raw", [123, 12.5, {"a": 1}, True])
def test_phone_list_of_wrong_type_is_refused(raw):
    exc = error_of(ids.normalize_phones, raw)

    assert exc.messages == ["Expected a list of values."]


def test_phone_list_is_capped():
    numbers = [f"0888 123 4{n:02d}" for n in range(11)]

    exc = error_of(ids.normalize_phones, numbers)

    assert exc.messages == ["At most 10 phone numbers."]


# --- e-mails ------------------------------------------------------------------------------------

def test_email_list_is_lower_cased_and_deduplicated_in_order():
    raw = "Ivan@Firma.BG, ivan@firma.bg\nMaria@firma.bg; IVAN@FIRMA.BG"

    assert ids.normalize_emails(raw) == ["ivan@firma.bg", "maria@firma.bg"]


def test_email_list_reports_each_bad_address_and_keeps_the_original_spelling():
    exc = error_of(ids.normalize_emails, ["Not-An-Email", "ok@firma.bg", "a@@b.bg"])

    assert exc.messages == ["“Not-An-Email” is not an e-mail address.",
                            "“a@@b.bg” is not an e-mail address."]


def test_overlong_email_is_refused():
    address = "a" * 250 + "@x.bg"

    exc = error_of(ids.normalize_emails, [address])

    assert exc.messages == [f"“{address[:60]}” is not an e-mail address."]


def test_email_list_of_wrong_type_is_refused():
    exc = error_of(ids.normalize_emails, 42)

    assert exc.messages == ["Expected a list of values."]


# --- search words -------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "words"), [
    ("0888 123 456", ["0888123456"]),
    ("+359 88 812 3456", ["359888123456"]),
    ("00359888123456", ["359888123456"]),
    ("(02) 981 11 11", ["029811111"]),
    ("ФИРМА  Петров", ["фирма", "петров"]),
    ("  Ёлка ЕООД ", ["ёлка", "еоод"]),
    ("Straße", ["strasse"]),
    ("12345", ["12345"]),   # too short for a phone: an ordinary word
    ("", []),
    ("a b c d e f g h", ["a", "b", "c", "d", "e", "f"]),  # at most six words
])
def test_search_words(query, words):
    assert ids.search_words(query) == words


def test_every_typed_form_of_a_stored_phone_is_found_in_its_digit_forms():
    stored = ids.normalize_phone("0888 123 456")
    forms = ids.phone_digits(stored)

    for typed in ["0888 123 456", "+359 88 812 3456", "00359888123456", "0888123456"]:
        [word] = ids.search_words(typed)
        assert any(word in form for form in forms), typed
