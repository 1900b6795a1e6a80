"""The "Offers" panels on the deal page and on the company page (core.panels)."""

from __future__ import annotations

from partnera.core.roles import Role
from partnera.core.visibility import can_change
from partnera.sales.models import StageOutcome
from partnera.sales.offers.selectors import company_offers, deal_offers

PANEL_SIZE = 20


def may_make_offers(user) -> bool:
    return bool(user.is_authenticated and user.role not in (Role.DEPARTMENT, Role.MARKETING))


def deal_offers_panel(*, user, record) -> dict | None:
    """Every offer of the deal (its versions too) and, for who may work on an open deal, the
    "New offer" button. The deal page is only shown for a visible deal."""
    offers = deal_offers(deal=record, limit=PANEL_SIZE + 1)
    may_make = (may_make_offers(user) and record.status == StageOutcome.OPEN
                and can_change(user, record))
    return {"deal": record, "offers": offers[:PANEL_SIZE], "more": len(offers) > PANEL_SIZE,
            "may_make": may_make}


def company_offers_panel(*, user, record) -> dict | None:
    """The current versions of the company's offers the user may see; left out when none."""
    offers = company_offers(user=user, company_id=record.pk, limit=PANEL_SIZE + 1)
    if not offers:
        return None
    return {"company": record, "offers": offers[:PANEL_SIZE], "more": len(offers) > PANEL_SIZE}
