"""Reads of orders, always through the one visibility rule (core.visibility).

An order is seen
- by whoever sees it by its own owner and team (the rule, record type "orders.order"),
- by the owner of its company (an account manager follows every order of their client),
- by the members of the departments the order names (logistics ships it, finance invoices it):
  the department rule below grants them these orders and nothing else of the client,
and only while its company is not deleted (an order lives below its company).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from partnera.core.pagination import Page, bounded_count, keyset_page
from partnera.core.records import get_visible
from partnera.core.visibility import LIVE_COMPANY, NOTHING, below_company_branches, grants_q
from partnera.orders.models import OPEN_STATUSES, Delivery, Order, OrderLine

RECORD_TYPE = "orders.order"


# --- the rule ------------------------------------------------------------------------------------

def department_orders_rule(user, root: str, record_type: str) -> Q:
    """core.visibility department rule: a department member sees the orders naming their
    department — and, through this rule, nothing else (other record types get NOTHING).

    A subquery on the departments' through table (`pk IN (…)`), not a join: a join would repeat an
    order once per department and need DISTINCT in every list."""
    department_id = getattr(user, "department_id", None)
    if record_type != RECORD_TYPE or not department_id:
        return NOTHING
    through = Order.departments.through
    pk_path = "pk" if not root else root[:-2] + "_id"
    return Q(**{f"{pk_path}__in": through.objects.filter(department_id=department_id)
                .values("order_id")})


def order_rule_q(user) -> Q:
    """The rule alone (whether or not the order's company is in the trash)."""
    return grants_q(order_visible_branches(user))


def order_visible_q(user) -> Q:
    """The orders the user may see: by the rule, and only while their company is not deleted."""
    rule = order_rule_q(user)
    return NOTHING if rule is NOTHING else rule & LIVE_COMPANY


def order_visible_branches(user) -> list[Q] | None:
    """The rule's separate grants (for keyset pages walking each grant's own index)."""
    return below_company_branches(user, record_type=RECORD_TYPE)


def order_queryset(*, user) -> QuerySet[Order]:
    """Every live order the user may see (not yet filtered or ordered)."""
    return Order.objects.filter(order_visible_q(user))


def order_get(*, user, pk) -> Order:
    """One visible order, or NotFound (the same answer as for an order that does not exist)."""
    queryset = order_queryset(user=user).select_related(
        "company", "contract", "offer", "owner", "team", "created_by")
    return get_visible(queryset, pk, user=user, company_id_attr="company_id")


@dataclass(frozen=True)
class OrderLinks:
    """Whether the user may see the contract and the offer the order names (a page shows a
    record the user may not see by neither its number nor its title)."""

    contract: bool
    offer: bool


def order_links_seen(user, order: Order) -> OrderLinks:
    """At most two queries (none when the order names neither)."""
    from partnera.contracts.models import Contract
    from partnera.contracts.selectors import contract_visible_q
    from partnera.sales.models import Offer
    from partnera.sales.offers.selectors import offer_visible_q

    contract = bool(order.contract_id and Contract.objects.filter(
        contract_visible_q(user), pk=order.contract_id).exists())
    offer = bool(order.offer_id and Offer.objects.filter(
        offer_visible_q(user), pk=order.offer_id).exists())
    return OrderLinks(contract=contract, offer=offer)


def order_lines(order: Order) -> list[OrderLine]:
    return list(order.lines.select_related("product").order_by("position", "pk"))


def delivery_list(order: Order) -> list[Delivery]:
    """The order's deliveries, newest first, with their lines."""
    return list(order.deliveries.select_related("created_by")
                .prefetch_related("lines__order_line__product")
                .order_by("-delivered_on", "-pk"))


def delivery_get(order: Order, pk) -> Delivery:
    from partnera.core.errors import NotFound

    try:
        return order.deliveries.get(pk=int(pk))
    except (Delivery.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None


# --- the list --------------------------------------------------------------------------------------

ORDER_SORTS = {
    "received": ("received_on", True),
    "created": ("created_at", True),
    "number": ("number", True),
}


@dataclass
class OrderFilters:
    q: str = ""
    status: list[str] = field(default_factory=list)
    company: int | None = None
    owner: list[int] = field(default_factory=list)
    late: bool = False  # an open line past its promised date
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    open_only: bool = False

    def active_count(self) -> int:
        return sum(bool(v) for v in (self.status, self.company, self.owner, self.late,
                                     self.received_from, self.received_to, self.open_only))


def late_lines_q(today: dt.date) -> Q:
    """Order lines not yet complete whose promised date has passed."""
    return Q(completed_on__isnull=True, promised_date__lt=today)


def late_orders_q(today: dt.date | None = None) -> Q:
    """Open orders with at least one incomplete line past its promised date."""
    today = today or timezone.localdate()
    late = OrderLine.objects.filter(late_lines_q(today), order_id=OuterRef("pk"))
    return Q(status__in=OPEN_STATUSES) & Q(Exists(late))


def _contains(field_name: str, value: str) -> Q:
    value = value.replace("\x00", "")
    return Q(**{f"{field_name}__iregex": re.escape(value)})


def order_filter(qs: QuerySet[Order], f: OrderFilters) -> QuerySet[Order]:
    if f.q:
        for word in f.q.split()[:5]:
            qs = qs.filter(_contains("number", word) | _contains("client_reference", word)
                           | _contains("company__legal_name", word))
    if f.status:
        qs = qs.filter(status__in=f.status)
    if f.open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if f.company:
        qs = qs.filter(company_id=f.company)
    if f.owner:
        qs = qs.filter(owner_id__in=f.owner)
    if f.late:
        qs = qs.filter(late_orders_q())
    if f.received_from:
        qs = qs.filter(received_on__gte=f.received_from)
    if f.received_to:
        qs = qs.filter(received_on__lte=f.received_to)
    return qs


def order_list(*, user, filters: OrderFilters | None = None) -> QuerySet[Order]:
    return order_filter(order_queryset(user=user), filters or OrderFilters())


def order_page(*, user, filters: OrderFilters | None = None, sort: str = "received",
               cursor: str | None = None, size: int = 50) -> Page:
    """One page of the orders the user may see: a fixed number of queries whatever its size."""
    field_name, descending = ORDER_SORTS.get(sort, ORDER_SORTS["received"])
    qs = order_list(user=user, filters=filters).select_related("company", "owner")
    page = keyset_page(qs, field=field_name, descending=descending, cursor=cursor, size=size,
                       branches=order_visible_branches(user))
    mark_late(page.items)
    return page


def order_count(*, user, filters: OrderFilters | None = None) -> tuple[int, bool]:
    return bounded_count(order_list(user=user, filters=filters),
                         branches=order_visible_branches(user))


def mark_late(orders: list[Order], today: dt.date | None = None) -> None:
    """Set `is_late` on each order (one query for the whole list)."""
    today = today or timezone.localdate()
    open_ids = [o.pk for o in orders if o.status in OPEN_STATUSES]
    late = set(OrderLine.objects.filter(late_lines_q(today), order_id__in=open_ids).order_by()
               .values_list("order_id", flat=True).distinct()) if open_ids else set()
    for order in orders:
        order.is_late = order.pk in late  # type: ignore[attr-defined]


def company_orders(*, user, company_id: int, limit: int = 20) -> list[Order]:
    """The latest orders of a company that the user may see (the company page panel)."""
    orders = list(order_queryset(user=user).filter(company_id=company_id)
                  .select_related("owner").order_by("-received_on", "-pk")[:limit])
    mark_late(orders)
    return orders

