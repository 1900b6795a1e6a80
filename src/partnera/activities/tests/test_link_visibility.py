"""What an activity links to is shown only to whoever may see it by its own rule.

Given an account manager who logs a call on a company, deal and lead shared with them alone (by
RecordShare) with the client's contact taking part, when a teammate sees the activity through
their team's grant, then the calendar (pages, API, feed, .ics), the activity's page, form and
API, the list, "My day" and the reminder never name the company, the deal, the lead or the
contact (nor give the contact's e-mail address); the manager still sees them all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from partnera.activities import calendar as cal
from partnera.activities import feeds, myday
from partnera.activities.models import Activity
from partnera.activities.reminders import reminder_message
from partnera.activities.tests.factories import SOFIA, ActivityFactory, ReminderFactory, sofia
from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.core.home import home_view
from partnera.core.models import RecordShare
from partnera.core.roles import Role
from partnera.people.services import token_create
from partnera.sales.tests.factories import DealFactory, LeadFactory

pytestmark = pytest.mark.django_db

COMPANY, DEAL, LEAD = "Тайна Фирма", "Тайна сделка", "Тайно запитване"
CONTACT, EMAIL = "Скритов", "secret.person@client.bg"
SECRETS = (COMPANY, DEAL, LEAD, CONTACT, EMAIL)
TOMORROW = timezone.localdate(timezone=SOFIA) + dt.timedelta(days=1)


def leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


@dataclass
class World:
    manager: object
    teammate: object
    activity: Activity
    company: object
    deal: object
    lead: object
    contact: object


@pytest.fixture
def world(manager, other_manager, make_user, team) -> World:
    teammate = make_user(Role.ACCOUNT_MANAGER, team=team, username="teammate")
    company = CompanyFactory(owner=other_manager, legal_name=COMPANY)
    deal = DealFactory(owner=other_manager, company=company, title=DEAL)
    lead = LeadFactory(owner=other_manager, company_name=LEAD, first_name="", last_name="")
    for record_type, record in (("clients.company", company), ("sales.deal", deal),
                                ("sales.lead", lead)):
        RecordShare.objects.create(user=manager, record_type=record_type, record_id=record.pk)
    contact = ContactFactory(company=company, first_name="Петя", last_name=CONTACT, emails=[EMAIL])
    activity = ActivityFactory(owner=manager, company=company, deal=deal, lead=lead,
                               subject="Обсъждане на офертата", starts_at=sofia(TOMORROW, 10))
    activity.participant_contacts.add(contact)
    return World(manager, teammate, activity, company, deal, lead, contact)


def attendees(event) -> list[str]:
    found = event.get("ATTENDEE")
    if found is None:
        return []
    return [str(a) for a in (found if isinstance(found, list) else [found])]


def api_get(client, user, path: str, params: dict | None = None):
    _token, secret = token_create(actor=None, user=user, name="tests")
    return client.get("/api/v1" + path, params or {}, HTTP_AUTHORIZATION=f"Bearer {secret}",
                      HTTP_ACCEPT_LANGUAGE="en")


def test_the_teammate_sees_the_activity_through_the_team_grant_only(world):
    from partnera.activities.selectors import activity_queryset

    assert activity_queryset(user=world.teammate).filter(pk=world.activity.pk).exists()
    assert not world.activity.participant_users.filter(pk=world.teammate.pk).exists()


def test_the_activity_api_gives_null_for_what_the_reader_may_not_see(client, world):
    path = f"/activities/{world.activity.pk}"

    mine = api_get(client, world.manager, path).json()
    theirs = api_get(client, world.teammate, path)
    listed = api_get(client, world.teammate, "/activities", {"view": "all"})

    assert mine["company"] == {"id": world.company.pk, "name": COMPANY}
    assert mine["deal"] == {"id": world.deal.pk, "title": DEAL}
    assert mine["lead"] == {"id": world.lead.pk, "name": LEAD}
    assert [c["id"] for c in mine["participant_contacts"]] == [world.contact.pk]
    body = theirs.json()
    assert theirs.status_code == 200 and body["subject"] == "Обсъждане на офертата"
    assert (body["company"], body["deal"], body["lead"], body["participant_contacts"]) == (
        None, None, None, [])
    [item] = [i for i in listed.json()["items"] if i["id"] == world.activity.pk]
    assert (item["company"], item["deal"], item["lead"], item["participant_contacts"]) == (
        None, None, None, [])
    assert leaks(theirs.content.decode()) == [] and leaks(listed.content.decode()) == []


def test_the_activity_page_names_only_what_the_viewer_may_see(client, world):
    url = reverse("activities:activity_detail", args=[world.activity.pk])
    client.force_login(world.teammate)

    theirs = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.force_login(world.manager)
    mine = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Обсъждане на офертата" in theirs and leaks(theirs) == []
    assert "a client you cannot see" in theirs and "a deal you cannot see" in theirs
    assert "a lead you cannot see" in theirs
    assert reverse("clients:company_detail", args=[world.company.pk]) not in theirs
    assert reverse("sales:deal_detail", args=[world.deal.pk]) not in theirs
    assert set(leaks(mine)) == {COMPANY, DEAL, LEAD, CONTACT}
    assert reverse("sales:deal_detail", args=[world.deal.pk]) in mine


def test_the_edit_form_hides_the_deal_and_saving_it_keeps_the_links(client, world):
    url = reverse("activities:activity_edit", args=[world.activity.pk])
    client.force_login(world.teammate)

    form = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert form.status_code == 200 and leaks(form.content.decode()) == []
    assert f'<option value="{world.deal.pk}" selected>a deal you cannot see</option>' in \
        form.content.decode()
    data = {k: v for k, v in form.context["form"].initial.items() if v is not None}
    data.update(subject="Обсъждане, част 2", version=str(world.activity.version))
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302, response.context["form"].errors
    saved = Activity.objects.get(pk=world.activity.pk)
    assert saved.subject == "Обсъждане, част 2"
    assert (saved.company_id, saved.deal_id, saved.lead_id) == (
        world.company.pk, world.deal.pk, world.lead.pk)
    assert list(saved.participant_contacts.values_list("pk", flat=True)) == [world.contact.pk]


def test_the_activity_list_names_only_what_the_viewer_may_see(client, world):
    world.activity.participant_users.add(world.teammate)  # "mine" lists what they take part in
    client.force_login(world.teammate)

    content = client.get(reverse("activities:activity_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Обсъждане на офертата" in content and leaks(content) == []
    assert "a client you cannot see" in content and "a deal you cannot see" in content


@pytest.mark.parametrize("view", ["week", "month"])
def test_the_team_calendar_does_not_name_a_hidden_company(client, world, view):
    client.force_login(world.teammate)

    content = client.get(reverse("activities:calendar"), {
        "who": "team", "view": view, "date": TOMORROW.isoformat()}).content.decode()
    client.force_login(world.manager)
    mine = client.get(reverse("activities:calendar"), {
        "view": "week", "date": TOMORROW.isoformat()}).content.decode()

    assert cal.activity_url(world.activity.pk) in content and leaks(content) == []
    assert COMPANY in mine


def test_the_calendar_api_gives_null_company_and_deal(client, world):
    params = {"start": TOMORROW.isoformat(), "end": (TOMORROW + dt.timedelta(days=1)).isoformat()}

    theirs = api_get(client, world.teammate, "/calendar/events", {**params, "who": "team"})
    mine = api_get(client, world.manager, "/calendar/events", params).json()

    [event] = theirs.json()["events"]
    assert event["id"] == world.activity.pk and event["company"] is None and event["deal"] is None
    assert leaks(theirs.content.decode()) == []
    [own] = mine["events"]
    assert own["company"] == {"id": world.company.pk, "name": COMPANY}
    assert own["deal"] == {"id": world.deal.pk, "name": DEAL}


def test_the_ics_download_leaves_out_what_the_reader_may_not_see(client, world):
    url = reverse("activities:activity_ics", args=[world.activity.pk])
    client.force_login(world.teammate)

    theirs = client.get(url)
    client.force_login(world.manager)
    mine = client.get(url)

    [event] = Calendar.from_ical(theirs.content).events
    assert theirs.status_code == 200 and "ATTENDEE" not in event
    assert leaks(str(event["DESCRIPTION"])) == [] and leaks(theirs.content.decode()) == []
    [own] = Calendar.from_ical(mine.content).events
    assert attendees(own) == [f"mailto:{EMAIL}"]
    assert COMPANY in str(own["DESCRIPTION"]) and DEAL in str(own["DESCRIPTION"])


def test_the_feed_reads_as_its_owner_sees(client, world):
    world.activity.participant_users.add(world.teammate)
    _feed, theirs_secret = feeds.calendar_feed_create(actor=world.teammate, user=world.teammate)
    _feed, my_secret = feeds.calendar_feed_create(actor=world.manager, user=world.manager)

    theirs = client.get(reverse("feeds:feed", kwargs={"token": theirs_secret}))
    mine = client.get(reverse("feeds:feed", kwargs={"token": my_secret}))

    [event] = Calendar.from_ical(theirs.content).events
    assert str(event["SUMMARY"]) == "Обсъждане на офертата"
    assert leaks(theirs.content.decode()) == []
    assert leaks(mine.content.decode()) != [] and EMAIL in mine.content.decode()


def test_my_day_does_not_name_a_hidden_company(client, world, head_of_sales):
    world.activity.participant_users.add(world.teammate)
    overdue = ActivityFactory(owner=world.manager, company=world.company, subject="Просрочено",
                              starts_at=timezone.now() - dt.timedelta(days=2))

    agenda = myday.agenda(view=home_view(user=world.teammate, now=world.activity.starts_at))
    client.force_login(head_of_sales)
    page = client.get("/", {"view": "team"}).content.decode()

    assert [a.pk for a in agenda.items] == [world.activity.pk]
    assert agenda.items[0].company_visible is False
    assert myday.activity_item(agenda.items[0])["company"] is None
    assert "Просрочено" in page and COMPANY not in page
    mine = myday.overdue(view=home_view(user=world.manager))
    assert [myday.activity_item(a)["company"] for a in mine.items if a.pk == overdue.pk] == [
        {"id": world.company.pk, "name": COMPANY}]


def test_a_reminder_does_not_name_what_its_user_may_not_see(world):
    theirs = reminder_message(ReminderFactory(activity=world.activity, user=world.teammate))
    mine = reminder_message(ReminderFactory(activity=world.activity, user=world.manager))

    assert leaks(" ".join(theirs.values())) == []
    assert COMPANY in mine["body"] and CONTACT in mine["body"]


def test_the_selector_says_what_each_reader_may_see(world):
    from partnera.activities.selectors import activity_get

    seen = activity_get(user=world.teammate, pk=world.activity.pk)
    assert (seen.company_visible, seen.deal_visible, seen.lead_visible) == (False, False, False)
    own = activity_get(user=world.manager, pk=world.activity.pk)
    assert (own.company_visible, own.deal_visible, own.lead_visible) == (True, True, True)
