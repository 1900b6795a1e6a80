"""Contract pages: the list (filters, constant queries), the contract page with every section,
create from scratch and from an accepted offer (others refused with the reason), edit with errors
next to the fields, status buttons, uploads, obligations, conditions, referrals, the settings
page for administrators, the company page's panel and timeline; 404 for a hidden contract and
403 for a role that reads, nothing changed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partnera.clients.tests.factories import CompanyFactory
from partnera.contracts import services
from partnera.contracts.models import Contract, ContractDocument, ContractStatus, Obligation
from partnera.contracts.tests.factories import (
    ContractFactory,
    ContractTypeFactory,
    DocumentKindFactory,
    ObligationFactory,
)
from partnera.contracts.tests.helpers import pdf_upload, state
from partnera.core.roles import DepartmentKind, Role
from partnera.people.tests.factories import DepartmentFactory
from partnera.sales.models import OfferStatus
from partnera.sales.tests.factories import DealFactory, OfferFactory

pytestmark = pytest.mark.django_db
S = ContractStatus
TODAY = timezone.localdate


def url(name: str, *args) -> str:
    return reverse(f"contracts:{name}", args=args)


# --- list and page -------------------------------------------------------------------------------

def test_the_list_shows_visible_contracts_filters_and_reads_in_constant_queries(logged_in, manager,
                                                                              other_manager):
    mine = ContractFactory(owner=manager, title="Доставка на кашони", status=S.ACTIVE,
                           end_date=TODAY() + dt.timedelta(days=10))
    ContractFactory(owner=other_manager, title="Чужд договор")
    client = logged_in(manager)
    client.get(url("contract_list"))

    with CaptureQueriesContext(connection) as few:
        page = client.get(url("contract_list"))
    for _ in range(6):
        ContractFactory(owner=manager)
    with CaptureQueriesContext(connection) as many:
        client.get(url("contract_list"))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Доставка на кашони" in html and "Чужд договор" not in html
    assert len(many) == len(few)
    ending = client.get(url("contract_list"), {"ending": "30"}).content.decode()
    assert mine.number in ending and ending.count("contract-status-") == 1
    assert client.get(url("contract_list"), {"status": "bogus", "owner": "x"}).status_code == 200


def test_the_contract_page_shows_every_section(logged_in, manager):
    kind = DocumentKindFactory(name="Подписан договор")
    contract = services.contract_create(actor=manager, data={
        "title": "Доставка", "contract_type": ContractTypeFactory(required=[kind]).pk,
        "company": CompanyFactory(owner=manager).pk, "special_conditions": "Безплатна доставка"})
    ObligationFactory(contract=contract, title="Първа доставка")
    services.contract_update(actor=manager, contract=contract, data={"value": "60000"},
                             expected_version=contract.version)
    client = logged_in(manager)

    page = client.get(url("contract_detail", contract.pk))

    html = page.content.decode()
    assert page.status_code == 200
    for fragment in (contract.number, "Безплатна доставка", "Първа доставка", "Подписан договор",
                     "checklist-missing", 'id="versions"', 'id="pricing"', 'id="referrals"',
                     'id="history"', url("contract_pdf", contract.pk),
                     'name="status" value="negotiation"'):
        assert fragment in html, fragment
    assert "diff-values" in html  # v1 → v2 shown by default
    assert "60\xa0000,00" in html  # the page is in Bulgarian, the default
    pdf = client.get(url("contract_pdf", contract.pk))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")


def test_a_hidden_contract_answers_404_on_every_page_and_nothing_changes(logged_in, manager,
                                                                         other_manager):
    contract = ContractFactory(owner=other_manager)
    obligation = ObligationFactory(contract=contract)
    client = logged_in(manager)
    before = state()

    for name in ("contract_detail", "contract_edit", "contract_pdf"):
        assert client.get(url(name, contract.pk)).status_code == 404
    for name, data in (("contract_transition", {"status": "negotiation"}),
                       ("contract_edit", {"title": "X"}), ("contract_delete", {}),
                       ("obligation_create", {"title": "X"}), ("condition_create", {}),
                       ("referral_create", {}), ("document_upload", {})):
        assert client.post(url(name, contract.pk), data).status_code == 404
    assert client.post(url("obligation_complete", obligation.pk)).status_code == 404
    assert client.get(url("contract_detail", 999999)).status_code == 404
    assert state() == before


def test_marketing_reads_a_contract_but_gets_403_on_changes(logged_in, make_user, manager):
    marketer = make_user(Role.MARKETING)
    contract = ContractFactory(owner=manager)
    client = logged_in(marketer)
    before = state()

    page = client.get(url("contract_detail", contract.pk))
    assert page.status_code == 200 and url("contract_edit", contract.pk) not in page.content.decode()
    assert client.get(url("contract_edit", contract.pk)).status_code == 403
    assert client.post(url("contract_transition", contract.pk),
                       {"status": "negotiation"}).status_code == 403
    assert client.get(url("contract_create")).status_code == 403
    assert state() == before


# --- create and edit ------------------------------------------------------------------------------

def test_a_contract_from_scratch_first_the_client_then_the_form(logged_in, manager):
    company = CompanyFactory(owner=manager)
    contract_type = ContractTypeFactory()
    client = logged_in(manager)

    assert client.get(url("contract_create")).status_code == 200
    form = client.get(url("contract_create"), {"company": company.pk})
    assert form.status_code == 200 and company.legal_name in form.content.decode()
    response = client.post(url("contract_create"), {
        "company": company.pk, "title": "Договор за услуги", "contract_type": contract_type.pk,
        "language": "bg", "currency": "EUR", "value": "1 500,00", "start_date": "2026-02-01",
        "end_date": "2027-01-31", "notice_days": "30"})

    contract = Contract.objects.get()
    assert response.status_code == 302 and response.url == url("contract_detail", contract.pk)
    assert (contract.company, contract.value, contract.owner) == (company, Decimal("1500.00"),
                                                                  manager)


def test_a_refused_form_keeps_the_input_and_shows_the_errors_by_the_fields(logged_in, manager):
    company = CompanyFactory(owner=manager)
    client = logged_in(manager)
    before = state()

    response = client.post(url("contract_create"), {
        "company": company.pk, "title": "Черновa", "contract_type": "", "language": "bg",
        "currency": "EUR", "value": "12,34,5", "end_date": "2020-01-01", "start_date": "2021-01-01"})

    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="Черновa"' in html and 'value="12,34,5"' in html
    assert html.count('class="error"') >= 3
    assert state() == before


def test_the_offer_page_button_prefills_from_an_accepted_offer(logged_in, manager):
    deal = DealFactory(owner=manager)
    offer = OfferFactory(deal=deal, status=OfferStatus.ACCEPTED, net_total=Decimal("7700.00"),
                         title="Опаковки за вино", language="en")
    contract_type = ContractTypeFactory()
    client = logged_in(manager)

    form = client.get(url("contract_create"), {"offer": offer.pk})
    html = form.content.decode()
    assert form.status_code == 200
    assert 'value="Опаковки за вино"' in html and 'value="7700.00"' in html
    assert f'name="offer" value="{offer.pk}"' in html

    response = client.post(url("contract_create"), {
        "offer": offer.pk, "title": "Опаковки за вино", "contract_type": contract_type.pk,
        "language": "en", "currency": "EUR", "value": "7700.00"})
    contract = Contract.objects.get()
    assert response.status_code == 302
    assert (contract.offer, contract.deal, contract.company) == (offer, deal, deal.company)


def test_an_offer_that_is_not_accepted_is_refused_with_the_reason(logged_in, manager):
    offer = OfferFactory(deal=DealFactory(owner=manager), status=OfferStatus.SENT)
    client = logged_in(manager)
    before = state()

    page = client.get(url("contract_create"), {"offer": offer.pk})
    posted = client.post(url("contract_create"), {"offer": offer.pk, "title": "X"})

    assert page.status_code == 400 and posted.status_code == 400
    assert str(offer) in page.content.decode()
    assert state() == before


def test_editing_a_signed_contract_asks_for_the_annex(logged_in, manager):
    contract = ContractFactory(owner=manager, status=S.SIGNED, value=Decimal("1000"))
    client = logged_in(manager)
    data = {"title": contract.title, "contract_type": contract.contract_type_id, "language": "bg",
            "currency": "EUR", "value": "2000", "notice_days": "30", "version": contract.version,
            "start_date": contract.start_date.isoformat(), "end_date": contract.end_date.isoformat()}
    before = state()

    refused = client.post(url("contract_edit", contract.pk), data)
    assert refused.status_code == 400 and 'id="field-note"' in refused.content.decode()
    assert state() == before
    saved = client.post(url("contract_edit", contract.pk), {**data, "note": "Анекс 1"})
    assert saved.status_code == 302
    assert Contract.objects.get(pk=contract.pk).value == Decimal("2000.00")


# --- status, documents, obligations, conditions, referrals -------------------------------------

def test_status_buttons_move_the_contract_and_a_refusal_says_what_is_missing(logged_in, manager):
    kind = DocumentKindFactory(name="Подписан договор")
    contract = ContractFactory(owner=manager, status=S.NEGOTIATION,
                               contract_type=ContractTypeFactory(required=[kind]))
    client = logged_in(manager)

    signed = client.post(url("contract_transition", contract.pk),
                         {"status": "signed", "signed_on": TODAY().isoformat()})
    assert signed.status_code == 302
    before = state()
    refused = client.post(url("contract_transition", contract.pk), {"status": "active"})
    assert refused.status_code == 400 and "Подписан договор" in refused.content.decode()
    assert state() == before

    uploaded = client.post(url("document_upload", contract.pk),
                           {"kind": kind.pk, "file": pdf_upload(), "description": "Оригинал"})
    assert uploaded.status_code == 302
    assert client.post(url("contract_transition", contract.pk),
                       {"status": "active"}).status_code == 302
    assert Contract.objects.get(pk=contract.pk).status == S.ACTIVE
    document = ContractDocument.objects.get()
    download = client.get(url("document_download", document.pk))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")


def test_a_refused_upload_shows_the_reason_and_stores_nothing(logged_in, manager):
    kind = DocumentKindFactory()
    contract = ContractFactory(owner=manager)
    client = logged_in(manager)
    before = state()

    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(url("document_upload", contract.pk), {
        "kind": kind.pk, "file": SimpleUploadedFile("скрипт.pdf", b"#!/bin/sh\nrm -rf /")})

    assert response.status_code == 400 and "error" in response.content.decode()
    assert state() == before


def test_obligations_conditions_and_referrals_from_the_page(logged_in, manager):
    contract = ContractFactory(owner=manager, status=S.ACTIVE)
    logistics = DepartmentFactory(kind=DepartmentKind.LOGISTICS, name="Логистика")
    referrer = CompanyFactory(owner=manager)
    client = logged_in(manager)

    assert client.post(url("obligation_create", contract.pk), {
        "title": "Месечен отчет", "due_date": "2026-07-01", "department": logistics.pk,
    }).status_code == 302
    obligation = Obligation.objects.get()
    assert client.get(url("obligation_edit", obligation.pk)).status_code == 200
    assert client.post(url("obligation_complete", obligation.pk)).status_code == 302
    assert Obligation.objects.get().status == "done"
    assert client.post(url("condition_create", contract.pk),
                       {"discount_percent": "6", "currency": "EUR",
                        "note": "Анекс 1: отстъпка"}).status_code == 302
    rule = contract.pricing_rules.get()
    assert rule.active and client.get(url("condition_edit", rule.pk)).status_code == 200
    assert client.post(url("referral_create", contract.pk), {
        "referrer_company": referrer.pk, "reward": "Бутилка вино", "currency": "EUR",
    }).status_code == 302
    clause = contract.referral_clauses.get()
    assert client.get(url("referral_edit", clause.pk)).status_code == 200
    bad = client.post(url("obligation_create", contract.pk), {"title": "", "due_date": "никога"})
    assert bad.status_code == 400 and 'value="никога"' in bad.content.decode()


def test_the_obligations_page_of_a_department_member(logged_in, make_user, manager):
    logistics = DepartmentFactory(kind=DepartmentKind.LOGISTICS, name="Логистика")
    member = make_user(Role.DEPARTMENT, department=logistics)
    contract = ContractFactory(owner=manager)
    ObligationFactory(contract=contract, department=logistics, title="Доставка до Варна",
                      due_date=TODAY() - dt.timedelta(days=1))
    ObligationFactory(contract=ContractFactory(owner=manager), title="Чужда задача")
    client = logged_in(member)

    page = client.get(url("obligation_list"))
    everything = client.get(url("obligation_list"), {"scope": "all"})

    html = page.content.decode()
    assert page.status_code == 200 and "Доставка до Варна" in html and "Чужда задача" not in html
    assert "badge-lost" in html  # overdue
    assert "Чужда задача" not in everything.content.decode()
    assert client.get(url("contract_detail", contract.pk)).status_code == 200


# --- settings, the company page --------------------------------------------------------------------

def test_the_settings_page_is_for_administrators(logged_in, manager, admin_user, settings):
    from django.utils import translation

    from partnera.contracts.defaults import CONTRACT_TYPES

    with translation.override(settings.LANGUAGE_CODE):  # the seeded name, in the seed's language
        seeded = str(CONTRACT_TYPES[0][0])
    assert logged_in(manager).get(url("settings")).status_code == 403
    client = logged_in(admin_user)
    page = client.get(url("settings"))
    assert page.status_code == 200 and seeded in page.content.decode()

    created = client.post(url("settings_type_create"), {
        "name": "Договор за наем", "default_notice_days": "90", "active": "on",
        "template": "Наемодател: {our_company}. Наемател: {client}."})
    assert created.status_code == 302
    before = state()
    refused = client.post(url("settings_type_create"), {"name": "Договор за наем",
                                                        "template": "{bad_one}"})
    assert refused.status_code == 400 and "{bad_one}" in refused.content.decode()
    assert state() == before
    assert client.post(url("settings_kind_create"), {"name": "Нотариален акт", "position": "7",
                                                      "active": "on"}).status_code == 302


def test_the_company_page_shows_the_contracts_panel_and_timeline(logged_in, manager, settings):
    contract = services.contract_create(actor=manager, data={
        "title": "Договор за доставка", "contract_type": ContractTypeFactory().pk,
        "company": CompanyFactory(owner=manager).pk})
    services.contract_transition(actor=manager, contract=contract, status=S.SIGNED,
                                 signed_on=TODAY())

    client = logged_in(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the events' words, in English
    page = client.get(reverse("clients:company_detail", args=[contract.company_id]))

    html = page.content.decode()
    assert page.status_code == 200
    assert url("contract_detail", contract.pk) in html
    assert f"Contract {contract.number} “Договор за доставка” signed" in html
    assert f"Contract {contract.number} “Договор за доставка” drafted" in html
