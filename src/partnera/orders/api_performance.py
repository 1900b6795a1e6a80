"""REST API of order performance (mounted in config/api_urls.py):

- `GET /orders/performance?start=&end=&team=&owner=&sort=&offset=&repeat_sort=&repeat_offset=
  &manager_sort=&limit=` — the OTIF, on-time, in-full and repeat-order figures of the orders the
  caller may see: overall, per account manager, and one page of each client table; the same
  figures as /orders/performance/ (orders.performance). A bad date, an unknown team or manager,
  a period over five years, an unknown sort or parameter is a 400 naming the field.
"""

from __future__ import annotations

import datetime as dt

from ninja import Query, Router, Schema
from pydantic import Field

from partnera.core.api import QuerySchema, Ref
from partnera.core.timezones import user_zone
from partnera.orders import performance as perf

router = Router(tags=["orders"])


class PerformanceQuery(QuerySchema):
    # Text, parsed by orders.performance: its messages name the field (as on the web page).
    start: str = Field("", max_length=40, description="First day (YYYY-MM-DD); default: 89 days "
                                                      "before `end`, or the last 90 days.")
    end: str = Field("", max_length=40, description="Last day (YYYY-MM-DD), at most five years "
                                                    "after `start`; default: today.")
    team: str = Field("", max_length=20, description="Only the orders of this team (id).")
    owner: str = Field("", max_length=20, description="Only the orders of this account manager "
                                                      "(user id).")
    sort: str = Field("", max_length=20, description="Clients' delivery table: otif (lowest "
                      "first, the default), -otif, in_full, -in_full, orders, name.")
    offset: str = Field("", max_length=10, description="Clients skipped in that table.")
    repeat_sort: str = Field("", max_length=20, description="Clients' orders table: orders (most "
                             "first, the default), last (latest order first), name.")
    repeat_offset: str = Field("", max_length=10, description="Clients skipped in that table.")
    manager_sort: str = Field("", max_length=20, description="Managers: otif, -otif, in_full, "
                              "-in_full, repeat, -repeat, orders, name.")
    limit: str = Field("", max_length=10, description="Rows per client table (1–200, default 25).")


class DeliveryFiguresOut(Schema):
    orders: int = Field(description="Orders counted: latest promised date in the period, "
                                    "delivered or closed or already due; never cancelled ones.")
    otif: int = Field(description="Of those, on time in full: every line complete by its "
                                  "promised date.")
    on_time: int
    in_full: int = Field(description="Every line delivered in full, at any time.")
    otif_rate: float | None = Field(description="Percent, one decimal; null when none counted.")
    on_time_rate: float | None
    in_full_rate: float | None


class RepeatOut(Schema):
    clients: int = Field(description="Clients with an order (not cancelled) received in the "
                                     "period.")
    repeat_clients: int = Field(description="Of those, clients with two or more.")
    rate: float | None


class ManagerOut(Schema):
    manager: Ref | None = Field(description="Null for orders without an account manager.")
    delivery: DeliveryFiguresOut
    repeat: RepeatOut


class ClientDeliveryOut(Schema):
    client: Ref
    delivery: DeliveryFiguresOut


class ClientOrdersOut(Schema):
    client: Ref
    orders: int
    first_order: dt.date
    last_order: dt.date
    average_days_between: float | None


class PageOut(Schema):
    total: int
    offset: int
    limit: int
    sort: str


class ClientDeliveryPage(PageOut):
    items: list[ClientDeliveryOut]


class ClientOrdersPage(PageOut):
    items: list[ClientOrdersOut]


class PerformanceOut(Schema):
    start: dt.date
    end: dt.date
    today: dt.date = Field(description="The day “already due” is measured against, in your "
                                       "time zone.")
    team: int | None
    owner: int | None
    delivery: DeliveryFiguresOut
    repeat: RepeatOut
    managers: list[ManagerOut]
    clients: ClientDeliveryPage
    client_orders: ClientOrdersPage


def _delivery(o: perf.Otif) -> dict:
    return {"orders": o.orders, "otif": o.otif, "on_time": o.on_time, "in_full": o.in_full,
            "otif_rate": o.otif_rate, "on_time_rate": o.on_time_rate,
            "in_full_rate": o.in_full_rate}


def _repeat(r: perf.Repeat) -> dict:
    return {"clients": r.clients, "repeat_clients": r.repeat_clients, "rate": r.rate}


def _page(p: perf.Paged) -> dict:
    return {"total": p.total, "offset": p.offset, "limit": p.limit, "sort": p.sort}


@router.get("/orders/performance", response=PerformanceOut)
def order_performance(request, query: Query[PerformanceQuery]):
    """Delivery (OTIF, on time, in full) and repeat-order figures of the orders you may see."""
    user = request.auth
    today = dt.datetime.now(dt.UTC).astimezone(user_zone(user)).date()
    data = {k: v for k, v in query.dict().items() if v != ""}
    filters = perf.performance_filters(data, today=today)
    params = perf.page_params(data)
    figures = perf.performance(user=user, filters=filters, params=params)
    assert figures.clients is not None and figures.repeat_clients is not None
    return {
        "start": filters.start, "end": filters.end, "today": today, "team": filters.team_id,
        "owner": filters.owner_id, "delivery": _delivery(figures.otif),
        "repeat": _repeat(figures.repeat),
        "managers": [{"manager": None if m.owner is None else {"id": m.owner.pk, "name": m.name},
                      "delivery": _delivery(m.otif), "repeat": _repeat(m.repeat)}
                     for m in figures.managers],
        "clients": {**_page(figures.clients), "items": [
            {"client": {"id": c.company_id, "name": c.name}, "delivery": _delivery(c.figures)}
            for c in figures.clients.rows]},
        "client_orders": {**_page(figures.repeat_clients), "items": [
            {"client": {"id": c.company_id, "name": c.name}, "orders": c.orders,
             "first_order": c.first, "last_order": c.last,
             "average_days_between": c.average_days} for c in figures.repeat_clients.rows]},
    }
