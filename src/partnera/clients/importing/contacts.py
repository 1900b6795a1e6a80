"""The contact import: one person per row, below a company the importer can see (by EIK or exact
name), found within it by e-mail, else by first and last name."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partnera.clients import duplicates
from partnera.clients import identifiers as ids
from partnera.clients.importing.common import (
    AUDITED_CREATE,
    LISTS,
    audit_rows,
    cell,
    chunks,
    clean_eik,
    clean_emails,
    clean_phones,
    jsonable,
    merge,
    texts,
    undo_records,
)
from partnera.clients.importing.fields import CONTACT_KEYS, CONTACT_TEXT
from partnera.clients.models import Channel, Company, Contact, ContactKey
from partnera.core.audit import _plain
from partnera.core.models import AuditEntry
from partnera.core.search import search_index_update
from partnera.core.visibility import can_change, visible_q
from partnera.imports import bulk, cells
from partnera.imports.cells import CellError
from partnera.imports.registry import ImportHandler, Outcome, RecordChange, Row, UndoResult


class ContactImport(ImportHandler):
    object_type = "clients.contact"

    def __init__(self, *, actor, options, dry_run: bool) -> None:
        super().__init__(actor=actor, options=options, dry_run=dry_run)
        self.channel = cells.Choices(Channel.choices, {"имейл": Channel.EMAIL,
                                                       "телефон": Channel.PHONE})
        self.companies: dict[int, Company] = {}
        self.loaded: dict[int, Contact] = {}

    def clean(self, row: Row) -> None:
        texts(row, CONTACT_TEXT)
        data = row.data
        full = row.values.get("full_name")
        if full and "first_name" not in data and "last_name" not in data:
            try:
                name = cells.text(full, 201)
            except CellError as exc:
                row.error("full_name", exc.message)
                name = ""
            first, _sep, last = name.partition(" ")
            if len(first) > 100 or len(last) > 100:
                row.error("full_name", _("Too long: %(n)s characters, at most %(max)s.")
                          % {"n": len(name), "max": 100})
            elif first:
                data["first_name"] = first
                if last:
                    data["last_name"] = last
        if "first_name" not in data and not any(
                i.field in ("first_name", "full_name") for i in row.issues):
            row.error("first_name" if "first_name" in row.values else "full_name",
                      _("The contact's name is missing."))
        cell(row, "emails", clean_emails)
        cell(row, "phones", clean_phones)
        cell(row, "preferred_channel", self.channel)
        consent = cell(row, "marketing_consent", cells.yes_no)
        cell(row, "consent_date", cells.date)
        if consent:
            data.setdefault("consent_date", timezone.localdate())
            if "consent_source" not in data:
                row.error("consent_source" if "consent_source" in row.columns
                          else "marketing_consent",
                          _("Say where the consent was given (form, meeting, e-mail …)."))
        elif consent is False:
            data["consent_date"] = None  # as the services keep it: no consent, no date
        cell(row, "company_eik", clean_eik)
        company_name = row.values.get("company_name", "")
        if company_name:
            data["company_name"] = " ".join(company_name.split())
        if "company_eik" not in data and "company_name" not in data and not any(
                i.field == "company_eik" for i in row.issues):
            row.error("company_name" if "company_name" in row.columns else "company_eik",
                      _("Say which company the contact works for (its EIK or name)."))
        row.label = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p) or (
            row.values.get("full_name") or row.values.get("first_name", ""))[:200]
        self._key(row)

    def _company_ref(self, row: Row) -> str:
        data = row.data
        return ("eik:" + data["company_eik"]) if data.get("company_eik") else (
            "name:" + data.get("company_name", "").casefold())

    def _key(self, row: Row) -> None:
        data = row.data
        key = self.options.key
        if key == "auto":
            key = "email" if data.get("emails") else "name"
        if key == "email":
            value = (data.get("emails") or [""])[0]
        else:
            value = ids.fold(data.get("first_name", ""), data.get("last_name", ""))
        if not value:
            if not row.has_errors:
                row.error("emails" if key == "email" else "first_name",
                          _("This row has no %(key)s, the key chosen to find existing contacts.")
                          % {"key": dict(CONTACT_KEYS)[key]})
            return
        data["_key"] = (key, value)

    def file_keys(self, row: Row) -> list[tuple[str, str]]:
        key, value = row.data["_key"]
        field = "emails" if key == "email" else "first_name"
        return [(field, self._company_ref(row) + "|" + value)]

    def _resolve_companies(self, rows: list[Row]) -> dict[str, Company | str | None]:
        eiks = sorted({r.data["company_eik"] for r in rows if r.data.get("company_eik")})
        names = sorted({r.data["company_name"] for r in rows
                        if r.data.get("company_name") and not r.data.get("company_eik")})
        refs: dict[str, Company | str | None] = {}
        visible = Company.objects.filter(visible_q(self.actor))
        for chunk in chunks(eiks):
            for company in visible.filter(eik__in=chunk):
                refs["eik:" + company.eik] = company
        by_name: dict[str, list[Company]] = defaultdict(list)
        for chunk in chunks(names):
            for company in visible.filter(legal_name__in=chunk):
                by_name[company.legal_name.casefold()].append(company)
        for name, found in by_name.items():
            refs["name:" + name] = found[0] if len(found) == 1 else "ambiguous"
        return refs

    def plan(self, rows: list[Row]) -> None:
        self.loaded = {}
        refs = self._resolve_companies(rows)
        companies = {c.pk: c for c in refs.values() if isinstance(c, Company)}
        existing: dict[int, list[Contact]] = defaultdict(list)
        for chunk in chunks(sorted(companies)):
            qs = Contact.objects.filter(company_id__in=chunk)
            if not self.dry_run:
                qs = qs.select_for_update(of=("self",))
            for contact in qs.order_by("pk"):
                existing[contact.company_id].append(contact)
        for row in rows:
            ref = self._company_ref(row)
            company = refs.get(ref)
            field = "company_eik" if ref.startswith("eik:") else "company_name"
            if company is None:
                row.fail(field, _("No company with this EIK that you can see.")
                         if field == "company_eik" else
                         _("No company with this name that you can see; give its EIK."))
                continue
            if company == "ambiguous":
                row.fail(field, _("Several companies you can see have this name; give the EIK."))
                continue
            assert isinstance(company, Company)
            row.data["_company"] = company
            if not can_change(self.actor, company):
                row.fail(field, _("You may not add or change contacts of “%(name)s”.")
                         % {"name": company.legal_name})
                continue
            key, value = row.data["_key"]
            if key == "email":
                matches = [c for c in existing[company.pk] if value in (c.emails or [])]
            else:
                matches = [c for c in existing[company.pk]
                           if ids.fold(c.first_name, c.last_name) == value]
            if len(matches) > 1:
                row.fail("emails" if key == "email" else "first_name",
                         _("%(n)s contacts of “%(company)s” match this row; give an e-mail.")
                         % {"n": len(matches), "company": company.legal_name})
            elif matches:
                self._plan_update(row, matches[0])
            else:
                row.outcome = Outcome.CREATED

    def _plan_update(self, row: Row, contact: Contact) -> None:
        row.target = contact.pk
        row.label = str(contact)
        self.loaded[contact.pk] = contact
        changes: dict[str, Any] = {}
        for key, value in row.data.items():
            if key.startswith("_") or key in ("company_eik", "company_name"):
                continue
            if key in LISTS:
                current = list(getattr(contact, key) or [])
                merged = merge(current, value)
                if merged != current:
                    if len(merged) > ids.MAX_CONTACT_POINTS:
                        row.fail(key, _("Together with the stored ones this makes more than "
                                        "%(n)s.") % {"n": ids.MAX_CONTACT_POINTS})
                        return
                    changes[key] = merged
            elif getattr(contact, key) != value:
                changes[key] = value
        row.changed = list(changes)
        row.data["_changes"] = changes
        if not changes:
            row.outcome = Outcome.UNCHANGED
        elif not self.options.update:
            row.outcome = Outcome.SKIPPED
            row.note = _("Already in the client base; updating existing records is off.")
        else:
            row.outcome = Outcome.UPDATED

    def apply(self, rows: list[Row]) -> list[RecordChange]:
        created = [r for r in rows if r.outcome == Outcome.CREATED]
        updated = [r for r in rows if r.outcome == Outcome.UPDATED]
        changes = self._create(created) + self._update(updated)
        written = [c.object_id for c in changes]
        ContactKey.objects.filter(contact_id__in=[r.target for r in updated]).delete()
        sources: list[Any] = [{"id": r.record_id, "emails": r.data.get("emails", []),
                               "phones": r.data.get("phones", [])} for r in created]
        sources.extend(self.loaded[r.target] for r in updated)
        bulk.insert(ContactKey, duplicates.contact_key_rows(sources), returning=False)
        search_index_update("contact", written)
        return changes

    def _create(self, rows: list[Row]) -> list[RecordChange]:
        if not rows:
            return []
        values_list = []
        for row in rows:
            company = row.data["_company"]
            values = {k: v for k, v in row.data.items()
                      if not k.startswith("_") and k not in ("company_eik", "company_name")}
            values["company_id"] = company.pk
            values["created_by_id"] = self.actor.pk
            values_list.append(values)
        new_ids = bulk.insert(Contact, values_list)
        entries = []
        for row, pk, values in zip(rows, new_ids, values_list, strict=True):
            row.record_id = pk
            audit = {k: [None, _plain(v)] for k, v in values.items()
                     if k in AUDITED_CREATE and v not in (None, "", [], False)}
            audit["company"] = [None, row.data["_company"].legal_name]
            audit["company_id"] = [None, row.data["_company"].pk]
            entries.append((pk, row.label, values["company_id"], audit))
        bulk.insert(AuditEntry, audit_rows(self.actor, AuditEntry.Action.CREATE,
                                            self.object_type, entries), returning=False)
        return [RecordChange(row=r.number, object_id=pk, action="created", version=1)
                for r, pk in zip(rows, new_ids, strict=True)]

    def _update(self, rows: list[Row]) -> list[RecordChange]:
        if not rows:
            return []
        now = timezone.now()
        writes: list[tuple[int, dict[str, Any]]] = []
        entries: list[tuple[int, str, int, dict]] = []
        result: list[RecordChange] = []
        for row in rows:
            contact = self.loaded[row.target]
            before: dict[str, Any] = {}
            audit: dict[str, list] = {}
            values: dict[str, Any] = {}
            for key, value in row.data["_changes"].items():
                old = getattr(contact, key)
                before[key] = jsonable(old)
                audit[key] = [_plain(old), _plain(value)]
                setattr(contact, key, value)
                values[key] = value
            contact.version += 1
            values.update(version=contact.version, updated_at=now)
            writes.append((contact.pk, values))
            entries.append((contact.pk, str(contact), contact.company_id, audit))
            row.record_id = contact.pk
            result.append(RecordChange(row=row.number, object_id=contact.pk, action="updated",
                                       version=contact.version, before=before))
        bulk.update(Contact, writes)
        bulk.insert(AuditEntry, audit_rows(self.actor, AuditEntry.Action.UPDATE,
                                            self.object_type, entries), returning=False)
        return result

    def undo(self, records: list[Any]) -> UndoResult:
        return undo_records(self, Contact, records, company_of=lambda c: c.company_id,
                     may=lambda c: can_change(self.actor, c.company),
                     visible=lambda pks: Contact.all_objects.filter(
                         visible_q(self.actor, root="company__"), pk__in=pks),
                     after=self._after_undo)

    def _after_undo(self, pks: list[int]) -> None:
        duplicates.reindex_contacts(pks)
        search_index_update("contact", pks)

    def record_url(self, pk: int) -> str:
        return reverse("clients:contact_detail", args=[pk])
