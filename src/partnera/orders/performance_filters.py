"""What the order performance figures are asked for: the period, team and account manager, and
how the tables are sorted and paged — parsed from a query string (the page, the API, the
download) with a message per field for anything wrong."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from partnera.core import cleaning
from partnera.core.errors import ValidationFailed
from partnera.orders.performance_sql import CLIENT_SORTS, REPEAT_SORTS

DEFAULT_DAYS = 90
MAX_DAYS = 5 * 366  # the longest period asked at once
FIRST_YEAR, LAST_YEAR = 1900, 2999
PAGE_SIZE = 25
MAX_LIMIT = 200
MAX_OFFSET = 1_000_000

# Sorts of the per-manager table (a short list: sorted after the two queries are merged).
MANAGER_SORTS = ("otif", "-otif", "in_full", "-in_full", "repeat", "-repeat", "orders", "name")


def percent(part: int, whole: int) -> float | None:
    """`part` of `whole` in percent with one decimal; None when there is nothing to count."""
    return round(100 * part / whole, 1) if whole else None


# --- what is asked ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PerformanceFilters:
    start: dt.date
    end: dt.date
    today: dt.date  # the day "already due" is measured against (in the user's time zone)
    team_id: int | None = None
    owner_id: int | None = None


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    return today - dt.timedelta(days=DEFAULT_DAYS - 1), today


def _date(value: Any, name: str, errors: dict[str, list[str]]) -> dt.date | None:
    try:
        day = cleaning.optional_date(value.strip() if isinstance(value, str) else value)
    except ValidationError as exc:
        errors[name] = exc.messages
        return None
    if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
        errors[name] = [_("Enter a date between %(first)s and %(last)s.")
                        % {"first": FIRST_YEAR, "last": LAST_YEAR}]
        return None
    return day


def _ref(value: Any, name: str, cleaner, errors: dict[str, list[str]]) -> int | None:
    if isinstance(value, str):
        value = value.strip()
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not str(value).isdigit():
        errors[name] = [_("Choose one from the list.")]
        return None
    try:
        return cleaner(value).pk
    except (ValidationError, OverflowError) as exc:
        errors[name] = exc.messages if isinstance(exc, ValidationError) else [
            _("Choose one from the list.")]
        return None


def _any_user(value: Any):
    """An account manager by id, active or not (figures of someone who left still count)."""
    from partnera.people.models import User

    try:
        return User.objects.get(pk=int(value))
    except (User.DoesNotExist, TypeError, ValueError, OverflowError):
        raise ValidationError(_("Choose a user from the list."), code="invalid_choice") from None


def performance_filters(data: Mapping[str, Any], *, today: dt.date) -> PerformanceFilters:
    """The period (`start`, `end`: ISO dates; default the last 90 days), `team` and `owner` (ids)
    asked for, or ValidationFailed with a message per field."""
    errors: dict[str, list[str]] = {}
    start = _date(data.get("start"), "start", errors)
    end = _date(data.get("end"), "end", errors)
    team_id = _ref(data.get("team"), "team", cleaning.team_ref, errors)
    owner_id = _ref(data.get("owner"), "owner", _any_user, errors)
    if not errors:
        default_start, default_end = default_period(today)
        if start is None and end is None:
            start, end = default_start, default_end
        elif start is None:
            assert end is not None
            start = end - dt.timedelta(days=DEFAULT_DAYS - 1)
        elif end is None:
            end = max(start, today)
        if end < start:
            errors["end"] = [_("The end of the period must not be before its start.")]
        elif (end - start).days >= MAX_DAYS:
            errors["end"] = [_("Ask for at most %(days)s days at a time.") % {"days": MAX_DAYS}]
    if errors:
        raise ValidationFailed(fields=errors)
    assert start is not None and end is not None
    return PerformanceFilters(start=start, end=end, today=today, team_id=team_id,
                              owner_id=owner_id)


def choice(data: Mapping[str, Any], name: str, allowed, default: str,
           errors: dict[str, list[str]]) -> str:
    value = data.get(name) or default
    if value not in allowed:
        errors[name] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)}]
        return default
    return str(value)


def bounded(data: Mapping[str, Any], name: str, default: int, low: int, high: int,
            errors: dict[str, list[str]]) -> int:
    value = data.get(name)
    if value in (None, ""):
        return default
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or not low <= int(text) <= high:
        errors[name] = [_("Enter a whole number from %(low)s to %(high)s.")
                        % {"low": low, "high": high}]
        return default
    return int(text)


@dataclass(frozen=True)
class PageParams:
    """How the tables are sorted and which page of each client table is shown."""

    client_sort: str = "otif"
    client_offset: int = 0
    repeat_sort: str = "orders"
    repeat_offset: int = 0
    manager_sort: str = "otif"
    limit: int = PAGE_SIZE


def page_params(data: Mapping[str, Any]) -> PageParams:
    """`sort`, `offset`, `repeat_sort`, `repeat_offset`, `manager_sort` and `limit`, or
    ValidationFailed with a message per field."""
    errors: dict[str, list[str]] = {}
    params = PageParams(
        client_sort=choice(data, "sort", list(CLIENT_SORTS), "otif", errors),
        client_offset=bounded(data, "offset", 0, 0, MAX_OFFSET, errors),
        repeat_sort=choice(data, "repeat_sort", list(REPEAT_SORTS), "orders", errors),
        repeat_offset=bounded(data, "repeat_offset", 0, 0, MAX_OFFSET, errors),
        manager_sort=choice(data, "manager_sort", MANAGER_SORTS, "otif", errors),
        limit=bounded(data, "limit", PAGE_SIZE, 1, MAX_LIMIT, errors))
    if errors:
        raise ValidationFailed(fields=errors)
    return params
