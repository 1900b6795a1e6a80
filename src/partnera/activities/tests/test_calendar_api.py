"""The calendar over the API: events in a range for me / my team / one colleague, and the feed.

Every bad-input and out-of-scope test checks the error shape and that nothing changed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from partnera.activities.models import ActivityKind, ActivityStatus, CalendarFeed
from partnera.activities.tests.factories import ActivityFactory, sofia
from partnera.people.services import token_create

pytestmark = pytest.mark.django_db

API = "/api/v1"
WEEK = dt.date(2025, 7, 7)


class Api:
    def __init__(self, client, user):
        self.client = client
        _token, secret = token_create(actor=None, user=user, name="tests")
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": "en"}

    def events(self, **params):
        params.setdefault("start", WEEK.isoformat())
        params.setdefault("end", (WEEK + dt.timedelta(days=7)).isoformat())
        return self.client.get(f"{API}/calendar/events", params, **self.headers)

    def post_feed(self):
        return self.client.post(f"{API}/calendar/feed", "", content_type="application/json",
                                **self.headers)

    def delete_feed(self):
        return self.client.delete(f"{API}/calendar/feed", **self.headers)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [e["id"] for e in response.json()["events"]]


def test_my_events_in_a_week(client, manager, other_manager):
    meeting = ActivityFactory(owner=manager, kind=ActivityKind.MEETING, starts_at=sofia(WEEK, 10),
                              duration_minutes=60, subject="Среща")
    task = ActivityFactory(owner=manager, kind=ActivityKind.TASK, starts_at=sofia(WEEK, 14))
    ActivityFactory(owner=manager, starts_at=sofia(WEEK, 15), status=ActivityStatus.CANCELLED)
    ActivityFactory(owner=manager, starts_at=sofia(WEEK + dt.timedelta(days=7), 10))
    ActivityFactory(owner=other_manager, starts_at=sofia(WEEK, 10))

    response = Api(client, manager).events()

    assert ids(response) == [meeting.pk, task.pk]
    body = response.json()
    assert body["who"] == "me" and body["time_zone"] == "Europe/Sofia"
    assert body["start"].startswith("2025-07-06T21:00:00") and body["truncated"] is False
    first = body["events"][0]
    assert first["starts_at"].startswith("2025-07-07T07:00:00") and first["ends_at"].startswith(
        "2025-07-07T08:00:00")
    assert first["subject"] == "Среща" and first["kind"] == "meeting" and first["all_day"] is False
    assert first["url"] == f"http://testserver/activities/{meeting.pk}/"
    assert body["events"][1]["all_day"] is True


def test_the_range_is_read_in_the_callers_zone(client, manager):
    # 00:30 on Monday in Sofia is still Sunday in London.
    early = ActivityFactory(owner=manager, starts_at=sofia(WEEK, 0, 30))
    manager.time_zone = "Europe/London"
    manager.save()
    api = Api(client, manager)
    assert early.pk not in ids(api.events())
    assert early.pk in ids(api.events(start=(WEEK - dt.timedelta(days=1)).isoformat()))


def test_a_head_of_sales_reads_the_team_and_a_member_never_a_private_one(
        client, head_of_sales, manager, other_manager):
    open_one = ActivityFactory(owner=manager, starts_at=sofia(WEEK, 9))
    ActivityFactory(owner=manager, starts_at=sofia(WEEK, 11), private=True)
    ActivityFactory(owner=other_manager, starts_at=sofia(WEEK, 10))
    api = Api(client, head_of_sales)

    assert ids(api.events(who="team")) == [open_one.pk]
    assert ids(api.events(who=f"user:{manager.pk}")) == [open_one.pk]
    assert ids(api.events(who=f"team:{manager.team_id}")) == [open_one.pk]
    response = api.events(who=f"user:{other_manager.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_a_manager_cannot_read_another_managers_calendar(client, manager, other_manager):
    ActivityFactory(owner=other_manager, starts_at=sofia(WEEK, 10))
    api = Api(client, manager)
    for who in (f"user:{other_manager.pk}", f"team:{other_manager.team_id}"):
        assert api.events(who=who).status_code == 404


@pytest.mark.parametrize(("params", "field"), [
    ({"start": "2025-07-01", "end": "2025-09-02"}, "end"),
    ({"start": "2025-07-08", "end": "2025-07-08"}, "end"),
    ({"start": "2025-07-08", "end": "2025-07-01"}, "end"),
    ({"start": "yesterday"}, "start"),
    ({"end": "2025-02-30"}, "end"),
    ({"who": "everyone"}, "who"),
    ({"colour": "red"}, "colour"),
    ({"start": "0001-01-01", "end": "0001-01-05"}, "start"),
    ({"start": "9999-12-01", "end": "9999-12-31"}, "start"),
])
def test_bad_input_is_a_clear_400(client, manager, params, field):
    response = Api(client, manager).events(**params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error" and field in body["fields"]


def test_a_range_of_62_days_is_allowed_63_is_not(client, manager):
    api = Api(client, manager)
    assert api.events(start="2025-07-01", end="2025-09-01").status_code == 200
    response = api.events(start="2025-07-01", end="2025-09-02")
    assert "62" in response.json()["fields"]["end"][0]


def test_missing_dates_are_required(client, manager):
    api = Api(client, manager)
    response = client.get(f"{API}/calendar/events", **api.headers)
    assert response.status_code == 400 and {"start", "end"} <= set(response.json()["fields"])


def test_the_events_endpoint_needs_authentication(client):
    response = client.get(f"{API}/calendar/events", {"start": "2025-07-07", "end": "2025-07-14"})
    assert response.status_code == 401


def test_the_events_endpoint_reads_in_a_constant_number_of_queries(client, head_of_sales, manager):
    api = Api(client, head_of_sales)
    api.events(who="team")  # the token's first use is recorded once

    def count(n: int) -> int:
        for i in range(n):
            ActivityFactory(owner=manager, starts_at=sofia(WEEK + dt.timedelta(days=i % 7), 8 + i % 9))
        with CaptureQueriesContext(connection) as ctx:
            assert api.events(who="team").status_code == 200
        return len(ctx)

    assert count(2) == count(30)


def test_creating_resetting_and_revoking_the_feed(client, manager):
    ActivityFactory(owner=manager, starts_at=sofia(dt.date.today() + dt.timedelta(days=3), 10))
    api = Api(client, manager)

    created = api.post_feed()
    assert created.status_code == 201
    url = created.json()["url"]
    assert url.startswith("http://testserver/calendar/feed/") and url.endswith(".ics")
    assert created.json()["webcal_url"] == "webcal" + url[4:]
    feed = client.get(url)
    assert feed.status_code == 200 and len(Calendar.from_ical(feed.content).events) == 1
    assert url.rsplit("/", 1)[1][:-4] not in str(list(CalendarFeed.objects.values()))

    reset = api.post_feed()
    assert reset.status_code == 201 and reset.json()["url"] != url
    assert client.get(url).status_code == 404 and client.get(reset.json()["url"]).status_code == 200

    assert api.delete_feed().status_code == 204
    assert client.get(reset.json()["url"]).status_code == 404
    missing = api.delete_feed()
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert CalendarFeed.objects.count() == 0


def test_feed_writes_with_a_session_need_the_csrf_header(manager):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)
    response = browser.post(f"{API}/calendar/feed", "", content_type="application/json")
    assert response.status_code == 403 and CalendarFeed.objects.count() == 0
    browser.get("/activities/calendar/")
    token = browser.cookies["csrftoken"].value
    ok = browser.post(f"{API}/calendar/feed", "", content_type="application/json",
                      HTTP_X_CSRFTOKEN=token)
    assert ok.status_code == 201 and CalendarFeed.objects.count() == 1
