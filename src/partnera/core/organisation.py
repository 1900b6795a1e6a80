"""Our own company as documents present it (offers, contracts): one OrganisationProfile row, kept by
an administrator through `organisation_update`, read by everyone through `organisation_get`.

The logo is kept in the row (PNG or JPEG, at most 512 KB) and printed as a data URL, so a PDF never
fetches anything. Its type is judged by its content (the file's first bytes, then decoded by
Pillow), never by the name or the type the browser claims.
"""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum import iban as stdnum_iban
from stdnum.bg import vat as bg_vat
from stdnum.eu import vat as eu_vat

from partnera.core import cleaning
from partnera.core.audit import audit_record, diff, snapshot
from partnera.core.errors import PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry, OrganisationProfile
from partnera.core.visibility import is_administrator

MAX_LOGO_BYTES = 512 * 1024
MAX_LOGO_SIDE = 5000  # pixels; a logo larger than this is a photo, not a logo
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"))

TEXT_FIELDS = ["name", "legal_name", "legal_name_en", "eik", "vat_number", "address", "address_en",
               "phone", "email", "website", "bank", "iban", "representative"]


# --- reading -------------------------------------------------------------------------------------

def organisation_get() -> OrganisationProfile:
    """Our company's profile: the one row, or an empty unsaved one before the first save."""
    return OrganisationProfile.objects.order_by("pk").first() or OrganisationProfile()


def logo_data_url(profile: OrganisationProfile) -> str:
    """The logo as a data: URL (for the PDF and the settings page), or "" without one."""
    if not profile.logo or profile.logo_type not in LOGO_TYPES.values():
        return ""
    return f"data:{profile.logo_type};base64,{base64.b64encode(bytes(profile.logo)).decode()}"


# --- cleaning ------------------------------------------------------------------------------------

def _compact(raw: Any) -> str:
    return re.sub(r"[\s.\-]", "", cleaning.text(raw)).upper()


def clean_eik(raw: Any) -> str:
    """EIK/BULSTAT: 9 digits (with the Bulgarian legal-entity check digit) or 13 (a unit)."""
    value = _compact(raw).removeprefix("BG")
    if not value:
        return ""
    if not value.isdigit() or len(value) not in (9, 13):
        raise ValidationError(_("An EIK/BULSTAT has 9 or 13 digits."), code="eik_format")
    if not bg_vat.is_valid(value[:9]):
        raise ValidationError(_("This EIK/BULSTAT fails its check digit."), code="eik_checksum")
    return value


def clean_vat(raw: Any) -> str:
    value = _compact(raw)
    if not value:
        return ""
    if value[:2].isdigit():
        value = "BG" + value
    try:
        return eu_vat.validate(value)
    except stdnum_errors.ValidationError:
        raise ValidationError(_("Enter a VAT number with its country code, e.g. BG175074752."),
                              code="vat_format") from None


def clean_iban(raw: Any) -> str:
    value = _compact(raw)
    if not value:
        return ""
    try:
        return stdnum_iban.validate(value)
    except stdnum_errors.ValidationError:
        raise ValidationError(_("Enter a valid IBAN, e.g. BG80BNBG96611020345678."),
                              code="iban") from None


def clean_phone(raw: Any) -> str:
    value = cleaning.text(raw)
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "BG")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Enter a valid phone number, e.g. +359 2 123 4567."), code="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def clean_email(raw: Any) -> str:
    value = cleaning.text(raw).lower()
    if value:
        validate_email(value)
    return value


def clean_website(raw: Any) -> str:
    value = cleaning.text(raw)
    if not value:
        return ""
    candidate = value if "://" in value else f"https://{value}"
    try:
        URLValidator(schemes=["http", "https"])(candidate)
    except ValidationError:
        raise ValidationError(_("Enter a web address, e.g. www.example.bg."), code="url") from None
    return value


CLEANERS = {"eik": clean_eik, "vat_number": clean_vat, "iban": clean_iban, "phone": clean_phone,
            "email": clean_email, "website": clean_website}


def sniff_logo(content: bytes) -> str:
    """The logo's MIME type judged by its content, or ValidationError: PNG or JPEG only, at most
    512 KB, a picture Pillow can read of a sensible size."""
    if len(content) > MAX_LOGO_BYTES:
        raise ValidationError(_("The logo may be at most 512 KB; this file is larger."), code="size")
    kind = next((name for signature, name in _SIGNATURES if content.startswith(signature)), None)
    if kind is None:
        raise ValidationError(_("The logo must be a PNG or JPEG picture."), code="type")
    from PIL import Image, UnidentifiedImageError  # Pillow comes with WeasyPrint

    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
            detected, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(_("The logo file is damaged or not a picture."), code="damaged") from None
    if detected != kind:
        raise ValidationError(_("The logo must be a PNG or JPEG picture."), code="type")
    if not (1 <= width <= MAX_LOGO_SIDE and 1 <= height <= MAX_LOGO_SIDE):
        raise ValidationError(_("The logo may be at most %(n)d pixels wide and high.")
                              % {"n": MAX_LOGO_SIDE}, code="dimensions")
    return LOGO_TYPES[kind]


# --- writing -------------------------------------------------------------------------------------

def _logo_label(profile: OrganisationProfile) -> str | None:
    if not profile.logo:
        return None
    return f"{profile.logo_type}, {(len(bytes(profile.logo)) + 1023) // 1024} KB"


@transaction.atomic
def organisation_update(*, actor, data: dict, logo: bytes | None = None,
                        remove_logo: bool = False) -> OrganisationProfile:
    """Change our company's details (the keys of `data` that are profile fields), and set
    (`logo`: the file's bytes) or remove (`remove_logo`) the logo. Administrators only."""
    if not is_administrator(actor):
        raise PermissionDenied()
    found = OrganisationProfile.objects.select_for_update().order_by("pk").first()
    profile = found or OrganisationProfile()
    before = {**snapshot(profile, TEXT_FIELDS), "logo": _logo_label(profile)}
    errors = cleaning.clean_into(profile, data, TEXT_FIELDS, CLEANERS)
    if logo is not None:
        try:
            profile.logo_type = sniff_logo(logo)
            profile.logo = logo
        except ValidationError as exc:
            errors["logo"] = exc.messages
    elif remove_logo:
        profile.logo, profile.logo_type = None, ""
    if errors:
        raise ValidationFailed(fields=errors)
    profile.save()
    changes = diff(before, {**snapshot(profile, TEXT_FIELDS), "logo": _logo_label(profile)})
    if changes or found is None:
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE if found else AuditEntry.Action.CREATE,
                     obj=profile, object_repr=str(profile) or str(_("our company")), changes=changes)
    return profile
