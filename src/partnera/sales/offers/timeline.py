"""Offers on the company timeline and on the deal timeline: created, sent, accepted, rejected.

Read from the offers' own dates (created_at, sent_at, decided_at) — three indexed ranges — with
who did it from the audit log (one query for the entries shown). Only offers the user may see
(their deal visible) ever appear.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from partnera.core.models import AuditEntry
from partnera.core.timeline import TimelineEntry
from partnera.sales.models import Offer, OfferStatus
from partnera.sales.offers.selectors import offer_queryset


def _events(offers: QuerySet[Offer], *, limit: int, before: dt.datetime | None) -> list[tuple]:
    """(at, event, offer) for the newest `limit` events of each kind."""
    events: list[tuple] = []
    # A rejected offer keeps its reason when a new version supersedes it; an accepted one is final.
    decided = Q(status=OfferStatus.ACCEPTED) | Q(rejection_reason__isnull=False)
    kinds = (("created", "created_at", Q()), ("sent", "sent_at", Q(sent_at__isnull=False)),
             ("decided", "decided_at", decided & Q(decided_at__isnull=False)))
    for event, field, condition in kinds:
        qs = offers.filter(condition)
        if before:
            qs = qs.filter(**{f"{field}__lt": before})
        for offer in qs.select_related("rejection_reason", "created_by").order_by(f"-{field}", "-pk")[:limit]:
            events.append((getattr(offer, field), event, offer))
    events.sort(key=lambda e: e[0], reverse=True)
    return events[:limit]


def _actors(offers: list[Offer]) -> dict[tuple[int, str], str]:
    """Who sent, accepted or rejected each offer, from the audit log's status changes. A version
    put back when the draft after it was deleted ("superseded" → its old status) was not sent or
    decided again then: that entry credits no one."""
    if not offers:
        return {}
    entries = (AuditEntry.objects.filter(object_type="sales.offer",
                                         object_id__in=[str(o.pk) for o in offers],
                                         action=AuditEntry.Action.UPDATE)
               .select_related("actor").order_by("at", "id"))
    found: dict[tuple[int, str], str] = {}
    for entry in entries:
        status = (entry.changes or {}).get("status")
        if isinstance(status, list) and len(status) == 2 and status[0] != OfferStatus.SUPERSEDED:
            found[(int(entry.object_id), str(status[1]))] = (
                str(entry.actor) if entry.actor is not None else entry.actor_repr)
    return found


def _money(amount, currency: str) -> str:
    from partnera.sales.templatetags.offer_tags import money

    return money(amount, currency)


def _entries(offers: QuerySet[Offer], *, limit: int, before: dt.datetime | None) -> list[TimelineEntry]:
    events = _events(offers, limit=limit, before=before)
    actors = _actors([offer for _at, event, offer in events if event != "created"])
    entries = []
    for at, event, offer in events:
        total = _money(offer.gross_total, offer.currency)
        actor = ""
        if event == "created":
            title = _("Offer %(offer)s made (%(total)s with VAT)")
            actor = str(offer.created_by or "")
            body = offer.title
        elif event == "sent":
            title = _("Offer %(offer)s sent to the client")
            actor = actors.get((offer.pk, OfferStatus.SENT), "")
            body = offer.title
        elif offer.status == OfferStatus.ACCEPTED:
            title = _("Offer %(offer)s accepted by the client (%(total)s with VAT)")
            actor = actors.get((offer.pk, OfferStatus.ACCEPTED), "")
            body = offer.title
        else:
            title = _("Offer %(offer)s rejected by the client")
            actor = actors.get((offer.pk, OfferStatus.REJECTED), "")
            body = " — ".join(p for p in (str(offer.rejection_reason or ""), offer.decision_comment) if p)
        entries.append(TimelineEntry(
            at=at, kind="offer", title=title % {"offer": str(offer), "total": total}, body=body,
            actor=actor, url=reverse("sales:offer_detail", args=[offer.pk])))
    return entries


def company_offer_events(*, user, company_id: int, limit: int, before: dt.datetime | None):
    """The company timeline source "offers"."""
    return _entries(offer_queryset(user=user).filter(company_id=company_id), limit=limit, before=before)


def deal_offer_events(*, user, deal_id: int, limit: int, before: dt.datetime | None):
    """The deal timeline source "offers" (asked only about a deal the user may see)."""
    return _entries(offer_queryset(user=user).filter(deal_id=deal_id), limit=limit, before=before)
