"""REST API of the calendar: visible events in a date range, and the secret feed address.

- `GET /calendar/events?start=&end=&who=` — events overlapping [start, end) (ISO dates, read in
  the caller's time zone, at most 62 days), of `me` (default), `team`, `team:<id>` or
  `user:<id>`; a calendar outside the caller's scope answers 404 like a missing record.
- `POST /calendar/feed` — a new secret feed address (created, or reset if there was one); the
  address is in this answer only.
- `DELETE /calendar/feed` — revoke it.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from partnera.activities import calendar as cal
from partnera.activities import feeds
from partnera.core.api import QuerySchema, Ref
from partnera.core.errors import ValidationFailed
from partnera.core.timezones import user_zone

router = Router()


class EventsQuery(QuerySchema):
    start: dt.date = Field(description="First day (YYYY-MM-DD), in your time zone.")
    end: dt.date = Field(description="The day after the last one (YYYY-MM-DD), at most 62 days "
                                     "after start.")
    who: str = Field("me", max_length=40, description="me, team, team:<id> or user:<id>.")


class EventOut(Schema):
    id: int
    kind: str
    subject: str
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    duration_minutes: int | None
    all_day: bool = Field(description="A task or e-mail log, shown at its due time above the day.")
    private: bool
    owner: Ref
    company: Ref | None = Field(description="Null when there is none or you may not see it.")
    deal: Ref | None = Field(description="Null when there is none or you may not see it.")
    place: str
    online_link: str
    url: str = Field(description="The activity's page.")


class EventsOut(Schema):
    who: str
    label: str
    time_zone: str
    start: dt.datetime
    end: dt.datetime
    truncated: bool = Field(description="More events than returned: ask for a shorter range.")
    events: list[EventOut]


class FeedOut(Schema):
    url: str = Field(description="The secret address. Shown this once; only its hash is stored.")
    webcal_url: str
    created_at: dt.datetime


def _event(activity, request) -> dict:
    """An event; its company and deal only when the caller may see them (null otherwise)."""
    company = activity.company if getattr(activity, "company_visible", False) else None
    deal = activity.deal if getattr(activity, "deal_visible", False) else None
    return {
        "id": activity.pk, "kind": activity.kind, "subject": activity.subject,
        "status": activity.status, "starts_at": activity.starts_at, "ends_at": activity.ends_at,
        "duration_minutes": activity.duration_minutes,
        "all_day": activity.kind in cal.ALL_DAY_KINDS, "private": activity.private,
        "owner": {"id": activity.owner_id, "name": str(activity.owner)},
        "company": {"id": company.pk, "name": str(company)} if company else None,
        "deal": {"id": deal.pk, "name": str(deal)} if deal else None,
        "place": activity.place, "online_link": activity.online_link,
        "url": request.build_absolute_uri(cal.activity_url(activity.pk)),
    }


@router.get("/calendar/events", response=EventsOut, tags=["calendar"])
def calendar_events(request, query: Query[EventsQuery]):
    """The visible activities of a calendar in a date range (cancelled ones left out)."""
    user = request.auth
    for name in ("start", "end"):
        if not cal.FIRST_YEAR <= getattr(query, name).year <= cal.LAST_YEAR:
            raise ValidationFailed(fields={name: [_("Enter a date between %(first)s and %(last)s.")
                                                  % {"first": cal.FIRST_YEAR, "last": cal.LAST_YEAR}]})
    if query.end <= query.start:
        raise ValidationFailed(fields={"end": [_("The end must be after the start.")]})
    if (query.end - query.start).days > cal.RANGE_MAX_DAYS:
        raise ValidationFailed(fields={"end": [
            _("Ask for at most %(days)s days at a time.") % {"days": cal.RANGE_MAX_DAYS}]})
    who = cal.calendar_who(user=user, who=query.who)
    tz = user_zone(user)
    start, end = cal.local_bounds(query.start, query.end, tz)
    found = cal.calendar_events(user=user, who=who, start=start, end=end)
    return {"who": who.key, "label": who.label, "time_zone": str(tz), "start": start, "end": end,
            "truncated": found.truncated,
            "events": [_event(a, request) for a in found.activities]}


def _feed_out(request, feed, secret: str) -> dict:
    url = request.build_absolute_uri(reverse("feeds:feed", kwargs={"token": secret}))
    return {"url": url, "webcal_url": "webcal://" + url.split("://", 1)[1],
            "created_at": feed.created_at}


@router.post("/calendar/feed", response={201: FeedOut}, tags=["calendar"])
def create_feed(request):
    """A new secret feed address for you; an address you had before stops working."""
    feed, secret = feeds.calendar_feed_reset(actor=request.auth, user=request.auth)
    return Status(201, _feed_out(request, feed, secret))


@router.delete("/calendar/feed", response={204: None}, tags=["calendar"])
def revoke_feed(request):
    """Revoke your feed address (404 when you have none)."""
    feeds.calendar_feed_revoke(actor=request.auth, user=request.auth)
    return Status(204, None)
