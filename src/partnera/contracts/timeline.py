"""Contracts on the company timeline (core.timeline source "contracts"): drafted, each change of
status (signed, activated, fulfilled, terminated, expired), automatic renewals, deleted and
restored — for the contracts of the company the user may see, never a hidden one. Read from the
audit log, which the contract services write in the same transaction as the change."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from partnera.contracts.models import Contract, ContractStatus
from partnera.contracts.selectors import contract_rule_q
from partnera.core.models import AuditEntry
from partnera.core.timeline import TimelineEntry


def _status_title(status: str) -> str:
    titles: dict[str, str] = {
        ContractStatus.NEGOTIATION: _("Contract %(number)s “%(title)s” went into negotiation"),
        ContractStatus.SIGNED: _("Contract %(number)s “%(title)s” signed"),
        ContractStatus.ACTIVE: _("Contract %(number)s “%(title)s” activated"),
        ContractStatus.FULFILLED: _("Contract %(number)s “%(title)s” fulfilled"),
        ContractStatus.TERMINATED: _("Contract %(number)s “%(title)s” terminated"),
        ContractStatus.EXPIRED: _("Contract %(number)s “%(title)s” expired"),
    }
    return titles.get(status, _("Contract %(number)s “%(title)s” changed"))


def _entry_title(entry: AuditEntry) -> tuple[str, str] | None:
    """(title, body) of a contract's audit entry on the timeline; None to leave it out."""
    changes = entry.changes or {}
    if entry.action == AuditEntry.Action.CREATE:
        return _("Contract %(number)s “%(title)s” drafted"), ""
    if entry.action == AuditEntry.Action.DELETE:
        return _("Contract %(number)s “%(title)s” deleted"), ""
    if entry.action == AuditEntry.Action.RESTORE:
        return _("Contract %(number)s “%(title)s” restored"), ""
    if "renewed" in changes:
        until = (changes["renewed"] or [None, ""])[-1]
        return (_("Contract %(number)s “%(title)s” renewed automatically"),
                _("Now runs until %(day)s.") % {"day": until})
    status = changes.get("status")
    if isinstance(status, list) and len(status) == 2:
        body = ""
        if status[1] == ContractStatus.TERMINATED:
            reason = (changes.get("termination_reason") or [None, ""])[-1]
            body = str(reason or "")
        return _status_title(status[1]), body
    return None


def company_contract_events(*, user, company_id: int, limit: int, before: dt.datetime | None):
    contracts = {c.pk: c for c in Contract.all_objects.filter(contract_rule_q(user),
                                                              company_id=company_id)
                 .only("pk", "number", "title")}
    if not contracts:
        return []
    qs = AuditEntry.objects.filter(
        Q(action__in=[AuditEntry.Action.CREATE, AuditEntry.Action.DELETE,
                      AuditEntry.Action.RESTORE])
        | Q(action=AuditEntry.Action.UPDATE, changes__has_key="status")
        | Q(action=AuditEntry.Action.UPDATE, changes__has_key="renewed"),
        object_type="contracts.contract", company_id=company_id,
        object_id__in=[str(pk) for pk in contracts],
    ).select_related("actor")
    if before:
        qs = qs.filter(at__lt=before)
    entries = []
    for e in qs.order_by("-at", "-id")[:limit]:
        described = _entry_title(e)
        contract = contracts.get(int(e.object_id))
        if described is None or contract is None:
            continue
        title, body = described
        actor = str(e.actor) if e.actor is not None else (e.actor_repr or _("system"))
        entries.append(TimelineEntry(
            at=e.at, kind="contract", title=title % {"number": contract.number,
                                                     "title": contract.title},
            body=body, actor=actor, url=reverse("contracts:contract_detail", args=[contract.pk])))
    return entries


def contract_history(*, contract: Contract, limit: int = 50) -> list[AuditEntry]:
    """What happened to the contract and what hangs below it (documents, obligations,
    conditions), newest first, for its page."""
    return list(AuditEntry.objects.filter(company_id=contract.company_id).filter(
        Q(object_type="contracts.contract", object_id=str(contract.pk))
        | Q(object_repr__startswith=f"{contract.number}: ",
            object_type__in=["contracts.contractdocument", "contracts.obligation",
                             "contracts.referralclause", "catalog.pricingrule"])
    ).exclude(action=AuditEntry.Action.ACCESS_DENIED).select_related("actor")
        .order_by("-at", "-id")[:limit])
