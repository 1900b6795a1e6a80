"""REST API of offers and of our company's profile: every endpoint, the error shapes (400 with
fields, 403, 404, 409) and nothing changed on a refusal; a constant number of queries per list."""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from partnera.core.models import OrganisationProfile
from partnera.core.roles import Role
from partnera.core.tests.api_client import ApiClient
from partnera.sales.models import Offer, OfferStatus, Reason
from partnera.sales.offers import flow
from partnera.sales.tests.factories import stage_at
from partnera.sales.tests.offer_builders import deal_of, line, make_offer, offer_state, product

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    return lambda user: ApiClient(client, user)


def unchanged(call, status: int, code: str):
    before = offer_state()
    response = call()
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and set(body) == {"code", "message", "fields"}
    assert offer_state() == before
    return body


# --- create, read, list ------------------------------------------------------------------------------

def test_create_an_offer_for_a_deal(api, manager):
    deal = deal_of(manager)
    carton = product("12.00", name="Кашон")

    response = api(manager).post(f"/deals/{deal.pk}/offers", {
        "terms": "30 дни", "lines": [{"product": carton.pk, "quantity": "10", "manual_discount": 5,
                                      "description": "Бели"}]})

    assert response.status_code == 201
    body = response.json()
    assert (body["reference"], body["version_number"], body["status"]) == (
        f"OF-{timezone.localdate().year}-0001", 1, "draft")
    assert (body["title"], body["currency"], body["language"], body["terms"]) == (
        deal.title, "EUR", "bg", "30 дни")
    assert (body["net_total"], body["vat_total"], body["gross_total"]) == ("114.00", "22.80", "136.80")
    [out] = body["lines"]
    assert (out["product"]["name"], out["unit_price"], out["discount_percent"], out["description"]) == (
        "Кашон", "11.4000", "5.00", "Бели")
    assert [s["code"] for s in out["explanation"]] == ["list_price", "manual"]
    assert body["vat_groups"] == [{"rate": "20.00", "base": "114.00", "vat": "22.80"}]
    assert body["approval"]["status"] == "not_needed" and body["pdf_url"].endswith("/pdf")


def test_bad_input_answers_400_with_fields_and_creates_nothing(api, manager):
    deal = deal_of(manager)
    good = product()
    client = api(manager)
    body = unchanged(lambda: client.post(f"/deals/{deal.pk}/offers", {
        "lines": [{"product": good.pk, "quantity": "0"}, {"product": 999999, "quantity": 1}]}),
        400, "validation_error")
    assert set(body["fields"]) == {"lines.1.quantity", "lines.2.product"}
    body = unchanged(lambda: client.post(f"/deals/{deal.pk}/offers", {"lines": [], "colour": "red"}),
                     400, "validation_error")
    assert "colour" in body["fields"]
    body = unchanged(lambda: client.post(f"/deals/{deal.pk}/offers", {
        "language": "de", "lines": [{"product": good.pk, "quantity": 1}]}), 400, "validation_error")
    assert "language" in body["fields"]
    unchanged(lambda: client.post(f"/deals/{deal.pk}/offers", raw="{"), 400, "malformed_json")


def test_hidden_deals_and_offers_answer_404(api, manager, other_manager):
    offer = make_offer(manager)
    client = api(other_manager)
    unchanged(lambda: client.post(f"/deals/{offer.deal_id}/offers",
                                  {"lines": [{"product": product().pk, "quantity": 1}]}), 404, "not_found")
    for path in (f"/offers/{offer.pk}", f"/offers/{offer.pk}/pdf"):
        unchanged(lambda path=path: client.get(path), 404, "not_found")
    for path in ("send", "accept", "new-version", "approve", "decline"):
        unchanged(lambda path=path: client.post(f"/offers/{offer.pk}/{path}", {}), 404, "not_found")
    unchanged(lambda: client.delete(f"/offers/{offer.pk}"), 404, "not_found")
    unchanged(lambda: client.patch(f"/offers/{offer.pk}", {"title": "X", "version": 1}), 404, "not_found")
    assert client.get("/offers").json()["items"] == []


def test_marketing_reads_but_does_not_make_offers(api, manager, make_user):
    offer = make_offer(manager)
    marketing = api(make_user(Role.MARKETING))
    assert marketing.get(f"/offers/{offer.pk}").status_code == 200
    unchanged(lambda: marketing.post(f"/deals/{offer.deal_id}/offers",
                                     {"lines": [{"product": product().pk, "quantity": 1}]}),
              403, "permission_denied")
    unchanged(lambda: marketing.post(f"/offers/{offer.pk}/send"), 403, "permission_denied")


def test_the_list_filters_and_pages_with_constant_queries(api, manager):
    deal = deal_of(manager)
    offers = [make_offer(manager, deal) for _ in range(3)]
    other = make_offer(manager)
    flow.offer_send(actor=manager, offer=offers[0])
    client = api(manager)

    by_deal = client.get("/offers", {"deal": deal.pk, "limit": 2}).json()
    assert [o["id"] for o in by_deal["items"]] == [offers[2].pk, offers[1].pk]
    assert by_deal["count"] == 3 and by_deal["next_cursor"]
    rest = client.get("/offers", {"deal": deal.pk, "limit": 2, "cursor": by_deal["next_cursor"]}).json()
    assert [o["id"] for o in rest["items"]] == [offers[0].pk] and rest["next_cursor"] is None
    assert [o["id"] for o in client.get("/offers", {"status": "sent"}).json()["items"]] == [offers[0].pk]
    assert [o["id"] for o in client.get("/offers", {"company": other.company_id}).json()["items"]] == [
        other.pk]
    assert client.get("/offers", {"colour": "red"}).status_code == 400
    assert client.get("/offers", {"cursor": "nonsense"}).json()["code"] == "validation_error"

    with CaptureQueriesContext(connection) as few:
        client.get("/offers", {"limit": 2})
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/offers", {"limit": 4}).json()["items"]) == 4
    assert len(many) == len(few)


# --- change, lines, versions --------------------------------------------------------------------------

def test_patch_the_header_with_the_version_read(api, manager):
    offer = make_offer(manager)
    client = api(manager)
    body = client.patch(f"/offers/{offer.pk}", {"title": "Нова", "currency": "BGN",
                                                "version": offer.version}).json()
    assert (body["title"], body["currency"], body["net_total"]) == ("Нова", "BGN", "234.70")
    unchanged(lambda: client.patch(f"/offers/{offer.pk}", {"title": "Стара", "version": 1}),
              409, "version_conflict")
    unchanged(lambda: client.patch(f"/offers/{offer.pk}", {"valid_until": "2001-01-01",
                                                           "version": body["version"]}),
              400, "validation_error")


def test_put_lines_reprices_and_is_refused_once_sent(api, manager):
    offer = make_offer(manager)
    tape = product("2.00")
    client = api(manager)
    body = client.put(f"/offers/{offer.pk}/lines", {"lines": [{"product": tape.pk, "quantity": 3}]}).json()
    assert [row["product"]["id"] for row in body["lines"]] == [tape.pk] and body["net_total"] == "6.00"
    unchanged(lambda: client.put(f"/offers/{offer.pk}/lines", {"lines": [{"product": tape.pk,
                                                                         "quantity": -3}]}),
              400, "validation_error")
    assert client.post(f"/offers/{offer.pk}/send").json()["status"] == "sent"
    unchanged(lambda: client.put(f"/offers/{offer.pk}/lines", {"lines": [{"product": tape.pk,
                                                                         "quantity": 1}]}),
              409, "offer_not_editable")


def test_new_version_and_delete(api, manager):
    offer = make_offer(manager)
    client = api(manager)
    unchanged(lambda: client.post(f"/offers/{offer.pk}/new-version"), 409, "offer_state")
    client.post(f"/offers/{offer.pk}/send")
    created = client.post(f"/offers/{offer.pk}/new-version")
    assert created.status_code == 201
    body = created.json()
    assert (body["version_number"], body["previous"], body["status"]) == (2, offer.pk, "draft")
    assert client.get(f"/offers/{offer.pk}").json()["status"] == "superseded"
    unchanged(lambda: client.delete(f"/offers/{offer.pk}"), 409, "offer_state")
    assert client.delete(f"/offers/{body['id']}").status_code == 204
    assert client.get(f"/offers/{body['id']}").status_code == 404
    assert client.get(f"/offers/{offer.pk}").json()["status"] == "sent"


# --- approval and decisions ---------------------------------------------------------------------------

def test_the_approval_flow(api, manager, head_of_sales):
    deal = deal_of(manager)
    client, head = api(manager), api(head_of_sales)
    body = client.post(f"/deals/{deal.pk}/offers", {"lines": [
        {"product": product("10.00").pk, "quantity": 1, "manual_discount": "12.5"}]}).json()
    offer_id = body["id"]
    assert body["approval"]["status"] == "pending"

    unchanged(lambda: client.post(f"/offers/{offer_id}/send"), 409, "approval_required")
    unchanged(lambda: client.post(f"/offers/{offer_id}/approve", {}), 403, "permission_denied")
    unchanged(lambda: head.post(f"/offers/{offer_id}/decline", {"comment": ""}), 400, "validation_error")
    mine = head.get("/offers", {"approval": "mine"}).json()["items"]
    assert [o["id"] for o in mine] == [offer_id]
    panels = {p["name"]: p for p in head.get("/my-day").json()["panels"]}
    assert [i["id"] for i in panels["sales.offer_approvals"]["items"]] == [offer_id]

    approved = head.post(f"/offers/{offer_id}/approve", {"comment": "Ок"}).json()
    assert approved["approval"]["status"] == "approved"
    assert approved["approval"]["decided_by"]["id"] == head_of_sales.pk
    assert client.post(f"/offers/{offer_id}/send").json()["status"] == "sent"


def test_accept_moves_the_deal_and_an_expired_offer_is_refused(api, manager):
    deal = deal_of(manager)
    offer = make_offer(manager, deal)
    expired = make_offer(manager, deal)
    Offer.objects.filter(pk=expired.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    client = api(manager)

    body = unchanged(lambda: client.post(f"/offers/{expired.pk}/accept"), 400, "offer_expired")
    assert "valid_until" in body["fields"]
    response = client.post(f"/offers/{offer.pk}/accept")

    body = response.json()
    assert response.status_code == 200 and body["offer"]["status"] == "accepted"
    assert body["deal_move"]["moved"] and body["deal_move"]["stage"]["id"] == stage_at(1).pk
    unchanged(lambda: client.post(f"/offers/{offer.pk}/reject", {"reason": 1}), 409, "offer_state")


def test_reject_with_a_reason(api, manager):
    offer = make_offer(manager)
    flow.offer_send(actor=manager, offer=offer)
    client = api(manager)
    deal_reason = Reason.objects.filter(kind=Reason.Kind.DEAL_LOST).first()
    body = unchanged(lambda: client.post(f"/offers/{offer.pk}/reject", {"reason": deal_reason.pk}),
                     400, "validation_error")
    assert set(body["fields"]) == {"reason"}
    unchanged(lambda: client.post(f"/offers/{offer.pk}/reject", {}), 400, "validation_error")
    reason = Reason.objects.filter(kind=Reason.Kind.OFFER_REJECTED).last()
    body = client.post(f"/offers/{offer.pk}/reject", {"reason": reason.pk, "comment": "Отложено"}).json()
    assert (body["status"], body["rejection_reason"]["id"], body["decision_comment"]) == (
        OfferStatus.REJECTED, reason.pk, "Отложено")
    reasons = client.get("/deal-reasons", {"kind": "offer_rejected"}).json()
    assert reason.pk in [r["id"] for r in reasons]


def test_the_pdf(api, manager):
    offer = make_offer(manager, lines=[line(product("3.00", name="Стреч фолио"), "2")])
    response = api(manager).get(f"/offers/{offer.pk}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{offer.reference}-v1.pdf"'
    pdf = b"".join(response.streaming_content)
    assert "Стреч фолио" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


# --- our company ------------------------------------------------------------------------------------

def _png() -> str:
    out = io.BytesIO()
    Image.new("RGB", (10, 10), (255, 0, 0)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def test_our_company_is_for_administrators(api, admin_user, manager):
    assert api(manager).get("/organisation").status_code == 403
    before = list(OrganisationProfile.objects.values())
    assert api(manager).put("/organisation", {"legal_name": "X"}).json()["code"] == "permission_denied"
    assert list(OrganisationProfile.objects.values()) == before

    client = api(admin_user)
    body = client.put("/organisation", {"legal_name": "Партнера ЕООД", "eik": "175 074 752",
                                        "iban": "bg80 bnbg 9661 1020 3456 78",
                                        "logo": f"data:image/png;base64,{_png()}"}).json()
    assert (body["legal_name"], body["eik"], body["iban"]) == (
        "Партнера ЕООД", "175074752", "BG80BNBG96611020345678")
    assert body["logo"].startswith("data:image/png;base64,")
    assert client.get("/organisation").json()["legal_name"] == "Партнера ЕООД"

    bad = client.put("/organisation", {"eik": "123", "logo": base64.b64encode(b"GIF89a...").decode()})
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"eik", "logo"}
    assert OrganisationProfile.objects.get().eik == "175074752"
    assert client.put("/organisation", {"logo": None}).json()["logo"] is None
