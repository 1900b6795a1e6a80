"""Deal services: defaults, stage rules on create, update and move, the kept stage history."""

from __future__ import annotations

from decimal import Decimal

import pytest

from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.core.errors import NotFound, PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.sales.models import ContactRole, Deal, DealStageChange, Reason, StageOutcome
from partnera.sales.services import deal_create, deal_move_stage, deal_set_contacts, deal_update
from partnera.sales.tests.factories import DealFactory, default_pipeline, stage_at

pytestmark = pytest.mark.django_db


def test_a_new_deal_opens_in_the_default_pipeline_first_stage_owned_by_its_creator(manager):
    company = CompanyFactory(owner=manager)

    deal = deal_create(actor=manager, data={"title": "Годишна доставка", "company": company.pk,
                                            "amount": "1 955,83", "currency": "bgn"})

    assert deal.pipeline == default_pipeline()
    assert deal.stage == stage_at(0)
    assert deal.owner == manager and deal.team == manager.team
    assert deal.amount == Decimal("1955.83") and deal.currency == "BGN"
    assert deal.amount_eur == Decimal("1000.00")
    assert list(DealStageChange.objects.filter(deal=deal).values_list("from_stage", "to_stage")) == [
        (None, stage_at(0).pk)]
    assert AuditEntry.objects.filter(object_type="sales.deal", object_id=str(deal.pk),
                                     action="create", company_id=company.pk).count() == 1


def test_a_deal_for_a_company_the_actor_cannot_see_is_refused_and_nothing_is_stored(manager,
                                                                                     other_manager):
    hidden = CompanyFactory(owner=other_manager)

    with pytest.raises(ValidationFailed) as error:
        deal_create(actor=manager, data={"title": "X", "company": hidden.pk})

    assert "company" in error.value.fields
    assert not Deal.all_objects.exists()


def test_offer_presented_needs_an_amount_and_the_refused_move_changes_nothing(manager):
    deal = DealFactory(owner=manager, amount=None, amount_eur=None)

    with pytest.raises(ValidationFailed) as error:
        deal_move_stage(actor=manager, deal=deal, stage=stage_at(3))

    assert "amount" in error.value.fields
    deal.refresh_from_db()
    assert deal.stage == stage_at(0) and deal.version == 1
    assert DealStageChange.objects.filter(deal=deal).count() == 1


def test_each_move_is_kept_with_the_time_spent_in_the_stage_it_left(manager):
    deal = DealFactory(owner=manager)

    deal_move_stage(actor=manager, deal=deal, stage=stage_at(1))
    deal_move_stage(actor=manager, deal=deal, stage=stage_at(3))

    moves = list(DealStageChange.objects.filter(deal=deal).order_by("at", "id"))
    assert [(m.from_stage_id, m.to_stage_id) for m in moves] == [
        (None, stage_at(0).pk), (stage_at(0).pk, stage_at(1).pk), (stage_at(1).pk, stage_at(3).pk)]
    assert all(m.seconds_in_from is not None and m.seconds_in_from >= 0 for m in moves[1:])
    deal.refresh_from_db()
    assert deal.stage == stage_at(3) and deal.status == StageOutcome.OPEN and deal.version == 3


def test_lost_needs_a_reason_from_the_managed_list(manager):
    deal = DealFactory(owner=manager)
    reason = Reason.objects.filter(kind=Reason.Kind.DEAL_LOST).first()

    with pytest.raises(ValidationFailed) as error:
        deal_move_stage(actor=manager, deal=deal, stage=stage_at(7))
    assert "lost_reason" in error.value.fields

    deal_move_stage(actor=manager, deal=deal, stage=stage_at(7), lost_reason=reason.pk,
                    lost_comment="Избраха конкурент")
    deal.refresh_from_db()
    assert deal.status == StageOutcome.LOST and deal.lost_reason == reason
    assert deal.closed_at is not None


def test_the_contract_stage_needs_a_decision_maker(manager):
    deal = DealFactory(owner=manager, stage=stage_at(4))
    buyer = ContactFactory(company=deal.company)

    with pytest.raises(ValidationFailed) as error:
        deal_move_stage(actor=manager, deal=deal, stage=stage_at(5))
    assert "contacts" in error.value.fields

    deal_set_contacts(actor=manager, deal=deal, contacts=[(buyer, ContactRole.DECISION_MAKER)])
    deal_move_stage(actor=manager, deal=deal, stage=stage_at(5))
    assert Deal.objects.get(pk=deal.pk).stage == stage_at(5)


def test_an_update_that_would_break_the_current_stage_rule_is_refused(manager):
    deal = DealFactory(owner=manager, stage=stage_at(3))

    with pytest.raises(ValidationFailed) as error:
        deal_update(actor=manager, deal=deal, data={"amount": ""}, expected_version=1)

    assert "amount" in error.value.fields
    assert Deal.objects.get(pk=deal.pk).amount == Decimal("12000.00")


def test_another_managers_deal_answers_not_found_and_is_untouched(manager, other_manager):
    deal = DealFactory(owner=other_manager)

    with pytest.raises(NotFound):
        deal_move_stage(actor=manager, deal=deal, stage=stage_at(1))
    assert Deal.objects.get(pk=deal.pk).stage == stage_at(0)


def test_the_company_owner_sees_and_works_a_colleagues_deal_on_their_client(manager, other_manager):
    company = CompanyFactory(owner=manager)
    deal = DealFactory(owner=other_manager, company=company)

    deal_update(actor=manager, deal=deal, data={"next_step": "Обаждане в понеделник"},
                expected_version=1)

    assert Deal.objects.get(pk=deal.pk).next_step == "Обаждане в понеделник"


def test_marketing_reads_deals_but_may_not_open_one(make_user):
    from partnera.core.roles import Role

    marketer = make_user(role=Role.MARKETING)
    company = CompanyFactory()

    with pytest.raises(PermissionDenied):
        deal_create(actor=marketer, data={"title": "X", "company": company.pk})
    assert not Deal.all_objects.exists()


@pytest.mark.parametrize("relationship", ["prospect", "dormant", "lost"])
def test_a_won_deal_makes_its_company_an_active_client(manager, relationship):
    company = CompanyFactory(owner=manager, stage=relationship)
    deal = DealFactory(owner=manager, company=company, stage=stage_at(5))

    deal_move_stage(actor=manager, deal=deal, stage=stage_at(6))

    company.refresh_from_db()
    assert company.stage == "active" and company.version == 2
    assert AuditEntry.objects.filter(object_type="clients.company", object_id=str(company.pk),
                                     action="update").get().changes["stage"] == [
        relationship, "active"]


def test_a_won_deal_leaves_a_company_the_winner_may_not_see_alone(manager, other_manager):
    company = CompanyFactory(owner=other_manager, stage="prospect")
    deal = DealFactory(owner=manager, company=company, stage=stage_at(5))

    deal_move_stage(actor=manager, deal=deal, stage=stage_at(6))

    company.refresh_from_db()
    assert company.stage == "prospect" and company.version == 1
