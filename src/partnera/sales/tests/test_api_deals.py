"""REST API of pipelines, stages, reasons and deals at /api/v1: the same services as the pages, so
the same refusals (a stage rule answers 400 naming what is missing, and nothing changes),
visibility (a hidden deal is 404 and never listed), administrators-only settings (403)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.core.roles import Role
from partnera.core.tests.api_client import ApiClient
from partnera.sales.models import ContactRole, Deal, DealStageChange, Reason
from partnera.sales.tests.factories import DealFactory, default_pipeline, stage_at
from partnera.sales.tests.test_deal_pages import state
from partnera.sales.tests.test_pipelines import settings_state

pytestmark = pytest.mark.django_db

API = "/api/v1"



@pytest.fixture
def api(client):
    return lambda user: ApiClient(client, user)


# --- pipelines, stages, reasons --------------------------------------------------------------------

def test_pipelines_come_with_stages_probabilities_and_rules(api, manager):
    response = api(manager).get("/pipelines")

    assert response.status_code == 200
    pipelines = response.json()
    default = next(p for p in pipelines if p["is_default"])
    assert [s["probability"] for s in default["stages"]] == [10, 20, 35, 50, 70, 90, 100, 0]
    assert default["stages"][3]["rules"] == ["amount"]
    assert [s["outcome"] for s in default["stages"]][-2:] == ["won", "lost"]
    assert default["problems"] == []


def test_an_administrator_creates_a_pipeline_adds_a_stage_and_sets_rules(api, admin_user):
    client = api(admin_user)

    created = client.post("/pipelines", {"name": "Дистрибутори", "kind": "other"})
    assert created.status_code == 201
    pipeline = created.json()
    assert [s["outcome"] for s in pipeline["stages"]] == ["open", "won", "lost"]

    stage = client.post(f"/pipelines/{pipeline['id']}/stages",
                        {"name": "Пробна поръчка", "probability": 40, "rules": ["amount"]})
    assert stage.status_code == 201 and stage.json()["position"] == 1
    rules = client.put(f"/stages/{stage.json()['id']}/rules", {"rules": ["amount", "close_date"]})
    assert rules.json()["rules"] == ["amount", "close_date"]
    patched = client.patch(f"/stages/{stage.json()['id']}", {"probability": 45, "usual_days": 9})
    assert (patched.json()["probability"], patched.json()["usual_days"]) == (45, 9)
    renamed = client.patch(f"/pipelines/{pipeline['id']}", {"name": "Дилъри", "is_default": True})
    assert renamed.json()["name"] == "Дилъри" and renamed.json()["is_default"]
    ids = [s["id"] for s in renamed.json()["stages"]]
    reordered = client.put(f"/pipelines/{pipeline['id']}/stage-order",
                           {"stages": [ids[1], ids[0], *ids[2:]]})
    assert [s["id"] for s in reordered.json()["stages"]] == [ids[1], ids[0], *ids[2:]]


def test_bad_settings_input_answers_400_with_fields_and_changes_nothing(api, admin_user):
    client = api(admin_user)
    before = settings_state()

    probability = client.patch(f"/stages/{stage_at(1).pk}", {"probability": 101})
    unknown_rule = client.put(f"/stages/{stage_at(1).pk}/rules", {"rules": ["a_letter"]})
    last_lost = client.patch(f"/stages/{stage_at(7).pk}", {"active": False})
    order = client.put(f"/pipelines/{default_pipeline().pk}/stage-order", {"stages": [1]})

    assert probability.status_code == 400 and "probability" in probability.json()["fields"]
    assert unknown_rule.status_code == 400 and "rules" in unknown_rule.json()["fields"]
    assert last_lost.status_code == 400 and "active" in last_lost.json()["fields"]
    assert order.status_code == 400 and "order" in order.json()["fields"]
    assert settings_state() == before


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.HEAD_OF_SALES, Role.MARKETING,
                                  Role.DEPARTMENT])
def test_settings_writes_are_for_administrators_only(api, make_user, role):
    client = api(make_user(role))
    before = settings_state()

    answers = [
        client.post("/pipelines", {"name": "X"}),
        client.patch(f"/pipelines/{default_pipeline().pk}", {"name": "X"}),
        client.post(f"/pipelines/{default_pipeline().pk}/stages", {"name": "X"}),
        client.patch(f"/stages/{stage_at(1).pk}", {"name": "X"}),
        client.put(f"/stages/{stage_at(1).pk}/rules", {"rules": []}),
        client.put(f"/pipelines/{default_pipeline().pk}/stage-order", {"stages": []}),
        client.post("/deal-reasons", {"name": "X"}),
        client.patch(f"/deal-reasons/{Reason.objects.first().pk}", {"name": "X"}),
    ]

    assert [a.status_code for a in answers] == [403] * len(answers)
    assert all(a.json()["code"] == "permission_denied" for a in answers)
    assert settings_state() == before


def test_deal_reasons_list_the_active_lost_reasons(api, manager):
    response = api(manager).get("/deal-reasons")

    names = [r["name"] for r in response.json()]
    assert names == list(Reason.objects.filter(kind="deal_lost", active=True)
                         .order_by("position", "name").values_list("name", flat=True))
    assert all(r["kind"] == "deal_lost" for r in response.json())


# --- deals ----------------------------------------------------------------------------------------

def test_create_read_update_delete_and_restore_a_deal(api, manager):
    company = CompanyFactory(owner=manager)
    buyer = ContactFactory(company=company)
    client = api(manager)

    created = client.post("/deals", {
        "title": "Доставка", "company": company.pk, "amount": "1955.83", "currency": "BGN",
        "expected_close_date": "2026-10-31", "products": ["Хартия"], "competitors": ["Офис 1"],
        "contacts": [{"contact": buyer.pk, "role": "decision_maker"}]})
    assert created.status_code == 201, created.json()
    deal = created.json()
    assert deal["stage"]["id"] == stage_at(0).pk and deal["status"] == "open"
    assert deal["amount_eur"] == "1000.00" and deal["weighted_amount"] == "195.58"
    assert deal["contacts"] == [{"contact": {"id": buyer.pk, "name": str(buyer)},
                                 "role": "decision_maker"}]
    assert deal["no_next_activity"] is True

    patched = client.patch(f"/deals/{deal['id']}", {"next_step": "Среща", "version": 1})
    assert patched.status_code == 200 and patched.json()["version"] == 2
    stale = client.patch(f"/deals/{deal['id']}", {"next_step": "Друго", "version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"
    assert client.get(f"/deals/{deal['id']}").json()["next_step"] == "Среща"

    assert client.delete(f"/deals/{deal['id']}").status_code == 204
    assert client.get(f"/deals/{deal['id']}").status_code == 404
    restored = client.post(f"/deals/{deal['id']}/restore")
    assert restored.status_code == 200 and restored.json()["id"] == deal["id"]


def test_a_move_refused_by_a_stage_rule_answers_400_with_the_fields_and_changes_nothing(api,
                                                                                       manager):
    deal = DealFactory(owner=manager, amount=None, amount_eur=None, expected_close_date=None)
    client = api(manager)
    before = state()

    response = client.post(f"/deals/{deal.pk}/move", {"stage": stage_at(4).pk})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert set(body["fields"]) == {"amount", "expected_close_date"}
    assert body["fields"]["amount"] == [f"“{stage_at(4).name}” needs an expected amount."]
    assert state() == before


def test_the_same_rule_refuses_the_web_page_and_the_api_alike(api, logged_in, manager):
    deal = DealFactory(owner=manager, stage=stage_at(4))
    message = f"“{stage_at(5).name}” needs a decision maker among the contacts."
    before = state()

    api_answer = api(manager).post(f"/deals/{deal.pk}/move", {"stage": stage_at(5).pk})
    web_answer = logged_in(manager).post(f"/sales/deals/{deal.pk}/move/",
                                         {"stage": stage_at(5).pk}, HTTP_ACCEPT_LANGUAGE="en")

    assert api_answer.status_code == web_answer.status_code == 400
    assert api_answer.json()["fields"]["contacts"] == [message]
    assert message in web_answer.content.decode()
    assert state() == before


def test_moves_contacts_and_history(api, manager):
    deal = DealFactory(owner=manager, stage=stage_at(4))
    buyer = ContactFactory(company=deal.company)
    client = api(manager)

    contacts = client.put(f"/deals/{deal.pk}/contacts",
                          {"contacts": [{"contact": buyer.pk, "role": ContactRole.DECISION_MAKER}],
                           "version": 1})
    assert contacts.status_code == 200 and contacts.json()["version"] == 2
    moved = client.post(f"/deals/{deal.pk}/move", {"stage": stage_at(5).pk, "version": 2})
    assert moved.status_code == 200 and moved.json()["stage"]["id"] == stage_at(5).pk
    refused = client.post(f"/deals/{deal.pk}/move", {"stage": stage_at(7).pk})
    assert refused.status_code == 400 and "lost_reason" in refused.json()["fields"]
    reason = Reason.objects.filter(kind="deal_lost").first()
    lost = client.post(f"/deals/{deal.pk}/move", {"stage": stage_at(7).pk, "lost_reason": reason.pk,
                                                  "lost_comment": "Цена"})
    assert lost.json()["status"] == "lost" and lost.json()["lost_reason"]["id"] == reason.pk

    history = client.get(f"/deals/{deal.pk}/history").json()
    assert [(h["from_stage"] and h["from_stage"]["id"], h["to_stage"]["id"]) for h in history] == [
        (None, stage_at(4).pk), (stage_at(4).pk, stage_at(5).pk), (stage_at(5).pk, stage_at(7).pk)]
    assert history[1]["seconds_in_from"] is not None


def test_contacts_of_another_company_are_refused(api, manager):
    deal = DealFactory(owner=manager)
    stranger = ContactFactory()
    before = state()

    response = api(manager).put(f"/deals/{deal.pk}/contacts",
                                {"contacts": [{"contact": stranger.pk, "role": ""}]})

    assert response.status_code == 400 and "contacts" in response.json()["fields"]
    assert state() == before


@pytest.mark.parametrize("payload", [
    {"title": "X"},  # no company
    {"title": "X", "company": 1, "amount": "много"},
    {"title": "X", "company": 1, "currency": "USD"},
    {"title": "X", "company": 1, "expected_close_date": "31.12.2026"},
    {"title": "X", "company": 1, "unknown": 1},
    {"title": "X", "company": 1, "contacts": [{"contact": 1, "role": "boss"}]},
])
def test_bad_deal_input_answers_400_and_stores_nothing(api, manager, payload):
    CompanyFactory(owner=manager)

    response = api(manager).post("/deals", payload)

    assert response.status_code == 400
    assert response.json()["fields"]
    assert not Deal.all_objects.exists()


def test_a_hidden_deal_is_404_on_every_endpoint_and_never_listed(api, manager, other_manager):
    deal = DealFactory(owner=other_manager, title="Чужда")
    client = api(manager)
    before = state()

    answers = [
        client.get(f"/deals/{deal.pk}"),
        client.patch(f"/deals/{deal.pk}", {"title": "X", "version": 1}),
        client.delete(f"/deals/{deal.pk}"),
        client.post(f"/deals/{deal.pk}/restore"),
        client.post(f"/deals/{deal.pk}/move", {"stage": stage_at(1).pk}),
        client.put(f"/deals/{deal.pk}/contacts", {"contacts": []}),
        client.get(f"/deals/{deal.pk}/history"),
    ]
    missing = client.get("/deals/999999")

    assert [a.status_code for a in answers] == [404] * len(answers)
    assert all(a.json() == missing.json() for a in answers)
    listed = client.get("/deals").json()
    assert listed["items"] == [] and listed["count"] == 0
    assert state() == before


def test_marketing_reads_deals_but_writes_answer_403(api, make_user, manager):
    deal = DealFactory(owner=manager)
    client = api(make_user(Role.MARKETING))
    before = state()

    assert client.get(f"/deals/{deal.pk}").status_code == 200
    answers = [client.post("/deals", {"title": "X", "company": deal.company_id}),
               client.patch(f"/deals/{deal.pk}", {"title": "X", "version": 1}),
               client.post(f"/deals/{deal.pk}/move", {"stage": stage_at(1).pk}),
               client.delete(f"/deals/{deal.pk}")]

    assert [a.status_code for a in answers] == [403] * 4
    assert state() == before


def test_the_list_filters_like_the_page(api, manager):
    DealFactory(owner=manager, title="Голяма", amount=Decimal("50000"), amount_eur=Decimal("50000"))
    DealFactory(owner=manager, title="Малка", amount=Decimal("100"), amount_eur=Decimal("100"),
                stage=stage_at(1))
    client = api(manager)

    def titles(**params) -> list[str]:
        response = client.get("/deals", params)
        assert response.status_code == 200, response.json()
        return sorted(d["title"] for d in response.json()["items"])

    assert titles() == ["Голяма", "Малка"]
    assert titles(amount_min="1000") == ["Голяма"]
    assert titles(stage=stage_at(1).pk) == ["Малка"]
    assert titles(q="гол") == ["Голяма"]
    assert titles(status="open", no_next_activity="true") == ["Голяма", "Малка"]
    assert client.get("/deals", {"close_month": "2026-13"}).status_code == 400
    assert client.get("/deals", {"colour": "red"}).status_code == 400
    assert client.get("/deals", {"cursor": "bogus"}).status_code == 400


def test_the_list_pages_with_a_cursor(api, manager):
    for _ in range(5):
        DealFactory(owner=manager)
    client = api(manager)

    first = client.get("/deals", {"limit": 3}).json()
    second = client.get("/deals", {"limit": 3, "cursor": first["next_cursor"]}).json()

    assert len(first["items"]) == 3 and len(second["items"]) == 2
    assert not {d["id"] for d in first["items"]} & {d["id"] for d in second["items"]}
    assert second["next_cursor"] is None and first["count"] == 5


def test_the_list_takes_a_constant_number_of_queries(api, manager):
    client = api(manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/deals", {"limit": 100}).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        deal = DealFactory(owner=manager)
        ContactFactory(company=deal.company)
    few = queries()
    for _ in range(18):
        deal = DealFactory(owner=manager)
        from partnera.sales.models import DealContact

        DealContact.objects.create(deal=deal, contact=ContactFactory(company=deal.company))
    many = queries()

    assert many == few
    assert DealStageChange.objects.count() == 20


def test_the_openapi_schema_lists_the_deal_endpoints(client):
    schema = client.get(f"{API}/openapi.json").json()

    for path in ("/api/v1/pipelines", "/api/v1/deals", "/api/v1/deals/{deal_id}/move",
                 "/api/v1/deals/{deal_id}/contacts", "/api/v1/deals/{deal_id}/history",
                 "/api/v1/deal-reasons"):
        assert path in schema["paths"], path


@pytest.mark.parametrize("payload", [
    {"stage": 999999},
    {"stage": "first"},
    {"lost_comment": "a\x00b"},
    {"lost_comment": "x" * 2001},
    {"lost_reason": 999999},
])
def test_bad_move_input_answers_400_and_moves_nothing(api, manager, payload):
    deal = DealFactory(owner=manager)
    reason = Reason.objects.filter(kind="deal_lost").first()
    body = {"stage": stage_at(7).pk, "lost_reason": reason.pk, **payload}
    before = state()

    response = api(manager).post(f"/deals/{deal.pk}/move", body)

    assert response.status_code == 400
    assert set(response.json()["fields"]) <= {"stage", "lost_comment", "lost_reason"}
    assert response.json()["fields"]
    assert state() == before


def test_huge_ids_and_amounts_are_answered_not_crashed(api, admin_user):
    client = api(admin_user)

    assert client.get("/deals/9223372036854775808").status_code == 404
    assert client.patch("/stages/9223372036854775808", {"name": "X"}).status_code == 404
    assert client.get("/deals", {"amount_min": "1e400"}).status_code == 400
    assert client.patch(f"/stages/{stage_at(1).pk}",
                        {"probability": 10**20}).json()["fields"] == {
        "probability": ["Enter a win probability from 0 to 100."]}
