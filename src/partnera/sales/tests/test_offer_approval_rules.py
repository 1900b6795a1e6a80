"""Who decides a discount, and on what: the decision names the version the head of sales read
(lines changed since → 409, nothing decided); any repricing asks again; offers follow their deal
when it is reassigned (approver, owner, "My day", notifications); a head of sales never approves
a discount on an offer they own; finding the approvers costs a fixed number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnera.catalog.models import PricingPolicy
from partnera.core.errors import NotFound, PermissionDenied, VersionConflict
from partnera.core.models import Notification, RecordShare
from partnera.core.roles import Role
from partnera.core.tests.api_client import ApiClient
from partnera.people.tests.factories import TeamFactory
from partnera.sales import services as deal_services
from partnera.sales.models import ApprovalStatus, Deal, Offer, OfferStatus
from partnera.sales.offers import approval, flow, services
from partnera.sales.offers.common import ApprovalRequired
from partnera.sales.offers.selectors import awaiting_approval_by
from partnera.sales.tests.offer_builders import deal_of, line, make_offer, offer_state, product

pytestmark = pytest.mark.django_db


def refused(call, error):
    before = offer_state()
    with pytest.raises(error) as info:
        call()
    assert offer_state() == before
    return info.value


def fresh(offer: Offer) -> Offer:
    return Offer.objects.get(pk=offer.pk)


def approval_notes(user) -> list[str]:
    return list(Notification.objects.filter(user=user, kind="offer_approval")
                .values_list("url", flat=True))


@pytest.fixture
def api(client):
    return lambda user: ApiClient(client, user)


@pytest.fixture
def carton():
    return product("100.00")


@pytest.fixture
def pending(manager, head_of_sales, carton, django_capture_on_commit_callbacks):
    """A draft with a 15 % manual discount (above the 10 % limit), its request sent."""
    with django_capture_on_commit_callbacks(execute=True):
        return make_offer(manager, lines=[line(carton, "2", "15")])


# --- the decision names the version the head read (High 2) ---------------------------------------

def test_lines_changed_after_the_head_read_the_offer_are_not_approved_unseen(
        pending, manager, head_of_sales, carton, django_capture_on_commit_callbacks):
    seen = fresh(pending).version  # the head opens the offer: 15 %
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_set_lines(actor=manager, offer=pending, lines=[line(carton, "2", "90")])
    assert len(approval_notes(head_of_sales)) == 2  # asked again, with the new lines

    error = refused(lambda: approval.offer_approve(actor=head_of_sales, offer=pending,
                                                   expected_version=seen), VersionConflict)
    assert error.status == 409 and fresh(pending).approval_status == ApprovalStatus.PENDING

    approval.offer_approve(actor=head_of_sales, offer=pending, expected_version=fresh(pending).version)
    assert fresh(pending).approval_status == ApprovalStatus.APPROVED


def test_a_stale_decision_over_the_api_answers_409_and_changes_nothing(
        api, pending, manager, head_of_sales, carton):
    head = api(head_of_sales)
    seen = head.get(f"/offers/{pending.pk}").json()["version"]
    services.offer_set_lines(actor=manager, offer=pending, lines=[line(carton, "2", "90")])
    before = offer_state()
    for path, body in (("approve", {"version": seen}), ("decline", {"version": seen, "comment": "Не"})):
        response = head.post(f"/offers/{pending.pk}/{path}", body)
        assert response.status_code == 409 and response.json()["code"] == "version_conflict"
        assert offer_state() == before
    current = head.get(f"/offers/{pending.pk}").json()["version"]
    response = head.post(f"/offers/{pending.pk}/approve", {"version": current})
    assert response.status_code == 200 and response.json()["approval"]["status"] == "approved"


def test_a_stale_decision_on_the_page_shows_the_current_lines_and_changes_nothing(
        logged_in, pending, manager, head_of_sales, carton):
    from django.urls import reverse

    client = logged_in(head_of_sales)
    seen = fresh(pending).version
    services.offer_set_lines(actor=manager, offer=pending, lines=[line(carton, "2", "90")])
    before = offer_state()
    response = client.post(reverse("sales:offer_approve", args=[pending.pk]),
                           {"comment": "Добре", "version": seen})
    assert response.status_code == 409 and offer_state() == before
    page = response.content.decode()
    assert f'name="version" value="{fresh(pending).version}"' in page and "Добре" in page
    # A post without any version (a page from before) is refused the same way.
    response = client.post(reverse("sales:offer_approve", args=[pending.pk]), {"comment": "Добре"})
    assert response.status_code == 409 and offer_state() == before


# --- any repricing asks again (High 3) -----------------------------------------------------------

def test_a_currency_change_asks_for_the_approval_a_lowered_limit_needs(
        manager, head_of_sales, carton, django_capture_on_commit_callbacks):
    offer = make_offer(manager, lines=[line(carton, "1", "8")])
    assert offer.approval_status == ApprovalStatus.NOT_NEEDED
    PricingPolicy.objects.update(max_manual_discount=Decimal("5"))

    with django_capture_on_commit_callbacks(execute=True):
        services.offer_update(actor=manager, offer=offer, data={"currency": "BGN"},
                              expected_version=fresh(offer).version)

    assert fresh(offer).approval_status == ApprovalStatus.PENDING
    assert approval_notes(head_of_sales) == [f"/sales/offers/{offer.pk}/"]
    refused(lambda: flow.offer_send(actor=manager, offer=offer), ApprovalRequired)


def test_a_currency_change_after_an_approval_asks_again(pending, manager, head_of_sales):
    approval.offer_approve(actor=head_of_sales, offer=pending)
    services.offer_update(actor=manager, offer=pending, data={"currency": "BGN"},
                          expected_version=fresh(pending).version)
    offer = fresh(pending)
    assert (offer.approval_status, offer.approval_decided_by) == (ApprovalStatus.PENDING, None)


def test_a_declined_discount_repriced_in_another_currency_is_asked_again(
        pending, manager, head_of_sales):
    approval.offer_decline(actor=head_of_sales, offer=pending, comment="Много")
    services.offer_update(actor=manager, offer=pending, data={"currency": "BGN"},
                          expected_version=fresh(pending).version)
    assert fresh(pending).approval_status == ApprovalStatus.PENDING


# --- offers follow their deal (High 4) -----------------------------------------------------------

@pytest.fixture
def other_team(make_user):
    team = TeamFactory()
    head = make_user(Role.HEAD_OF_SALES, username="head-b", team=team)
    team.head = head
    team.save()
    member = make_user(Role.ACCOUNT_MANAGER, username="member-b", team=team)
    return team, head, member


def test_a_reassigned_deal_takes_its_open_offers_and_their_approval_along(
        pending, manager, head_of_sales, other_team, admin_user, django_capture_on_commit_callbacks):
    team_b, head_b, member_b = other_team
    deal = Deal.objects.get(pk=pending.deal_id)
    with django_capture_on_commit_callbacks(execute=True):
        deal_services.deal_update(actor=admin_user, deal=deal,
                                  data={"owner": member_b.pk, "team": team_b.pk},
                                  expected_version=deal.version)

    offer = fresh(pending)
    assert (offer.owner_id, offer.team_id) == (member_b.pk, team_b.pk)
    assert approval.approvers(offer) == [head_b]
    assert approval.may_approve(head_b, offer) and not approval.may_approve(head_of_sales, offer)
    assert list(awaiting_approval_by(head_b)) == [offer]
    assert list(awaiting_approval_by(head_of_sales)) == []
    assert approval_notes(head_b) == [f"/sales/offers/{offer.pk}/"]  # told of the request
    assert len(approval_notes(head_of_sales)) == 1  # only the one from before the move

    refused(lambda: approval.offer_approve(actor=head_of_sales, offer=offer), NotFound)
    approval.offer_approve(actor=head_b, offer=offer)
    assert fresh(offer).approval_status == ApprovalStatus.APPROVED


def test_decided_versions_keep_who_made_them(manager, other_team, admin_user):
    _team_b, _head_b, member_b = other_team
    sent = make_offer(manager)
    flow.offer_send(actor=manager, offer=sent)
    decided = make_offer(manager, Deal.objects.get(pk=sent.deal_id))
    Offer.objects.filter(pk=decided.pk).update(status=OfferStatus.REJECTED)
    deal = Deal.objects.get(pk=sent.deal_id)
    deal_services.deal_update(actor=admin_user, deal=deal, data={"owner": member_b.pk},
                              expected_version=deal.version)
    assert fresh(sent).owner_id == member_b.pk  # sent: still open, it follows the deal
    assert fresh(decided).owner_id == manager.pk  # decided: as it was


def test_only_those_who_can_see_the_offer_are_told(pending, head_of_sales, make_user):
    stranger = make_user(Role.ACCOUNT_MANAGER, team=TeamFactory(), username="stranger")
    Offer.objects.filter(pk=pending.pk).update(owner=stranger)  # an owner who no longer sees it
    offer = fresh(pending)
    approval.offer_approve(actor=head_of_sales, offer=offer)
    approval._tell_owner(offer.pk)
    assert not Notification.objects.filter(user=stranger).exists()


# --- a head of sales does not approve their own discount -----------------------------------------

@pytest.fixture
def own_offer(make_user, django_capture_on_commit_callbacks):
    """A head of sales who heads their own team and owns an offer with a 30 % discount."""
    team = TeamFactory()
    head = make_user(Role.HEAD_OF_SALES, username="own-head", team=team)
    team.head = head
    team.save()
    with django_capture_on_commit_callbacks(execute=True):
        offer = make_offer(head, deal_of(head), lines=[line(product("10.00"), "1", "30")])
    return head, team, offer


def test_a_head_of_sales_may_not_approve_a_discount_on_their_own_offer(own_offer, admin_user):
    head, _team, offer = own_offer
    assert not approval.may_approve(head, offer)
    error = refused(lambda: approval.offer_approve(actor=head, offer=offer), PermissionDenied)
    assert "another head of sales or an administrator" in error.message
    assert list(awaiting_approval_by(head)) == []
    # Nobody else heads it: the administrators are asked, and one decides.
    assert approval.approvers(offer) == [admin_user]
    assert approval_notes(head) == []
    assert list(awaiting_approval_by(admin_user)) == [offer]
    approval.offer_approve(actor=admin_user, offer=offer)
    assert fresh(offer).approval_status == ApprovalStatus.APPROVED


def test_another_head_who_sees_the_offer_decides_it(own_offer, make_user, api):
    head, team, offer = own_offer
    colleague = make_user(Role.HEAD_OF_SALES, username="colleague", team=team)  # sees the team
    assert approval.approvers(offer) == [colleague]
    assert list(awaiting_approval_by(colleague)) == [offer]
    own, other = api(head), api(colleague)
    before = offer_state()
    response = own.post(f"/offers/{offer.pk}/approve", {"version": offer.version})
    assert response.status_code == 403 and offer_state() == before
    response = other.post(f"/offers/{offer.pk}/approve", {"version": offer.version})
    assert response.status_code == 200 and response.json()["approval"]["status"] == "approved"


# --- the approvers in a fixed number of queries --------------------------------------------------

def test_approvers_without_a_heading_head_cost_the_same_however_many_heads(make_user):
    loner = make_user(Role.ACCOUNT_MANAGER, team=TeamFactory(shares_clients=False), username="loner")
    offer = make_offer(loner, deal_of(loner), lines=[line(product("50.00"), "1", "20")])
    sharer = make_user(Role.HEAD_OF_SALES, username="sharer")
    RecordShare.objects.create(user=sharer, record_type="sales.deal", record_id=offer.deal_id)
    make_user(Role.HEAD_OF_SALES, username="blind-1")

    def queries() -> int:
        read = fresh(offer)
        with CaptureQueriesContext(connection) as ctx:
            assert approval.approvers(read) == [sharer]
        return len(ctx)

    few = queries()
    for n in range(5):
        make_user(Role.HEAD_OF_SALES, username=f"blind-{n + 2}")
    assert queries() == few <= 3
