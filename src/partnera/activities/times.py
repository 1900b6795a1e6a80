"""Times of activities and reminders: the zone a user reads them in, and how a date and time from
a form, the API or code becomes an aware UTC datetime.

An aware datetime or an ISO 8601 text with an offset is taken as it is; a naive one (a form's
"2026-03-10T10:00", an API call without an offset) is read in the acting user's zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from partnera.core import cleaning

# A form filled in a minute ago still means "now": a little slack for "in the past" checks.
SLACK = dt.timedelta(minutes=1)
INPUT_FORMATS = ("%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y, %H:%M")


def parse_moment(value: Any, zone: dt.tzinfo) -> dt.datetime | None:
    """A date and time from a form, the API or code (None when empty); a naive one is read in
    `zone`."""
    if value in (None, ""):
        return None
    return moment_from(value, zone)


def moment_from(value: Any, zone: dt.tzinfo) -> dt.datetime:
    """Like `parse_moment`, for a value that must be given: an empty one is an error."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        raw = cleaning.text(value)
        parsed: dt.datetime | None = None
        if "T" in raw or ":" in raw:
            try:
                parsed = dt.datetime.fromisoformat(raw.replace("z", "Z"))
            except ValueError:
                parsed = None
            for fmt in INPUT_FORMATS if parsed is None else ():
                try:
                    parsed = dt.datetime.strptime(raw, fmt)
                    break
                except ValueError:
                    continue
        if parsed is None:
            raise ValidationError(_("Enter a date and time, e.g. 2026-03-10 10:00."), code="invalid")
        moment = parsed
    else:
        raise ValidationError(_("Enter a date and time, e.g. 2026-03-10 10:00."), code="type")
    if not 1900 < moment.year < 2200:
        raise ValidationError(_("Enter a date between 1901 and 2199."), code="range")
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dt.UTC)


def moment_cleaner(zone: dt.tzinfo) -> Callable[[Any], dt.datetime | None]:
    """A `cleaning.clean_into` cleaner reading times in `zone`."""
    def clean(value: Any) -> dt.datetime | None:
        return parse_moment(value, zone)
    return clean
