"""Obligations and milestones of a contract: what someone (in sales or another department) must
do by a date. Whoever may change the contract adds and edits them; the responsible person and the
members of the responsible department complete or cancel them too."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnera.contracts.models import Contract, Obligation, ObligationStatus
from partnera.contracts.permissions import may_settle_obligation
from partnera.contracts.services.common import (
    audit,
    require_change,
    require_visible,
    restored_on_error,
)
from partnera.contracts.services.contracts import ENDED
from partnera.core import cleaning
from partnera.core.audit import diff, snapshot
from partnera.core.errors import NotFound, PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry

OBLIGATION_FIELDS = ["title", "due_date", "owner", "department", "is_milestone"]
AUDITED_FIELDS = [*OBLIGATION_FIELDS, "status"]


def _department_ref(value: Any):
    from partnera.people.models import Department

    if value in (None, ""):
        return None
    if isinstance(value, Department):
        return value
    try:
        return Department.objects.get(pk=int(value))
    except (Department.DoesNotExist, TypeError, ValueError, OverflowError):
        raise ValidationError(_("Choose an existing department."), code="invalid_choice") from None


def _required_date(value: Any):
    day = cleaning.optional_date(value)
    if day is None:
        raise ValidationError(_("Enter the due date."), code="required")
    return day


CLEANERS = {
    "title": cleaning.bounded_text(200),
    "due_date": _required_date,
    "owner": cleaning.user_ref,
    "department": _department_ref,
    "is_milestone": cleaning.boolean,
}


def _clean(obligation: Obligation, data: dict) -> None:
    errors = cleaning.clean_into(obligation, data, OBLIGATION_FIELDS, CLEANERS)
    if "title" not in errors and not obligation.title:
        errors["title"] = [_("Say what must be done.")]
    if errors:
        raise ValidationFailed(fields=errors)


def _refuse_ended(contract: Contract) -> None:
    if contract.status in ENDED:
        raise ValidationFailed(_("The contract has ended: its obligations do not change any more."))


@transaction.atomic
def obligation_create(*, actor, contract: Contract, data: dict) -> Obligation:
    """A new open obligation. Without a responsible person or department it is the contract
    owner's."""
    require_change(actor, contract)
    _refuse_ended(contract)
    obligation = Obligation(contract=contract)
    payload = dict(data)
    if payload.get("owner") in (None, "") and payload.get("department") in (None, ""):
        payload["owner"] = contract.owner
    _clean(obligation, payload)
    obligation.save()
    audit(actor, AuditEntry.Action.CREATE, obligation, contract,
          {k: [None, v] for k, v in snapshot(obligation, AUDITED_FIELDS).items()
           if v not in (None, "", False)}, object_repr=f"{contract.number}: {obligation.title}")
    return obligation


@transaction.atomic
def obligation_update(*, actor, obligation: Obligation, data: dict) -> Obligation:
    contract = obligation.contract
    require_change(actor, contract)
    _refuse_ended(contract)
    if obligation.status != ObligationStatus.OPEN:
        raise ValidationFailed(_("Only an open obligation can be changed; reopen it first."))
    before = snapshot(obligation, AUDITED_FIELDS)
    with restored_on_error(obligation):
        _clean(obligation, data)
    obligation.save(update_fields=["title", "due_date", "owner", "department", "is_milestone"])
    changes = diff(before, snapshot(obligation, AUDITED_FIELDS))
    if changes:
        audit(actor, AuditEntry.Action.UPDATE, obligation, contract, changes,
              object_repr=f"{contract.number}: {obligation.title}")
    return obligation


def _settle(actor, obligation: Obligation, status: str) -> Obligation:
    contract = obligation.contract
    require_visible(actor, contract)
    if not may_settle_obligation(actor, obligation, contract):
        raise PermissionDenied()
    _refuse_ended(contract)
    current = (Obligation.objects.select_for_update().filter(pk=obligation.pk)
               .values_list("status", flat=True).first())
    if current is None:
        raise NotFound()
    if current == status:
        return obligation  # done twice (a double click): once is enough
    if status != ObligationStatus.OPEN and current != ObligationStatus.OPEN:
        raise ValidationFailed(_("The obligation is already %(status)s.")
                               % {"status": ObligationStatus(current).label.lower()})
    before = snapshot(obligation, AUDITED_FIELDS)
    obligation.status = status
    if status == ObligationStatus.DONE:
        obligation.done_at, obligation.done_by = timezone.now(), actor
    else:
        obligation.done_at, obligation.done_by = None, None
    obligation.save(update_fields=["status", "done_at", "done_by"])
    audit(actor, AuditEntry.Action.UPDATE, obligation, contract,
          diff(before, snapshot(obligation, AUDITED_FIELDS)),
          object_repr=f"{contract.number}: {obligation.title}")
    return obligation


@transaction.atomic
def obligation_complete(*, actor, obligation: Obligation) -> Obligation:
    return _settle(actor, obligation, ObligationStatus.DONE)


@transaction.atomic
def obligation_cancel(*, actor, obligation: Obligation) -> Obligation:
    return _settle(actor, obligation, ObligationStatus.CANCELLED)


@transaction.atomic
def obligation_reopen(*, actor, obligation: Obligation) -> Obligation:
    return _settle(actor, obligation, ObligationStatus.OPEN)
