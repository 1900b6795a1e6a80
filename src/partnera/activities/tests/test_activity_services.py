"""Activity services: create, log, change, complete with the follow-up, cancel, delete, restore;
the derived next activity of a deal and last contact of a company kept on every change; time
zones; who may write; bad input with nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from partnera.activities import services
from partnera.activities.models import Activity, ActivityKind, ActivityStatus, CompanyContact
from partnera.activities.tests.factories import SOFIA, sofia
from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.sales.models import Deal
from partnera.sales.tests.factories import DealFactory, LeadFactory

pytestmark = pytest.mark.django_db

TOMORROW = timezone.localdate(timezone=SOFIA) + dt.timedelta(days=1)


def rows() -> dict:
    """Everything an activity write may touch, to compare before and after."""
    return {
        "activities": list(Activity.all_objects.order_by("pk").values()),
        "participants": sorted(Activity.participant_users.through.objects.values_list(
            "activity_id", "user_id")),
        "contacts": sorted(Activity.participant_contacts.through.objects.values_list(
            "activity_id", "contact_id")),
        "deals": list(Deal.all_objects.order_by("pk").values("pk", "next_activity_at", "version")),
        "last_contact": list(CompanyContact.objects.order_by("pk").values()),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def company(manager):
    return CompanyFactory(owner=manager)


@pytest.fixture
def deal(manager, company):
    return DealFactory(owner=manager, company=company)


def plan(actor, **data):
    payload = {"kind": ActivityKind.CALL, "subject": "Обаждане", "starts_at": sofia(TOMORROW, 10),
               **data}
    return services.activity_create(actor=actor, data=payload)


# --- creating -------------------------------------------------------------------------------------

def test_planning_a_meeting_keeps_every_field_and_is_audited(manager, company, deal, other_manager):
    contact = ContactFactory(company=company)
    lead = LeadFactory(owner=manager)
    activity = services.activity_create(actor=manager, data={
        "kind": "meeting", "subject": "Среща за офертата", "starts_at": "2030-03-12T10:00",
        "duration_minutes": "90", "company": company.pk, "deal": deal.pk, "lead": lead.pk,
        "participant_users": [other_manager.pk], "participant_contacts": [contact.pk],
        "place": "Офис София", "online_link": "https://meet.example.com/abc",
        "agenda": "Цени и срокове", "private": "on",
    })
    activity.refresh_from_db()
    assert activity.kind == "meeting" and activity.status == ActivityStatus.PLANNED
    assert activity.owner == manager and activity.team == manager.team
    assert activity.starts_at == dt.datetime(2030, 3, 12, 8, 0, tzinfo=dt.UTC)
    assert activity.duration_minutes == 90
    assert activity.ends_at == dt.datetime(2030, 3, 12, 9, 30, tzinfo=dt.UTC)
    assert (activity.company, activity.deal, activity.lead) == (company, deal, lead)
    assert list(activity.participant_users.all()) == [other_manager]
    assert list(activity.participant_contacts.all()) == [contact]
    assert activity.private is True
    entry = AuditEntry.objects.get(object_type="activities.activity", object_id=str(activity.pk))
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.company_id == company.pk
    assert entry.changes["subject"] == [None, "Среща за офертата"]


def test_a_deal_alone_sets_the_company(manager, deal):
    activity = plan(manager, deal=deal.pk)
    assert activity.company_id == deal.company_id


def test_logging_a_past_call_with_its_outcome_is_one_step(manager, company):
    yesterday = timezone.now() - dt.timedelta(days=1)
    activity = plan(manager, company=company, status="done", starts_at=yesterday,
                    outcome="Иска оферта до петък")
    assert activity.status == ActivityStatus.DONE
    assert activity.completed_at is not None
    assert activity.outcome == "Иска оферта до петък"
    assert CompanyContact.objects.get(company=company).last_at == yesterday


def test_a_done_activity_cannot_be_in_the_future(manager, company):
    before = rows()
    with pytest.raises(ValidationFailed) as exc:
        plan(manager, company=company, status="done")
    assert "starts_at" in exc.value.fields
    assert rows() == before


@pytest.mark.parametrize(("data", "field"), [
    ({"subject": ""}, "subject"),
    ({"kind": "fax"}, "kind"),
    ({"starts_at": ""}, "starts_at"),
    ({"starts_at": "вчера"}, "starts_at"),
    ({"starts_at": "2030-03-12T10:00", "ends_at": "2030-03-12T09:00"}, "ends_at"),
    ({"starts_at": "2030-03-12T10:00", "ends_at": "2030-03-12T10:00"}, "ends_at"),
    ({"duration_minutes": "-5"}, "duration_minutes"),
    ({"duration_minutes": "abc"}, "duration_minutes"),
    ({"online_link": "javascript:alert(1)"}, "online_link"),
    ({"online_link": "ftp://files.example.com/x"}, "online_link"),
    ({"online_link": "not a link"}, "online_link"),
    ({"status": "cancelled"}, "status"),
    ({"participant_users": ["x"]}, "participant_users"),
    ({"subject": "x" * 201}, "subject"),
    ({"agenda": "x" * 5001}, "agenda"),
    ({"starts_at": "2030-03-12T10:00\x00"}, "starts_at"),
])
def test_bad_input_is_refused_with_the_field_and_nothing_stored(manager, company, data, field):
    before = rows()
    with pytest.raises(ValidationFailed) as exc:
        plan(manager, company=company.pk, **data)
    assert field in exc.value.fields, exc.value.fields
    assert rows() == before


def test_a_contact_of_another_company_is_refused(manager, company):
    stranger = ContactFactory(company=CompanyFactory(owner=manager))
    before = rows()
    with pytest.raises(ValidationFailed) as exc:
        plan(manager, company=company.pk, participant_contacts=[stranger.pk])
    assert exc.value.fields == {"participant_contacts": ["Choose contacts of the activity's company."]}
    assert rows() == before


def test_contacts_need_a_company(manager, company):
    contact = ContactFactory(company=company)
    with pytest.raises(ValidationFailed) as exc:
        plan(manager, participant_contacts=[contact.pk])
    assert "participant_contacts" in exc.value.fields


def test_a_deal_of_another_company_is_refused(manager, company):
    other_deal = DealFactory(owner=manager)
    before = rows()
    with pytest.raises(ValidationFailed) as exc:
        plan(manager, company=company.pk, deal=other_deal.pk)
    assert exc.value.fields == {"deal": ["Choose a deal of the activity's company."]}
    assert rows() == before


def test_a_company_or_deal_the_actor_cannot_see_is_refused(manager, other_manager):
    hidden_company = CompanyFactory(owner=other_manager)
    hidden_deal = DealFactory(owner=other_manager, company=hidden_company)
    before = rows()
    with pytest.raises(ValidationFailed) as exc:
        plan(manager, company=hidden_company.pk)
    assert exc.value.fields == {"company": ["Choose a company you can see."]}
    with pytest.raises(ValidationFailed) as exc:
        plan(manager, deal=hidden_deal.pk)
    assert exc.value.fields == {"deal": ["Choose a deal you can see."]}
    assert rows() == before


def test_only_a_head_or_an_administrator_gives_an_activity_to_someone_else(
        manager, other_manager, head_of_sales):
    with pytest.raises(ValidationFailed) as exc:
        plan(manager, owner=other_manager.pk)
    assert "owner" in exc.value.fields
    given = plan(head_of_sales, owner=manager.pk)
    assert given.owner == manager and given.team == manager.team


# --- time zones -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "utc_hour"), [(dt.date(2030, 1, 15), 8), (dt.date(2030, 7, 15), 7)])
def test_a_ten_oclock_sofia_meeting_is_stored_in_utc_per_daylight_saving(manager, day, utc_hour):
    naive = plan(manager, starts_at=f"{day.isoformat()}T10:00")
    offset = plan(manager, starts_at=dt.datetime.combine(day, dt.time(10), tzinfo=SOFIA))
    for activity in (naive, offset):
        activity.refresh_from_db()
        assert activity.starts_at == dt.datetime.combine(day, dt.time(utc_hour), tzinfo=dt.UTC)


def test_a_naive_time_is_read_in_the_users_own_zone(make_user):
    londoner = make_user(Role.ACCOUNT_MANAGER, time_zone="Europe/London")
    activity = plan(londoner, starts_at="2030-01-15T10:00")
    assert activity.starts_at == dt.datetime(2030, 1, 15, 10, 0, tzinfo=dt.UTC)
    with_offset = plan(londoner, starts_at="2030-01-15T10:00+02:00")
    assert with_offset.starts_at == dt.datetime(2030, 1, 15, 8, 0, tzinfo=dt.UTC)


# --- derived values --------------------------------------------------------------------------------

def test_the_deals_next_activity_is_kept_on_every_change(manager, deal):
    def next_at():
        return Deal.all_objects.get(pk=deal.pk).next_activity_at

    assert next_at() is None
    later = plan(manager, deal=deal.pk, starts_at=sofia(TOMORROW + dt.timedelta(days=5), 10))
    assert next_at() == later.starts_at
    sooner = plan(manager, deal=deal.pk, starts_at=sofia(TOMORROW, 9))
    assert next_at() == sooner.starts_at
    # moved later than the other: the other is now the next one
    services.activity_update(actor=manager, activity=sooner, expected_version=sooner.version,
                             data={"starts_at": sofia(TOMORROW + dt.timedelta(days=9), 9)})
    assert next_at() == later.starts_at
    services.activity_complete(actor=manager, activity=later, outcome="ok")
    assert next_at() == sooner.starts_at
    services.activity_cancel(actor=manager, activity=sooner)
    assert next_at() is None
    third = plan(manager, deal=deal.pk)
    assert next_at() == third.starts_at
    services.activity_delete(actor=manager, activity=third)
    assert next_at() is None
    services.activity_restore(actor=manager, activity=Activity.all_objects.get(pk=third.pk))
    assert next_at() == third.starts_at
    # taken off the deal
    third.refresh_from_db()
    services.activity_update(actor=manager, activity=third, expected_version=third.version,
                             data={"deal": None})
    assert next_at() is None


def test_the_companys_last_contact_is_kept_on_every_change(manager, company):
    def last():
        row = CompanyContact.objects.filter(company=company).first()
        return row.last_at if row else None

    now = timezone.now()
    task = plan(manager, company=company.pk, kind="task", status="done",
                starts_at=now - dt.timedelta(hours=1))
    assert last() is None  # a task is no contact with the client
    call = plan(manager, company=company.pk, status="done", starts_at=now - dt.timedelta(days=3))
    assert last() == call.starts_at
    meeting = plan(manager, company=company.pk, kind="meeting", starts_at=now + dt.timedelta(days=1))
    assert last() == call.starts_at  # planned is not contact yet
    services.activity_complete(actor=manager, activity=meeting, outcome="Среща проведена")
    meeting.refresh_from_db()
    assert meeting.starts_at <= timezone.now()  # completed ahead of its time: it took place now
    assert last() == meeting.starts_at
    services.activity_delete(actor=manager, activity=meeting)
    assert last() == call.starts_at
    call.refresh_from_db()
    services.activity_update(actor=manager, activity=call, expected_version=call.version,
                             data={"kind": "task"})
    assert last() is None
    assert not CompanyContact.objects.filter(company=company).exists()
    assert task.pk


# --- completing with the follow-up -----------------------------------------------------------------

def test_complete_records_the_outcome_and_schedules_the_follow_up_in_one_step(manager, company, deal):
    contact = ContactFactory(company=company)
    call = plan(manager, company=company.pk, deal=deal.pk, participant_contacts=[contact.pk],
                starts_at=timezone.now() - dt.timedelta(hours=1))
    follow_at = sofia(TOMORROW + dt.timedelta(days=2), 11)
    services.activity_complete(actor=manager, activity=call, outcome="Иска демонстрация",
                               follow_up={"kind": "presentation", "starts_at": follow_at})
    call.refresh_from_db()
    assert call.status == ActivityStatus.DONE and call.outcome == "Иска демонстрация"
    follow = Activity.objects.get(follow_up_of=call)
    assert follow.kind == "presentation" and follow.status == ActivityStatus.PLANNED
    assert follow.subject == f"Follow-up: {call.subject}"
    assert follow.starts_at == follow_at
    assert (follow.company, follow.deal, follow.owner) == (company, deal, manager)
    assert list(follow.participant_contacts.all()) == [contact]
    assert Deal.objects.get(pk=deal.pk).next_activity_at == follow_at
    assert CompanyContact.objects.get(company=company).last_at == call.starts_at


def test_a_bad_follow_up_leaves_the_activity_planned(manager, company, deal):
    call = plan(manager, company=company.pk, deal=deal.pk)
    before = rows()
    for follow_up, field in [({"starts_at": ""}, "follow_up.starts_at"),
                             ({"starts_at": timezone.now() - dt.timedelta(days=1)},
                              "follow_up.starts_at"),
                             ({"starts_at": sofia(TOMORROW, 12), "kind": "fax"}, "follow_up.kind"),
                             ({"starts_at": sofia(TOMORROW, 12), "colour": "red"},
                              "follow_up.colour")]:
        with pytest.raises(ValidationFailed) as exc:
            services.activity_complete(actor=manager, activity=Activity.objects.get(pk=call.pk),
                                       outcome="x", follow_up=follow_up)
        assert field in exc.value.fields, exc.value.fields
    assert rows() == before


def test_logging_a_call_with_a_follow_up(manager, company):
    call = services.activity_create(
        actor=manager, data={"kind": "call", "subject": "Обаждане", "company": company,
                             "starts_at": timezone.now(), "status": "done", "outcome": "Ок"},
        follow_up={"starts_at": sofia(TOMORROW, 15), "kind": "meeting"})
    follow = Activity.objects.get(follow_up_of=call)
    assert follow.kind == "meeting" and follow.company == company


def test_a_follow_up_needs_a_done_activity(manager):
    with pytest.raises(ValidationFailed) as exc:
        services.activity_create(actor=manager, data={
            "kind": "call", "subject": "x", "starts_at": sofia(TOMORROW, 10)},
            follow_up={"starts_at": sofia(TOMORROW, 12)})
    assert "follow_up" in exc.value.fields
    assert not Activity.objects.exists()


def test_only_planned_activities_complete_or_cancel(manager):
    call = plan(manager)
    services.activity_cancel(actor=manager, activity=call)
    with pytest.raises(Conflict):
        services.activity_complete(actor=manager, activity=call)
    with pytest.raises(Conflict):
        services.activity_cancel(actor=manager, activity=call)


# --- changing -----------------------------------------------------------------------------------

def test_update_is_versioned(manager):
    call = plan(manager)
    stale = Activity.objects.get(pk=call.pk)
    services.activity_update(actor=manager, activity=call, expected_version=call.version,
                             data={"subject": "Ново"})
    before = rows()
    with pytest.raises(VersionConflict):
        services.activity_update(actor=manager, activity=stale, expected_version=stale.version,
                                 data={"subject": "Старо"})
    assert rows() == before
    assert Activity.objects.get(pk=call.pk).subject == "Ново"


def test_changing_the_company_drops_contacts_of_the_old_one(manager, company):
    contact = ContactFactory(company=company)
    call = plan(manager, company=company.pk, participant_contacts=[contact.pk])
    other = CompanyFactory(owner=manager)
    services.activity_update(actor=manager, activity=call, expected_version=call.version,
                             data={"company": other.pk})
    assert list(call.participant_contacts.all()) == []


def test_every_write_is_audited_with_the_company(manager, company):
    call = plan(manager, company=company.pk)
    services.activity_update(actor=manager, activity=call, expected_version=call.version,
                             data={"subject": "Променено"})
    services.activity_complete(actor=manager, activity=call, outcome="Готово")
    services.activity_delete(actor=manager, activity=call)
    services.activity_restore(actor=manager, activity=Activity.all_objects.get(pk=call.pk))
    entries = AuditEntry.objects.filter(object_type="activities.activity",
                                        object_id=str(call.pk)).order_by("at", "pk")
    assert [e.action for e in entries] == ["create", "update", "update", "delete", "restore"]
    assert {e.company_id for e in entries} == {company.pk}
    assert entries[1].changes["subject"] == ["Обаждане", "Променено"]
    assert entries[2].changes["status"] == ["planned", "done"]


# --- who may write ------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.MARKETING])
def test_a_reader_who_is_not_the_owner_gets_403_and_nothing_changes(make_user, manager, role):
    reader = make_user(role)
    call = plan(manager)
    before = rows()
    for write in (
        lambda: services.activity_update(actor=reader, activity=call, expected_version=None,
                                         data={"subject": "x"}),
        lambda: services.activity_complete(actor=reader, activity=call, outcome="x"),
        lambda: services.activity_cancel(actor=reader, activity=call),
        lambda: services.activity_delete(actor=reader, activity=call),
    ):
        with pytest.raises(PermissionDenied):
            write()
    assert rows() == before


def test_a_department_member_writes_only_their_own(make_user, manager):
    clerk = make_user(Role.DEPARTMENT)
    own = plan(clerk)
    services.activity_update(actor=clerk, activity=own, expected_version=own.version,
                             data={"subject": "Моя задача"})
    others = plan(manager)
    with pytest.raises(NotFound):  # they do not even see it
        services.activity_cancel(actor=clerk, activity=others)


def test_someone_who_cannot_see_it_gets_not_found_and_nothing_changes(manager, other_manager):
    call = plan(manager)
    before = rows()
    with pytest.raises(NotFound):
        services.activity_update(actor=other_manager, activity=call, expected_version=None,
                                 data={"subject": "x"})
    with pytest.raises(NotFound):
        services.activity_delete(actor=other_manager, activity=call)
    assert rows() == before


def test_an_editor_in_the_team_may_change_a_teammates_activity(make_user, manager, team):
    teammate = make_user(Role.ACCOUNT_MANAGER, team=team)
    call = plan(manager)
    services.activity_complete(actor=teammate, activity=call, outcome="Поех го аз")
    assert Activity.objects.get(pk=call.pk).status == ActivityStatus.DONE


def test_a_private_activity_is_not_changed_by_a_teammate(make_user, manager, team):
    teammate = make_user(Role.ACCOUNT_MANAGER, team=team)
    private = plan(manager, private=True)
    before = rows()
    with pytest.raises(NotFound):
        services.activity_cancel(actor=teammate, activity=private)
    assert rows() == before


def test_restore_needs_the_company_back_first(manager, company):
    call = plan(manager, company=company.pk)
    services.activity_delete(actor=manager, activity=call)
    company.deleted_at = timezone.now()
    company.save()
    with pytest.raises(Conflict):
        services.activity_restore(actor=manager, activity=Activity.all_objects.get(pk=call.pk))
    assert Activity.all_objects.get(pk=call.pk).deleted_at is not None
