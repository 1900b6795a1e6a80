"""The life of a contract: draft → negotiation → signed → active → fulfilled | terminated |
expired, and the expiry (or automatic renewal) of active contracts past their end.

Allowed moves (anything else is refused with TransitionRefused and nothing changes):

    draft        → negotiation, signed, terminated (withdrawn before signing)
    negotiation  → signed, terminated (withdrawn)
    signed       → active, terminated
    active       → fulfilled, terminated, expired (once its end date has passed)

- signing records the day it was signed (`signed_on`, not in the future);
- activating needs every document the contract type requires (the checklist complete); a
  contract without a start date starts that day; one whose end has passed cannot start;
- fulfilling needs every obligation done or cancelled;
- terminating needs a reason; fulfilled, terminated and expired contracts record `ended_on`;
- the contract's pricing conditions (catalog.PricingRule with `contract`) apply exactly while it
  is signed or active: every move switches them on or off.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from partnera.catalog.models import PricingRule
from partnera.contracts.errors import TransitionRefused
from partnera.contracts.models import Contract, ContractStatus, Obligation, ObligationStatus
from partnera.contracts.selectors import IN_FORCE, checklist
from partnera.contracts.services.common import audit, lock, note_text, require_change
from partnera.contracts.versions import version_save
from partnera.core import cleaning
from partnera.core.audit import diff, snapshot
from partnera.core.models import AuditEntry
from partnera.core.records import bump_version

S = ContractStatus
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.DRAFT: (S.NEGOTIATION, S.SIGNED, S.TERMINATED),
    S.NEGOTIATION: (S.SIGNED, S.TERMINATED),
    S.SIGNED: (S.ACTIVE, S.TERMINATED),
    S.ACTIVE: (S.FULFILLED, S.TERMINATED, S.EXPIRED),
}
LIFECYCLE_FIELDS = ["status", "signed_on", "ended_on", "termination_reason", "start_date"]
# How many terms one expiry run renews a contract by at most (a job that did not run for years
# catches up, a contract with a one-day term cannot loop).
MAX_RENEWALS = 400


def allowed_transitions(contract: Contract) -> tuple[str, ...]:
    return TRANSITIONS.get(contract.status, ())


def _date(value: Any, name: str) -> dt.date | None:
    try:
        return cleaning.optional_date(value)
    except ValidationError as exc:
        raise TransitionRefused(fields={name: exc.messages}) from None


def set_pricing_active(contract: Contract) -> int:
    """Switch the contract's pricing conditions on while it is in force, off otherwise."""
    active = contract.status in IN_FORCE
    return (PricingRule.objects.filter(contract=contract).exclude(active=active)
            .update(active=active, version=F("version") + 1))


def _refuse(contract: Contract, target: str) -> TransitionRefused:
    current, wanted = S(contract.status).label, S(target).label
    allowed = [str(S(s).label) for s in allowed_transitions(contract)]
    if allowed:
        message = _("A contract that is “%(current)s” cannot become “%(target)s”. It can become: "
                    "%(allowed)s.") % {"current": current, "target": wanted,
                                       "allowed": ", ".join(allowed)}
    else:
        message = _("A contract that is “%(current)s” has ended: its status does not change "
                    "any more.") % {"current": current}
    return TransitionRefused(message, fields={"status": [message]})


def _check(contract: Contract, target: str, *, signed_on: dt.date | None, ended_on: dt.date | None,
           reason: str, today: dt.date) -> dict[str, list[str]]:
    """What stops the move, by field (empty: it may happen)."""
    errors: dict[str, list[str]] = {}
    if target == S.SIGNED:
        if signed_on is None:
            errors["signed_on"] = [_("Enter the day the contract was signed.")]
        elif signed_on > today:
            errors["signed_on"] = [_("The signing date cannot be in the future.")]
    elif target == S.ACTIVE:
        missing = checklist(contract).missing
        if missing:
            errors["documents"] = [_("Documents the contract type requires are missing: "
                                     "%(kinds)s. Upload them first.")
                                   % {"kinds": ", ".join(k.name for k in missing)}]
        if contract.end_date and contract.end_date < today:
            errors["end_date"] = [_("The contract ended on %(day)s; it cannot start now.")
                                  % {"day": contract.end_date.isoformat()}]
    elif target == S.FULFILLED:
        open_count = Obligation.objects.filter(contract=contract,
                                               status=ObligationStatus.OPEN).count()
        if open_count:
            errors["obligations"] = [_("%(n)s obligations are still open: complete or cancel "
                                       "them first.") % {"n": open_count}]
    elif target == S.TERMINATED:
        if not reason:
            errors["termination_reason"] = [_("Say why the contract ends.")]
    elif target == S.EXPIRED and (contract.end_date is None or contract.end_date >= today):
        errors["status"] = [_("A contract expires only after its end date.")]
    if ended_on is not None and target in (S.FULFILLED, S.TERMINATED):
        if ended_on > today:
            errors["ended_on"] = [_("The end date cannot be in the future.")]
        elif contract.signed_on and ended_on < contract.signed_on:
            errors["ended_on"] = [_("The contract cannot end before it was signed.")]
    return errors


@transaction.atomic
def contract_transition(*, actor, contract: Contract, status: str, signed_on: Any = None,
                        ended_on: Any = None, reason: Any = "",
                        expected_version: int | None = None) -> Contract:
    """Move the contract to `status` if the lifecycle allows it and its conditions hold;
    otherwise TransitionRefused naming what is missing (nothing changes)."""
    require_change(actor, contract)
    lock(contract, expected_version)
    if status not in S.values or status not in allowed_transitions(contract):
        if status not in S.values:
            raise TransitionRefused(fields={"status": [_("Choose a contract status.")]})
        raise _refuse(contract, status)
    signed = _date(signed_on, "signed_on")
    ended = _date(ended_on, "ended_on")
    reason_text = note_text(reason, limit=2000, field="termination_reason")
    today = timezone.localdate()
    errors = _check(contract, status, signed_on=signed, ended_on=ended, reason=reason_text,
                    today=today)
    if errors:
        raise TransitionRefused(
            _("The contract cannot become “%(status)s” yet.") % {"status": S(status).label},
            fields=errors)
    before = snapshot(contract, LIFECYCLE_FIELDS)
    if status == S.SIGNED:
        contract.signed_on = signed
    elif status == S.ACTIVE and contract.start_date is None:
        contract.start_date = today
    elif status in (S.FULFILLED, S.TERMINATED):
        contract.ended_on = ended or today
        if status == S.TERMINATED:
            contract.termination_reason = reason_text
    elif status == S.EXPIRED:
        contract.ended_on = contract.end_date
    contract.status = status
    bump_version(contract, expected_version=None,
                 fields=["status", "signed_on", "ended_on", "termination_reason", "start_date"])
    set_pricing_active(contract)
    audit(actor, AuditEntry.Action.UPDATE, contract, contract,
          diff(before, snapshot(contract, LIFECYCLE_FIELDS)))
    if status == S.ACTIVE and contract.end_date:
        schedule_expiry(contract)
    return contract


# --- expiry and automatic renewal ------------------------------------------------------------------

def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _term_months(start: dt.date, end: dt.date) -> int | None:
    """The term in whole months when it is one ("1 Jan – 31 Dec" is 12), else None."""
    after = end + dt.timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    if months > 0 and _add_months(start, months) == after:
        return months
    return None


def next_term(start: dt.date | None, end: dt.date) -> tuple[dt.date, dt.date]:
    """The term after the one that ends on `end`: as long as the contract's own term (whole
    months kept whole, a year when the start is not known)."""
    new_start = end + dt.timedelta(days=1)
    if start is None or start > end:
        return new_start, _add_months(new_start, 12) - dt.timedelta(days=1)
    months = _term_months(start, end)
    if months:
        return new_start, _add_months(new_start, months) - dt.timedelta(days=1)
    return new_start, end + (end - start) + dt.timedelta(days=1)


@dataclass
class ExpiryResult:
    expired: list[int] = field(default_factory=list)
    renewed: list[int] = field(default_factory=list)


def _expire_one(contract: Contract, today: dt.date, result: ExpiryResult) -> None:
    before = snapshot(contract, [*LIFECYCLE_FIELDS, "end_date"])
    if contract.auto_renew:
        renewals = 0
        start, end = contract.start_date, contract.end_date
        assert end is not None
        while end < today and renewals < MAX_RENEWALS:
            start, end = next_term(start, end)
            renewals += 1
        contract.start_date, contract.end_date = start, end
        contract.notice_date = end - dt.timedelta(days=contract.notice_days)
        bump_version(contract, expected_version=None, fields=["start_date", "end_date", "notice_date"])
        version_save(contract, actor=None,
                     note=_("Renewed automatically until %(day)s") % {"day": end.isoformat()})
        audit(None, AuditEntry.Action.UPDATE, contract, contract,
              {**diff(before, snapshot(contract, [*LIFECYCLE_FIELDS, "end_date"])),
               "renewed": [None, end.isoformat()]})
        schedule_expiry(contract)
        result.renewed.append(contract.pk)
        return
    contract.status = S.EXPIRED
    contract.ended_on = contract.end_date
    bump_version(contract, expected_version=None, fields=["status", "ended_on"])
    set_pricing_active(contract)
    audit(None, AuditEntry.Action.UPDATE, contract, contract,
          diff(before, snapshot(contract, [*LIFECYCLE_FIELDS, "end_date"])))
    result.expired.append(contract.pk)


def contracts_expire_due(*, today: dt.date | None = None,
                         contract_ids: list[int] | None = None) -> ExpiryResult:
    """Active contracts whose end date has passed expire — or, when they renew automatically,
    run on for another term (as many as it takes to reach today). Idempotent: a second run finds
    nothing to do. Each contract in its own transaction, its row locked; `contract_ids` narrows
    the run (the job scheduled for one contract)."""
    today = today or timezone.localdate()
    due = Contract.objects.filter(status=S.ACTIVE, end_date__lt=today)
    if contract_ids is not None:
        due = due.filter(pk__in=contract_ids)
    result = ExpiryResult()
    for pk in due.order_by("end_date", "pk").values_list("pk", flat=True).iterator():
        with transaction.atomic():
            contract = (Contract.objects.select_for_update()
                        .filter(pk=pk, status=S.ACTIVE, end_date__lt=today).first())
            if contract is not None:  # another run got there first
                _expire_one(contract, today, result)
    return result


def schedule_expiry(contract: Contract) -> None:
    """Once the transaction commits, a job to look at the contract the day after its end (the
    daily `partnera contracts expire` catches any the job missed)."""
    if contract.end_date is None:
        return
    pk, end = contract.pk, contract.end_date

    def enqueue() -> None:
        from partnera.contracts.tasks import expire_contract_task

        task = expire_contract_task
        zone = timezone.get_default_timezone()
        run_after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0, 5), tzinfo=zone)
        if run_after > timezone.now():
            if not task.get_backend().supports_defer:
                return
            task = task.using(run_after=run_after)
        task.enqueue(pk)

    transaction.on_commit(enqueue, robust=True)
