"""The demo's commercial cycle (`partnera demo`): offers of the demo deals in every state, contracts
made from the accepted ones, and nine months of orders with their deliveries — made through the
services, so each record holds what the services keep (totals, delivered quantities, completion
days, statuses, versions, the document checklist), dated in the past, and lively enough that the
OTIF and repeat-order figures and the "My day" panels have something to show."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum
from django.utils import timezone

from partnera.contracts import myday as contract_panels
from partnera.contracts.models import Contract, ContractVersion, Obligation
from partnera.contracts.selectors import checklist
from partnera.core.home import home_view
from partnera.core.models import AuditEntry
from partnera.core.timezones import user_zone
from partnera.orders import myday as order_panels
from partnera.orders import performance
from partnera.orders.models import Delivery, DeliveryLine, Order, OrderLine, OrderStatus
from partnera.people.models import User
from partnera.sales.models import (
    ApprovalStatus,
    Deal,
    Offer,
    OfferLine,
    OfferStatus,
    StageOutcome,
)
from partnera.sales.offers import myday as offer_panels
from partnera.sales.services import rule_failures

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("demo", companies=150, seed=3, quiet=True, stdout=io.StringIO())


def today() -> dt.date:
    return timezone.now().astimezone(user_zone(None)).date()


def test_the_demo_makes_offers_contracts_and_orders_in_every_state(demo):
    # Offers: drafts, sent, accepted, rejected with a reason, a second version, one waiting for
    # the head of sales to approve its discount.
    offers = Offer.objects.all()
    statuses = set(offers.values_list("status", flat=True))
    assert statuses >= {OfferStatus.DRAFT, OfferStatus.SENT, OfferStatus.ACCEPTED,
                        OfferStatus.REJECTED, OfferStatus.SUPERSEDED}
    assert offers.filter(version_number=2).exists()
    assert not offers.filter(status=OfferStatus.REJECTED, rejection_reason__isnull=True).exists()
    pending = offers.filter(status=OfferStatus.DRAFT, approval_status=ApprovalStatus.PENDING)
    assert pending.count() >= 1
    head = User.objects.get(username="head")
    assert offer_panels.awaiting(view=home_view(user=head)).count >= 1
    # Contracts from the accepted offers: in negotiation at version 2, signed, active with every
    # required document, one ending within weeks ("Contracts to renew").
    contracts = Contract.objects.all()
    assert set(contracts.values_list("status", flat=True)) >= {"negotiation", "signed", "active"}
    assert not contracts.filter(offer__isnull=True).exists()
    assert not contracts.exclude(offer__status=OfferStatus.ACCEPTED).exists()
    negotiated = contracts.filter(status="negotiation").annotate(n=Count("versions"))
    assert any(c.n >= 2 for c in negotiated)
    for contract in contracts.filter(status="active"):
        assert checklist(contract).missing == []
        assert contract.signed_on is not None and contract.signed_on <= contract.start_date
    assert contract_panels.to_renew_q(home_view(user=User.objects.get(
        pk=contracts.filter(status="active", end_date__lte=today() + dt.timedelta(days=60))
        .values_list("owner_id", flat=True)[0]))).exists()
    # Obligations for logistics and finance, some due: both departments' "My day" shows them.
    for username in ("logistics", "finance"):
        user = User.objects.get(username=username)
        assert Obligation.objects.filter(department_id=user.department_id).exists()
        assert contract_panels.obligations_due(view=home_view(user=user)).count >= 1
    # Orders over the last nine months with their deliveries, in every status.
    orders = Order.objects.all()
    assert orders.count() >= 50
    assert set(orders.values_list("status", flat=True)) >= {
        OrderStatus.CLOSED, OrderStatus.DELIVERED, OrderStatus.PARTLY_DELIVERED,
        OrderStatus.CANCELLED}
    assert orders.filter(status__in=[OrderStatus.RECEIVED, OrderStatus.CONFIRMED,
                                     OrderStatus.IN_FULFILMENT]).exists()
    assert Delivery.objects.count() >= 40
    assert orders.filter(contract__isnull=False).exists()
    assert orders.filter(offer__isnull=False).exists()
    first = orders.order_by("received_on").first()
    assert first is not None and first.received_on < today() - dt.timedelta(days=120)
    # Late orders in the account managers' and logistics' "My day", whatever the day: every
    # account manager with an order received two days ago or more has one (the manager among them).
    owners = list(User.objects.filter(owned_orders__received_on__lte=today() - dt.timedelta(days=2))
                  .distinct().order_by("username"))
    assert "manager" in [u.username for u in owners]
    for user in [*owners, User.objects.get(username="logistics")]:
        assert order_panels.late_orders(view=home_view(user=user)).count >= 1, user.username


def test_the_otif_and_repeat_order_figures_are_computable(demo):
    admin = User.objects.get(username="admin")
    filters = performance.performance_filters({}, today=today())
    otif = performance.otif_totals(user=admin, filters=filters)
    assert otif.orders > 0
    assert otif.otif_rate is not None and 0 <= otif.otif_rate <= 100
    assert 50 <= otif.otif_rate < 100  # mostly on time in full, not always
    repeat = performance.repeat_totals(user=admin, filters=filters)
    assert repeat.clients > 0 and 0 < repeat.repeat_clients < repeat.clients


def test_the_demo_records_hold_what_the_services_keep(demo):
    now, day = timezone.now(), today()
    delivered: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for line_id, quantity, on in (DeliveryLine.objects.order_by("delivery__delivered_on", "pk")
                                  .values_list("order_line_id", "quantity",
                                               "delivery__delivered_on")):
        delivered[line_id].append((on, quantity))
    lines_of: dict[int, list[OrderLine]] = defaultdict(list)
    for line in OrderLine.objects.all():
        lines_of[line.order_id].append(line)
    for order in Order.objects.all():
        lines = lines_of[order.pk]
        assert lines
        assert order.net_total == sum(line.net_amount for line in lines)
        assert order.gross_total == sum(line.gross_amount for line in lines)
        assert order.received_on <= day and order.created_at <= now
        for line in lines:
            total, completed = Decimal(0), None
            for on, quantity in delivered[line.pk]:
                assert order.received_on <= on <= day
                total += quantity
                if completed is None and total >= line.quantity:
                    completed = on
            assert line.delivered_quantity == total <= line.quantity
            assert line.completed_on == completed
        complete = all(line.completed_on for line in lines)
        some = any(line.delivered_quantity for line in lines)
        if order.status == OrderStatus.DELIVERED:
            assert complete
        elif order.status == OrderStatus.CLOSED:
            assert complete or (some and order.close_reason)
            assert order.closed_at is not None and order.closed_at <= now
        elif order.status == OrderStatus.PARTLY_DELIVERED:
            assert some and not complete
        elif order.status == OrderStatus.CANCELLED:
            assert not some and order.cancel_reason
        else:
            assert not some
    # Offers: totals are their lines'; dates in the past, in order.
    sums = {row["offer"]: row for row in OfferLine.objects.values("offer")
            .annotate(net=Sum("net_amount"), gross=Sum("gross_amount"))}
    for offer in Offer.objects.all():
        assert offer.net_total == sums[offer.pk]["net"]
        assert offer.gross_total == sums[offer.pk]["gross"]
        assert offer.created_at <= now
        if offer.sent_at:
            assert offer.created_at <= offer.sent_at <= now
        if offer.decided_at:
            assert offer.decided_at <= now
    # Contract versions count up from 1 and the contract is at its last.
    for contract in Contract.objects.all():
        numbers = list(ContractVersion.objects.filter(contract=contract)
                       .order_by("number").values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1)) and contract.terms_version == numbers[-1]
    # The audit entries are dated when it happened (the order's arrival, not today).
    zone = user_zone(None)
    for order in Order.objects.order_by("received_on")[:20]:
        entry = AuditEntry.objects.get(object_type="orders.order", object_id=str(order.pk),
                                       action=AuditEntry.Action.CREATE)
        assert entry.at.astimezone(zone).date() == order.received_on
    # Accepting an offer moved some deals on: every deal still satisfies its stage's rules.
    for deal in Deal.objects.filter(offers__status=OfferStatus.ACCEPTED,
                                    status=StageOutcome.OPEN).distinct():
        assert rule_failures(deal, deal.stage) == {}
        assert deal.stage_entered_at <= now
