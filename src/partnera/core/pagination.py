"""Keyset pagination and bounded counts: lists stay fast at a million rows.

OFFSET pagination reads and throws away every row before the page; a keyset page starts from
the last row seen, `(sort_value, id) > (last_value, last_id)`, through the same index that
orders the list, so page 10,000 costs what page 1 costs.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connections
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

COUNT_CAP = 1000
MAX_PK = 2**63 - 1


@dataclass
class Page:
    items: list
    next_cursor: str | None
    prev_cursor: str | None
    has_next: bool
    has_prev: bool


def _encode(value: Any, pk: int, backwards: bool = False) -> str:
    if isinstance(value, dt.datetime):
        value = {"dt": value.isoformat()}
    elif isinstance(value, dt.date):  # a date sort field: its DateField reads the text back
        value = value.isoformat()
    raw = json.dumps([value, pk, backwards], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# A date or time in a cursor outside these years did not come from a page (and year 1 with an
# offset, or 9999, overflows when the database adapter converts it): the cursor is invalid.
FIRST_YEAR, LAST_YEAR = 1900, 2999


def _in_range(value: Any) -> bool:
    """False for a date or datetime (aware or naive) outside FIRST_YEAR–LAST_YEAR, and for a
    string that a date or datetime field would read as one; True for anything else."""
    if isinstance(value, str):
        try:
            value = parse_datetime(value) or parse_date(value)
        except ValueError:
            return True  # not a date: the sort field judges it (see _position)
    if isinstance(value, dt.date):  # datetime is a date too
        return FIRST_YEAR <= value.year <= LAST_YEAR
    return True


def _decode(cursor: str) -> tuple[Any, int, bool] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk, backwards = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if isinstance(value, dict) and "dt" in value:
            value = dt.datetime.fromisoformat(value["dt"])
        if not isinstance(pk, int) or not isinstance(backwards, bool):
            return None
        if value is not None and not isinstance(value, str | int | float | dt.datetime):
            return None
        if not _in_range(value):
            return None
        return value, pk, backwards
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError, OverflowError):
        return None


def _position(qs: QuerySet, field: str, decoded: tuple[Any, int, bool] | None):
    """A decoded cursor checked against the sort field, or None (start from the beginning).

    Cursors come from URLs: a value of the wrong kind, a NUL byte PostgreSQL refuses, an id out
    of the 64-bit range or a null value must mean "first page", never a server error. (Sort
    fields are never null, so a null value cannot come from a real page.)
    """
    if decoded is None:
        return None
    value, pk, backwards = decoded
    if value is None or isinstance(pk, bool) or not -MAX_PK <= pk <= MAX_PK:
        return None
    if isinstance(value, str) and "\x00" in value:
        return None
    try:
        model_field = qs.model._meta.get_field(field)
    except FieldDoesNotExist:
        model_field = None
    if model_field is not None:
        try:
            value = model_field.to_python(value)
        except (ValidationError, TypeError, ValueError):
            return None
        if value is None:
            return None
    if not _in_range(value):
        return None
    if isinstance(value, dt.datetime) and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value, pk, backwards


def cursor_for(value: Any, pk: int) -> str:
    """The cursor of the page that starts after the row (value, pk)."""
    return _encode(value, pk)


def is_valid_cursor(cursor: str) -> bool:
    """Whether a cursor came from `keyset_page` (the API refuses others instead of restarting).
    A date or time out of range is refused here as in `_position` (which the page reads)."""
    return _decode(cursor) is not None


@dataclass(frozen=True)
class Walk:
    """Another way to gather a page: walk `qs` — the list without its costly condition, e.g.
    contacts without the join that checks their company's visibility — in its index order,
    a chunk at a time, keeping the rows `keep` returns (one query per chunk), until the page is
    full. Cheap whatever the size of the table while a fair share of the rows is kept; when
    `max_rows` rows gave too few, the page comes from the list's own query instead (the
    database then starts from the few rows the condition allows)."""

    qs: QuerySet
    keep: Callable[[list], list]
    max_rows: int = 4000


def _after(qs: QuerySet, field: str, walk_desc: bool, value: Any, pk: int) -> QuerySet:
    """The rows after (value, pk) in the walking order."""
    op = "lt" if walk_desc else "gt"
    # The leading `>=` (or `<=`) bound gives the index a range to start from; the OR alone
    # makes PostgreSQL scan from the beginning of the index.
    qs = qs.filter(Q(**{f"{field}__{op}e": value}))
    after = _row_after(qs, field, walk_desc, value, pk)
    if after is not None:
        return qs.filter(after)
    return qs.filter(Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": pk}))


def _row_after(qs: QuerySet, field: str, walk_desc: bool, value: Any, pk: int) -> RawSQL | None:
    """`(field, id) > (value, pk)` as one row comparison, for a column of the list's own table.

    Both engines start an index on (field, id) right at the position: with the OR above they
    start at the first row equal to `value` and read every one of them before the cursor — tens
    of thousands deep into a common surname ("Петрова") in a list of two million people."""
    try:
        model_field = qs.model._meta.get_field(field)
    except FieldDoesNotExist:
        return None
    if (field in qs.query.annotations or not getattr(model_field, "concrete", False)
            or model_field.is_relation):
        return None
    connection = connections[qs.db]
    quote = connection.ops.quote_name
    table = quote(qs.model._meta.db_table)
    columns = f"{table}.{quote(model_field.column)}, {table}.{quote(qs.model._meta.pk.column)}"
    bound = model_field.get_db_prep_value(value, connection, prepared=False)
    op = "<" if walk_desc else ">"
    return RawSQL(f"({columns}) {op} (%s, %s)", (bound, pk), output_field=BooleanField())  # noqa: S611 (quoted names, values bound)


def _walked(walk: Walk, field: str, walk_desc: bool, want: int) -> list | None:
    kept: list = []
    scanned, chunk, qs = 0, want, walk.qs
    while scanned < walk.max_rows:
        rows = list(qs[:chunk])
        scanned += len(rows)
        kept.extend(walk.keep(rows))
        if len(kept) >= want or len(rows) < chunk:
            return kept[:want]
        qs = _after(walk.qs, field, walk_desc, getattr(rows[-1], field), rows[-1].pk)
        chunk = min(chunk * 4, 1000)
    return None


def keyset_page(qs: QuerySet, *, field: str, descending: bool, cursor: str | None,
                size: int, branches: list[Q] | None = None, walk: Walk | None = None) -> Page:
    """One page of `qs` ordered by (`field`, id). An invalid cursor starts from the beginning.

    `branches` (the separate grants of the visibility rule, already applied to `qs` as one OR)
    lets each grant walk its own index: the page's rows are the first of the union of each
    grant's first `size + 1`, so an OR that covers most of the table never sorts all of it.
    `walk` (see Walk) gathers the page without `qs`'s costly condition while that is cheaper.
    """
    decoded = _position(qs, field, _decode(cursor) if cursor else None)
    backwards = bool(decoded and decoded[2])
    forward_desc = descending
    walk_desc = forward_desc != backwards
    order = [f"-{field}", "-pk"] if walk_desc else [field, "pk"]
    rows: list | None = None
    if walk is not None:
        walk_qs = walk.qs.order_by(*order)
        if decoded:
            walk_qs = _after(walk_qs, field, walk_desc, decoded[0], decoded[1])
        rows = _walked(Walk(walk_qs, walk.keep, walk.max_rows), field, walk_desc, size + 1)
    if decoded:
        qs = _after(qs, field, walk_desc, decoded[0], decoded[1])
    qs = qs.order_by(*order)
    if rows is None and branches:
        keys: set[int] = set()
        for branch in branches:
            keys.update(qs.filter(branch).values_list("pk", flat=True)[: size + 1])
        qs = qs.filter(pk__in=keys)
    if rows is None:
        rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    has_next = more if not backwards else True
    has_prev = (decoded is not None) if not backwards else more
    next_cursor = _encode(getattr(rows[-1], field), rows[-1].pk) if rows and has_next else None
    prev_cursor = (_encode(getattr(rows[0], field), rows[0].pk, backwards=True)
                   if rows and has_prev else None)
    return Page(rows, next_cursor, prev_cursor, has_next, has_prev)


def bounded_count(qs: QuerySet, cap: int = COUNT_CAP,
                  branches: list[Q] | None = None) -> tuple[int, bool]:
    """How many rows, counting at most `cap`: (count, more_than_cap).

    With `branches` (the grants of the visibility rule, see keyset_page) each grant is counted
    through its own index and the ids are merged: a filter that leaves few rows would otherwise
    make the one OR scan the whole table to find out there are few."""
    if branches:
        keys: set[int] = set()
        for branch in branches:
            keys.update(qs.order_by().filter(branch).values_list("pk", flat=True)[: cap + 1])
            if len(keys) > cap:
                break
        n = len(keys)
    else:
        n = qs.order_by()[: cap + 1].count()
    return min(n, cap), n > cap
