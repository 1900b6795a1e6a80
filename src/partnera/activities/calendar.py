"""The calendar: whose activities a user may open, the visible ones in a date range, and how they
lie on a week or month grid in the viewer's time zone.

Whose calendar ("who"):
- `me` — the viewer's own activities and those they take part in (their private ones included);
- `team` / `team:<id>` — the activities of a team's members (or assigned to the team): a head of
  sales opens the teams they head, a member the team they are in when it shares its clients, an
  administrator any team;
- `user:<id>` — one colleague's: a head of sales opens the members of their teams, an
  administrator anyone.
Whatever is asked, only what `activity_visible_q` grants the viewer is shown: another person's
private activity never appears (not even as a busy block) unless the viewer takes part in it.
A calendar outside the viewer's scope answers NotFound, like a record they may not see.
An event names its company and deal, and the feed and .ics list its client contacts, only when
the viewer (a feed's owner) may see them by their own rule.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from partnera.activities.models import Activity, ActivityKind, ActivityStatus
from partnera.activities.selectors import activity_visible_q, with_link_visibility
from partnera.core.errors import NotFound, ValidationFailed
from partnera.core.roles import Role
from partnera.core.visibility import is_administrator
from partnera.people.models import Team, User

UTC = dt.UTC
FIRST_HOUR = 7  # the week grid shows at least 07:00–20:00, more when an event lies outside
LAST_HOUR = 20
SLOT_MINUTES = 15
MIN_SLOTS = 2  # a short call still gets a readable block (30 minutes tall)
MAX_LANES = 6  # overlapping events share the day's width, at most six side by side
MONTH_SHOWN = 3  # events listed in a month cell before "+N more"
RANGE_MAX_DAYS = 62
FIRST_YEAR, LAST_YEAR = 1900, 2999  # the calendar's dates stay well inside what datetime handles
LONGEST_EVENT = dt.timedelta(days=7)  # an event that began this long before a range may reach it
EVENT_LIMIT = 2000
ALL_DAY_KINDS = frozenset({ActivityKind.TASK, ActivityKind.EMAIL})
FEED_LIMIT = 5000  # a feed holds at most this many events (about 12 a day for 14 months)
FEED_PAST = dt.timedelta(days=60)
FEED_FUTURE = dt.timedelta(days=365)


def activity_url(pk: int) -> str:
    """The activity's page (linked from the calendar and the feed)."""
    return reverse("activities:activity_detail", args=[pk])


# --- whose calendar ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Who:
    key: str  # me | team | team:<id> | user:<id>
    kind: str  # me | team | user
    label: str
    user_id: int | None = None
    team_ids: tuple[int, ...] = ()


def calendar_teams(*, user) -> QuerySet[Team]:
    """Teams whose calendar the user may open."""
    if is_administrator(user):
        return Team.objects.all()
    query = Q(pk__in=[])
    if user.role == Role.HEAD_OF_SALES:
        query |= Q(head=user)
    if user.team_id:
        query |= Q(pk=user.team_id, shares_clients=True)
    return Team.objects.filter(query)


def calendar_users(*, user) -> QuerySet[User]:
    """Colleagues whose calendar the user may open one by one (the user themselves excluded)."""
    if is_administrator(user):
        users = User.objects.filter(is_active=True)
    elif user.role == Role.HEAD_OF_SALES:
        users = User.objects.filter(is_active=True, team__head=user)
    else:
        users = User.objects.none()
    return users.exclude(pk=user.pk).order_by("first_name", "last_name", "username")


def _my_team_ids(user) -> tuple[int, ...]:
    """What "my team" means: the teams a head of sales leads, else the user's own team when
    they may open it."""
    if user.role == Role.HEAD_OF_SALES:
        headed = tuple(Team.objects.filter(head=user).order_by("pk").values_list("pk", flat=True))
        if headed:
            return headed
    if user.team_id and calendar_teams(user=user).filter(pk=user.team_id).exists():
        return (user.team_id,)
    return ()


def _parse_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise NotFound() from None
    if value < 1 or value > 2**63 - 1:
        raise NotFound()
    return value


def calendar_who(*, user, who: str | None) -> Who:
    """Resolve "who" for the viewer, or NotFound when it lies outside what they may open."""
    value = (who or "me").strip()
    if value == "me":
        return Who("me", "me", _("My calendar"), user_id=user.pk)
    if value == "team":
        team_ids = _my_team_ids(user)
        if not team_ids:
            raise NotFound(_("You are in no team whose calendar you can open."))
        names = list(Team.objects.filter(pk__in=team_ids).order_by("name").values_list("name", flat=True))
        return Who("team", "team", ", ".join(names), team_ids=team_ids)
    kind, sep, rest = value.partition(":")
    if not sep or kind not in ("team", "user"):
        raise ValidationFailed(fields={"who": [
            _("Choose “me”, “team”, “team:<id>” or “user:<id>”.")]})
    pk = _parse_id(rest)
    if kind == "team":
        team = calendar_teams(user=user).filter(pk=pk).first()
        if team is None:
            raise NotFound()
        return Who(f"team:{pk}", "team", team.name, team_ids=(pk,))
    if pk == user.pk:
        return Who("me", "me", _("My calendar"), user_id=user.pk)
    colleague = calendar_users(user=user).filter(pk=pk).first()
    if colleague is None:
        raise NotFound()
    return Who(f"user:{pk}", "user", str(colleague), user_id=pk)


def _with_names(queryset: QuerySet[Activity], *, user) -> QuerySet[Activity]:
    """The activities with just the names the calendar shows of their owner, company and deal
    (a company row is wide; a week or a feed reads hundreds of them), and whether `user` may see
    that company and deal (`company_visible`, `deal_visible`: subqueries of the same query)."""
    own = [f.attname for f in Activity._meta.concrete_fields if f.attname != "outcome"]
    return with_link_visibility(queryset.select_related("owner", "company", "deal").only(
        *own, "owner__first_name", "owner__last_name", "owner__username", "owner__email",
        "company__legal_name", "deal__title"), user=user)


def _who_q(who: Who, *, since: dt.datetime, until: dt.datetime) -> Q:
    """Whose activities, as conditions each index can answer on its own (owner, team), the ids of
    the activities a person takes part in read first: an OR with a subquery would scan the table."""
    if who.kind == "team":
        members = list(User.objects.filter(team_id__in=who.team_ids).values_list("pk", flat=True))
        return Q(owner_id__in=members) | Q(team_id__in=who.team_ids)
    assert who.user_id is not None
    through = Activity.participant_users.through
    taking_part = list(through.objects.filter(
        user_id=who.user_id, activity__starts_at__gte=since, activity__starts_at__lt=until,
    ).values_list("activity_id", flat=True)[:FEED_LIMIT])
    return Q(owner_id=who.user_id) | Q(pk__in=taking_part)


# --- reading events -----------------------------------------------------------------------------

# An activity that began before a range reaches into it only if it lasts long enough: coarse
# buckets the database can check (the exact end is checked in Python), so a range does not read
# a week of earlier activities.
_REACH_BUCKETS = ((dt.timedelta(hours=1), 0), (dt.timedelta(hours=4), 60),
                  (dt.timedelta(days=1), 240), (LONGEST_EVENT, 1440))


def _reaches(start: dt.datetime) -> Q:
    query = Q(starts_at__gte=start)
    newer = start
    for age, longer_than in _REACH_BUCKETS:
        older = start - age
        query |= Q(starts_at__gte=older, starts_at__lt=newer, duration_minutes__gt=longer_than)
        newer = older
    return query


@dataclass
class EventRange:
    activities: list[Activity]
    truncated: bool


def calendar_events(*, user, who: Who, start: dt.datetime, end: dt.datetime,
                    include_cancelled: bool = False, limit: int = EVENT_LIMIT) -> EventRange:
    """Visible activities of `who` that overlap [start, end), in time order. A fixed number of
    queries whatever the number of events (the rule's team lookup, whose activities, then the
    events with their owner, company and deal)."""
    since = start - LONGEST_EVENT
    queryset = _with_names(
        Activity.objects.filter(activity_visible_q(user))
        .filter(_who_q(who, since=since, until=end))
        .filter(starts_at__lt=end, starts_at__gte=since)
        .filter(_reaches(start))
        .order_by("starts_at", "pk"),
        user=user,
    )
    if not include_cancelled:
        queryset = queryset.exclude(status=ActivityStatus.CANCELLED)
    found: list[Activity] = []
    for activity in queryset[: limit * 2]:
        if activity.starts_at >= start or activity.ends_at > start:
            found.append(activity)
    return EventRange(found[:limit], truncated=len(found) > limit)


def feed_activities(*, user, now: dt.datetime | None = None) -> list[Activity]:
    """A user's own feed: what they own or take part in (their private activities included),
    from 60 days back to a year ahead; cancelled and deleted ones left out, done ones kept.
    Each activity carries `calendar_attendees`: (e-mail, name) of the colleagues and client
    contacts taking part who have an e-mail address (read in two queries for the whole feed).
    The feed belongs to `user`: they are the viewer of every company, deal and contact in it."""
    now = now or dt.datetime.now(tz=UTC)
    since, until = now - FEED_PAST, now + FEED_FUTURE
    who = Who("me", "me", "", user_id=user.pk)
    activities = list(
        _with_names(
            Activity.objects.filter(activity_visible_q(user))
            .filter(_who_q(who, since=since, until=until))
            .filter(starts_at__gte=since, starts_at__lt=until)
            .exclude(status=ActivityStatus.CANCELLED), user=user)
        .order_by("starts_at", "pk")[:FEED_LIMIT]
    )
    attach_attendees(activities, user=user)
    return activities


def attach_attendees(activities: list[Activity], *, user) -> None:
    """Set `calendar_attendees` on each activity: the colleagues (other than the owner) and the
    client contacts taking part that `user` may see, as (e-mail, name), those without an e-mail
    address left out."""
    from partnera.clients.selectors import contact_visible

    by_id: dict[int, list[tuple[str, str]]] = {a.pk: [] for a in activities}
    if by_id:
        ids = list(by_id)
        users = Activity.participant_users.through.objects.filter(activity_id__in=ids).values_list(
            "activity_id", "user_id", "user__email", "user__first_name", "user__last_name",
            "user__username").order_by("activity_id", "user__last_name", "user_id")
        owners = {a.pk: a.owner_id for a in activities}
        for activity_id, user_id, email, first, last, username in users:
            if email and user_id != owners[activity_id]:
                by_id[activity_id].append((email, f"{first} {last}".strip() or username))
        contacts = Activity.participant_contacts.through.objects.filter(
            activity_id__in=ids, contact__in=contact_visible(user=user)).values_list(
            "activity_id", "contact__emails", "contact__first_name", "contact__last_name",
        ).order_by("activity_id", "contact__last_name", "contact_id")
        for activity_id, emails, first, last in contacts:
            email = next((e.strip() for e in emails or [] if isinstance(e, str) and "@" in e), "")
            if email:
                by_id[activity_id].append((email, f"{first} {last}".strip()))
    for activity in activities:
        activity.calendar_attendees = by_id[activity.pk]  # type: ignore[attr-defined]


def local_bounds(first: dt.date, last_exclusive: dt.date, tz) -> tuple[dt.datetime, dt.datetime]:
    """[first 00:00, last 00:00) in the zone, as UTC instants (right across DST changes)."""
    start = dt.datetime.combine(first, dt.time(0), tzinfo=tz).astimezone(UTC)
    end = dt.datetime.combine(last_exclusive, dt.time(0), tzinfo=tz).astimezone(UTC)
    return start, end


# --- laying events out --------------------------------------------------------------------------

@dataclass
class CalendarItem:
    activity: Activity
    start: dt.datetime  # in the viewer's zone
    end: dt.datetime
    time_label: str = ""
    row: int = 1
    span: int = 1
    lane: int = 0
    lanes: int = 1
    continues_before: bool = False
    continues_after: bool = False

    @property
    def start_label(self) -> str:
        return f"{self.start:%H:%M}"

    @property
    def url(self) -> str:
        return activity_url(self.activity.pk)

    @property
    def css(self) -> str:
        classes = [f"kind-{self.activity.kind}"]
        if self.activity.status == ActivityStatus.DONE:
            classes.append("is-done")
        if self.activity.status == ActivityStatus.CANCELLED:
            classes.append("is-cancelled")
        if self.activity.private:
            classes.append("is-private")
        return " ".join(classes)

    @property
    def place_classes(self) -> str:
        return f"r-{self.row} s-{self.span} ln-{self.lanes}-{self.lane}"


@dataclass
class CalendarDay:
    date: dt.date
    is_today: bool = False
    in_month: bool = True
    link: str = ""  # month: the week view of this day
    timed: list[CalendarItem] = field(default_factory=list)
    all_day: list[CalendarItem] = field(default_factory=list)
    items: list[CalendarItem] = field(default_factory=list)  # month: everything, in time order

    @property
    def is_weekend(self) -> bool:
        return self.date.weekday() >= 5

    @property
    def shown(self) -> list[CalendarItem]:
        return self.items[:MONTH_SHOWN]

    @property
    def more(self) -> int:
        return max(0, len(self.items) - MONTH_SHOWN)


@dataclass
class WeekGrid:
    days: list[CalendarDay]
    first_hour: int
    last_hour: int
    hours: list[tuple[str, int]]  # (label, row)
    now_row: int | None = None

    @property
    def rows(self) -> int:
        return (self.last_hour - self.first_hour) * (60 // SLOT_MINUTES)

    @property
    def has_all_day(self) -> bool:
        return any(day.all_day for day in self.days)


@dataclass
class MonthGrid:
    first: dt.date
    weeks: list[list[CalendarDay]]


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def month_grid_start(day: dt.date) -> dt.date:
    return week_start(day.replace(day=1))


def _local(activity: Activity, tz) -> tuple[dt.datetime, dt.datetime]:
    start = activity.starts_at.astimezone(tz)
    end = activity.ends_at.astimezone(tz)  # UTC arithmetic, then the zone: right across DST
    return start, end


def _minutes(moment: dt.datetime) -> int:
    return moment.hour * 60 + moment.minute


def _label(start: dt.datetime, end: dt.datetime, *, range_: bool = True) -> str:
    if not range_ or end <= start:
        return f"{start:%H:%M}"
    return f"{start:%H:%M}–{end:%H:%M}"


def _assign_lanes(items: list[CalendarItem]) -> None:
    """Side by side where events overlap (like a paper diary): greedy lanes per overlapping cluster."""
    items.sort(key=lambda i: (i.row, -i.span, i.activity.pk))
    cluster: list[CalendarItem] = []
    lane_ends: list[int] = []
    cluster_end = 0

    def close() -> None:
        lanes = min(len(lane_ends), MAX_LANES) or 1
        for member in cluster:
            member.lanes = lanes
            member.lane = min(member.lane, lanes - 1)

    for item in items:
        if cluster and item.row >= cluster_end:
            close()
            cluster, lane_ends, cluster_end = [], [], 0
        for index, end in enumerate(lane_ends):
            if end <= item.row:
                item.lane = index
                lane_ends[index] = item.row + item.span
                break
        else:
            item.lane = len(lane_ends)
            lane_ends.append(item.row + item.span)
        cluster.append(item)
        cluster_end = max(cluster_end, item.row + item.span)
    if cluster:
        close()


def build_week(activities: list[Activity], *, monday: dt.date, tz, now: dt.datetime) -> WeekGrid:
    today = now.astimezone(tz).date()
    days = [CalendarDay(monday + dt.timedelta(days=i)) for i in range(7)]
    for day in days:
        day.is_today = day.date == today
    segments: list[tuple[CalendarDay, CalendarItem, int, int]] = []
    for activity in activities:
        start, end = _local(activity, tz)
        if activity.kind in ALL_DAY_KINDS:
            for day in days:
                if day.date == start.date():
                    day.all_day.append(CalendarItem(activity, start, end, _label(start, end, range_=False)))
            continue
        shown_end = max(end, start + dt.timedelta(minutes=SLOT_MINUTES * MIN_SLOTS))
        for day in days:
            day_start = dt.datetime.combine(day.date, dt.time(0), tzinfo=tz)
            day_end = dt.datetime.combine(day.date + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
            seg_start, seg_end = max(start, day_start), min(shown_end, day_end)
            if seg_start >= day_end or seg_end <= day_start:
                continue
            from_min = _minutes(seg_start) if seg_start > day_start else 0
            to_min = 24 * 60 if seg_end >= day_end else _minutes(seg_end)
            to_min = max(to_min, from_min + SLOT_MINUTES)
            item = CalendarItem(activity, start, end, _label(start, end),
                                continues_before=start < day_start, continues_after=end > day_end)
            segments.append((day, item, from_min, to_min))
    first_hour = min([FIRST_HOUR, *(f // 60 for _d, _i, f, _t in segments)])
    last_hour = max([LAST_HOUR, *(math.ceil(t / 60) for _d, _i, _f, t in segments)])
    rows = (last_hour - first_hour) * (60 // SLOT_MINUTES)
    for day, item, from_min, to_min in segments:
        item.row = (from_min - first_hour * 60) // SLOT_MINUTES + 1
        slots = math.ceil((to_min - from_min) / SLOT_MINUTES)
        item.span = max(1, min(max(slots, MIN_SLOTS), rows - item.row + 1))
        day.timed.append(item)
    for day in days:
        _assign_lanes(day.timed)
        day.all_day.sort(key=lambda i: (i.start, i.activity.pk))
    hours = [(f"{hour:02d}:00", (hour - first_hour) * 4 + 1) for hour in range(first_hour, last_hour)]
    local_now = now.astimezone(tz)
    now_row = None
    if monday <= local_now.date() < monday + dt.timedelta(days=7):
        minutes = _minutes(local_now)
        if first_hour * 60 <= minutes < last_hour * 60:
            now_row = (minutes - first_hour * 60) // SLOT_MINUTES + 1
    return WeekGrid(days, first_hour, last_hour, hours, now_row)


def build_month(activities: list[Activity], *, month: dt.date, tz, now: dt.datetime) -> MonthGrid:
    first = month.replace(day=1)
    start = month_grid_start(first)
    today = now.astimezone(tz).date()
    days = [CalendarDay(start + dt.timedelta(days=i)) for i in range(42)]
    by_date = {day.date: day for day in days}
    for day in days:
        day.is_today = day.date == today
        day.in_month = day.date.month == first.month
    for activity in activities:
        local_start, local_end = _local(activity, tz)
        all_day = activity.kind in ALL_DAY_KINDS
        item = CalendarItem(activity, local_start, local_end, _label(local_start, local_end, range_=False))
        last_day = local_start.date() if all_day else max(
            local_start.date(), (local_end - dt.timedelta(microseconds=1)).date())
        day_date = local_start.date()
        while day_date <= last_day:
            if day_date in by_date:
                by_date[day_date].items.append(item)
            day_date += dt.timedelta(days=1)
    for day in days:
        day.items.sort(key=lambda i: (i.start, i.activity.pk))
    return MonthGrid(first, [days[i:i + 7] for i in range(0, 42, 7)])


def shift_month(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)
