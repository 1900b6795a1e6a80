"""Cleaning values that come from forms, the API and imports into model fields.

Each cleaner raises django's ValidationError with a message for the field; `clean_into` applies a
whole payload and collects every field's errors at once. Every domain's services use these.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, Q
from django.utils.translation import gettext as _


def text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(_("Expected text."), code="type")
    if "\x00" in value:
        # PostgreSQL cannot store a NUL character; no real text contains one.
        raise ValidationError(_("The text contains a character that is not allowed."),
                              code="invalid")
    return value.strip()


def clean_into(obj, data: dict, fields: list[str], cleaners: dict) -> dict[str, list[str]]:
    """Apply `data` to `obj` field by field, collecting every error instead of stopping at one."""
    errors: dict[str, list[str]] = {}
    for name in fields:
        if name not in data or name == "tags":
            continue
        try:
            cleaner = cleaners.get(name)
            value = cleaner(data[name]) if cleaner else text(data[name])
            setattr(obj, name, value)
        except ValidationError as exc:
            errors[name] = exc.messages
    try:
        obj.full_clean(exclude=[*errors, "search_text", "storage_key", "sha256"],
                       validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    return errors


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in (None, "", "0", "false", "off", "no"):
        return False
    if value in ("1", "true", "on", "yes"):
        return True
    raise ValidationError(_("Expected yes or no."), code="type")


def optional_int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValidationError(_("Enter a whole number."), code="type")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(_("Enter a whole number."), code="type") from None
    if number < 0 or number > 3650:
        raise ValidationError(_("Enter a number between 0 and 3650."), code="range")
    return number


def optional_money(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool | float):
        value = str(value) if isinstance(value, float) else value
    try:
        amount = Decimal(str(value).replace(" ", "").replace(",", "."))
    except (InvalidOperation, TypeError):
        raise ValidationError(_("Enter an amount, e.g. 15000.00."), code="type") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise ValidationError(_("Enter an amount between 0 and 999,999,999,999.99."), code="range")
    return amount.quantize(Decimal("0.01"))


def optional_date(value: Any):
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(_("Enter a date as YYYY-MM-DD."), code="type") from None


def user_ref(value: Any):
    from partnera.people.models import User

    if value in (None, ""):
        return None
    if isinstance(value, User):
        return value
    try:
        return User.objects.get(pk=int(value), is_active=True)
    except (User.DoesNotExist, TypeError, ValueError):
        raise ValidationError(_("Choose an active user."), code="invalid_choice") from None


def team_ref(value: Any):
    from partnera.people.models import Team

    if value in (None, ""):
        return None
    if isinstance(value, Team):
        return value
    try:
        return Team.objects.get(pk=int(value))
    except (Team.DoesNotExist, TypeError, ValueError):
        raise ValidationError(_("Choose an existing team."), code="invalid_choice") from None


def bounded_text(limit: int):
    # A TextField's max_length is enforced by forms only, not by model validation.
    def clean(value: Any) -> str:
        cleaned = text(value)
        if len(cleaned) > limit:
            raise ValidationError(
                _("Ensure this value has at most %(limit)d characters (it has %(n)d).")
                % {"limit": limit, "n": len(cleaned)}, code="max_length")
        return cleaned
    return clean


def visible_ref(model: type[Model], visible: Q, message: str):
    """A cleaner that takes a record (or its id) the actor may see, else the `message` error."""
    def clean(value: Any):
        if value in (None, ""):
            return None
        pk = value.pk if isinstance(value, model) else value
        try:
            return model._default_manager.filter(visible).get(pk=int(pk))
        except (ObjectDoesNotExist, TypeError, ValueError):
            raise ValidationError(message, code="invalid_choice") from None
    return clean
