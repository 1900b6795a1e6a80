"""Test data and state snapshots for the offer tests (test_offer_*.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from partnera.catalog.pricing import LineRequest
from partnera.catalog.tests.factories import priced_product
from partnera.core.models import AuditEntry, Notification, NumberSequence
from partnera.sales.models import Deal, DealStageChange, Offer, OfferLine
from partnera.sales.offers import services
from partnera.sales.tests.factories import DealFactory


def product(price: str = "10.00", **kwargs):
    """An active product with a list price in a general EUR price list."""
    return priced_product(price, **kwargs)


def line(product_, quantity="1", discount="0", description="") -> LineRequest:
    return LineRequest(product_id=product_.pk, quantity=Decimal(quantity),
                       manual_discount=Decimal(discount), description=description)


def deal_of(owner, **kwargs) -> Deal:
    return DealFactory(owner=owner, **kwargs)


def make_offer(actor, deal: Deal | None = None, lines=None, **data) -> Offer:
    """An offer made through the service (a 10 × 12.00 EUR line unless told)."""
    deal = deal or deal_of(actor)
    lines = lines if lines is not None else [line(product("12.00"), "10")]
    return services.offer_create(actor=actor, deal=deal, data=data, lines=lines)


def offer_state() -> dict:
    """Everything an offer action may write: compared before and after a refused one."""
    return {
        "offers": list(Offer.all_objects.order_by("pk").values()),
        "lines": list(OfferLine.objects.order_by("pk").values()),
        "sequences": list(NumberSequence.objects.order_by("pk").values()),
        "notifications": list(Notification.objects.order_by("pk").values("pk", "user_id", "key")),
        "deals": list(Deal.all_objects.order_by("pk").values("pk", "stage_id", "status", "version")),
        "stage_changes": DealStageChange.objects.count(),
        # Changes only: logging in and a refused look at a hidden offer are audited too.
        "audit": AuditEntry.objects.exclude(action__in=[AuditEntry.Action.ACCESS_DENIED,
                                                        AuditEntry.Action.LOGIN]).count(),
    }


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)
