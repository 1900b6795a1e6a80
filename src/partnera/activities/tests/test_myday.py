""""My day": the activities panels (today's agenda, overdue, clients not contacted) on
hand-built data — exact items in order, the time-zone day, visibility, the team view of a head
of sales — and the home page, its "see all" pages and the API around them."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnera.activities import myday
from partnera.activities.models import (
    ActivityKind,
    ActivityStatus,
    CompanyContact,
    ContactCadence,
)
from partnera.activities.tests.factories import ActivityFactory, sofia
from partnera.clients.models import Stage, Tier
from partnera.clients.tests.factories import CompanyFactory
from partnera.core.home import home_view
from partnera.core.roles import Role
from partnera.people.services import token_create
from partnera.people.tests.factories import TeamFactory
from partnera.sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 1, 15)  # winter: Sofia is UTC+2
NOW = sofia(DAY, 10, 0)


def subjects(result) -> list[str]:
    return [a.subject for a in result.items]


def names(result) -> list[str]:
    return [c.legal_name for c in result.items]


@pytest.fixture
def colleague(make_user, team):
    return make_user(Role.ACCOUNT_MANAGER, team=team, username="colleague")


@pytest.fixture
def outsider(make_user):
    """An account manager of another team, headed by someone else."""
    other = TeamFactory()
    head = make_user(Role.HEAD_OF_SALES, username="otherhead")
    other.head = head
    other.save()
    return make_user(Role.ACCOUNT_MANAGER, team=other, username="outsider")


def call(owner, at, subject, **kwargs):
    return ActivityFactory(owner=owner, starts_at=at, subject=subject, **kwargs)


# --- today's agenda ------------------------------------------------------------------------------

def test_agenda_lists_the_users_events_of_the_day_in_time_order_done_ones_ticked(
        manager, colleague, outsider):
    # Given the manager's day: a done call, a planned visit and meeting, and what does not belong
    call(manager, sofia(DAY, 14), "Meeting at two", kind=ActivityKind.MEETING)
    call(manager, sofia(DAY, 9), "Call at nine", status=ActivityStatus.DONE)
    call(manager, sofia(DAY, 11), "Visit at eleven", kind=ActivityKind.VISIT)
    call(manager, sofia(DAY, 12), "Presentation at noon", kind=ActivityKind.PRESENTATION)
    invited = call(colleague, sofia(DAY, 16), "Colleague's meeting I join",
                   kind=ActivityKind.MEETING)
    invited.participant_users.add(manager)
    call(manager, sofia(DAY, 13), "A task today", kind=ActivityKind.TASK)
    call(manager, sofia(DAY, 15), "Cancelled call", status=ActivityStatus.CANCELLED)
    call(manager, sofia(DAY, 15), "Deleted call", deleted_at=timezone.now())
    call(manager, sofia(DAY + dt.timedelta(days=1), 9), "Tomorrow's call")
    call(manager, sofia(DAY - dt.timedelta(days=1), 9), "Yesterday's call")
    call(colleague, sofia(DAY, 10), "Colleague's own call")
    call(outsider, sofia(DAY, 10), "Outsider's call")

    # When the manager's agenda is read
    result = myday.agenda(view=home_view(user=manager, now=NOW))

    # Then exactly the day's calls, meetings, visits and presentations, in time order
    assert subjects(result) == ["Call at nine", "Visit at eleven", "Presentation at noon",
                                "Meeting at two", "Colleague's meeting I join"]
    assert result.count == 5 and not result.capped
    assert result.items[0].status == ActivityStatus.DONE
    assert [a.taking_part for a in result.items] == [False, False, False, False, True]


@pytest.mark.parametrize("day", [dt.date(2026, 1, 15), dt.date(2026, 7, 15)],
                         ids=["winter", "summer"])
def test_agenda_day_is_the_users_time_zone_day(manager, day):
    # Given calls around midnight Sofia time (UTC+2 in winter, UTC+3 in summer)
    call(manager, sofia(day, 0, 30), "Half past midnight")  # the previous day in UTC
    call(manager, sofia(day, 23, 59), "Just before midnight")
    call(manager, sofia(day - dt.timedelta(days=1), 23, 59), "The evening before")
    call(manager, sofia(day + dt.timedelta(days=1), 0, 0), "Next midnight")
    assert sofia(day, 0, 30).astimezone(dt.UTC).date() == day - dt.timedelta(days=1)

    # When the Sofia user reads their day at 10:00
    result = myday.agenda(view=home_view(user=manager, now=sofia(day, 10)))

    # Then the call at 00:30 Sofia time belongs to that Sofia day
    assert subjects(result) == ["Half past midnight", "Just before midnight"]


def test_agenda_follows_each_users_own_time_zone(manager):
    # Given a user in New York; it is 10:00 in Sofia, 03:00 in New York, the same date
    manager.time_zone = "America/New_York"
    manager.save()
    new_york = zoneinfo.ZoneInfo("America/New_York")
    call(manager, sofia(DAY, 0, 30), "Sofia's early hours")  # 17:30 the day before in New York
    call(manager, dt.datetime.combine(DAY, dt.time(23, 0), tzinfo=new_york), "New York evening")

    result = myday.agenda(view=home_view(user=manager, now=NOW))

    assert subjects(result) == ["New York evening"]


def test_agenda_never_shows_a_private_activity_of_someone_else(manager, colleague, head_of_sales):
    # Given a colleague's private meeting today, and another the manager takes part in
    call(colleague, sofia(DAY, 9), "Private, not mine", kind=ActivityKind.MEETING, private=True)
    joined = call(colleague, sofia(DAY, 10), "Private, I take part", kind=ActivityKind.MEETING,
                  private=True)
    joined.participant_users.add(manager)

    # Then the manager sees only the one they take part in; the head's team view neither
    assert subjects(myday.agenda(view=home_view(user=manager, now=NOW))) == ["Private, I take part"]
    team = myday.agenda(view=home_view(user=head_of_sales, team=True, now=NOW))
    assert subjects(team) == []


def test_agenda_counts_beyond_the_shown_items(manager):
    for i in range(14):
        call(manager, sofia(DAY, 8) + dt.timedelta(minutes=30 * i), f"Call {i:02d}")

    result = myday.agenda(view=home_view(user=manager, now=NOW))

    assert subjects(result) == [f"Call {i:02d}" for i in range(10)]
    assert result.count == 14


# --- overdue -------------------------------------------------------------------------------------

def test_overdue_lists_planned_tasks_and_activities_whose_time_passed_oldest_first(
        manager, colleague):
    call(manager, NOW - dt.timedelta(days=3), "Offer to send", kind=ActivityKind.TASK)
    call(manager, NOW - dt.timedelta(days=10), "Call back", kind=ActivityKind.CALL)
    call(manager, NOW - dt.timedelta(minutes=5), "This morning's meeting",
         kind=ActivityKind.MEETING)
    call(manager, NOW - dt.timedelta(days=2), "Done task", kind=ActivityKind.TASK,
         status=ActivityStatus.DONE)
    call(manager, NOW - dt.timedelta(days=2), "Cancelled task", kind=ActivityKind.TASK,
         status=ActivityStatus.CANCELLED)
    call(manager, NOW - dt.timedelta(days=2), "Deleted task", kind=ActivityKind.TASK,
         deleted_at=timezone.now())
    call(manager, NOW + dt.timedelta(minutes=5), "Not yet due", kind=ActivityKind.TASK)
    joined = call(colleague, NOW - dt.timedelta(days=1), "Colleague's overdue call")
    joined.participant_users.add(manager)

    result = myday.overdue(view=home_view(user=manager, now=NOW))

    assert subjects(result) == ["Call back", "Offer to send", "This morning's meeting"]
    assert [a.days_overdue for a in result.items] == [10, 3, 0]
    assert result.count == 3


# --- clients not contacted -------------------------------------------------------------------------

def company(owner, name, tier, last_days=None, **kwargs):
    c = CompanyFactory(owner=owner, team=owner.team, legal_name=name, tier=tier, **kwargs)
    if last_days is not None:
        CompanyContact.objects.create(company=c, last_at=NOW - dt.timedelta(days=last_days))
    return c


def test_clients_not_contacted_within_their_tiers_cadence(manager, outsider):
    # Given the default cadences: key accounts 14 days, corporate 30, standard 90
    assert dict(ContactCadence.objects.values_list("tier", "days")) == {
        Tier.KEY_ACCOUNT: 14, Tier.CORPORATE: 30, Tier.STANDARD: 90}
    company(manager, "Key, 20 days", Tier.KEY_ACCOUNT, 20)
    company(manager, "Key, 13 days", Tier.KEY_ACCOUNT, 13)
    company(manager, "Key, never", Tier.KEY_ACCOUNT)
    company(manager, "Key, 40 days", Tier.KEY_ACCOUNT, 40)
    company(manager, "Corporate, 31 days", Tier.CORPORATE, 31)
    company(manager, "Corporate, 29 days", Tier.CORPORATE, 29)
    company(manager, "Standard, never", Tier.STANDARD)
    company(manager, "Standard, 89 days", Tier.STANDARD, 89)
    company(manager, "Standard, lost client", Tier.STANDARD, stage=Stage.LOST)
    company(manager, "Key, deleted", Tier.KEY_ACCOUNT, deleted_at=timezone.now())
    company(outsider, "Someone else's key account", Tier.KEY_ACCOUNT)

    company(manager, "Key, dormant, 50 days", Tier.KEY_ACCOUNT, 50, stage=Stage.DORMANT)
    company(manager, "Key, prospect, never", Tier.KEY_ACCOUNT, stage=Stage.PROSPECT)

    result = myday.not_contacted(view=home_view(user=manager, now=NOW))

    # Key accounts first, then the other tiers; in a tier active clients, dormant, prospects,
    # each by name
    assert names(result) == ["Key, 20 days", "Key, 40 days", "Key, never", "Key, dormant, 50 days",
                             "Key, prospect, never", "Corporate, 31 days", "Standard, never"]
    assert [c.days_silent for c in result.items] == [20, 40, None, 50, None, 31, None]
    assert [c.cadence_days for c in result.items] == [14, 14, 14, 14, 14, 30, 90]
    assert result.count == 7


def test_a_tier_without_a_cadence_is_not_raised_and_days_follow_the_setting(manager):
    company(manager, "Standard, never", Tier.STANDARD)
    company(manager, "Key, 10 days", Tier.KEY_ACCOUNT, 10)
    ContactCadence.objects.filter(tier=Tier.STANDARD).delete()
    ContactCadence.objects.filter(tier=Tier.KEY_ACCOUNT).update(days=7)

    assert names(myday.not_contacted(view=home_view(user=manager, now=NOW))) == ["Key, 10 days"]


# --- the team view --------------------------------------------------------------------------------

def test_head_of_sales_team_view_shows_the_members_items_with_their_owners(
        manager, colleague, outsider, head_of_sales):
    call(manager, sofia(DAY, 9), "Manager's call", status=ActivityStatus.DONE)
    call(colleague, sofia(DAY, 11), "Colleague's visit", kind=ActivityKind.VISIT)
    call(head_of_sales, sofia(DAY, 12), "Head's own meeting", kind=ActivityKind.MEETING)
    call(outsider, sofia(DAY, 10), "Other team's call")
    call(manager, NOW - dt.timedelta(days=1), "Manager's late task", kind=ActivityKind.TASK)
    call(outsider, NOW - dt.timedelta(days=1), "Other team's late task", kind=ActivityKind.TASK)
    company(colleague, "Colleague's silent key account", Tier.KEY_ACCOUNT)
    company(outsider, "Other team's silent key account", Tier.KEY_ACCOUNT)

    view = home_view(user=head_of_sales, team=True, now=NOW)
    assert view.team and set(view.owner_ids) == {manager.pk, colleague.pk, head_of_sales.pk}

    agenda = myday.agenda(view=view)
    assert subjects(agenda) == ["Manager's call", "Colleague's visit", "Head's own meeting"]
    assert [a.owner for a in agenda.items] == [manager, colleague, head_of_sales]
    assert subjects(myday.overdue(view=view)) == ["Manager's late task"]
    assert names(myday.not_contacted(view=view)) == ["Colleague's silent key account"]

    # The head's own view is theirs alone
    own = home_view(user=head_of_sales, now=NOW)
    assert subjects(myday.agenda(view=own)) == ["Head's own meeting"]


def test_others_asking_for_the_team_view_get_their_own(manager, colleague, admin_user):
    call(colleague, sofia(DAY, 9), "Colleague's call")
    call(manager, sofia(DAY, 10), "My call")
    for user in (manager, admin_user):
        view = home_view(user=user, team=True, now=NOW)
        assert not view.team and view.owner_ids == (user.pk,)
    assert subjects(myday.agenda(view=home_view(user=manager, team=True, now=NOW))) == ["My call"]


# --- the page ---------------------------------------------------------------------------------------

def today_at(user, hour: int) -> dt.datetime:
    """A moment of today in the user's zone (the page reads the real clock)."""
    view = home_view(user=user)
    return view.day_start + dt.timedelta(hours=hour)


def test_home_page_is_a_morning_briefing_with_every_panel(logged_in, manager):
    # Given one item in each panel
    call(manager, today_at(manager, 12), "Call with Алфа Трейд")
    call(manager, timezone.now() - dt.timedelta(days=2), "Send the offer", kind=ActivityKind.TASK)
    DealFactory(owner=manager, title="Deal without next step")
    company(manager, "Silent key account", Tier.KEY_ACCOUNT)

    # When the manager opens the home page
    response = logged_in(manager).get("/", HTTP_ACCEPT_LANGUAGE="en")

    # Then the greeting, the date, the summary and every panel with its items
    html = response.content.decode()
    assert response.status_code == 200
    assert "Good " in html and f"{manager.first_name}" in html
    assert "Call with Алфа Трейд" in html and "Send the offer" in html
    assert "Deal without next step" in html and "Silent key account" in html
    assert 'class="myday-summary"' in html
    assert html.index("Call with Алфа Трейд") < html.index("Send the offer")
    # The clients' panels stay, lower down
    assert html.index("Silent key account") < html.index("Recently changed clients")
    # No team switch for an account manager
    assert "?view=team" not in html.split('class="myday-summary"')[0]


def test_empty_panels_say_what_to_do(logged_in, manager):
    html = logged_in(manager).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No calls or meetings planned today." in html
    assert "Nothing overdue." in html
    assert "Every open deal has its next activity planned." in html


def test_head_of_sales_switches_to_the_team_view(logged_in, manager, head_of_sales, outsider):
    call(manager, today_at(manager, 12), "Call of the manager today")
    call(outsider, today_at(outsider, 12), "Call of the outsider today")
    client = logged_in(head_of_sales)

    own = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/?view=team"' in own and "Call of the manager today" not in own

    team = client.get("/?view=team", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Team view" in team and "Call of the manager today" in team
    assert str(manager) in team
    assert "Call of the outsider today" not in team


def test_page_escapes_names(logged_in, manager):
    call(manager, today_at(manager, 12), "<script>alert(1)</script>")
    company(manager, "<b>Bold</b> ООД", Tier.KEY_ACCOUNT)
    html = logged_in(manager).get("/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Bold&lt;/b&gt; ООД" in html


def fill(user, n: int) -> None:
    """n items in every panel of the user's day."""
    from partnera.sales.tests.factories import stage_at

    for i in range(n):
        c = company(user, f"Key {i}", Tier.KEY_ACCOUNT)
        call(user, today_at(user, 12), f"Call {i}", company=c)
        call(user, timezone.now() - dt.timedelta(days=1), f"Task {i}", kind=ActivityKind.TASK,
             company=c)
        DealFactory(owner=user, company=c)
        DealFactory(owner=user, company=c, stage=stage_at(0),
                    stage_entered_at=timezone.now() - dt.timedelta(days=30),
                    next_activity_at=timezone.now() + dt.timedelta(days=1))


@pytest.mark.parametrize("team_view", [False, True], ids=["me", "team"])
def test_home_page_queries_do_not_grow_with_the_items(client, team_view, head_of_sales,
                                                      manager):
    user = head_of_sales if team_view else manager
    url = "/?view=team" if team_view else "/"
    client.force_login(user)
    fill(manager, 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    fill(manager, 18)
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert html.count("Call 1") >= 1
    # No query per item: 20 items per panel cost no more queries than 2 (the clients-not-
    # contacted panel stops walking the tiers once it is full, so it may cost fewer).
    assert len(many) <= len(few) <= 30, [q["sql"] for q in few.captured_queries]


# --- "see all" ----------------------------------------------------------------------------------------

def test_see_all_lists_more_than_the_panel(logged_in, manager, head_of_sales):
    for i in range(12):
        call(manager, timezone.now() - dt.timedelta(days=1, minutes=i), f"Late {i:02d}",
             kind=ActivityKind.TASK)
    client = logged_in(manager)
    html = client.get("/activities/my-day/activities.overdue/", HTTP_ACCEPT_LANGUAGE="en"
                      ).content.decode()
    assert all(f"Late {i:02d}" in html for i in range(12))
    assert "See all" not in html

    team = logged_in(head_of_sales).get("/activities/my-day/activities.overdue/?view=team")
    assert team.status_code == 200 and "Late 00" in team.content.decode()


def test_see_all_of_an_unknown_panel_or_one_not_for_the_user_is_404(logged_in, make_user):
    marketing = make_user(Role.MARKETING)
    assert logged_in(marketing).get("/activities/my-day/nothing.here/").status_code == 404
    assert logged_in(marketing).get("/activities/my-day/sales.stuck/").status_code == 404
    assert logged_in(marketing).get("/activities/my-day/clients.recent_notes/").status_code == 404


def test_pages_need_a_login(client):
    for url in ("/", "/activities/my-day/activities.agenda/", "/activities/cadence/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


# --- the API --------------------------------------------------------------------------------------------

def api_get(client, user, params=""):
    _token, secret = token_create(actor=None, user=user, name="tests")
    return client.get(f"/api/v1/my-day{params}", HTTP_AUTHORIZATION=f"Bearer {secret}",
                      HTTP_ACCEPT_LANGUAGE="en")


def test_api_returns_every_panels_items(client, manager, outsider):
    call(manager, today_at(manager, 12), "API call")
    call(outsider, today_at(outsider, 12), "Not mine")
    deal = DealFactory(owner=manager, title="API deal")
    company(manager, "API key account", Tier.KEY_ACCOUNT)

    response = api_get(client, manager)

    assert response.status_code == 200
    body = response.json()
    assert body["view"] == "me" and body["time_zone"] == "Europe/Sofia"
    panels = {p["name"]: p for p in body["panels"]}
    assert list(panels) == ["activities.agenda", "activities.overdue", "orders.late",
                            "sales.no_next_activity", "sales.stuck", "activities.not_contacted",
                            "contracts.obligations_due", "contracts.to_renew"]
    assert panels["orders.late"]["items"] == [] and panels["contracts.to_renew"]["items"] == []
    agenda = panels["activities.agenda"]
    assert agenda["count"] == 1 and not agenda["count_capped"]
    assert [i["subject"] for i in agenda["items"]] == ["API call"]
    assert agenda["items"][0]["owner"]["username"] == "manager"
    assert [i["id"] for i in panels["sales.no_next_activity"]["items"]] == [deal.pk]
    assert panels["sales.no_next_activity"]["items"][0]["url"] == f"/sales/deals/{deal.pk}/"
    names_ = [i["name"] for i in panels["activities.not_contacted"]["items"]]
    assert "API key account" in names_


def test_api_team_view_for_a_head_and_own_view_for_others(client, manager, head_of_sales):
    call(manager, today_at(manager, 12), "Team call")
    team = api_get(client, head_of_sales, "?view=team").json()
    assert team["view"] == "team"
    assert [i["subject"] for i in team["panels"][0]["items"]] == ["Team call"]
    asked = api_get(client, manager, "?view=team").json()
    assert asked["view"] == "me"


def test_api_refuses_bad_parameters_and_anonymous_callers(client, manager):
    bad = api_get(client, manager, "?view=everyone")
    assert bad.status_code == 400 and "view" in bad.json()["fields"]
    unknown = api_get(client, manager, "?when=tomorrow")
    assert unknown.status_code == 400 and "when" in unknown.json()["fields"]
    assert client.get("/api/v1/my-day").status_code == 401
