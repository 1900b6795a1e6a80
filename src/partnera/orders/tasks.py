"""Background jobs of orders (django-tasks; `partnera worker` runs them)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django_tasks import task

from partnera.core.context import Channel, acting
from partnera.core.timezones import user_zone

logger = logging.getLogger("partnera.orders")


@task()
def alert_late_orders_task(order_ids: list[int] | None = None) -> dict[str, int]:
    """Alert the account manager and the departments of each late order, once per lateness
    episode (orders.late).

    `order_ids`: check those orders (an order not late yet is checked again at the end of its
    next promised day); None: every open order (the nightly sweep). Safe to run twice or late:
    an order already alerted, no longer open or not late is left alone. Returns how many orders
    ended each way: alerted, already_alerted, not_late, not_open, gone (and rescheduled).
    """
    from partnera.orders.late import alert_late_orders

    with acting(Channel.JOB):
        return alert_late_orders(order_ids=order_ids)


def end_of_day(day: dt.date) -> dt.datetime:
    """The moment a promised day is over: midnight after it, in the installation's time zone."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=user_zone(None))


def enqueue_late_check(order_id: int, day: dt.date | None) -> None:
    """Enqueue the check of one order for the end of `day` (None: at once). A backend that
    cannot wait runs it at once: the order is then not late yet, and the nightly sweep
    (`partnera orders alert-late`) alerts it when it is."""
    job = alert_late_orders_task
    if day is not None:
        if job.get_backend().supports_defer:
            job = job.using(run_after=end_of_day(day))
        else:
            logger.warning("Task backend cannot defer; late check of order %s runs now", order_id)
    job.enqueue([order_id])


def schedule_late_check(order) -> None:
    """After a write that can change whether or when an order is late (order_create,
    order_set_lines, a move into an open status, a delivery that re-armed the alert, a deleted
    delivery): check it at the end of its earliest promised day of a line not yet complete.
    Enqueued once the transaction commits — at once when that day has passed already; nothing
    when every line is complete or the order is not open (or was alerted already)."""
    from partnera.orders.late import first_open_promise, installation_today

    order_id = order.pk

    def enqueue() -> None:
        day = first_open_promise(order_id)
        if day is not None:
            enqueue_late_check(order_id, None if day < installation_today() else day)

    transaction.on_commit(enqueue, robust=True)
