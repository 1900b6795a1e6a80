"""The calendar pages (week and month): whose calendar a user may open, what it shows, where.

Given activities of several people, when a user opens a week or a month, then they see only what
the one visibility rule grants them (never another person's private activity), at the times of
their own zone, placed on the grid by classes (no inline styles under the strict CSP).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import ngettext

from partnera.activities import calendar as cal
from partnera.activities.models import ActivityKind, ActivityStatus
from partnera.activities.tests.factories import ActivityFactory, sofia
from partnera.core.roles import Role
from partnera.people.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

SUMMER_WEEK = dt.date(2025, 7, 7)  # a Monday
WINTER_WEEK = dt.date(2025, 1, 13)  # a Monday
DST_WEEK = dt.date(2025, 3, 24)  # Sunday 30 March 2025: clocks go forward in Sofia and London
URL = "/activities/calendar/"
SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")


def page(client, **params) -> str:
    response = client.get(URL, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def event_tag(content: str, activity) -> str | None:
    """The opening tag of the activity's block on the page, or None when it is not there."""
    match = re.search(r'<a class="(cal-event|cal-chip|cal-mitem)[^"]*" href="'
                      + re.escape(cal.activity_url(activity.pk)) + r'"[^>]*>', content)
    return match.group(0) if match else None


def classes(tag: str) -> set[str]:
    return set(re.search(r'class="([^"]*)"', tag).group(1).split())


# --- whose calendar --------------------------------------------------------------------------------

def test_my_week_shows_my_activities_and_those_i_take_part_in(client, manager, other_manager):
    mine = ActivityFactory(owner=manager, starts_at=sofia(SUMMER_WEEK, 10), subject="Моя среща")
    invited = ActivityFactory(owner=other_manager, starts_at=sofia(SUMMER_WEEK, 12), private=True)
    invited.participant_users.add(manager)
    not_mine = ActivityFactory(owner=other_manager, starts_at=sofia(SUMMER_WEEK, 14))
    client.force_login(manager)

    content = page(client, date=SUMMER_WEEK.isoformat())

    assert event_tag(content, mine) and event_tag(content, invited)
    assert event_tag(content, not_mine) is None
    assert "Моя среща" in content


def test_a_manager_never_sees_another_managers_calendar(client, manager, other_manager):
    theirs = ActivityFactory(owner=other_manager, starts_at=sofia(SUMMER_WEEK, 10), subject="Чужда")
    client.force_login(manager)

    for who in (f"user:{other_manager.pk}", f"team:{other_manager.team_id}"):
        assert client.get(URL, {"date": SUMMER_WEEK.isoformat(), "who": who}).status_code == 404
    for view in ("week", "month"):
        content = page(client, date=SUMMER_WEEK.isoformat(), view=view)
        assert event_tag(content, theirs) is None and "Чужда" not in content


def test_a_teammate_in_a_sharing_team_sees_the_teams_open_activities_not_its_private_ones(
        client, manager, make_user, team):
    colleague = make_user(Role.ACCOUNT_MANAGER, team=team)
    open_one = ActivityFactory(owner=colleague, starts_at=sofia(SUMMER_WEEK, 10))
    private = ActivityFactory(owner=colleague, starts_at=sofia(SUMMER_WEEK, 12), private=True,
                              subject="Лично")
    client.force_login(manager)

    content = page(client, date=SUMMER_WEEK.isoformat(), who=f"team:{team.pk}")

    assert event_tag(content, open_one)
    assert event_tag(content, private) is None and "Лично" not in content
    # A manager may not open one colleague's calendar on its own.
    assert client.get(URL, {"who": f"user:{colleague.pk}"}).status_code == 404


def test_a_team_that_does_not_share_has_no_team_calendar_for_its_members(client, make_user):
    closed = TeamFactory(shares_clients=False)
    member = make_user(Role.ACCOUNT_MANAGER, team=closed)
    client.force_login(member)

    assert client.get(URL, {"who": f"team:{closed.pk}"}).status_code == 404
    assert client.get(URL, {"who": "team"}).status_code == 404


def test_the_head_of_sales_sees_the_teams_open_activities_and_opens_a_member(
        client, head_of_sales, manager, other_manager):
    open_one = ActivityFactory(owner=manager, starts_at=sofia(SUMMER_WEEK, 9), subject="Открита")
    private = ActivityFactory(owner=manager, starts_at=sofia(SUMMER_WEEK, 11), private=True,
                              subject="Частна")
    private_with_head = ActivityFactory(owner=manager, starts_at=sofia(SUMMER_WEEK, 15), private=True)
    private_with_head.participant_users.add(head_of_sales)
    outsider = ActivityFactory(owner=other_manager, starts_at=sofia(SUMMER_WEEK, 10))
    client.force_login(head_of_sales)

    for who in ("team", f"team:{manager.team_id}", f"user:{manager.pk}"):
        content = page(client, date=SUMMER_WEEK.isoformat(), who=who)
        assert event_tag(content, open_one), who
        assert event_tag(content, private) is None and "Частна" not in content, who
        assert event_tag(content, private_with_head), who
        assert event_tag(content, outsider) is None, who
    # Outside the head's teams: not found, like a record they may not see.
    assert client.get(URL, {"who": f"user:{other_manager.pk}"}).status_code == 404
    assert client.get(URL, {"who": f"team:{other_manager.team_id}"}).status_code == 404


def test_an_administrator_opens_anyones_calendar_but_never_a_private_activity(
        client, admin_user, other_manager):
    open_one = ActivityFactory(owner=other_manager, starts_at=sofia(SUMMER_WEEK, 9))
    private = ActivityFactory(owner=other_manager, starts_at=sofia(SUMMER_WEEK, 11), private=True)
    client.force_login(admin_user)

    for who in (f"user:{other_manager.pk}", f"team:{other_manager.team_id}"):
        content = page(client, date=SUMMER_WEEK.isoformat(), who=who)
        assert event_tag(content, open_one) and event_tag(content, private) is None


def test_the_who_choices_offer_only_what_the_user_may_open(client, head_of_sales, manager,
                                                            other_manager):
    client.force_login(head_of_sales)
    content = page(client)
    assert f'value="user:{manager.pk}"' in content
    assert f'value="user:{other_manager.pk}"' not in content
    assert f'value="team:{manager.team_id}"' in content
    assert f'value="team:{other_manager.team_id}"' not in content


@pytest.mark.parametrize("who", ["someone", "user:abc", "user:", "team:-3", "user:99999999"])
def test_a_bad_or_unknown_who_is_refused(client, manager, who):
    client.force_login(manager)
    status = client.get(URL, {"who": who}).status_code
    assert status == (400 if who == "someone" else 404)


def test_the_calendar_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response["Location"]


# --- what is shown and how ----------------------------------------------------------------------

def test_cancelled_activities_are_not_shown_done_ones_are_muted(client, manager):
    done = ActivityFactory(owner=manager, starts_at=sofia(SUMMER_WEEK, 9), status=ActivityStatus.DONE)
    cancelled = ActivityFactory(owner=manager, starts_at=sofia(SUMMER_WEEK, 11),
                                status=ActivityStatus.CANCELLED, subject="Отменена")
    client.force_login(manager)
    for view in ("week", "month"):
        content = page(client, date=SUMMER_WEEK.isoformat(), view=view)
        assert "is-done" in classes(event_tag(content, done))
        assert event_tag(content, cancelled) is None and "Отменена" not in content


def test_events_are_coloured_by_kind_and_tasks_sit_above_the_day(client, manager):
    meeting = ActivityFactory(owner=manager, kind=ActivityKind.MEETING, starts_at=sofia(SUMMER_WEEK, 10),
                              duration_minutes=60)
    task = ActivityFactory(owner=manager, kind=ActivityKind.TASK, starts_at=sofia(SUMMER_WEEK, 14),
                           duration_minutes=None, subject="Изпрати оферта")
    client.force_login(manager)
    content = page(client, date=SUMMER_WEEK.isoformat())

    assert {"cal-event", "kind-meeting", "r-13", "s-4"} <= classes(event_tag(content, meeting))
    task_tag = event_tag(content, task)
    assert {"cal-chip", "kind-task"} <= classes(task_tag)
    assert 'class="cal-allday"' in content and "14:00" in content


def test_no_inline_styles_on_the_calendar_pages(client, manager):
    ActivityFactory(owner=manager, starts_at=sofia(SUMMER_WEEK, 10))
    client.force_login(manager)
    for view in ("week", "month"):
        content = page(client, date=SUMMER_WEEK.isoformat(), view=view)
        assert "style=" not in content and "<script>" not in content and " onclick" not in content


def test_times_are_shown_in_the_viewers_zone(client, manager):
    meeting = ActivityFactory(owner=manager, starts_at=sofia(SUMMER_WEEK, 10), duration_minutes=60,
                              kind=ActivityKind.MEETING)
    manager.time_zone = "Europe/London"
    manager.save()
    client.force_login(manager)

    content = page(client, date=SUMMER_WEEK.isoformat())

    tag = event_tag(content, meeting)
    assert "08:00–09:00" in tag and "r-5" in classes(tag)  # 08:00 is the 5th quarter after 07:00
    assert "Europe/London" in content
    month = page(client, date=SUMMER_WEEK.isoformat(), view="month")
    assert "08:00" in event_tag(month, meeting)


def test_winter_and_summer_meetings_at_ten_sofia_both_show_at_ten(client, manager):
    winter = ActivityFactory(owner=manager, starts_at=sofia(WINTER_WEEK, 10))
    summer = ActivityFactory(owner=manager, starts_at=sofia(SUMMER_WEEK, 10))
    assert winter.starts_at.astimezone(dt.UTC).hour == 8 and summer.starts_at.astimezone(dt.UTC).hour == 7
    client.force_login(manager)
    for day, activity in ((WINTER_WEEK, winter), (SUMMER_WEEK, summer)):
        tag = event_tag(page(client, date=day.isoformat()), activity)
        assert "10:00–10:30" in tag and "r-13" in classes(tag)


def test_the_week_when_clocks_go_forward(client, manager):
    saturday = ActivityFactory(owner=manager, starts_at=sofia(DST_WEEK + dt.timedelta(days=5), 10))
    sunday = ActivityFactory(owner=manager, starts_at=sofia(DST_WEEK + dt.timedelta(days=6), 10))
    # Sunday's 10:00 is an hour earlier in UTC than Saturday's.
    gap = sunday.starts_at.astimezone(dt.UTC) - saturday.starts_at.astimezone(dt.UTC)
    assert gap == dt.timedelta(hours=23)
    client.force_login(manager)
    content = page(client, date=(DST_WEEK + dt.timedelta(days=2)).isoformat())
    for activity in (saturday, sunday):
        tag = event_tag(content, activity)
        assert "10:00–10:30" in tag and "r-13" in classes(tag)
    assert '<h2 class="cal-range">24 – 30 март 2025</h2>' in content

    manager.time_zone = "Europe/London"
    manager.save()
    content = page(client, date=DST_WEEK.isoformat())
    for activity in (saturday, sunday):
        assert "08:00–08:30" in event_tag(content, activity)


def test_xss_a_subject_is_shown_as_text(client, manager):
    ActivityFactory(owner=manager, starts_at=sofia(SUMMER_WEEK, 10), subject="<script>alert(1)</script>",
                    place='"><img src=x onerror=alert(2)>')
    ActivityFactory(owner=manager, kind=ActivityKind.TASK, starts_at=sofia(SUMMER_WEEK, 12),
                    subject="<b>task</b>")
    client.force_login(manager)
    for view in ("week", "month"):
        content = page(client, date=SUMMER_WEEK.isoformat(), view=view)
        assert "<script>alert(1)" not in content and "&lt;script&gt;alert(1)&lt;/script&gt;" in content
        assert "<b>task</b>" not in content and "<img src=x" not in content


def test_the_month_lists_three_events_a_day_and_counts_the_rest(client, manager):
    day = dt.date(2025, 7, 15)
    activities = [ActivityFactory(owner=manager, starts_at=sofia(day, 8 + i)) for i in range(5)]
    client.force_login(manager)

    response = client.get(URL, {"date": day.isoformat(), "view": "month"})
    content = response.content.decode()

    shown = [a for a in activities if event_tag(content, a)]
    assert shown == activities[:3]
    # "+2 more" in the language the page is in (the template's msgid, plural form for 2).
    with translation.override(response["Content-Language"]):
        more = ngettext("+%(n)s more", "+%(n)s more", 2) % {"n": 2}
    assert f'<a class="cal-more" href="/activities/calendar/?view=week&amp;date=2025-07-15">{more}</a>' \
        in content
    assert '<h2 class="cal-range">Юли 2025</h2>' in content  # Bulgarian by default
    # The grid is 6 weeks of 7 days starting on the Monday on or before the 1st (30 June 2025).
    assert content.count('class="cal-cell') == 42
    assert 'href="/activities/calendar/?view=week&amp;date=2025-06-30"' in content


def test_navigation_links_move_by_a_week_or_a_month(client, manager):
    client.force_login(manager)
    week = page(client, date="2025-07-09")
    assert 'href="/activities/calendar/?view=week&amp;date=2025-06-30"' in week
    assert 'href="/activities/calendar/?view=week&amp;date=2025-07-14"' in week
    month = page(client, date="2025-01-20", view="month", who="me")
    assert 'href="/activities/calendar/?view=month&amp;date=2024-12-01"' in month
    assert 'href="/activities/calendar/?view=month&amp;date=2025-02-01"' in month


def test_a_bad_date_falls_back_to_today(client, manager):
    client.force_login(manager)
    assert client.get(URL, {"date": "2025-13-45"}).status_code == 200
    for far in ("0001-01-01", "9999-12-31"):
        for view in ("week", "month"):
            assert client.get(URL, {"date": far, "view": view}).status_code == 200
    assert client.get(URL, {"view": "decade"}).status_code == 200


@pytest.mark.parametrize("view", ["week", "month"])
def test_the_query_count_does_not_grow_with_the_events(client, head_of_sales, manager, view):
    def queries(n: int) -> int:
        for i in range(n):
            day = SUMMER_WEEK + dt.timedelta(days=i % 7)
            ActivityFactory(owner=manager, starts_at=sofia(day, 8 + i % 10),
                            kind=[ActivityKind.CALL, ActivityKind.TASK, ActivityKind.MEETING][i % 3])
        client.force_login(head_of_sales)
        with CaptureQueriesContext(connection) as ctx:
            page(client, date=SUMMER_WEEK.isoformat(), view=view, who="team")
        return len(ctx)

    few = queries(2)
    many = queries(28)
    assert few == many


# --- the layout itself ------------------------------------------------------------------------------

def _items(grid):
    return {item.activity.pk: item for day in grid.days for item in day.timed}


def test_overlapping_events_share_the_day_side_by_side(manager):
    a = ActivityFactory(owner=manager, starts_at=sofia(SUMMER_WEEK, 10), duration_minutes=60)
    b = ActivityFactory(owner=manager, starts_at=sofia(SUMMER_WEEK, 10, 30), duration_minutes=60)
    c = ActivityFactory(owner=manager, starts_at=sofia(SUMMER_WEEK, 11), duration_minutes=30)
    d = ActivityFactory(owner=manager, starts_at=sofia(SUMMER_WEEK, 14), duration_minutes=30)
    grid = cal.build_week([a, b, c, d], monday=SUMMER_WEEK, tz=SOFIA,
                          now=sofia(SUMMER_WEEK, 9))
    items = _items(grid)
    assert (items[a.pk].lane, items[a.pk].lanes) == (0, 2)
    assert (items[b.pk].lane, items[b.pk].lanes) == (1, 2)
    assert (items[c.pk].lane, items[c.pk].lanes) == (0, 2)  # a's lane is free again at 11:00
    assert (items[d.pk].lane, items[d.pk].lanes) == (0, 1)
    assert items[a.pk].place_classes == "r-13 s-4 ln-2-0"
    assert grid.now_row == 9 and grid.days[0].is_today


def test_the_grid_grows_for_early_and_late_events(manager):
    early = ActivityFactory(owner=manager, starts_at=sofia(SUMMER_WEEK, 6, 15), duration_minutes=30)
    late = ActivityFactory(owner=manager, starts_at=sofia(SUMMER_WEEK, 21), duration_minutes=90)
    grid = cal.build_week([early, late], monday=SUMMER_WEEK, tz=SOFIA, now=sofia(WINTER_WEEK, 9))
    assert (grid.first_hour, grid.last_hour) == (6, 23)
    items = _items(grid)
    assert items[early.pk].row == 2 and items[late.pk].row == 61 and items[late.pk].span == 6
    assert grid.hours[0] == ("06:00", 1) and grid.now_row is None


def test_an_event_past_midnight_continues_on_the_next_day(manager):
    night = ActivityFactory(owner=manager, starts_at=sofia(SUMMER_WEEK, 23), duration_minutes=120)
    grid = cal.build_week([night], monday=SUMMER_WEEK, tz=SOFIA, now=sofia(WINTER_WEEK, 9))
    monday, tuesday = grid.days[0].timed, grid.days[1].timed
    assert len(monday) == 1 and len(tuesday) == 1
    assert monday[0].continues_after and tuesday[0].continues_before
    assert (grid.first_hour, grid.last_hour) == (0, 24)
    assert tuesday[0].row == 1 and tuesday[0].span == 4


def test_events_in_a_range_include_one_that_began_before_it(manager):
    before = ActivityFactory(owner=manager, starts_at=sofia(SUMMER_WEEK - dt.timedelta(days=1), 23),
                             duration_minutes=120)
    ended = ActivityFactory(owner=manager, starts_at=sofia(SUMMER_WEEK - dt.timedelta(days=1), 20),
                            duration_minutes=60)
    who = cal.calendar_who(user=manager, who="me")
    start, end = cal.local_bounds(SUMMER_WEEK, SUMMER_WEEK + dt.timedelta(days=7), SOFIA)
    found = cal.calendar_events(user=manager, who=who, start=start, end=end).activities
    assert before in found and ended not in found
