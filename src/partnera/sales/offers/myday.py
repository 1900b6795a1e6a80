""""My day" panel of a head of sales (and of an administrator): the offers whose manual discount
waits for their decision (sales.offers.selectors.awaiting_approval_by), the oldest request first."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy

from partnera.core.home import HomePanel, HomeView, PanelList, panel_list, register_home_panel
from partnera.core.roles import Role
from partnera.core.visibility import is_administrator
from partnera.sales.models import Offer
from partnera.sales.offers.selectors import awaiting_approval_by


def _approvers(user) -> bool:
    return bool(user.is_authenticated and (is_administrator(user) or user.role == Role.HEAD_OF_SALES))


def awaiting(*, view: HomeView) -> PanelList:
    qs = (awaiting_approval_by(view.user).select_related("company", "owner")
          .order_by("approval_requested_at", "pk"))
    see_all = reverse("sales:offer_list") + "?" + urlencode({"approval": "mine"})
    result = panel_list(qs, view=view, see_all=see_all)
    for offer in result.items:
        offer.url = reverse("sales:offer_detail", args=[offer.pk])
    return result


def offer_item(offer: Offer) -> dict[str, Any]:
    return {
        "id": offer.pk, "reference": offer.reference, "version_number": offer.version_number,
        "title": offer.title, "company": {"id": offer.company_id, "name": offer.company.legal_name},
        "owner": None if offer.owner is None else {"id": offer.owner_id, "name": str(offer.owner)},
        "net_total": str(offer.net_total), "currency": offer.currency,
        "approval_requested_at": (offer.approval_requested_at.isoformat()
                                  if offer.approval_requested_at else None),
        "url": reverse("sales:offer_detail", args=[offer.pk]),
    }


def _panel(*, user, view: HomeView) -> dict:
    return {"list": awaiting(view=view), "view": view}


def register_home_panels() -> None:
    register_home_panel(HomePanel(
        name="sales.offer_approvals", order=25, template="sales/myday/offer_approvals.html",
        context=_panel, team_view=True, title=gettext_lazy("Discounts awaiting your approval"),
        api_item=offer_item, show_for=_approvers))
