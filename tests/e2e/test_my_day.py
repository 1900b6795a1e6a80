""""My day" in a real browser: an account manager opens the home page and sees today's call, an
overdue task, a deal without a next step and a key account not contacted; the head of sales
switches to the team view and sets the contact cadences. Screenshots land in
test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from partnera.activities.models import ActivityKind, ActivityStatus, CompanyContact, ContactCadence
from partnera.activities.tests.factories import ActivityFactory
from partnera.clients.models import Tier
from partnera.clients.tests.factories import CompanyFactory
from partnera.core.home import home_view
from partnera.core.roles import Role
from partnera.sales.tests.factories import DealFactory, stage_at

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account_manager(make_user, team):
    return make_user(Role.ACCOUNT_MANAGER, team=team, username="petrova", first_name="Мария",
                     last_name="Петрова", language="en")


@pytest.fixture
def head(make_user, team):
    head = make_user(Role.HEAD_OF_SALES, username="marinova", first_name="Десислава",
                     last_name="Маринова", language="en")
    team.head = head
    team.save()
    return head


@pytest.fixture
def day_of(account_manager):
    """The manager's working day: a done call this morning, a meeting and a call later today,
    an overdue task, deals without a next step and stuck, a silent key account."""
    now = timezone.now()
    start = home_view(user=account_manager).day_start
    alfa = CompanyFactory(owner=account_manager, team=account_manager.team,
                          legal_name="Алфа Трейд ООД", tier=Tier.KEY_ACCOUNT)
    CompanyContact.objects.create(company=alfa, last_at=now - dt.timedelta(days=2))
    beta = CompanyFactory(owner=account_manager, team=account_manager.team,
                          legal_name="Бета Логистик ЕООД", tier=Tier.KEY_ACCOUNT)
    CompanyContact.objects.create(company=beta, last_at=now - dt.timedelta(days=41))
    gamma = CompanyFactory(owner=account_manager, team=account_manager.team,
                           legal_name="Гама Фууд АД", tier=Tier.CORPORATE)
    CompanyContact.objects.create(company=gamma, last_at=now - dt.timedelta(days=3))
    ActivityFactory(owner=account_manager, company=alfa, subject="Обаждане за поръчката",
                    starts_at=start + dt.timedelta(hours=9), status=ActivityStatus.DONE,
                    completed_at=start + dt.timedelta(hours=9, minutes=20))
    ActivityFactory(owner=account_manager, company=gamma, kind=ActivityKind.MEETING,
                    subject="Среща за годишния договор", duration_minutes=60,
                    starts_at=start + dt.timedelta(hours=14))
    ActivityFactory(owner=account_manager, company=alfa, subject="Обратна връзка по мострите",
                    starts_at=start + dt.timedelta(hours=16, minutes=30))
    ActivityFactory(owner=account_manager, company=gamma, kind=ActivityKind.TASK,
                    subject="Изпращане на офертата", starts_at=now - dt.timedelta(days=3))
    DealFactory(owner=account_manager, company=gamma, title="Пакетиране за веригата",
                amount=Decimal("48000"), stage=stage_at(1))
    DealFactory(owner=account_manager, company=alfa, title="Нова продуктова линия",
                amount=Decimal("120000"), stage=stage_at(0),
                stage_entered_at=now - dt.timedelta(days=19),
                next_activity_at=now + dt.timedelta(days=1))
    return account_manager


def test_account_manager_opens_my_day_and_the_head_sees_the_team(
        page, login, screenshot, day_of, head):
    # When the account manager logs in, "My day" is the first page
    login(day_of)
    page.goto("/")
    expect(page.locator("h1")).to_contain_text("Мария")

    # Then today's agenda comes first, the done call ticked
    agenda = page.locator("#activitiesagenda")
    expect(agenda.locator(".agenda-item")).to_have_count(3)
    expect(agenda.locator(".agenda-item").first).to_contain_text("Обаждане за поръчката")
    expect(agenda.locator(".agenda-item.is-done")).to_have_count(1)
    expect(agenda.locator(".agenda-item").nth(1)).to_contain_text("Среща за годишния договор")
    # … an overdue task, a deal without a next step, a stuck deal, a silent key account
    expect(page.locator("#activitiesoverdue")).to_contain_text("Изпращане на офертата")
    expect(page.locator("#activitiesoverdue")).to_contain_text("3 days late")
    expect(page.locator("#salesno_next_activity")).to_contain_text("Пакетиране за веригата")
    expect(page.locator("#salesstuck")).to_contain_text("Нова продуктова линия")
    silent = page.locator("#activitiesnot_contacted")
    expect(silent).to_contain_text("Бета Логистик ЕООД")
    expect(silent).not_to_contain_text("Алфа Трейд ООД")
    # … and the summary counts each panel
    # (the orders and contracts panels count too: nothing late, nothing due, nothing to renew)
    expect(page.locator(".myday-summary .myday-chip")).to_have_count(8)
    expect(page.locator(".chip-orderslate .myday-chip-n")).to_have_text("0")
    expect(page.locator(".chip-activitiesagenda .myday-chip-n")).to_have_text("3")
    expect(page.locator(".segmented")).to_have_count(0)  # no team view for a manager
    screenshot("my-day-01-account-manager")

    # "See all" lists a panel in full
    page.locator("#activitiesoverdue a", has_text="See all").click()
    page.wait_for_url("**/activities/my-day/activities.overdue/")
    expect(page.locator("h1")).to_have_text("Overdue tasks and activities")
    expect(page.locator(".myday-full")).to_contain_text("Изпращане на офертата")
    screenshot("my-day-05-see-all")
    page.go_back()

    # The deal opens from the panel
    page.locator("#salesno_next_activity a", has_text="Пакетиране за веригата").click()
    page.wait_for_url("**/sales/deals/*/")

    # When the head of sales logs in and switches to the team view
    page.context.clear_cookies()
    login(head)
    page.goto("/")
    expect(page.locator(".segmented a.current")).to_have_text("Me")
    expect(page.locator("#activitiesagenda")).to_contain_text("No calls or meetings planned today.")
    screenshot("my-day-02-head-own")
    page.locator(".segmented a", has_text="My team").click()
    page.wait_for_url("**/?view=team")

    # Then the team's day, each item with its owner
    expect(page.locator(".myday-team-badge")).to_be_visible()
    agenda = page.locator("#activitiesagenda")
    expect(agenda.locator(".agenda-item")).to_have_count(3)
    expect(agenda.locator(".agenda-item").first).to_contain_text("Мария Петрова")
    expect(page.locator("#activitiesoverdue")).to_contain_text("Мария Петрова")
    screenshot("my-day-03-head-team")

    # And sets the key accounts' cadence from the panel; Гама's corporate client stays quiet
    page.locator("#activitiesnot_contacted a", has_text="Cadences").click()
    page.wait_for_url("**/activities/cadence/")
    page.fill("input[name=key_account]", "400")
    page.click(".cadence-form button[type=submit]")
    expect(page.locator("#field-key_account .error")).to_contain_text("from 1 to 365")
    screenshot("my-day-04-cadence-error")
    page.fill("input[name=key_account]", "45")
    page.click(".cadence-form button[type=submit]")
    expect(page.locator(".message")).to_contain_text("Contact cadences saved.")
    assert ContactCadence.objects.get(tier=Tier.KEY_ACCOUNT).days == 45
    page.goto("/?view=team")
    expect(page.locator("#activitiesnot_contacted")).not_to_contain_text("Бета Логистик ЕООД")
    # (the refused 400 answer is the only console line: no script error, no CSP violation)
    assert [e for e in page.js_errors if "status of 400" not in e] == []
