"""REST API of activities and notifications (/api/v1/…).

Thin by design: parse, call a selector or a service, render. Times are ISO 8601; one without an
offset is read in the user's time zone (their profile's), and answers carry the offset.
A private activity is, to anyone but its owner and the colleagues taking part, not there (404).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field, ValidationInfo, model_validator

from partnera.activities import selectors, services, times
from partnera.activities.activity_list import (
    VIEWS,
    ActivityFilters,
    activity_count,
    activity_page,
)
from partnera.activities.models import Activity, ActivityKind, ActivityStatus
from partnera.activities.reminders import (
    MAX_MINUTES_BEFORE,
    MAX_REMINDERS,
    reminder_list,
    reminder_set,
)
from partnera.core.api import MAX_ID, CompanyRef, QuerySchema, RowId, StrictSchema, UserRef, check_cursor
from partnera.core.errors import ValidationFailed
from partnera.core.models import Notification
from partnera.core.notifications import notification_list, notifications_mark_read, unread_count
from partnera.core.pagination import bounded_count, keyset_page
from partnera.core.timezones import user_zone

router = Router()

Moment = Annotated[str, Field(max_length=40, description=(
    "ISO 8601 date and time, e.g. 2026-03-10T10:00:00+02:00; without an offset it is read in "
    "your time zone."))]

if TYPE_CHECKING:
    KindValue: TypeAlias = str
    StatusValue: TypeAlias = str
    ViewValue: TypeAlias = str
else:
    KindValue = Literal[tuple(ActivityKind.values)]
    StatusValue = Literal[tuple(ActivityStatus.values)]
    ViewValue = Literal[tuple(VIEWS)]


# --- output -------------------------------------------------------------------------------------

class DealRef(Schema):
    id: int
    title: str


class LeadRef(Schema):
    id: int
    name: str


class ContactRef(Schema):
    id: int
    name: str
    company: int


class ActivityOut(Schema):
    id: int
    kind: str
    subject: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    duration_minutes: int | None
    status: str
    completed_at: dt.datetime | None
    owner: UserRef
    company: CompanyRef | None
    deal: DealRef | None
    lead: LeadRef | None
    participant_users: list[UserRef]
    participant_contacts: list[ContactRef]
    place: str
    online_link: str
    agenda: str
    outcome: str
    private: bool
    follow_up_of: int | None
    version: int = Field(description="Send it back with PATCH; a stale version answers 409.")
    created_at: dt.datetime
    updated_at: dt.datetime
    url: str = Field(description="The activity's page in the web app.")


class ActivityPage(Schema):
    items: list[ActivityOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page.")
    count: int = Field(description="Activities matching the filters, counted up to 1000.")
    count_is_lower_bound: bool


class CompletedOut(Schema):
    activity: ActivityOut
    follow_up: ActivityOut | None


class ReminderOut(Schema):
    id: int
    remind_at: dt.datetime
    by_email: bool
    sent_at: dt.datetime | None


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(Schema):
    items: list[NotificationOut]
    next_cursor: str | None
    count: int
    count_is_lower_bound: bool
    unread: int = Field(description="All your unread notifications.")


class MarkedOut(Schema):
    marked: int = Field(description="How many notifications were marked read now.")


# --- input --------------------------------------------------------------------------------------

class FollowUpIn(StrictSchema):
    starts_at: Moment
    kind: KindValue | None = Field(None, description="Defaults to the completed activity's kind.")
    subject: str | None = Field(None, max_length=200,
                                description="Defaults to “Follow-up: <subject>”.")
    duration_minutes: int | None = Field(None, ge=0, le=services.MAX_DURATION)
    place: str = Field("", max_length=300)
    online_link: str = Field("", max_length=500)
    agenda: str = Field("", max_length=5000)


class ActivityCreate(StrictSchema):
    kind: KindValue
    subject: str = Field(max_length=200)
    starts_at: Moment
    duration_minutes: int | None = Field(None, ge=0, le=services.MAX_DURATION)
    ends_at: Moment | None = Field(None, description="Instead of duration_minutes.")
    status: Literal["planned", "done"] = Field(
        "planned", description="“done” logs an activity that took place (with its outcome).")
    company: int | None = Field(None, ge=1, le=MAX_ID)
    deal: int | None = Field(None, ge=1, le=MAX_ID, description="A deal of the company.")
    lead: int | None = Field(None, ge=1, le=MAX_ID)
    participant_users: list[RowId] = Field(default_factory=list, max_length=50,
                                           description="Colleagues (user ids).")
    participant_contacts: list[RowId] = Field(default_factory=list, max_length=50,
                                              description="Contacts of the activity's company.")
    place: str = Field("", max_length=300)
    online_link: str = Field("", max_length=500, description="http:// or https:// only.")
    agenda: str = Field("", max_length=5000)
    outcome: str = Field("", max_length=5000)
    private: bool = False
    owner: int | None = Field(None, ge=1, le=MAX_ID,
                              description="A head of sales or an administrator may choose.")
    follow_up: FollowUpIn | None = Field(None, description="With status “done”: schedule the "
                                                           "next activity in the same step.")


class ActivityUpdate(StrictSchema):
    version: int = Field(ge=1, description="The `version` you read; a stale one answers 409.")
    kind: KindValue | None = None
    subject: str | None = Field(None, max_length=200)
    starts_at: Moment | None = None
    duration_minutes: int | None = Field(None, ge=0, le=services.MAX_DURATION)
    ends_at: Moment | None = None
    company: int | None = Field(None, ge=1, le=MAX_ID)
    deal: int | None = Field(None, ge=1, le=MAX_ID)
    lead: int | None = Field(None, ge=1, le=MAX_ID)
    participant_users: list[RowId] | None = Field(None, max_length=50)
    participant_contacts: list[RowId] | None = Field(None, max_length=50)
    place: str | None = Field(None, max_length=300)
    online_link: str | None = Field(None, max_length=500)
    agenda: str | None = Field(None, max_length=5000)
    outcome: str | None = Field(None, max_length=5000)
    private: bool | None = None
    owner: int | None = Field(None, ge=1, le=MAX_ID)


class CompleteIn(StrictSchema):
    outcome: str = Field("", max_length=5000)
    follow_up: FollowUpIn | None = None
    version: int | None = Field(None, ge=1)


class ReminderIn(StrictSchema):
    minutes_before: int | None = Field(None, ge=0, le=MAX_MINUTES_BEFORE)
    remind_at: Moment | None = None
    by_email: bool = True


class RemindersIn(StrictSchema):
    reminders: list[ReminderIn] = Field(max_length=MAX_REMINDERS, description=(
        "Your reminders of this activity (replacing the pending ones); [] removes them. A time "
        "already past is sent at once."))


class MarkReadIn(StrictSchema):
    ids: list[RowId] | None = Field(None, max_length=500,
                                    description="Your notifications to mark read; all when absent.")


class ActivityListQuery(Schema):
    """Filters of the activities list. An unknown parameter is an error (400)."""

    model_config = ConfigDict(populate_by_name=True)

    view: ViewValue = Field("all", description="upcoming, overdue, done, cancelled, all, deleted")
    mine: bool = Field(False, description="Only what you own or take part in.")
    kind: list[KindValue] = Field(default_factory=list)
    status: list[StatusValue] = Field(default_factory=list)
    owner: list[RowId] = Field(default_factory=list, description="User ids.")
    company: int | None = Field(None, ge=1, le=MAX_ID)
    deal: int | None = Field(None, ge=1, le=MAX_ID)
    lead: int | None = Field(None, ge=1, le=MAX_ID)
    starts_from: str | None = Field(None, alias="from", max_length=40, description=(
        "Starting at or after this date (the whole day) or time; your zone when no offset."))
    starts_to: str | None = Field(None, alias="to", max_length=40, description=(
        "Starting before the end of this date, or before this time."))
    order: Literal["asc", "desc"] | None = Field(
        None, description="By start; upcoming soonest first, the rest latest first.")
    cursor: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)

    @model_validator(mode="before")
    @classmethod
    def _no_unknown_parameters(cls, data: Any, info: ValidationInfo) -> Any:
        request = (info.context or {}).get("request")
        if request is not None:
            allowed = {f.alias or name for name, f in cls.model_fields.items()}
            unknown = sorted(set(request.GET) - allowed)
            if unknown:
                raise ValidationFailed(fields={name[:50]: [_("Unknown parameter.")]
                                               for name in unknown[:20]})
        return data


class NotificationQuery(QuerySchema):
    unread: bool = Field(False, description="Only the unread ones.")
    cursor: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


# --- rendering ----------------------------------------------------------------------------------

def _user(user) -> dict:
    return {"id": user.pk, "username": user.username, "name": str(user)}


def activity_out(a: Activity, *, user) -> dict:
    """The activity as `user` may read it: its company, deal and lead only when they may see
    them (null otherwise), and only the client contacts they may see. `a` comes from a selector
    that annotated the links' visibility (selectors.with_link_visibility)."""
    company = a.company if a.company_id is not None and getattr(a, "company_visible", False) else None
    deal = a.deal if a.deal_id is not None and getattr(a, "deal_visible", False) else None
    lead_seen = a.lead_id is not None and getattr(a, "lead_visible", False)
    return {
        "id": a.pk, "kind": a.kind, "subject": a.subject, "starts_at": a.starts_at,
        "ends_at": a.ends_at, "duration_minutes": a.duration_minutes, "status": a.status,
        "completed_at": a.completed_at, "owner": _user(a.owner),
        "company": {"id": company.pk, "name": company.legal_name} if company is not None else None,
        "deal": {"id": deal.pk, "title": deal.title} if deal is not None else None,
        "lead": {"id": a.lead_id, "name": str(a.lead)} if lead_seen else None,
        "participant_users": [_user(u) for u in a.participant_users.all()],
        "participant_contacts": [{"id": c.pk, "name": str(c), "company": c.company_id}
                                 for c in selectors.contacts_seen(a, user=user)],
        "place": a.place, "online_link": a.online_link, "agenda": a.agenda,
        "outcome": a.outcome, "private": a.private, "follow_up_of": a.follow_up_of_id,
        "version": a.version, "created_at": a.created_at, "updated_at": a.updated_at,
        "url": reverse("activities:activity_detail", args=[a.pk]),
    }


def _get(request, activity_id: int) -> Activity:
    return selectors.activity_get(user=request.auth, pk=activity_id)


def _fresh(request, activity_id: int) -> dict:
    return activity_out(_get(request, activity_id), user=request.auth)


def _bound(value: str | None, zone, *, end: bool, name: str) -> dt.datetime | None:
    """A list bound: a date means its whole day in the user's zone, a time that moment."""
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        try:
            return times.parse_moment(value, zone)
        except ValidationError as exc:
            raise ValidationFailed(fields={name: exc.messages}) from None
    if not 1900 < day.year < 2200:  # the bounds of times.parse_moment: a day the database takes
        raise ValidationFailed(fields={name: [_("Enter a date between 1901 and 2199.")]})
    if end:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def _follow_up(payload) -> dict | None:
    if payload is None:
        return None
    return {k: v for k, v in payload.model_dump(exclude_unset=True).items()}


# --- activities ---------------------------------------------------------------------------------

@router.get("/activities", response=ActivityPage, tags=["activities"])
def list_activities(request, query: Query[ActivityListQuery]):
    """Activities you can see, filtered, one keyset page at a time by start time."""
    zone = user_zone(request.auth)
    filters = ActivityFilters(
        view=query.view, mine=query.mine, kind=list(query.kind), status=list(query.status),
        owner=list(query.owner), company=query.company, deal=query.deal, lead=query.lead,
        starts_from=_bound(query.starts_from, zone, end=False, name="from"),
        starts_before=_bound(query.starts_to, zone, end=True, name="to"),
        ascending=None if query.order is None else query.order == "asc",
    )
    page = activity_page(user=request.auth, filters=filters, cursor=check_cursor(query.cursor),
                         size=query.limit, participants=True)
    count, more = activity_count(user=request.auth, filters=filters)
    return {"items": [activity_out(a, user=request.auth) for a in page.items],
            "next_cursor": page.next_cursor,
            "count": count, "count_is_lower_bound": more}


@router.post("/activities", response={201: ActivityOut}, tags=["activities"])
def create_activity(request, payload: ActivityCreate):
    """Plan an activity, or log one that took place (`status` “done” with its `outcome`), and
    with `follow_up` schedule the next one in the same step."""
    data = payload.model_dump(exclude_unset=True)
    follow_up = _follow_up(payload.follow_up)
    data.pop("follow_up", None)
    activity = services.activity_create(actor=request.auth, data=data, follow_up=follow_up)
    return Status(201, _fresh(request, activity.pk))


@router.get("/activities/{activity_id}", response=ActivityOut, tags=["activities"])
def get_activity(request, activity_id: int):
    return _fresh(request, activity_id)


@router.patch("/activities/{activity_id}", response=ActivityOut, tags=["activities"])
def update_activity(request, activity_id: int, payload: ActivityUpdate):
    """Change the fields you send (not the status: complete and cancel do that). Send the
    `version` you read; if someone saved since, 409."""
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    activity = services.activity_update(actor=request.auth, activity=_get(request, activity_id),
                                        data=data, expected_version=version)
    return _fresh(request, activity.pk)


@router.delete("/activities/{activity_id}", response={204: None}, tags=["activities"])
def delete_activity(request, activity_id: int):
    """Soft delete: the activity leaves every list and can be restored."""
    services.activity_delete(actor=request.auth, activity=_get(request, activity_id))
    return Status(204, None)


@router.post("/activities/{activity_id}/complete", response=CompletedOut, tags=["activities"])
def complete_activity(request, activity_id: int, payload: CompleteIn):
    """Record the outcome and mark it done; with `follow_up`, schedule the next activity in the
    same step (all or nothing)."""
    activity = services.activity_complete(
        actor=request.auth, activity=_get(request, activity_id), outcome=payload.outcome,
        follow_up=_follow_up(payload.follow_up), expected_version=payload.version)
    follow_up = (selectors.activity_queryset(user=request.auth).filter(follow_up_of=activity)
                 .order_by("-pk").first())
    return {"activity": _fresh(request, activity.pk),
            "follow_up": _fresh(request, follow_up.pk) if payload.follow_up and follow_up else None}


@router.post("/activities/{activity_id}/cancel", response=ActivityOut, tags=["activities"])
def cancel_activity(request, activity_id: int):
    activity = services.activity_cancel(actor=request.auth, activity=_get(request, activity_id))
    return _fresh(request, activity.pk)


@router.post("/activities/{activity_id}/restore", response=ActivityOut, tags=["activities"])
def restore_activity(request, activity_id: int):
    activity = selectors.activity_get_deleted(user=request.auth, pk=activity_id)
    services.activity_restore(actor=request.auth, activity=activity)
    return _fresh(request, activity.pk)


@router.get("/activities/{activity_id}/reminders", response=list[ReminderOut],
            tags=["activities"])
def list_reminders(request, activity_id: int):
    """Your reminders of this activity, sent and pending."""
    return list(reminder_list(user=request.auth, activity=_get(request, activity_id)))


@router.put("/activities/{activity_id}/reminders", response=list[ReminderOut],
            tags=["activities"])
def set_reminders(request, activity_id: int, payload: RemindersIn):
    """Set your reminders of a planned activity: each `{"minutes_before": 15}` or
    `{"remind_at": "<time>"}`, in the app and, with `by_email` (default), by e-mail."""
    activity = _get(request, activity_id)
    reminder_set(actor=request.auth, activity=activity,
                 reminders=[r.model_dump(exclude_none=True) for r in payload.reminders])
    return list(reminder_list(user=request.auth, activity=activity))


# --- notifications ------------------------------------------------------------------------------

def notification_out(n: Notification) -> dict:
    return {"id": n.pk, "kind": n.kind, "title": n.title, "body": n.body, "url": n.url,
            "created_at": n.created_at, "read_at": n.read_at}


@router.get("/notifications", response=NotificationPage, tags=["notifications"])
def list_notifications(request, query: Query[NotificationQuery]):
    """Your own notifications, the newest first."""
    qs = notification_list(user=request.auth, unread_only=query.unread)
    page = keyset_page(qs, field="created_at", descending=True,
                       cursor=check_cursor(query.cursor), size=query.limit)
    count, more = bounded_count(qs)
    return {"items": [notification_out(n) for n in page.items], "next_cursor": page.next_cursor,
            "count": count, "count_is_lower_bound": more,
            "unread": unread_count(user=request.auth)}


@router.post("/notifications/read", response=MarkedOut, tags=["notifications"])
def mark_notifications_read(request, payload: MarkReadIn):
    """Mark your notifications read: those in `ids`, or all of them."""
    return {"marked": notifications_mark_read(user=request.auth, ids=payload.ids)}
