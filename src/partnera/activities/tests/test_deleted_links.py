"""Activities whose company or deal is deleted or merged, and out-of-range dates in the list.

- A company in the trash takes its activities with it (lists, calendar, feed, "My day",
  reminders); an activity with no company stays; restoring the company brings them back.
- A deleted deal leaves its activities in place (they are the company's and the owner's calendar
  too) but they no longer link to it; they can still be edited, completed, deleted, restored and
  remind their users.
- A company merge recomputes the survivor's last contact from the activities it received.
- A date the database cannot take in the list's filter (year 1, year 9999) is an error next to
  the field (web) or a 400 naming the parameter (API), never a 500.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from partnera.activities import calendar as cal
from partnera.activities import feeds, myday, services
from partnera.activities.models import Activity, ActivityStatus, CompanyContact, Reminder
from partnera.activities.reminders import reminder_deliver
from partnera.activities.selectors import activity_get, activity_queryset
from partnera.activities.tests.factories import SOFIA, ActivityFactory, ReminderFactory, sofia
from partnera.clients import services as client_services
from partnera.clients.merge import company_merge
from partnera.clients.tests.factories import CompanyFactory
from partnera.core.errors import NotFound, ValidationFailed
from partnera.core.home import home_view
from partnera.people.services import token_create
from partnera.sales import services as sales_services
from partnera.sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate(timezone=SOFIA)
TOMORROW = TODAY + dt.timedelta(days=1)


def api_get(client, user, path: str, params: dict | None = None):
    _token, secret = token_create(actor=None, user=user, name="tests")
    return client.get("/api/v1" + path, params or {}, HTTP_AUTHORIZATION=f"Bearer {secret}",
                      HTTP_ACCEPT_LANGUAGE="en")


def ids(items) -> set[int]:
    return {a.pk for a in items}


# --- a company in the trash ----------------------------------------------------------------------

def test_a_deleted_companys_activities_leave_every_list_and_come_back_with_it(
        client, manager, head_of_sales):
    company = CompanyFactory(owner=manager, legal_name="Изтрита ЕООД")
    now = sofia(TOMORROW, 9)
    today = ActivityFactory(owner=manager, company=company, starts_at=sofia(TOMORROW, 11),
                            subject="Среща с изтрития")
    late = ActivityFactory(owner=manager, company=company, starts_at=sofia(TODAY, 0) - dt.timedelta(days=3),
                           subject="Просрочено към изтрития")
    free = ActivityFactory(owner=manager, starts_at=sofia(TOMORROW, 12), subject="Без фирма")
    late_free = ActivityFactory(owner=manager, starts_at=sofia(TODAY, 0) - dt.timedelta(days=2))
    reminder = ReminderFactory(activity=today, remind_at=timezone.now() - dt.timedelta(minutes=1))
    client_services.company_delete(actor=manager, company=company)

    assert ids(activity_queryset(user=manager)) == {free.pk, late_free.pk}
    with pytest.raises(NotFound):
        activity_get(user=manager, pk=today.pk)
    week = cal.calendar_events(user=manager, who=cal.calendar_who(user=manager, who="me"),
                               start=sofia(TOMORROW, 0), end=sofia(TOMORROW + dt.timedelta(days=1), 0))
    assert ids(week.activities) == {free.pk}
    assert ids(cal.feed_activities(user=manager)) == {free.pk, late_free.pk}
    listed = api_get(client, manager, "/activities", {"view": "all"}).json()
    assert {i["id"] for i in listed["items"]} == {free.pk, late_free.pk} and listed["count"] == 2
    for view in (home_view(user=manager, now=now), home_view(user=head_of_sales, team=True, now=now)):
        assert ids(myday.agenda(view=view).items) == {free.pk}
        overdue = myday.overdue(view=view)
        assert ids(overdue.items) == {late_free.pk} and overdue.count == 1
    client.force_login(manager)
    page = client.get(reverse("activities:activity_list"), {"view": "all"}).content.decode()
    assert "Без фирма" in page and "Среща с изтрития" not in page
    assert reminder_deliver(reminder_id=reminder.pk) == "not_visible"
    assert Reminder.objects.get(pk=reminder.pk).sent_at is None and mail.outbox == []

    client_services.company_restore(actor=manager, company=company)

    assert ids(activity_queryset(user=manager)) == {today.pk, late.pk, free.pk, late_free.pk}
    assert reminder_deliver(reminder_id=reminder.pk) == "notified_emailed"


# --- a deleted deal ------------------------------------------------------------------------------

def test_a_deleted_deals_activities_stay_without_linking_to_it(client, manager):
    deal = DealFactory(owner=manager, title="Изтрита сделка")
    call = ActivityFactory(owner=manager, company=deal.company, deal=deal,
                           starts_at=sofia(TOMORROW, 10), subject="Обаждане по сделката")
    done = ActivityFactory(owner=manager, company=deal.company, deal=deal,
                           starts_at=sofia(TOMORROW, 8), subject="Свършено по сделката")
    reminder = ReminderFactory(activity=call, remind_at=timezone.now() - dt.timedelta(minutes=1))
    services.activity_delete(actor=manager, activity=done)
    sales_services.deal_delete(actor=manager, deal=deal)

    # The activities stay in the calendar and the API, the deal's link is gone.
    found = cal.calendar_events(user=manager, who=cal.calendar_who(user=manager, who="me"),
                                start=sofia(TOMORROW, 0), end=sofia(TOMORROW + dt.timedelta(days=1), 0))
    assert ids(found.activities) == {call.pk} and found.activities[0].deal_visible is False
    body = api_get(client, manager, f"/activities/{call.pk}").json()
    assert body["deal"] is None and body["company"]["id"] == deal.company_id
    client.force_login(manager)
    page = client.get(reverse("activities:activity_detail", args=[call.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Обаждане по сделката" in page and "Изтрита сделка" not in page
    assert reverse("sales:deal_detail", args=[deal.pk]) not in page
    ics = Calendar.from_ical(client.get(reverse("activities:activity_ics", args=[call.pk])).content)
    assert "Изтрита сделка" not in str(ics.events[0]["DESCRIPTION"])

    # Its reminder still goes out; it can be edited, restored, completed with a follow-up.
    assert reminder_deliver(reminder_id=reminder.pk) == "notified_emailed"
    services.activity_update(actor=manager, activity=activity_get(user=manager, pk=call.pk),
                             data={"subject": "Ново име", "deal": deal.pk}, expected_version=None)
    services.activity_restore(actor=manager, activity=Activity.all_objects.get(pk=done.pk))
    assert Activity.objects.filter(pk=done.pk, deal_id=deal.pk).exists()
    services.activity_complete(actor=manager, activity=activity_get(user=manager, pk=call.pk),
                               outcome="Говорихме", follow_up={"starts_at": sofia(TOMORROW, 15)})
    call.refresh_from_db()
    assert (call.subject, call.status, call.deal_id) == ("Ново име", ActivityStatus.DONE, deal.pk)
    follow_up = Activity.objects.get(follow_up_of=call)
    assert follow_up.deal_id is None and follow_up.company_id == deal.company_id


def test_the_deleted_deal_cannot_be_chosen_anew(manager):
    deal = DealFactory(owner=manager)
    call = ActivityFactory(owner=manager, company=deal.company, starts_at=sofia(TOMORROW, 10))
    sales_services.deal_delete(actor=manager, deal=deal)

    with pytest.raises(ValidationFailed) as caught:
        services.activity_update(actor=manager, activity=call, data={"deal": deal.pk},
                                 expected_version=None)
    assert set(caught.value.fields) == {"deal"}
    assert Activity.objects.get(pk=call.pk).deal_id is None


# --- a company merge -----------------------------------------------------------------------------

def test_a_merge_gives_the_survivor_the_latest_contact_of_both(manager):
    survivor = CompanyFactory(owner=manager, legal_name="Оцеляла")
    other = CompanyFactory(owner=manager, legal_name="Слята")
    long_ago = (timezone.now() - dt.timedelta(days=100)).replace(microsecond=0)
    yesterday = (timezone.now() - dt.timedelta(days=1)).replace(microsecond=0)
    for company, at in ((survivor, long_ago), (other, yesterday)):
        services.activity_create(actor=manager, data={
            "kind": "call", "subject": "Обаждане", "starts_at": at, "status": "done",
            "company": company.pk})
    assert CompanyContact.objects.get(company=survivor).last_at == long_ago

    company_merge(actor=manager, survivor=survivor, other=other, survivor_version=None,
                  other_version=None)

    assert CompanyContact.objects.get(company=survivor).last_at == yesterday
    assert not CompanyContact.objects.filter(company_id=other.pk).exists()


# --- dates out of range in the list ---------------------------------------------------------------

@pytest.mark.parametrize(("name", "value"), [("date_from", "0001-01-01"), ("date_to", "9999-12-31"),
                                             ("date_from", "9999-12-31"), ("date_to", "0001-01-01")])
def test_a_far_date_in_the_web_list_is_an_error_next_to_the_field(client, manager, name, value):
    mine = ActivityFactory(owner=manager, subject="Моята задача")
    client.force_login(manager)
    before = list(Activity.all_objects.values())

    response = client.get(reverse("activities:activity_list"), {"view": "all", name: value},
                          HTTP_ACCEPT_LANGUAGE="en")
    partial = client.get(reverse("activities:activity_list"), {"view": "all", name: value},
                         HTTP_ACCEPT_LANGUAGE="en", HTTP_HX_REQUEST="true",
                         HTTP_HX_TARGET="activity-results")

    assert response.status_code == 200 and partial.status_code == 200
    assert response.context["form"].errors == {name: ["Enter a date between 1901 and 2199."]}
    assert '<p class="error" role="alert">Enter a date between 1901 and 2199.</p>' in \
        response.content.decode()
    assert "Enter a date between 1901 and 2199." in partial.content.decode()
    assert mine.subject in response.content.decode()  # the other filters still apply
    assert list(Activity.all_objects.values()) == before


@pytest.mark.parametrize(("name", "value"), [("from", "0001-01-01"), ("to", "9999-12-31"),
                                             ("from", "9999-12-31"), ("to", "0001-01-01")])
def test_a_far_date_in_the_api_list_is_a_400_naming_it(client, manager, name, value):
    response = api_get(client, manager, "/activities", {name: value})

    assert response.status_code == 400
    assert response.json()["fields"] == {name: ["Enter a date between 1901 and 2199."]}


def test_dates_within_range_still_filter_the_api_list(client, manager):
    inside = ActivityFactory(owner=manager, starts_at=sofia(dt.date(2199, 12, 31), 10))
    ActivityFactory(owner=manager, starts_at=sofia(dt.date(1901, 1, 2), 10))

    response = api_get(client, manager, "/activities", {"from": "2199-12-31", "to": "2199-12-31"})

    assert response.status_code == 200
    assert [i["id"] for i in response.json()["items"]] == [inside.pk]


def test_the_feed_of_a_deleted_company_is_empty_of_it(client, manager):
    company = CompanyFactory(owner=manager)
    ActivityFactory(owner=manager, company=company, starts_at=sofia(TOMORROW, 10), subject="Скрито")
    _feed, secret = feeds.calendar_feed_create(actor=manager, user=manager)
    client_services.company_delete(actor=manager, company=company)

    body = client.get(reverse("feeds:feed", kwargs={"token": secret})).content.decode()

    assert "Скрито" not in body and Calendar.from_ical(body).events == []
