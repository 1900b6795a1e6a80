"""The statements behind the order performance figures (orders.performance).

Each set of figures is one statement over the orders the user may see:

- delivery: the ORM builds the counted orders with their line aggregates (one row per order: its
  client, manager, latest promised date, lines not on time in full, lines short) — the orders'
  visibility rule, the filters and the counting rule applied there — and one statement groups
  those rows three ways at once: everything, per manager, and one page of clients sorted in SQL;
- repeat orders: the ORM builds the orders received in the period grouped per (manager, client)
  — how many, first and last day — and one statement groups them per client (the page, and the
  count of clients with two or more) and per manager.

The second level of grouping (orders → clients) is what the ORM cannot express (it groups a
query once), hence a `WITH` over its SQL. Both SQLite and PostgreSQL run the same text. Reading
the lines of a period's orders is a large join: PostgreSQL's JIT compiler would spend longer
compiling it (0.2–0.45 s measured) than it saves, so it is off for these statements.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from partnera.clients.models import Company

OTIF = "SUM(CASE WHEN late = 0 THEN 1 ELSE 0 END)"
IN_FULL = "SUM(CASE WHEN short = 0 THEN 1 ELSE 0 END)"
ORDERS = "COUNT(*)"
NAME = "c.legal_name"


def _rate(part: str) -> str:
    return f"1.0 * {part} / {ORDERS}"


# Sorts of the per-client delivery table: key → ORDER BY (ties: more orders, then the name).
CLIENT_SORTS: dict[str, str] = {
    "otif": f"{_rate(OTIF)}, {ORDERS} DESC, {NAME}, p.k_company",
    "-otif": f"{_rate(OTIF)} DESC, {ORDERS} DESC, {NAME}, p.k_company",
    "in_full": f"{_rate(IN_FULL)}, {ORDERS} DESC, {NAME}, p.k_company",
    "-in_full": f"{_rate(IN_FULL)} DESC, {ORDERS} DESC, {NAME}, p.k_company",
    "orders": f"{ORDERS} DESC, {_rate(OTIF)}, {NAME}, p.k_company",
    "name": f"{NAME}, p.k_company",
}
# Sorts of the per-client repeat-order table.
REPEAT_SORTS: dict[str, str] = {
    "orders": f"k.n DESC, k.last_on DESC, {NAME}, k.k_company",
    "last": f"k.last_on DESC, k.n DESC, {NAME}, k.k_company",
    "name": f"{NAME}, k.k_company",
}

BIGINT = "CAST(NULL AS BIGINT)"
TEXT = "CAST(NULL AS VARCHAR(255))"
DATE = "CAST(NULL AS DATE)"


@contextlib.contextmanager
def _statement() -> Iterator[Any]:
    """A cursor for one figures statement (PostgreSQL: without JIT compilation)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")
        yield cursor


def _page(limit: int | None, offset: int) -> tuple[str, list[int]]:
    if limit is None:
        return "", []
    return " LIMIT %s OFFSET %s", [limit, offset]


def _day(value: Any) -> dt.date | None:
    """A date from a raw row (SQLite hands aggregated dates back as text)."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Counts:
    orders: int
    otif: int
    in_full: int


@dataclass
class OtifRows:
    total: Counts
    clients_total: int
    by_owner: dict[int | None, Counts]
    clients: list[tuple[int, str, Counts]]


def otif_rows(per_order: QuerySet, *, sort: str, limit: int | None, offset: int) -> OtifRows:
    """Everything, per manager and one page of clients from the counted orders' rows."""
    inner, params = per_order.query.sql_with_params()
    company = connection.ops.quote_name(Company._meta.db_table)
    order_by = CLIENT_SORTS.get(sort, CLIENT_SORTS["otif"])
    page_sql, page_params = _page(limit, offset)
    # Built from constants, the ORM's own SQL (its values stay parameters) and a sort picked from
    # CLIENT_SORTS: nothing a user typed is pasted into it.
    sql = (
        f"WITH per_order AS ({inner}) "  # noqa: S608
        f"SELECT 0, {BIGINT}, {ORDERS}, {OTIF}, {IN_FULL}, "
        f"(SELECT COUNT(DISTINCT k_company) FROM per_order), {TEXT} FROM per_order "
        f"UNION ALL "
        f"SELECT 1, k_owner, {ORDERS}, {OTIF}, {IN_FULL}, {BIGINT}, {TEXT} "
        f"FROM per_order GROUP BY k_owner "
        f"UNION ALL "
        f"SELECT * FROM (SELECT 2, p.k_company, {ORDERS}, {OTIF}, {IN_FULL}, {BIGINT}, {NAME} "
        f"FROM per_order p JOIN {company} c ON c.id = p.k_company "
        f"GROUP BY p.k_company, {NAME} ORDER BY {order_by}{page_sql}) page"
    )
    total, clients_total = Counts(0, 0, 0), 0
    by_owner: dict[int | None, Counts] = {}
    clients: list[tuple[int, str, Counts]] = []
    with _statement() as cursor:
        cursor.execute(sql, [*params, *page_params])
        for part, key, orders, otif, in_full, groups, name in cursor.fetchall():
            counts = Counts(int(orders or 0), int(otif or 0), int(in_full or 0))
            if part == 0:
                total, clients_total = counts, int(groups or 0)
            elif part == 1:
                by_owner[key] = counts
            else:
                clients.append((key, name, counts))
    return OtifRows(total, clients_total, by_owner, clients)


@dataclass(frozen=True)
class ClientOrders:
    company_id: int
    name: str
    orders: int
    first: dt.date
    last: dt.date


@dataclass
class RepeatRows:
    clients: int
    repeat_clients: int
    by_owner: dict[int | None, tuple[int, int]]  # manager → (clients, with two or more)
    page: list[ClientOrders]


def repeat_rows(per_pair: QuerySet, *, sort: str, limit: int | None, offset: int) -> RepeatRows:
    """Clients ordering (and reordering) overall and per manager, and one page of clients, from
    the orders grouped per (manager, client)."""
    inner, params = per_pair.query.sql_with_params()
    company = connection.ops.quote_name(Company._meta.db_table)
    order_by = REPEAT_SORTS.get(sort, REPEAT_SORTS["orders"])
    page_sql, page_params = _page(limit, offset)
    repeat = "SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END)"
    # As above: constants, the ORM's SQL and a sort picked from REPEAT_SORTS.
    sql = (
        f"WITH pairs AS ({inner}), "  # noqa: S608
        f"clients AS (SELECT k_company, CAST(SUM(n) AS BIGINT) AS n, MIN(first_on) AS first_on, "
        f"MAX(last_on) AS last_on FROM pairs GROUP BY k_company) "
        f"SELECT 0, {BIGINT}, COUNT(*), {repeat}, {DATE}, {DATE}, {TEXT} FROM clients "
        f"UNION ALL "
        f"SELECT 1, k_owner, COUNT(*), {repeat}, {DATE}, {DATE}, {TEXT} FROM pairs GROUP BY k_owner "
        f"UNION ALL "
        f"SELECT * FROM (SELECT 2, k.k_company, k.n, {BIGINT}, k.first_on, k.last_on, {NAME} "
        f"FROM clients k JOIN {company} c ON c.id = k.k_company ORDER BY {order_by}{page_sql}) page"
    )
    result = RepeatRows(0, 0, {}, [])
    with _statement() as cursor:
        cursor.execute(sql, [*params, *page_params])
        for part, key, count, repeated, first, last, name in cursor.fetchall():
            if part == 0:
                result.clients, result.repeat_clients = int(count or 0), int(repeated or 0)
            elif part == 1:
                result.by_owner[key] = (int(count or 0), int(repeated or 0))
            else:
                first_on, last_on = _day(first), _day(last)
                assert first_on is not None and last_on is not None  # a client row has orders
                result.page.append(ClientOrders(key, name, int(count), first_on, last_on))
    return result
