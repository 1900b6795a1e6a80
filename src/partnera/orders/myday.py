""""My day" panel of the orders domain: late or incomplete orders.

Open orders with a line past its promised date and not delivered in full (orders.late), the
longest late first, with the day the first missed promise fell on and how many lines are late.

"Me" is the orders the user manages (owner) and, for a department member, the orders naming
their department (logistics, finance: the orders their work needs). "My team" (a head of sales)
is the orders managed by the members of the teams they head, intersected with the orders'
visibility rule (orders.selectors). The day is the user's own.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy

from partnera.core.home import COUNT_CAP, HomePanel, HomeView, PanelList, register_home_panel
from partnera.core.roles import EDITOR_ROLES, Role
from partnera.orders.late import decorate, order_url, with_lateness
from partnera.orders.models import Order
from partnera.orders.selectors import order_queryset

PANEL = "orders.late"


def _mine(view: HomeView) -> QuerySet[Order]:
    user = view.user
    if view.team:
        return order_queryset(user=user).filter(owner_id__in=view.owner_ids)
    mine = Q(owner_id=user.pk)
    if user.role == Role.DEPARTMENT and user.department_id:
        through = Order.departments.through
        mine |= Q(pk__in=through.objects.filter(department_id=user.department_id)
                  .values("order_id"))
    return order_queryset(user=user).filter(mine)


def late_orders(*, view: HomeView) -> PanelList:
    """The late orders of the user (or their team), the longest late first: one query reads
    them up to the count's cap (a person's late orders are few), the panel shows the first."""
    cap = max(COUNT_CAP, view.limit)
    rows: list[Any] = list(with_lateness(_mine(view), view.today)
                           .select_related("company", "owner")[: cap + 1])
    items = rows[: view.limit]
    decorate(items, view.today)
    count, capped = min(len(rows), cap), len(rows) > cap
    see_all = reverse("activities:myday_panel", args=[PANEL])
    return PanelList(items=items, count=count, capped=capped,
                     see_all=see_all + ("?view=team" if view.team else ""))


def order_item(order: Any) -> dict[str, Any]:
    owner = order.owner
    since = getattr(order, "late_since", None)
    return {
        "id": order.pk, "number": order.number, "status": order.status,
        "company": {"id": order.company_id, "name": order.company.legal_name},
        "late_since": since.isoformat() if since else None,
        "days_late": getattr(order, "days_late", None),
        "late_lines": getattr(order, "late_lines", None),
        "owner": None if owner is None else {"id": owner.pk, "username": owner.get_username(),
                                             "name": str(owner)},
        "url": order_url(order.pk),
    }


def _panel(*, user, view: HomeView) -> dict:
    return {"list": late_orders(view=view), "view": view}


def _works_orders(user) -> bool:
    """Salespeople follow their orders; department members the orders naming their department."""
    return bool(user.is_superuser or user.role in EDITOR_ROLES or user.role == Role.DEPARTMENT)


def register_home_panels() -> None:
    register_home_panel(HomePanel(
        name=PANEL, order=25, template="orders/myday/late_orders.html", context=_panel,
        team_view=True, title=gettext_lazy("Late or incomplete orders"), api_item=order_item,
        show_for=_works_orders))
