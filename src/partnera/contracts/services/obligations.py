"""Obligations and milestones of a contract: what someone (in sales or another department) must
do by a date. Whoever may change the contract adds, edits and cancels them; the responsible
person and the members of the responsible department mark them done (or undo that) — being
responsible lets one read the contract, not change it.

The responsible person is an active user who may see the contract's client, or a member of the
obligation's department. Every write locks the contract's row first, so an obligation is never
added or reopened while the contract is being fulfilled (which needs none open)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnera.clients.models import Company
from partnera.contracts.models import Contract, Obligation, ObligationStatus
from partnera.contracts.permissions import may_settle_obligation
from partnera.contracts.services.common import (
    audit,
    lock,
    require_change,
    require_visible,
    restored_on_error,
)
from partnera.contracts.services.contracts import ENDED
from partnera.core import cleaning
from partnera.core.audit import diff, snapshot
from partnera.core.errors import NotFound, PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.core.visibility import visible_q

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


def _may_answer_for(user, obligation: Obligation, contract: Contract) -> bool:
    """May `user` be responsible for the obligation: someone who may see the client, or a
    member of the obligation's department."""
    if (user.role == Role.DEPARTMENT and obligation.department_id
            and user.department_id == obligation.department_id):
        return True
    return Company.objects.filter(visible_q(user), pk=contract.company_id).exists()


def _clean(obligation: Obligation, data: dict, contract: Contract) -> None:
    owner_before = obligation.owner_id
    errors = cleaning.clean_into(obligation, data, OBLIGATION_FIELDS, CLEANERS)
    if "title" not in errors and not obligation.title:
        errors["title"] = [_("Say what must be done.")]
    owner = obligation.owner
    if ("owner" not in errors and "department" not in errors and owner is not None
            and (obligation.pk is None or owner.pk != owner_before)
            and owner.pk != contract.owner_id and not _may_answer_for(owner, obligation, contract)):
        errors["owner"] = [_("Choose someone who may see this client, or a member of the "
                             "obligation's department.")]
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
    lock(contract)
    _refuse_ended(contract)
    obligation = Obligation(contract=contract)
    payload = dict(data)
    if payload.get("owner") in (None, "") and payload.get("department") in (None, ""):
        payload["owner"] = contract.owner
    _clean(obligation, payload, contract)
    obligation.save()
    audit(actor, AuditEntry.Action.CREATE, obligation, contract,
          {k: [None, v] for k, v in snapshot(obligation, AUDITED_FIELDS).items()
           if v not in (None, "", False)}, object_repr=f"{contract.number}: {obligation.title}")
    return obligation


@transaction.atomic
def obligation_update(*, actor, obligation: Obligation, data: dict) -> Obligation:
    contract = obligation.contract
    require_change(actor, contract)
    lock(contract)
    _refuse_ended(contract)
    if obligation.status != ObligationStatus.OPEN:
        raise ValidationFailed(_("Only an open obligation can be changed; reopen it first."))
    before = snapshot(obligation, AUDITED_FIELDS)
    with restored_on_error(obligation):
        _clean(obligation, data, contract)
    obligation.save(update_fields=["title", "due_date", "owner", "department", "is_milestone"])
    changes = diff(before, snapshot(obligation, AUDITED_FIELDS))
    if changes:
        audit(actor, AuditEntry.Action.UPDATE, obligation, contract, changes,
              object_repr=f"{contract.number}: {obligation.title}")
    return obligation


def _settle(actor, obligation: Obligation, status: str) -> Obligation:
    contract = obligation.contract
    require_visible(actor, contract)
    lock(contract)
    current = (Obligation.objects.select_for_update().filter(pk=obligation.pk)
               .values_list("status", flat=True).first())
    if current is None:
        raise NotFound()
    if not may_settle_obligation(actor, obligation, contract, status=status, current=current):
        raise PermissionDenied()
    _refuse_ended(contract)
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
