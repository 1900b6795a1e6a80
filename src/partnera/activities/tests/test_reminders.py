"""Reminders: set at a time the user picks, moved with the activity, sent once by the job worker
in the app and by e-mail — through a real SMTP server on loopback (aiosmtpd) and the real
`partnera worker` processing the database queue."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
import time
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import formats, timezone, translation
from django_tasks_db.models import DBTaskResult

from partnera.activities import reminders, services
from partnera.activities.models import Activity, Reminder
from partnera.activities.tasks import send_reminder_task
from partnera.activities.tests.factories import SOFIA, ActivityFactory, sofia
from partnera.clients.tests.factories import CompanyFactory
from partnera.core.errors import NotFound, ValidationFailed
from partnera.core.models import Notification
from partnera.core.roles import Role

TOMORROW = timezone.localdate(timezone=SOFIA) + dt.timedelta(days=1)


def reminders_state() -> list:
    return list(Reminder.objects.order_by("pk").values())


# --- setting reminders ----------------------------------------------------------------------------

@pytest.mark.django_db
def test_minutes_before_and_an_exact_time(manager):
    meeting = ActivityFactory(owner=manager, starts_at=sofia(TOMORROW, 10))
    created = reminders.reminder_set(actor=manager, activity=meeting, reminders=[
        {"minutes_before": 15}, {"remind_at": f"{TOMORROW.isoformat()}T08:00", "by_email": False}])
    assert [(r.remind_at, r.by_email) for r in created] == [
        (sofia(TOMORROW, 8), False), (sofia(TOMORROW, 9, 45), True)]
    # setting again replaces the pending ones
    reminders.reminder_set(actor=manager, activity=meeting, reminders=[{"minutes_before": 1440}])
    assert [r.remind_at for r in Reminder.objects.filter(activity=meeting)] == [
        sofia(TOMORROW, 10) - dt.timedelta(days=1)]
    reminders.reminder_set(actor=manager, activity=meeting, reminders=[])
    assert not Reminder.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("items", "field"), [
    ([{"remind_at": "2020-01-01T10:00"}], "remind_at"),  # an exact time in the past
    ([{"remind_at": "скоро"}], "remind_at"),
    ([{"minutes_before": -1}], "minutes_before"),
    ([{"minutes_before": "x"}], "minutes_before"),
    ([{}], "remind_at"),
    ([{"minutes_before": 15}] * 6, "reminders"),
    ("15", "reminders"),
])
def test_bad_reminders_are_refused_and_nothing_changes(manager, items, field):
    meeting = ActivityFactory(owner=manager)
    reminders.reminder_set(actor=manager, activity=meeting, reminders=[{"minutes_before": 60}])
    before = reminders_state()
    with pytest.raises(ValidationFailed) as exc:
        reminders.reminder_set(actor=manager, activity=meeting, reminders=items)
    assert field in exc.value.fields
    assert reminders_state() == before


@pytest.mark.django_db
def test_minutes_before_an_activity_that_has_started_asks_for_an_exact_time(manager):
    overdue = ActivityFactory(owner=manager, starts_at=timezone.now() - dt.timedelta(hours=2))
    with pytest.raises(ValidationFailed) as exc:
        reminders.reminder_set(actor=manager, activity=overdue, reminders=[{"minutes_before": 15}])
    assert exc.value.fields == {"minutes_before": [
        "The activity has already started: choose an exact time."]}
    # an exact time in the future is fine for an overdue task
    reminders.reminder_set(actor=manager, activity=overdue,
                           reminders=[{"remind_at": timezone.now() + dt.timedelta(hours=1)}])


@pytest.mark.django_db
def test_reminders_are_for_planned_activities_the_user_sees(manager, other_manager):
    done = ActivityFactory(owner=manager, status="done")
    with pytest.raises(ValidationFailed):
        reminders.reminder_set(actor=manager, activity=done, reminders=[{"minutes_before": 15}])
    with pytest.raises(NotFound):
        reminders.reminder_set(actor=other_manager, activity=ActivityFactory(owner=manager),
                               reminders=[{"minutes_before": 15}])
    assert not Reminder.objects.exists()


@pytest.mark.django_db
def test_a_rescheduled_activity_moves_its_reminders(manager):
    meeting = ActivityFactory(owner=manager, starts_at=sofia(TOMORROW, 10))
    reminders.reminder_set(actor=manager, activity=meeting, reminders=[{"minutes_before": 60}])
    services.activity_update(actor=manager, activity=meeting, expected_version=meeting.version,
                             data={"starts_at": sofia(TOMORROW, 14)})
    assert Reminder.objects.get(activity=meeting).remind_at == sofia(TOMORROW, 13)


@pytest.mark.django_db(transaction=True)
def test_setting_a_reminder_enqueues_its_job_on_commit_at_its_time(manager):
    meeting = ActivityFactory(owner=manager, starts_at=sofia(TOMORROW, 10))
    reminders.reminder_set(actor=manager, activity=meeting, reminders=[{"minutes_before": 15}])
    job = DBTaskResult.objects.get()
    reminder = Reminder.objects.get()
    assert job.task_path == "partnera.activities.tasks.send_reminder_task"
    assert job.args_kwargs["args"] == [reminder.pk]
    assert job.run_after == sofia(TOMORROW, 9, 45)
    # rescheduled: a job for the new time
    services.activity_update(actor=manager, activity=meeting, expected_version=meeting.version,
                             data={"starts_at": sofia(TOMORROW, 11)})
    assert sorted(j.run_after for j in DBTaskResult.objects.all()) == [
        sofia(TOMORROW, 9, 45), sofia(TOMORROW, 10, 45)]


# --- the job --------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_job_sends_once_and_is_idempotent(manager, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    meeting = ActivityFactory(owner=manager, starts_at=timezone.now() + dt.timedelta(minutes=10))
    reminder = Reminder.objects.create(activity=meeting, user=manager,
                                       remind_at=timezone.now() - dt.timedelta(seconds=1))
    assert send_reminder_task.call(reminder.pk) == "notified_emailed"
    assert send_reminder_task.call(reminder.pk) == "already_sent"
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(user=manager, key=f"reminder:{reminder.pk}").count() == 1


@pytest.mark.django_db
def test_the_job_does_nothing_when_it_no_longer_applies(manager, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    past = timezone.now() - dt.timedelta(seconds=1)

    def reminder(**activity):
        meeting = ActivityFactory(owner=manager, **activity)
        return Reminder.objects.create(activity=meeting, user=manager, remind_at=past)

    cancelled = reminder(status="cancelled")
    done = reminder(status="done")
    deleted = reminder(deleted_at=timezone.now())
    moved = Reminder.objects.create(activity=ActivityFactory(owner=manager), user=manager,
                                    remind_at=timezone.now() + dt.timedelta(hours=1))
    assert send_reminder_task.call(cancelled.pk) == "not_planned"
    assert send_reminder_task.call(done.pk) == "not_planned"
    assert send_reminder_task.call(deleted.pk) == "not_planned"
    assert send_reminder_task.call(moved.pk) == "not_due"
    assert send_reminder_task.call(999999) == "gone"
    assert mail.outbox == []
    assert not Notification.objects.exists()
    assert not Reminder.objects.filter(sent_at__isnull=False).exists()


@pytest.mark.django_db
def test_in_app_only_when_no_email_is_asked(manager, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    meeting = ActivityFactory(owner=manager)
    r = Reminder.objects.create(activity=meeting, user=manager, by_email=False,
                                remind_at=timezone.now() - dt.timedelta(seconds=1))
    assert send_reminder_task.call(r.pk) == "notified"
    assert mail.outbox == []
    n = Notification.objects.get(user=manager)
    assert n.kind == "reminder" and n.url == f"/activities/{meeting.pk}/"


@pytest.mark.django_db
def test_a_private_activity_reminds_only_whom_it_may(manager, make_user, team, settings):
    """A reminder of someone who can no longer see the activity is not sent."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    teammate = make_user(Role.ACCOUNT_MANAGER, team=team)
    private = ActivityFactory(owner=manager, private=True)
    r = Reminder.objects.create(activity=private, user=teammate,
                                remind_at=timezone.now() - dt.timedelta(seconds=1))
    assert send_reminder_task.call(r.pk) == "not_visible"
    assert not Notification.objects.exists() and mail.outbox == []


# --- for real: SMTP on loopback and the worker ------------------------------------------------------

class Inbox:
    """An aiosmtpd handler keeping what it receives."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "partnera@example.test"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    yield inbox
    controller.stop()


def run_worker() -> str:
    out = StringIO()
    call_command("worker", "--batch", "--no-startup-delay", "--interval", "0", stdout=out,
                 stderr=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_due_reminder_reaches_the_smtp_server_through_the_worker_once(smtp_server, make_user):
    # Given a Bulgarian-speaking manager in Sofia with a meeting in ten minutes at a client
    manager = make_user(Role.ACCOUNT_MANAGER, username="petrova", first_name="Мария",
                        last_name="Петрова", email="m.petrova@partnera.test", language="bg",
                        time_zone="Europe/Sofia")
    company = CompanyFactory(owner=manager, legal_name="Алфа Трейд")
    starts = (timezone.now() + dt.timedelta(minutes=10)).replace(second=0, microsecond=0)
    meeting = services.activity_create(actor=manager, data={
        "kind": "meeting", "subject": "Среща за договора", "starts_at": starts,
        "company": company, "place": "ул. Витоша 1, София",
        "online_link": "https://meet.example.com/alfa", "agenda": "Срокове и цени"})

    # When they ask to be reminded an hour before (already past: it is due at once)
    reminders.reminder_set(actor=manager, activity=meeting, reminders=[{"minutes_before": 60}])
    reminder = Reminder.objects.get()
    job = DBTaskResult.objects.get()
    assert DBTaskResult.objects.ready().filter(pk=job.pk).exists()  # due now: no waiting
    # and the worker processes the queue
    run_worker()

    # Then the SMTP server got one message for the manager, in Bulgarian, in their zone
    deadline = time.monotonic() + 5
    while not smtp_server.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(smtp_server.messages) == 1
    mail_from, rcpt, raw = smtp_server.messages[0]
    assert mail_from == "partnera@example.test"
    assert rcpt == ["m.petrova@partnera.test"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    with translation.override("bg"):  # the time as a Bulgarian letter writes it, Sofia time
        when = formats.date_format(timezone.localtime(starts, SOFIA), "DATETIME_FORMAT")
    assert " г., " in when
    assert "Среща за договора" in message["Subject"]
    assert when in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "Среща: Среща за договора" in body  # the kind in Bulgarian
    assert when in body
    assert "Алфа Трейд" in body
    assert "ул. Витоша 1, София" in body
    assert "https://meet.example.com/alfa" in body
    assert "Срокове и цени" in body
    assert f"/activities/{meeting.pk}/" in body
    # and the in-app notification exists, and the job recorded its outcome
    notification = Notification.objects.get(user=manager)
    assert notification.key == f"reminder:{reminder.pk}"
    assert notification.url == f"/activities/{meeting.pk}/"
    job.refresh_from_db()
    assert job.status == "SUCCESSFUL" and job.return_value == "notified_emailed"
    assert Reminder.objects.get().sent_at is not None

    # When the same job runs again (enqueued twice, a retry) and the worker runs again
    send_reminder_task.enqueue(reminder.pk)
    run_worker()
    # Then still one e-mail and one notification
    time.sleep(0.2)
    assert len(smtp_server.messages) == 1
    assert Notification.objects.filter(user=manager).count() == 1
    assert DBTaskResult.objects.order_by("-enqueued_at").first().return_value == "already_sent"


@pytest.mark.django_db(transaction=True)
def test_a_future_reminder_waits_for_its_time(smtp_server, manager):
    meeting = ActivityFactory(owner=manager, starts_at=timezone.now() + dt.timedelta(days=1))
    reminders.reminder_set(actor=manager, activity=meeting, reminders=[{"minutes_before": 15}])
    run_worker()
    assert smtp_server.messages == []
    assert DBTaskResult.objects.get().status == "READY"
    assert Activity.objects.count() == 1
