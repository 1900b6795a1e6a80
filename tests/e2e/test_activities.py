"""Activities in a real browser: log a call from the company page with its outcome and schedule
the follow-up in one step, see both on the page and its timeline, open the activity, the list,
and a reminder in the notifications. Screenshots land in test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from partnera.activities.models import Activity, Reminder
from partnera.activities.tasks import send_reminder_task
from partnera.activities.tests.factories import SOFIA, ActivityFactory, sofia
from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.core.roles import Role
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account_manager(make_user, team):
    return make_user(Role.ACCOUNT_MANAGER, team=team, username="petrova", first_name="Мария",
                     last_name="Петрова", language="en", email="m.petrova@partnera.test")


def test_log_a_call_and_schedule_the_follow_up_from_the_company_page(
        page, login, screenshot, account_manager, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    screenshot_dir = ARTIFACTS
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # Given a client with a contact, a visit planned for next week and a call logged last week
    company = CompanyFactory(owner=account_manager, legal_name="Алфа Трейд")
    ContactFactory(company=company, first_name="Георги", last_name="Иванов",
                   position="Търговски директор")
    today = timezone.localdate(timezone=SOFIA)
    ActivityFactory(owner=account_manager, company=company, kind="visit", subject="Посещение в склада",
                    starts_at=sofia(today + dt.timedelta(days=7), 11))
    ActivityFactory(owner=account_manager, company=company, subject="Първи разговор", status="done",
                    outcome="Интерес към доставки на опаковки.",
                    starts_at=timezone.now() - dt.timedelta(days=6))
    login(account_manager)

    # When they log a call from the company page with its outcome and a follow-up meeting
    page.goto(f"/clients/companies/{company.pk}/")
    panel = page.locator("#activities-panel")
    expect(panel.locator("input[name=subject]")).to_have_value("Call")
    panel.locator("select[name=contact]").select_option(label="Георги Иванов")
    panel.locator("textarea[name=outcome]").fill("Иска оферта за 2000 кашона до петък.")
    panel.locator("summary", has_text="Schedule the follow-up").click()
    follow_day = today + dt.timedelta(days=2)
    panel.locator("input[name=follow_up_at]").fill(f"{follow_day.isoformat()}T10:00")
    panel.locator("select[name=follow_up_kind]").select_option("meeting")
    panel.locator("input[name=follow_up_subject]").fill("Представяне на офертата")
    panel.screenshot(path=str(screenshot_dir / "activities-01-log-call-filled.png"))
    panel.locator("button[type=submit]", has_text="Log it").click()

    # Then the panel shows both, without leaving the page, and the timeline has them too
    expect(panel.locator(".message")).to_contain_text("Logged; the follow-up is scheduled.")
    expect(panel).to_contain_text("Иска оферта за 2000 кашона до петък.")
    expect(panel).to_contain_text("Представяне на офертата")
    expect(panel.locator("select[name=contact]")).to_have_value("")  # a fresh form
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Call: Call")
    expect(timeline).to_contain_text("Meeting planned: Представяне на офертата")
    call = Activity.objects.get(subject="Call")
    follow = Activity.objects.get(follow_up_of=call)
    assert call.status == "done" and call.outcome == "Иска оферта за 2000 кашона до петък."
    assert [str(c) for c in call.participant_contacts.all()] == ["Георги Иванов"]
    assert follow.kind == "meeting" and follow.starts_at == sofia(follow_day, 10)
    panel.screenshot(path=str(screenshot_dir / "activities-02-company-panel.png"))

    # And after a reload the page still shows them
    page.reload()
    page.evaluate("window.scrollTo(0, 0)")
    expect(page.locator("#activities-panel")).to_contain_text("Представяне на офертата")
    expect(page.locator("#timeline")).to_contain_text("Иска оферта за 2000 кашона до петък.")
    screenshot("activities-03-company-page")

    # When a bad follow-up time is sent, the error shows inline and nothing is saved
    panel = page.locator("#activities-panel")
    panel.locator("summary", has_text="Schedule the follow-up").click()
    panel.locator("input[name=follow_up_at]").fill("2001-01-01T10:00")
    panel.locator("button[type=submit]", has_text="Log it").click()
    expect(panel.locator(".error")).to_contain_text("Choose a time in the future for the follow-up.")
    assert Activity.objects.count() == 4

    # When they open the follow-up: its page with the complete and reminder forms
    page.locator("#activities-panel a", has_text="Представяне на офертата").click()
    expect(page.locator("h1")).to_have_text("Представяне на офертата")
    expect(page.locator("#details")).to_contain_text("Георги Иванов")
    expect(page.locator("#details")).to_contain_text("Алфа Трейд")
    expect(page.locator("#complete")).to_be_visible()
    expect(page.locator("#field-remind_at")).to_be_hidden()  # only for "an exact time"
    page.locator("select[name=when]").select_option("exact")
    expect(page.locator("#field-remind_at")).to_be_visible()
    page.locator("select[name=when]").select_option("60")
    page.locator("#reminders button[type=submit]").click()
    expect(page.locator("#reminders")).to_contain_text("pending")
    reminder = Reminder.objects.get()
    assert reminder.remind_at == sofia(follow_day, 9)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot("activities-04-activity-page")

    # The form to plan one more, prefilled from the company
    page.goto(f"/activities/new/?company={company.pk}&kind=visit")
    expect(page.locator("select[name=kind]")).to_have_value("visit")
    expect(page.locator(".picker-input")).to_have_value("Алфа Трейд")
    screenshot("activities-07-form")

    # The list of activities: upcoming, mine
    page.goto("/activities/")
    expect(page.locator("table.activities tbody tr")).to_have_count(2)
    screenshot("activities-05-list")

    # A reminder that came due reaches the bell and the notifications page
    Reminder.objects.filter(pk=reminder.pk).update(remind_at=timezone.now() - dt.timedelta(seconds=1))
    assert send_reminder_task.call(reminder.pk) == "notified_emailed"
    page.goto("/activities/")
    expect(page.locator("#notification-bell .multi-count")).to_have_text("1")
    page.locator("#notification-bell").click()
    expect(page.locator("h1")).to_have_text("Notifications")
    item = page.locator(".notification-list li.unread")
    expect(item).to_contain_text("Представяне на офертата")
    screenshot("activities-06-notifications")
    item.locator("button.notification-title").click()
    expect(page.locator("h1")).to_have_text("Представяне на офертата")
    expect(page.locator("#notification-bell .multi-count")).to_have_count(0)

    # Completing it from its page with the outcome, scheduling the next step
    page.locator("#complete textarea[name=outcome]").fill("Офертата е приета по принцип.")
    page.locator("#complete input[name=follow_up_at]").fill(
        f"{(follow_day + dt.timedelta(days=3)).isoformat()}T14:00")
    page.locator("#complete input[name=follow_up_subject]").fill("Подписване на договора")
    page.locator("#complete button[type=submit]").click()
    expect(page.locator(".message")).to_contain_text("The follow-up is scheduled.")
    expect(page.locator("#details")).to_contain_text("Подписване на договора")
    assert Activity.objects.get(subject="Подписване на договора").follow_up_of == follow
    assert page.js_errors == []  # type: ignore[attr-defined]
