"""The secret calendar address (iCalendar feed): its services, the public feed, its page.

Given a user with a feed address, when a calendar program fetches it, then it gets that user's
own activities and those they take part in, never anyone else's; a revoked or replaced address
answers 404 like one that never existed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from partnera.activities import feeds
from partnera.activities.models import ActivityKind, ActivityStatus, CalendarFeed
from partnera.activities.tests.factories import ActivityFactory, sofia
from partnera.core.errors import Conflict, NotFound, PermissionDenied
from partnera.core.models import AuditEntry

pytestmark = pytest.mark.django_db

FEED_PAGE = "/activities/calendar/feed/"


def upcoming(month: int, day: int) -> dt.date:
    """The next `month`/`day` at least two days ahead (always within the feed's year)."""
    today = timezone.localdate()
    candidate = dt.date(today.year, month, day)
    if candidate < today + dt.timedelta(days=2):
        candidate = dt.date(today.year + 1, month, day)
    return candidate


def feed_path(secret: str) -> str:
    return reverse("feeds:feed", kwargs={"token": secret})


def fetch(client, secret: str, **headers):
    return client.get(feed_path(secret), **headers)


def parsed(response) -> Calendar:
    assert response.status_code == 200
    return Calendar.from_ical(response.content)


def events_by_uid(calendar: Calendar) -> dict[str, object]:
    return {str(event["UID"]): event for event in calendar.events}


def uid(activity) -> str:
    return f"activity-{activity.pk}@testserver"


def feeds_state() -> list[dict]:
    return list(CalendarFeed.objects.order_by("pk").values())


# --- services ------------------------------------------------------------------------------------

def test_creating_an_address_stores_only_the_hash(manager):
    feed, secret = feeds.calendar_feed_create(actor=manager, user=manager)

    assert len(secret) >= 43
    assert feed.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(feeds_state())
    assert feeds.calendar_feed_user(secret) == manager
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TOKEN_CREATE,
                                     object_type="activities.calendarfeed").count() == 1


def test_creating_a_second_address_is_a_conflict_and_changes_nothing(manager):
    feeds.calendar_feed_create(actor=manager, user=manager)
    before = feeds_state()
    with pytest.raises(Conflict):
        feeds.calendar_feed_create(actor=manager, user=manager)
    assert feeds_state() == before


def test_nobody_creates_or_resets_an_address_for_someone_else(manager, admin_user):
    for service in (feeds.calendar_feed_create, feeds.calendar_feed_reset):
        with pytest.raises(PermissionDenied):
            service(actor=admin_user, user=manager)
    assert feeds_state() == []


def test_resetting_replaces_the_secret(manager):
    _feed, old = feeds.calendar_feed_create(actor=manager, user=manager)
    _feed, new = feeds.calendar_feed_reset(actor=manager, user=manager)
    assert old != new
    assert feeds.calendar_feed_user(old) is None and feeds.calendar_feed_user(new) == manager
    assert CalendarFeed.objects.count() == 1


def test_revoking(manager, other_manager, admin_user):
    feeds.calendar_feed_create(actor=manager, user=manager)
    before = feeds_state()
    with pytest.raises(PermissionDenied):
        feeds.calendar_feed_revoke(actor=other_manager, user=manager)
    assert feeds_state() == before
    feeds.calendar_feed_revoke(actor=admin_user, user=manager)  # an administrator may stop it
    assert feeds_state() == []
    with pytest.raises(NotFound):
        feeds.calendar_feed_revoke(actor=manager, user=manager)


@pytest.mark.parametrize("secret", ["", "short", "x" * 300, "../../etc/passwd", "ab cd" * 10])
def test_malformed_secrets_open_nothing(manager, secret):
    feeds.calendar_feed_create(actor=manager, user=manager)
    assert feeds.calendar_feed_user(secret) is None


# --- the public feed ----------------------------------------------------------------------------

@pytest.fixture
def feed_of():
    def _make(user) -> str:
        return feeds.calendar_feed_reset(actor=user, user=user)[1]
    return _make


def test_the_feed_is_an_icalendar_file_with_sensible_headers(client, manager, feed_of):
    secret = feed_of(manager)
    response = fetch(client, secret)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=900"
    assert response["X-Content-Type-Options"] == "nosniff"
    calendar = parsed(response)
    assert str(calendar["X-WR-CALNAME"]) == f"Partnera — {manager.get_full_name()}"
    assert str(calendar["METHOD"]) == "PUBLISH" and str(calendar["VERSION"]) == "2.0"
    assert b"\r\n" in response.content  # RFC 5545 line endings


def test_the_feed_holds_my_activities_and_those_i_take_part_in_only(client, manager, other_manager,
                                                                    head_of_sales, feed_of):
    day = upcoming(7, 1)
    mine = ActivityFactory(owner=manager, starts_at=sofia(day, 10))
    my_private = ActivityFactory(owner=manager, starts_at=sofia(day, 12), private=True)
    invited = ActivityFactory(owner=other_manager, starts_at=sofia(day, 14), private=True)
    invited.participant_users.add(manager)
    others = ActivityFactory(owner=other_manager, starts_at=sofia(day, 9))
    others_private = ActivityFactory(owner=other_manager, starts_at=sofia(day, 11), private=True,
                                     subject="Тайна среща")
    done = ActivityFactory(owner=manager, starts_at=sofia(day, 16), status=ActivityStatus.DONE)
    cancelled = ActivityFactory(owner=manager, starts_at=sofia(day, 17), status=ActivityStatus.CANCELLED)
    too_old = ActivityFactory(owner=manager, starts_at=timezone.now() - dt.timedelta(days=61))
    too_far = ActivityFactory(owner=manager, starts_at=timezone.now() + dt.timedelta(days=366))
    recent = ActivityFactory(owner=manager, starts_at=timezone.now() - dt.timedelta(days=59))
    deleted = ActivityFactory(owner=manager, starts_at=sofia(day, 18), deleted_at=timezone.now())

    response = fetch(client, feed_of(manager))
    found = events_by_uid(parsed(response))

    assert set(found) == {uid(a) for a in (mine, my_private, invited, done, recent)}
    assert str(found[uid(done)]["STATUS"]) == "CONFIRMED"
    assert str(found[uid(my_private)]["CLASS"]) == "PRIVATE"
    assert b"\xd0\xa2\xd0\xb0\xd0\xb9\xd0\xbd\xd0\xb0" not in response.content  # "Тайна"
    for absent in (others, others_private, cancelled, too_old, too_far, deleted):
        assert uid(absent).encode() not in response.content
    # The other manager's feed never shows mine, even to the head of sales' feed.
    theirs = events_by_uid(parsed(fetch(client, feed_of(other_manager))))
    assert uid(mine) not in theirs and uid(my_private) not in theirs and uid(invited) in theirs
    assert events_by_uid(parsed(fetch(client, feed_of(head_of_sales)))) == {}


def test_times_are_utc_summer_and_winter(client, manager, feed_of):
    summer = ActivityFactory(owner=manager, starts_at=sofia(upcoming(7, 1), 10), duration_minutes=90)
    winter = ActivityFactory(owner=manager, starts_at=sofia(upcoming(1, 14), 10), duration_minutes=45)

    response = fetch(client, feed_of(manager))
    found = events_by_uid(parsed(response))

    s, w = found[uid(summer)], found[uid(winter)]
    assert s.start == summer.starts_at and s.start.utcoffset() == dt.timedelta(0)
    assert (s.start.hour, s.start.minute) == (7, 0) and s.end - s.start == dt.timedelta(minutes=90)
    assert (w.start.hour, w.start.minute) == (8, 0) and w.end - w.start == dt.timedelta(minutes=45)
    assert w.start == winter.starts_at
    text = response.content.decode()
    assert f"DTSTART:{summer.starts_at.astimezone(dt.UTC):%Y%m%dT070000Z}" in text
    assert f"DTSTART:{winter.starts_at.astimezone(dt.UTC):%Y%m%dT080000Z}" in text
    assert "VTIMEZONE" not in text


def test_cyrillic_and_escaping_survive_the_round_trip(client, manager, feed_of, make_user):
    from partnera.clients.tests.factories import CompanyFactory, ContactFactory

    company = CompanyFactory(owner=manager, legal_name="Агро, Юг; ООД")
    contact = ContactFactory(company=company, first_name="Петя", last_name="Колева",
                             emails=["petya@agro.test"])
    colleague = make_user(email="kolega@partnera.test", first_name="Колега", last_name="Втори")
    agenda = "Точка 1, цени; срокове\nТочка 2: договор\\анекс"
    activity = ActivityFactory(owner=manager, starts_at=sofia(upcoming(7, 1), 10), company=company,
                               kind=ActivityKind.MEETING, subject="Среща с „Агро“, етап 2; оферта",
                               agenda=agenda, place="София, бул. Витоша 1")
    activity.participant_users.add(colleague)
    activity.participant_contacts.add(contact)

    response = fetch(client, feed_of(manager))
    event = events_by_uid(parsed(response))[uid(activity)]

    assert str(event["SUMMARY"]) == "Среща с „Агро“, етап 2; оферта"
    assert str(event["LOCATION"]) == "София, бул. Витоша 1"
    description = str(event["DESCRIPTION"])
    assert description.startswith(agenda + "\n")
    assert "Агро, Юг; ООД" in description
    assert f"/activities/{activity.pk}/" in description and str(event["URL"]).endswith(
        f"/activities/{activity.pk}/")
    raw = response.content.decode()
    assert "SUMMARY:Среща с „Агро“\\, етап 2\\; оферта" in raw
    assert "Точка 1\\, цени\\; срокове\\nТочка 2: договор\\\\анекс" in raw.replace("\r\n ", "")
    assert str(event["ORGANIZER"]) == f"mailto:{manager.email}"
    attendees = sorted(str(a) for a in event.get("ATTENDEE"))
    assert attendees == ["mailto:kolega@partnera.test", "mailto:petya@agro.test"]
    assert event["SEQUENCE"] == activity.version - 1
    assert event["LAST-MODIFIED"].dt == activity.updated_at.replace(microsecond=0)
    assert "DTSTAMP" in event


def test_a_script_in_a_subject_is_plain_text_in_the_feed(client, manager, feed_of):
    activity = ActivityFactory(owner=manager, starts_at=sofia(upcoming(7, 1), 10),
                               subject="<script>alert(1)</script>")
    response = fetch(client, feed_of(manager))
    assert response["Content-Type"].startswith("text/calendar")
    assert "sandbox" in response["Content-Security-Policy"]
    assert str(events_by_uid(parsed(response))[uid(activity)]["SUMMARY"]) == "<script>alert(1)</script>"


def test_uids_are_stable_and_an_unchanged_feed_answers_304(client, manager, feed_of):
    activity = ActivityFactory(owner=manager, starts_at=sofia(upcoming(7, 1), 10))
    secret = feed_of(manager)
    first, second = fetch(client, secret), fetch(client, secret)

    assert first.content == second.content
    assert list(events_by_uid(parsed(first))) == [uid(activity)]
    not_modified = fetch(client, secret, HTTP_IF_NONE_MATCH=first["ETag"])
    assert not_modified.status_code == 304 and not_modified.content == b""


def test_uids_follow_the_configured_site_address_whichever_host_was_asked(client, manager, feed_of,
                                                                          settings):
    settings.PARTNERA_SITE_URL = "https://crm.example.bg"
    activity = ActivityFactory(owner=manager, starts_at=sofia(upcoming(7, 1), 10))
    secret = feed_of(manager)

    assert list(events_by_uid(parsed(fetch(client, secret)))) == [
        f"activity-{activity.pk}@crm.example.bg"]


def test_revoked_reset_and_unknown_addresses_answer_404(client, manager, feed_of):
    old = feed_of(manager)
    assert fetch(client, old).status_code == 200
    new = feed_of(manager)  # reset
    assert fetch(client, old).status_code == 404
    assert fetch(client, new).status_code == 200
    feeds.calendar_feed_revoke(actor=manager, user=manager)
    assert fetch(client, new).status_code == 404
    assert client.get("/calendar/feed/" + "A" * 43 + ".ics").status_code == 404
    assert client.get("/calendar/feed/not-a-token").status_code == 404


def test_an_inactive_users_feed_answers_404(client, manager, feed_of):
    secret = feed_of(manager)
    manager.is_active = False
    manager.save()
    assert fetch(client, secret).status_code == 404


def test_the_feed_records_when_it_was_last_read(client, manager, feed_of):
    secret = feed_of(manager)
    assert CalendarFeed.objects.get(user=manager).last_used_at is None
    fetch(client, secret)
    assert CalendarFeed.objects.get(user=manager).last_used_at is not None


def test_the_feed_reads_in_a_constant_number_of_queries(client, manager, feed_of):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    secret = feed_of(manager)
    fetch(client, secret)  # marks the feed as used

    def count(n: int) -> int:
        for i in range(n):
            a = ActivityFactory(owner=manager, starts_at=sofia(upcoming(7, 1), 8 + i % 10))
            a.participant_users.add(manager)
        with CaptureQueriesContext(connection) as ctx:
            assert fetch(client, secret).status_code == 200
        return len(ctx)

    assert count(2) == count(20)


# --- the feed page ---------------------------------------------------------------------------------

def test_the_page_shows_the_address_once_after_creating_it(client, manager):
    client.force_login(manager)
    client.cookies["partnera_language"] = "en"
    first = client.get(FEED_PAGE).content.decode()
    assert reverse("activities:calendar_feed_create") in first

    created = client.post(reverse("activities:calendar_feed_create"))
    content = created.content.decode()
    url = re.search(r'id="feed-url">(http://testserver/calendar/feed/[A-Za-z0-9_-]+\.ics)<', content).group(1)
    assert created.status_code == 200 and created["Cache-Control"].startswith("max-age=0")
    assert "webcal://testserver/calendar/feed/" in content
    assert "“From URL”" in content and "Subscribe from web" in content
    assert client.get(url).status_code == 200
    again = client.get(FEED_PAGE).content.decode()
    assert url not in again and reverse("activities:calendar_feed_reset") in again


def test_creating_twice_on_the_page_shows_an_error_and_keeps_the_address(client, manager):
    client.force_login(manager)
    client.post(reverse("activities:calendar_feed_create"))
    before = feeds_state()
    response = client.post(reverse("activities:calendar_feed_create"))
    assert response.status_code == 409 and feeds_state() == before
    assert "feed-url" not in response.content.decode()


def test_reset_and_revoke_on_the_page(client, manager):
    client.force_login(manager)
    content = client.post(reverse("activities:calendar_feed_create")).content.decode()
    old = re.search(r'/calendar/feed/([A-Za-z0-9_-]+)\.ics', content).group(1)
    content = client.post(reverse("activities:calendar_feed_reset")).content.decode()
    new = re.search(r'/calendar/feed/([A-Za-z0-9_-]+)\.ics', content).group(1)
    assert old != new and fetch(client, old).status_code == 404 and fetch(client, new).status_code == 200

    response = client.post(reverse("activities:calendar_feed_revoke"))
    assert response.status_code == 302 and response["Location"] == FEED_PAGE
    assert feeds_state() == [] and fetch(client, new).status_code == 404
    assert client.post(reverse("activities:calendar_feed_revoke")).status_code == 404


@pytest.mark.parametrize("name", ["calendar_feed_create", "calendar_feed_reset", "calendar_feed_revoke"])
def test_feed_posts_without_the_csrf_token_are_refused_and_change_nothing(manager, name):
    feeds.calendar_feed_create(actor=manager, user=manager)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)
    assert browser.get(FEED_PAGE).status_code == 200
    before = feeds_state()

    response = browser.post(reverse(f"activities:{name}"))
    assert response.status_code == 403 and feeds_state() == before

    token = browser.cookies["csrftoken"].value
    ok = browser.post(reverse(f"activities:{name}"), {"csrfmiddlewaretoken": token})
    assert ok.status_code in (200, 302, 409)


def test_the_feed_page_needs_a_login_and_refuses_get_on_posts(client, manager):
    assert client.get(FEED_PAGE).status_code == 302
    assert client.post(reverse("activities:calendar_feed_create")).status_code == 302
    client.force_login(manager)
    assert client.get(reverse("activities:calendar_feed_reset")).status_code == 405
    assert feeds_state() == []
