"""Calendar pages: the week and month views, the secret feed address (its page and the public
feed itself), and one activity downloaded as .ics."""

from __future__ import annotations

import datetime as dt
import hashlib
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.http.request import split_domain_port
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.http import content_disposition_header, urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from partnera.activities import calendar as cal
from partnera.activities import feeds, ical
from partnera.activities.models import ActivityKind
from partnera.activities.selectors import activity_get
from partnera.core.errors import DomainError
from partnera.core.timezones import user_zone
from partnera.core.translit import to_latin
from partnera.core.web import AuthenticatedHttpRequest, web_errors

VIEWS = ("week", "month")
FEED_CACHE = "private, max-age=900"


def _host(request: HttpRequest) -> str:
    """The site's host name (no port), for the UIDs of calendar events: PARTNERA_SITE_URL's when
    set, so an event keeps its UID whichever address the calendar application used."""
    configured = urlsplit(settings.PARTNERA_SITE_URL).hostname if settings.PARTNERA_SITE_URL else None
    domain, _port = split_domain_port(request.get_host())
    return configured or domain or "partnera"


def _absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


def _parse_day(value: str | None, default: dt.date) -> dt.date:
    """The day asked for; a missing, malformed or far-fetched one means today."""
    try:
        day = dt.date.fromisoformat((value or "").strip()[:10]) if value else default
    except ValueError:
        return default
    return day if cal.FIRST_YEAR <= day.year <= cal.LAST_YEAR else default


def _date_text(day: dt.date, fmt: str) -> str:
    """A date in words; Bulgarian writes month names in lower case inside a date."""
    text = dateformat.format(day, fmt)
    if (translation.get_language() or "").startswith("bg"):
        month = dateformat.format(day, "E")
        text = text.replace(month, month.lower())
    return text


def range_label(first: dt.date, last: dt.date | None = None) -> str:
    """"7 – 13 July 2025", "30 June – 6 July 2025", or a month: "July 2025"."""
    if last is None:
        return dateformat.format(first, "F Y")
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day} – {_date_text(last, 'j E Y')}"
    if first.year == last.year:
        return f"{_date_text(first, 'j E')} – {_date_text(last, 'j E Y')}"
    return f"{_date_text(first, 'j E Y')} – {_date_text(last, 'j E Y')}"


def _link(view: str, day: dt.date, who: str) -> str:
    params = {"view": view, "date": day.isoformat()}
    if who != "me":
        params["who"] = who
    return f"{reverse('activities:calendar')}?{urlencode(params)}"


def _who_options(user) -> dict:
    teams = list(cal.calendar_teams(user=user).order_by("name").only("pk", "name"))
    users = list(cal.calendar_users(user=user).only("pk", "first_name", "last_name", "username"))
    return {"teams": teams, "users": users}


# --- week and month ------------------------------------------------------------------------------

@login_required
@require_GET
@web_errors
def calendar_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    tz = user_zone(user)
    now = timezone.now()
    today = now.astimezone(tz).date()
    requested = request.GET.get("view", "")
    view = requested if requested in VIEWS else "week"
    day = _parse_day(request.GET.get("date"), today)
    who = cal.calendar_who(user=user, who=request.GET.get("who"))
    context: dict = {"view": view, "day": day, "today": today, "who": who, "time_zone": str(tz),
                     "kinds": ActivityKind.choices, **_who_options(user)}
    if view == "week":
        monday = cal.week_start(day)
        start, end = cal.local_bounds(monday, monday + dt.timedelta(days=7), tz)
        found = cal.calendar_events(user=user, who=who, start=start, end=end)
        context.update(
            grid=cal.build_week(found.activities, monday=monday, tz=tz, now=now),
            truncated=found.truncated, range_label=range_label(monday, monday + dt.timedelta(days=6)),
            prev_url=_link(view, monday - dt.timedelta(days=7), who.key),
            next_url=_link(view, monday + dt.timedelta(days=7), who.key),
        )
    else:
        first = day.replace(day=1)
        grid_start = cal.month_grid_start(first)
        start, end = cal.local_bounds(grid_start, grid_start + dt.timedelta(days=42), tz)
        found = cal.calendar_events(user=user, who=who, start=start, end=end)
        context.update(
            month=cal.build_month(found.activities, month=first, tz=tz, now=now),
            truncated=found.truncated, range_label=range_label(first),
            prev_url=_link(view, cal.shift_month(first, -1), who.key),
            next_url=_link(view, cal.shift_month(first, 1), who.key),
        )
    # From a month, the week view opens on today's week when today is in that month.
    week_day = today if view == "month" and (today.year, today.month) == (day.year, day.month) else day
    context.update(
        today_url=_link(view, today, who.key),
        week_url=_link("week", week_day, who.key),
        month_url=_link("month", day, who.key),
    )
    if view == "month":
        for week in context["month"].weeks:
            for cell in week:
                cell.link = _link("week", cell.date, who.key)
    return render(request, f"activities/calendar_{view}.html", context)


# --- the secret feed address ----------------------------------------------------------------------

def _feed_page(request, *, secret: str | None = None, status: int = 200) -> HttpResponse:
    feed = feeds.calendar_feed_get(user=request.user)
    context: dict = {"feed": feed, "time_zone": str(user_zone(request.user))}
    if secret:
        url = _absolute(request, reverse("feeds:feed", kwargs={"token": secret}))
        context.update(feed_url=url, webcal_url="webcal://" + url.split("://", 1)[1])
    response = render(request, "activities/calendar_feed.html", context, status=status)
    return response


@login_required
@never_cache
@require_GET
@web_errors
def feed_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _feed_page(request)


def _issue(request, service) -> HttpResponse:
    try:
        _feed, secret = service(actor=request.user, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _feed_page(request, status=exc.status)
    # Shown in this response only: the secret is not stored and cannot be shown again.
    return _feed_page(request, secret=secret)


@login_required
@never_cache
@require_POST
@web_errors
def feed_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _issue(request, feeds.calendar_feed_create)


@login_required
@never_cache
@require_POST
@web_errors
def feed_reset(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _issue(request, feeds.calendar_feed_reset)


@login_required
@require_POST
@web_errors
def feed_revoke(request: AuthenticatedHttpRequest) -> HttpResponse:
    feeds.calendar_feed_revoke(actor=request.user, user=request.user)
    messages.success(request, _("Your calendar address was revoked. Calendars subscribed to it "
                                "no longer receive your activities."))
    return redirect("activities:calendar_feed")


def _calendar_response(request: HttpRequest, body: bytes, *, filename: str | None = None,
                       cache: str) -> HttpResponse:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = cache
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if filename:
        response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The public feed: no login, the secret in the address is the key. Unknown or revoked → 404."""
    user = feeds.calendar_feed_user(token)
    if user is None:
        raise Http404()
    activities = cal.feed_activities(user=user)
    host = _host(request)
    with translation.override(user.language or None):
        body = ical.feed_calendar(
            activities,
            name=_("Partnera — %(name)s") % {"name": user.get_full_name() or user.get_username()},
            time_zone=str(user_zone(user)),
            host=host,
            link=lambda a: _absolute(request, cal.activity_url(a.pk)),
        )
    response = _calendar_response(request, body, cache=FEED_CACHE)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- one activity as .ics ------------------------------------------------------------------------

def ics_filename(activity) -> str:
    slug = slugify(to_latin(activity.subject))[:60].strip("-")
    return f"{slug or f'activity-{activity.pk}'}.ics"


@login_required
@require_GET
@web_errors
def activity_ics(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    activity = activity_get(user=request.user, pk=pk)
    cal.attach_attendees([activity], user=request.user)
    body = ical.single_calendar(activity, host=_host(request),
                                url=_absolute(request, cal.activity_url(activity.pk)))
    return _calendar_response(request, body, filename=ics_filename(activity),
                              cache="private, no-cache")
