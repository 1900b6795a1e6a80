"""The calendar in a real browser: the week and month views with a few activities, moving to the
next and previous week or month, switching views, and opening an activity by clicking it.
Another manager's activities never show. Screenshots land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from partnera.activities.models import ActivityKind, ActivityStatus
from partnera.activities.tests.factories import SOFIA, ActivityFactory, sofia
from partnera.clients.tests.factories import CompanyFactory
from partnera.core.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)


def _week_of_activities(manager, colleague, other_manager, monday: dt.date):
    agro = CompanyFactory(owner=manager, legal_name="Агро Юг")
    tech = CompanyFactory(owner=manager, legal_name="Техно Плюс")
    day = lambda n: monday + dt.timedelta(days=n)  # noqa: E731
    made = {
        "meeting": ActivityFactory(owner=manager, kind=ActivityKind.MEETING, company=agro,
                                   subject="Среща за нуждите", starts_at=sofia(day(0), 10),
                                   duration_minutes=90, place="София"),
        "call": ActivityFactory(owner=manager, kind=ActivityKind.CALL, company=tech,
                                subject="Обаждане за офертата", starts_at=sofia(day(0), 10, 30),
                                duration_minutes=30),
        "visit": ActivityFactory(owner=manager, kind=ActivityKind.VISIT, company=agro,
                                 subject="Посещение в склада", starts_at=sofia(day(1), 13),
                                 duration_minutes=120),
        "presentation": ActivityFactory(owner=manager, kind=ActivityKind.PRESENTATION, company=tech,
                                        subject="Представяне на продукта", starts_at=sofia(day(2), 9),
                                        duration_minutes=60),
        "done": ActivityFactory(owner=manager, kind=ActivityKind.CALL, company=agro,
                                subject="Първи контакт", starts_at=sofia(day(2), 15),
                                duration_minutes=15, status=ActivityStatus.DONE),
        "task": ActivityFactory(owner=manager, kind=ActivityKind.TASK, subject="Изпрати договора",
                                starts_at=sofia(day(3), 12), duration_minutes=None),
        "joint": ActivityFactory(owner=colleague, kind=ActivityKind.MEETING, subject="Обща среща с екипа",
                                 starts_at=sofia(day(3), 16), duration_minutes=60),
        "evening": ActivityFactory(owner=manager, kind=ActivityKind.CALL, subject="Вечерно обаждане",
                                   starts_at=sofia(day(4), 18, 30), duration_minutes=30),
        "hidden": ActivityFactory(owner=other_manager, kind=ActivityKind.MEETING,
                                  subject="Чужда среща", starts_at=sofia(day(1), 10)),
        "next_week": ActivityFactory(owner=manager, kind=ActivityKind.MEETING,
                                     subject="Среща следващата седмица",
                                     starts_at=sofia(day(8), 11), duration_minutes=60),
    }
    made["joint"].participant_users.add(manager)
    return made


def test_week_and_month_views_navigation_and_opening_an_event(page, login, screenshot, make_user,
                                                               team, other_manager):
    manager = make_user(Role.ACCOUNT_MANAGER, team=team, username="kalendar", language="en",
                        first_name="Мария", last_name="Иванова")
    colleague = make_user(Role.ACCOUNT_MANAGER, team=team, language="en")
    today = timezone.now().astimezone(SOFIA).date()
    monday = today - dt.timedelta(days=today.weekday())
    made = _week_of_activities(manager, colleague, other_manager, monday)
    login(manager)

    # The week: seven days, the events at their times, the other manager's meeting absent
    page.goto("/activities/calendar/")
    week = page.locator(".cal-week")
    expect(week.locator(".cal-dayhead")).to_have_count(7)
    expect(week.locator(".cal-dayhead.is-today")).to_have_count(1)
    expect(week.locator("a.cal-event")).to_have_count(7)
    expect(week).to_contain_text("Среща за нуждите")
    expect(week).to_contain_text("Обща среща с екипа")
    expect(week).not_to_contain_text("Чужда среща")
    expect(week.locator(".cal-allday a.cal-chip")).to_contain_text("Изпрати договора")
    meeting = week.locator(f"a[href='/activities/{made['meeting'].pk}/']")
    call = week.locator(f"a[href='/activities/{made['call'].pk}/']")
    expect(meeting).to_contain_text("10:00–11:30")
    # Overlapping events sit side by side, the meeting above the 10:00 line, taller than the call
    m_box, c_box = meeting.bounding_box(), call.bounding_box()
    assert m_box["x"] < c_box["x"] and m_box["height"] > c_box["height"] * 2.5
    assert abs(m_box["y"] - (c_box["y"] - m_box["height"] / 3)) < 6
    screenshot("calendar-01-week")

    # Next week and back
    page.click("a[data-cal-next]")
    expect(week.locator("a.cal-event")).to_have_count(1)
    expect(page.locator(".cal-week")).to_contain_text("Среща следващата седмица")
    page.click("a[data-cal-prev]")
    expect(page.locator(".cal-week a.cal-event")).to_have_count(7)

    # The month: six weeks, the day's events listed, the other manager's meeting absent
    page.click(".cal-switch a:has-text('Month')")
    month = page.locator(".cal-month")
    expect(month.locator(".cal-cell")).to_have_count(42)
    expect(month.locator(".cal-cell.is-today")).to_have_count(1)
    expect(month).to_contain_text("Представяне на продукта")
    expect(month).not_to_contain_text("Чужда среща")
    screenshot("calendar-02-month")
    page.click("a[data-cal-next]")
    expect(page.locator(".cal-month")).not_to_contain_text("Представяне на продукта")
    page.click("a[data-cal-prev]")
    expect(page.locator(".cal-month")).to_contain_text("Представяне на продукта")

    # Clicking an event opens the activity's page
    page.click(".cal-switch a:has-text('Week')")
    page.locator(f"a.cal-event[href='/activities/{made['visit'].pk}/']").click()
    page.wait_for_url(f"**/activities/{made['visit'].pk}/")
    expect(page.locator("h1")).to_contain_text("Посещение в склада")

    # On a phone the week scrolls sideways inside its frame; the month stays a grid
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/activities/calendar/")
    expect(page.locator(".cal-week a.cal-event")).to_have_count(7)
    screenshot("calendar-06-week-phone", full_page=False)
    assert page.js_errors == []


def test_the_feed_page_creates_an_address_shown_once(page, login, screenshot, make_user, team):
    manager = make_user(Role.ACCOUNT_MANAGER, team=team, username="feeduser", language="en")
    login(manager)
    page.goto("/activities/calendar/")
    page.click("text=Subscribe in Google Calendar or Outlook")
    page.wait_for_url("**/activities/calendar/feed/")
    page.click("button:has-text('Create my calendar address')")
    address = page.locator("#feed-url")
    expect(address).to_contain_text("/calendar/feed/")
    url = address.inner_text().strip()
    screenshot("calendar-03-feed-created")
    response = page.request.get(url)
    assert response.status == 200 and response.headers["content-type"].startswith("text/calendar")
    page.goto("/activities/calendar/feed/")
    expect(page.locator("#feed-url")).to_have_count(0)
    expect(page.locator("button:has-text('Reset the address')")).to_be_visible()
    assert page.js_errors == []


def test_a_head_of_sales_picks_the_team_calendar_in_bulgarian(page, login, screenshot, make_user,
                                                              team, other_manager):
    head = make_user(Role.HEAD_OF_SALES, username="nachalnik", language="bg")
    team.head = head
    team.save()
    manager = make_user(Role.ACCOUNT_MANAGER, team=team, language="bg")
    colleague = make_user(Role.ACCOUNT_MANAGER, team=team, language="bg")
    today = timezone.now().astimezone(SOFIA).date()
    monday = today - dt.timedelta(days=today.weekday())
    made = _week_of_activities(manager, colleague, other_manager, monday)
    private = ActivityFactory(owner=colleague, kind=ActivityKind.MEETING, subject="Лична среща",
                              starts_at=sofia(monday + dt.timedelta(days=1), 9), private=True)
    login(head)

    page.goto("/activities/calendar/")
    expect(page.locator(".cal-week a.cal-event")).to_have_count(0)
    page.select_option("#cal-who", f"team:{team.pk}")
    page.wait_for_url(f"**who=team%3A{team.pk}**")
    week = page.locator(".cal-week")
    expect(week.locator("a.cal-event")).to_have_count(7)
    expect(week).not_to_contain_text("Лична среща")
    expect(week).not_to_contain_text("Чужда среща")
    expect(week.locator(f"a[href='/activities/{private.pk}/']")).to_have_count(0)
    expect(week.locator(f"a[href='/activities/{made['joint'].pk}/']")).to_have_count(1)
    screenshot("calendar-04-team-week-bg")
    page.click(".cal-switch a:not(.current)")
    expect(page.locator(".cal-month")).to_be_visible()
    assert f"who=team%3A{team.pk}" in page.url
    screenshot("calendar-05-team-month-bg")
    assert page.js_errors == []
