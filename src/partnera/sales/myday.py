""""My day" panels of the sales domain.

- open deals without a scheduled next activity (`next_activity_at` is kept by the activity
  services: the start of the deal's earliest planned activity), the largest first;
- open deals stuck in their stage longer than the stage's usual time
  (`stage_entered_at + stage.usual_days < now`), the longest in their stage first.

"Me" is the deals the user owns; "My team" (a head of sales) the deals owned by the members of
the teams they head, intersected with the visibility rule (core.visibility).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy

from partnera.core.home import HomePanel, HomeView, PanelList, panel_list, register_home_panel
from partnera.core.roles import EDITOR_ROLES
from partnera.core.visibility import visible_q
from partnera.sales.models import Deal, Stage, StageOutcome
from partnera.sales.selectors import live_deals


def deal_url(pk: int) -> str:
    return reverse("sales:deal_detail", args=[pk])


def _see_all(panel: str, view: HomeView) -> str:
    url = reverse("activities:myday_panel", args=[panel])
    return url + ("?view=team" if view.team else "")


def _open_deals(view: HomeView) -> QuerySet[Deal]:
    if view.team:
        # Owned by a member of the teams the user heads: one of the rule's grants, and the rule.
        qs = live_deals().filter(visible_q(view.user, record_type="sales.deal"),
                                 owner_id__in=view.owner_ids)
    else:
        qs = live_deals().filter(owner_id=view.user.pk)
    return qs.filter(status=StageOutcome.OPEN).select_related("company", "stage", "owner")


def without_next_activity(*, view: HomeView) -> PanelList:
    qs = (_open_deals(view).filter(next_activity_at__isnull=True)
          .order_by(F("amount_eur").desc(nulls_last=True), "pk"))
    result = panel_list(qs, view=view, see_all=_see_all("sales.no_next_activity", view))
    for deal in result.items:
        deal.url = deal_url(deal.pk)
    return result


def usual_days_by_stage() -> dict[int, int]:
    return {pk: days for pk, days in Stage.objects.filter(outcome=StageOutcome.OPEN)
            .values_list("pk", "usual_days") if days is not None}


def stuck_q(now: dt.datetime, days_by_stage: dict[int, int]) -> Q:
    """In a stage for longer than its usual days: one range per stage, so an index on
    stage_entered_at serves it (no arithmetic on the column)."""
    q = Q(pk__in=[])
    for stage_id, days in sorted(days_by_stage.items()):
        q |= Q(stage_id=stage_id, stage_entered_at__lt=now - dt.timedelta(days=days))
    return q


def stuck(*, view: HomeView) -> PanelList:
    qs = (_open_deals(view).filter(stuck_q(view.now, usual_days_by_stage()))
          .order_by("stage_entered_at", "pk"))
    result = panel_list(qs, view=view, see_all=_see_all("sales.stuck", view))
    for deal in result.items:
        deal.url = deal_url(deal.pk)
        deal.days_in_stage = (view.now - deal.stage_entered_at).days
    return result


# --- panels ---------------------------------------------------------------------------------------

def _user_out(user) -> dict | None:
    return None if user is None else {"id": user.pk, "username": user.get_username(),
                                      "name": str(user)}


def deal_item(d: Deal) -> dict[str, Any]:
    return {
        "id": d.pk, "title": d.title, "company": {"id": d.company_id, "name": d.company.legal_name},
        "stage": {"id": d.stage_id, "name": d.stage.name, "usual_days": d.stage.usual_days},
        "amount": str(d.amount) if d.amount is not None else None, "currency": d.currency,
        "amount_eur": str(d.amount_eur) if d.amount_eur is not None else None,
        "expected_close_date": d.expected_close_date.isoformat() if d.expected_close_date else None,
        "stage_entered_at": d.stage_entered_at.isoformat() if d.stage_entered_at else None,
        "days_in_stage": getattr(d, "days_in_stage", None),
        "next_activity_at": d.next_activity_at.isoformat() if d.next_activity_at else None,
        "owner": _user_out(d.owner), "url": deal_url(d.pk),
    }


def _sales_roles(user) -> bool:
    return bool(user.is_superuser or user.role in EDITOR_ROLES)


def _no_next_panel(*, user, view: HomeView) -> dict:
    return {"list": without_next_activity(view=view), "view": view}


def _stuck_panel(*, user, view: HomeView) -> dict:
    return {"list": stuck(view=view), "view": view}


def register_home_panels() -> None:
    register_home_panel(HomePanel(
        name="sales.no_next_activity", order=30, template="sales/myday/no_next_activity.html",
        context=_no_next_panel, team_view=True, title=gettext_lazy("Deals without a next step"),
        api_item=deal_item, show_for=_sales_roles))
    register_home_panel(HomePanel(
        name="sales.stuck", order=40, template="sales/myday/stuck.html", context=_stuck_panel,
        team_view=True, title=gettext_lazy("Deals stuck in their stage"), api_item=deal_item,
        show_for=_sales_roles))
