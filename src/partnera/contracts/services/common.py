"""What every contract service shares: the checks on the actor, the row lock, the audit entry."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext as _

from partnera.contracts.models import Contract
from partnera.contracts.permissions import may_change_contract
from partnera.contracts.selectors import contract_sections_for, contract_visible_q
from partnera.core import cleaning
from partnera.core.audit import audit_record
from partnera.core.errors import NotFound, PermissionDenied, ValidationFailed, VersionConflict
from partnera.core.money import Currency


def require_visible(actor, contract: Contract) -> None:
    """Views and API handlers pass contracts read through the selectors; the rule holds here too,
    whoever calls: a contract the actor may not see does not exist for them."""
    if not Contract.all_objects.filter(contract_visible_q(actor), pk=contract.pk).exists():
        raise NotFound()


def require_full(actor, contract: Contract) -> None:
    """The contract is visible and the actor reads it in full (its documents, PDF, conditions):
    for a department member who sees it only through an obligation, it does not exist."""
    require_visible(actor, contract)
    if contract_sections_for(actor, contract).limited:
        raise NotFound()


def require_change(actor, contract: Contract) -> None:
    require_visible(actor, contract)
    if not may_change_contract(actor, contract):
        raise PermissionDenied()


def lock(contract: Contract, expected_version: int | None = None) -> Contract:
    """The contract's row locked for this transaction (PostgreSQL; SQLite writes one at a time),
    its stored status and version read again: two actions on one contract run one after the
    other, and a page that showed an older version gets a conflict instead of overwriting."""
    stored = Contract.all_objects.select_for_update().filter(pk=contract.pk).values(
        "version", "status").first()
    if stored is None:
        raise NotFound()
    if expected_version is not None and stored["version"] != expected_version:
        raise VersionConflict()
    if stored["status"] != contract.status or stored["version"] != contract.version:
        # The caller's copy is stale: judge the request on what is stored.
        contract.refresh_from_db()
    return contract


def audit(actor, action: str, obj: Model, contract: Contract, changes: dict | None = None,
          **kwargs) -> None:
    audit_record(actor=actor if getattr(actor, "pk", None) else None, action=action, obj=obj,
                 company_id=contract.company_id, changes=changes or {}, **kwargs)


def currency(value: Any) -> str:
    code = cleaning.text(value).upper() or Currency.EUR
    if code not in Currency.values:
        raise ValidationError(_("Choose EUR or BGN."), code="invalid_choice")
    return code


def note_text(value: Any, *, limit: int = 300, field: str = "note") -> str:
    try:
        text = cleaning.bounded_text(limit)(value)
    except ValidationError as exc:
        raise ValidationFailed(fields={field: exc.messages}) from None
    return text


def days(value: Any, *, default: int | None = None) -> int | None:
    """A number of days (0–3650), or `default` when empty."""
    number = cleaning.optional_int(value)
    return default if number is None else number


@contextlib.contextmanager
def restored_on_error(obj: Model) -> Iterator[None]:
    """A refused change leaves the caller's copy as stored (the changes were applied to it
    before they were judged), so a retry is judged against what is really there."""
    try:
        yield
    except Exception:
        if obj.pk is not None:
            obj.refresh_from_db()
        raise
