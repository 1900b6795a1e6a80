"""Cleaning values that come from forms, the API and imports into model fields.

Each cleaner raises django's ValidationError with a message for the field; `clean_into` applies a
whole payload and collects every field's errors at once. Every domain's services use these.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, Q
from django.utils.translation import gettext as _

from partnera.core.money import CENT, round_cents


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


_AMOUNT_IGNORED = str.maketrans("", "", " \u00a0\u202f'\u2019")
_DIGITS = re.compile(r"[0-9]+")
_MAX_AMOUNT = Decimal("1e12")


def _amount_format_error() -> ValidationError:
    return ValidationError(_("Enter an amount, e.g. 12500, 12,500.50 or 12 500,50."), code="type")


def _amount_decimals_error() -> ValidationError:
    return ValidationError(_("Enter at most two decimals (cents), e.g. 1955.83 or 1 955,83."),
                           code="decimals")


def _amount_range_error() -> ValidationError:
    return ValidationError(_("Enter an amount between 0 and 999,999,999,999.99."), code="range")


def _grouped(digits: str, separator: str) -> str | None:
    """`1,955,000` → `1955000` when every group after the first has exactly three digits."""
    groups = digits.split(separator)
    head, rest = groups[0], groups[1:]
    if not rest or not (1 <= len(head) <= 3) or not head.isdigit() or head.startswith("0"):
        return None
    if not all(len(group) == 3 and group.isdigit() for group in rest):
        return None
    return "".join(groups)


def parse_amount(raw: str) -> Decimal:
    """An amount typed by a person, in either style: `1 955,83`, `1.955,83`, `1,955.83`, `12,500`.

    Spaces (also no-break ones) and apostrophes group digits and are dropped. When both `.` and `,`
    occur, the last one is the decimal mark and the other must group digits in threes. A single kind
    of mark is the decimal mark when it occurs once followed by one or two digits, else it groups
    digits in threes (`12,500` is 12500, `1.955` is 1955). Anything else is refused, never guessed.
    """
    value = raw.strip().translate(_AMOUNT_IGNORED)
    negative = value.startswith("-")
    value = value.removeprefix("-")
    if not value or len(value) > 40 or value.strip("0123456789.,"):
        raise _amount_format_error()
    marks = [c for c in value if c in ".,"]
    if not marks:
        digits = value
    elif len(set(marks)) == 2:
        point = max(value.rfind("."), value.rfind(","))
        whole, cents = value[:point], value[point + 1:]
        if not _DIGITS.fullmatch(cents):
            raise _amount_format_error()
        if len(cents) > 2:
            raise _amount_decimals_error()
        grouped = _grouped(whole, "," if value[point] == "." else ".")
        if grouped is None:
            raise _amount_format_error()
        digits = f"{grouped}.{cents}"
    else:
        whole, _mark, cents = value.rpartition(marks[0])
        if len(marks) == 1 and _DIGITS.fullmatch(whole) and _DIGITS.fullmatch(cents) \
                and len(cents) <= 2:
            digits = f"{whole}.{cents}"
        else:
            grouped = _grouped(value, marks[0])
            if grouped is None:
                if len(marks) == 1 and _DIGITS.fullmatch(whole) and _DIGITS.fullmatch(cents):
                    raise _amount_decimals_error()
                raise _amount_format_error()
            digits = grouped
    amount = Decimal(digits)
    if negative and amount:
        raise _amount_range_error()
    return amount


def optional_money(value: Any) -> Decimal | None:
    """An amount to the cent: text through `parse_amount`; a number (JSON, Decimal) as it is.
    More than two decimals is an error, never rounded away silently."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise _amount_format_error()
    if isinstance(value, str):
        amount = parse_amount(value)
    elif isinstance(value, int | float | Decimal):
        try:
            amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            raise _amount_format_error() from None
        if not amount.is_finite():
            raise _amount_format_error()
    else:
        raise _amount_format_error()
    if amount < 0 or amount >= _MAX_AMOUNT:
        raise _amount_range_error()
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise _amount_decimals_error()
    return round_cents(amount)


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
