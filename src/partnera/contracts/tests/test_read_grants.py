"""What seeing a contract through one of its obligations grants: reading it and completing that
obligation — never changing the contract; for a department member only the header and their own
obligations (finance also the value). Referrers and deactivated document kinds; the row locks and
one contract per offer."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partnera.clients.tests.factories import CompanyFactory
from partnera.contracts import selectors, services
from partnera.contracts.models import Contract, ContractStatus, ObligationStatus
from partnera.contracts.tests.factories import (
    ContractFactory,
    ContractTypeFactory,
    DocumentKindFactory,
    ObligationFactory,
)
from partnera.contracts.tests.helpers import pdf_upload, state
from partnera.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from partnera.core.roles import DepartmentKind, Role
from partnera.core.tests.api_client import ApiClient
from partnera.people.tests.factories import DepartmentFactory
from partnera.sales.models import OfferStatus
from partnera.sales.tests.factories import DealFactory, OfferFactory

pytestmark = pytest.mark.django_db
S = ContractStatus
TODAY = timezone.localdate


def page(name: str, *args) -> str:
    return reverse(f"contracts:{name}", args=args)


@pytest.fixture
def logistics():
    return DepartmentFactory(kind=DepartmentKind.LOGISTICS, name="Логистика")


@pytest.fixture
def finance():
    return DepartmentFactory(kind=DepartmentKind.FINANCE, name="Финанси")


# --- responsible for an obligation: a read grant -------------------------------------------------------

def test_the_responsible_person_reads_the_contract_and_completes_only_their_obligation(
        manager, other_manager, head_of_sales):
    # Given another manager's contract on which the manager answers for one obligation
    contract = ContractFactory(owner=other_manager)
    mine = ObligationFactory(contract=contract, owner=manager)
    kind = DocumentKindFactory()

    # Then the manager reads it …
    assert selectors.contract_get(user=manager, pk=contract.pk) == contract
    # … but changes nothing of it: terms, status, conditions, obligations
    attempts = [
        lambda: services.contract_update(actor=manager, contract=contract,
                                         data={"title": "X"}, expected_version=contract.version),
        lambda: services.contract_transition(actor=manager, contract=contract, status=S.SIGNED,
                                             signed_on=TODAY()),
        lambda: services.pricing_condition_create(actor=manager, contract=contract,
                                                  data={"discount_percent": "5"}),
        lambda: services.obligation_create(actor=manager, contract=contract,
                                           data={"title": "X", "due_date": "2026-05-01"}),
        lambda: services.obligation_update(actor=manager, obligation=mine, data={"title": "X"}),
        lambda: services.obligation_cancel(actor=manager, obligation=mine),
        lambda: services.document_add(actor=manager, contract=contract, upload=pdf_upload(),
                                      kind=kind.pk),
    ]
    before = state()
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert state() == before
    # And completes (and reopens) the obligation they answer for
    services.obligation_complete(actor=manager, obligation=mine)
    services.obligation_reopen(actor=manager, obligation=mine)
    services.obligation_complete(actor=manager, obligation=mine)
    mine.refresh_from_db()
    assert (mine.status, mine.done_by) == (ObligationStatus.DONE, manager)


def test_the_contract_page_offers_the_responsible_person_no_change(logged_in, manager,
                                                                   other_manager):
    contract = ContractFactory(owner=other_manager)
    ObligationFactory(contract=contract, owner=manager)

    response = logged_in(manager).get(page("contract_detail", contract.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert page("contract_edit", contract.pk) not in html
    assert page("contract_transition", contract.pk) not in html
    assert page("condition_create", contract.pk) not in html


def test_the_responsible_person_is_someone_who_may_see_the_client(manager, other_manager,
                                                                  make_user, logistics):
    contract = ContractFactory(owner=manager)
    member = make_user(Role.DEPARTMENT, department=logistics)
    before = state()

    with pytest.raises(ValidationFailed) as refused:
        services.obligation_create(actor=manager, contract=contract, data={
            "title": "Доставка", "due_date": "2026-05-01", "owner": other_manager.pk})
    assert refused.value.fields == {"owner": [
        "Choose someone who may see this client, or a member of the obligation's department."]}
    with pytest.raises(ValidationFailed):  # a department member, but of no department named
        services.obligation_create(actor=manager, contract=contract, data={
            "title": "Доставка", "due_date": "2026-05-01", "owner": member.pk})
    assert state() == before

    created = services.obligation_create(actor=manager, contract=contract, data={
        "title": "Доставка", "due_date": "2026-05-01", "owner": member.pk,
        "department": logistics.pk})
    assert (created.owner, created.department) == (member, logistics)


# --- department members: the header and their obligations -----------------------------------------

@pytest.fixture
def delivery_contract(manager, logistics, finance):
    """An active contract with a document, a condition, a referral and two obligations: one for
    logistics, one for finance."""
    kind = DocumentKindFactory()
    contract = ContractFactory(owner=manager, status=S.ACTIVE, value=Decimal("24500.00"),
                               payment_terms="Плащане по банков път",
                               special_conditions="Безплатна доставка",
                               contract_type=ContractTypeFactory(required=[kind]))
    document = services.document_add(actor=manager, contract=contract, upload=pdf_upload(),
                                     kind=kind.pk)
    services.pricing_condition_create(actor=manager, contract=contract,
                                      data={"discount_percent": "5"}, note="Анекс 1")
    services.referral_create(actor=manager, contract=contract, data={
        "referrer_company": CompanyFactory(owner=manager).pk, "reward": "Бутилка вино"})
    ObligationFactory(contract=contract, department=logistics, title="Доставка до Варна")
    ObligationFactory(contract=contract, department=finance, title="Фактура за аванса")
    contract.document = document
    return contract


def test_a_department_member_gets_the_header_and_their_obligations_only(
        logged_in, make_user, logistics, delivery_contract):
    member = make_user(Role.DEPARTMENT, department=logistics)
    contract = delivery_contract
    client = logged_in(member)

    detail = client.get(page("contract_detail", contract.pk))
    html = detail.content.decode()
    assert detail.status_code == 200
    assert contract.number in html and "Доставка до Варна" in html
    # The value (24,500.00) in any format it could be printed in, but not a token that happens
    # to hold "24".
    for hidden in ("Фактура за аванса", "24500", "24 500", "24\xa0500", "24,500", "24.500",
                   "Безплатна доставка", "Бутилка вино",
                   page("contract_pdf", contract.pk),
                   page("document_download", contract.document.pk)):
        assert hidden not in html.split("<main")[1], hidden
    assert client.get(page("contract_pdf", contract.pk)).status_code == 404
    assert client.get(page("document_download", contract.document.pk)).status_code == 404
    before = state()
    assert client.post(page("condition_create", contract.pk),
                       {"discount_percent": "5", "note": "Анекс"}).status_code == 404
    assert client.post(page("referral_create", contract.pk), {"reward": "X"}).status_code == 404
    assert client.post(page("document_upload", contract.pk),
                       {"kind": contract.document.kind_id, "file": pdf_upload()}).status_code == 404
    assert state() == before


def test_through_the_api_the_rest_is_404_and_the_value_hidden(client, make_user, logistics,
                                                              delivery_contract):
    member = make_user(Role.DEPARTMENT, department=logistics)
    contract = delivery_contract
    api = ApiClient(client, member)
    pk = contract.pk

    read = api.get(f"/contracts/{pk}").json()
    assert (read["number"], read["value"], read["payment_terms"], read["special_conditions"],
            read["offer"], read["missing_documents"]) == (contract.number, None, "", "", None, [])
    assert [o["title"] for o in api.get(f"/contracts/{pk}/obligations").json()] == [
        "Доставка до Варна"]
    listed = api.get("/contracts").json()["items"]
    assert [(c["id"], c["value"]) for c in listed] == [(pk, None)]
    for path in (f"/contracts/{pk}/documents", f"/contract-documents/{contract.document.pk}",
                 f"/contract-documents/{contract.document.pk}/download", f"/contracts/{pk}/pdf",
                 f"/contracts/{pk}/pricing-conditions", f"/contracts/{pk}/referrals",
                 f"/contracts/{pk}/versions", f"/contracts/{pk}/checklist",
                 f"/contracts/{pk}/diff?from_version=1&to_version=2"):
        answer = api.get(path)
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found"), path


def test_finance_also_reads_the_value_and_payment_terms(client, make_user, finance,
                                                        delivery_contract):
    member = make_user(Role.DEPARTMENT, department=finance)

    read = ApiClient(client, member).get(f"/contracts/{delivery_contract.pk}").json()

    assert (read["value"], read["payment_terms"], read["special_conditions"]) == (
        "24500.00", "Плащане по банков път", "")
    with pytest.raises(NotFound):
        services.contract_pdf_download(actor=member, contract=delivery_contract)


# --- referrers the viewer may not see ----------------------------------------------------------------

def test_a_referrer_the_viewer_may_not_see_is_not_named(client, logged_in, manager,
                                                        other_manager, admin_user):
    # Given the manager's contract whose referral names a client only another manager sees
    secret = CompanyFactory(owner=other_manager, legal_name="Тайна ООД")
    contract = ContractFactory(owner=manager)
    services.referral_create(actor=admin_user, contract=contract,
                             data={"referrer_company": secret.pk, "reward": "Отстъпка 2 %"})

    listed = ApiClient(client, manager).get(f"/contracts/{contract.pk}/referrals").json()
    html = logged_in(manager).get(page("contract_detail", contract.pk)).content.decode()

    assert listed[0]["referrer_company"] == {"id": secret.pk, "name": None}
    assert "Тайна ООД" not in html and "Отстъпка 2 %" in html


# --- a deactivated document kind ----------------------------------------------------------------------

def test_a_deactivated_required_kind_no_longer_blocks_activation(manager, admin_user):
    kind = DocumentKindFactory(name="Пълномощно")
    contract = ContractFactory(owner=manager, status=S.SIGNED,
                               contract_type=ContractTypeFactory(required=[kind]))
    services.document_kind_update(actor=admin_user, kind=kind, data={"active": False})

    assert selectors.checklist(contract).items == []
    services.contract_transition(actor=manager, contract=contract, status=S.ACTIVE)
    assert Contract.objects.get(pk=contract.pk).status == S.ACTIVE


# --- one contract per offer, row locks, the list's index ---------------------------------------------

def test_a_deleted_contract_from_an_offer_is_not_restored_beside_a_newer_one(manager):
    offer = OfferFactory(deal=DealFactory(owner=manager), status=OfferStatus.ACCEPTED)
    contract_type = ContractTypeFactory()
    first = services.contract_create(actor=manager, data={"contract_type": contract_type.pk},
                                     offer=offer)
    services.contract_delete(actor=manager, contract=first)
    second = services.contract_create(actor=manager, data={"contract_type": contract_type.pk},
                                      offer=offer)
    before = state()

    with pytest.raises(Conflict) as refused:
        services.contract_restore(actor=manager, contract=Contract.all_objects.get(pk=first.pk))

    assert refused.value.message == (f"Contract {second.number} was made from the same offer "
                                     f"since; only one contract is made from an offer.")
    assert state() == before


def _locks_the_contract(queries, contract: Contract) -> bool:
    table = Contract._meta.db_table
    return any("FOR UPDATE" in q["sql"] and f'FROM "{table}"' in q["sql"]
               and str(contract.pk) in q["sql"] for q in queries)


@pytest.mark.skipif(not connection.features.has_select_for_update,
                    reason="SQLite serialises writers; no row locks to see")
def test_obligation_and_document_writes_lock_the_contract_row(manager, logistics):
    kind = DocumentKindFactory()
    contract = ContractFactory(owner=manager, status=S.ACTIVE)
    document = services.document_add(actor=manager, contract=contract, upload=pdf_upload(),
                                     kind=kind.pk)
    writes = [
        lambda: services.obligation_create(actor=manager, contract=contract, data={
            "title": "Доставка", "due_date": "2026-05-01"}),
        lambda: services.obligation_complete(actor=manager,
                                             obligation=contract.obligations.get()),
        lambda: services.document_delete(actor=manager, document=document),
    ]
    for write in writes:
        with CaptureQueriesContext(connection) as queries:
            write()
        assert _locks_the_contract(queries.captured_queries, contract)


def test_the_default_list_sort_has_its_index():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Contract._meta.db_table)
    assert "contract_updated_idx" in constraints
