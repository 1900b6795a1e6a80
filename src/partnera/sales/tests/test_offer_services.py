"""Offer services: lines priced by the engine and stored with their explanation, totals, numbering,
versions, the draft → sent → accepted | rejected flow (accepting moves the deal forward through
its stage rules), deletion of drafts, timelines and cross-sell. Every refusal leaves everything
as it was."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from partnera.catalog.models import PriceListItem
from partnera.catalog.tests.factories import PricingRuleFactory, ProductLineFactory
from partnera.clients.tests.factories import ContactFactory
from partnera.core.errors import NotFound, PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.core.timeline import company_timeline
from partnera.sales.models import (
    ApprovalStatus,
    ContactRole,
    DealContact,
    Offer,
    OfferStatus,
    Reason,
    StageOutcome,
)
from partnera.sales.offers import flow, services
from partnera.sales.offers.common import OfferExpired, OfferNotEditable, OfferStateError
from partnera.sales.offers.selectors import cross_sell_lines, offer_get
from partnera.sales.tests.factories import stage_at
from partnera.sales.tests.offer_builders import (
    days,
    deal_of,
    line,
    make_offer,
    offer_state,
    product,
)
from partnera.sales.timeline import deal_timeline

pytestmark = pytest.mark.django_db


def refused(call, error=ValidationFailed):
    before = offer_state()
    with pytest.raises(error) as info:
        call()
    assert offer_state() == before
    return info.value


def today() -> dt.date:
    return timezone.localdate()


# --- create ----------------------------------------------------------------------------------------

def test_an_offer_stores_every_priced_line_its_explanation_and_the_totals(manager):
    carton = product("12.00", name="Кашон 40×30", unit="box")
    tape = product("2.5000", name="Тиксо")
    PricingRuleFactory(kind="promotion", product=carton, discount_percent=Decimal("5"))
    deal = deal_of(manager)

    offer = make_offer(manager, deal, lines=[line(carton, "10", "2", "Двустенен"), line(tape, "3")])

    offer.refresh_from_db()
    assert offer.reference == f"OF-{today().year}-0001" and offer.version_number == 1
    assert (offer.status, offer.approval_status) == (OfferStatus.DRAFT, ApprovalStatus.NOT_NEEDED)
    first, second = offer.lines.order_by("position")
    # 12.00 − 5 % promotion = 11.40, − 2 % manual = 11.172; × 10 = 111.72; VAT 20 % = 22.34
    assert (first.position, first.product, first.description) == (1, carton, "Двустенен")
    assert (first.list_price, first.unit_price, first.manual_discount) == (
        Decimal("12.0000"), Decimal("11.1720"), Decimal("2.00"))
    assert (first.net_amount, first.vat_rate, first.vat_amount, first.gross_amount) == (
        Decimal("111.72"), Decimal("20.00"), Decimal("22.34"), Decimal("134.06"))
    assert [s["code"] for s in first.explanation] == ["list_price", "promotion", "manual"]
    assert (second.unit, second.net_amount, second.vat_amount) == ("piece", Decimal("7.50"), Decimal("1.50"))
    assert (offer.net_total, offer.vat_total, offer.gross_total) == (
        Decimal("119.22"), Decimal("23.84"), Decimal("143.06"))
    assert offer.net_total_eur == Decimal("119.22")
    entry = AuditEntry.objects.get(object_type="sales.offer", action=AuditEntry.Action.CREATE)
    assert entry.company_id == deal.company_id and entry.changes["lines"][1] == [
        f"#{carton.pk} × 10 (−2 %)", f"#{tape.pk} × 3"]


def test_defaults_come_from_the_deal_and_its_client(manager):
    deal = deal_of(manager, currency="BGN")
    deal.company.country = "DE"
    deal.company.save()
    buyer = ContactFactory(company=deal.company)
    decider = ContactFactory(company=deal.company)
    DealContact.objects.create(deal=deal, contact=buyer, role=ContactRole.USER)
    DealContact.objects.create(deal=deal, contact=decider, role=ContactRole.DECISION_MAKER)

    offer = make_offer(manager, deal, lines=[line(product("19.56"), "1")])

    assert (offer.title, offer.currency, offer.language, offer.contact) == (deal.title, "BGN", "en", decider)
    assert (offer.owner, offer.team, offer.company) == (manager, manager.team, deal.company)
    assert (offer.pricing_date, offer.valid_until) == (today(), today() + days(30))
    # 19.56 EUR in lev at 1.95583 = 38.2560; the total in euro back at the fixed rate.
    assert offer.net_total == Decimal("38.26") and offer.net_total_eur == Decimal("19.56")


def test_numbers_follow_each_other_within_the_year(manager):
    first = make_offer(manager)
    second = make_offer(manager)
    assert [first.reference[-4:], second.reference[-4:]] == ["0001", "0002"]


def test_a_line_the_engine_refuses_is_named_and_nothing_is_created_or_numbered(manager):
    deal = deal_of(manager)
    good = product("5.00")
    unpriced = product("5.00")
    PriceListItem.objects.filter(product=unpriced).delete()

    error = refused(lambda: make_offer(manager, deal, lines=[
        line(good, "1"), line(good, "-1"), line(good, "1", "150")]))
    assert set(error.fields) == {"lines.2.quantity", "lines.3.manual_discount"}
    error = refused(lambda: make_offer(manager, deal, lines=[line(good, "1"), line(unpriced, "2")]))
    assert set(error.fields) == {"lines.2.product"}
    assert make_offer(manager, deal).reference.endswith("-0001")  # the number was not used


def test_header_errors_and_line_errors_come_together(manager):
    deal = deal_of(manager)
    error = refused(lambda: make_offer(manager, deal, lines=[line(product(), "0")],
                                       valid_until=today() - days(1), language="de",
                                       contact=ContactFactory().pk))
    assert set(error.fields) == {"valid_until", "language", "contact", "lines.1.quantity"}
    assert refused(lambda: make_offer(manager, deal, lines=[])).fields == {
        "lines": ["An offer needs at least one line."]}


def test_an_offer_is_made_only_by_who_may_work_the_open_deal(manager, other_manager, make_user):
    deal = deal_of(manager)
    refused(lambda: make_offer(other_manager, deal), NotFound)
    refused(lambda: make_offer(make_user(Role.MARKETING), deal), PermissionDenied)
    won = deal_of(manager, stage=stage_at(6), status=StageOutcome.WON)
    refused(lambda: make_offer(manager, won), OfferStateError)


# --- change a draft --------------------------------------------------------------------------------

def test_replacing_the_lines_reprices_them_as_of_today(manager):
    carton = product("12.00")
    offer = make_offer(manager, lines=[line(carton, "10")])
    Offer.objects.filter(pk=offer.pk).update(pricing_date=today() - days(3))
    PriceListItem.objects.filter(product=carton).update(price=Decimal("13.00"))
    tape = product("1.00")

    services.offer_set_lines(actor=manager, offer=offer, lines=[line(carton, "2"), line(tape, "5")],
                             expected_version=offer.version)

    offer.refresh_from_db()
    assert [(x.product_id, x.quantity, x.unit_price) for x in offer.lines.order_by("position")] == [
        (carton.pk, Decimal("2.000"), Decimal("13.0000")), (tape.pk, Decimal("5.000"), Decimal("1.0000"))]
    assert (offer.pricing_date, offer.net_total, offer.version) == (today(), Decimal("31.00"), 2)


def test_the_same_lines_again_change_nothing(manager):
    carton = product("12.00")
    offer = make_offer(manager, lines=[line(carton, "10", "0", "Описание")])
    before = offer_state()
    services.offer_set_lines(actor=manager, offer=offer, lines=[line(carton, "10.000", "0", " Описание ")])
    assert offer_state() == before


def test_lines_and_header_are_locked_once_sent(manager):
    offer = make_offer(manager)
    flow.offer_send(actor=manager, offer=offer)
    refused(lambda: services.offer_set_lines(actor=manager, offer=offer, lines=[line(product(), "1")]),
            OfferNotEditable)
    refused(lambda: services.offer_update(actor=manager, offer=offer, data={"title": "Друго"}),
            OfferNotEditable)


def test_another_currency_reprices_the_draft(manager):
    offer = make_offer(manager, lines=[line(product("10.00"), "3")])
    services.offer_update(actor=manager, offer=offer, data={"currency": "BGN", "title": "Нова"},
                          expected_version=offer.version)
    offer.refresh_from_db()
    assert (offer.title, offer.currency, offer.net_total, offer.net_total_eur) == (
        "Нова", "BGN", Decimal("58.67"), Decimal("30.00"))
    assert offer.lines.get().unit_price == Decimal("19.5583")


def test_a_stale_version_is_refused(manager):
    offer = make_offer(manager)
    from partnera.core.errors import VersionConflict

    refused(lambda: services.offer_update(actor=manager, offer=offer, data={"title": "X"},
                                          expected_version=offer.version + 1), VersionConflict)


def test_a_colleague_who_cannot_see_the_deal_cannot_touch_its_offer(manager, other_manager):
    offer = make_offer(manager)
    refused(lambda: services.offer_update(actor=other_manager, offer=offer, data={"title": "X"}),
            NotFound)
    refused(lambda: flow.offer_send(actor=other_manager, offer=offer), NotFound)
    with pytest.raises(NotFound):
        offer_get(user=other_manager, pk=offer.pk)


# --- the flow --------------------------------------------------------------------------------------

def test_accepting_moves_the_deal_to_its_next_open_stage(manager):
    deal = deal_of(manager)
    offer = make_offer(manager, deal)
    flow.offer_send(actor=manager, offer=offer)

    result = flow.offer_accept(actor=manager, offer=offer)

    offer.refresh_from_db()
    deal.refresh_from_db()
    assert (offer.status, offer.decided_at is not None) == (OfferStatus.ACCEPTED, True)
    assert result.deal_move.moved and deal.stage == stage_at(1) == result.deal_move.stage
    assert deal.stage_changes.count() == 2


def test_a_stage_rule_keeps_the_deal_where_it_is_but_the_acceptance_stands(manager):
    deal = deal_of(manager, stage=stage_at(2), amount=None)  # "offer presented" needs an amount
    offer = make_offer(manager, deal)

    result = flow.offer_accept(actor=manager, offer=offer)  # a draft handed over in person

    offer.refresh_from_db()
    deal.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED
    assert not result.deal_move.moved and deal.stage == stage_at(2)
    assert "amount" in result.deal_move.fields and "amount" in result.deal_move.message


def test_an_expired_offer_is_not_accepted_and_nothing_changes(manager):
    deal = deal_of(manager)
    offer = make_offer(manager, deal)
    flow.offer_send(actor=manager, offer=offer)
    Offer.objects.filter(pk=offer.pk).update(valid_until=today() - days(1))

    error = refused(lambda: flow.offer_accept(actor=manager, offer=offer), OfferExpired)

    assert error.code == "offer_expired" and "make a new version" in error.message
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.SENT


def test_accepting_twice_or_a_rejected_offer_is_refused(manager):
    offer = make_offer(manager)
    flow.offer_accept(actor=manager, offer=offer)
    refused(lambda: flow.offer_accept(actor=manager, offer=offer), OfferStateError)
    refused(lambda: flow.offer_send(actor=manager, offer=offer), OfferStateError)


def test_a_rejection_needs_a_reason_of_its_list(manager):
    offer = make_offer(manager)
    flow.offer_send(actor=manager, offer=offer)
    lost_reason = Reason.objects.filter(kind=Reason.Kind.DEAL_LOST).first()

    missing = refused(lambda: flow.offer_reject(actor=manager, offer=offer, reason=None))
    assert set(missing.fields) == {"reason"}
    assert set(refused(lambda: flow.offer_reject(actor=manager, offer=offer, reason=lost_reason.pk,
                                                 comment="x" * 2001)).fields) == {"reason", "comment"}

    reason = Reason.objects.filter(kind=Reason.Kind.OFFER_REJECTED).first()
    flow.offer_reject(actor=manager, offer=offer, reason=reason.pk, comment="Намериха по-евтино")
    offer.refresh_from_db()
    assert (offer.status, offer.rejection_reason, offer.decision_comment) == (
        OfferStatus.REJECTED, reason, "Намериха по-евтино")


def test_rejection_reasons_are_seeded():
    assert Reason.objects.filter(kind=Reason.Kind.OFFER_REJECTED, active=True).count() == 6


# --- versions ----------------------------------------------------------------------------------------

def test_a_new_version_copies_the_lines_priced_today_and_supersedes_the_old_one(manager):
    carton = product("12.00")
    v1 = make_offer(manager, lines=[line(carton, "10", "5", "Бял")], terms="30 дни")
    flow.offer_send(actor=manager, offer=v1)
    PriceListItem.objects.filter(product=carton).update(price=Decimal("20.00"))

    v2 = services.offer_new_version(actor=manager, offer=v1)

    v1.refresh_from_db()
    assert (v2.reference, v2.version_number, v2.previous, v2.status) == (
        v1.reference, 2, v1, OfferStatus.DRAFT)
    assert (v2.terms, v2.pricing_date, v2.valid_until) == ("30 дни", today(), today() + days(30))
    new_line = v2.lines.get()
    assert (new_line.product, new_line.quantity, new_line.manual_discount, new_line.description,
            new_line.unit_price) == (carton, Decimal("10.000"), Decimal("5.00"), "Бял", Decimal("19.0000"))
    assert v1.status == OfferStatus.SUPERSEDED and v1.lines.get().unit_price == Decimal("11.4000")
    refused(lambda: services.offer_new_version(actor=manager, offer=v1), OfferStateError)
    refused(lambda: services.offer_new_version(actor=manager, offer=v2), OfferStateError)


def test_deleting_a_new_version_makes_the_one_before_current_again(manager):
    v1 = make_offer(manager)
    flow.offer_send(actor=manager, offer=v1)
    v2 = services.offer_new_version(actor=manager, offer=v1)

    services.offer_delete(actor=manager, offer=v2)

    v1.refresh_from_db()
    assert v1.status == OfferStatus.SENT
    assert Offer.all_objects.get(pk=v2.pk).deleted_at is not None
    v3 = services.offer_new_version(actor=manager, offer=v1)
    assert v3.version_number == 3
    refused(lambda: services.offer_delete(actor=manager, offer=v1), OfferStateError)


# --- timelines and cross-sell --------------------------------------------------------------------

def test_offers_appear_on_the_company_and_deal_timelines(manager, other_manager):
    deal = deal_of(manager)
    offer = make_offer(manager, deal)
    flow.offer_send(actor=manager, offer=offer)
    flow.offer_accept(actor=manager, offer=offer)

    titles = [e.title for e in company_timeline(user=manager, company_id=deal.company_id)
              if e.kind == "offer"]
    assert titles == [f"Offer {offer} accepted by the client (144.00\xa0EUR with VAT)",
                      f"Offer {offer} sent to the client", f"Offer {offer} made (144.00\xa0EUR with VAT)"]
    assert any(e.kind == "offer" for e in deal_timeline(user=manager, deal=deal))
    assert not [e for e in company_timeline(user=other_manager, company_id=deal.company_id)
                if e.kind == "offer"]


def test_cross_sell_lists_the_active_lines_not_yet_offered_to_the_client(manager):
    offered = ProductLineFactory(name="Опаковки")
    other = ProductLineFactory(name="Етикети")
    ProductLineFactory(name="Празна")  # nothing to sell in it
    inactive = ProductLineFactory(name="Стара", active=False)
    product(line=other)
    product(line=inactive)
    deal = deal_of(manager)
    make_offer(manager, deal, lines=[line(product(line=offered), "1")])
    assert cross_sell_lines(user=manager, company_id=deal.company_id) == [other]
