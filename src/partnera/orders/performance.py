"""Delivery performance (on time in full) and repeat orders: the figures of /orders/performance/,
of GET /api/v1/orders/performance and of the company page's record panel.

Definitions (also in docs/user-guide.md, "Order performance"):

- A line is **in full** when its delivered quantity reached the ordered quantity (at any time);
  **on time** when it was complete by its promised date (`completed_on <= promised_date`); **on
  time in full (OTIF)** when it was complete (`completed_on` set) no later than its promised date.
  The delivery services keep `delivered_quantity` and `completed_on` (the day the delivered
  quantity reached the ordered one), so a line is complete only once in full: for a line, on time
  and OTIF coincide; in full alone also counts a line completed late.
- An **order** is OTIF (on time, in full) when every one of its lines is.
- The orders **counted** for a period are those whose latest promised date falls in the period
  and that are either complete (delivered or closed) or already due (latest promised date before
  today). Cancelled and deleted orders, orders without lines and orders of a client in the trash
  never count.
- The **rates** are the shares of the counted orders that are OTIF, on time and in full, for the
  whole set, per client and per account manager (the order's owner), for a period (default: the
  last 90 days, today included) and optionally one team or one account manager.
- **Repeat-order rate** (the mission's measure of success): among the clients with at least one
  order (not cancelled) received in the period, the share with two or more. Per account manager:
  among the clients of the orders they own in the period, the share with two or more of them. Per
  client: the orders received in the period, the first and last order date and the average days
  between orders ((last − first) / (orders − 1)).

Every figure is one SQL aggregate (one query per table, plus a count for a paged one), over the
orders the user may see through the orders' one visibility rule (`orders.selectors`): an account
manager reads their own figures, a head of sales their teams', an administrator everything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Max, Min, Q, QuerySet

from partnera.orders import performance_sql as sql
from partnera.orders.models import Order, OrderLine, OrderStatus
from partnera.orders.performance_filters import (  # the filters, also for the page and the API
    MANAGER_SORTS,
    PAGE_SIZE,
    PageParams,
    PerformanceFilters,
    percent,
)
from partnera.orders.performance_filters import default_period as default_period
from partnera.orders.performance_filters import page_params as page_params
from partnera.orders.performance_filters import performance_filters as performance_filters
from partnera.orders.selectors import order_queryset

COMPLETE = (OrderStatus.DELIVERED, OrderStatus.CLOSED)


# --- the orders counted ---------------------------------------------------------------------------

def filtered_orders(user, f: PerformanceFilters) -> QuerySet[Order]:
    """The orders the user may see (the orders' one visibility rule), not cancelled, narrowed to
    the team and the account manager asked for."""
    qs = order_queryset(user=user).exclude(status=OrderStatus.CANCELLED)
    if f.team_id:
        qs = qs.filter(team_id=f.team_id)
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    return qs


# A line not on time in full: not complete, or completed after its promised date. A short line:
# less delivered than ordered.
NOT_OTIF_LINE = Q(lines__completed_on__isnull=True) | Q(lines__completed_on__gt=F("lines__promised_date"))
SHORT_LINE = Q(lines__delivered_quantity__lt=F("lines__quantity"))


def per_order(*, user, filters: PerformanceFilters, company_id: int | None = None) -> QuerySet:
    """One row per counted order: its client, manager, latest promised date and how many of its
    lines are not on time in full (`late`) and short (`short`).

    Only orders with a line promised in the period are read (through the promised-date index);
    their latest promise must fall in the period, and they must be complete or already due."""
    f = filters
    in_period = OrderLine.objects.filter(promised_date__range=(f.start, f.end)).values("order_id")
    qs = filtered_orders(user, f).filter(pk__in=in_period)
    if company_id is not None:
        qs = qs.filter(company_id=company_id)
    return (qs.values(k_order=F("pk"), k_company=F("company_id"), k_owner=F("owner_id"),
                      k_status=F("status"))
            .annotate(latest=Max("lines__promised_date"),
                      late=Count("lines__pk", filter=NOT_OTIF_LINE),
                      short=Count("lines__pk", filter=SHORT_LINE))
            .filter(latest__lte=f.end)
            .filter(Q(k_status__in=COMPLETE) | Q(latest__lt=f.today))
            .order_by())


def counted_order_ids(*, user, filters: PerformanceFilters) -> list[int]:
    """The ids of the orders counted in the period (for checks and tests)."""
    return sorted(row["k_order"] for row in per_order(user=user, filters=filters))


@dataclass(frozen=True)
class Otif:
    """Delivery figures of a set of orders."""

    orders: int
    otif: int
    in_full: int

    @property
    def on_time(self) -> int:
        return self.otif  # a line is complete only once in full (see the definitions above)

    @property
    def otif_rate(self) -> float | None:
        return percent(self.otif, self.orders)

    @property
    def on_time_rate(self) -> float | None:
        return percent(self.on_time, self.orders)

    @property
    def in_full_rate(self) -> float | None:
        return percent(self.in_full, self.orders)

    @classmethod
    def of(cls, counts: sql.Counts) -> Otif:
        return cls(counts.orders, counts.otif, counts.in_full)


NO_ORDERS = Otif(0, 0, 0)


@dataclass
class Paged:
    rows: list
    total: int
    offset: int
    limit: int
    sort: str

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.rows) < self.total

    @property
    def has_prev(self) -> bool:
        return self.offset > 0

    @property
    def next_offset(self) -> int:
        return self.offset + self.limit

    @property
    def first_number(self) -> int:
        return self.offset + 1

    @property
    def last_number(self) -> int:
        return self.offset + len(self.rows)

    @property
    def prev_offset(self) -> int:
        return max(0, self.offset - self.limit)


@dataclass(frozen=True)
class ClientOtif:
    company_id: int
    name: str
    figures: Otif


@dataclass
class OtifFigures:
    total: Otif
    by_owner: dict[int | None, Otif]
    clients: Paged


def otif_figures(*, user, filters: PerformanceFilters, sort: str = "otif", offset: int = 0,
                 limit: int | None = PAGE_SIZE, company_id: int | None = None) -> OtifFigures:
    """The OTIF, on-time and in-full figures of every counted order, per account manager, and
    one page of clients sorted by `sort` (CLIENT_SORTS; `limit=None`: every client) — one
    statement."""
    rows = sql.otif_rows(per_order(user=user, filters=filters, company_id=company_id),
                         sort=sort, limit=limit, offset=offset)
    clients = [ClientOtif(pk, name, Otif.of(c)) for pk, name, c in rows.clients]
    return OtifFigures(
        total=Otif.of(rows.total),
        by_owner={owner: Otif.of(c) for owner, c in rows.by_owner.items()},
        clients=Paged(clients, rows.clients_total, offset, limit or len(clients), sort))


def otif_totals(*, user, filters: PerformanceFilters) -> Otif:
    return otif_figures(user=user, filters=filters, limit=0).total


# --- repeat orders -----------------------------------------------------------------------------------

def ordering_orders(*, user, filters: PerformanceFilters) -> QuerySet[Order]:
    """The orders received in the period (not cancelled) that the user may see."""
    return filtered_orders(user, filters).filter(received_on__range=(filters.start, filters.end))


def per_pair(*, user, filters: PerformanceFilters, company_id: int | None = None) -> QuerySet:
    """The orders received in the period per (manager, client): how many, first and last day."""
    qs = ordering_orders(user=user, filters=filters)
    if company_id is not None:
        qs = qs.filter(company_id=company_id)
    return (qs.values(k_owner=F("owner_id"), k_company=F("company_id"))
            .annotate(n=Count("pk"), first_on=Min("received_on"), last_on=Max("received_on"))
            .order_by())


@dataclass(frozen=True)
class Repeat:
    clients: int
    repeat_clients: int

    @property
    def rate(self) -> float | None:
        return percent(self.repeat_clients, self.clients)


@dataclass(frozen=True)
class ClientRepeat:
    company_id: int
    name: str
    orders: int
    first: dt.date
    last: dt.date

    @property
    def average_days(self) -> float | None:
        """Average days between the client's orders in the period (None below two orders)."""
        if self.orders < 2:
            return None
        return round((self.last - self.first).days / (self.orders - 1), 1)


@dataclass
class RepeatFigures:
    total: Repeat
    by_owner: dict[int | None, Repeat]
    clients: Paged


def repeat_figures(*, user, filters: PerformanceFilters, sort: str = "orders", offset: int = 0,
                   limit: int | None = PAGE_SIZE, company_id: int | None = None) -> RepeatFigures:
    """The repeat-order rate overall and per account manager, and one page of clients (orders in
    the period, first and last order, average days between orders) — one statement."""
    rows = sql.repeat_rows(per_pair(user=user, filters=filters, company_id=company_id), sort=sort,
                           limit=limit, offset=offset)
    clients = [ClientRepeat(c.company_id, c.name, c.orders, c.first, c.last) for c in rows.page]
    return RepeatFigures(
        total=Repeat(rows.clients, rows.repeat_clients),
        by_owner={owner: Repeat(*pair) for owner, pair in rows.by_owner.items()},
        clients=Paged(clients, rows.clients, offset, limit or len(clients), sort))


def repeat_totals(*, user, filters: PerformanceFilters) -> Repeat:
    return repeat_figures(user=user, filters=filters, limit=0).total


# --- per manager -----------------------------------------------------------------------------------

@dataclass
class ManagerRow:
    owner: Any  # a User, or None for orders without an account manager
    otif: Otif
    repeat: Repeat

    @property
    def name(self) -> str:
        return str(self.owner) if self.owner is not None else ""


def _manager_key(sort: str):
    field_name = sort.lstrip("-")
    descending = sort.startswith("-")

    def rate(value: float | None) -> tuple[bool, float]:
        # Rows without a figure go last either way.
        return (value is None, -(value or 0.0) if descending else (value or 0.0))

    def key(row: ManagerRow) -> tuple:
        if field_name == "name":
            primary: tuple = (row.owner is None, row.name.casefold())
        elif field_name == "orders":
            primary = (-row.otif.orders,)
        elif field_name == "repeat":
            primary = rate(row.repeat.rate)
        elif field_name == "in_full":
            primary = rate(row.otif.in_full_rate)
        else:
            primary = rate(row.otif.otif_rate)
        return (*primary, -row.otif.orders, row.name.casefold(), getattr(row.owner, "pk", 0))

    return key


def manager_rows(otif: dict[int | None, Otif], repeat: dict[int | None, Repeat], *,
                 sort: str = "otif") -> list[ManagerRow]:
    """Every account manager with counted orders or orders in the period, with both sets of
    figures (one query for their names), sorted (a short list: sorted here)."""
    from partnera.people.models import User

    ids = set(otif) | set(repeat)
    users = User.objects.in_bulk([pk for pk in ids if pk is not None])
    rows = [ManagerRow(users.get(pk) if pk is not None else None, otif.get(pk, NO_ORDERS),
                       repeat.get(pk, Repeat(0, 0))) for pk in ids]
    rows.sort(key=_manager_key(sort if sort in MANAGER_SORTS else "otif"))
    return rows


# --- everything the page and the API show -----------------------------------------------------------

@dataclass
class Performance:
    filters: PerformanceFilters
    otif: Otif
    repeat: Repeat
    managers: list[ManagerRow] = field(default_factory=list)
    clients: Paged | None = None
    repeat_clients: Paged | None = None


def performance(*, user, filters: PerformanceFilters,
                params: PageParams | None = None) -> Performance:
    """The headline figures, the managers' table and one page of each client table: two
    statements and one read of the managers' names."""
    p = params or PageParams()
    otif = otif_figures(user=user, filters=filters, sort=p.client_sort, offset=p.client_offset,
                        limit=p.limit)
    repeat = repeat_figures(user=user, filters=filters, sort=p.repeat_sort,
                            offset=p.repeat_offset, limit=p.limit)
    return Performance(filters=filters, otif=otif.total, repeat=repeat.total,
                       managers=manager_rows(otif.by_owner, repeat.by_owner, sort=p.manager_sort),
                       clients=otif.clients, repeat_clients=repeat.clients)


@dataclass(frozen=True)
class ClientRow:
    """One client's row of the export: delivery and repeat-order figures together."""

    company_id: int
    name: str
    otif: Otif
    orders: int
    first: dt.date | None
    last: dt.date | None
    average_days: float | None


def all_clients(*, user, filters: PerformanceFilters) -> list[ClientRow]:
    """Every client with counted orders or orders in the period, by name (the export)."""
    otif = otif_figures(user=user, filters=filters, sort="name", limit=None).clients.rows
    repeat = {c.company_id: c for c in
              repeat_figures(user=user, filters=filters, sort="name", limit=None).clients.rows}
    names = {c.company_id: c.name for c in otif} | {pk: c.name for pk, c in repeat.items()}
    by_client = {c.company_id: c.figures for c in otif}
    rows = []
    for pk, name in names.items():
        r = repeat.get(pk)
        rows.append(ClientRow(pk, name, by_client.get(pk, NO_ORDERS), r.orders if r else 0,
                              r.first if r else None, r.last if r else None,
                              r.average_days if r else None))
    rows.sort(key=lambda row: (row.name.casefold(), row.company_id))
    return rows


def company_figures(*, user, company_id: int,
                    filters: PerformanceFilters) -> tuple[Otif, ClientRepeat | None]:
    """One client's delivery figures and orders in the period (the company page's panel)."""
    otif = otif_figures(user=user, filters=filters, company_id=company_id, limit=0).total
    repeat = repeat_figures(user=user, filters=filters, company_id=company_id, limit=1).clients
    return otif, (repeat.rows[0] if repeat.rows else None)
