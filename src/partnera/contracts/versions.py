"""Versions of a contract's terms and the differences between two of them.

A version is a snapshot of the negotiable terms (TERMS_FIELDS) as plain JSON, together with the
contract's pricing conditions (CONDITIONS_KEY: one entry per condition). The differences are
given field by field (old → new); the long texts (payment terms, special conditions) and the
pricing conditions also line by line (difflib), so a page shows which paragraph or condition
changed rather than two walls of text. Versions kept before the conditions were part of the
snapshot have no CONDITIONS_KEY: no difference is shown for them rather than a false one.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from partnera.catalog.models import PricingRule
from partnera.contracts.models import Contract, ContractVersion

TERMS_FIELDS = [
    "title", "value", "currency", "start_date", "end_date", "notice_days", "auto_renew",
    "payment_days", "payment_terms", "special_conditions",
]
LONG_TEXT_FIELDS = frozenset({"payment_terms", "special_conditions"})
DATE_FIELDS = frozenset({"start_date", "end_date"})
CONDITIONS_KEY = "pricing_conditions"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def condition_terms(rule: PricingRule) -> dict[str, Any]:
    """One pricing condition as a version stores it."""
    scope = rule.product or rule.category or rule.line
    return {"id": rule.pk, "name": rule.name, "scope": str(scope) if scope else None,
            "discount_percent": _plain(rule.discount_percent),
            "fixed_price": _plain(rule.fixed_price), "currency": rule.currency,
            "valid_from": _plain(rule.valid_from), "valid_to": _plain(rule.valid_to)}


def terms_of(contract: Contract) -> dict[str, Any]:
    """The contract's negotiable terms now, as a version stores them (with its pricing
    conditions: one query)."""
    terms = {name: _plain(getattr(contract, name)) for name in TERMS_FIELDS}
    if contract.pk is not None:
        rules = (PricingRule.objects.filter(contract_id=contract.pk)
                 .select_related("product", "category", "line").order_by("pk"))
        terms[CONDITIONS_KEY] = [condition_terms(rule) for rule in rules]
    return terms


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
    names = {name: str(getattr(Contract._meta.get_field(name), "verbose_name", name))
             for name in TERMS_FIELDS}
    names[CONDITIONS_KEY] = _("Pricing conditions")
    return names


def condition_line(entry: dict[str, Any]) -> str:
    """A stored pricing condition as one line of text, in the active language."""
    if entry.get("discount_percent") is not None:
        what = f"{entry['discount_percent']} %"
    else:
        what = f"{entry.get('fixed_price')} {entry.get('currency', '')}".strip()
    line = f"{entry.get('name', '')}: {what} · {entry.get('scope') or _('the whole catalog')}"
    if entry.get("valid_from") or entry.get("valid_to"):
        line += " · " + " – ".join(shown("start_date", entry.get(key)) if entry.get(key) else "…"
                                   for key in ("valid_from", "valid_to"))
    return line


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
    if CONDITIONS_KEY in before and CONDITIONS_KEY in after:
        old_lines = [condition_line(e) for e in before[CONDITIONS_KEY] or []]
        new_lines = [condition_line(e) for e in after[CONDITIONS_KEY] or []]
        if old_lines != new_lines:
            changes.append(TermChange(
                CONDITIONS_KEY, names[CONDITIONS_KEY], "; ".join(old_lines) or "—",
                "; ".join(new_lines) or "—", line_diff("\n".join(old_lines), "\n".join(new_lines))))
    return changes


def versions_diff(older: ContractVersion, newer: ContractVersion) -> list[TermChange]:
    return terms_diff(older.terms or {}, newer.terms or {})
