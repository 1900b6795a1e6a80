"""The activities list: "mine" by default (what I own or take part in), in views by time and
status (upcoming, overdue, done, cancelled, all, deleted), filtered by kind, status, owner,
company, deal and date range, one keyset page at a time. The web list and the API share it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone

from partnera.activities.models import Activity, ActivityStatus
from partnera.activities.selectors import (
    activity_deleted_list,
    activity_queryset,
    activity_visible_branches,
    taking_part_q,
    visible_contacts,
    with_link_visibility,
)
from partnera.core.pagination import Page, bounded_count, keyset_page

VIEWS = ("upcoming", "overdue", "done", "cancelled", "all", "deleted")


@dataclass
class ActivityFilters:
    view: str = "all"
    mine: bool = False  # only what the user owns or takes part in
    kind: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)
    company: int | None = None
    deal: int | None = None
    lead: int | None = None
    starts_from: dt.datetime | None = None  # inclusive
    starts_before: dt.datetime | None = None  # exclusive
    ascending: bool | None = None  # None: the view's own order


def activity_list(*, user, filters: ActivityFilters | None = None,
                  now: dt.datetime | None = None) -> QuerySet[Activity]:
    """The visible activities the filters keep (not ordered)."""
    f = filters or ActivityFilters()
    now = now or timezone.now()
    qs = activity_deleted_list(user=user) if f.view == "deleted" else activity_queryset(user=user)
    if f.view == "upcoming":
        qs = qs.filter(status=ActivityStatus.PLANNED, starts_at__gte=now)
    elif f.view == "overdue":
        qs = qs.filter(status=ActivityStatus.PLANNED, starts_at__lt=now)
    elif f.view == "done":
        qs = qs.filter(status=ActivityStatus.DONE)
    elif f.view == "cancelled":
        qs = qs.filter(status=ActivityStatus.CANCELLED)
    if f.mine:
        qs = qs.filter(Q(owner_id=user.pk) | taking_part_q(user.pk))
    if f.kind:
        qs = qs.filter(kind__in=f.kind)
    if f.status:
        qs = qs.filter(status__in=f.status)
    if f.owner:
        qs = qs.filter(owner_id__in=f.owner)
    if f.company:
        qs = qs.filter(company_id=f.company)
    if f.deal:
        qs = qs.filter(deal_id=f.deal)
    if f.lead:
        qs = qs.filter(lead_id=f.lead)
    if f.starts_from:
        qs = qs.filter(starts_at__gte=f.starts_from)
    if f.starts_before:
        qs = qs.filter(starts_at__lt=f.starts_before)
    return qs


def ascending_for(filters: ActivityFilters) -> bool:
    """Upcoming activities soonest first; everything else the latest first."""
    if filters.ascending is not None:
        return filters.ascending
    return filters.view == "upcoming"


def activity_page(*, user, filters: ActivityFilters, cursor: str | None, size: int,
                  participants: bool = False) -> Page:
    """One page of the list; each activity says whether the user may see its company, deal and
    lead (`with_link_visibility`), and with `participants` carries its colleagues and the client
    contacts the user may see (`visible_contacts`)."""
    qs = with_link_visibility(
        activity_list(user=user, filters=filters).select_related("owner", "company", "deal",
                                                                 "lead", "deleted_by"),
        user=user)
    if participants:
        qs = qs.prefetch_related("participant_users", visible_contacts(user))
    return keyset_page(qs, field="starts_at", descending=not ascending_for(filters),
                       cursor=cursor, size=size, branches=_branches(user, filters))


def activity_count(*, user, filters: ActivityFilters) -> tuple[int, bool]:
    return bounded_count(activity_list(user=user, filters=filters),
                         branches=_branches(user, filters))


def _branches(user, filters: ActivityFilters) -> list[Q]:
    """Each grant of the rule walks its own index (the owner's, the team's …) to the page's rows;
    "mine" is the user's own two grants."""
    if filters.mine:
        return [Q(owner_id=user.pk), taking_part_q(user.pk) & ~Q(owner_id=user.pk)]
    return activity_visible_branches(user)


# --- timelines (registered in activities.registry) -------------------------------------------------

def _events(user, qs, *, limit: int, before: dt.datetime | None) -> list:
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from partnera.activities.models import ActivityKind
    from partnera.core.timeline import TimelineEntry

    qs = qs.filter(status__in=[ActivityStatus.PLANNED, ActivityStatus.DONE])
    if before:
        qs = qs.filter(starts_at__lt=before)
    entries = []
    for a in qs.select_related("owner").order_by("-starts_at", "-pk")[:limit]:
        label = ActivityKind(a.kind).label
        if a.status == ActivityStatus.DONE:
            title = _("%(kind)s: %(subject)s") % {"kind": label, "subject": a.subject}
            body = a.outcome
        else:
            title = _("%(kind)s planned: %(subject)s") % {"kind": label, "subject": a.subject}
            body = a.agenda
        entries.append(TimelineEntry(at=a.starts_at, kind=f"activity-{a.status}", title=title,
                                     body=body, actor=str(a.owner),
                                     url=reverse("activities:activity_detail", args=[a.pk])))
    return entries


def company_activity_events(*, user, company_id: int, limit: int,
                            before: dt.datetime | None) -> list:
    """The company's done and planned activities the user may see (a private one only to its
    owner and the colleagues taking part), newest first."""
    return _events(user, activity_queryset(user=user).filter(company_id=company_id),
                   limit=limit, before=before)


def deal_activity_events(*, user, deal_id: int, limit: int, before: dt.datetime | None) -> list:
    """The deal's done and planned activities the user may see, newest first."""
    return _events(user, activity_queryset(user=user).filter(deal_id=deal_id),
                   limit=limit, before=before)
