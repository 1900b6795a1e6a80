"""Reminders of activities: each user sets their own for a planned activity they can see (minutes
before it, or an exact time), they move with the activity, and the job worker sends each once — in
the app, and by e-mail when asked — at its time.

The activity services (`activities.services`) call in here when an activity moves or is restored;
this module depends on nothing of theirs.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from partnera.activities.models import Activity, ActivityKind, ActivityStatus, Reminder
from partnera.activities.selectors import activity_visible_q
from partnera.activities.times import SLACK, moment_from
from partnera.core import cleaning
from partnera.core.audit import audit_record
from partnera.core.errors import NotFound, PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.notifications import notify
from partnera.core.timezones import user_zone

logger = logging.getLogger("partnera.activities")

MAX_REMINDERS = 5
MAX_MINUTES_BEFORE = 30 * 24 * 60


def _reminder_items(actor, activity: Activity, reminders: Any) -> list[tuple[dt.datetime, bool]]:
    if not isinstance(reminders, list | tuple):
        raise ValidationFailed(fields={"reminders": [_("Expected a list.")]})
    if len(reminders) > MAX_REMINDERS:
        raise ValidationFailed(fields={"reminders": [
            _("At most %(n)d reminders.") % {"n": MAX_REMINDERS}]})
    now = timezone.now()
    zone = user_zone(actor)
    items: list[tuple[dt.datetime, bool]] = []
    errors: dict[str, list[str]] = {}
    for item in reminders:
        if not isinstance(item, dict):
            errors.setdefault("reminders", []).append(_("Expected a JSON object."))
            continue
        try:
            by_email = cleaning.boolean(item.get("by_email", True))
        except ValidationError as exc:
            errors.setdefault("by_email", []).extend(exc.messages)
            continue
        if item.get("remind_at") not in (None, ""):
            try:
                at = moment_from(item["remind_at"], zone)
            except ValidationError as exc:
                errors.setdefault("remind_at", []).extend(exc.messages)
                continue
            if at < now - SLACK:
                errors.setdefault("remind_at", []).append(_("Choose a time in the future."))
                continue
        elif item.get("minutes_before") not in (None, ""):
            minutes = item["minutes_before"]
            if isinstance(minutes, bool) or not str(minutes).strip().isdigit() \
                    or int(minutes) > MAX_MINUTES_BEFORE:
                errors.setdefault("minutes_before", []).append(
                    _("Enter a number of minutes between 0 and %(max)d.") % {"max": MAX_MINUTES_BEFORE})
                continue
            if activity.starts_at <= now:
                errors.setdefault("minutes_before", []).append(
                    _("The activity has already started: choose an exact time."))
                continue
            # Already past (a meeting in ten minutes, "one hour before"): it is sent at once.
            at = activity.starts_at - dt.timedelta(minutes=int(minutes))
        else:
            errors.setdefault("remind_at", []).append(
                _("Choose when to be reminded: minutes before, or an exact time."))
            continue
        items.append((at, by_email))
    if errors:
        raise ValidationFailed(fields=errors)
    return items


@transaction.atomic
def reminder_set(*, actor, activity: Activity, reminders: list[dict]) -> list[Reminder]:
    """Replace the actor's pending reminders of a planned activity they can see. Each item is
    `{"minutes_before": 15}` or `{"remind_at": <time>}`, with `by_email` (default true); an
    empty list removes them. A reminder whose time has come is sent at once."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied()
    if not Activity.objects.filter(activity_visible_q(actor), pk=activity.pk).exists():
        raise NotFound()
    if activity.status != ActivityStatus.PLANNED:
        raise ValidationFailed(_("Reminders are for planned activities."),
                               fields={"reminders": [_("Reminders are for planned activities.")]})
    items = _reminder_items(actor, activity, reminders)
    pending = Reminder.objects.filter(activity=activity, user=actor, sent_at__isnull=True)
    before = [_reminder_label(r.remind_at, r.by_email) for r in pending]
    pending.delete()
    created = [Reminder.objects.create(activity=activity, user=actor, remind_at=at, by_email=email)
               for at, email in sorted(items, key=lambda i: i[0])]
    after = [_reminder_label(r.remind_at, r.by_email) for r in created]
    if before != after:
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=activity,
                     company_id=activity.company_id, changes={"reminders": [before, after]})
    for reminder in created:
        enqueue_on_commit(reminder)
    return created


def _reminder_label(at: dt.datetime, by_email: bool) -> str:
    return at.isoformat() + (" +e-mail" if by_email else "")


def reminder_list(*, user, activity: Activity) -> QuerySet[Reminder]:
    return Reminder.objects.filter(activity=activity, user=user).order_by("remind_at", "id")


def move_reminders(activity: Activity, delta: dt.timedelta) -> None:
    """The activity moved by `delta`: its reminders move with it. A reminder already sent is
    replaced by a new one (a new id: its notification and e-mail go out again for the new time)."""
    for reminder in list(activity.reminders.all()):
        new_at = reminder.remind_at + delta
        if reminder.sent_at is None:
            reminder.remind_at = new_at
            reminder.save(update_fields=["remind_at"])
        else:
            user, by_email = reminder.user_id, reminder.by_email
            reminder.delete()
            if new_at <= timezone.now():
                continue
            reminder = Reminder.objects.create(activity=activity, user_id=user, remind_at=new_at,
                                               by_email=by_email)
        enqueue_on_commit(reminder)


def enqueue_on_commit(reminder: Reminder) -> None:
    reminder_id, remind_at = reminder.pk, reminder.remind_at
    transaction.on_commit(lambda: enqueue_reminder(reminder_id, remind_at), robust=True)


def enqueue_reminder(reminder_id: int, remind_at: dt.datetime) -> None:
    """Enqueue the job that sends a reminder at its time (at once when the time has come)."""
    from partnera.activities.tasks import send_reminder_task

    task = send_reminder_task
    if remind_at > timezone.now():
        if not task.get_backend().supports_defer:
            # A backend that runs jobs at once cannot wait; the job would find it not due yet.
            logger.warning("Task backend cannot defer; reminder %s not scheduled", reminder_id)
            return
        task = task.using(run_after=remind_at)
    task.enqueue(reminder_id)


def reminder_deliver(*, reminder_id: int) -> str:
    """Send one reminder: an in-app notification, and an e-mail when asked. Idempotent: nothing
    happens when it was sent already, when the reminder or its activity is gone, cancelled or
    done, or when its time was moved later (the job for the new time sends it).
    Returns what happened (the job's recorded outcome)."""
    now = timezone.now()
    with transaction.atomic():
        reminder = (Reminder.objects.select_for_update(of=("self",))
                    .select_related("activity", "activity__company", "user")
                    .filter(pk=reminder_id).first())
        if reminder is None:
            return "gone"
        if reminder.sent_at is not None:
            return "already_sent"
        activity = reminder.activity
        if activity.deleted_at is not None or activity.status != ActivityStatus.PLANNED:
            return "not_planned"
        if reminder.remind_at > now + dt.timedelta(seconds=5):
            return "not_due"
        user = reminder.user
        if not user.is_active or not Activity.objects.filter(
                activity_visible_q(user), pk=activity.pk).exists():
            return "not_visible"
        claimed = Reminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).update(sent_at=now)
        if not claimed:
            return "already_sent"
        message = reminder_message(reminder)
        notify(user=user, kind="reminder", title=message["title"], body=message["summary"],
               url=message["path"], key=f"reminder:{reminder.pk}")
    if not reminder.by_email:
        return "notified"
    if not user.email:
        return "notified_no_email"
    try:
        EmailMessage(subject=message["subject"], body=message["body"],
                     from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]).send()
    except Exception:  # the in-app reminder went out; the failure is logged and recorded
        logger.exception("Reminder %s: the e-mail to %s could not be sent", reminder_id, user.pk)
        return "notified_email_failed"
    return "notified_emailed"


def site_url(path: str) -> str:
    """An absolute address for links in e-mails (PARTNERA_SITE_URL, else this host and port)."""
    base = getattr(settings, "PARTNERA_SITE_URL", "") or os.environ.get("PARTNERA_SITE_URL", "")
    if not base:
        host = next((h for h in settings.ALLOWED_HOSTS if h and "*" not in h and h != "testserver"),
                    "127.0.0.1")
        base = f"http://{host}:{os.environ.get('PARTNERA_PORT', '8000')}"
    return base.rstrip("/") + path


def reminder_message(reminder: Reminder) -> dict[str, str]:
    """The reminder in its user's language and time zone: title, summary, e-mail subject and
    body, and the activity's address."""
    from partnera.clients.selectors import company_visible, contact_visible

    activity, user = reminder.activity, reminder.user
    # Only the company and contacts the reminded user may see by their own rule.
    company = (activity.company if activity.company_id and company_visible(user=user).filter(
        pk=activity.company_id).exists() else None)
    path = reverse("activities:activity_detail", args=[activity.pk])
    language = user.language if user.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(language):
        local = timezone.localtime(activity.starts_at, user_zone(user))
        when = formats.date_format(local, "DATETIME_FORMAT")
        kind = str(ActivityKind(activity.kind).label)
        lines = [
            f"{kind}: {activity.subject}",
            _("When: %(when)s (%(zone)s)") % {"when": when, "zone": local.tzname()},
        ]
        if activity.duration_minutes:
            lines.append(_("Duration: %(n)d min") % {"n": activity.duration_minutes})
        if company is not None:
            lines.append(_("Company: %(name)s") % {"name": company.legal_name})
        if activity.place:
            lines.append(_("Place: %(place)s") % {"place": activity.place})
        if activity.online_link:
            lines.append(_("Online: %(link)s") % {"link": activity.online_link})
        contacts = [str(c) for c in contact_visible(user=user).filter(activities=activity)
                    .order_by("last_name", "first_name", "pk")]
        if contacts:
            lines.append(_("With: %(names)s") % {"names": ", ".join(contacts)})
        if activity.agenda:
            lines += ["", _("Agenda:"), activity.agenda]
        lines += ["", _("Open it in Partnera: %(url)s") % {"url": site_url(path)}]
        title = _("Reminder: %(subject)s at %(when)s") % {"subject": activity.subject, "when": when}
        summary = " · ".join(p for p in [kind, when, company.legal_name if company is not None else ""] if p)
        return {"title": title, "summary": summary, "subject": title,
                "body": "\n".join(lines) + "\n", "path": path}
