"""Offer pages: the list (visible offers only, filters, a constant number of queries), the offer
page (404 when hidden), the line editor (with and without the browser script; input kept on
errors), the actions (send, accept, reject, new version, approve, decline, delete), the PDF
download, the panels on the deal, company and home pages, and CSRF on every POST."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partnera.catalog.models import PriceListItem
from partnera.sales.models import ApprovalStatus, Offer, OfferStatus, Reason
from partnera.sales.offers import flow
from partnera.sales.tests.factories import stage_at
from partnera.sales.tests.offer_builders import deal_of, line, make_offer, offer_state, product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def url(name: str, *args) -> str:
    return reverse(f"sales:{name}", args=args)


def new_offer_post(deal, rows: list[dict], **header) -> dict:
    data = {"title": "Оферта за опаковки", "contact": "", "language": "bg", "currency": "EUR",
            "valid_until": (timezone.localdate() + dt.timedelta(days=20)).isoformat(),
            "introduction": "", "terms": "", **header}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"lines-{i}-{key}"] = value
    return data


# --- list ------------------------------------------------------------------------------------------

def test_the_list_shows_the_offers_of_visible_deals_only(logged_in, manager, other_manager):
    mine = make_offer(manager, title="Моята оферта")
    make_offer(other_manager, title="Чужда оферта")

    response = logged_in(manager).get(url("offer_list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Моята оферта" in html and "Чужда оферта" not in html
    assert [o.pk for o in response.context["page"].items] == [mine.pk]


def test_the_list_filters_by_status_and_leaves_replaced_versions_out(logged_in, manager):
    draft = make_offer(manager)
    sent = make_offer(manager)
    flow.offer_send(actor=manager, offer=sent)
    from partnera.sales.offers import services

    newer = services.offer_new_version(actor=manager, offer=sent)
    client = logged_in(manager)

    assert {o.pk for o in client.get(url("offer_list")).context["page"].items} == {draft.pk, newer.pk}
    assert [o.pk for o in client.get(url("offer_list"), {"status": "superseded"})
            .context["page"].items] == [sent.pk]
    assert [o.pk for o in client.get(url("offer_list"), {"status": ["draft"], "owner": manager.pk,
                                                         "q": draft.reference}).context["page"].items
            ] == [draft.pk]


def test_the_list_runs_the_same_queries_for_2_or_12_offers(logged_in, manager):
    client = logged_in(manager)
    for _ in range(2):
        make_offer(manager)
    client.get(url("offer_list"))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("offer_list")).status_code == 200
    for _ in range(10):
        make_offer(manager, deal_of(manager))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("offer_list"))
    assert len(response.context["page"].items) == 12
    assert len(many) == len(few)


def test_awaiting_my_approval_lists_what_the_head_decides(logged_in, manager, head_of_sales):
    pending = make_offer(manager, lines=[line(product("10.00"), "1", "25")])
    make_offer(manager)
    response = logged_in(head_of_sales).get(url("offer_list"), {"approval": "mine"})
    assert [o.pk for o in response.context["page"].items] == [pending.pk]


# --- the offer page --------------------------------------------------------------------------------

def test_the_offer_page_shows_lines_explanations_totals_and_versions(logged_in, manager):
    carton = product("12.00", name="Кашон 60×40")
    offer = make_offer(manager, lines=[line(carton, "10", "5", "С печат")])

    response = logged_in(manager).get(url("offer_detail", offer.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Кашон 60×40" in html and "С печат" in html and 'class="price-steps"' in html
    assert "114.00" in html and "136.80\xa0EUR" in html  # net, and gross with VAT
    assert url("offer_send", offer.pk) in html and url("offer_edit", offer.pk) in html
    assert url("offer_pdf", offer.pk) in html


def test_a_hidden_offer_answers_404_everywhere(logged_in, manager, other_manager):
    offer = make_offer(manager)
    client = logged_in(other_manager)
    before = offer_state()
    for name in ("offer_detail", "offer_edit", "offer_reject", "offer_pdf"):
        assert client.get(url(name, offer.pk)).status_code == 404
    for name in ("offer_send", "offer_accept", "offer_new_version", "offer_approve", "offer_decline",
                 "offer_delete", "offer_edit", "offer_reject"):
        assert client.post(url(name, offer.pk), {"comment": "x"}).status_code == 404
    assert client.get(url("offer_create", offer.deal_id)).status_code == 404
    assert offer_state() == before


def test_the_cross_sell_box_lists_product_lines_not_yet_offered(logged_in, manager):
    from partnera.catalog.tests.factories import ProductLineFactory

    product(line=ProductLineFactory(name="Етикети за рафт"))
    offer = make_offer(manager)
    html = logged_in(manager).get(url("offer_detail", offer.pk)).content.decode()
    assert "Етикети за рафт" in html


# --- the editor --------------------------------------------------------------------------------------

def test_a_new_offer_from_the_deal_page(logged_in, manager):
    deal = deal_of(manager)
    carton, tape = product("12.00"), product("3.00")
    client = logged_in(manager)

    page = client.get(url("deal_detail", deal.pk)).content.decode()
    assert url("offer_create", deal.pk) in page
    form = client.get(url("offer_create", deal.pk))
    assert form.status_code == 200 and form.context["form"].initial["title"] == deal.title

    response = client.post(url("offer_create", deal.pk), new_offer_post(deal, [
        {"product": carton.pk, "product_label": f"{carton.code} {carton.name}", "quantity": "2,5",
         "manual_discount": "", "description": "Бели"},
        {"product": "", "product_label": "", "quantity": "", "manual_discount": "", "description": ""},
        {"product": tape.pk, "quantity": "4", "manual_discount": "3"}]))

    offer = Offer.objects.get()
    assert response.status_code == 302 and response["Location"] == url("offer_detail", offer.pk)
    assert [(x.product_id, x.quantity, x.manual_discount, x.description)
            for x in offer.lines.order_by("position")] == [
        (carton.pk, Decimal("2.500"), Decimal("0.00"), "Бели"),
        (tape.pk, Decimal("4.000"), Decimal("3.00"), "")]
    assert offer.title == "Оферта за опаковки" and offer.language == "bg"


def test_without_the_script_a_typed_code_and_more_rows_work(logged_in, manager):
    deal = deal_of(manager)
    carton = product("12.00", code="KS-40")
    client = logged_in(manager)

    more = client.post(url("offer_create", deal.pk), {
        **new_offer_post(deal, [{"product": "", "product_label": "ks-40", "quantity": "3"}]),
        "more_rows": "1"})
    assert more.status_code == 200 and len(more.context["rows"]) == 4 and not Offer.objects.exists()
    assert 'value="ks-40"' in more.content.decode()

    response = client.post(url("offer_create", deal.pk),
                           new_offer_post(deal, [{"product": "", "product_label": "ks-40", "quantity": "3"}]))
    assert response.status_code == 302 and Offer.objects.get().lines.get().product == carton


def test_errors_show_next_to_the_row_and_keep_the_input(logged_in, manager):
    deal = deal_of(manager)
    carton = product("12.00")
    unpriced = product("1.00")
    PriceListItem.objects.filter(product=unpriced).delete()
    client = logged_in(manager)
    before = offer_state()

    bad_number = client.post(url("offer_create", deal.pk), new_offer_post(deal, [
        {"product": carton.pk, "product_label": "Кашон", "quantity": "много", "manual_discount": "5"}],
        title=""))
    html = bad_number.content.decode()
    assert bad_number.status_code == 400
    assert 'value="много"' in html and "Enter a quantity such as 12 or 2,5." in html
    assert bad_number.context["form"].errors["title"]

    engine = client.post(url("offer_create", deal.pk), new_offer_post(deal, [
        {"product": carton.pk, "quantity": "1"}, {"product": unpriced.pk, "quantity": "2"}]))
    rows = engine.context["rows"]
    assert engine.status_code == 400 and not rows[0].errors and "product" in rows[1].errors
    assert offer_state() == before


def test_editing_a_draft_replaces_its_lines_and_header(logged_in, manager):
    carton, tape = product("12.00"), product("2.00")
    offer = make_offer(manager, lines=[line(carton, "10")])
    client = logged_in(manager)
    page = client.get(url("offer_edit", offer.pk))
    assert page.status_code == 200 and page.context["rows"][0].quantity == "10"

    response = client.post(url("offer_edit", offer.pk), {
        **new_offer_post(offer.deal, [{"product": carton.pk, "quantity": "10", "remove": "1"},
                                      {"product": tape.pk, "quantity": "7"}], title="Нова версия"),
        "version": offer.version})

    offer.refresh_from_db()
    assert response.status_code == 302
    assert (offer.title, offer.net_total) == ("Нова версия", Decimal("14.00"))
    assert [x.product_id for x in offer.lines.all()] == [tape.pk]


def test_a_stale_edit_is_refused_with_409_and_nothing_changes(logged_in, manager):
    offer = make_offer(manager)
    before = offer_state()
    response = logged_in(manager).post(url("offer_edit", offer.pk), {
        **new_offer_post(offer.deal, [{"product": product().pk, "quantity": "1"}]), "version": 99})
    assert response.status_code == 409 and offer_state() == before


def test_a_sent_offer_is_not_edited(logged_in, manager):
    offer = make_offer(manager)
    flow.offer_send(actor=manager, offer=offer)
    response = logged_in(manager).get(url("offer_edit", offer.pk))
    assert response.status_code == 302 and response["Location"] == url("offer_detail", offer.pk)


# --- actions -----------------------------------------------------------------------------------------

def test_send_accept_and_the_deal_moves(logged_in, manager):
    deal = deal_of(manager)
    offer = make_offer(manager, deal)
    client = logged_in(manager)

    assert client.post(url("offer_send", offer.pk)).status_code == 302
    response = client.post(url("offer_accept", offer.pk), follow=True)

    offer.refresh_from_db()
    deal.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED and deal.stage == stage_at(1)
    assert "The client accepted the offer." in response.content.decode()


def test_accepting_an_expired_offer_shows_why_and_changes_nothing(logged_in, manager):
    offer = make_offer(manager)
    flow.offer_send(actor=manager, offer=offer)
    Offer.objects.filter(pk=offer.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=2))
    before = offer_state()

    response = logged_in(manager).post(url("offer_accept", offer.pk))

    assert response.status_code == 400 and "make a new version" in response.content.decode()
    assert offer_state() == before


def test_sending_while_the_discount_waits_answers_409(logged_in, manager):
    offer = make_offer(manager, lines=[line(product("10.00"), "1", "30")])
    before = offer_state()
    response = logged_in(manager).post(url("offer_send", offer.pk))
    assert response.status_code == 409 and "waits for the head of sales" in response.content.decode()
    assert offer_state() == before


def test_the_head_approves_or_declines_on_the_offer_page(logged_in, manager, head_of_sales):
    offer = make_offer(manager, lines=[line(product("10.00"), "1", "30")])
    client = logged_in(head_of_sales)
    page = client.get(url("offer_detail", offer.pk)).content.decode()
    assert url("offer_approve", offer.pk) in page and url("offer_decline", offer.pk) in page
    assert f'name="version" value="{offer.version}"' in page  # the version the head decides on

    before = offer_state()
    assert client.post(url("offer_decline", offer.pk),
                       {"comment": "", "version": offer.version}).status_code == 400
    assert offer_state() == before
    assert client.post(url("offer_approve", offer.pk),
                       {"comment": "Добре", "version": offer.version}).status_code == 302
    assert Offer.objects.get(pk=offer.pk).approval_status == ApprovalStatus.APPROVED


def test_the_manager_cannot_approve_their_own_discount(logged_in, manager):
    offer = make_offer(manager, lines=[line(product("10.00"), "1", "30")])
    before = offer_state()
    assert url("offer_approve", offer.pk) not in logged_in(manager).get(
        url("offer_detail", offer.pk)).content.decode()
    assert logged_in(manager).post(url("offer_approve", offer.pk)).status_code == 403
    assert offer_state() == before


def test_a_rejection_with_its_reason(logged_in, manager):
    offer = make_offer(manager)
    flow.offer_send(actor=manager, offer=offer)
    client = logged_in(manager)
    before = offer_state()

    missing = client.post(url("offer_reject", offer.pk), {"reason": "", "comment": "Скъпо"})
    assert missing.status_code == 400 and 'Скъпо</textarea>' in missing.content.decode()
    assert offer_state() == before

    reason = Reason.objects.filter(kind=Reason.Kind.OFFER_REJECTED).first()
    assert client.post(url("offer_reject", offer.pk), {"reason": reason.pk}).status_code == 302
    assert Offer.objects.get(pk=offer.pk).rejection_reason == reason


def test_a_new_version_and_deleting_it(logged_in, manager):
    offer = make_offer(manager)
    flow.offer_send(actor=manager, offer=offer)
    client = logged_in(manager)

    response = client.post(url("offer_new_version", offer.pk))
    newer = Offer.objects.get(previous=offer)
    assert response["Location"] == url("offer_detail", newer.pk) and newer.version_number == 2

    response = client.post(url("offer_delete", newer.pk))
    assert response["Location"] == url("offer_detail", offer.pk)
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.SENT


def test_the_pdf_downloads_as_an_attachment(logged_in, manager):
    offer = make_offer(manager)
    response = logged_in(manager).get(url("offer_pdf", offer.pk))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{offer.reference}-v1.pdf"'
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_csrf_is_enforced_on_every_action(manager):
    offer = make_offer(manager)
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(manager)
    before = offer_state()
    for name in ("offer_send", "offer_accept", "offer_new_version", "offer_delete", "offer_approve",
                 "offer_reject", "offer_edit"):
        assert client.post(url(name, offer.pk)).status_code == 403
    assert client.post(url("offer_create", offer.deal_id)).status_code == 403
    assert offer_state() == before


# --- panels ------------------------------------------------------------------------------------------

def test_the_company_page_lists_its_offers(logged_in, manager):
    offer = make_offer(manager, title="Годишна доставка")
    html = logged_in(manager).get(reverse("clients:company_detail", args=[offer.company_id])).content.decode()
    assert 'id="offers"' in html and url("offer_detail", offer.pk) in html
    assert "Годишна доставка" in html  # on its timeline too


def test_the_heads_home_page_lists_the_discounts_to_approve(logged_in, manager, head_of_sales):
    offer = make_offer(manager, lines=[line(product("10.00"), "1", "30")])
    html = logged_in(head_of_sales).get(reverse("home")).content.decode()
    assert "Discounts awaiting your approval" in html and url("offer_detail", offer.pk) in html
    assert "Discounts awaiting your approval" not in logged_in(manager).get(reverse("home")).content.decode()


def test_a_closed_deal_gets_no_new_offer(logged_in, manager):
    from partnera.sales.models import StageOutcome

    deal = deal_of(manager, stage=stage_at(6), status=StageOutcome.WON)
    client = logged_in(manager)
    assert url("offer_create", deal.pk) not in client.get(url("deal_detail", deal.pk)).content.decode()
    response = client.get(url("offer_create", deal.pk))
    assert response.status_code == 302 and response["Location"] == url("deal_detail", deal.pk)


def test_the_reasons_settings_keep_the_offer_rejection_list(logged_in, admin_user):
    client = logged_in(admin_user)
    page = client.get(url("settings_reasons")).content.decode()
    assert 'id="reasons-offer_rejected"' in page
    response = client.post(url("settings_reason_create", "offer_rejected"),
                           {"offer_rejected-name": "Доставката е твърде бавна"})
    assert response.status_code == 302
    assert Reason.objects.filter(kind=Reason.Kind.OFFER_REJECTED, name="Доставката е твърде бавна").exists()


def test_an_accepted_offer_leads_to_its_contract(logged_in, manager):
    offer = make_offer(manager)
    client = logged_in(manager)
    contract_url = f'{reverse("contracts:contract_create")}?offer={offer.pk}'
    assert contract_url not in client.get(url("offer_detail", offer.pk)).content.decode()
    flow.offer_accept(actor=manager, offer=offer)
    assert contract_url in client.get(url("offer_detail", offer.pk)).content.decode()
