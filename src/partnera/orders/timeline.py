"""The history of orders, read from the audit log the order services write.

- `order_timeline`: everything that happened to one order (received, changed, confirmed, into
  fulfilment, deliveries recorded and removed, delivered, closed, cancelled), newest first.
- `company_order_events` (the company timeline source "orders"): for the orders of a company that
  the user may see — an order received, a delivery recorded, an order delivered in full, closed
  short or cancelled. Never an order the user may not see.

A delivery's audit entries are filed under its order (object type "orders.delivery", object id =
the order's id), so both read one indexed range of the log.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _

from partnera.core.models import AuditEntry
from partnera.core.timeline import TimelineEntry
from partnera.orders.models import Order, OrderStatus
from partnera.orders.selectors import order_visible_q

ORDER = "orders.order"
DELIVERY = "orders.delivery"
SKIPPED = [AuditEntry.Action.ACCESS_DENIED, AuditEntry.Action.DOWNLOAD]
# Kept by the services or told by the entry's title.
HIDDEN_FIELDS = {"status", "net_total_eur", "lines", "delivery", "closed_at", "number", "company",
                 "channel", "currency", "received_on", "offer"}


def _status_change(entry: AuditEntry) -> tuple[str | None, str | None]:
    values = (entry.changes or {}).get("status")
    if isinstance(values, list) and len(values) == 2:
        return values[0], values[1]
    return None, None


def _label(status: str | None) -> str:
    try:
        return str(OrderStatus(status or "").label)
    except ValueError:
        return str(status or "")


def _title(entry: AuditEntry, number: str) -> str:
    """What happened, in the user's words ("Order ORD-2026-0007 delivered in full")."""
    changes = entry.changes or {}
    _before, after = _status_change(entry)
    if entry.object_type == DELIVERY:
        if entry.action == AuditEntry.Action.DELETE:
            return _("Delivery removed from order %(number)s") % {"number": number}
        if after == OrderStatus.DELIVERED:
            return _("Delivery recorded: order %(number)s delivered in full") % {"number": number}
        return _("Delivery recorded for order %(number)s") % {"number": number}
    if entry.action == AuditEntry.Action.CREATE:
        return _("Order %(number)s received") % {"number": number}
    if after == OrderStatus.CANCELLED:
        return _("Order %(number)s cancelled") % {"number": number}
    if after == OrderStatus.CLOSED:
        if changes.get("close_reason", [None, ""])[-1]:
            return _("Order %(number)s closed short") % {"number": number}
        return _("Order %(number)s closed") % {"number": number}
    if after:
        return _("Order %(number)s: %(status)s") % {"number": number, "status": _label(after)}
    if entry.action == AuditEntry.Action.DELETE:
        return _("Order %(number)s deleted") % {"number": number}
    if "lines" in changes:
        return _("Lines of order %(number)s changed") % {"number": number}
    return _("Order %(number)s changed") % {"number": number}


def _body(entry: AuditEntry) -> str:
    changes = entry.changes or {}
    if entry.object_type == DELIVERY:
        carried = changes.get("lines", [None, None])
        items = carried[1] if entry.action == AuditEntry.Action.CREATE else carried[0]
        day = changes.get("delivered_on", [None, None])
        when = day[1] if entry.action == AuditEntry.Action.CREATE else day[0]
        text = ", ".join(items or [])
        return f"{when} · {text}" if when else text
    for name in ("cancel_reason", "close_reason"):
        values = changes.get(name)
        if isinstance(values, list) and values[-1]:
            return str(values[-1])
    return ""


def _plain(value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _details(entry: AuditEntry) -> list[tuple[str, str, str]]:
    if entry.object_type == DELIVERY or entry.action == AuditEntry.Action.CREATE:
        return []
    details = []
    for name, values in (entry.changes or {}).items():
        if name in HIDDEN_FIELDS or name.endswith("_id") or name in ("cancel_reason", "close_reason"):
            continue
        old, new = [*values, None, None][:2] if isinstance(values, list) else (None, values)
        if _plain(old) != _plain(new):
            details.append((name, _plain(old), _plain(new)))
    return details


def _entry(entry: AuditEntry, number: str, order_id: int) -> TimelineEntry:
    actor = str(entry.actor) if entry.actor is not None else (entry.actor_repr or _("system"))
    return TimelineEntry(at=entry.at, kind="delivery" if entry.object_type == DELIVERY else "order",
                         title=_title(entry, number), body=_body(entry), actor=actor,
                         url=reverse("orders:order_detail", args=[order_id]),
                         details=_details(entry))


def order_timeline(*, user, order: Order, limit: int = 50,
                   before: dt.datetime | None = None) -> list[TimelineEntry]:
    """Everything recorded about an order the user may see, newest first; nothing otherwise."""
    if not Order.objects.filter(order_visible_q(user), pk=order.pk).exists():
        return []
    qs = (AuditEntry.objects.filter(object_type__in=[ORDER, DELIVERY], object_id=str(order.pk))
          .exclude(action__in=SKIPPED).select_related("actor"))
    if before:
        qs = qs.filter(at__lt=before)
    return [_entry(e, order.number, order.pk) for e in qs.order_by("-at", "-id")[:limit]]


def _is_company_event(entry: AuditEntry) -> bool:
    if entry.object_type == DELIVERY:
        return True
    if entry.action == AuditEntry.Action.CREATE:
        return True
    _before, after = _status_change(entry)
    return after in (OrderStatus.DELIVERED, OrderStatus.CANCELLED, OrderStatus.CLOSED)


def company_order_events(*, user, company_id: int, limit: int, before: dt.datetime | None):
    """Orders of the company the user may see: received, deliveries, delivered, closed short,
    cancelled (the company timeline)."""
    visible = dict(Order.objects.filter(order_visible_q(user), company_id=company_id)
                   .values_list("pk", "number"))
    if not visible:
        return []
    qs = (AuditEntry.objects.filter(company_id=company_id, object_type__in=[ORDER, DELIVERY])
          .exclude(action__in=SKIPPED).select_related("actor"))
    if before:
        qs = qs.filter(at__lt=before)
    entries: list[TimelineEntry] = []
    # Read in chunks: order changes that are no company event (a note edited) are passed over.
    for entry in qs.order_by("-at", "-id").iterator(chunk_size=200):
        try:
            order_id = int(entry.object_id)
        except ValueError:
            continue
        if order_id not in visible or not _is_company_event(entry):
            continue
        entries.append(_entry(entry, visible[order_id], order_id))
        if len(entries) >= limit:
            break
    return entries
