"""The company import: one company per row, found by EIK, VAT number, e-mail or name and city."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from partnera.clients import duplicates
from partnera.clients import identifiers as ids
from partnera.clients.importing.common import (
    AUDITED_CREATE,
    LISTS,
    TagCache,
    audit_rows,
    cell,
    chunks,
    clean_country,
    clean_eik,
    clean_emails,
    clean_phones,
    clean_tag_names,
    clean_website,
    jsonable,
    merge,
    texts,
    undo_records,
)
from partnera.clients.importing.fields import COMPANY_TEXT, KEY_FIELD, company_keys
from partnera.clients.models import Company, CompanyKey, CompanySize, LegalForm, Source, Stage, Tier
from partnera.clients.services import EIK_TAKEN, _optional_int, _optional_money
from partnera.core.audit import _plain
from partnera.core.models import AuditEntry
from partnera.core.search import search_index_update
from partnera.core.visibility import can_assign, can_change, can_see_confidential, visible_q
from partnera.imports import bulk, cells
from partnera.imports.cells import CellError
from partnera.imports.registry import ImportHandler, Outcome, RecordChange, Row, UndoResult
from partnera.people.models import User

LOADED_FIELDS = ("pk", "version", "owner_id", "team_id", "name_key", "legal_name", "legal_form",
                 "eik", "vat_number", "industry", "size", "country", "region", "city",
                 "registered_address", "postal_address", "website", "phones", "emails", "stage",
                 "tier", "source", "credit_limit", "payment_terms_days")


class CompanyImport(ImportHandler):
    object_type = "clients.company"

    def __init__(self, *, actor, options, dry_run: bool) -> None:
        super().__init__(actor=actor, options=options, dry_run=dry_run)
        self.may_assign = can_assign(actor)
        self.confidential = can_see_confidential(actor)
        self.legal_form = cells.Choices(LegalForm.choices, {
            "Ltd": LegalForm.OOD, "LLC": LegalForm.OOD, "JSC": LegalForm.AD, "PLC": LegalForm.AD,
            "sole trader": LegalForm.ET, "single-member Ltd": LegalForm.EOOD})
        self.size = cells.Choices(CompanySize.choices)
        self.stage = cells.Choices(Stage.choices, {"клиент": Stage.ACTIVE, "client": Stage.ACTIVE,
                                                   "потенциален": Stage.PROSPECT,
                                                   "загубен": Stage.LOST, "неактивен": Stage.DORMANT})
        self.tier = cells.Choices(Tier.choices, {"ключов": Tier.KEY_ACCOUNT,
                                                 "key": Tier.KEY_ACCOUNT})
        self.source = cells.Choices(Source.choices)
        self.users: dict[str, Any] = {}
        self.tags = TagCache()
        self.loaded: dict[int, Company] = {}
        self.tag_names: dict[int, list[str]] = {}
        self.owner_audit: dict[int, dict[str, list]] = {}

    # -- one row ---------------------------------------------------------------------------

    def clean(self, row: Row) -> None:
        texts(row, COMPANY_TEXT)
        data = row.data
        if "legal_name" not in data and not any(i.field == "legal_name" for i in row.issues):
            row.error("legal_name", _("The company's name is missing."))
        eik = cell(row, "eik", clean_eik)
        vat = row.values.get("vat_number", "")
        if vat:
            compact = vat.replace(" ", "").upper()
            if eik and compact in (eik, "BG" + eik) and len(eik) == 9:
                data["vat_number"] = "BG" + eik  # the EIK's checksum was just checked
            else:
                cell(row, "vat_number", ids.normalize_vat)
        cell(row, "website", clean_website)
        cell(row, "phones", clean_phones)
        cell(row, "emails", clean_emails)
        cell(row, "legal_form", self.legal_form)
        cell(row, "size", self.size)
        cell(row, "stage", self.stage)
        cell(row, "tier", self.tier)
        cell(row, "source", self.source)
        cell(row, "country", clean_country)
        cell(row, "tags", clean_tag_names)
        if self.confidential:
            cell(row, "credit_limit", _optional_money)
            cell(row, "payment_terms_days", _optional_int)
        if self.may_assign:
            cell(row, "owner", self._owner)
        # The report names the row by its name, as the file has it when it was refused.
        row.label = data.get("legal_name") or row.values.get("legal_name", "")[:255]
        self._key(row)

    def _owner(self, raw: str):
        key = raw.strip().casefold()
        if key not in self.users:
            found = list(User.objects.filter(Q(username__iexact=raw.strip())
                                             | Q(email__iexact=raw.strip()), is_active=True)[:2])
            self.users[key] = found[0] if len(found) == 1 else None
        user = self.users[key]
        if user is None:
            raise CellError(_("No active user with the username or e-mail “%(value)s”.")
                            % {"value": raw[:60]})
        return user

    def _key(self, row: Row) -> None:
        data = row.data
        key = self.options.key
        if key == "auto":
            if data.get("eik"):
                key = "eik"
            elif data.get("vat_number"):
                key = "vat"
            elif data.get("emails"):
                key = "email"
            else:
                key = "name_city"
        value = {
            "eik": data.get("eik", ""),
            "vat": data.get("vat_number", ""),
            "email": (data.get("emails") or [""])[0],
            "name_city": ids.fold(data.get("legal_name", "")) + "|" + ids.fold(data.get("city", "")),
        }.get(key, "")
        if key == "name_city" and not data.get("legal_name"):
            value = ""
        if not value:
            if not row.has_errors:
                row.error(KEY_FIELD.get(key, ""), _("This row has no %(key)s, the key chosen to "
                                                    "find existing companies.")
                          % {"key": company_keys().get(key, key)})
            return
        data["_key"] = (key, value)

    def file_keys(self, row: Row) -> list[tuple[str, str]]:
        keys = []
        if row.data.get("eik"):
            keys.append(("eik", row.data["eik"]))
        key, value = row.data["_key"]
        if key != "eik":
            keys.append((KEY_FIELD[key], value))
        return keys

    # -- one batch -------------------------------------------------------------------------

    def _candidates(self, rows: list[Row]) -> tuple[dict[tuple[str, str], list[int]], dict[str, int]]:
        wanted: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            key, value = row.data["_key"]
            wanted[key].add(value)
        eiks = {r.data["eik"] for r in rows if r.data.get("eik")} | wanted["eik"]
        found: dict[tuple[str, str], list[int]] = defaultdict(list)
        holders: dict[str, int] = {}
        for chunk in chunks(sorted(eiks)):
            for pk, eik in Company.objects.filter(eik__in=chunk).values_list("pk", "eik"):
                holders[eik] = pk
                found[("eik", eik)].append(pk)
        for chunk in chunks(sorted(wanted["vat"])):
            for pk, vat in Company.objects.filter(vat_number__in=chunk).values_list("pk",
                                                                                     "vat_number"):
                found[("vat", vat)].append(pk)
        for chunk in chunks(sorted(wanted["email"])):
            # Each stored e-mail of a live company is one of its identity keys ("email:…",
            # clients.duplicates): one index lookup, then the exact stored e-mails decide.
            keyed = CompanyKey.objects.filter(key__in=[f"email:{e}" for e in chunk])
            for pk, emails in Company.objects.filter(
                    pk__in=keyed.values("company_id")).values_list("pk", "emails"):
                for email in set(emails or []) & set(chunk):
                    found[("email", email)].append(pk)
        if wanted["name_city"]:
            names: dict[str, set[str]] = defaultdict(set)
            for row in rows:
                if row.data["_key"][0] == "name_city":
                    names[row.data["legal_name"]].add(row.data["_key"][1])
            for chunk in chunks(sorted(names)):
                for pk, name, city in Company.objects.filter(legal_name__in=chunk).values_list(
                        "pk", "legal_name", "city"):
                    value = ids.fold(name) + "|" + ids.fold(city)
                    if value in wanted["name_city"]:
                        found[("name_city", value)].append(pk)
        return found, holders

    def _load(self, pks: set[int]) -> set[int]:
        """The matched companies the importer may see, loaded (locked for the real run)."""
        visible: set[int] = set()
        for chunk in chunks(sorted(pks)):
            qs = Company.objects.filter(visible_q(self.actor), pk__in=chunk)
            if not self.dry_run:
                qs = qs.select_for_update(of=("self",))
            # Only what the rows can change or the rules read: a full row (and its owner and team)
            # costs more to load than the import of a new company costs to write.
            for company in qs.only(*LOADED_FIELDS):
                visible.add(company.pk)
                self.loaded[company.pk] = company
            through = Company.tags.through
            for company_id, name in through.objects.filter(
                    company_id__in=[p for p in chunk if p in visible]).values_list(
                    "company_id", "tag__name").order_by("tag__name"):
                self.tag_names.setdefault(company_id, []).append(name)
        return visible

    def plan(self, rows: list[Row]) -> None:
        self.loaded, self.tag_names = {}, {}
        found, holders = self._candidates(rows)
        matched = {pk for pks in found.values() for pk in pks}
        visible = self._load(matched)
        for row in rows:
            key, value = row.data["_key"]
            field = KEY_FIELD[key]
            pks = found.get((key, value), [])
            hidden = [pk for pk in pks if pk not in visible]
            if hidden:
                row.fail(field, _("A company with this %(key)s is already in the client base, "
                                  "but you cannot see it. Ask its owner or an administrator.")
                         % {"key": company_keys()[key]})
            elif len(pks) > 1:
                row.fail(field, _("%(n)s companies in the client base have this %(key)s; choose "
                                  "another key, or merge them first.")
                         % {"n": len(pks), "key": company_keys()[key]})
            elif pks:
                self._plan_update(row, self.loaded[pks[0]], holders)
            else:
                eik = row.data.get("eik")
                holder = holders.get(eik) if eik else None
                if holder is not None:
                    self._eik_taken(row, holder)
                else:
                    row.outcome = Outcome.CREATED

    def _eik_taken(self, row: Row, holder: int) -> None:
        company = self.loaded.get(holder)
        if company is not None:
            row.fail("eik", _("“%(name)s” already has this EIK.") % {"name": company.legal_name})
        else:
            row.fail("eik", EIK_TAKEN())

    def _changes(self, row: Row, company: Company) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for key, value in row.data.items():
            if key.startswith("_"):
                continue
            if key == "owner":
                if value.pk != company.owner_id:
                    changes["owner"] = value
            elif key == "tags":
                current = self.tag_names.get(company.pk, [])
                folded = {n.casefold() for n in current}
                added = [n for n in value if n.casefold() not in folded]
                if added:
                    changes["tags"] = added
            elif key in LISTS:
                current = list(getattr(company, key) or [])
                merged = merge(current, value)
                if merged != current:
                    changes[key] = merged
            elif getattr(company, key) != value:
                changes[key] = value
        return changes

    def _plan_update(self, row: Row, company: Company, holders: dict[str, int]) -> None:
        row.target = company.pk
        row.label = company.legal_name
        eik = row.data.get("eik")
        if eik and eik != company.eik and holders.get(eik) not in (None, company.pk):
            self._eik_taken(row, holders[eik])
            return
        changes = self._changes(row, company)
        for key in LISTS:
            if key in changes and len(changes[key]) > ids.MAX_CONTACT_POINTS:
                row.fail(key, _("Together with the stored ones this makes more than %(n)s.")
                         % {"n": ids.MAX_CONTACT_POINTS})
                return
        row.changed = list(changes)
        row.data["_changes"] = changes
        if not changes:
            row.outcome = Outcome.UNCHANGED
        elif not self.options.update:
            row.outcome = Outcome.SKIPPED
            row.note = _("Already in the client base; updating existing records is off.")
        elif not can_change(self.actor, company):
            row.fail(KEY_FIELD[row.data["_key"][0]],
                     _("“%(name)s” is in the client base, but you may not change it.")
                     % {"name": company.legal_name})
        else:
            row.outcome = Outcome.UPDATED

    def check_duplicates(self, rows: list[Row]) -> None:
        """Dry run: companies the importer can see that look like a new row (a similar name,
        the same phone or e-mail …), as warnings."""
        new = [r for r in rows if r.outcome == Outcome.CREATED]
        if not new:
            return
        probes = [{k: v for k, v in r.data.items() if not k.startswith("_")} for r in new]
        for row, matches in zip(new, duplicates.match_company_rows(probes, user=self.actor),
                                strict=True):
            for match in matches[:3]:
                row.warn("legal_name", _("Looks like “%(name)s” (%(reasons)s), already in the "
                                         "client base.")
                         % {"name": match.legal_name, "reasons": "; ".join(match.texts())})

    # -- writing ---------------------------------------------------------------------------

    def apply(self, rows: list[Row]) -> list[RecordChange]:
        created = [r for r in rows if r.outcome == Outcome.CREATED]
        updated = [r for r in rows if r.outcome == Outcome.UPDATED]
        self.tags.resolve({n for r in rows for n in r.data.get("tags", [])})
        changes = self._create(created) + self._update(updated)
        ids_written = [c.object_id for c in changes]
        search_index_update("company", ids_written)
        return changes

    def after_run(self, ids: list[int]) -> None:
        """The likely-duplicate pairs of the companies written (clients.duplicates) are found
        by a background job once the run finished: comparing each new company with the base
        costs more than importing it. The identity keys were written with each batch, so an
        exact duplicate is recognised at once."""
        if ids:
            transaction.on_commit(lambda: refresh_duplicate_pairs_task.enqueue(ids))

    def _create(self, rows: list[Row]) -> list[RecordChange]:
        if not rows:
            return []
        actor = self.actor
        values_list = []
        for row in rows:
            data = row.data
            owner = data.get("owner") or actor
            values = {k: v for k, v in data.items()
                      if not k.startswith("_") and k not in ("owner", "tags")}
            values.setdefault("country", "BG")
            values["owner_id"] = owner.pk
            values["team_id"] = owner.team_id
            values["created_by_id"] = actor.pk
            values["name_key"] = duplicates.company_name_key(values["legal_name"])
            values_list.append(values)
        new_ids = bulk.insert(Company, values_list)
        links: list[dict[str, int]] = []
        entries: list[tuple[int, str, int, dict]] = []
        for row, pk, values in zip(rows, new_ids, values_list, strict=True):
            row.record_id = pk
            names = row.data.get("tags", [])
            links.extend({"company_id": pk, "tag_id": t} for t in self.tags.ids(names))
            audit = {k: [None, v if type(v) is str else _plain(v)] for k, v in values.items()
                     if k in AUDITED_CREATE and v not in (None, "", [])}
            owner = row.data.get("owner") or self.actor
            audit.update(self._owner_audit(owner))
            if names:
                audit["tags"] = [None, sorted(names)]
            entries.append((pk, values["legal_name"], pk, audit))
        bulk.insert(Company.tags.through, links, returning=False)
        bulk.insert(CompanyKey, duplicates.company_key_rows(
            {**values, "id": pk} for pk, values in zip(new_ids, values_list, strict=True)),
            returning=False)
        bulk.insert(AuditEntry, audit_rows(actor, AuditEntry.Action.CREATE, self.object_type,
                                            entries), returning=False)
        return [RecordChange(row=r.number, object_id=pk, action="created", version=1)
                for r, pk in zip(rows, new_ids, strict=True)]

    def _owner_audit(self, owner) -> dict[str, list]:
        """The owner and team of a new company as its audit entry records them (per owner, once)."""
        cached = self.owner_audit.get(owner.pk)
        if cached is None:
            cached = {"owner": [None, str(owner)]}
            if owner.team_id:
                cached["team"] = [None, str(owner.team)]
            self.owner_audit[owner.pk] = cached
        return cached

    def _update(self, rows: list[Row]) -> list[RecordChange]:
        if not rows:
            return []
        now = timezone.now()
        writes: list[tuple[int, dict[str, Any]]] = []
        links: list[dict[str, int]] = []
        entries: list[tuple[int, str, int, dict]] = []
        result: list[RecordChange] = []
        for row in rows:
            company = self.loaded[row.target]
            changes = row.data["_changes"]
            before: dict[str, Any] = {}
            audit: dict[str, list] = {}
            values: dict[str, Any] = {}
            for key, value in changes.items():
                if key == "tags":
                    current = self.tag_names.get(company.pk, [])
                    before["tags"] = current
                    audit["tags"] = [sorted(current), sorted([*current, *value])]
                    links.extend({"company_id": company.pk, "tag_id": t}
                                 for t in self.tags.ids(value))
                    continue
                if key == "owner":
                    before["owner_id"] = company.owner_id
                    old_owner = (User.objects.filter(pk=company.owner_id).first()
                                 if company.owner_id else None)
                    audit["owner"] = [str(old_owner) if old_owner else None, str(value)]
                    company.owner = value
                    values["owner_id"] = value.pk
                    continue
                old = getattr(company, key)
                before[key] = jsonable(old)
                audit[key] = [_plain(old), _plain(value)]
                setattr(company, key, value)
                values[key] = value
            before["name_key"] = company.name_key
            company.name_key = duplicates.company_name_key(company.legal_name)
            company.version += 1
            company.updated_at = now
            values.update(name_key=company.name_key, version=company.version, updated_at=now)
            writes.append((company.pk, values))
            entries.append((company.pk, company.legal_name, company.pk, audit))
            row.record_id = company.pk
            result.append(RecordChange(row=row.number, object_id=company.pk, action="updated",
                                       version=company.version, before=before))
        bulk.update(Company, writes)
        bulk.insert(Company.tags.through, links, returning=False)
        changed = [pk for pk, _values in writes]
        CompanyKey.objects.filter(company_id__in=changed).delete()
        bulk.insert(CompanyKey, duplicates.company_key_rows(
            self.loaded[pk] for pk in changed), returning=False)
        bulk.insert(AuditEntry, audit_rows(self.actor, AuditEntry.Action.UPDATE,
                                            self.object_type, entries), returning=False)
        return result

    # -- undo ------------------------------------------------------------------------------

    def undo(self, records: list[Any]) -> UndoResult:
        return undo_records(self, Company, records, company_of=lambda c: c.pk,
                     may=lambda c: can_change(self.actor, c),
                     visible=lambda pks: Company.all_objects.filter(visible_q(self.actor),
                                                                    pk__in=pks),
                     after=self._after_undo)

    def _after_undo(self, pks: list[int]) -> None:
        duplicates.reindex_companies(pks)  # deleted ones leave the keys and pairs
        search_index_update("company", pks)

    def record_url(self, pk: int) -> str:
        return reverse("clients:company_detail", args=[pk])


@task()
def refresh_duplicate_pairs_task(company_ids: list[int]) -> int:
    """After an import: find the likely duplicates of the companies it wrote."""
    return duplicates.refresh_pairs(company_ids)
