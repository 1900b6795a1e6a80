"""Late or incomplete orders: which they are, and the one alert each sends.

An order is **late** when it is open (received, confirmed, in fulfilment or partly delivered) and
one of its lines is past its promised date without being complete (`orders.selectors.late_orders_q`).
"Today" is the installation's day (its time zone, Europe/Sofia by default) for the alerts, and the
user's own day on the pages.

Once an order becomes late, its account manager and the active members of the departments the
order names (logistics ships it, finance invoices it) get one notification each, and the order
records when (`Order.late_alerted_at`): one alert per lateness episode, however often the check
runs. An episode ends when a write of the order services makes the order no longer late — its
overdue lines promised later (`order_set_lines`) or delivered (`delivery_record`): that write
clears `late_alerted_at` (`rearm`), so the order alerts again if it becomes late again.
The check runs as the job `alert_late_orders_task` (orders.tasks): each order's own check is
enqueued for the end of its earliest open promised day (`schedule_late_check`, after every write
that can change whether or when the order is late), and `partnera orders alert-late` checks every
open order (from cron, say, once a night).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, Min, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partnera.core.notifications import notify
from partnera.core.timezones import user_zone
from partnera.orders.models import OPEN_STATUSES, Order, OrderLine
from partnera.orders.selectors import late_lines_q, late_orders_q

logger = logging.getLogger("partnera.orders")

NOTIFICATION_KIND = "order_late"
BATCH = 500


def installation_today(now: dt.datetime | None = None) -> dt.date:
    """Today in the installation's time zone (a user without a zone of their own)."""
    return (now or timezone.now()).astimezone(user_zone(None)).date()


def order_url(pk: int) -> str:
    return reverse("orders:order_detail", args=[pk])


def with_lateness(qs: QuerySet[Order], today: dt.date) -> QuerySet[Order]:
    """Late orders of `qs`, each with the earliest promised date it missed (`late_since`) and
    how many of its lines are late (`late_lines`), the longest late first."""
    late = OrderLine.objects.filter(late_lines_q(today), order_id=OuterRef("pk"))
    return (qs.filter(late_orders_q(today))
            .annotate(late_since=Subquery(late.order_by("promised_date").values("promised_date")[:1]),
                      late_lines=Subquery(late.order_by().values("order_id")
                                          .annotate(n=Count("pk")).values("n")[:1]))
            .order_by("late_since", "pk"))


def decorate(orders: list[Any], today: dt.date) -> None:
    """What a list shows beside each late order: its address and how many days it is late."""
    for order in orders:
        order.url = order_url(order.pk)
        since = getattr(order, "late_since", None)
        order.days_late = (today - since).days if since else None


# --- the alert ------------------------------------------------------------------------------------

def recipients(order: Order) -> list:
    """The order's account manager and the active members of its departments (each once):
    department members (Role.DEPARTMENT), who see the order through its department — not a
    salesperson or marketer whose profile merely names that department."""
    from partnera.core.roles import Role
    from partnera.people.models import User

    people = {u.pk: u for u in User.objects.filter(
        is_active=True, role=Role.DEPARTMENT, department__in=order.departments.values("pk"))}
    owner = order.owner
    if owner is not None and owner.is_active:
        people.setdefault(owner.pk, owner)
    return sorted(people.values(), key=lambda u: u.pk)


def _message(order: Order, user, late_since: dt.date | None, late_lines: int) -> tuple[str, str]:
    language = getattr(user, "language", "") or None
    with translation.override(language):
        title = _("Order %(number)s is late") % {"number": order.number}
        day = formats.date_format(late_since, "SHORT_DATE_FORMAT") if late_since else ""
        body = ngettext(
            "%(client)s: %(n)s line was promised for %(day)s and is not delivered in full.",
            "%(client)s: %(n)s lines are past their promised date (the first was due on %(day)s) "
            "and not delivered in full.", late_lines) % {
            "client": order.company.legal_name, "n": late_lines, "day": day}
    return title, body


def alert_order(order_id: int, *, today: dt.date, now: dt.datetime) -> str:
    """Alert one order's people if it is late and was not alerted yet. Returns what happened:
    alerted, already_alerted, not_late, not_open or gone."""
    with transaction.atomic():
        order = (Order.objects.select_for_update(of=("self",))
                 .select_related("company", "owner").filter(pk=order_id).first())
        if order is None or order.company.deleted_at is not None:
            return "gone"
        if order.late_alerted_at is not None:
            return "already_alerted"
        if order.status not in OPEN_STATUSES:
            return "not_open"
        late = (OrderLine.objects.filter(late_lines_q(today), order_id=order.pk)
                .aggregate(since=Min("promised_date"), n=Count("pk")))
        if not late["n"]:
            return "not_late"
        Order.objects.filter(pk=order.pk).update(late_alerted_at=now)
        for user in recipients(order):
            title, body = _message(order, user, late["since"], late["n"])
            notify(user=user, kind=NOTIFICATION_KIND, title=title, body=body,
                   url=order_url(order.pk), key=alert_key(order.pk, now))
    return "alerted"


def alert_key(order_id: int, alerted_at: dt.datetime) -> str:
    """The notifications' key of one lateness episode of an order (the moment it was alerted):
    a retried job writes them once, and a later episode writes its own."""
    return f"order-late:{order_id}:{alerted_at.isoformat()}"


def is_late(order: Order, today: dt.date | None = None) -> bool:
    """Whether the order is late on the installation's day: open (its status as it stands in
    memory, so a service may ask before saving it) with a stored line past its promised date and
    not complete."""
    return order.status in OPEN_STATUSES and OrderLine.objects.filter(
        late_lines_q(today or installation_today()), order_id=order.pk).exists()


def rearm(order: Order) -> dict[str, list]:
    """Inside a service's write, after it changed the order's lines (their promised dates, their
    deliveries): an alerted order that is no longer late ends its lateness episode —
    `late_alerted_at` is cleared on the instance, for the service to save with the rest of its
    write. Returns the audit change ({} when nothing changed). The order's row must be locked
    (`late_alerted_at` read under that lock)."""
    if order.late_alerted_at is None or is_late(order):
        return {}
    before = order.late_alerted_at
    order.late_alerted_at = None
    return {"late_alerted_at": [before.isoformat(), None]}


def first_open_promise(order_id: int) -> dt.date | None:
    """The earliest promised day of the incomplete lines of an open order not alerted yet (None:
    there is nothing left to check)."""
    return (OrderLine.objects.filter(order_id=order_id, order__status__in=OPEN_STATUSES,
                                     order__deleted_at__isnull=True,
                                     order__late_alerted_at__isnull=True,
                                     completed_on__isnull=True)
            .aggregate(day=Min("promised_date"))["day"])


def candidates(today: dt.date) -> QuerySet[Order]:
    """Late open orders not alerted yet (the nightly sweep's orders)."""
    late = OrderLine.objects.filter(late_lines_q(today), order_id=OuterRef("pk"))
    return Order.objects.filter(status__in=OPEN_STATUSES, late_alerted_at__isnull=True,
                                company__deleted_at__isnull=True).filter(Exists(late))


def alert_late_orders(*, order_ids: Iterable[int] | None = None,
                      now: dt.datetime | None = None, reschedule: bool = True) -> dict[str, int]:
    """Alert every late order not alerted yet (`order_ids`: only those). An order of `order_ids`
    not late yet has its check enqueued again for the end of its next promised day. Returns how
    many orders ended each way (the job's recorded outcome)."""
    now = now or timezone.now()
    today = installation_today(now)
    if order_ids is None:
        ids = list(candidates(today).order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted({int(pk) for pk in order_ids})
    outcome: dict[str, int] = {}
    for start in range(0, len(ids), BATCH):
        for order_id in ids[start:start + BATCH]:
            result = alert_order(order_id, today=today, now=now)
            outcome[result] = outcome.get(result, 0) + 1
            if result == "not_late" and order_ids is not None and reschedule:
                day = first_open_promise(order_id)
                if day is not None and day >= today:
                    from partnera.orders.tasks import enqueue_late_check

                    enqueue_late_check(order_id, day)
                    outcome["rescheduled"] = outcome.get("rescheduled", 0) + 1
    return outcome
