"""Activities as iCalendar (RFC 5545), built with the `icalendar` library.

Times are written in UTC ("…Z"): every calendar program reads them the same way, with no
VTIMEZONE to get wrong, and shows them in its own user's zone (Google Calendar and Outlook both
subscribe reliably to such feeds). Text is plain text: the library escapes commas, semicolons,
backslashes and line breaks, and folds long lines.

- A VEVENT's UID is `activity-<id>@<host>`: the same on every download and feed refresh, so a
  calendar program updates the event instead of adding it again.
- SEQUENCE is the activity's version minus one (0 for a new one); LAST-MODIFIED and DTSTAMP are
  its last change, so an unchanged feed is byte-for-byte the same (and answers 304 to a
  conditional request).
- Tasks and e-mail logs are transparent (they do not block time as "busy"); private
  activities are CLASS:PRIVATE.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.utils.translation import gettext as _
from icalendar import STATUS, Calendar, Event, vCalAddress, vText

from partnera.activities.models import Activity, ActivityKind, ActivityStatus

UTC = dt.UTC
PRODID = "-//Partnera//Partnera CRM//EN"
REFRESH = dt.timedelta(hours=1)
TRANSPARENT_KINDS = frozenset({ActivityKind.TASK, ActivityKind.EMAIL})
DEFAULT_MINUTES: dict[str, int] = {ActivityKind.TASK: 15, ActivityKind.EMAIL: 15}

Link = Callable[[Activity], str]


def uid_for(activity: Activity, host: str) -> str:
    return f"activity-{activity.pk}@{host}"


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = vText(name)
    return address


class Labels:
    """The translated words of a description, looked up once per calendar, not once per event."""

    def __init__(self) -> None:
        self.company = _("Company: %(name)s")
        self.deal = _("Deal: %(title)s")
        self.online = _("Online: %(link)s")
        self.kind = _("Kind: %(kind)s")
        self.done = _("Status: done")
        self.page = _("In Partnera: %(url)s")
        self.kinds = {value: str(label) for value, label in ActivityKind.choices}


def _description(activity: Activity, url: str, labels: Labels) -> str:
    lines: list[str] = []
    if activity.agenda:
        lines += [activity.agenda.strip(), ""]
    # Only what the calendar's reader may see (calendar._with_names / selectors.activity_get
    # annotate it); a deleted deal is seen by nobody.
    if activity.company_id and getattr(activity, "company_visible", False):
        lines.append(labels.company % {"name": activity.company})
    if activity.deal_id and getattr(activity, "deal_visible", False):
        lines.append(labels.deal % {"title": activity.deal})
    if activity.place and activity.online_link:
        lines.append(labels.online % {"link": activity.online_link})
    lines.append(labels.kind % {"kind": labels.kinds.get(activity.kind, activity.kind)})
    if activity.status == ActivityStatus.DONE:
        lines.append(labels.done)
    lines.append(labels.page % {"url": url})
    return "\n".join(lines)


def activity_event(activity: Activity, *, host: str, url: str, labels: Labels | None = None) -> Event:
    """One VEVENT for an activity. `url` is the absolute address of its page. Its attendees are
    `activity.calendar_attendees`, which the caller reads for the calendar's reader
    (calendar.attach_attendees): none when it did not."""
    labels = labels or Labels()
    start = _utc(activity.starts_at)
    minutes = activity.duration_minutes or DEFAULT_MINUTES.get(activity.kind, 30)
    end = start + dt.timedelta(minutes=minutes)
    changed = _utc(activity.updated_at or activity.created_at or activity.starts_at)
    status = STATUS.CANCELLED if activity.status == ActivityStatus.CANCELLED else STATUS.CONFIRMED
    event = Event.new(
        uid=uid_for(activity, host),
        stamp=changed,
        start=start,
        end=end,
        summary=activity.subject,
        description=_description(activity, url, labels),
        location=activity.place or activity.online_link or None,
        url=url,
        status=status,
        sequence=max(0, (activity.version or 1) - 1),
        last_modified=changed,
        categories=[labels.kinds.get(activity.kind, activity.kind)],
    )
    # Only what differs from the defaults (CLASS:PUBLIC, TRANSP:OPAQUE): a feed holds thousands.
    if activity.private:
        event.add("class", "PRIVATE")
    if activity.kind in TRANSPARENT_KINDS:
        event.add("transp", "TRANSPARENT")
    owner = activity.owner
    if owner is not None and owner.email:
        event.add("organizer", _address(owner.email, str(owner)))
    for email, name in getattr(activity, "calendar_attendees", ()):
        event.add("attendee", _address(email, name),
                  parameters={"ROLE": "REQ-PARTICIPANT", "CUTYPE": "INDIVIDUAL"})
    return event


def _calendar(**kwargs) -> Calendar:
    calendar = Calendar.new(prodid=PRODID, calscale="GREGORIAN", method="PUBLISH", **kwargs)
    # Calendar.new gives the calendar a random UID; a feed should read the same on every refresh.
    calendar.pop("UID", None)
    return calendar


def feed_calendar(activities: Iterable[Activity], *, name: str, time_zone: str, host: str,
                  link: Link) -> bytes:
    """A subscribable calendar (one user's feed). `link` gives an activity's absolute URL."""
    calendar = _calendar(name=name)
    calendar.add("x-wr-timezone", time_zone)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    labels = Labels()
    for activity in activities:
        calendar.add_component(activity_event(activity, host=host, url=link(activity), labels=labels))
    return calendar.to_ical()


def single_calendar(activity: Activity, *, host: str, url: str) -> bytes:
    """One activity as a downloadable .ics file (METHOD:PUBLISH, one VEVENT)."""
    calendar = _calendar()
    calendar.add_component(activity_event(activity, host=host, url=url))
    return calendar.to_ical()
