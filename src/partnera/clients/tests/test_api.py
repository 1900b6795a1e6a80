"""REST API for the client base: companies, contacts, notes and files at /api/v1.

Every bad-input and permission test also checks that nothing in the database changed.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnera.clients import services
from partnera.clients.models import Attachment, Company, Contact, Note, Tag
from partnera.clients.tests.factories import (
    CompanyFactory,
    ContactFactory,
    NoteFactory,
    TagFactory,
    valid_eik,
)
from partnera.core.models import AuditEntry, RecordShare
from partnera.core.roles import Role
from partnera.core.tests.api_client import ApiClient

pytestmark = pytest.mark.django_db

API = "/api/v1"
CONFIDENTIAL = ("credit_limit", "payment_terms_days", "credit_terms", "financial_notes")



@pytest.fixture
def api_as(client):
    return lambda user: ApiClient(client, user)


def db_rows() -> dict:
    """Every row of the client base, deleted ones included: compare before/after a refused call."""
    return {
        "companies": list(Company.all_objects.order_by("pk").values()),
        "contacts": list(Contact.all_objects.order_by("pk").values()),
        "notes": list(Note.all_objects.order_by("pk").values()),
        "attachments": list(Attachment.all_objects.order_by("pk").values()),
        "tags": list(Tag.objects.order_by("pk").values()),
        "company_tags": list(Company.tags.through.objects.order_by("pk").values()),
        "shares": list(RecordShare.objects.order_by("pk").values()),
        # Audit entries of changes (a refused read is audited as access_denied; making the test's
        # API token is audited too, and neither is a change to the client base).
        "changes": AuditEntry.objects.exclude(action__in=[
            AuditEntry.Action.ACCESS_DENIED, AuditEntry.Action.TOKEN_CREATE]).count(),
    }


def assert_error(response, status: int, code: str, fields: set[str] | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    if fields is not None:
        assert set(body["fields"]) == fields, body["fields"]
        assert all(isinstance(m, str) and m for ms in body["fields"].values() for m in ms)
    return body


def last_audit(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).order_by("-id").first()


def valid_payload(**overrides) -> dict:
    data = {"legal_name": "Тракия Трейд", "legal_form": "OOD", "eik": valid_eik(4242),
            "vat_number": "BG" + valid_eik(4242), "phones": ["0888 123 456"],
            "emails": ["Office@Trakia.bg"], "stage": "active", "tier": "corporate",
            "city": "Пловдив", "tags": ["дистрибутор", "юг"]}
    data.update(overrides)
    return data


# --- companies: reading -------------------------------------------------------------------------

def test_list_shows_only_visible_companies_with_the_page_shape(api_as, manager, other_manager):
    mine = CompanyFactory(owner=manager, legal_name="Алфа")
    CompanyFactory(owner=other_manager, legal_name="Бета")

    response = api_as(manager).get("/companies")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "next_cursor", "count", "count_is_lower_bound"}
    assert [c["id"] for c in body["items"]] == [mine.pk]
    assert body["count"] == 1 and body["count_is_lower_bound"] is False
    assert body["next_cursor"] is None
    item = body["items"][0]
    assert item["legal_name"] == "Алфа"
    assert item["owner"] == {"id": manager.pk, "username": "manager", "name": str(manager)}
    assert item["team"] == {"id": manager.team_id, "name": manager.team.name}
    assert item["version"] == 1


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"stage": "lost"}, ["Лост"]),
        ({"stage": ["lost", "dormant"]}, ["Дормант", "Лост"]),
        ({"tier": "key_account"}, ["Ключов"]),
        ({"tag": "vip"}, ["Ключов"]),
        ({"tag": "няма-такъв"}, []),
        ({"region": "Варна"}, ["Дормант"]),
        ({"city": "Русе"}, ["Лост"]),
        ({"industry": "Строителство"}, ["Ключов"]),
        ({"q": "ключов"}, ["Ключов"]),
    ],
)
def test_list_filters(api_as, manager, params, expected):
    CompanyFactory(owner=manager, legal_name="Лост", stage="lost", city="Русе")
    CompanyFactory(owner=manager, legal_name="Дормант", stage="dormant", region="Варна")
    key = CompanyFactory(owner=manager, legal_name="Ключов", tier="key_account",
                         industry="Строителство")
    key.tags.add(TagFactory(name="vip"))

    response = api_as(manager).get("/companies", {"sort": "name", **params})

    assert response.status_code == 200, response.content
    assert [c["legal_name"] for c in response.json()["items"]] == expected


def test_list_filters_by_owner_and_team(api_as, admin_user, manager, other_manager):
    a = CompanyFactory(owner=manager)
    b = CompanyFactory(owner=other_manager)
    api = api_as(admin_user)

    assert [c["id"] for c in api.get("/companies", {"owner": manager.pk}).json()["items"]] == [a.pk]
    assert [c["id"] for c in api.get("/companies", {"team": other_manager.team_id}).json()["items"]] \
        == [b.pk]


def test_list_walks_every_row_once_through_the_cursor(api_as, manager):
    names = [f"Фирма {n:02d}" for n in range(7)]
    for name in reversed(names):
        CompanyFactory(owner=manager, legal_name=name)
    api = api_as(manager)

    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, "sort": "name", **({"cursor": cursor} if cursor else {})}
        body = api.get("/companies", params).json()
        seen += [c["legal_name"] for c in body["items"]]
        assert body["count"] == 7
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert seen == names
    assert pages == 3


def test_list_sorts_descending_by_name(api_as, manager):
    for name in ("Б", "А", "В"):
        CompanyFactory(owner=manager, legal_name=name)

    body = api_as(manager).get("/companies", {"sort": "-name"}).json()

    assert [c["legal_name"] for c in body["items"]] == ["В", "Б", "А"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"stage": "won"}, "stage"),
        ({"tier": 5}, "tier"),
        ({"owner": "me"}, "owner"),
        ({"sort": "eik"}, "sort"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"stagee": "active"}, "stagee"),
    ],
)
def test_list_rejects_bad_parameters(api_as, manager, params, field):
    CompanyFactory(owner=manager)

    response = api_as(manager).get("/companies", params)

    assert_error(response, 400, "validation_error", {field})


def test_get_company_hides_confidential_fields_from_a_manager(api_as, manager):
    company = CompanyFactory(owner=manager, credit_limit="15000.00", payment_terms_days=30,
                             credit_terms="30 дни", financial_notes="Плаща навреме")

    body = api_as(manager).get(f"/companies/{company.pk}").json()

    assert body["id"] == company.pk
    assert body["eik"] == company.eik
    assert not set(CONFIDENTIAL) & set(body)


@pytest.mark.parametrize("role", [Role.HEAD_OF_SALES, Role.ADMINISTRATOR, Role.KEY_ACCOUNT_MANAGER])
def test_get_company_shows_confidential_fields_to_roles_with_the_right(api_as, make_user, team,
                                                                       role):
    user = make_user(role, team=team)
    company = CompanyFactory(owner=user, credit_limit="15000.00", payment_terms_days=30,
                             credit_terms="30 дни", financial_notes="Плаща навреме")

    body = api_as(user).get(f"/companies/{company.pk}").json()

    assert body["credit_limit"] == "15000.00"
    assert body["payment_terms_days"] == 30
    assert body["credit_terms"] == "30 дни"
    assert body["financial_notes"] == "Плаща навреме"


def test_list_omits_confidential_fields_for_a_manager_and_shows_them_to_the_head(
        api_as, manager, head_of_sales):
    CompanyFactory(owner=manager, credit_limit="500.00")

    manager_item = api_as(manager).get("/companies").json()["items"][0]
    head_item = api_as(head_of_sales).get("/companies").json()["items"][0]

    assert not set(CONFIDENTIAL) & set(manager_item)
    assert head_item["credit_limit"] == "500.00"


# --- companies: writing ---------------------------------------------------------------------------

def test_create_company_normalises_identifiers_and_audits_through_the_api(api_as, manager):
    response = api_as(manager).post("/companies", valid_payload())

    assert response.status_code == 201, response.content
    body = response.json()
    company = Company.objects.get(pk=body["id"])
    assert company.legal_name == "Тракия Трейд"
    assert company.eik == valid_eik(4242)
    assert company.phones == ["+359888123456"]
    assert company.emails == ["office@trakia.bg"]
    assert company.owner == manager and company.team == manager.team
    assert sorted(t.name for t in company.tags.all()) == ["дистрибутор", "юг"]
    assert body["phones"] == ["+359888123456"]
    assert body["tags"] == ["дистрибутор", "юг"]
    assert body["version"] == 1
    entry = last_audit(AuditEntry.Action.CREATE)
    assert (entry.channel, entry.actor, entry.object_id) == ("api", manager, str(company.pk))


def test_create_company_with_only_a_name(api_as, manager):
    response = api_as(manager).post("/companies", {"legal_name": "Само Име"})

    assert response.status_code == 201, response.content
    company = Company.objects.get(legal_name="Само Име")
    assert (company.stage, company.tier, company.eik) == ("prospect", "standard", "")


def test_head_of_sales_creates_a_company_with_credit_terms(api_as, head_of_sales):
    response = api_as(head_of_sales).post("/companies", valid_payload(
        credit_limit="20000.50", payment_terms_days=45, credit_terms="45 дни"))

    assert response.status_code == 201, response.content
    company = Company.objects.get(pk=response.json()["id"])
    assert str(company.credit_limit) == "20000.50"
    assert company.payment_terms_days == 45
    assert response.json()["credit_limit"] == "20000.50"


BAD_COMPANY_INPUT = [
    pytest.param({"eik": "123456789"}, "eik", id="eik-checksum"),
    pytest.param({"eik": "12AB"}, "eik", id="eik-format"),
    pytest.param({"vat_number": "BG123456788"}, "vat_number", id="vat-checksum"),
    pytest.param({"vat_number": "XX12"}, "vat_number", id="vat-format"),
    pytest.param({"emails": ["not-an-email"]}, "emails", id="email"),
    pytest.param({"phones": ["12"]}, "phones", id="phone"),
    pytest.param({"phones": 5}, "phones", id="phones-number"),
    pytest.param({"phones": "0888123456"}, "phones", id="phones-not-a-list"),
    pytest.param({"emails": [1, 2]}, "emails", id="emails-numbers"),
    pytest.param({"legal_name": "Я" * 256}, "legal_name", id="name-too-long"),
    pytest.param({"legal_name": ""}, "legal_name", id="name-blank"),
    pytest.param({"legal_name": 42}, "legal_name", id="name-number"),
    pytest.param({"stage": 5}, "stage", id="stage-number"),
    pytest.param({"stage": "won"}, "stage", id="stage-unknown"),
    pytest.param({"tier": None}, "tier", id="tier-null"),
    pytest.param({"legal_form": "GmbH"}, "legal_form", id="legal-form"),
    pytest.param({"website": "not a url"}, "website", id="website"),
    pytest.param({"country": "BGR"}, "country", id="country-too-long"),
    pytest.param({"owner": "me"}, "owner", id="owner-type"),
    pytest.param({"owner": 999999}, "owner", id="owner-missing"),
    pytest.param({"team": 999999}, "team", id="team-missing"),
    pytest.param({"parent": 999999}, "parent", id="parent-missing"),
    pytest.param({"tags": "a,b"}, "tags", id="tags-not-a-list"),
    pytest.param({"tags": ["x" * 61]}, "tags", id="tag-too-long"),
    pytest.param({"favourite_colour": "син"}, "favourite_colour", id="unknown-field"),
]


@pytest.mark.parametrize(("change", "field"), BAD_COMPANY_INPUT)
def test_create_company_rejects_bad_input_and_writes_nothing(api_as, manager, change, field):
    before = db_rows()

    response = api_as(manager).post("/companies", valid_payload(**change))

    assert_error(response, 400, "validation_error", {field})
    assert db_rows() == before


def test_create_company_reports_every_bad_field_at_once(api_as, manager):
    before = db_rows()

    response = api_as(manager).post("/companies", valid_payload(
        eik="123456789", vat_number="BG1", emails=["x"], phones=["12"]))

    assert_error(response, 400, "validation_error", {"eik", "vat_number", "emails", "phones"})
    assert db_rows() == before


def test_create_company_without_a_name_is_a_missing_field(api_as, manager):
    before = db_rows()
    payload = valid_payload()
    del payload["legal_name"]

    body = assert_error(api_as(manager).post("/companies", payload), 400, "validation_error",
                        {"legal_name"})

    assert body["fields"]["legal_name"] == ["This field is required."]
    assert db_rows() == before


@pytest.mark.parametrize("raw", ['{"legal_name": ', "legal_name=x", "", "nul", '{"a": 1}}'])
def test_create_company_with_malformed_json_is_a_clear_400(api_as, manager, raw):
    before = db_rows()

    response = api_as(manager).post("/companies", raw=raw or " ")

    assert_error(response, 400, "malformed_json", set())
    assert db_rows() == before


@pytest.mark.parametrize("raw", ["[]", '"text"', "42", "null"])
def test_create_company_with_a_json_body_that_is_not_an_object(api_as, manager, raw):
    before = db_rows()

    response = api_as(manager).post("/companies", raw=raw)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert db_rows() == before


def test_create_company_with_a_taken_eik_is_refused(api_as, manager):
    taken = CompanyFactory(owner=manager)
    before = db_rows()

    response = api_as(manager).post("/companies", valid_payload(eik=taken.eik, vat_number=""))

    assert_error(response, 400, "validation_error", {"eik"})
    assert db_rows() == before


def test_manager_may_not_write_credit_terms(api_as, manager):
    before = db_rows()

    response = api_as(manager).post("/companies", valid_payload(credit_limit="1000"))

    assert_error(response, 403, "permission_denied", {"credit_limit"})
    assert db_rows() == before


def test_department_member_may_not_create_companies(api_as, make_user):
    clerk = make_user(Role.DEPARTMENT)
    before = db_rows()

    assert_error(api_as(clerk).post("/companies", valid_payload()), 403, "permission_denied")
    assert db_rows() == before


def test_update_company_changes_the_fields_sent_and_bumps_the_version(api_as, manager):
    company = CompanyFactory(owner=manager, legal_name="Старо", city="София")

    response = api_as(manager).patch(f"/companies/{company.pk}",
                                     {"legal_name": "Ново", "phones": ["+359 2 981 1234"],
                                      "tags": ["нов"], "version": 1})

    assert response.status_code == 200, response.content
    company.refresh_from_db()
    assert company.legal_name == "Ново"
    assert company.city == "София"
    assert company.phones == ["+35929811234"]
    assert company.version == 2
    assert response.json()["version"] == 2
    assert response.json()["tags"] == ["нов"]
    entry = last_audit(AuditEntry.Action.UPDATE)
    assert entry.channel == "api"
    assert entry.changes["legal_name"] == ["Старо", "Ново"]


def test_update_company_with_a_stale_version_is_a_conflict_and_changes_nothing(api_as, manager):
    company = CompanyFactory(owner=manager)
    api = api_as(manager)
    assert api.patch(f"/companies/{company.pk}", {"city": "Варна", "version": 1}).status_code == 200
    before = db_rows()

    response = api.patch(f"/companies/{company.pk}", {"city": "Бургас", "version": 1})

    assert_error(response, 409, "version_conflict", set())
    assert db_rows() == before
    company.refresh_from_db()
    assert company.city == "Варна"


def test_update_company_needs_the_version(api_as, manager):
    company = CompanyFactory(owner=manager)
    before = db_rows()

    response = api_as(manager).patch(f"/companies/{company.pk}", {"city": "Варна"})

    assert_error(response, 400, "validation_error", {"version"})
    assert db_rows() == before


@pytest.mark.parametrize(("change", "field"), [
    *BAD_COMPANY_INPUT,
    pytest.param({"legal_name": None}, "legal_name", id="name-null"),
    pytest.param({"version": "one"}, "version", id="version-type"),
])
def test_update_company_rejects_bad_input_and_changes_nothing(api_as, manager, change, field):
    company = CompanyFactory(owner=manager)
    before = db_rows()

    response = api_as(manager).patch(f"/companies/{company.pk}", {"version": 1, **change})

    assert_error(response, 400, "validation_error", {field})
    assert db_rows() == before


def test_update_company_with_malformed_json(api_as, manager):
    company = CompanyFactory(owner=manager)
    before = db_rows()

    response = api_as(manager).patch(f"/companies/{company.pk}", raw='{"version": 1,')

    assert_error(response, 400, "malformed_json")
    assert db_rows() == before


def test_delete_and_restore_company(api_as, manager):
    company = CompanyFactory(owner=manager)
    api = api_as(manager)

    response = api.delete(f"/companies/{company.pk}")

    assert response.status_code == 204
    assert response.content == b""
    company = Company.all_objects.get(pk=company.pk)
    assert company.deleted_at is not None and company.deleted_by == manager
    assert api.get(f"/companies/{company.pk}").status_code == 404
    assert api.get("/companies").json()["items"] == []
    assert last_audit(AuditEntry.Action.DELETE).channel == "api"

    response = api.post(f"/companies/{company.pk}/restore")

    assert response.status_code == 200, response.content
    assert Company.objects.filter(pk=company.pk).exists()
    assert api.get(f"/companies/{company.pk}").status_code == 200
    assert last_audit(AuditEntry.Action.RESTORE).channel == "api"


def test_restore_of_a_live_company_is_not_found(api_as, manager):
    company = CompanyFactory(owner=manager)
    before = db_rows()

    assert_error(api_as(manager).post(f"/companies/{company.pk}/restore"), 404, "not_found")
    assert db_rows() == before


def test_share_and_unshare_a_company(api_as, manager, other_manager):
    company = CompanyFactory(owner=manager)
    owner_api, other_api = api_as(manager), api_as(other_manager)
    assert other_api.get(f"/companies/{company.pk}").status_code == 404

    response = owner_api.post(f"/companies/{company.pk}/shares", {"user": other_manager.pk})

    assert response.status_code == 204, response.content
    assert other_api.get(f"/companies/{company.pk}").status_code == 200
    assert last_audit(AuditEntry.Action.SHARE).channel == "api"

    response = owner_api.delete(f"/companies/{company.pk}/shares/{other_manager.pk}")

    assert response.status_code == 204
    assert other_api.get(f"/companies/{company.pk}").status_code == 404
    assert not RecordShare.objects.exists()


@pytest.mark.parametrize("payload", [{"user": 999999}, {"user": "x"}, {}, {"user": 1, "x": 1}])
def test_share_with_a_bad_user_is_refused(api_as, manager, payload):
    company = CompanyFactory(owner=manager)
    before = db_rows()

    response = api_as(manager).post(f"/companies/{company.pk}/shares", payload)

    body = assert_error(response, 400, "validation_error")
    assert set(body["fields"]) <= {"user", "x"}
    assert db_rows() == before


# --- what another user may not see or change --------------------------------------------------------

def hidden_company_calls(company_id: int) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", f"/companies/{company_id}", None),
        ("patch", f"/companies/{company_id}", {"legal_name": "Хакнато", "version": 1}),
        ("delete", f"/companies/{company_id}", None),
        ("post", f"/companies/{company_id}/shares", {"user": 1}),
        ("get", f"/companies/{company_id}/notes", None),
        ("post", f"/companies/{company_id}/notes", {"body": "Бележка"}),
        ("get", f"/companies/{company_id}/attachments", None),
    ]


@pytest.mark.parametrize("call", range(7))
def test_a_company_another_user_may_not_see_answers_404_and_stays_unchanged(
        api_as, manager, other_manager, call):
    company = CompanyFactory(owner=other_manager)
    method, path, data = hidden_company_calls(company.pk)[call]
    api = api_as(manager)
    before = db_rows()

    response = getattr(api, method)(path, data) if data is not None else getattr(api, method)(path)

    assert_error(response, 404, "not_found", set())
    assert db_rows() == before
    denied = last_audit(AuditEntry.Action.ACCESS_DENIED)
    assert (denied.actor, denied.object_id, denied.channel) == (manager, str(company.pk), "api")


def test_a_hidden_company_answers_exactly_like_a_missing_one(api_as, manager, other_manager):
    hidden = CompanyFactory(owner=other_manager)
    api = api_as(manager)

    hidden_response = api.get(f"/companies/{hidden.pk}")
    missing_response = api.get("/companies/999999")

    assert hidden_response.status_code == missing_response.status_code == 404
    assert hidden_response.json() == missing_response.json()


def test_a_visible_company_the_user_may_not_change_is_403_and_unchanged(api_as, make_user, manager):
    reader = make_user(Role.MARKETING)
    company = CompanyFactory(owner=manager)
    api = api_as(reader)
    assert api.get(f"/companies/{company.pk}").status_code == 200
    before = db_rows()

    assert_error(api.patch(f"/companies/{company.pk}", {"city": "Х", "version": 1}), 403,
                 "permission_denied")
    assert_error(api.delete(f"/companies/{company.pk}"), 403, "permission_denied")
    assert db_rows() == before


def test_a_team_mate_may_not_delete_a_company_they_do_not_own(api_as, make_user, manager, team):
    mate = make_user(Role.ACCOUNT_MANAGER, team=team)
    company = CompanyFactory(owner=manager)
    before = db_rows()

    assert_error(api_as(mate).delete(f"/companies/{company.pk}"), 403, "permission_denied")
    assert db_rows() == before


# --- contacts ----------------------------------------------------------------------------------------

def test_list_contacts_of_visible_companies_with_filters(api_as, manager, other_manager):
    mine = CompanyFactory(owner=manager)
    other_mine = CompanyFactory(owner=manager)
    ivan = ContactFactory(company=mine, first_name="Иван", last_name="Петров",
                          marketing_consent=True, consent_source="форма")
    maria = ContactFactory(company=other_mine, first_name="Мария", last_name="Иванова")
    ContactFactory(company=CompanyFactory(owner=other_manager))
    api = api_as(manager)

    def ids(params=None):
        return [c["id"] for c in api.get("/contacts", params).json()["items"]]

    assert ids() == [maria.pk, ivan.pk]
    assert ids({"company": mine.pk}) == [ivan.pk]
    assert ids({"consent": "true"}) == [ivan.pk]
    assert ids({"consent": "false"}) == [maria.pk]
    assert ids({"q": "мария"}) == [maria.pk]
    body = api.get("/contacts").json()
    assert body["count"] == 2 and body["next_cursor"] is None
    assert body["items"][1]["company"] == {"id": mine.pk, "name": mine.display_name}


def test_create_get_update_delete_contact(api_as, manager):
    company = CompanyFactory(owner=manager)
    api = api_as(manager)

    response = api.post("/contacts", {"company": company.pk, "first_name": "Елена",
                                      "last_name": "Стоянова", "emails": ["Elena@Firma.bg"],
                                      "phones": ["0899 111 222"], "preferred_channel": "email",
                                      "marketing_consent": True, "consent_source": "изложение",
                                      "consent_date": "2025-03-01"})

    assert response.status_code == 201, response.content
    contact_id = response.json()["id"]
    contact = Contact.objects.get(pk=contact_id)
    assert contact.emails == ["elena@firma.bg"]
    assert contact.phones == ["+359899111222"]
    assert str(contact.consent_date) == "2025-03-01"
    assert last_audit(AuditEntry.Action.CREATE).channel == "api"

    body = api.get(f"/contacts/{contact_id}").json()
    assert body["first_name"] == "Елена" and body["consent_date"] == "2025-03-01"

    response = api.patch(f"/contacts/{contact_id}", {"position": "Търговски директор",
                                                      "version": 1})
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    contact.refresh_from_db()
    assert contact.position == "Търговски директор" and contact.last_name == "Стоянова"

    assert api.delete(f"/contacts/{contact_id}").status_code == 204
    assert Contact.all_objects.get(pk=contact_id).deleted_at is not None
    assert api.get(f"/contacts/{contact_id}").status_code == 404


BAD_CONTACT_INPUT = [
    pytest.param({"emails": ["elena@"]}, "emails", id="email"),
    pytest.param({"phones": ["abc"]}, "phones", id="phone"),
    pytest.param({"phones": 359888}, "phones", id="phones-number"),
    pytest.param({"first_name": "Е" * 101}, "first_name", id="name-too-long"),
    pytest.param({"first_name": ""}, "first_name", id="name-blank"),
    pytest.param({"first_name": ["Елена"]}, "first_name", id="name-list"),
    pytest.param({"marketing_consent": "maybe"}, "marketing_consent", id="consent-type"),
    pytest.param({"consent_date": "01.03.2025"}, "consent_date", id="date-format"),
    pytest.param({"preferred_channel": "pigeon"}, "preferred_channel", id="channel"),
    pytest.param({"marketing_consent": True}, "consent_source", id="consent-without-source"),
    pytest.param({"company": 999999}, "company", id="company-missing"),
    pytest.param({"company": "first"}, "company", id="company-type"),
    pytest.param({"nickname": "Ели"}, "nickname", id="unknown-field"),
]


@pytest.mark.parametrize(("change", "field"), BAD_CONTACT_INPUT)
def test_create_contact_rejects_bad_input_and_writes_nothing(api_as, manager, change, field):
    company = CompanyFactory(owner=manager)
    before = db_rows()

    response = api_as(manager).post("/contacts", {"company": company.pk, "first_name": "Елена",
                                                  **change})

    assert_error(response, 400, "validation_error", {field})
    assert db_rows() == before


def test_create_contact_without_company_is_a_missing_field(api_as, manager):
    before = db_rows()

    response = api_as(manager).post("/contacts", {"first_name": "Елена"})

    assert_error(response, 400, "validation_error", {"company"})
    assert db_rows() == before


def test_create_contact_at_a_hidden_company_is_refused(api_as, manager, other_manager):
    company = CompanyFactory(owner=other_manager)
    before = db_rows()

    response = api_as(manager).post("/contacts", {"company": company.pk, "first_name": "Х"})

    assert_error(response, 400, "validation_error", {"company"})
    assert db_rows() == before


@pytest.mark.parametrize(("change", "field"), BAD_CONTACT_INPUT)
def test_update_contact_rejects_bad_input_and_changes_nothing(api_as, manager, change, field):
    contact = ContactFactory(company=CompanyFactory(owner=manager))
    before = db_rows()

    response = api_as(manager).patch(f"/contacts/{contact.pk}", {"version": 1, **change})

    assert_error(response, 400, "validation_error", {field})
    assert db_rows() == before


def test_update_contact_with_a_stale_version_is_a_conflict(api_as, manager):
    contact = ContactFactory(company=CompanyFactory(owner=manager), version=3)
    before = db_rows()

    response = api_as(manager).patch(f"/contacts/{contact.pk}", {"position": "X", "version": 2})

    assert_error(response, 409, "version_conflict")
    assert db_rows() == before


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_a_contact_another_user_may_not_see_answers_404(api_as, manager, other_manager, method):
    contact = ContactFactory(company=CompanyFactory(owner=other_manager))
    api = api_as(manager)
    before = db_rows()

    if method == "patch":
        response = api.patch(f"/contacts/{contact.pk}", {"position": "X", "version": 1})
    else:
        response = getattr(api, method)(f"/contacts/{contact.pk}")

    assert_error(response, 404, "not_found")
    assert db_rows() == before


def test_contact_list_rejects_bad_parameters(api_as, manager):
    api = api_as(manager)

    assert_error(api.get("/contacts", {"consent": "perhaps"}), 400, "validation_error", {"consent"})
    assert_error(api.get("/contacts", {"company": "x"}), 400, "validation_error", {"company"})
    assert_error(api.get("/contacts", {"limit": 500}), 400, "validation_error", {"limit"})


# --- notes ---------------------------------------------------------------------------------------------

def test_notes_of_a_company_create_list_get_update_delete(api_as, manager):
    company = CompanyFactory(owner=manager)
    contact = ContactFactory(company=company)
    api = api_as(manager)

    first = api.post(f"/companies/{company.pk}/notes", {"body": "Първа среща."})
    second = api.post(f"/companies/{company.pk}/notes", {"body": "Оферта.", "contact": contact.pk})

    assert first.status_code == second.status_code == 201, first.content
    assert second.json()["contact"] == contact.pk
    assert second.json()["created_by"]["id"] == manager.pk
    assert last_audit(AuditEntry.Action.CREATE).channel == "api"
    listing = api.get(f"/companies/{company.pk}/notes").json()
    assert [n["body"] for n in listing["items"]] == ["Оферта.", "Първа среща."]
    assert listing["count"] == 2

    note_id = first.json()["id"]
    assert api.get(f"/notes/{note_id}").json()["body"] == "Първа среща."
    response = api.patch(f"/notes/{note_id}", {"body": "Първа среща, уточнено.", "version": 1})
    assert response.status_code == 200, response.content
    assert Note.objects.get(pk=note_id).body == "Първа среща, уточнено."
    assert last_audit(AuditEntry.Action.UPDATE).channel == "api"

    assert api.delete(f"/notes/{note_id}").status_code == 204
    assert Note.all_objects.get(pk=note_id).deleted_at is not None
    assert api.get(f"/notes/{note_id}").status_code == 404


@pytest.mark.parametrize(("payload", "field"), [
    ({"body": ""}, "body"),
    ({"body": "   "}, "body"),
    ({"body": "б" * 10001}, "body"),
    ({"body": 12}, "body"),
    ({}, "body"),
    ({"body": "ok", "contact": 999999}, "contact"),
    ({"body": "ok", "pinned": True}, "pinned"),
])
def test_create_note_rejects_bad_input(api_as, manager, payload, field):
    company = CompanyFactory(owner=manager)
    before = db_rows()

    response = api_as(manager).post(f"/companies/{company.pk}/notes", payload)

    assert_error(response, 400, "validation_error", {field})
    assert db_rows() == before


def test_update_note_with_a_stale_version_or_bad_body_changes_nothing(api_as, manager):
    note = NoteFactory(company=CompanyFactory(owner=manager), created_by=manager, version=2)
    api = api_as(manager)
    before = db_rows()

    assert_error(api.patch(f"/notes/{note.pk}", {"body": "Ново", "version": 1}), 409,
                 "version_conflict")
    assert_error(api.patch(f"/notes/{note.pk}", {"body": "", "version": 2}), 400,
                 "validation_error", {"body"})
    assert_error(api.patch(f"/notes/{note.pk}", {"body": "Ново"}), 400, "validation_error",
                 {"version"})
    assert_error(api.patch(f"/notes/{note.pk}", raw="{"), 400, "malformed_json")
    assert db_rows() == before


def test_only_the_author_changes_a_note(api_as, make_user, manager, team):
    mate = make_user(Role.ACCOUNT_MANAGER, team=team)
    note = NoteFactory(company=CompanyFactory(owner=manager), created_by=manager)
    api = api_as(mate)
    before = db_rows()

    assert_error(api.patch(f"/notes/{note.pk}", {"body": "Чуждо", "version": 1}), 403,
                 "permission_denied")
    assert_error(api.delete(f"/notes/{note.pk}"), 403, "permission_denied")
    assert db_rows() == before


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_a_note_another_user_may_not_see_answers_404(api_as, manager, other_manager, method):
    note = NoteFactory(company=CompanyFactory(owner=other_manager), created_by=other_manager)
    api = api_as(manager)
    before = db_rows()

    if method == "patch":
        response = api.patch(f"/notes/{note.pk}", {"body": "X", "version": 1})
    else:
        response = getattr(api, method)(f"/notes/{note.pk}")

    assert_error(response, 404, "not_found")
    assert db_rows() == before


# --- attachments -----------------------------------------------------------------------------------------

def text_file(name: str = "оферта.txt", content: bytes = "Цена: 100 лв.".encode()):
    return SimpleUploadedFile(name, content, content_type="text/plain")


def test_upload_list_download_delete_attachment(api_as, manager):
    company = CompanyFactory(owner=manager)
    api = api_as(manager)

    response = api.upload(f"/companies/{company.pk}/attachments",
                          {"file": text_file(), "description": "Оферта за 2025"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["file_name"] == "оферта.txt"
    assert body["size"] == len("Цена: 100 лв.".encode())
    assert body["description"] == "Оферта за 2025"
    assert body["download_url"] == f"{API}/attachments/{body['id']}/download"
    assert last_audit(AuditEntry.Action.CREATE).channel == "api"
    listing = api.get(f"/companies/{company.pk}/attachments").json()
    assert [a["id"] for a in listing["items"]] == [body["id"]]
    assert api.get(f"/attachments/{body['id']}").json()["sha256"] == body["sha256"]

    download = api.get(f"/attachments/{body['id']}/download")

    assert download.status_code == 200
    assert b"".join(download.streaming_content) == "Цена: 100 лв.".encode()
    assert download["Content-Type"] == "text/plain"
    assert "attachment;" in download["Content-Disposition"]
    assert last_audit(AuditEntry.Action.DOWNLOAD).channel == "api"

    assert api.delete(f"/attachments/{body['id']}").status_code == 204
    assert api.get(f"/attachments/{body['id']}/download").status_code == 404


@pytest.mark.parametrize(("data", "field"), [
    ({"file": SimpleUploadedFile("virus.exe", b"MZ\x90\x00")}, "file"),
    ({"file": SimpleUploadedFile("fake.pdf", b"not a pdf")}, "file"),
    ({"file": SimpleUploadedFile("empty.txt", b"")}, "file"),
    ({}, "file"),
    ({"file": SimpleUploadedFile("ok.txt", b"ok"), "description": "д" * 301}, "description"),
])
def test_upload_rejects_bad_files_and_stores_nothing(api_as, manager, settings, data, field):
    company = CompanyFactory(owner=manager)
    before = db_rows()

    response = api_as(manager).upload(f"/companies/{company.pk}/attachments", data)

    assert_error(response, 400, "validation_error", {field})
    assert db_rows() == before
    assert not (settings.MEDIA_ROOT / "attachments").exists() or not any(
        (settings.MEDIA_ROOT / "attachments").rglob("*.*"))


def test_files_of_a_hidden_company_answer_404(api_as, manager, other_manager):
    company = CompanyFactory(owner=other_manager)
    attachment = services.attachment_add(actor=other_manager, company=company, upload=text_file())
    api = api_as(manager)
    before = db_rows()

    assert_error(api.get(f"/attachments/{attachment.pk}/download"), 404, "not_found")
    assert_error(api.get(f"/attachments/{attachment.pk}"), 404, "not_found")
    assert_error(api.delete(f"/attachments/{attachment.pk}"), 404, "not_found")
    assert_error(api.upload(f"/companies/{company.pk}/attachments", {"file": text_file()}), 404,
                 "not_found")
    assert db_rows() == before
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.DOWNLOAD).exists()


# --- no N+1: list endpoints cost the same at 3 rows and at 30 --------------------------------------------

def _fill(kind: str, company: Company, owner, n: int) -> None:
    for i in range(n):
        if kind == "companies":
            other = CompanyFactory(owner=owner)
            other.tags.add(TagFactory(name=f"таг-{i % 4}"), TagFactory(name="общ"))
        elif kind == "contacts":
            ContactFactory(company=company)
        elif kind == "notes":
            NoteFactory(company=company, created_by=owner)
        else:
            services.attachment_add(actor=owner, company=company, upload=text_file(f"f{i}.txt"))


def _queries(api, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path, {"limit": 200})
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


@pytest.mark.parametrize("kind", ["companies", "contacts", "notes", "attachments"])
def test_list_endpoints_use_a_constant_number_of_queries(api_as, manager, kind):
    company = CompanyFactory(owner=manager)
    path = {"companies": "/companies", "contacts": "/contacts",
            "notes": f"/companies/{company.pk}/notes",
            "attachments": f"/companies/{company.pk}/attachments"}[kind]
    api = api_as(manager)
    api.get(path)  # the token's "last used" is written once a minute: leave it out of the count

    _fill(kind, company, manager, 3)
    small = _queries(api, path)
    _fill(kind, company, manager, 27)
    large = _queries(api, path)

    assert len(api.get(path, {"limit": 200}).json()["items"]) >= 30
    assert small == large
