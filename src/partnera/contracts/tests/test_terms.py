"""Changing a contract's terms: every change a version, the differences between two versions,
signed terms changed only by a named annex, ended contracts frozen, bad input refused whole;
creating from an accepted offer only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.contracts import services
from partnera.contracts.errors import OfferNotAccepted, TermsLocked
from partnera.contracts.models import ContractStatus
from partnera.contracts.tests.factories import ContractFactory, ContractTypeFactory
from partnera.contracts.tests.helpers import state
from partnera.contracts.versions import line_diff, terms_diff, versions_diff
from partnera.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from partnera.core.roles import Role
from partnera.sales.models import OfferStatus
from partnera.sales.tests.factories import DealFactory, OfferFactory

pytestmark = pytest.mark.django_db
S = ContractStatus


def update(actor, contract, note="", **data):
    return services.contract_update(actor=actor, contract=contract, data=data,
                                    expected_version=contract.version, note=note)


def new_contract(manager, **data):
    return services.contract_create(actor=manager, data={
        "title": "Рамково споразумение", "contract_type": ContractTypeFactory(
            default_notice_days=45).pk, "company": CompanyFactory(owner=manager).pk, **data})


# --- versions -----------------------------------------------------------------------------------

def test_each_change_of_the_terms_in_negotiation_is_a_new_version(manager):
    contract = new_contract(manager, value="10000", payment_terms="Плащане по банков път.")
    services.contract_transition(actor=manager, contract=contract, status=S.NEGOTIATION)

    update(manager, contract, value="12000", note="Клиентът поиска повече количество")
    update(manager, contract, payment_days="30",
           payment_terms="Плащане по банков път.\nАванс 20 % при поръчка.")
    update(manager, contract, language="en")  # not a term: no new version

    versions = list(contract.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2, 3]
    assert [v.terms["value"] for v in versions] == ["10000.00", "12000.00", "12000.00"]
    assert versions[1].note == "Клиентът поиска повече количество"
    contract.refresh_from_db()
    assert contract.terms_version == 3 and contract.notice_days == 45


def test_the_differences_between_two_versions_field_by_field_and_line_by_line(manager):
    contract = new_contract(manager, value="10000", end_date="2026-12-31",
                            special_conditions="Доставка до склада на клиента.\nСрок: 5 дни.")
    update(manager, contract, value="12500.50", end_date="2027-06-30",
           special_conditions="Доставка до склада на клиента.\nСрок: 3 работни дни.\nБезплатен транспорт.")
    first, second = contract.versions.order_by("number")

    changes = {c.name: c for c in versions_diff(first, second)}

    assert list(changes) == ["value", "end_date", "special_conditions"]
    assert (changes["value"].before, changes["value"].after) == ("10,000.00", "12,500.50")
    assert changes["end_date"].label == "end"
    assert [(line.op, line.text) for line in changes["special_conditions"].lines] == [
        (" ", "Доставка до склада на клиента."), ("-", "Срок: 5 дни."),
        ("+", "Срок: 3 работни дни."), ("+", "Безплатен транспорт.")]
    assert versions_diff(second, first)[0].before == "12,500.50"
    assert versions_diff(first, first) == []


def test_a_long_text_diff_keeps_only_the_lines_around_each_change():
    before = "\n".join(f"Точка {n}." for n in range(1, 21))
    after = before.replace("Точка 3.", "Точка 3, изменена.").replace("Точка 18.", "Точка 18, нова.")

    lines = [(line.op, line.text) for line in line_diff(before, after)]

    assert lines[:6] == [(" ", "Точка 1."), (" ", "Точка 2."), ("-", "Точка 3."),
                         ("+", "Точка 3, изменена."), (" ", "Точка 4."), (" ", "Точка 5.")]
    assert (" ", "…") in lines and (" ", "Точка 10.") not in lines
    assert terms_diff({"title": "A"}, {"title": "A", "value": None}) == []


def test_signed_terms_change_only_by_a_named_annex(manager):
    contract = ContractFactory(owner=manager, status=S.SIGNED, value=Decimal("5000"))
    before = state()

    with pytest.raises(TermsLocked) as locked:
        update(manager, contract, value="6000")
    assert locked.value.code == "terms_locked" and "note" in locked.value.fields
    assert state() == before

    update(manager, contract, value="6000", note="Анекс 1: нови цени")
    assert contract.versions.get().note == "Анекс 1: нови цени"
    other_type = ContractTypeFactory()
    with pytest.raises(ValidationFailed) as type_change:
        update(manager, contract, contract_type=other_type.pk, note="Анекс 2")
    assert "contract_type" in type_change.value.fields


@pytest.mark.parametrize("status", [S.FULFILLED, S.TERMINATED, S.EXPIRED])
def test_an_ended_contract_does_not_change(manager, status):
    contract = ContractFactory(owner=manager, status=status)
    before = state()

    with pytest.raises(TermsLocked):
        update(manager, contract, title="Нов", note="Анекс")
    assert state() == before


def test_bad_input_is_refused_whole_with_every_error_and_nothing_changes(manager, other_manager):
    contract = new_contract(manager, start_date="2026-01-01", end_date="2026-12-31")
    stranger = ContactFactory(company=CompanyFactory(owner=other_manager))
    before = state()

    with pytest.raises(ValidationFailed) as refused:
        update(manager, contract, value="12,50,0", currency="USD", end_date="2025-01-01",
               signatory=stranger.pk, notice_days="-3", payment_terms="x" * 4001, title="")

    assert set(refused.value.fields) == {"value", "currency", "end_date", "signatory",
                                         "notice_days", "payment_terms", "title"}
    assert state() == before


def test_the_notice_period_cannot_be_longer_than_the_term(manager):
    with pytest.raises(ValidationFailed) as refused:
        new_contract(manager, start_date="2026-01-01", end_date="2026-01-31", notice_days="60")
    assert refused.value.fields == {"notice_days": ["The notice period is longer than the contract runs."]}


def test_someone_else_changed_it_meanwhile(manager):
    contract = new_contract(manager)
    stale = contract.version
    update(manager, contract, title="Първа промяна")
    before = state()

    with pytest.raises(VersionConflict):
        services.contract_update(actor=manager, contract=contract, data={"title": "Втора"},
                                 expected_version=stale)
    assert state() == before


def test_handing_a_contract_to_someone_else_is_for_a_head_of_sales(manager, other_manager,
                                                                   head_of_sales):
    contract = new_contract(manager)
    before = state()

    with pytest.raises(ValidationFailed) as refused:
        update(manager, contract, owner=other_manager.pk)
    assert "owner" in refused.value.fields
    assert state() == before
    update(head_of_sales, contract, owner=other_manager.pk)
    contract.refresh_from_db()
    assert contract.owner == other_manager


def test_a_client_the_manager_cannot_see_is_refused(manager, other_manager):
    hidden = CompanyFactory(owner=other_manager)
    contract_type = ContractTypeFactory()
    before = state()

    with pytest.raises(ValidationFailed) as refused:
        services.contract_create(actor=manager, data={
            "title": "X", "contract_type": contract_type.pk, "company": hidden.pk})
    assert refused.value.fields["company"] == ["Choose a client you can see."]
    assert state() == before


@pytest.mark.parametrize("role", [Role.MARKETING, Role.DEPARTMENT])
def test_readers_do_not_make_or_change_contracts(make_user, manager, role):
    reader = make_user(role)
    contract = ContractFactory(owner=manager)
    before = state()

    with pytest.raises(PermissionDenied):
        services.contract_create(actor=reader, data={"title": "X"})
    with pytest.raises((PermissionDenied, NotFound)):
        update(reader, contract, title="X")
    assert state() == before


# --- from an accepted offer ---------------------------------------------------------------------

def test_a_contract_from_an_accepted_offer_takes_its_client_deal_value_and_language(manager):
    deal = DealFactory(owner=manager)
    buyer = ContactFactory(company=deal.company)
    offer = OfferFactory(deal=deal, status=OfferStatus.ACCEPTED, net_total=Decimal("18450.40"),
                         currency="BGN", language="en", title="Опаковки 2026", contact=buyer)

    contract = services.contract_create(actor=manager, offer=offer.pk, data={
        "contract_type": ContractTypeFactory().pk, "end_date": timezone.localdate()
        + dt.timedelta(days=365)})

    assert (contract.company, contract.deal, contract.offer) == (deal.company, deal, offer)
    assert (contract.value, contract.currency, contract.language, contract.title) == (
        Decimal("18450.40"), "BGN", "en", "Опаковки 2026")
    assert contract.value_eur == Decimal("9433.54")
    assert contract.signatory == buyer
    assert contract.versions.get().note == f"Made from offer {offer}"


@pytest.mark.parametrize("status", [OfferStatus.DRAFT, OfferStatus.SENT, OfferStatus.REJECTED,
                                    OfferStatus.SUPERSEDED])
def test_an_offer_that_is_not_accepted_makes_no_contract(manager, status):
    offer = OfferFactory(deal=DealFactory(owner=manager), status=status)
    contract_type = ContractTypeFactory()
    before = state()

    with pytest.raises(OfferNotAccepted) as refused:
        services.contract_create(actor=manager, offer=offer.pk,
                                 data={"contract_type": contract_type.pk})

    assert refused.value.code == "offer_not_accepted"
    assert "accepted offer" in refused.value.message
    assert state() == before


def test_one_offer_makes_one_contract_and_a_hidden_offer_is_not_found(manager, other_manager):
    offer = OfferFactory(deal=DealFactory(owner=manager), status=OfferStatus.ACCEPTED)
    hidden = OfferFactory(deal=DealFactory(owner=other_manager), status=OfferStatus.ACCEPTED)
    contract_type = ContractTypeFactory()
    services.contract_create(actor=manager, offer=offer.pk, data={"contract_type": contract_type.pk})
    other_offer = OfferFactory(deal=DealFactory(owner=manager), status=OfferStatus.ACCEPTED)
    other_company = CompanyFactory(owner=manager)
    before = state()

    with pytest.raises(Conflict):
        services.contract_create(actor=manager, offer=offer.pk,
                                 data={"contract_type": contract_type.pk})
    with pytest.raises(NotFound):
        services.contract_create(actor=manager, offer=hidden.pk,
                                 data={"contract_type": contract_type.pk})
    with pytest.raises(ValidationFailed) as other_client:
        services.contract_create(actor=manager, offer=other_offer.pk,
                                 data={"contract_type": contract_type.pk,
                                       "company": other_company.pk})
    assert "company" in other_client.value.fields
    assert state() == before


# --- delete and restore -------------------------------------------------------------------------

def test_a_draft_is_deleted_and_restored_a_signed_contract_is_not_deleted(manager):
    draft = new_contract(manager)
    signed = ContractFactory(owner=manager, status=S.SIGNED)

    services.contract_delete(actor=manager, contract=draft)
    assert draft.deleted_at is not None
    services.contract_restore(actor=manager, contract=draft)
    assert draft.deleted_at is None
    before = state()
    with pytest.raises(ValidationFailed):
        services.contract_delete(actor=manager, contract=signed)
    assert state() == before
