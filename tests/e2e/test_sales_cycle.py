"""The account manager's whole cycle in a real browser, first contact to won deal (issue 4):
a request from a fair entered as a lead, qualified onto the client already in the base, the first
call logged with the follow-up meeting scheduled in the same step, the deal moved through the
stages on its page (a stage rule says what is missing), won on the board by dragging the card,
then "My day", the calendar week and the company's timeline tell the story.

Screenshots: test-artifacts/screenshots/cycle-NN-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from partnera.activities.models import Activity, ActivityKind, ActivityStatus
from partnera.activities.tests.factories import SOFIA, sofia
from partnera.clients import services as client_services
from partnera.clients.models import Company, Contact
from partnera.core.roles import Role
from partnera.sales.models import Deal, DealContact, DealStageChange, Lead, LeadSource, LeadStatus
from partnera.sales.tests.factories import stage_at

pytestmark = pytest.mark.django_db(transaction=True)

COMPANY = "Тракия Пак"
DEAL = "Опаковки 2027 — Тракия Пак"


@pytest.fixture(autouse=True)
def _default_pipelines(transactional_db):
    """A browser test's database is emptied after each test, the seeded pipelines with it."""
    from django.apps import apps

    from partnera.sales.defaults import install_defaults

    install_defaults(apps, "en")


@pytest.fixture
def account_manager(make_user, team):
    return make_user(Role.ACCOUNT_MANAGER, team=team, username="stoyanova", first_name="Мария",
                     last_name="Петрова", language="en")


def js_errors(page) -> list[str]:
    """Console errors other than the browser's note of the refused move's 400 answer."""
    return [e for e in page.js_errors if "status of 400" not in e]


def top(page) -> None:
    """Back to the top before a full-page screenshot (else the sticky bar lands mid-page)."""
    page.evaluate("window.scrollTo(0, 0)")


def nav(page, name: str) -> None:
    page.locator("nav.nav a", has_text=re.compile(f"^{re.escape(name)}$")).click()


def test_account_manager_runs_the_whole_cycle_in_the_ui(page, login, screenshot, account_manager):
    # Given the client already in the base, owned by the manager, with its commercial director
    # (entered through the services: they keep the keys the duplicate detection looks up)
    client = client_services.company_create(actor=account_manager, data={
        "legal_name": COMPANY, "legal_form": "OOD", "city": "Пловдив",
        "emails": "office@trakia-pak.bg", "phones": "032 600 700"})
    director = client_services.contact_create(actor=account_manager, data={
        "company": client.pk, "first_name": "Елена", "last_name": "Стоянова",
        "position": "Търговски директор", "emails": "elena@trakia-pak.bg"})
    login(account_manager)

    # 1. A request from the Plovdiv fair: Sales → Leads → New lead
    nav(page, "Leads")
    page.wait_for_url("**/sales/leads/")
    page.locator("a", has_text="New lead").click()
    page.fill("input[name=company_name]", COMPANY)
    page.fill("input[name=first_name]", "Елена")
    page.fill("input[name=last_name]", "Стоянова")
    page.fill("input[name=email]", "elena@trakia-pak.bg")
    page.fill("textarea[name=message]", "Търсим опаковки за 2027 г., около 20 000 кашона.")
    page.select_option("select[name=source]", LeadSource.FAIR)
    page.fill("input[name=source_detail]", "Международен технически панаир Пловдив")
    top(page)
    screenshot("cycle-01-new-lead")
    page.locator("form button.btn-primary", has_text="Create lead").click()
    expect(page.locator("h1")).to_have_text(COMPANY)
    expect(page.locator("body")).to_contain_text("Международен технически панаир Пловдив")
    lead = Lead.objects.get()
    assert (lead.source, lead.owner, lead.status) == (LeadSource.FAIR, account_manager,
                                                      LeadStatus.NEW)
    screenshot("cycle-02-lead-page")

    # 2. Qualify: the client and its person already in the base are proposed and kept
    page.get_by_role("link", name="Qualify", exact=True).click()
    expect(page.locator(f"input[name=company_choice][value='{client.pk}']")).to_be_checked()
    expect(page.locator(f"input[name=contact_choice][value='{director.pk}']")).to_be_checked()
    page.fill("input[name=deal_title]", DEAL)
    top(page)
    screenshot("cycle-03-qualify")
    page.locator("button", has_text="Qualify and open the deal").click()

    # Then the deal page: first stage, flagged "No next activity"; nothing new in the base
    page.wait_for_url(re.compile(r"/sales/deals/\d+/$"))
    expect(page.locator("h1")).to_have_text(DEAL)
    deal = Deal.objects.get()
    assert page.url.endswith(f"/sales/deals/{deal.pk}/")
    lead.refresh_from_db()
    assert (lead.status, lead.company, lead.contact, lead.deal) == (
        LeadStatus.QUALIFIED, client, director, deal)
    assert Company.objects.count() == 1 and Contact.objects.count() == 1
    assert (deal.company, deal.owner, deal.stage) == (client, account_manager, stage_at(0))
    expect(page.locator(".step-current")).to_contain_text(stage_at(0).name)
    flag = page.locator("#details .flag-no-activity")
    expect(flag).to_have_text("No next activity")
    expect(page.locator("#contacts")).to_contain_text("Елена Стоянова")
    screenshot("cycle-04-deal-opened")

    # 3. The first call, with its outcome, and the follow-up meeting in the same step
    panel = page.locator("#activities-panel")
    panel.locator("input[name=subject]").fill("Първи разговор")
    panel.locator("select[name=contact]").select_option(label="Елена Стоянова")
    panel.locator("textarea[name=outcome]").fill("Иска среща за нуждите; 20 000 кашона/тримесечие.")
    panel.locator("summary", has_text="Schedule the follow-up").click()
    follow_day = timezone.localdate(timezone=SOFIA) + dt.timedelta(days=1)
    panel.locator("input[name=follow_up_at]").fill(f"{follow_day.isoformat()}T10:00")
    panel.locator("select[name=follow_up_kind]").select_option(ActivityKind.MEETING)
    panel.locator("input[name=follow_up_subject]").fill("Среща за нуждите")
    panel.locator("button[type=submit]", has_text="Log it").click()
    expect(page.locator(".messages")).to_contain_text("Logged; the follow-up is scheduled.")
    expect(panel).to_contain_text("Среща за нуждите")
    expect(panel).to_contain_text("Иска среща за нуждите")
    call = Activity.objects.get(subject="Първи разговор")
    meeting = Activity.objects.get(follow_up_of=call)
    assert (call.status, call.deal, call.company) == (ActivityStatus.DONE, deal, client)
    assert list(call.participant_contacts.all()) == [director]
    assert (meeting.kind, meeting.deal, meeting.starts_at) == (
        ActivityKind.MEETING, deal, sofia(follow_day, 10))
    deal.refresh_from_db()
    assert deal.next_activity_at == sofia(follow_day, 10)
    top(page)
    screenshot("cycle-05-call-logged")
    # The deal page shows the new state at once (no manual reload): no flag, the next activity
    expect(flag).to_have_count(0)
    expect(page.locator("#details")).to_contain_text(follow_day.strftime("%d/%m/%Y"))
    expect(page.locator("#timeline")).to_contain_text("Първи разговор")

    # 4. Through the stages on the deal page: meeting arranged, needs identified (a contact: has one)
    for position in (1, 2):
        page.locator(".stage-progress button", has_text=stage_at(position).name).click()
        expect(page.locator(".step-current")).to_contain_text(stage_at(position).name)

    # "Offer presented" without an amount: refused, saying what is missing; nothing moves
    page.locator(".stage-progress button", has_text=stage_at(3).name).click()
    expect(page.locator(".move-error")).to_contain_text(f"cannot move to “{stage_at(3).name}”")
    expect(page.locator(".move-error .missing")).to_contain_text("expected amount")
    expect(page.locator(".step-current")).to_contain_text(stage_at(2).name)
    assert Deal.objects.get(pk=deal.pk).stage == stage_at(2)
    screenshot("cycle-06-rule-failure")

    # Complete the deal: amount, expected close date, the director as decision maker
    page.locator(".move-error a", has_text="Complete the deal").click()
    expect(page.locator("h1")).to_have_text("Edit deal")
    close_day = timezone.localdate(timezone=SOFIA) + dt.timedelta(days=30)
    page.fill("input[name=amount]", "24 500")
    page.fill("input[name=expected_close_date]", close_day.isoformat())
    row = page.locator("table.contact-roles tr", has_text="Елена Стоянова")
    expect(row.locator("input[type=checkbox]")).to_be_checked()
    row.locator("select").select_option("decision_maker")
    top(page)
    screenshot("cycle-07-deal-edit")
    page.locator("main form button.btn-primary", has_text="Save changes").click()
    expect(page.locator("#contacts")).to_contain_text("Decision maker")
    expect(page.locator("#details")).to_contain_text("24,500.00 EUR")

    # Offer presented, negotiation and objections, contract
    for position in (3, 4, 5):
        page.locator(".stage-progress button", has_text=stage_at(position).name).click()
        expect(page.locator(".step-current")).to_contain_text(stage_at(position).name)
    expect(page.locator(".move-error")).to_have_count(0)
    deal.refresh_from_db()
    assert (deal.stage, deal.amount, deal.expected_close_date) == (
        stage_at(5), Decimal("24500.00"), close_day)
    assert DealContact.objects.get(deal=deal).role == "decision_maker"
    expect(page.locator("#timeline")).to_contain_text(f"Moved to “{stage_at(5).name}”")
    screenshot("cycle-08-contract")

    # 5. The Deals board: drag the card from "Contract" to "Won"; after a reload it is in "Won"
    nav(page, "Deals board")
    page.wait_for_url("**/sales/board/")
    card = page.locator(f"#deal-{deal.pk}")
    expect(page.locator(f"#col-cards-{stage_at(5).pk}").locator(card)).to_have_count(1)
    card.drag_to(page.locator(f"#col-cards-{stage_at(6).pk}"))
    expect(page.locator("#board-status")).to_contain_text("moved to")
    page.reload()
    expect(page.locator(f"#col-cards-{stage_at(6).pk} #deal-{deal.pk}")).to_have_count(1)
    expect(page.locator(f"#col-cards-{stage_at(5).pk} #deal-{deal.pk}")).to_have_count(0)
    deal.refresh_from_db()
    assert deal.stage == stage_at(6) and deal.status == "won" and deal.closed_at is not None
    assert list(DealStageChange.objects.filter(deal=deal).order_by("at", "id")
                .values_list("to_stage__position", flat=True)) == [0, 1, 2, 3, 4, 5, 6]
    page.locator(f"#deal-{deal.pk}").scroll_into_view_if_needed()
    screenshot("cycle-09-board-won", full_page=False)

    # 6. My day: today's call, done; the won deal is not among those without a next step
    nav(page, "My day")
    agenda = page.locator("#activitiesagenda")
    done = agenda.locator(".agenda-item.is-done", has_text="Първи разговор")
    expect(done).to_have_count(1)
    expect(page.locator("body")).not_to_contain_text("No next activity")
    screenshot("cycle-10-my-day")

    # The calendar's week: the follow-up meeting at 10:00
    nav(page, "Calendar")
    week = page.locator(".cal-week")
    expect(week.locator(".cal-dayhead")).to_have_count(7)
    if follow_day.isocalendar()[:2] != timezone.localdate(timezone=SOFIA).isocalendar()[:2]:
        page.click("a[data-cal-next]")  # tomorrow is in next week (today is Sunday)
    event = page.locator(f".cal-week a.cal-event[href='/activities/{meeting.pk}/']")
    expect(event).to_contain_text("Среща за нуждите")
    expect(event).to_contain_text("10:00")
    screenshot("cycle-11-calendar-week")

    # 7. The company page: its timeline tells the lead, the activities and the deal's moves
    page.goto(f"/sales/deals/{deal.pk}/")
    expect(page.locator(".deal-banner-won")).to_contain_text("Won")
    page.locator(".page-head .sub a", has_text=COMPANY).click()
    page.wait_for_url(f"**/clients/companies/{client.pk}/")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Lead qualified")
    expect(timeline).to_contain_text("Call: Първи разговор")
    expect(timeline).to_contain_text("Meeting planned: Среща за нуждите")
    expect(timeline).to_contain_text(f"Deal “{DEAL}” opened in “{stage_at(0).name}”")
    expect(timeline).to_contain_text(f"Deal “{DEAL}” moved to “{stage_at(3).name}”")
    expect(timeline).to_contain_text(f"Deal “{DEAL}” won")
    screenshot("cycle-12-company-timeline")
    # (the company's "Deals" panel lists open deals only; "All deals" shows the won one too)
    page.locator("#deals a", has_text="All deals").click()
    expect(page.locator("table.deals tbody tr", has_text=DEAL)).to_contain_text(stage_at(6).name)
    assert js_errors(page) == []
