"""The discount approval: a manual discount above the limit (10 % seeded) waits for the head of
sales over the offer, who is notified once per request and finds it in "My day"; the decision
notifies the owner; changed lines ask again; the offer is not sent or accepted meanwhile."""

from __future__ import annotations

import pytest

from partnera.core.errors import NotFound, PermissionDenied, ValidationFailed
from partnera.core.home import home_panels, home_view
from partnera.core.models import Notification
from partnera.core.roles import Role
from partnera.people.tests.factories import TeamFactory
from partnera.sales.models import ApprovalStatus, Offer, OfferStatus
from partnera.sales.offers import approval, flow, services
from partnera.sales.offers.common import ApprovalRequired
from partnera.sales.tests.offer_builders import deal_of, line, make_offer, offer_state, product

pytestmark = pytest.mark.django_db


def refused(call, error):
    before = offer_state()
    with pytest.raises(error) as info:
        call()
    assert offer_state() == before
    return info.value


def approvals_panel(user) -> list[Offer]:
    panels = dict((p.name, ctx) for p, ctx in home_panels(user=user, view=home_view(user=user)))
    return panels["sales.offer_approvals"]["list"].items if "sales.offer_approvals" in panels else None


@pytest.fixture
def discounted(manager, head_of_sales, django_capture_on_commit_callbacks):
    """A draft with a 15 % manual discount (above the 10 % limit), its request sent."""
    carton = product("100.00")
    with django_capture_on_commit_callbacks(execute=True):
        offer = make_offer(manager, lines=[line(carton, "2", "15")])
    offer.carton = carton
    return offer


def test_a_discount_above_the_limit_asks_the_head_of_sales(discounted, head_of_sales, manager):
    assert discounted.approval_status == ApprovalStatus.PENDING
    assert discounted.approval_requested_at is not None
    note = Notification.objects.get(user=head_of_sales)
    assert (note.kind, note.url) == ("offer_approval", f"/sales/offers/{discounted.pk}/")
    assert str(discounted) in note.title and not Notification.objects.filter(user=manager).exists()
    approval._tell_approvers(discounted.pk)  # a second run notifies no one twice
    assert Notification.objects.filter(user=head_of_sales).count() == 1


def test_the_request_shows_in_the_heads_my_day_only(discounted, head_of_sales, manager, make_user):
    other_head = make_user(Role.HEAD_OF_SALES, username="other-head")
    TeamFactory(head=other_head)
    assert [o.pk for o in approvals_panel(head_of_sales)] == [discounted.pk]
    assert approvals_panel(other_head) == []
    assert approvals_panel(manager) is None  # not an approver: no panel


def test_the_offer_waits_for_the_decision(discounted, manager):
    error = refused(lambda: flow.offer_send(actor=manager, offer=discounted), ApprovalRequired)
    assert error.code == "approval_required" and error.status == 409
    refused(lambda: flow.offer_accept(actor=manager, offer=discounted), ApprovalRequired)


def test_only_the_head_over_it_or_an_administrator_decides(discounted, manager, make_user):
    refused(lambda: approval.offer_approve(actor=manager, offer=discounted), PermissionDenied)
    other_head = make_user(Role.HEAD_OF_SALES, username="other-head")
    TeamFactory(head=other_head)
    refused(lambda: approval.offer_approve(actor=other_head, offer=discounted), NotFound)
    admin = make_user(Role.ADMINISTRATOR, username="boss")
    approval.offer_approve(actor=admin, offer=discounted)
    assert Offer.objects.get(pk=discounted.pk).approval_status == ApprovalStatus.APPROVED


def test_approval_notifies_the_owner_and_lets_the_offer_go(discounted, head_of_sales, manager,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        approval.offer_approve(actor=head_of_sales, offer=discounted, comment="Ключов клиент")

    offer = Offer.objects.get(pk=discounted.pk)
    assert (offer.approval_status, offer.approval_decided_by, offer.approval_comment) == (
        ApprovalStatus.APPROVED, head_of_sales, "Ключов клиент")
    note = Notification.objects.get(user=manager)
    assert note.kind == "offer_approval_decided" and note.body == "Ключов клиент"
    assert approvals_panel(head_of_sales) == []
    flow.offer_send(actor=manager, offer=offer)
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.SENT


def test_changed_lines_after_the_approval_ask_again(discounted, head_of_sales, manager,
                                                   django_capture_on_commit_callbacks):
    approval.offer_approve(actor=head_of_sales, offer=discounted)
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_set_lines(actor=manager, offer=discounted,
                                 lines=[line(discounted.carton, "3", "15")])
    offer = Offer.objects.get(pk=discounted.pk)
    assert (offer.approval_status, offer.approval_decided_by) == (ApprovalStatus.PENDING, None)
    assert Notification.objects.filter(user=head_of_sales, kind="offer_approval").count() == 2

    services.offer_set_lines(actor=manager, offer=offer, lines=[line(discounted.carton, "3", "10")])
    assert Offer.objects.get(pk=offer.pk).approval_status == ApprovalStatus.NOT_NEEDED


def test_a_decline_needs_a_comment_and_blocks_the_offer_until_the_lines_change(
        discounted, head_of_sales, manager):
    error = refused(lambda: approval.offer_decline(actor=head_of_sales, offer=discounted, comment=" "),
                    ValidationFailed)
    assert set(error.fields) == {"comment"}
    approval.offer_decline(actor=head_of_sales, offer=discounted, comment="Твърде много")
    offer = Offer.objects.get(pk=discounted.pk)
    assert offer.approval_status == ApprovalStatus.DECLINED
    refused(lambda: flow.offer_send(actor=manager, offer=offer), ApprovalRequired)
    refused(lambda: approval.offer_approve(actor=head_of_sales, offer=offer),
            approval.OfferStateError)

    services.offer_set_lines(actor=manager, offer=offer, lines=[line(discounted.carton, "2", "8")])
    flow.offer_send(actor=manager, offer=offer)
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.SENT


def test_without_a_head_over_the_team_the_administrators_are_asked(
        make_user, django_capture_on_commit_callbacks):
    loner = make_user(Role.ACCOUNT_MANAGER, team=TeamFactory(), username="loner")
    admin = make_user(Role.ADMINISTRATOR, username="boss")
    with django_capture_on_commit_callbacks(execute=True):
        offer = make_offer(loner, deal_of(loner), lines=[line(product("50.00"), "1", "20")])
    assert approval.approvers(offer) == [admin]
    assert Notification.objects.get(user=admin).kind == "offer_approval"
    assert [o.pk for o in approvals_panel(admin)] == [offer.pk]
