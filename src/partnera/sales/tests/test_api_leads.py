"""REST API for leads: /api/v1/leads …, qualify, disqualify and the managed reasons.

Called with a real bearer token; every refused call also checks that nothing changed.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnera.clients import services as client_services
from partnera.clients.models import Company, Contact
from partnera.clients.tests.factories import valid_eik
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.core.tests.api_client import ApiClient
from partnera.sales.models import Deal, Lead, LeadStatus, Reason
from partnera.sales.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"



@pytest.fixture
def api_as(client):
    return lambda user: ApiClient(client, user)


def rows() -> dict:
    return {
        "leads": list(Lead.all_objects.order_by("pk").values()),
        "companies": list(Company.all_objects.order_by("pk").values()),
        "contacts": list(Contact.all_objects.order_by("pk").values()),
        "deals": list(Deal.all_objects.order_by("pk").values()),
        # Changes to records (making the caller's token and refused looks are audited too).
        "audit": list(AuditEntry.objects.filter(object_type__regex=r"^(sales|clients)\.")
                      .exclude(action=AuditEntry.Action.ACCESS_DENIED)
                      .order_by("pk").values_list("pk", flat=True)),
    }


def a_client(actor, **data) -> Company:
    return client_services.company_create(actor=actor, data=data, allow_duplicate=True)


def reason() -> Reason:
    return Reason.objects.filter(kind=Reason.Kind.LEAD_DISQUALIFIED, active=True).first()


NEW = {"company_name": "Бета Строй", "first_name": "Иван", "email": "Ivan@Beta.bg",
       "phone": "0888 123 456", "source": "campaign", "source_detail": "Пролет 2026"}


# --- list ------------------------------------------------------------------------------------------

def test_the_list_holds_visible_leads_newest_first(api_as, manager, other_manager):
    older = LeadFactory(owner=manager)
    newer = LeadFactory(owner=manager, status=LeadStatus.WORKING)
    LeadFactory(owner=other_manager)

    body = api_as(manager).get("/leads").json()

    assert [item["id"] for item in body["items"]] == [newer.pk, older.pk]
    assert body["count"] == 2 and body["next_cursor"] is None
    only = api_as(manager).get("/leads", {"status": "working"}).json()
    assert [item["id"] for item in only["items"]] == [newer.pk]


def test_the_list_pages_with_a_cursor_and_refuses_a_forged_one(api_as, manager):
    leads = [LeadFactory(owner=manager) for _ in range(3)]
    api = api_as(manager)

    first = api.get("/leads", {"limit": 2}).json()
    second = api.get("/leads", {"limit": 2, "cursor": first["next_cursor"]}).json()

    assert [i["id"] for i in first["items"] + second["items"]] == [lead.pk for lead in reversed(leads)]
    bad = api.get("/leads", {"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and "cursor" in bad.json()["fields"]
    assert api.get("/leads", {"colour": "red"}).status_code == 400


def test_the_list_runs_the_same_queries_for_2_or_20_leads(api_as, manager, make_user, team):
    api = api_as(manager)
    owners = [make_user(Role.ACCOUNT_MANAGER, team=team) for _ in range(3)]
    for n in range(2):
        LeadFactory(owner=owners[n % 3], team=team)
    api.get("/leads")
    with CaptureQueriesContext(connection) as few:
        assert api.get("/leads").status_code == 200
    for n in range(18):
        LeadFactory(owner=owners[n % 3], team=team)
    with CaptureQueriesContext(connection) as many:
        body = api.get("/leads").json()
    assert len(body["items"]) == 20
    assert len(many) == len(few)


# --- create / change ---------------------------------------------------------------------------------

def test_a_lead_is_created_with_its_values_normalised(api_as, manager):
    response = api_as(manager).post("/leads", NEW)

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ivan@beta.bg" and body["phone"] == "+359888123456"
    assert body["owner"]["id"] == manager.pk and body["status"] == "new"
    assert Lead.objects.get().source_detail == "Пролет 2026"


@pytest.mark.parametrize("data, field", [
    ({**NEW, "eik": "1234"}, "eik"),
    ({**NEW, "email": "nope"}, "email"),
    ({**NEW, "source": "pigeon"}, "source"),
    ({**NEW, "status": "qualified"}, "status"),
    ({**NEW, "colour": "red"}, "colour"),
    ({**NEW, "company_name": "x" * 300}, "company_name"),
    ({**NEW, "company_name": "Зла\x00"}, "company_name"),
    ({"source": "call"}, "company_name"),
    ({**NEW, "referred_by_company": 2**70}, "referred_by_company"),
])
def test_bad_input_is_refused_with_its_field_and_nothing_is_stored(api_as, manager, data, field):
    before = rows()

    response = api_as(manager).post("/leads", data)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["fields"]
    assert rows() == before


@pytest.mark.parametrize("role", [Role.MARKETING, Role.DEPARTMENT])
def test_roles_without_the_right_are_refused(api_as, make_user, team, role):
    user = make_user(role, team=team)
    lead = LeadFactory(owner=None, team=team)
    api = api_as(user)
    before = rows()

    assert api.post("/leads", NEW).status_code == 403
    assert api.patch(f"/leads/{lead.pk}", {"city": "X", "version": 1}).status_code == 403
    assert api.post(f"/leads/{lead.pk}/qualify", {}).status_code == 403
    assert api.post(f"/leads/{lead.pk}/disqualify", {"reason": reason().pk}).status_code == 403
    assert api.delete(f"/leads/{lead.pk}").status_code == 403
    assert rows() == before


def test_a_stale_version_answers_409(api_as, manager):
    lead = LeadFactory(owner=manager)
    api = api_as(manager)
    assert api.patch(f"/leads/{lead.pk}", {"city": "Русе", "version": 1}).status_code == 200
    before = rows()

    response = api.patch(f"/leads/{lead.pk}", {"city": "Шумен", "version": 1})

    assert response.status_code == 409 and response.json()["code"] == "version_conflict"
    assert rows() == before


def test_delete_and_restore(api_as, manager):
    lead = LeadFactory(owner=manager)
    api = api_as(manager)

    assert api.delete(f"/leads/{lead.pk}").status_code == 204
    assert api.get(f"/leads/{lead.pk}").status_code == 404
    restored = api.post(f"/leads/{lead.pk}/restore")

    assert restored.status_code == 200 and restored.json()["id"] == lead.pk
    assert Lead.objects.filter(pk=lead.pk).exists()


# --- visibility ---------------------------------------------------------------------------------------

def test_a_hidden_lead_answers_404_on_every_endpoint_and_nothing_changes(api_as, manager,
                                                                         other_manager):
    hidden = LeadFactory(owner=other_manager, company_name="Скрита")
    gone = LeadFactory(owner=other_manager)
    Lead.objects.filter(pk=gone.pk).update(deleted_at="2026-01-01T00:00:00Z")
    api = api_as(manager)
    before = rows()

    answers = [
        api.get(f"/leads/{hidden.pk}"),
        api.patch(f"/leads/{hidden.pk}", {"city": "X", "version": 1}),
        api.delete(f"/leads/{hidden.pk}"),
        api.post(f"/leads/{gone.pk}/restore"),
        api.post(f"/leads/{hidden.pk}/qualify", {}),
        api.post(f"/leads/{hidden.pk}/disqualify", {"reason": reason().pk}),
        api.get(f"/leads/{2**62}"),
    ]

    assert [a.status_code for a in answers] == [404] * len(answers)
    assert all(a.json()["code"] == "not_found" for a in answers)
    assert "Скрита" not in json.dumps(api.get("/leads", {"q": "Скрита"}).json(), ensure_ascii=False)
    assert rows() == before


# --- qualify / disqualify -----------------------------------------------------------------------------

def test_qualifying_reuses_an_existing_company_and_contact(api_as, manager):
    eik = valid_eik(701)
    company = a_client(manager, legal_name="Делта", eik=eik)
    person = client_services.contact_create(actor=manager, data={
        "company": company.pk, "first_name": "Петър", "emails": "p@delta.bg"})
    lead = LeadFactory(owner=manager, company_name="Делта", eik=eik, email="p@delta.bg")

    response = api_as(manager).post(f"/leads/{lead.pk}/qualify", {
        "company": company.pk, "contact": person.pk,
        "deal_data": {"title": "Годишен договор", "amount": "5000", "currency": "BGN"}})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "qualified" and body["company"] == company.pk
    assert body["contact"] == person.pk
    deal = Deal.objects.get(pk=body["deal"])
    assert deal.title == "Годишен договор" and deal.currency == "BGN" and deal.company == company
    assert Company.objects.count() == 1 and Contact.objects.count() == 1


def test_qualifying_creates_new_records_from_the_lead(api_as, manager):
    lead = LeadFactory(owner=manager, company_name="Ета", eik=valid_eik(711), first_name="Ана",
                       email="ana@eta.bg")

    response = api_as(manager).post(f"/leads/{lead.pk}/qualify", {
        "company_data": {"city": "Русе"}, "contact_data": {"position": "Купувач"}})

    assert response.status_code == 200, response.content
    lead.refresh_from_db()
    assert (lead.company.legal_name, lead.company.city) == ("Ета", "Русе")
    assert (lead.contact.first_name, lead.contact.position) == ("Ана", "Купувач")
    assert lead.deal.title == "Ета"


def test_qualifying_onto_a_hidden_company_is_refused(api_as, manager, other_manager):
    hidden = a_client(other_manager, legal_name="Скрита", eik=valid_eik(721))
    lead = LeadFactory(owner=manager)
    before = rows()

    response = api_as(manager).post(f"/leads/{lead.pk}/qualify", {"company": hidden.pk})

    assert response.status_code == 400 and "company" in response.json()["fields"]
    assert "Скрита" not in response.content.decode()
    assert rows() == before


def test_a_new_company_like_a_visible_one_answers_409_with_the_matches(api_as, manager):
    existing = a_client(manager, legal_name="Омега", emails="office@omega.bg")
    lead = LeadFactory(owner=manager, company_name="Omega OOD", eik="", email="office@omega.bg")
    before = rows()

    response = api_as(manager).post(f"/leads/{lead.pk}/qualify", {})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "possible_duplicate"
    assert [m["id"] for m in body["matches"]] == [existing.pk]
    assert rows() == before
    # The same EIK is no duplicate to confirm: it is refused for the company's EIK
    twin = LeadFactory(owner=manager, company_name="Друга", eik=valid_eik(731))
    a_client(manager, legal_name="Първа", eik=valid_eik(731))
    taken = api_as(manager).post(f"/leads/{twin.pk}/qualify", {"allow_duplicate": True})
    assert taken.status_code == 400 and "company_eik" in taken.json()["fields"]


def test_errors_of_each_part_carry_its_prefix(api_as, manager):
    lead = LeadFactory(owner=manager, company_name="")
    before = rows()

    response = api_as(manager).post(f"/leads/{lead.pk}/qualify", {
        "company_data": {"eik": "12"}, "contact_data": {}, "deal_data": {"amount": "x"}})

    assert response.status_code == 400
    assert {"company_legal_name", "company_eik"} <= set(response.json()["fields"])
    assert rows() == before
    unknown = api_as(manager).post(f"/leads/{lead.pk}/qualify", {"deal_data": {"colour": "x"}})
    assert unknown.status_code == 400


def test_disqualifying_needs_a_reason_from_the_list(api_as, manager):
    lead = LeadFactory(owner=manager)
    api = api_as(manager)
    before = rows()

    for body in ({}, {"reason": None, "comment": "Няма бюджет"}, {"reason": 999999},
                 {"reason": "две"}):
        response = api.post(f"/leads/{lead.pk}/disqualify", body)
        assert response.status_code == 400
        assert "reason" in response.json()["fields"]
    assert rows() == before

    ok = api.post(f"/leads/{lead.pk}/disqualify", {"reason": reason().pk, "comment": "Няма бюджет"})
    assert ok.status_code == 200
    assert ok.json()["disqualify_reason"] == {"id": reason().pk, "name": reason().name}
    again = api.post(f"/leads/{lead.pk}/disqualify", {"reason": reason().pk})
    assert again.status_code == 409


def test_the_managed_reasons_are_listed(api_as, manager):
    response = api_as(manager).get("/lead-reasons")

    expected = list(Reason.objects.filter(kind="lead_disqualified", active=True)
                    .values_list("pk", flat=True))
    assert response.status_code == 200
    assert [r["id"] for r in response.json()] == expected and expected


def test_the_api_needs_authentication(client):
    assert client.get(API + "/leads").status_code == 401
    assert client.post(API + "/leads", "{}", content_type="application/json").status_code == 401


# --- hostile JSON and the schema -------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=6,
)
lead_fields = st.sampled_from(["company_name", "eik", "email", "phone", "source", "status", "owner",
                               "referred_by_company", "message", "version", "company",
                               "company_data", "contact", "contact_data", "deal_data", "reason",
                               "comment", "zzz"])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(payload=st.dictionaries(lead_fields, json_values, max_size=6))
def test_no_json_a_client_sends_turns_into_a_server_error(api_as, manager, payload):
    lead = Lead.objects.filter(owner=manager, status="new").first() or LeadFactory(owner=manager)
    api = api_as(manager)

    for response in (api.post("/leads", payload), api.patch(f"/leads/{lead.pk}", payload),
                     api.post(f"/leads/{lead.pk}/qualify", payload),
                     api.post(f"/leads/{lead.pk}/disqualify", payload)):
        assert response.status_code < 500, response.content
        if response.status_code >= 400:
            assert set(response.json()) >= {"code", "message", "fields"}


def test_the_openapi_schema_lists_the_lead_endpoints(client):
    paths = client.get(API + "/openapi.json").json()["paths"]

    assert {f"{API}/leads", f"{API}/leads/{{lead_id}}", f"{API}/leads/{{lead_id}}/restore",
            f"{API}/leads/{{lead_id}}/qualify", f"{API}/leads/{{lead_id}}/disqualify",
            f"{API}/lead-reasons"} <= set(paths)
