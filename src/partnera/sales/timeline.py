"""Timelines of the sales cycle.

The deal timeline registry: each domain registers a source of events about one deal (activities
register theirs); the deal page asks `deal_timeline`, which merges every source newest first.
A source is `source(*, user, deal_id, limit, before) -> list[core.timeline.TimelineEntry]`; it is
only asked about a deal the user may see, and must still leave out its own records the user may
not see (a colleague's private meeting). Built in: the stage changes (with the time spent in the
stage left) and the field changes from the audit log.

Also the company timeline source "deals" (registered in sales.registry): a deal opened, moved,
won or lost, for the deals of the company the user may see — never a hidden deal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partnera.core.models import AuditEntry
from partnera.core.timeline import TimelineEntry
from partnera.sales.models import Deal, DealStageChange, StageOutcome
from partnera.sales.selectors import deal_visible_q

DealTimelineSource = Callable[..., list[TimelineEntry]]
_sources: dict[str, DealTimelineSource] = {}


def register_deal_timeline_source(name: str, source: DealTimelineSource) -> None:
    """`source(*, user, deal_id, limit, before)` returns at most `limit` entries, newest first."""
    _sources[name] = source


def deal_timeline_sources() -> dict[str, DealTimelineSource]:
    return dict(_sources)


def deal_timeline(*, user, deal: Deal, limit: int = 50,
                  before: dt.datetime | None = None) -> list[TimelineEntry]:
    """Every source's entries about a deal the user may see, newest first; nothing otherwise."""
    if not Deal.all_objects.filter(deal_visible_q(user), pk=deal.pk).exists():
        return []
    entries: list[TimelineEntry] = []
    for source in _sources.values():
        entries.extend(source(user=user, deal_id=deal.pk, limit=limit, before=before))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    days = seconds // 86400
    if days >= 1:
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    hours = seconds // 3600
    if hours >= 1:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return _("less than an hour")


def _stage_title(change: DealStageChange) -> str:
    if change.from_stage_id is None:
        return _("Opened in “%(stage)s”") % {"stage": change.to_stage.name}
    if change.to_stage.outcome == StageOutcome.WON:
        return _("Won (“%(stage)s”)") % {"stage": change.to_stage.name}
    if change.to_stage.outcome == StageOutcome.LOST:
        return _("Lost (“%(stage)s”)") % {"stage": change.to_stage.name}
    return _("Moved to “%(stage)s”") % {"stage": change.to_stage.name}


def _stage_body(change: DealStageChange) -> str:
    from_stage = change.from_stage
    if from_stage is None:
        return ""
    spent = _duration(change.seconds_in_from)
    if not spent:
        return _("From “%(stage)s”.") % {"stage": from_stage.name}
    return _("From “%(stage)s” after %(time)s there.") % {"stage": from_stage.name,
                                                          "time": spent}


def _stage_changes(*, user, deal_id: int, limit: int, before: dt.datetime | None):
    qs = DealStageChange.objects.filter(deal_id=deal_id).select_related("from_stage", "to_stage", "by")
    if before:
        qs = qs.filter(at__lt=before)
    return [
        TimelineEntry(at=c.at, kind="stage", title=_stage_title(c), body=_stage_body(c),
                      actor=str(c.by or ""))
        for c in qs.order_by("-at", "-id")[:limit]
    ]


# Kept by the services for lists and totals, or shown by the stage changes already.
HIDDEN_FIELDS = {"stage", "status", "amount_eur", "stage_entered_at", "closed_at",
                 "next_activity_at"}


def _plain(value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _field_changes(*, user, deal_id: int, limit: int, before: dt.datetime | None):
    # A creation is told by the stage entry "opened in …"; refused reads are for the audit log.
    qs = AuditEntry.objects.filter(object_type="sales.deal", object_id=str(deal_id)).exclude(
        action__in=[AuditEntry.Action.ACCESS_DENIED, AuditEntry.Action.DOWNLOAD,
                    AuditEntry.Action.CREATE]).select_related("actor")
    if before:
        qs = qs.filter(at__lt=before)
    entries = []
    for e in qs.order_by("-at", "-id")[:limit]:
        details = []
        for name, values in (e.changes or {}).items():
            if name in HIDDEN_FIELDS or name.endswith("_id"):
                continue
            old, new = [*values, None, None][:2] if isinstance(values, list) else (None, values)
            if _plain(old) != _plain(new):
                details.append((name, _plain(old), _plain(new)))
        if e.action == AuditEntry.Action.UPDATE and not details:
            continue  # a stage move: the stage change entry tells it
        title = {
            AuditEntry.Action.UPDATE: _("Deal changed"),
            AuditEntry.Action.DELETE: _("Deal deleted"),
            AuditEntry.Action.RESTORE: _("Deal restored"),
        }.get(e.action, e.get_action_display())
        actor = str(e.actor) if e.actor is not None else (e.actor_repr or _("system"))
        entries.append(TimelineEntry(at=e.at, kind="change", title=title, actor=actor,
                                     details=details))
    return entries


register_deal_timeline_source("stages", _stage_changes)
register_deal_timeline_source("changes", _field_changes)


# --- the company timeline source ----------------------------------------------------------------

def company_deal_events(*, user, company_id: int, limit: int, before: dt.datetime | None):
    """Deals of the company the user may see: opened, moved, won, lost (the company timeline)."""
    visible = Deal.objects.filter(deal_visible_q(user), company_id=company_id)
    qs = (DealStageChange.objects.filter(deal__in=visible.values("pk"))
          .select_related("deal", "from_stage", "to_stage", "by"))
    if before:
        qs = qs.filter(at__lt=before)
    entries = []
    for c in qs.order_by("-at", "-id")[:limit]:
        if c.from_stage_id is None:
            title = _("Deal “%(title)s” opened in “%(stage)s”")
        elif c.to_stage.outcome == StageOutcome.WON:
            title = _("Deal “%(title)s” won")
        elif c.to_stage.outcome == StageOutcome.LOST:
            title = _("Deal “%(title)s” lost")
        else:
            title = _("Deal “%(title)s” moved to “%(stage)s”")
        entries.append(TimelineEntry(
            at=c.at, kind="deal", title=title % {"title": c.deal.title, "stage": c.to_stage.name},
            body=_stage_body(c), actor=str(c.by or ""),
            url=reverse("sales:deal_detail", args=[c.deal_id])))
    return entries
