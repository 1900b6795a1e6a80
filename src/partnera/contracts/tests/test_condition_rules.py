"""A contract's pricing conditions follow the discount limit and the signed-terms lock
(contracts.services.conditions): beyond the pricing policy's limit only the head of sales over the
contract or an administrator grants one; once signed, a condition changes only by an annex, kept
as a new version of the terms whose differences show it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from partnera.catalog.models import PricingRule
from partnera.catalog.pricing import LineRequest, price_document
from partnera.catalog.tests.factories import CategoryFactory, priced_product
from partnera.contracts import services
from partnera.contracts.errors import ApprovalRequired, TermsLocked
from partnera.contracts.models import ContractStatus
from partnera.contracts.tests.factories import ContractFactory
from partnera.contracts.tests.helpers import state
from partnera.contracts.versions import versions_diff
from partnera.core.models import RecordShare
from partnera.core.roles import Role
from partnera.core.tests.api_client import ApiClient
from partnera.people.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db
S = ContractStatus
TODAY = timezone.localdate


def unit_price(company, product) -> Decimal:
    priced = price_document(company=company, currency="EUR", on_date=TODAY(),
                            lines=[LineRequest(product_id=product.pk, quantity=Decimal("1"))])
    return priced.lines[0].unit_price


@pytest.fixture
def product():
    return priced_product("100.00", name="Кашон")


# --- the discount limit ----------------------------------------------------------------------------

def test_a_manager_alone_cannot_grant_95_percent_and_sign_it(manager, head_of_sales, product):
    # Given a draft contract of the manager (whose team the head of sales heads)
    contract = ContractFactory(owner=manager)
    before = state()

    # When the manager gives 95 % (the limit is 10 %)
    with pytest.raises(ApprovalRequired) as refused:
        services.pricing_condition_create(actor=manager, contract=contract,
                                          data={"discount_percent": "95", "product": product.pk})

    # Then it is refused, naming who must grant it, and nothing changed
    message = (f"A discount above 10 % needs the approval of the head of sales over this "
               f"contract: {head_of_sales} or an administrator must add or change it.")
    assert (refused.value.code, refused.value.status, refused.value.message) == (
        "approval_required", 403, message)
    assert refused.value.fields == {"discount_percent": [message]}
    assert state() == before
    # And once the contract is signed, the client still pays the list price
    services.contract_transition(actor=manager, contract=contract, status=S.SIGNED,
                                 signed_on=TODAY())
    assert unit_price(contract.company, product) == Decimal("100.0000")


@pytest.mark.parametrize("data", [
    {"fixed_price": "0"},  # free
    {"fixed_price": "89.99"},  # just over 10 % below the list price
])
def test_a_fixed_price_far_below_the_list_price_needs_the_head_of_sales(manager, head_of_sales,
                                                                        product, data):
    contract = ContractFactory(owner=manager)
    before = state()

    with pytest.raises(ApprovalRequired) as refused:
        services.pricing_condition_create(actor=manager, contract=contract,
                                          data={**data, "product": product.pk})

    assert refused.value.fields["fixed_price"] == [
        f"A fixed price more than 10 % below the list price (100.0000 EUR) needs the approval of "
        f"the head of sales over this contract: {head_of_sales} or an administrator must add or "
        f"change it."]
    assert state() == before


def test_a_fixed_price_for_a_whole_category_counts_as_beyond_the_limit(manager, head_of_sales):
    contract = ContractFactory(owner=manager)
    before = state()
    with pytest.raises(ApprovalRequired) as refused:
        services.pricing_condition_create(actor=manager, contract=contract, data={
            "fixed_price": "50", "category": CategoryFactory().pk})
    assert refused.value.fields["fixed_price"][0].startswith(
        "A fixed price for more than one product needs the approval")
    assert state() == before


def test_within_the_limit_the_manager_grants_it_alone(manager, head_of_sales, product):
    contract = ContractFactory(owner=manager)

    discount = services.pricing_condition_create(actor=manager, contract=contract,
                                                 data={"discount_percent": "10"})
    fixed = services.pricing_condition_create(actor=manager, contract=contract,
                                              data={"fixed_price": "90", "product": product.pk})

    assert (discount.discount_percent, fixed.fixed_price) == (Decimal("10"), Decimal("90"))


def test_the_head_of_sales_over_the_contract_and_an_administrator_grant_it(
        manager, head_of_sales, admin_user, make_user, product):
    contract = ContractFactory(owner=manager)
    other_head = make_user(Role.HEAD_OF_SALES)
    TeamFactory(head=other_head)
    RecordShare.objects.create(record_type="contracts.contract", record_id=contract.pk,
                               user=other_head)  # sees it and may change it
    before = state()

    # A head of sales of another team may not (the manager's team has its own head)
    with pytest.raises(ApprovalRequired):
        services.pricing_condition_create(actor=other_head, contract=contract,
                                          data={"discount_percent": "30"})
    assert state() == before
    by_head = services.pricing_condition_create(actor=head_of_sales, contract=contract,
                                                data={"discount_percent": "30"})
    by_admin = services.pricing_condition_create(actor=admin_user, contract=contract, data={
        "fixed_price": "0", "product": product.pk})

    assert [r.pk for r in PricingRule.objects.filter(contract=contract).order_by("pk")] == [
        by_head.pk, by_admin.pk]


def test_changing_a_granted_condition_needs_the_head_again_but_a_rename_does_not(
        manager, head_of_sales):
    contract = ContractFactory(owner=manager)
    rule = services.pricing_condition_create(actor=head_of_sales, contract=contract,
                                             data={"discount_percent": "30"})

    services.pricing_condition_update(actor=manager, rule=rule, data={"name": "Годишна отстъпка"})
    before = state()
    with pytest.raises(ApprovalRequired):
        services.pricing_condition_update(actor=manager, rule=rule, data={"discount_percent": "40"})
    assert state() == before
    rule.refresh_from_db()
    assert (rule.name, rule.discount_percent) == ("Годишна отстъпка", Decimal("30.00"))
    # Lowering it to the limit is the manager's to do
    services.pricing_condition_update(actor=manager, rule=rule, data={"discount_percent": "10"})
    assert PricingRule.objects.get(pk=rule.pk).discount_percent == Decimal("10.00")


# --- the signed terms --------------------------------------------------------------------------------

def test_a_signed_contracts_conditions_change_only_by_an_annex(manager, product):
    contract = ContractFactory(owner=manager, status=S.ACTIVE)
    rule = services.pricing_condition_create(actor=manager, contract=contract,
                                             data={"discount_percent": "5"}, note="Анекс 1")
    before = state()

    attempts = [
        lambda: services.pricing_condition_create(actor=manager, contract=contract,
                                                  data={"discount_percent": "8"}),
        lambda: services.pricing_condition_update(actor=manager, rule=rule,
                                                  data={"discount_percent": "8"}),
        lambda: services.pricing_condition_delete(actor=manager, rule=rule),
    ]
    for attempt in attempts:
        with pytest.raises(TermsLocked) as refused:
            attempt()
        assert refused.value.fields == {
            "note": ["Name the annex that changes the pricing conditions."]}
    assert state() == before
    rule.refresh_from_db()
    assert rule.discount_percent == Decimal("5.00")


def test_an_annex_keeps_a_version_whose_differences_show_the_condition(manager, product):
    contract = ContractFactory(owner=manager, status=S.ACTIVE)
    versions_before = contract.versions.count()

    rule = services.pricing_condition_create(actor=manager, contract=contract, data={
        "name": "Кашони", "discount_percent": "5", "product": product.pk}, note="Анекс 1")
    services.pricing_condition_update(actor=manager, rule=rule, data={"discount_percent": "7.5"},
                                      note="Анекс 2: нови цени")
    services.pricing_condition_delete(actor=manager, rule=rule, note="Анекс 3")

    versions = list(contract.versions.order_by("number"))[versions_before:]
    assert [v.note for v in versions] == ["Анекс 1", "Анекс 2: нови цени", "Анекс 3"]
    contract.refresh_from_db()
    assert contract.terms_version == versions[-1].number
    changed = versions_diff(versions[0], versions[1])
    assert [(c.name, c.before, c.after) for c in changed] == [
        ("pricing_conditions", f"Кашони: 5.00 % · {product}", f"Кашони: 7.50 % · {product}")]
    assert [(line.op, line.text) for line in changed[0].lines] == [
        ("-", f"Кашони: 5.00 % · {product}"), ("+", f"Кашони: 7.50 % · {product}")]
    removed = versions_diff(versions[1], versions[2])
    assert [(c.before, c.after) for c in removed] == [(f"Кашони: 7.50 % · {product}", "—")]


def test_a_draft_keeps_a_version_of_each_change_without_an_annex(manager):
    contract = ContractFactory(owner=manager)
    rule = services.pricing_condition_create(actor=manager, contract=contract,
                                             data={"name": "Обща", "discount_percent": "5"})
    assert [v.note for v in contract.versions.order_by("number")] == [
        "Pricing condition added: Обща"]
    assert rule.active is False  # applies once signed


# --- through the API -----------------------------------------------------------------------------------

def test_the_api_answers_403_approval_required_and_400_terms_locked(client, manager,
                                                                     head_of_sales):
    api = ApiClient(client, manager)
    draft = ContractFactory(owner=manager)
    signed = ContractFactory(owner=manager, status=S.SIGNED)
    before = state()

    beyond = api.post(f"/contracts/{draft.pk}/pricing-conditions", {"discount_percent": "50"})
    locked = api.post(f"/contracts/{signed.pk}/pricing-conditions", {"discount_percent": "5"})

    assert (beyond.status_code, beyond.json()["code"]) == (403, "approval_required")
    assert str(head_of_sales) in beyond.json()["message"]
    assert (locked.status_code, locked.json()["code"]) == (400, "terms_locked")
    assert locked.json()["fields"] == {
        "note": ["Name the annex that changes the pricing conditions."]}
    assert state() == before
    created = api.post(f"/contracts/{signed.pk}/pricing-conditions",
                       {"discount_percent": "5", "note": "Анекс 1"})
    assert created.status_code == 201 and created.json()["active"] is True
