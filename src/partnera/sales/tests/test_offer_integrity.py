"""Offers stay sound at the edges: amounts the money columns cannot hold are refused (on both
databases), the PDF renders outside any transaction, a deal has one accepted offer and a closed
deal keeps its offers as they are, crafted input ("²", NaN, an empty body) answers clearly, the
cross-sell box counts only what the viewer sees, the timeline credits the right person, a new
version forgets a deleted contact, and the price explanation reads in the viewer's language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from partnera.catalog.tests.factories import PricingRuleFactory, ProductLineFactory
from partnera.clients.services import contact_delete
from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.core.tests.api_client import ApiClient
from partnera.core.timeline import company_timeline
from partnera.sales.models import Deal, Offer, OfferStatus, StageOutcome
from partnera.sales.offers import document, flow, services
from partnera.sales.offers.common import OfferStateError
from partnera.sales.offers.selectors import cross_sell_lines
from partnera.sales.tests.factories import DealFactory, stage_at
from partnera.sales.tests.offer_builders import deal_of, line, make_offer, offer_state, product

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    return lambda user: ApiClient(client, user)


def refused(call, error=OfferStateError):
    before = offer_state()
    with pytest.raises(error) as info:
        call()
    assert offer_state() == before
    return info.value


def unchanged(call, status: int, code: str) -> dict:
    before = offer_state()
    response = call()
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert offer_state() == before
    return body


# --- money the columns cannot hold (High 1) ------------------------------------------------------

def test_a_line_too_large_for_the_money_columns_is_refused_and_nothing_is_stored(api, manager,
                                                                                 logged_in):
    deal = deal_of(manager)
    expensive = product("10000.00")
    client = api(manager)
    body = unchanged(lambda: client.post(f"/deals/{deal.pk}/offers", {"lines": [
        {"product": product("1.00").pk, "quantity": "1"},
        {"product": expensive.pk, "quantity": "99999999999"}]}), 400, "validation_error")
    assert list(body["fields"]) == ["lines.2.quantity"]
    assert client.get("/offers").status_code == 200
    assert logged_in(manager).get(reverse("sales:deal_detail", args=[deal.pk])).status_code == 200


def test_lines_that_together_exceed_a_document_are_refused(api, manager):
    deal = deal_of(manager)
    big = product("4500000000.00")  # 4.5e13 per line, 5.4e13 with VAT
    client = api(manager)
    body = unchanged(lambda: client.post(f"/deals/{deal.pk}/offers", {"lines": [
        {"product": big.pk, "quantity": "10000"}, {"product": big.pk, "quantity": "10000"}]}),
        400, "validation_error")
    assert list(body["fields"]) == ["lines"]


def test_the_largest_offer_that_fits_is_stored_and_read_back(api, manager):
    deal = deal_of(manager)
    response = api(manager).post(f"/deals/{deal.pk}/offers", {"lines": [
        {"product": product("1000.00").pk, "quantity": "83333333333.333"}]})
    assert response.status_code == 201, response.content
    assert response.json()["gross_total"] == "99999999999999.60"
    assert Offer.objects.get().gross_total == Decimal("99999999999999.60")


# --- the PDF outside any transaction (High 5) ----------------------------------------------------

def test_the_pdf_renders_outside_any_transaction_and_the_download_is_audited(manager, monkeypatch):
    offer = make_offer(manager)
    depth_outside = len(connection.atomic_blocks)  # the test's own transaction
    seen = []
    real = document.render_pdf

    def observed(**kwargs):
        seen.append(len(connection.atomic_blocks))
        return real(**kwargs)

    monkeypatch.setattr(document, "render_pdf", observed)
    name, content = document.offer_pdf(actor=manager, offer=offer)
    assert seen == [depth_outside] and content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DOWNLOAD, object_id=str(offer.pk),
                                     changes={"file": name}).count() == 1


# --- one accepted offer per deal; closed deals (Medium 6, Low 17) --------------------------------

def test_a_second_offer_of_the_same_deal_is_not_accepted(api, manager):
    deal = deal_of(manager)
    first, second = make_offer(manager, deal), make_offer(manager, deal)
    flow.offer_accept(actor=manager, offer=first)
    error = refused(lambda: flow.offer_accept(actor=manager, offer=second))
    assert error.status == 409 and str(first) in error.message
    client = api(manager)
    body = unchanged(lambda: client.post(f"/offers/{second.pk}/accept"), 409, "offer_state")
    assert str(first) in body["message"]


def test_an_offer_of_a_lost_deal_is_not_accepted(manager):
    offer = make_offer(manager)
    Deal.objects.filter(pk=offer.deal_id).update(stage=stage_at(7), status=StageOutcome.LOST)
    error = refused(lambda: flow.offer_accept(actor=manager, offer=offer))
    assert "Reopen it" in error.message


def test_an_offer_of_a_won_deal_is_accepted_and_the_deal_stays_won(manager):
    offer = make_offer(manager)
    flow.offer_send(actor=manager, offer=offer)
    won = stage_at(6)
    Deal.objects.filter(pk=offer.deal_id).update(stage=won, status=StageOutcome.WON)
    result = flow.offer_accept(actor=manager, offer=offer)
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.ACCEPTED
    assert not result.deal_move.moved
    assert Deal.objects.get(pk=offer.deal_id).stage_id == won.pk


def test_the_offers_of_a_closed_deal_are_not_changed_or_sent(logged_in, manager):
    offer = make_offer(manager)
    carton = product("5.00")
    Deal.objects.filter(pk=offer.deal_id).update(stage=stage_at(7), status=StageOutcome.LOST)
    version = Offer.objects.get(pk=offer.pk).version
    for call in (lambda: flow.offer_send(actor=manager, offer=offer),
                 lambda: services.offer_update(actor=manager, offer=offer, data={"title": "Нова"},
                                               expected_version=version),
                 lambda: services.offer_set_lines(actor=manager, offer=offer,
                                                  lines=[line(carton, "3")])):
        error = refused(call)
        assert "This deal is closed" in error.message
    before = offer_state()
    response = logged_in(manager).post(reverse("sales:offer_send", args=[offer.pk]),
                                       HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409 and "This deal is closed" in response.content.decode()
    assert offer_state() == before


# --- crafted input -------------------------------------------------------------------------------

def test_a_superscript_digit_as_the_product_is_a_clear_error(logged_in, manager):
    deal = deal_of(manager)
    data = {"title": "Оферта", "contact": "", "language": "bg", "currency": "EUR",
            "valid_until": (timezone.localdate() + dt.timedelta(days=20)).isoformat(),
            "introduction": "", "terms": "", "lines-0-product": "²", "lines-0-quantity": "1"}
    before = offer_state()
    response = logged_in(manager).post(reverse("sales:offer_create", args=[deal.pk]), data,
                                       HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Choose a product from the list, or type its exact code." in response.content.decode()
    assert offer_state() == before


@pytest.mark.parametrize("field", ["quantity", "manual_discount"])
@pytest.mark.parametrize("value", ["NaN", "Infinity"])
def test_nan_in_a_line_names_the_line_in_the_users_language(api, manager, field, value):
    deal = deal_of(manager)
    good = product()
    row = {"product": good.pk, "quantity": "1", field: value}
    client = api(manager)
    body = unchanged(lambda: client.post(f"/deals/{deal.pk}/offers", {"lines": [
        {"product": good.pk, "quantity": "2"}, row]}), 400, "validation_error")
    assert list(body["fields"]) == [f"lines.2.{field}"]
    expected = ("The quantity must be more than zero." if field == "quantity"
                else "A discount is a percentage from 0 to 100 with up to two decimals.")
    assert body["fields"][f"lines.2.{field}"] == [expected]


def test_decisions_and_steps_accept_an_empty_body(api, manager, head_of_sales):
    pending = make_offer(manager, lines=[line(product("10.00"), "1", "30")])
    head, own = api(head_of_sales), api(manager)
    body = unchanged(lambda: head.post(f"/offers/{pending.pk}/decline", raw=b""), 400,
                     "validation_error")
    assert list(body["fields"]) == ["comment"]
    response = head.post(f"/offers/{pending.pk}/approve", raw=b"")
    assert response.status_code == 200 and response.json()["approval"]["status"] == "approved"
    assert own.post(f"/offers/{pending.pk}/send", raw=b"").json()["status"] == "sent"
    body = unchanged(lambda: own.post(f"/offers/{pending.pk}/reject", raw=b""), 400,
                     "validation_error")
    assert list(body["fields"]) == ["reason"]
    assert own.post(f"/offers/{pending.pk}/accept", raw=b"").json()["offer"]["status"] == "accepted"


# --- what the viewer sees ------------------------------------------------------------------------

def test_the_cross_sell_box_counts_only_the_offers_the_viewer_sees(manager, other_manager):
    company = CompanyFactory()
    packaging, labels = ProductLineFactory(name="Опаковки"), ProductLineFactory(name="Етикети")
    mine = make_offer(manager, DealFactory(owner=manager, company=company),
                      lines=[line(product(line=packaging), "1")])
    make_offer(other_manager, DealFactory(owner=other_manager, company=company),
               lines=[line(product(line=labels), "1")])
    assert cross_sell_lines(user=manager, company_id=mine.company_id) == [labels]
    assert cross_sell_lines(user=other_manager, company_id=mine.company_id) == [packaging]


def test_the_timeline_credits_the_sender_not_who_deleted_a_later_draft(manager, head_of_sales):
    v1 = make_offer(manager)
    flow.offer_send(actor=manager, offer=v1)
    v2 = services.offer_new_version(actor=head_of_sales, offer=v1)
    services.offer_delete(actor=head_of_sales, offer=v2)
    [sent] = [e for e in company_timeline(user=manager, company_id=v1.company_id)
              if e.kind == "offer" and "sent to the client" in e.title]
    assert sent.actor == str(manager)


def test_a_new_version_forgets_a_contact_deleted_since(manager):
    deal = deal_of(manager)
    contact = ContactFactory(company=deal.company)
    v1 = make_offer(manager, deal, contact=contact.pk)
    assert v1.contact_id == contact.pk
    flow.offer_send(actor=manager, offer=v1)
    contact_delete(actor=manager, contact=contact)
    v2 = services.offer_new_version(actor=manager, offer=v1)
    assert v2.contact_id is None and Offer.objects.get(pk=v1.pk).contact_id == contact.pk


def test_the_price_explanation_reads_in_the_viewers_language(logged_in, manager, make_user, api):
    PricingRuleFactory(kind="volume", name="Обем", min_quantity=Decimal("10"),
                       discount_percent=Decimal("2"))
    with translation.override("bg"):  # priced by someone working in Bulgarian
        offer = make_offer(manager, lines=[line(product("10.00"), "20", "5")])
    reader = make_user(Role.ACCOUNT_MANAGER, team=manager.team, username="reader", language="en")
    page = logged_in(reader).get(reverse("sales:offer_detail", args=[offer.pk]),
                                 HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "from 10" in page and "Manual discount" in page
    steps = api(reader).get(f"/offers/{offer.pk}").json()["lines"][0]["explanation"]
    assert [(s["code"], s["label"], s["detail"]) for s in steps[1:]] == [
        ("volume", "Обем", "from 10"), ("manual", "Manual discount", "")]

