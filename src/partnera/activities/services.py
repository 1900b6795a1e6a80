"""Writes to activities: create (planned, or done at once: logging a past call), change, complete
with the outcome and the follow-up in one step, cancel, delete, restore. Reminders, which move
with their activity, are in `activities.reminders`.

Every service keeps two derived values in the same transaction, each through one helper:
`sales.Deal.next_activity_at` (the earliest planned activity of the deal) and
`activities.CompanyContact.last_at` (the latest done call, meeting, visit, presentation or
e-mail with the company).

Times are read as `activities.times` says: a naive one in the acting user's zone.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from partnera.activities.models import (
    CONTACT_KINDS,
    Activity,
    ActivityKind,
    ActivityStatus,
    CompanyContact,
)
from partnera.activities.reminders import enqueue_on_commit, move_reminders
from partnera.activities.selectors import activity_visible_q
from partnera.activities.times import SLACK, moment_cleaner, moment_from, parse_moment
from partnera.clients.models import Company, Contact
from partnera.core import cleaning
from partnera.core.audit import audit_record, diff, snapshot
from partnera.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.records import bump_version
from partnera.core.timezones import user_zone
from partnera.core.visibility import can_assign, can_change, visible_q
from partnera.sales.models import Deal, Lead
from partnera.sales.selectors import deal_visible_q, lead_visible_q

ACTIVITY_FIELDS = ["kind", "subject", "starts_at", "duration_minutes", "company", "deal", "lead",
                   "place", "online_link", "agenda", "outcome", "private"]
AUDITED_FIELDS = [*ACTIVITY_FIELDS, "status", "owner", "participant_users",
                  "participant_contacts"]
MAX_DURATION = 7 * 24 * 60  # a week, in minutes
MAX_PARTICIPANTS = 50


# --- cleaning -------------------------------------------------------------------------------------

def _kind(value: Any) -> str:
    kind = cleaning.text(value)
    if kind not in ActivityKind.values:
        raise ValidationError(_("Choose a kind from the list."), code="invalid_choice")
    return kind


def _subject(value: Any) -> str:
    subject = cleaning.text(value)
    if not subject:
        raise ValidationError(_("Enter a subject."), code="required")
    return subject


def _duration(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValidationError(_("Enter a whole number of minutes."), code="type")
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        raise ValidationError(_("Enter a whole number of minutes."), code="type") from None
    if not 0 <= minutes <= MAX_DURATION:
        raise ValidationError(_("Enter a duration between 0 and %(max)d minutes.")
                              % {"max": MAX_DURATION}, code="range")
    return minutes


_web_address = URLValidator(schemes=["http", "https"])


def _online_link(value: Any) -> str:
    link = cleaning.text(value)
    if not link:
        return ""
    try:
        _web_address(link)
    except ValidationError:
        raise ValidationError(_("Enter a web address starting with http:// or https://."),
                              code="invalid") from None
    return link


def _cleaners(actor) -> dict:
    return {
        "kind": _kind,
        "subject": _subject,
        "starts_at": moment_cleaner(user_zone(actor)),
        "duration_minutes": _duration,
        "company": cleaning.visible_ref(Company, visible_q(actor), _("Choose a company you can see.")),
        "deal": cleaning.visible_ref(Deal, deal_visible_q(actor), _("Choose a deal you can see.")),
        "lead": cleaning.visible_ref(Lead, lead_visible_q(actor), _("Choose a lead you can see.")),
        "place": cleaning.bounded_text(300),
        "online_link": _online_link,
        "agenda": cleaning.bounded_text(5000),
        "outcome": cleaning.bounded_text(5000),
        "private": cleaning.boolean,
    }


def _id_list(value: Any, model) -> list[int]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple | set):
        value = [value]
    ids: list[int] = []
    for item in value:
        if item in (None, ""):
            continue
        pk = item.pk if isinstance(item, model) else item
        if isinstance(pk, bool):
            raise ValueError
        number = int(pk)
        if number not in ids:
            ids.append(number)
    return ids


def _participant_users(actor, value: Any, owner_id: int) -> list[int]:
    from partnera.people.models import User

    message = _("Choose active colleagues.")
    try:
        ids = _id_list(value, User)
    except (TypeError, ValueError):
        raise ValidationError(message, code="invalid_choice") from None
    if len(ids) > MAX_PARTICIPANTS:
        raise ValidationError(_("At most %(n)d people.") % {"n": MAX_PARTICIPANTS}, code="max_items")
    ids = [i for i in ids if i != owner_id]
    found = set(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    if found != set(ids):
        raise ValidationError(message, code="invalid_choice")
    return ids


def _participant_contacts(value: Any, company_id: int | None) -> list[int]:
    message = _("Choose contacts of the activity's company.")
    try:
        ids = _id_list(value, Contact)
    except (TypeError, ValueError):
        raise ValidationError(message, code="invalid_choice") from None
    if len(ids) > MAX_PARTICIPANTS:
        raise ValidationError(_("At most %(n)d people.") % {"n": MAX_PARTICIPANTS}, code="max_items")
    if not ids:
        return []
    if company_id is None:
        raise ValidationError(message, code="invalid_choice")
    found = set(Contact.objects.filter(pk__in=ids, company_id=company_id).values_list("pk", flat=True))
    if found != set(ids):
        raise ValidationError(message, code="invalid_choice")
    return ids


LINKS = ("company", "deal", "lead")


def _same_ref(value: Any, current: int | None) -> bool:
    """Does a link's value (a record, an id, its text, or empty) name the current one? A link
    left as it was is kept even when the editor may not see the record (or the deal was deleted
    since): only a new choice must be a record they can see."""
    value = getattr(value, "pk", value)
    if value in (None, ""):
        return current is None
    try:
        return current is not None and int(str(value).strip()) == current
    except (TypeError, ValueError):
        return False


def _apply(actor, activity: Activity, data: dict, *, creating: bool) -> tuple[dict, list | None,
                                                                              list | None]:
    """Clean `data` into the activity: (errors by field, colleague ids, contact ids) — the id
    lists are None when `data` does not change them."""
    errors = cleaning.clean_into(activity, data, ACTIVITY_FIELDS, _cleaners(actor))
    if creating:
        # Clearer words than the model's "This field cannot be blank/null" for what is missing.
        required = {"kind": _("Choose a kind from the list."), "subject": _("Enter a subject."),
                    "starts_at": _("Enter the date and time.")}
        for name, message in required.items():
            if data.get(name) in (None, ""):
                errors[name] = [message]
    if "ends_at" in data and "starts_at" not in errors and data["ends_at"] not in (None, ""):
        try:
            ends_at = moment_from(data["ends_at"], user_zone(actor))
        except ValidationError as exc:
            errors["ends_at"] = exc.messages
        else:
            minutes = int((ends_at - activity.starts_at).total_seconds() // 60)
            if ends_at <= activity.starts_at:
                errors["ends_at"] = [_("The end must be after the start.")]
            elif minutes > MAX_DURATION:
                errors["ends_at"] = [_("An activity lasts at most a week.")]
            else:
                activity.duration_minutes = minutes
    if "owner" in data and data["owner"] not in (None, ""):
        try:
            owner = cleaning.user_ref(data["owner"])
        except ValidationError as exc:
            errors["owner"] = exc.messages
        else:
            if owner.pk != activity.owner_id:
                if not can_assign(actor):
                    errors["owner"] = [_("Only a head of sales or an administrator may give an "
                                         "activity to someone else.")]
                else:
                    activity.owner = owner
                    activity.team = owner.team
    if "deal" not in errors and "company" not in errors and (deal := activity.deal) is not None:
        if activity.company_id is None:
            if Company.objects.filter(visible_q(actor), pk=deal.company_id).exists():
                activity.company = deal.company
            else:
                errors["deal"] = [_("Choose a deal you can see.")]
        elif activity.company_id != deal.company_id:
            errors["deal"] = [_("Choose a deal of the activity's company.")]
    users = contacts = None
    if "participant_users" in data:
        try:
            users = _participant_users(actor, data["participant_users"], activity.owner_id)
        except ValidationError as exc:
            errors["participant_users"] = exc.messages
    if "company" not in errors:
        if "participant_contacts" in data:
            try:
                contacts = _participant_contacts(data["participant_contacts"], activity.company_id)
            except ValidationError as exc:
                errors["participant_contacts"] = exc.messages
        elif activity.pk is not None and "company" in data:
            # The company changed: its contacts stay only if they belong to the new one.
            current = list(activity.participant_contacts.values_list("pk", flat=True))
            kept = list(Contact.objects.filter(pk__in=current, company_id=activity.company_id)
                        .values_list("pk", flat=True))
            if len(kept) != len(current):
                contacts = kept
    return errors, users, contacts


# --- permissions ----------------------------------------------------------------------------------

def _require_user(actor) -> None:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied()


def _require_can_change(actor, activity: Activity, *, deleted: bool = False) -> None:
    """The owner, and editors who can see the activity; department and marketing only their own."""
    _require_user(actor)
    rows = Activity.all_objects.filter(activity_visible_q(actor, live_company=not deleted),
                                       pk=activity.pk)
    rows = rows.filter(deleted_at__isnull=False) if deleted else rows.filter(deleted_at__isnull=True)
    if not rows.exists():
        raise NotFound()
    if not can_change(actor, activity):
        raise PermissionDenied()


def _audit(actor, action: str, activity: Activity, changes: dict) -> None:
    audit_record(actor=actor, action=action, obj=activity, company_id=activity.company_id,
                 changes=changes)


# --- derived values -------------------------------------------------------------------------------

def refresh_deal_next_activity(deal_ids) -> None:
    """Set each deal's `next_activity_at` to the start of its earliest planned (live) activity,
    or None when it has none. One UPDATE for all the deals."""
    ids = {i for i in deal_ids if i is not None}
    if not ids:
        return
    earliest = (Activity.objects.filter(deal_id=OuterRef("pk"), status=ActivityStatus.PLANNED)
                .order_by("starts_at").values("starts_at")[:1])
    Deal.all_objects.filter(pk__in=ids).update(next_activity_at=Subquery(earliest))


def refresh_company_last_contact(company_ids) -> None:
    """Keep each company's last contact: the latest done (live) activity of a contact kind."""
    for company_id in {i for i in company_ids if i is not None}:
        latest = Activity.objects.filter(
            company_id=company_id, status=ActivityStatus.DONE, kind__in=CONTACT_KINDS,
        ).aggregate(at=Max("starts_at"))["at"]
        if latest is None:
            CompanyContact.objects.filter(company_id=company_id).delete()
        else:
            CompanyContact.objects.update_or_create(company_id=company_id,
                                                    defaults={"last_at": latest})


def _refresh(*, deals=(), companies=()) -> None:
    refresh_deal_next_activity(deals)
    refresh_company_last_contact(companies)


# --- activities -----------------------------------------------------------------------------------

@transaction.atomic
def activity_create(*, actor, data: dict, follow_up: dict | None = None,
                    follow_up_of: Activity | None = None) -> Activity:
    """Plan an activity, or log one that took place (`status` "done", with its outcome) in one
    step; with `follow_up` (done only) the next activity is scheduled in the same transaction.

    `data`: kind, subject, starts_at, duration_minutes or ends_at, company, deal (of the
    company; it sets the company when none is given), lead, participant_users (colleagues),
    participant_contacts (contacts of the company), place, online_link, agenda, outcome,
    private, status, owner (a head of sales or an administrator may choose another).
    """
    _require_user(actor)
    activity = Activity(owner=actor, team=getattr(actor, "team", None), created_by=actor,
                        follow_up_of=follow_up_of)
    errors, users, contacts = _apply(actor, activity, data, creating=True)
    status = cleaning.text(data.get("status")) or ActivityStatus.PLANNED
    if status not in (ActivityStatus.PLANNED, ActivityStatus.DONE):
        errors.setdefault("status", []).append(_("A new activity is planned or done."))
    if follow_up is not None and status != ActivityStatus.DONE:
        errors.setdefault("follow_up", []).append(
            _("A follow-up is scheduled when an activity is done."))
    if errors:
        raise ValidationFailed(fields=errors)
    now = timezone.now()
    if status == ActivityStatus.DONE:
        if activity.starts_at > now + SLACK:
            raise ValidationFailed(fields={"starts_at": [
                _("A done activity took place already: choose a time that is not in the future.")]})
        activity.status = ActivityStatus.DONE
        activity.completed_at = now
        activity.starts_at = min(activity.starts_at, now)
    activity.save()
    if users:
        activity.participant_users.set(users)
    if contacts:
        activity.participant_contacts.set(contacts)
    after = snapshot(activity, AUDITED_FIELDS)
    _audit(actor, AuditEntry.Action.CREATE, activity,
           {k: [None, v] for k, v in after.items() if v not in (None, "", [], False)})
    _refresh(deals=[activity.deal_id], companies=[activity.company_id])
    if follow_up is not None:
        _schedule_follow_up(actor, activity, follow_up)
    return activity


def _schedule_follow_up(actor, activity: Activity, follow_up: dict) -> Activity:
    """The next activity after `activity`: its company, deal (unless deleted), lead, contacts
    and privacy, the kind, subject and time given (the same kind, "Follow-up: …" when not)."""
    if not isinstance(follow_up, dict):
        raise ValidationFailed(fields={"follow_up": [_("Expected a JSON object.")]})
    unknown = set(follow_up) - {"kind", "subject", "starts_at", "duration_minutes", "place",
                                "online_link", "agenda", "participant_users"}
    if unknown:
        raise ValidationFailed(fields={f"follow_up.{k}"[:60]: [_("Unknown field.")]
                                       for k in sorted(unknown)[:10]})
    zone = user_zone(actor)
    errors: dict[str, list[str]] = {}
    try:
        starts_at = parse_moment(follow_up.get("starts_at"), zone)
    except ValidationError as exc:
        errors["follow_up.starts_at"] = exc.messages
    else:
        if starts_at is None:
            errors["follow_up.starts_at"] = [_("Enter when the follow-up takes place.")]
        elif starts_at < timezone.now() - SLACK:
            errors["follow_up.starts_at"] = [_("Choose a time in the future for the follow-up.")]
    if errors:
        raise ValidationFailed(fields=errors)
    data = {
        "kind": follow_up.get("kind") or activity.kind,
        "subject": follow_up.get("subject") or _("Follow-up: %(subject)s") % {
            "subject": activity.subject},
        "starts_at": starts_at,
        "duration_minutes": follow_up.get("duration_minutes", activity.duration_minutes),
        "company": activity.company, "lead": activity.lead,
        # A deleted deal is not carried over: the follow-up would link to a deal nobody sees.
        "deal": activity.deal if activity.deal is not None and activity.deal.deleted_at is None
        else None,
        "place": follow_up.get("place", ""), "online_link": follow_up.get("online_link", ""),
        "agenda": follow_up.get("agenda", ""), "private": activity.private,
        "participant_contacts": list(activity.participant_contacts.values_list("pk", flat=True)),
        "participant_users": follow_up.get(
            "participant_users", list(activity.participant_users.values_list("pk", flat=True))),
    }
    if activity.owner_id != getattr(actor, "pk", None):
        data["owner"] = activity.owner if can_assign(actor) else actor
    try:
        return activity_create(actor=actor, data=data, follow_up_of=activity)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, fields={
            f"follow_up.{name}": messages for name, messages in exc.fields.items()}) from None


@transaction.atomic
def activity_update(*, actor, activity: Activity, data: dict,
                    expected_version: int | None) -> Activity:
    """Change an activity's fields (not its status: complete and cancel do that). A new time
    moves its reminders with it."""
    _require_can_change(actor, activity)
    before = snapshot(activity, AUDITED_FIELDS)
    old_start, old_deal, old_company = activity.starts_at, activity.deal_id, activity.company_id
    old_owner = activity.owner_id
    data = {k: v for k, v in data.items()
            if k != "status" and not (k in LINKS and _same_ref(v, getattr(activity, f"{k}_id")))}
    errors, users, contacts = _apply(actor, activity, data, creating=False)
    if errors:
        raise ValidationFailed(fields=errors)
    now = timezone.now()
    if activity.status == ActivityStatus.DONE and activity.starts_at > now + SLACK:
        raise ValidationFailed(fields={"starts_at": [
            _("A done activity took place already: choose a time that is not in the future.")]})
    columns = {f.name: f.attname for f in activity._meta.concrete_fields}
    fields = [columns[f] for f in ACTIVITY_FIELDS]
    if activity.owner_id != old_owner:
        fields += ["owner_id", "team_id"]
    bump_version(activity, expected_version=expected_version, fields=fields)
    if users is not None:
        activity.participant_users.set(users)
    if contacts is not None:
        activity.participant_contacts.set(contacts)
    changes = diff(before, snapshot(activity, AUDITED_FIELDS))
    if changes:
        _audit(actor, AuditEntry.Action.UPDATE, activity, changes)
    _refresh(deals=[old_deal, activity.deal_id], companies=[old_company, activity.company_id])
    if activity.starts_at != old_start:
        move_reminders(activity, activity.starts_at - old_start)
    return activity


@transaction.atomic
def activity_complete(*, actor, activity: Activity, outcome: str = "",
                      follow_up: dict | None = None,
                      expected_version: int | None = None) -> Activity:
    """Record the outcome and mark the activity done; with `follow_up` (kind, subject,
    starts_at, …) the next activity is scheduled in the same step. Completed ahead of its time,
    an activity took place now."""
    _require_can_change(actor, activity)
    if activity.status != ActivityStatus.PLANNED:
        raise Conflict(_("Only a planned activity can be completed."))
    before = snapshot(activity, AUDITED_FIELDS)
    try:
        activity.outcome = cleaning.bounded_text(5000)(outcome)
    except ValidationError as exc:
        raise ValidationFailed(fields={"outcome": exc.messages}) from None
    now = timezone.now()
    activity.status = ActivityStatus.DONE
    activity.completed_at = now
    activity.starts_at = min(activity.starts_at, now)
    bump_version(activity, expected_version=expected_version,
                 fields=["outcome", "status", "completed_at", "starts_at"])
    _audit(actor, AuditEntry.Action.UPDATE, activity, diff(before, snapshot(activity, AUDITED_FIELDS)))
    _refresh(deals=[activity.deal_id], companies=[activity.company_id])
    if follow_up is not None:
        _schedule_follow_up(actor, activity, follow_up)
    return activity


@transaction.atomic
def activity_cancel(*, actor, activity: Activity, expected_version: int | None = None) -> Activity:
    _require_can_change(actor, activity)
    if activity.status != ActivityStatus.PLANNED:
        raise Conflict(_("Only a planned activity can be cancelled."))
    before = snapshot(activity, AUDITED_FIELDS)
    activity.status = ActivityStatus.CANCELLED
    bump_version(activity, expected_version=expected_version, fields=["status"])
    _audit(actor, AuditEntry.Action.UPDATE, activity, diff(before, snapshot(activity, AUDITED_FIELDS)))
    _refresh(deals=[activity.deal_id], companies=[activity.company_id])
    return activity


@transaction.atomic
def activity_delete(*, actor, activity: Activity) -> Activity:
    """Soft delete: the activity leaves every list, calendar and timeline and can be restored."""
    _require_can_change(actor, activity)
    activity.deleted_at = timezone.now()
    activity.deleted_by = actor
    bump_version(activity, expected_version=None, fields=["deleted_at", "deleted_by_id"])
    _audit(actor, AuditEntry.Action.DELETE, activity, {})
    _refresh(deals=[activity.deal_id], companies=[activity.company_id])
    return activity


@transaction.atomic
def activity_restore(*, actor, activity: Activity) -> Activity:
    _require_can_change(actor, activity, deleted=True)
    if activity.company_id and Company.all_objects.filter(
            pk=activity.company_id, deleted_at__isnull=False).exists():
        raise Conflict(_("Restore the company first."))
    # A deleted deal does not hold its activities back: they are the company's and the owner's
    # calendar too. The link stays, shown to nobody while the deal is deleted.
    activity.deleted_at = None
    activity.deleted_by = None
    bump_version(activity, expected_version=None, fields=["deleted_at", "deleted_by_id"])
    _audit(actor, AuditEntry.Action.RESTORE, activity, {})
    _refresh(deals=[activity.deal_id], companies=[activity.company_id])
    # A reminder whose job ran while the activity was deleted did nothing: enqueue it again.
    for reminder in activity.reminders.filter(sent_at__isnull=True):
        enqueue_on_commit(reminder)
    return activity
