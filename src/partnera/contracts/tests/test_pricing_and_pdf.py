"""A contract's pricing conditions price the client's documents (catalog.pricing.price_document)
exactly while the contract is signed or active; the contract PDF in Bulgarian and English,
read back."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from partnera.catalog.pricing import LineRequest, price_document
from partnera.catalog.tests.factories import priced_product
from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.contracts import services
from partnera.contracts.models import ContractStatus
from partnera.contracts.tests.factories import (
    ContractFactory,
    ContractTypeFactory,
    DocumentKindFactory,
    ObligationFactory,
)
from partnera.contracts.tests.helpers import pdf_upload, state
from partnera.core.errors import ValidationFailed
from partnera.core.models import AuditEntry, OrganisationProfile

pytestmark = pytest.mark.django_db
S = ContractStatus
TODAY = timezone.localdate


def unit_price(company, product) -> Decimal:
    priced = price_document(company=company, currency="EUR", on_date=TODAY(),
                            lines=[LineRequest(product_id=product.pk, quantity=Decimal("10"))])
    return priced.lines[0].unit_price


def test_special_conditions_price_the_client_only_while_the_contract_is_in_force(manager):
    product = priced_product("20.00")
    kind = DocumentKindFactory()
    contract = ContractFactory(owner=manager, contract_type=ContractTypeFactory(required=[kind]))
    other_client = CompanyFactory(owner=manager)
    services.pricing_condition_create(actor=manager, contract=contract,
                                      data={"discount_percent": "10", "product": product.pk})

    draft_price = unit_price(contract.company, product)
    services.contract_transition(actor=manager, contract=contract, status=S.SIGNED,
                                 signed_on=TODAY())
    signed_price = unit_price(contract.company, product)
    services.document_add(actor=manager, contract=contract, upload=pdf_upload(), kind=kind.pk)
    services.contract_transition(actor=manager, contract=contract, status=S.ACTIVE)
    active_price = unit_price(contract.company, product)
    other_price = unit_price(other_client, product)
    services.contract_transition(actor=manager, contract=contract, status=S.TERMINATED,
                                 reason="Край на сътрудничеството")
    after_price = unit_price(contract.company, product)

    assert (draft_price, signed_price, active_price, other_price, after_price) == (
        Decimal("20.0000"), Decimal("18.0000"), Decimal("18.0000"), Decimal("20.0000"),
        Decimal("20.0000"))


def test_a_fixed_price_condition_explains_itself_as_the_contract(manager):
    product = priced_product("20.00")
    contract = ContractFactory(owner=manager, status=S.ACTIVE)
    rule = services.pricing_condition_create(actor=manager, contract=contract,
                                             data={"fixed_price": "19.50", "product": product.pk},
                                             note="Анекс 1")

    priced = price_document(company=contract.company, currency="EUR", on_date=TODAY(),
                            lines=[LineRequest(product_id=product.pk, quantity=Decimal("4"))])

    assert rule.active and rule.name.startswith(contract.number)
    step = priced.lines[0].steps[-1]
    assert (step.code, step.rule_id, step.unit_price) == ("special", rule.pk, Decimal("19.50"))


def test_bad_pricing_conditions_are_refused_and_nothing_changes(manager):
    contract = ContractFactory(owner=manager)
    before = state()

    for data, field in (({}, "discount_percent"), ({"discount_percent": "120"}, "discount_percent"),
                        ({"discount_percent": "5", "fixed_price": "3"}, "fixed_price"),
                        ({"fixed_price": "-1"}, "fixed_price"),
                        ({"discount_percent": "5", "product": 999999}, "product"),
                        ({"discount_percent": "5", "valid_from": "2026-05-01",
                          "valid_to": "2026-04-01"}, "valid_to")):
        with pytest.raises(ValidationFailed) as refused:
            services.pricing_condition_create(actor=manager, contract=contract, data=data)
        assert field in refused.value.fields, data
    assert state() == before


def test_referral_clauses_name_a_visible_referrer_and_the_reward(manager, other_manager):
    contract = ContractFactory(owner=manager)
    referrer = CompanyFactory(owner=manager)
    hidden = CompanyFactory(owner=other_manager)
    before = state()

    with pytest.raises(ValidationFailed) as refused:
        services.referral_create(actor=manager, contract=contract,
                                 data={"referrer_company": hidden.pk, "reward": "5 %"})
    with pytest.raises(ValidationFailed) as nobody:
        services.referral_create(actor=manager, contract=contract, data={"reward": "5 %"})
    with pytest.raises(ValidationFailed) as itself:
        services.referral_create(actor=manager, contract=contract,
                                 data={"referrer_company": contract.company_id, "reward": "5 %"})
    assert refused.value.fields == {"referrer_company": ["Choose a client you can see."]}
    assert "referrer_company" in nobody.value.fields and "referrer_company" in itself.value.fields
    assert state() == before

    clause = services.referral_create(actor=manager, contract=contract, data={
        "referrer_company": referrer.pk, "referrer_contact": ContactFactory(company=referrer).pk,
        "reward": "Отстъпка 3 % за година", "reward_amount": "500", "currency": "EUR"})
    assert (clause.reward_amount, clause.settled_at) == (Decimal("500.00"), None)
    clause.settled_at = timezone.now()
    clause.save()
    with pytest.raises(ValidationFailed):
        services.referral_update(actor=manager, clause=clause, data={"reward": "Друго"})


# --- the PDF ------------------------------------------------------------------------------------

def pdf_text(content: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return text.replace("\xa0", " ").replace("\u202f", " ")  # grouping spaces as plain ones


@pytest.fixture
def contract_for_pdf(manager, admin_user):
    OrganisationProfile.objects.create(
        name="Партнера", legal_name="Партнера ООД", legal_name_en="Partnera Ltd", eik="206123456",
        address="София, бул. България 1", address_en="1 Bulgaria Blvd, Sofia",
        representative="Иван Петров")
    contract_type = ContractTypeFactory(
        name="Договор за доставка (печат)",
        template="1. {our_company} доставя на {client} по договор {number}.\n"
                 "2. Срок: от {start_date} до {end_date}. Стойност {value} {currency}.\n"
                 "3. Неизвестно {unknown} остава.")
    company = CompanyFactory(owner=manager, legal_name="Кашони Пловдив ЕООД")
    contract = ContractFactory(owner=manager, company=company, contract_type=contract_type,
                               title="Годишна доставка", value=Decimal("24500.00"),
                               start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31),
                               payment_days=30, special_conditions="Безплатна доставка над 500 кг.",
                               signatory=ContactFactory(company=company, first_name="Мария",
                                                        last_name="Колева"))
    product = priced_product("10.00", name="Кашон петслоен", name_en="Five-layer carton")
    # Above the 10 % limit: granted by an administrator.
    services.pricing_condition_create(actor=admin_user, contract=contract,
                                      data={"discount_percent": "12.5", "product": product.pk})
    ObligationFactory(contract=contract, title="Първа доставка", due_date=dt.date(2026, 2, 1))
    return contract


@pytest.mark.parametrize(("language", "expected"), [
    ("bg", ["Партнера ООД", "Страни", "Специални условия", "Ценови условия", "12,50 %",
            "Задължения"]),
    ("en", ["Partnera Ltd", "Parties", "Special conditions", "Pricing conditions", "12.50 %",
            "Obligations and milestones"]),
])
def test_the_pdf_in_bulgarian_and_english_reads_back_with_cyrillic_intact(
        manager, contract_for_pdf, language, expected):
    contract = contract_for_pdf
    contract.language = language
    contract.save()

    content = services.contract_pdf_download(actor=manager, contract=contract)

    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    for phrase in ["Кашони Пловдив ЕООД", "Годишна доставка", contract.number,
                   "Безплатна доставка над 500 кг.", "Първа доставка",
                   "Мария Колева", "{unknown}"]:
        assert phrase in text, (language, phrase)
    assert ("Кашон петслоен" if language == "bg" else "Five-layer carton") in text
    ours = "Партнера ООД" if language == "bg" else "Partnera Ltd"
    assert f"1. {ours} доставя на Кашони Пловдив ЕООД по договор {contract.number}." in text
    assert "24 500,00" in text if language == "bg" else "24,500.00" in text
    for phrase in expected:
        if language == "bg" and phrase in ("Страни", "Специални условия", "Ценови условия",
                                           "Задължения"):
            continue  # interface words depend on the Bulgarian catalogue being compiled
        assert phrase in text, (language, phrase)
    assert AuditEntry.objects.filter(object_type="contracts.contract", action="download",
                                     object_id=str(contract.pk)).count() == 1
