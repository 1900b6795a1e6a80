"""Taking back an order the orders import created from the rows of one batch when a later batch
refuses one of its rows (orders.importing): "an order is imported whole or not at all".

The earlier batch is committed already, so the order is deleted again (softly, audited, through
orders.services.order_delete) inside the transaction of the batch that refused the row, and what
the run reported for the earlier rows is corrected: they become errors naming the refused row,
the run's counts move from "created" to "errors", and the order leaves the run's undo records.

This reads and corrects the import engine's stored outcome of a batch (partnera.imports:
ImportRecord, ImportBatch rows as `engine.encode` writes them): the one place outside the engine
that does, because only the handler knows that rows of different batches are one order.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from partnera.core.errors import DomainError
from partnera.imports.models import ImportBatch, ImportRecord, ImportRun, ImportStatus
from partnera.imports.registry import ERROR, WARNING, Outcome
from partnera.orders import services
from partnera.orders.models import Order


def created_by_running_import(actor, object_type: str, order_id: int) -> bool:
    """Did a running import of `actor` create the order (a resumed run meeting its own order)?"""
    return ImportRecord.objects.filter(
        object_type=object_type, object_id=order_id, action=ImportRecord.Action.CREATED,
        run__status=ImportStatus.RUNNING, run__user=actor).exists()


def withdraw_order(actor, object_type: str, order_id: int, bad_row: int) -> bool:
    """Delete again the order an earlier batch created, and report its rows as errors. False
    when it cannot be deleted any more (someone confirmed it meanwhile): it stays, and its rows
    say so."""
    order = Order.objects.filter(pk=order_id).select_related("company").first()
    if order is None:
        return True  # deleted meanwhile: nothing of it is left
    try:
        with transaction.atomic():
            services.order_delete(actor=actor, order=order)
    except DomainError:
        _report(object_type, order_id, _(
            "Row %(row)s of this order has a problem, but order %(number)s, made from the rows "
            "before it, was confirmed meanwhile and keeps only those rows: add the rest by "
            "hand.") % {"row": bad_row, "number": order.number}, withdrawn=False)
        return False
    _report(object_type, order_id, _(
        "Row %(row)s of this order has a problem; the order is not imported (order %(number)s, "
        "made from the rows before it, was deleted again).") % {"row": bad_row,
                                                                "number": order.number})
    return True


def _report(object_type: str, order_id: int, message: str, *, withdrawn: bool = True) -> None:
    """Put `message` on the rows the run reported as creating the order (and, when the order
    was deleted, count them as errors and forget the order for undo)."""
    record = (ImportRecord.objects.filter(object_type=object_type, object_id=order_id,
                                          action=ImportRecord.Action.CREATED)
              .order_by("-pk").first())
    if record is None:
        return
    moved = 0
    batches = ImportBatch.objects.filter(run_id=record.run_id, phase=ImportBatch.Phase.REAL,
                                         last_row__gte=record.row).order_by("number")
    for batch in batches:
        changed = False
        for encoded in batch.rows:  # [number, outcome, record id, label, changed, issues, note]
            if encoded[1] == Outcome.CREATED and encoded[2] == order_id:
                encoded[5].append(["", "", message, ERROR if withdrawn else WARNING])
                if withdrawn:
                    encoded[1], encoded[2] = Outcome.ERROR, None
                    moved += 1
                changed = True
        if changed:
            batch.save(update_fields=["rows"])
    if withdrawn:
        ImportRun.objects.filter(pk=record.run_id).update(
            created=F("created") - moved, errors=F("errors") + moved)
        record.delete()
