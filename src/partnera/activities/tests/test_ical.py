"""One activity downloaded as an .ics file, and the iCalendar builder itself.

Given an activity the user may see, when they download it, then they get a VCALENDAR with
METHOD:PUBLISH and one VEVENT at the stored UTC time; an activity they may not see answers 404.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from icalendar import Calendar

from partnera.activities import ical
from partnera.activities.models import ActivityKind, ActivityStatus
from partnera.activities.tests.factories import ActivityFactory, sofia
from partnera.core.models import AuditEntry
from partnera.core.roles import Role

pytestmark = pytest.mark.django_db

SUMMER = dt.date(2025, 7, 1)
WINTER = dt.date(2025, 1, 14)


def ics_url(activity) -> str:
    return reverse("activities:activity_ics", args=[activity.pk])


def download(client, activity):
    response = client.get(ics_url(activity))
    assert response.status_code == 200, response.status_code
    return response, Calendar.from_ical(response.content)


def test_the_url_name_and_path():
    assert reverse("activities:activity_ics", args=[5]) == "/activities/5/ics"


def test_a_meeting_downloads_as_one_published_event(client, manager):
    meeting = ActivityFactory(owner=manager, kind=ActivityKind.MEETING, subject="Среща с „Агро“",
                              starts_at=sofia(SUMMER, 10), duration_minutes=60,
                              online_link="https://meet.example.test/abc")
    client.force_login(manager)

    response, calendar = download(client, meeting)

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="sreshta-s-agro.ics"'
    assert str(calendar["METHOD"]) == "PUBLISH"
    [event] = calendar.events
    assert str(event["UID"]) == f"activity-{meeting.pk}@testserver"
    assert str(event["SUMMARY"]) == "Среща с „Агро“"
    assert event.start == meeting.starts_at and (event.start.hour, event.start.minute) == (7, 0)
    assert event.end - event.start == dt.timedelta(hours=1)
    assert str(event["LOCATION"]) == "https://meet.example.test/abc"
    assert str(event["STATUS"]) == "CONFIRMED" and "TRANSP" not in event  # opaque: busy
    assert "CLASS" not in event and [str(c) for c in event.categories] == ["Среща"]  # in Bulgarian
    assert str(event["URL"]) == f"http://testserver/activities/{meeting.pk}/"
    _again, calendar_again = download(client, meeting)
    assert str(calendar_again.events[0]["UID"]) == str(event["UID"])


def test_a_winter_meeting_is_two_hours_behind_sofia_in_utc(client, manager):
    meeting = ActivityFactory(owner=manager, starts_at=sofia(WINTER, 10))
    client.force_login(manager)
    response, calendar = download(client, meeting)
    assert "DTSTART:20250114T080000Z" in response.content.decode()
    assert calendar.events[0].start == meeting.starts_at


def test_a_cancelled_meeting_says_so(client, manager):
    meeting = ActivityFactory(owner=manager, starts_at=sofia(SUMMER, 10), status=ActivityStatus.CANCELLED)
    client.force_login(manager)
    _response, calendar = download(client, meeting)
    assert str(calendar.events[0]["STATUS"]) == "CANCELLED"


def test_a_subject_with_no_latin_letters_still_gives_a_file_name(client, manager):
    meeting = ActivityFactory(owner=manager, starts_at=sofia(SUMMER, 10), subject="!!!")
    client.force_login(manager)
    response, _calendar = download(client, meeting)
    assert response["Content-Disposition"] == f'attachment; filename="activity-{meeting.pk}.ics"'


def test_an_activity_the_user_may_not_see_answers_404(client, manager, other_manager, head_of_sales):
    theirs = ActivityFactory(owner=other_manager, starts_at=sofia(SUMMER, 10))
    private = ActivityFactory(owner=manager, starts_at=sofia(SUMMER, 10), private=True)
    client.force_login(manager)
    assert client.get(ics_url(theirs)).status_code == 404
    assert client.get("/activities/999999999/ics").status_code == 404
    client.force_login(head_of_sales)
    assert client.get(ics_url(private)).status_code == 404
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS_DENIED,
                                     object_id=str(private.pk)).exists()


def test_a_head_of_sales_downloads_a_team_members_open_meeting(client, manager, head_of_sales):
    meeting = ActivityFactory(owner=manager, starts_at=sofia(SUMMER, 10))
    client.force_login(head_of_sales)
    _response, calendar = download(client, meeting)
    assert len(calendar.events) == 1


def test_the_download_needs_a_login(client, manager):
    meeting = ActivityFactory(owner=manager, starts_at=sofia(SUMMER, 10))
    response = client.get(ics_url(meeting))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_escaping_in_the_builder(manager, make_user):
    colleague = make_user(Role.ACCOUNT_MANAGER, email="", first_name="Без", last_name="Поща")
    task = ActivityFactory(owner=manager, kind=ActivityKind.TASK, starts_at=sofia(SUMMER, 14),
                           duration_minutes=None, subject="Изпрати, провери; готово",
                           agenda="ред 1\nред 2, с; знаци", private=True, place="Офис")
    task.participant_users.add(colleague)

    body = ical.single_calendar(task, host="crm.example.test", url="https://crm.example.test/a/1/")
    event = Calendar.from_ical(body).events[0]

    assert str(event["SUMMARY"]) == "Изпрати, провери; готово"
    assert str(event["DESCRIPTION"]).startswith("ред 1\nред 2, с; знаци\n")
    assert str(event["CLASS"]) == "PRIVATE" and str(event["TRANSP"]) == "TRANSPARENT"
    assert event.end - event.start == dt.timedelta(minutes=15)
    assert "ATTENDEE" not in event  # a colleague without an e-mail address is left out
    assert str(event["UID"]) == f"activity-{task.pk}@crm.example.test"
    text = body.decode()
    assert "SUMMARY:Изпрати\\, провери\\; готово" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
