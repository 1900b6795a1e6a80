"""The contracts API at /api/v1: the same services as the pages, so the same refusals (400 with a
stable code and the fields, nothing changed), visibility (404 for a hidden contract, never
listed) and rights (403 for a role that reads, nothing changed); real multipart uploads."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from partnera.clients.tests.factories import CompanyFactory
from partnera.contracts.models import Contract, ContractStatus, ContractType, DocumentKind
from partnera.contracts.tests.factories import (
    ContractFactory,
    ContractTypeFactory,
    DocumentKindFactory,
    ObligationFactory,
)
from partnera.contracts.tests.helpers import PDF_BYTES, pdf_upload, state
from partnera.core.roles import DepartmentKind, Role
from partnera.core.tests.api_client import ApiClient
from partnera.people.tests.factories import DepartmentFactory
from partnera.sales.models import OfferStatus
from partnera.sales.tests.factories import DealFactory, OfferFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def api(client):
    return lambda user: ApiClient(client, user)


@pytest.fixture
def signed_kind():
    return DocumentKindFactory(name="Подписан договор")


def test_create_read_change_sign_and_activate_through_the_api(api, manager, signed_kind):
    contract_type = ContractTypeFactory(required=[signed_kind], default_notice_days=60)
    company = CompanyFactory(owner=manager)
    client = api(manager)

    created = client.post("/contracts", {
        "title": "Рамково споразумение 2026", "contract_type": contract_type.pk,
        "company": company.pk, "start_date": "2026-01-01", "end_date": "2026-12-31",
        "value": "120 000,00", "currency": "BGN", "payment_days": 45})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["number"] == f"{TODAY().year}-0001" and body["status"] == "draft"
    assert (body["value"], body["value_eur"], body["notice_days"]) == ("120000.00", "61355.03", 60)
    assert body["notice_date"] == "2026-11-01"
    assert body["allowed_transitions"] == ["negotiation", "signed", "terminated"]
    assert body["all_documents_present"] is False
    assert body["missing_documents"] == [{"id": signed_kind.pk, "name": "Подписан договор"}]
    pk = body["id"]

    changed = client.patch(f"/contracts/{pk}", {"value": "125000", "version": body["version"],
                                                "note": "По-голям обем"})
    assert changed.status_code == 200 and changed.json()["terms_version"] == 2
    diff = client.get(f"/contracts/{pk}/diff", {"from_version": 1, "to_version": 2})
    assert diff.json()["changes"] == [{"field": "value", "label": "value", "before": "120,000.00",
                                       "after": "125,000.00", "lines": []}]
    versions = client.get(f"/contracts/{pk}/versions").json()
    assert [v["number"] for v in versions] == [1, 2] and versions[1]["note"] == "По-голям обем"

    signed = client.post(f"/contracts/{pk}/transition", {"status": "signed",
                                                         "signed_on": str(TODAY())})
    assert signed.json()["status"] == "signed"
    refused = client.post(f"/contracts/{pk}/transition", {"status": "active"})
    assert refused.status_code == 400 and refused.json()["code"] == "transition_refused"
    assert "documents" in refused.json()["fields"]

    upload = client.upload(f"/contracts/{pk}/documents", {
        "file": pdf_upload(), "kind": signed_kind.pk, "description": "Сканиран оригинал"})
    assert upload.status_code == 201, upload.json()
    document = upload.json()
    assert (document["file_name"], document["size"]) == ("договор-подписан.pdf", len(PDF_BYTES))
    checklist = client.get(f"/contracts/{pk}/checklist").json()
    assert checklist == {"complete": True, "items": [
        {"kind": {"id": signed_kind.pk, "name": "Подписан договор"}, "present": True,
         "documents": 1}]}
    active = client.post(f"/contracts/{pk}/transition", {"status": "active"})
    assert active.json()["status"] == "active" and active.json()["all_documents_present"]

    download = client.client.get(document["download_url"], **client.headers)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF_BYTES
    assert download["Content-Disposition"].startswith("attachment")


def test_a_contract_from_an_accepted_offer_and_a_clear_refusal_for_another(api, manager):
    deal = DealFactory(owner=manager)
    accepted = OfferFactory(deal=deal, status=OfferStatus.ACCEPTED, net_total=Decimal("9900.00"))
    sent = OfferFactory(deal=deal, status=OfferStatus.SENT)
    contract_type = ContractTypeFactory()
    client = api(manager)
    before = state()

    refused = client.post("/contracts", {"offer": sent.pk, "contract_type": contract_type.pk})
    assert refused.status_code == 400 and refused.json()["code"] == "offer_not_accepted"
    assert state() == before

    created = client.post("/contracts", {"offer": accepted.pk, "contract_type": contract_type.pk})
    assert created.status_code == 201
    assert created.json()["offer"] == {"id": accepted.pk, "name": str(accepted)}
    assert (created.json()["value"], created.json()["company"]["id"]) == ("9900.00",
                                                                         deal.company_id)
    again = client.post("/contracts", {"offer": accepted.pk, "contract_type": contract_type.pk})
    assert again.status_code == 409


def test_bad_input_answers_400_with_fields_and_changes_nothing(api, manager):
    contract = ContractFactory(owner=manager)
    client = api(manager)
    before = state()

    answers = [
        client.post("/contracts", {"title": "X", "contract_type": 999999,
                                   "company": CompanyFactory.build().pk or 999999}),
        client.post("/contracts", {"title": "X", "contract_type": contract.contract_type_id,
                                   "company": contract.company_id, "value": "1,2,3"}),
        client.post("/contracts", {"title": "X", "contract_type": contract.contract_type_id,
                                   "company": contract.company_id, "unknown": 1}),
        client.patch(f"/contracts/{contract.pk}", {"end_date": "2020-01-01",
                                                   "start_date": "2021-01-01",
                                                   "version": contract.version}),
        client.patch(f"/contracts/{contract.pk}", {"title": "Y"}),  # no version
        client.post(f"/contracts/{contract.pk}/transition", {"status": "nonsense"}),
        client.post(f"/contracts/{contract.pk}/transition", {"status": "fulfilled"}),
        client.post(f"/contracts/{contract.pk}/obligations", {"title": "", "due_date": "x"}),
        client.post(f"/contracts/{contract.pk}/pricing-conditions", {"discount_percent": "200"}),
        client.post(f"/contracts/{contract.pk}/referrals", {"reward": ""}),
        client.post("/contracts", raw=b"{not json"),
    ]

    assert [a.status_code for a in answers] == [400] * len(answers)
    assert all(set(a.json()) == {"code", "message", "fields"} for a in answers)
    assert answers[6].json()["code"] == "transition_refused"
    assert state() == before


@pytest.mark.parametrize(("upload", "kind_ok"), [
    (SimpleUploadedFile("x.exe", b"MZ\x90\x00"), True),
    (SimpleUploadedFile("fake.pdf", b"PK\x03\x04zip"), True),
    (SimpleUploadedFile("empty.pdf", b""), True),
    (SimpleUploadedFile("ok.pdf", PDF_BYTES), False),
])
def test_bad_uploads_are_refused_and_nothing_is_stored(api, manager, signed_kind, upload, kind_ok):
    contract = ContractFactory(owner=manager)
    client = api(manager)
    before = state()

    answer = client.upload(f"/contracts/{contract.pk}/documents",
                                 {"file": upload, "kind": signed_kind.pk if kind_ok else 999999})

    assert answer.status_code == 400
    assert ("file" if kind_ok else "kind") in answer.json()["fields"]
    assert state() == before


def test_documents_obligations_conditions_and_referrals_round_trip(api, manager, signed_kind):
    contract = ContractFactory(owner=manager, status=ContractStatus.ACTIVE)
    referrer = CompanyFactory(owner=manager)
    logistics = DepartmentFactory(kind=DepartmentKind.LOGISTICS, name="Логистика")
    client = api(manager)
    pk = contract.pk

    document = client.upload(f"/contracts/{pk}/documents", {"file": pdf_upload(),
                                                            "kind": signed_kind.pk}).json()
    assert client.delete(f"/contract-documents/{document['id']}").status_code == 204
    assert client.get(f"/contracts/{pk}/documents").json() == []
    assert [d["id"] for d in client.get(f"/contracts/{pk}/documents", {"deleted": True}).json()] \
        == [document["id"]]
    assert client.post(f"/contract-documents/{document['id']}/restore").status_code == 200

    obligation = client.post(f"/contracts/{pk}/obligations", {
        "title": "Доставка 1", "due_date": "2026-06-01", "department": logistics.pk,
        "is_milestone": True})
    assert obligation.status_code == 201
    oid = obligation.json()["id"]
    assert client.patch(f"/contract-obligations/{oid}", {"due_date": "2026-06-05"}).json()[
        "due_date"] == "2026-06-05"
    done = client.post(f"/contract-obligations/{oid}/complete").json()
    assert done["status"] == "done" and done["done_by"]["id"] == manager.pk

    condition = client.post(f"/contracts/{pk}/pricing-conditions",
                            {"discount_percent": "8", "note": "Анекс 1"})
    assert condition.status_code == 201 and condition.json()["active"] is True
    cid = condition.json()["id"]
    assert client.patch(f"/contract-pricing-conditions/{cid}",
                        {"discount_percent": "9", "note": "Анекс 2"}).json()[
        "discount_percent"] == "9.00"
    assert client.delete(f"/contract-pricing-conditions/{cid}?note=Анекс 3").status_code == 204
    assert [v.note for v in contract.versions.order_by("number")][-3:] == [
        "Анекс 1", "Анекс 2", "Анекс 3"]

    referral = client.post(f"/contracts/{pk}/referrals", {
        "referrer_company": referrer.pk, "reward": "Отстъпка 2 %", "reward_amount": 300})
    assert referral.status_code == 201
    assert referral.json()["referrer_company"] == {"id": referrer.pk, "name": referrer.legal_name}
    rid = referral.json()["id"]
    assert client.patch(f"/contract-referrals/{rid}", {"reward": "Отстъпка 3 %"}).json()[
        "reward"] == "Отстъпка 3 %"
    assert client.delete(f"/contract-referrals/{rid}").status_code == 204


def test_the_pdf_endpoint_answers_a_pdf(api, manager):
    contract = ContractFactory(owner=manager, language="en")

    response = api(manager).get(f"/contracts/{contract.pk}/pdf")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert contract.number in text and contract.company.legal_name in text


def test_a_hidden_contract_is_404_everywhere_and_never_listed(api, manager, other_manager,
                                                              signed_kind):
    hidden = ContractFactory(owner=other_manager)
    obligation = ObligationFactory(contract=hidden)
    client = api(manager)
    before = state()

    answers = [
        client.get(f"/contracts/{hidden.pk}"),
        client.patch(f"/contracts/{hidden.pk}", {"title": "X", "version": hidden.version}),
        client.post(f"/contracts/{hidden.pk}/transition", {"status": "negotiation"}),
        client.get(f"/contracts/{hidden.pk}/versions"),
        client.get(f"/contracts/{hidden.pk}/checklist"),
        client.get(f"/contracts/{hidden.pk}/pdf"),
        client.get(f"/contracts/{hidden.pk}/documents"),
        client.upload(f"/contracts/{hidden.pk}/documents", {"file": pdf_upload(),
                                                            "kind": signed_kind.pk}),
        client.post(f"/contracts/{hidden.pk}/obligations", {"title": "X", "due_date": "2026-01-01"}),
        client.post(f"/contract-obligations/{obligation.pk}/complete"),
        client.post(f"/contracts/{hidden.pk}/pricing-conditions", {"discount_percent": "5"}),
        client.post(f"/contracts/{hidden.pk}/referrals", {"reward": "X"}),
        client.delete(f"/contracts/{hidden.pk}"),
    ]
    missing = client.get("/contracts/999999")

    assert [a.status_code for a in answers] == [404] * len(answers)
    assert all(a.json() == missing.json() for a in answers)
    assert client.get("/contracts").json()["items"] == []
    assert state() == before


@pytest.mark.parametrize("role", [Role.MARKETING, Role.DEPARTMENT])
def test_a_role_that_reads_gets_403_on_writes_and_nothing_changes(api, make_user, manager, role,
                                                                   signed_kind):
    logistics = DepartmentFactory(kind=DepartmentKind.LOGISTICS, name="Логистика")
    reader = make_user(role, department=logistics)
    contract = ContractFactory(owner=manager, status=ContractStatus.ACTIVE)
    ObligationFactory(contract=contract, department=logistics)
    client = api(reader)
    before = state()

    assert client.get(f"/contracts/{contract.pk}").status_code == 200
    answers = [
        client.post("/contracts", {"title": "X", "contract_type": contract.contract_type_id,
                                   "company": contract.company_id}),
        client.patch(f"/contracts/{contract.pk}", {"title": "X", "version": contract.version}),
        client.post(f"/contracts/{contract.pk}/transition", {"status": "terminated",
                                                             "reason": "x"}),
        client.upload(f"/contracts/{contract.pk}/documents", {"file": pdf_upload(),
                                                              "kind": signed_kind.pk}),
        client.post(f"/contracts/{contract.pk}/obligations", {"title": "X",
                                                              "due_date": "2026-01-01"}),
        client.post(f"/contracts/{contract.pk}/pricing-conditions", {"discount_percent": "5"}),
        client.post(f"/contracts/{contract.pk}/referrals", {"reward": "X"}),
        client.post("/contract-types", {"name": "X"}),
        client.post("/document-kinds", {"name": "X"}),
    ]

    # A department member who sees the contract through an obligation does not see its
    # documents, conditions and referrals at all (404); what it may see, it may not change (403).
    hidden = {3, 5, 6} if role == Role.DEPARTMENT else set()
    assert [a.status_code for a in answers] == [404 if i in hidden else 403
                                                for i in range(len(answers))]
    assert all(a.json()["code"] == ("not_found" if i in hidden else "permission_denied")
               for i, a in enumerate(answers))
    assert state() == before


def test_the_list_filters_and_reads_a_page_in_a_constant_number_of_queries(api, manager):
    soon = ContractFactory(owner=manager, status=ContractStatus.ACTIVE,
                           end_date=TODAY() + dt.timedelta(days=20))
    ContractFactory(owner=manager, status=ContractStatus.DRAFT)
    client = api(manager)
    client.get("/contract-types")  # the token's first use is recorded once

    with CaptureQueriesContext(connection) as few:
        first = client.get("/contracts")
    for _ in range(8):
        ObligationFactory(contract=ContractFactory(owner=manager))
    with CaptureQueriesContext(connection) as many:
        second = client.get("/contracts")

    assert first.json()["count"] == 2 and second.json()["count"] == 10
    assert len(many) == len(few)
    ending = client.get("/contracts", {"ending_within": 30}).json()
    renew = client.get("/contracts", {"to_renew": True}).json()
    drafts = client.get("/contracts", {"status": "draft"}).json()
    assert [c["id"] for c in ending["items"]] == [soon.pk] == [c["id"] for c in renew["items"]]
    assert drafts["count"] == 9
    assert client.get("/contracts", {"bogus": 1}).status_code == 400


def test_settings_are_read_by_all_and_changed_by_administrators(api, manager, admin_user):
    assert [t["name"] for t in api(manager).get("/contract-types").json()] == list(
        ContractType.objects.filter(active=True).values_list("name", flat=True))
    admin = api(admin_user)
    kind = admin.post("/document-kinds", {"name": "Банкова гаранция", "position": 9})
    assert kind.status_code == 201
    created = admin.post("/contract-types", {
        "name": "Договор за дистрибуция", "required_documents": [kind.json()["id"]],
        "template": "{our_company} и {client} се договориха.", "default_notice_days": 90})
    assert created.status_code == 201
    assert created.json()["required_documents"] == [{"id": kind.json()["id"],
                                                     "name": "Банкова гаранция"}]
    before = state()
    bad = admin.patch(f"/contract-types/{created.json()['id']}", {"template": "{nonsense}"})
    duplicate = admin.post("/document-kinds", {"name": "банкова гаранция"})
    assert bad.status_code == 400 and "template" in bad.json()["fields"]
    assert duplicate.status_code == 400 and "name" in duplicate.json()["fields"]
    assert state() == before
    off = admin.patch(f"/document-kinds/{kind.json()['id']}", {"active": False})
    assert off.json()["active"] is False
    assert kind.json()["id"] not in [k["id"] for k in api(manager).get("/document-kinds").json()]
    assert DocumentKind.objects.filter(active=True).count() == 5  # the seeded kinds
    assert Contract.objects.count() == 0
