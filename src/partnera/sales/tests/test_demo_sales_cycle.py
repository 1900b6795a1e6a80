"""The demo's sales cycle (`partnera demo`): deals across the pipelines with their stage history,
contacts and roles, and the activities around them — consistent with what the services keep
(next_activity_at, amount_eur, status, stage_entered_at, last contacts) and lively enough that
every salesperson's first "My day" has something in each panel."""

from __future__ import annotations

import io
import itertools
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db.models import Max, Min
from django.utils import timezone

from partnera.activities import myday as activity_panels
from partnera.activities.models import CONTACT_KINDS, Activity, ActivityStatus, CompanyContact
from partnera.clients.models import Contact
from partnera.core.home import home_view
from partnera.core.models import AuditEntry
from partnera.core.money import to_eur
from partnera.people.models import User
from partnera.sales import myday as deal_panels
from partnera.sales.models import Deal, DealContact, DealStageChange, StageOutcome
from partnera.sales.services import rule_failures

pytestmark = pytest.mark.django_db


def run_demo(companies: int, seed: int) -> None:
    call_command("demo", companies=companies, seed=seed, quiet=True, stdout=io.StringIO())


@pytest.fixture
def demo():
    run_demo(150, seed=3)


def test_the_demo_makes_deals_across_pipelines_stages_outcomes_and_currencies(demo):
    deals = list(Deal.objects.select_related("stage", "pipeline"))
    assert len(deals) >= 60
    assert {d.status for d in deals} == {"open", "won", "lost"}
    assert {d.currency for d in deals} == {"EUR", "BGN"}
    assert len({d.pipeline_id for d in deals}) >= 2
    assert len({d.stage_id for d in deals if d.status == "open"}) >= 4
    assert Activity.objects.count() >= 150
    assert {k for k in Activity.objects.values_list("kind", flat=True)} >= {
        "call", "meeting", "task", "email", "visit"}
    assert DealContact.objects.filter(role="decision_maker").exists()
    # Each deal's "created" entry (the demo's accepted offers move a few deals on: updates).
    assert AuditEntry.objects.filter(object_type="sales.deal",
                                     action=AuditEntry.Action.CREATE).count() == len(deals)
    assert AuditEntry.objects.filter(object_type="activities.activity").count() == \
        Activity.objects.count()


def test_every_deal_is_consistent_with_its_stage_history_and_rules(demo):
    history = defaultdict(list)
    for change in DealStageChange.objects.order_by("at", "pk"):
        history[change.deal_id].append(change)
    for deal in Deal.objects.select_related("stage").prefetch_related("stage__rules"):
        assert deal.status == deal.stage.outcome
        assert deal.amount_eur == (to_eur(deal.amount, deal.currency) if deal.amount is not None
                                   else None)
        changes = history[deal.pk]
        assert changes[0].from_stage_id is None and changes[-1].to_stage_id == deal.stage_id
        for before, after in itertools.pairwise(changes):
            assert after.from_stage_id == before.to_stage_id
            assert after.seconds_in_from == int((after.at - before.at).total_seconds())
        assert deal.stage_entered_at == changes[-1].at
        assert deal.created_at == changes[0].at
        assert (deal.closed_at is not None) == (deal.status != StageOutcome.OPEN)
        assert (deal.lost_reason_id is not None) == (deal.status == StageOutcome.LOST)
        assert rule_failures(deal, deal.stage) == {}, deal
        assert deal.stage_entered_at <= timezone.now()


def test_next_activity_and_last_contact_are_what_the_activities_say(demo):
    earliest = dict(Activity.objects.filter(status=ActivityStatus.PLANNED, deal__isnull=False)
                    .values("deal").annotate(at=Min("starts_at")).values_list("deal", "at"))
    for pk, next_at in Deal.objects.values_list("pk", "next_activity_at"):
        assert next_at == earliest.get(pk)
    latest = dict(Activity.objects.filter(status=ActivityStatus.DONE, kind__in=CONTACT_KINDS)
                  .values("company").annotate(at=Max("starts_at")).values_list("company", "at"))
    assert dict(CompanyContact.objects.values_list("company_id", "last_at")) == latest


def test_activities_are_plausible(demo):
    now = timezone.now()
    for a in Activity.objects.all():
        assert (a.completed_at is not None) == (a.status == ActivityStatus.DONE)
        if a.status == ActivityStatus.DONE:
            assert a.starts_at <= now
        if a.deal_id:
            assert Deal.objects.filter(pk=a.deal_id, company_id=a.company_id).exists()
    mismatched = Activity.participant_contacts.through.objects.exclude(
        contact__company_id=models_company_of_activity())
    assert not mismatched.exists()
    assert DealContact.objects.exclude(contact__company_id=deal_company()).count() == 0
    assert Contact.objects.exists()


def models_company_of_activity():
    from django.db.models import OuterRef, Subquery

    return Subquery(Activity.objects.filter(pk=OuterRef("activity_id")).values("company_id")[:1])


def deal_company():
    from django.db.models import OuterRef, Subquery

    return Subquery(Deal.objects.filter(pk=OuterRef("deal_id")).values("company_id")[:1])


@pytest.mark.parametrize("username", ["manager", "kam", "georgi.ivanov", "ivan.petrov"])
def test_every_salesperson_first_my_day_is_lively(demo, username):
    view = home_view(user=User.objects.get(username=username))
    assert activity_panels.agenda(view=view).count >= 2
    assert activity_panels.overdue(view=view).count >= 2
    assert deal_panels.without_next_activity(view=view).count >= 2
    assert deal_panels.stuck(view=view).count >= 1
    assert activity_panels.not_contacted(view=view).count >= 1


def test_the_key_account_manager_has_key_accounts_not_contacted(demo):
    view = home_view(user=User.objects.get(username="kam"))
    result = activity_panels.not_contacted(view=view)
    assert result.items[0].tier == "key_account"


def test_the_head_of_sales_team_view_shows_the_team(demo):
    head = User.objects.get(username="head")
    own = home_view(user=head)
    assert activity_panels.agenda(view=own).count >= 1  # meetings the head joins today
    team = home_view(user=head, team=True)
    assert team.team
    assert deal_panels.stuck(view=team).count >= 8
    assert len({a.owner_id for a in activity_panels.agenda(view=team).items}) >= 2


def test_a_second_run_adds_more_and_stays_consistent(demo):
    deals, activities = Deal.objects.count(), Activity.objects.count()
    run_demo(60, seed=4)
    assert Deal.objects.count() > deals and Activity.objects.count() > activities
    test_next_activity_and_last_contact_are_what_the_activities_say(None)
