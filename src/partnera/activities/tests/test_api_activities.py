"""Activities and notifications over the API: the same operations as the web UI through the same
services; times ISO 8601 with offsets, naive ones in the user's zone; errors as JSON with the
field; a private activity never seen by anyone else; constant queries on the list."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnera.activities.models import Activity, Reminder
from partnera.activities.tests.factories import SOFIA, ActivityFactory, sofia
from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.core.models import AuditEntry, Notification
from partnera.core.notifications import notify
from partnera.core.roles import Role
from partnera.people.services import token_create
from partnera.sales.models import Deal
from partnera.sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"
TOMORROW = timezone.localdate(timezone=SOFIA) + dt.timedelta(days=1)


class Api:
    def __init__(self, client, user):
        self.client = client
        _token, secret = token_create(actor=None, user=user, name="tests")
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": "en"}

    def get(self, path, params=None):
        return self.client.get(API + path, params or {}, **self.headers)

    def send(self, method, path, body=None):
        return getattr(self.client, method)(API + path, json.dumps(body) if body is not None else "",
                                            content_type="application/json", **self.headers)


def state() -> dict:
    return {"activities": list(Activity.all_objects.order_by("pk").values()),
            "reminders": list(Reminder.objects.order_by("pk").values()),
            "deals": list(Deal.all_objects.order_by("pk").values("pk", "next_activity_at")),
            "audit": AuditEntry.objects.exclude(action="access_denied").count()}


@pytest.fixture
def company(manager):
    return CompanyFactory(owner=manager)


@pytest.fixture
def api(client, manager):
    return Api(client, manager)


def test_create_read_list_and_change(api, manager, company):
    contact = ContactFactory(company=company)
    deal = DealFactory(owner=manager, company=company)
    response = api.send("post", "/activities", {
        "kind": "meeting", "subject": "Среща", "starts_at": f"{TOMORROW.isoformat()}T10:00",
        "ends_at": f"{TOMORROW.isoformat()}T11:30", "deal": deal.pk,
        "participant_contacts": [contact.pk], "online_link": "https://meet.example.com/a",
        "agenda": "Цени"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert dt.datetime.fromisoformat(body["starts_at"]) == sofia(TOMORROW, 10)
    assert body["starts_at"].endswith(("Z", "+00:00"))  # with its offset
    assert body["duration_minutes"] == 90
    assert body["company"] == {"id": company.pk, "name": company.legal_name}
    assert body["deal"]["id"] == deal.pk
    assert body["participant_contacts"][0]["id"] == contact.pk
    assert body["url"] == f"/activities/{body['id']}/"
    assert Deal.objects.get(pk=deal.pk).next_activity_at == sofia(TOMORROW, 10)

    got = api.get(f"/activities/{body['id']}")
    assert got.status_code == 200 and got.json()["subject"] == "Среща"

    listed = api.get("/activities", {"deal": deal.pk})
    assert [a["id"] for a in listed.json()["items"]] == [body["id"]]

    changed = api.send("patch", f"/activities/{body['id']}",
                       {"version": body["version"], "subject": "Среща (нов час)",
                        "starts_at": f"{TOMORROW.isoformat()}T14:00+03:00"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["subject"] == "Среща (нов час)"
    assert Activity.objects.get(pk=body["id"]).starts_at == dt.datetime.combine(
        TOMORROW, dt.time(11), tzinfo=dt.UTC)
    stale = api.send("patch", f"/activities/{body['id']}", {"version": body["version"],
                                                            "subject": "Старо"})
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"


@pytest.mark.parametrize(("day", "utc_hour"), [(dt.date(2030, 1, 15), 8), (dt.date(2030, 7, 15), 7)])
def test_a_naive_ten_oclock_is_sofia_time_per_daylight_saving(api, day, utc_hour):
    response = api.send("post", "/activities", {"kind": "meeting", "subject": "Среща",
                                                "starts_at": f"{day.isoformat()}T10:00:00"})
    assert response.status_code == 201
    stored = Activity.objects.get().starts_at
    assert stored == dt.datetime.combine(day, dt.time(utc_hour), tzinfo=dt.UTC)


def test_log_a_call_and_complete_with_a_follow_up(api, manager, company):
    logged = api.send("post", "/activities", {
        "kind": "call", "subject": "Обаждане", "starts_at": timezone.now().isoformat(),
        "company": company.pk, "status": "done", "outcome": "Иска оферта",
        "follow_up": {"starts_at": f"{TOMORROW.isoformat()}T09:00", "kind": "task"}})
    assert logged.status_code == 201, logged.content
    follow = Activity.objects.get(follow_up_of_id=logged.json()["id"])
    assert follow.kind == "task" and follow.starts_at == sofia(TOMORROW, 9)

    response = api.send("post", f"/activities/{follow.pk}/complete", {
        "outcome": "Офертата е изпратена",
        "follow_up": {"starts_at": f"{TOMORROW.isoformat()}T16:00", "subject": "Обаждане за офертата"}})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["activity"]["status"] == "done"
    assert body["activity"]["outcome"] == "Офертата е изпратена"
    assert body["follow_up"]["subject"] == "Обаждане за офертата"
    assert body["follow_up"]["kind"] == "task"


def test_cancel_delete_restore(api, manager):
    call = ActivityFactory(owner=manager)
    assert api.send("post", f"/activities/{call.pk}/cancel").json()["status"] == "cancelled"
    assert api.send("post", f"/activities/{call.pk}/cancel").status_code == 409
    assert api.send("delete", f"/activities/{call.pk}").status_code == 204
    assert api.get(f"/activities/{call.pk}").status_code == 404
    assert [a["id"] for a in api.get("/activities", {"view": "deleted"}).json()["items"]] == [call.pk]
    restored = api.send("post", f"/activities/{call.pk}/restore")
    assert restored.status_code == 200 and restored.json()["id"] == call.pk


def test_reminders(api, manager):
    meeting = ActivityFactory(owner=manager, starts_at=sofia(TOMORROW, 10))
    response = api.send("put", f"/activities/{meeting.pk}/reminders", {"reminders": [
        {"minutes_before": 15}, {"remind_at": f"{TOMORROW.isoformat()}T08:00", "by_email": False}]})
    assert response.status_code == 200, response.content
    assert [(dt.datetime.fromisoformat(r["remind_at"]), r["by_email"]) for r in response.json()] == [
        (sofia(TOMORROW, 8), False), (sofia(TOMORROW, 9, 45), True)]
    assert len(api.get(f"/activities/{meeting.pk}/reminders").json()) == 2
    before = state()
    bad = api.send("put", f"/activities/{meeting.pk}/reminders",
                   {"reminders": [{"remind_at": "2001-01-01T10:00"}]})
    assert bad.status_code == 400
    assert bad.json()["fields"] == {"remind_at": ["Choose a time in the future."]}
    assert state() == before
    cleared = api.send("put", f"/activities/{meeting.pk}/reminders", {"reminders": []})
    assert cleared.json() == []


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "call", "subject": "x", "starts_at": "2030-01-01T10:00",
      "ends_at": "2030-01-01T09:00"}, "ends_at"),
    ({"kind": "call", "subject": "x", "starts_at": "2030-01-01T10:00",
      "online_link": "javascript:alert(1)"}, "online_link"),
    ({"kind": "call", "subject": "x", "starts_at": "утре"}, "starts_at"),
    ({"kind": "fax", "subject": "x", "starts_at": "2030-01-01T10:00"}, "kind"),
    ({"kind": "call", "subject": "x", "starts_at": "2030-01-01T10:00", "colour": "red"}, "colour"),
    ({"kind": "call", "starts_at": "2030-01-01T10:00"}, "subject"),
    ({"kind": "call", "subject": "x", "starts_at": "2030-01-01T10:00", "status": "done"},
     "starts_at"),
    ({"kind": "call", "subject": "x", "starts_at": "2030-01-01T10:00",
      "follow_up": {"starts_at": "2030-01-02T10:00"}}, "follow_up"),
])
def test_bad_input_answers_400_with_the_field_and_nothing_changes(api, body, field):
    before = state()
    response = api.send("post", "/activities", body)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["fields"], response.json()
    assert state() == before


def test_contacts_and_deals_of_another_company_are_refused(api, manager, company):
    other = CompanyFactory(owner=manager)
    before = state()
    response = api.send("post", "/activities", {
        "kind": "call", "subject": "x", "starts_at": "2030-01-01T10:00", "company": company.pk,
        "participant_contacts": [ContactFactory(company=other).pk]})
    assert response.json()["fields"] == {
        "participant_contacts": ["Choose contacts of the activity's company."]}
    response = api.send("post", "/activities", {
        "kind": "call", "subject": "x", "starts_at": "2030-01-01T10:00", "company": company.pk,
        "deal": DealFactory(owner=manager, company=other).pk})
    assert response.json()["fields"] == {"deal": ["Choose a deal of the activity's company."]}
    assert state()["activities"] == before["activities"]


def test_list_filters_and_bad_parameters(api, manager, company):
    call = ActivityFactory(owner=manager, company=company, kind="call", starts_at=sofia(TOMORROW, 9))
    ActivityFactory(owner=manager, kind="meeting", starts_at=sofia(TOMORROW + dt.timedelta(days=4), 9))
    done = ActivityFactory(owner=manager, status="done", kind="email",
                           starts_at=timezone.now() - dt.timedelta(days=1))

    def ids(**params):
        response = api.get("/activities", params)
        assert response.status_code == 200, response.content
        return [a["id"] for a in response.json()["items"]]

    assert ids(kind="call") == [call.pk]
    assert ids(status="done") == [done.pk]
    assert ids(company=company.pk) == [call.pk]
    assert ids(**{"from": TOMORROW.isoformat(), "to": TOMORROW.isoformat()}) == [call.pk]
    assert ids(**{"from": f"{TOMORROW.isoformat()}T09:30", "order": "asc"}) == [
        a.pk for a in Activity.objects.filter(kind="meeting")]
    for params in ({"kind": "fax"}, {"colour": "red"}, {"from": "вчера"}, {"cursor": "zzz"}):
        response = api.get("/activities", params)
        assert response.status_code == 400, params
        assert response.json()["code"] == "validation_error"


def test_a_private_activity_is_never_seen_by_anyone_else(client, manager, make_user, team,
                                                         admin_user):
    teammate = make_user(Role.ACCOUNT_MANAGER, team=team)
    private = ActivityFactory(owner=manager, private=True)
    for user in (teammate, admin_user):
        other = Api(client, user)
        assert other.get(f"/activities/{private.pk}").status_code == 404
        assert other.get("/activities").json()["items"] == []
        before = state()
        for method, path in [("patch", ""), ("delete", ""), ("post", "/complete"),
                             ("post", "/cancel"), ("put", "/reminders")]:
            body = {"version": 1} if method == "patch" else (
                {"reminders": []} if method == "put" else ({} if path == "/complete" else None))
            response = other.send(method, f"/activities/{private.pk}{path}", body)
            assert response.status_code == 404, (method, path, response.content)
        assert state() == before
    taking_part = make_user(Role.ACCOUNT_MANAGER)
    private.participant_users.add(taking_part)
    assert Api(client, taking_part).get(f"/activities/{private.pk}").status_code == 200


def test_a_reader_gets_403_and_nothing_changes(client, manager, make_user):
    marketing = Api(client, make_user(Role.MARKETING))
    call = ActivityFactory(owner=manager)
    assert marketing.get(f"/activities/{call.pk}").status_code == 200
    before = state()
    for method, path, body in [("patch", "", {"version": 1, "subject": "x"}), ("delete", "", None),
                               ("post", "/complete", {"outcome": "x"}), ("post", "/cancel", None)]:
        response = marketing.send(method, f"/activities/{call.pk}{path}", body)
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "permission_denied"
    assert state() == before


def test_the_list_runs_a_constant_number_of_queries(api, manager, company, make_user):
    colleague = make_user(Role.ACCOUNT_MANAGER)
    api.get("/activities")  # the token's first use is recorded once

    def count(n: int) -> int:
        Activity.objects.all().delete()
        deal = DealFactory(owner=manager, company=company)
        for i in range(n):
            a = ActivityFactory(owner=manager, company=company, deal=deal,
                                starts_at=sofia(TOMORROW, 8) + dt.timedelta(minutes=i))
            a.participant_users.add(colleague)
            a.participant_contacts.add(ContactFactory(company=company))
        with CaptureQueriesContext(connection) as ctx:
            response = api.get("/activities", {"limit": 50})
            assert len(response.json()["items"]) == n
        return len(ctx.captured_queries)

    assert count(2) == count(20)


def test_session_writes_need_the_csrf_header(manager):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)
    response = browser.post(f"{API}/activities", json.dumps({
        "kind": "call", "subject": "x", "starts_at": "2030-01-01T10:00"}),
        content_type="application/json")
    assert response.status_code == 403
    assert not Activity.objects.exists()


# --- notifications ------------------------------------------------------------------------------

def test_notifications_are_only_the_users_own(client, manager, other_manager):
    mine = notify(user=manager, kind="reminder", title="Напомняне", url="/activities/1/")
    notify(user=other_manager, kind="reminder", title="Чуждо")
    api = Api(client, manager)
    body = api.get("/notifications").json()
    assert [n["id"] for n in body["items"]] == [mine.pk]
    assert body["unread"] == 1
    # marking someone else's id does nothing to it
    theirs = Notification.objects.get(user=other_manager)
    assert api.send("post", "/notifications/read", {"ids": [theirs.pk]}).json() == {"marked": 0}
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert api.send("post", "/notifications/read", {"ids": [mine.pk]}).json() == {"marked": 1}
    assert api.get("/notifications", {"unread": "true"}).json()["items"] == []
    notify(user=manager, kind="reminder", title="Второ")
    assert api.send("post", "/notifications/read", {}).json() == {"marked": 1}
    assert Notification.objects.get(pk=theirs.pk).read_at is None
