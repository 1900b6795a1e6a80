"""What every catalog write shares: who may write, cleaning of names, choices, numbers and
dates, and the audit entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Model
from django.utils.translation import gettext as _

from partnera.core import cleaning
from partnera.core.audit import audit_record, diff, snapshot
from partnera.core.errors import PermissionDenied, VersionConflict
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.core.visibility import is_administrator

HUNDRED = Decimal("100")
MAX_PRICE = Decimal("9999999999.9999")  # DecimalField(max_digits=14, decimal_places=4)
MAX_QUANTITY = Decimal("99999999999.999")  # DecimalField(max_digits=14, decimal_places=3)


# --- who may write -------------------------------------------------------------------------------

def may_manage_catalog(user) -> bool:
    """Products, price lists and pricing rules: administrators and heads of sales."""
    return bool(user is not None and user.is_authenticated and user.is_active
                and (is_administrator(user) or user.role == Role.HEAD_OF_SALES))


def may_manage_settings(user) -> bool:
    """VAT rates and the pricing policy: administrators."""
    return bool(user is not None and user.is_active and is_administrator(user))


def require_catalog_manager(actor) -> None:
    if not may_manage_catalog(actor):
        raise PermissionDenied(_("Only administrators and heads of sales change the catalog."))


def require_settings_manager(actor) -> None:
    if not may_manage_settings(actor):
        raise PermissionDenied(_("Only administrators change VAT rates and the pricing policy."))


# --- cleaners ------------------------------------------------------------------------------------

def name(limit: int, *, required: bool = True):
    def clean(value: Any) -> str:
        text = cleaning.text(value)
        if required and not text:
            raise ValidationError(_("This field is required."), code="required")
        if len(text) > limit:
            raise ValidationError(_("At most %(n)d characters.") % {"n": limit}, code="max_length")
        return text
    return clean


def choice(choices, *, blank: bool = False):
    def clean(value: Any) -> str:
        text = cleaning.text(value)
        if blank and not text:
            return ""
        if text not in choices.values:
            raise ValidationError(_("Choose one of the listed values."), code="invalid_choice")
        return text
    return clean


def as_decimal(value: Any) -> Decimal:
    """A number typed by a person or sent by a program. In text, spaces group digits, and a
    comma or a point is the decimal mark (with both, the last one is, and the other groups):
    `1 234,5678`, `1,234.5678`, `12,5`. Unit prices have four decimals, so `1,125` is 1.125."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(str(value))
    elif isinstance(value, str):
        text = value.strip().translate(str.maketrans("", "", " \u00a0\u202f'"))
        if not text or len(text) > 40 or text.lstrip("-").strip("0123456789.,"):
            raise ValueError  # digits and marks only: no exponents, no "NaN"
        if "," in text and "." in text:
            mark = "," if text.rfind(",") > text.rfind(".") else "."
            other = "." if mark == "," else ","
            head, _sep, tail = text.rpartition(mark)
            groups = head.split(other)
            if not all(len(g) == 3 for g in groups[1:]) or not groups[0]:
                raise ValueError
            text = "".join(groups) + "." + tail
        elif text.count(",") == 1:
            text = text.replace(",", ".")
        elif text.count(",") > 1:
            raise ValueError
        number = Decimal(text)
    else:
        raise ValueError
    if not number.is_finite():
        raise ValueError
    return number


def number(*, places: int, minimum: Decimal, maximum: Decimal, message: str,
           exclusive_minimum: bool = False, required: bool = False):
    """A decimal with at most `places` decimals between `minimum` and `maximum` (None when empty,
    unless `required`); `message` says what is wanted."""
    def clean(value: Any) -> Decimal | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise ValidationError(_("This field is required."), code="required")
            return None
        try:
            result = as_decimal(value)
        except (ValueError, InvalidOperation):
            raise ValidationError(message, code="type") from None
        too_small = result <= minimum if exclusive_minimum else result < minimum
        if too_small or result > maximum:
            raise ValidationError(message, code="range")
        if result.as_tuple().exponent < -places:  # type: ignore[operator]
            raise ValidationError(message, code="decimals")
        return result.quantize(Decimal(1).scaleb(-places))
    return clean


def unit_price(*, required: bool = True):
    return number(places=4, minimum=Decimal(0), maximum=MAX_PRICE, required=required,
                  message=_("Enter a price of at least 0 with up to four decimals, e.g. 12.5 "
                            "or 0,1250."))


def percent(*, required: bool = False):
    return number(places=2, minimum=Decimal(0), maximum=HUNDRED, exclusive_minimum=True,
                  required=required,
                  message=_("Enter a percentage above 0 and at most 100, with up to two decimals."))


def quantity(*, required: bool = False):
    return number(places=3, minimum=Decimal(0), maximum=MAX_QUANTITY, exclusive_minimum=True,
                  required=required,
                  message=_("Enter a quantity above 0 with up to three decimals."))


def date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        raise ValidationError(_("Enter a date as YYYY-MM-DD."), code="type")
    day = cleaning.optional_date(value)
    if day is not None and not 1900 <= day.year <= 2999:
        raise ValidationError(_("Enter a date between 1900 and 2999."), code="range")
    return day


def position(value: Any) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, bool):
        raise ValidationError(_("Enter a whole number from 0 to 10000."), code="type")
    try:
        result = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(_("Enter a whole number from 0 to 10000."), code="type") from None
    if not 0 <= result <= 10000:
        raise ValidationError(_("Enter a whole number from 0 to 10000."), code="range")
    return result


def ref(model: type[Model], message: str, **conditions):
    """A row of `model` (or its id) that meets `conditions`, else the `message` error."""
    def clean(value: Any):
        if value in (None, ""):
            return None
        if isinstance(value, model):
            pk = value.pk
        elif isinstance(value, bool):
            raise ValidationError(message, code="invalid_choice")
        else:
            pk = value
        try:
            pk = int(str(pk).strip())
            if not 0 < pk < 2**63:
                raise ValueError
            return model._default_manager.filter(**conditions).get(pk=pk)
        except (model.DoesNotExist, TypeError, ValueError):  # type: ignore[attr-defined]
            raise ValidationError(message, code="invalid_choice") from None
    return clean


def apply(obj, data: dict, fields: list[str], cleaners: dict) -> dict[str, list[str]]:
    """Clean and set the fields `data` holds; every field's errors at once."""
    errors: dict[str, list[str]] = {}
    for field in fields:
        if field not in data:
            continue
        try:
            setattr(obj, field, cleaners[field](data[field]))
        except ValidationError as exc:
            errors[field] = exc.messages
    return errors


def check_dates(obj, errors: dict[str, list[str]]) -> None:
    if (obj.valid_from and obj.valid_to and obj.valid_from > obj.valid_to
            and "valid_to" not in errors and "valid_from" not in errors):
        errors["valid_to"] = [_("The end date cannot be before the start date.")]


def save_versioned(obj, *, expected_version: int | None, fields: list[str]) -> None:
    """Save `fields` of a row with a `version` (and no `updated_at`) only when nobody changed it
    since `expected_version` was read; else VersionConflict."""
    model = type(obj)
    current = obj.version if expected_version is None else expected_version
    values = {f: getattr(obj, f) for f in fields}
    values["version"] = F("version") + 1
    if model._default_manager.filter(pk=obj.pk, version=current).update(**values) != 1:
        raise VersionConflict()
    obj.version = current + 1


def save_changes(actor, obj, before: dict, fields: list[str], *, expected_version: int | None,
                 company_id: int | None = None) -> None:
    """Store `fields` of a versioned row (see save_versioned) and audit what changed since
    `before`."""
    columns = {f.name: f.attname for f in type(obj)._meta.concrete_fields}
    save_versioned(obj, expected_version=expected_version, fields=[columns[f] for f in fields])
    changes = diff(before, snapshot(obj, fields))
    if changes:
        audit(actor, AuditEntry.Action.UPDATE, obj, changes, company_id=company_id)


def audit(actor, action: str, obj, changes: dict, *, company_id: int | None = None) -> None:
    audit_record(actor=actor, action=action, obj=obj, changes=changes, company_id=company_id)
