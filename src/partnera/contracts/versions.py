"""Versions of a contract's terms and the differences between two of them.

A version is a snapshot of the negotiable terms (TERMS_FIELDS) as plain JSON. The differences are
given field by field (old → new); the long texts (payment terms, special conditions) also line by
line (difflib), so a page shows which paragraph changed rather than two walls of text.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from partnera.contracts.models import Contract, ContractVersion

TERMS_FIELDS = [
    "title", "value", "currency", "start_date", "end_date", "notice_days", "auto_renew",
    "payment_days", "payment_terms", "special_conditions",
]
LONG_TEXT_FIELDS = frozenset({"payment_terms", "special_conditions"})
DATE_FIELDS = frozenset({"start_date", "end_date"})


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def terms_of(contract: Contract) -> dict[str, Any]:
    """The contract's negotiable terms now, as a version stores them."""
    return {name: _plain(getattr(contract, name)) for name in TERMS_FIELDS}


def version_save(contract: Contract, *, actor, note: str = "") -> ContractVersion:
    """Keep the contract's terms as its next version (inside the caller's transaction, with the
    contract's row locked by the caller's update)."""
    last = (ContractVersion.objects.filter(contract=contract).order_by("-number")
            .values_list("number", flat=True).first()) or 0
    version = ContractVersion.objects.create(
        contract=contract, number=last + 1, terms=terms_of(contract), note=note[:300],
        created_by=actor if getattr(actor, "pk", None) else None)
    Contract.all_objects.filter(pk=contract.pk).update(terms_version=version.number)
    contract.terms_version = version.number
    return version


def labels() -> dict[str, str]:
    return {name: str(getattr(Contract._meta.get_field(name), "verbose_name", name))
            for name in TERMS_FIELDS}


def shown(name: str, value: Any) -> str:
    """A stored term as the page shows it, in the active language."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name in DATE_FIELDS:
        try:
            return formats.date_format(dt.date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
        except ValueError:
            return str(value)
    if name == "value":
        try:
            return formats.number_format(Decimal(str(value)), 2, force_grouping=True)
        except (InvalidOperation, ValueError):
            return str(value)
    return str(value)


@dataclass
class LineChange:
    op: str  # " " the same, "-" removed, "+" added
    text: str


@dataclass
class TermChange:
    name: str  # the field
    label: str
    before: str
    after: str
    lines: list[LineChange] = field(default_factory=list)  # long texts only

    def as_dict(self) -> dict:
        return {"field": self.name, "label": self.label, "before": self.before,
                "after": self.after, "lines": [{"op": line.op, "text": line.text}
                                               for line in self.lines]}


def line_diff(before: str, after: str, *, context: int = 2) -> list[LineChange]:
    """The lines of `after` against `before`: removed, added, and a few unchanged lines around
    each change (the rest left out, marked by "…")."""
    old, new = (before or "").splitlines(), (after or "").splitlines()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    changes: list[LineChange] = []
    for group in matcher.get_grouped_opcodes(context):
        if changes:
            changes.append(LineChange(" ", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                changes.extend(LineChange(" ", line) for line in old[i1:i2])
                continue
            if tag in ("replace", "delete"):
                changes.extend(LineChange("-", line) for line in old[i1:i2])
            if tag in ("replace", "insert"):
                changes.extend(LineChange("+", line) for line in new[j1:j2])
    return changes


def terms_diff(before: dict[str, Any], after: dict[str, Any]) -> list[TermChange]:
    """What changed from one version's terms to another's, in the order of TERMS_FIELDS."""
    names = labels()
    changes = []
    for name in TERMS_FIELDS:
        old, new = before.get(name), after.get(name)
        if old == new or (old in (None, "") and new in (None, "")):
            continue
        change = TermChange(name, names[name], shown(name, old), shown(name, new))
        if name in LONG_TEXT_FIELDS:
            change.lines = line_diff(str(old or ""), str(new or ""))
        changes.append(change)
    return changes


def versions_diff(older: ContractVersion, newer: ContractVersion) -> list[TermChange]:
    return terms_diff(older.terms or {}, newer.terms or {})
