""""My day" panels of contracts.

- "Contract obligations due": open obligations overdue or due within the next 7 days that the
  user answers for (assigned to them, or to their department), earliest first; in the team view
  (a head of sales) those assigned to the members of the teams they head;
- "Contracts to renew": active contracts whose notice must be given within 30 days or that end
  within 60 days, for their owner (or the team's members in the team view), soonest first.

Both read only contracts the user may see (contracts.selectors), of live companies.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy

from partnera.contracts.models import Contract, Obligation, ObligationStatus
from partnera.contracts.permissions import is_editor
from partnera.contracts.selectors import assigned_q, contract_queryset, renew_q
from partnera.core.home import HomePanel, HomeView, PanelList, panel_list, register_home_panel

DUE_AHEAD_DAYS = 7


def _see_all(panel: str, view: HomeView) -> str:
    url = reverse("activities:myday_panel", args=[panel])
    return url + ("?view=team" if view.team else "")


def contract_url(pk: int) -> str:
    return reverse("contracts:contract_detail", args=[pk])


def obligations_due_q(view: HomeView) -> QuerySet[Obligation]:
    qs = Obligation.objects.filter(
        status=ObligationStatus.OPEN,
        due_date__lte=view.today + dt.timedelta(days=DUE_AHEAD_DAYS),
        contract__in=contract_queryset(user=view.user).values("pk"))
    qs = qs.filter(owner_id__in=view.owner_ids) if view.team else qs.filter(assigned_q(view.user))
    return qs.select_related("contract", "contract__company", "owner", "department").order_by(
        "due_date", "pk")


def obligations_due(*, view: HomeView) -> PanelList:
    result = panel_list(obligations_due_q(view), view=view,
                        see_all=_see_all("contracts.obligations_due", view))
    for obligation in result.items:
        obligation.url = contract_url(obligation.contract_id) + "#obligations"
        obligation.overdue = obligation.due_date < view.today
    return result


def to_renew_q(view: HomeView) -> QuerySet[Contract]:
    qs = contract_queryset(user=view.user).filter(renew_q(view.today))
    qs = qs.filter(owner_id__in=view.owner_ids) if view.team else qs.filter(owner_id=view.user.pk)
    # The notice date comes first (end − notice period): the soonest decision first.
    return qs.select_related("company", "owner").order_by("notice_date", "end_date", "pk")


def to_renew(*, view: HomeView) -> PanelList:
    result = panel_list(to_renew_q(view), view=view, see_all=_see_all("contracts.to_renew", view))
    for contract in result.items:
        contract.url = contract_url(contract.pk)
        contract.notice_passed = bool(contract.notice_date and contract.notice_date < view.today)
    return result


# --- panels ---------------------------------------------------------------------------------------

def _user_out(user) -> dict | None:
    return None if user is None else {"id": user.pk, "username": user.get_username(),
                                      "name": str(user)}


def obligation_item(o: Obligation) -> dict[str, Any]:
    return {
        "id": o.pk, "title": o.title, "due_date": o.due_date.isoformat(),
        "overdue": getattr(o, "overdue", False), "is_milestone": o.is_milestone,
        "contract": {"id": o.contract_id, "number": o.contract.number, "title": o.contract.title},
        "company": {"id": o.contract.company_id, "name": o.contract.company.legal_name},
        "owner": _user_out(o.owner),
        "department": {"id": o.department_id, "name": o.department.name} if o.department else None,
        "url": getattr(o, "url", contract_url(o.contract_id)),
    }


def contract_item(c: Contract) -> dict[str, Any]:
    return {
        "id": c.pk, "number": c.number, "title": c.title,
        "company": {"id": c.company_id, "name": c.company.legal_name},
        "end_date": c.end_date.isoformat() if c.end_date else None,
        "notice_date": c.notice_date.isoformat() if c.notice_date else None,
        "auto_renew": c.auto_renew, "owner": _user_out(c.owner), "url": contract_url(c.pk),
    }


def _obligations_panel(*, user, view: HomeView) -> dict:
    return {"list": obligations_due(view=view), "view": view}


def _renew_panel(*, user, view: HomeView) -> dict:
    return {"list": to_renew(view=view), "view": view}


def register_home_panels() -> None:
    register_home_panel(HomePanel(
        name="contracts.obligations_due", order=50,
        template="contracts/myday/obligations_due.html", context=_obligations_panel,
        team_view=True, title=gettext_lazy("Contract obligations due"), api_item=obligation_item))
    register_home_panel(HomePanel(
        name="contracts.to_renew", order=55, template="contracts/myday/to_renew.html",
        context=_renew_panel, team_view=True, title=gettext_lazy("Contracts to renew"),
        api_item=contract_item, show_for=is_editor))
