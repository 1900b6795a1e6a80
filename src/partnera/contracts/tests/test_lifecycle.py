"""The contract lifecycle through the services: numbering, allowed and refused transitions (a
refusal changes nothing), the conditions of each step, the pricing conditions switched with the
status, and the idempotent expiry job with automatic renewal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from partnera.catalog.models import PricingRule, RuleKind
from partnera.clients.tests.factories import CompanyFactory
from partnera.contracts import services
from partnera.contracts.errors import TransitionRefused
from partnera.contracts.models import Contract, ContractDocument, ContractStatus, ObligationStatus
from partnera.contracts.services.lifecycle import next_term
from partnera.contracts.tests.factories import (
    ContractFactory,
    ContractTypeFactory,
    DocumentKindFactory,
    ObligationFactory,
)
from partnera.contracts.tests.helpers import pdf_upload, state
from partnera.core.errors import ValidationFailed
from partnera.core.models import AuditEntry

pytestmark = pytest.mark.django_db
S = ContractStatus
TODAY = timezone.localdate


def draft_for(manager, **kwargs) -> Contract:
    contract_type = kwargs.pop("contract_type", None) or ContractTypeFactory()
    company = kwargs.pop("company", None) or CompanyFactory(owner=manager)
    return services.contract_create(actor=manager, data={
        "title": "Доставка на опаковки", "contract_type": contract_type.pk, "company": company.pk,
        "start_date": TODAY(), "end_date": TODAY() + dt.timedelta(days=364),
        "value": "24 000,00", **kwargs})


def move(manager, contract, status, **kwargs) -> Contract:
    return services.contract_transition(actor=manager, contract=contract, status=status, **kwargs)


# --- numbering ----------------------------------------------------------------------------------

def test_contracts_are_numbered_in_a_yearly_series(manager):
    first, second = draft_for(manager), draft_for(manager)

    year = TODAY().year
    assert (first.number, second.number) == (f"{year}-0001", f"{year}-0002")
    assert first.status == S.DRAFT and first.owner == manager and first.team == manager.team
    assert first.value == Decimal("24000.00") and first.value_eur == Decimal("24000.00")
    assert first.versions.get().number == 1


def test_a_new_year_starts_the_series_again(manager, monkeypatch):
    draft_for(manager)
    next_year = dt.date(TODAY().year + 1, 1, 2)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: next_year)

    contract = draft_for(manager)

    assert contract.number == f"{next_year.year}-0001"


def test_a_refused_contract_gives_its_number_back(manager):
    with pytest.raises(ValidationFailed):
        services.contract_create(actor=manager, data={"title": "X", "contract_type": 999999})
    contract = draft_for(manager)

    assert contract.number.endswith("-0001")


# --- transitions --------------------------------------------------------------------------------

def test_the_whole_way_from_draft_to_fulfilled(manager):
    signed_kind = DocumentKindFactory(name="Подписан договор")
    contract = draft_for(manager, contract_type=ContractTypeFactory(required=[signed_kind]))

    move(manager, contract, S.NEGOTIATION)
    move(manager, contract, S.SIGNED, signed_on=TODAY())
    services.document_add(actor=manager, contract=contract, upload=pdf_upload(), kind=signed_kind.pk)
    move(manager, contract, S.ACTIVE)
    move(manager, contract, S.FULFILLED)

    contract.refresh_from_db()
    assert contract.status == S.FULFILLED
    assert contract.signed_on == TODAY() and contract.ended_on == TODAY()
    changes = [e.changes["status"] for e in AuditEntry.objects.filter(
        object_type="contracts.contract", object_id=str(contract.pk), action="update",
        changes__has_key="status")
        .order_by("pk")]
    assert changes == [["draft", "negotiation"], ["negotiation", "signed"], ["signed", "active"],
                       ["active", "fulfilled"]]


@pytest.mark.parametrize(("current", "target"), [
    (S.DRAFT, S.ACTIVE), (S.DRAFT, S.FULFILLED), (S.DRAFT, S.EXPIRED),
    (S.NEGOTIATION, S.DRAFT), (S.NEGOTIATION, S.ACTIVE), (S.SIGNED, S.NEGOTIATION),
    (S.SIGNED, S.FULFILLED), (S.ACTIVE, S.SIGNED), (S.ACTIVE, S.DRAFT),
    (S.FULFILLED, S.ACTIVE), (S.TERMINATED, S.ACTIVE), (S.EXPIRED, S.ACTIVE),
    (S.TERMINATED, S.TERMINATED),
])
def test_transitions_outside_the_lifecycle_are_refused_and_change_nothing(manager, current, target):
    contract = ContractFactory(owner=manager, status=current, signed_on=TODAY())
    before = state()

    with pytest.raises(TransitionRefused) as refused:
        move(manager, contract, target, signed_on=TODAY(), reason="x")

    assert refused.value.code == "transition_refused"
    assert "status" in refused.value.fields
    assert state() == before


def test_signing_needs_the_signing_date_not_in_the_future(manager):
    contract = ContractFactory(owner=manager, status=S.NEGOTIATION)
    before = state()

    with pytest.raises(TransitionRefused) as missing:
        move(manager, contract, S.SIGNED)
    with pytest.raises(TransitionRefused) as future:
        move(manager, contract, S.SIGNED, signed_on=TODAY() + dt.timedelta(days=1))
    with pytest.raises(TransitionRefused) as garbage:
        move(manager, contract, S.SIGNED, signed_on="31.02.2026")

    assert missing.value.fields == {"signed_on": ["Enter the day the contract was signed."]}
    assert future.value.fields == {"signed_on": ["The signing date cannot be in the future."]}
    assert list(garbage.value.fields) == ["signed_on"]
    assert state() == before


def test_activation_needs_every_required_document(manager):
    signed = DocumentKindFactory(name="Подписан договор")
    annex = DocumentKindFactory(name="Ценово приложение")
    contract = ContractFactory(owner=manager, status=S.SIGNED, signed_on=TODAY(),
                               contract_type=ContractTypeFactory(required=[signed, annex]))
    services.document_add(actor=manager, contract=contract, upload=pdf_upload(), kind=signed.pk)
    before = state()

    with pytest.raises(TransitionRefused) as refused:
        move(manager, contract, S.ACTIVE)

    assert refused.value.fields == {"documents": [
        "Documents the contract type requires are missing: Ценово приложение. Upload them first."]}
    assert state() == before
    services.document_add(actor=manager, contract=contract, upload=pdf_upload("цени.pdf"),
                          kind=annex.pk)
    assert move(manager, contract, S.ACTIVE).status == S.ACTIVE


def test_a_deleted_document_no_longer_counts_for_the_checklist(manager):
    signed = DocumentKindFactory()
    contract = ContractFactory(owner=manager, status=S.SIGNED, signed_on=TODAY(),
                               contract_type=ContractTypeFactory(required=[signed]))
    document = services.document_add(actor=manager, contract=contract, upload=pdf_upload(),
                                      kind=signed.pk)
    services.document_delete(actor=manager, document=document)

    with pytest.raises(TransitionRefused):
        move(manager, contract, S.ACTIVE)
    services.document_restore(actor=manager, document=ContractDocument.all_objects.get())
    assert move(manager, contract, S.ACTIVE).status == S.ACTIVE


def test_activation_without_a_start_starts_today_and_an_ended_term_cannot_start(manager):
    contract = ContractFactory(owner=manager, status=S.SIGNED, start_date=None)
    old = ContractFactory(owner=manager, status=S.SIGNED, start_date=TODAY() - dt.timedelta(days=40),
                          end_date=TODAY() - dt.timedelta(days=1))

    assert move(manager, contract, S.ACTIVE).start_date == TODAY()
    before = state()
    with pytest.raises(TransitionRefused) as refused:
        move(manager, old, S.ACTIVE)
    assert list(refused.value.fields) == ["end_date"]
    assert state() == before


def test_fulfilling_needs_every_obligation_done_or_cancelled(manager):
    contract = ContractFactory(owner=manager, status=S.ACTIVE)
    open_one = ObligationFactory(contract=contract)
    ObligationFactory(contract=contract, status=ObligationStatus.DONE)
    before = state()

    with pytest.raises(TransitionRefused) as refused:
        move(manager, contract, S.FULFILLED)

    assert refused.value.fields == {"obligations": [
        "1 obligations are still open: complete or cancel them first."]}
    assert state() == before
    services.obligation_cancel(actor=manager, obligation=open_one)
    assert move(manager, contract, S.FULFILLED).status == S.FULFILLED


def test_terminating_needs_a_reason_and_withdrawing_a_draft_is_a_termination(manager):
    active = ContractFactory(owner=manager, status=S.ACTIVE)
    draft = ContractFactory(owner=manager, status=S.DRAFT)
    before = state()

    with pytest.raises(TransitionRefused) as refused:
        move(manager, active, S.TERMINATED, reason="   ")
    assert refused.value.fields == {"termination_reason": ["Say why the contract ends."]}
    assert state() == before

    move(manager, active, S.TERMINATED, reason="Клиентът прекрати дейност",
         ended_on=TODAY() - dt.timedelta(days=2))
    move(manager, draft, S.TERMINATED, reason="Клиентът избра друг доставчик")
    active.refresh_from_db()
    assert (active.status, active.ended_on, active.termination_reason) == (
        S.TERMINATED, TODAY() - dt.timedelta(days=2), "Клиентът прекрати дейност")
    assert Contract.objects.get(pk=draft.pk).status == S.TERMINATED


def test_expired_by_hand_only_after_the_end_date(manager):
    running = ContractFactory(owner=manager, status=S.ACTIVE)
    ended = ContractFactory(owner=manager, status=S.ACTIVE, start_date=TODAY() - dt.timedelta(days=30),
                            end_date=TODAY() - dt.timedelta(days=1))

    with pytest.raises(TransitionRefused):
        move(manager, running, S.EXPIRED)
    move(manager, ended, S.EXPIRED)
    ended.refresh_from_db()
    assert (ended.status, ended.ended_on) == (S.EXPIRED, ended.end_date)


def test_a_stale_version_is_a_conflict_and_changes_nothing(manager):
    contract = ContractFactory(owner=manager, status=S.DRAFT)
    before = state()

    from partnera.core.errors import VersionConflict

    with pytest.raises(VersionConflict):
        move(manager, contract, S.NEGOTIATION, expected_version=contract.version + 5)
    assert state() == before


# --- pricing conditions follow the status -------------------------------------------------------

def test_pricing_conditions_apply_exactly_while_the_contract_is_in_force(manager):
    kind = DocumentKindFactory()
    contract = ContractFactory(owner=manager, contract_type=ContractTypeFactory(required=[kind]))
    rule = services.pricing_condition_create(actor=manager, contract=contract,
                                             data={"discount_percent": "7.5"})
    assert (rule.kind, rule.company_id, rule.active) == (RuleKind.SPECIAL_CONDITION,
                                                         contract.company_id, False)

    def active() -> bool:
        return PricingRule.objects.get(pk=rule.pk).active

    move(manager, contract, S.SIGNED, signed_on=TODAY())
    assert active()
    services.document_add(actor=manager, contract=contract, upload=pdf_upload(), kind=kind.pk)
    move(manager, contract, S.ACTIVE)
    assert active()
    move(manager, contract, S.TERMINATED, reason="Нарушение")
    assert not active()


# --- expiry -------------------------------------------------------------------------------------

def test_expiry_moves_active_contracts_past_their_end_and_is_idempotent(manager):
    due = ContractFactory(owner=manager, status=S.ACTIVE, start_date=TODAY() - dt.timedelta(days=365),
                          end_date=TODAY() - dt.timedelta(days=1))
    ends_today = ContractFactory(owner=manager, status=S.ACTIVE, end_date=TODAY())
    signed = ContractFactory(owner=manager, status=S.SIGNED, end_date=TODAY() - dt.timedelta(days=3))
    rule = PricingRule.objects.create(name="Отстъпка", kind=RuleKind.SPECIAL_CONDITION,
                                      company=due.company, contract=due, discount_percent=5)

    first = services.contracts_expire_due()
    after_first = state()
    second = services.contracts_expire_due()

    assert (first.expired, first.renewed) == ([due.pk], [])
    assert (second.expired, second.renewed) == ([], [])
    assert state() == after_first
    due.refresh_from_db()
    assert (due.status, due.ended_on) == (S.EXPIRED, due.end_date)
    assert Contract.objects.get(pk=ends_today.pk).status == S.ACTIVE
    assert Contract.objects.get(pk=signed.pk).status == S.SIGNED
    assert not PricingRule.objects.get(pk=rule.pk).active
    entry = AuditEntry.objects.get(object_type="contracts.contract", object_id=str(due.pk))
    assert entry.changes["status"] == ["active", "expired"] and entry.actor is None


def test_a_contract_that_renews_automatically_runs_on_for_another_term(manager):
    start, end = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    contract = ContractFactory(owner=manager, status=S.ACTIVE, auto_renew=True, start_date=start,
                               end_date=end, notice_days=30)

    result = services.contracts_expire_due(today=dt.date(2025, 1, 5))
    again = services.contracts_expire_due(today=dt.date(2025, 1, 5))

    contract.refresh_from_db()
    assert (result.renewed, result.expired, again.renewed) == ([contract.pk], [], [])
    assert (contract.status, contract.start_date, contract.end_date) == (
        S.ACTIVE, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert contract.notice_date == dt.date(2025, 12, 1)
    assert contract.versions.order_by("-number").first().note.startswith("Renewed automatically")


def test_a_long_missed_renewal_catches_up_to_today(manager):
    contract = ContractFactory(owner=manager, status=S.ACTIVE, auto_renew=True,
                               start_date=dt.date(2020, 3, 1), end_date=dt.date(2020, 8, 31))

    services.contracts_expire_due(today=dt.date(2022, 1, 10))

    contract.refresh_from_db()
    assert (contract.start_date, contract.end_date) == (dt.date(2021, 9, 1), dt.date(2022, 2, 28))


@pytest.mark.parametrize(("start", "end", "expected"), [
    (dt.date(2026, 1, 1), dt.date(2026, 12, 31), (dt.date(2027, 1, 1), dt.date(2027, 12, 31))),
    (dt.date(2026, 1, 31), dt.date(2026, 2, 27), (dt.date(2026, 2, 28), dt.date(2026, 3, 27))),
    (dt.date(2026, 3, 1), dt.date(2026, 5, 31), (dt.date(2026, 6, 1), dt.date(2026, 8, 31))),
    (None, dt.date(2026, 6, 30), (dt.date(2026, 7, 1), dt.date(2027, 6, 30))),
])
def test_the_next_term_is_as_long_as_the_last(start, end, expected):
    assert next_term(start, end) == expected


def test_the_expire_command_reports_what_it_did(manager, capsys):
    ContractFactory(owner=manager, status=S.ACTIVE, start_date=TODAY() - dt.timedelta(days=20),
                    end_date=TODAY() - dt.timedelta(days=1))

    call_command("contracts", "expire")
    call_command("contracts", "expire")

    out = capsys.readouterr().out.splitlines()
    assert out == ["Contracts expired: 1; renewed automatically: 0.",
                   "Contracts expired: 0; renewed automatically: 0."]


def test_the_expiry_job_for_one_contract_leaves_the_others(manager):
    from partnera.contracts.tasks import expire_contract_task

    mine = ContractFactory(owner=manager, status=S.ACTIVE, start_date=TODAY() - dt.timedelta(days=9),
                           end_date=TODAY() - dt.timedelta(days=1))
    other = ContractFactory(owner=manager, status=S.ACTIVE, start_date=TODAY() - dt.timedelta(days=9),
                            end_date=TODAY() - dt.timedelta(days=1))

    assert expire_contract_task.call(mine.pk) == "expired 1, renewed 0"
    assert expire_contract_task.call(mine.pk) == "expired 0, renewed 0"
    assert Contract.objects.get(pk=other.pk).status == S.ACTIVE
