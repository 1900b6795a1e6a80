"""What the company and contact imports share: cleaning cells into row data, bulk audit entries,
tags, and undo."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.bg import vat as bg_vat

from partnera.clients import identifiers as ids
from partnera.clients.models import Company, Contact, Tag
from partnera.core.audit import _plain
from partnera.core.context import current
from partnera.core.models import AuditEntry
from partnera.imports import bulk, cells
from partnera.imports.cells import CellError
from partnera.imports.registry import ImportHandler, Row, UndoResult

CHUNK = 500
COUNTRY_NAMES = {"българия": "BG", "bulgaria": "BG", "bgr": "BG", "република българия": "BG"}
LISTS = ("phones", "emails")
_url = URLValidator(schemes=["http", "https"])
# Fast paths for the common shapes of a value: each accepts only what the full validator accepts
# (the tests compare them), and anything else goes through the full validator.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_SIMPLE_URL = re.compile(rf"https?://(?:{_LABEL}\.)+[a-z]{{2,24}}/?")
_SIMPLE_EMAIL = re.compile(rf"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:{_LABEL}\.)+[a-z]{{2,24}}")
_LIST_SPLIT = re.compile(r"[\n,;]+")


def cell(row: Row, key: str, clean) -> Any:
    """Clean one cell into row.data (only non-empty cells land there); errors onto the row."""
    raw = row.values.get(key, "")
    if not raw:
        return None
    try:
        value = clean(raw)
    except CellError as exc:
        row.error(key, exc.message)
        return None
    except ValidationError as exc:
        row.error(key, " ".join(exc.messages))
        return None
    if value not in (None, "", []):
        row.data[key] = value
    return value


def texts(row: Row, limits: dict[str, int]) -> None:
    for key, limit in limits.items():
        raw = row.values.get(key)
        if raw:
            try:
                value = cells.text(raw, limit)
            except CellError as exc:
                row.error(key, exc.message)
                continue
            if value:
                row.data[key] = value


def clean_phones(raw: str) -> list[str]:
    values = []
    for part in ids.split_list(raw):
        digits = part.replace(" ", "")
        # A spreadsheet keeps 359888123456 as a number, dropping the "+".
        if digits.isdigit() and digits.startswith("359") and len(digits) in (11, 12):
            part = "+" + digits
        values.append(part)
    return ids.normalize_phones(values)


def clean_eik(raw: str) -> str:
    value = raw.strip()
    # A spreadsheet keeps 040683212 as the number 40683212: the leading zero comes back.
    if value.isdigit() and len(value) in (8, 12):
        value = "0" + value
    if len(value) == 9 and value.isdigit() and bg_vat.calc_check_digit_legal(value[:8]) == value[8]:
        return value  # the check normalize_eik makes for a legal entity, without the parsing
    return ids.normalize_eik(value)


def clean_emails(raw: str) -> list[str]:
    """ids.normalize_emails, with the usual plain addresses recognised without the full check."""
    parts = [p.strip() for p in _LIST_SPLIT.split(raw.replace("\x00", "")) if p.strip()]
    if len(parts) > ids.MAX_CONTACT_POINTS:
        return ids.normalize_emails(parts)  # its error message
    result: list[str] = []
    for part in parts:
        email = part.lower()
        if not (len(email) <= 254 and _SIMPLE_EMAIL.fullmatch(email)):
            return ids.normalize_emails(parts)
        if email not in result:
            result.append(email)
    return result


def clean_website(raw: str) -> str:
    value = raw.strip()
    if value[0] in cells.FORMULA_START:
        raise CellError(cells.formula_message(value[0]))
    if "://" not in value:
        value = "https://" + value
    if len(value) > 300:
        raise CellError(_("Too long: %(n)s characters, at most %(max)s.")
                        % {"n": len(value), "max": 300})
    if _SIMPLE_URL.fullmatch(value):
        return value
    try:
        _url(value)
    except ValidationError:
        raise CellError(_("“%(value)s” is not a web address.") % {"value": raw[:60]}) from None
    return value


def clean_country(raw: str) -> str:
    value = raw.strip()
    named = COUNTRY_NAMES.get(value.casefold())
    if named:
        return named
    if len(value) == 2 and value.isalpha() and value.isascii():
        return value.upper()
    raise CellError(_("Write the country as its two-letter code, e.g. BG, DE, RO."))


def clean_tag_names(raw: str) -> list[str]:
    names: list[str] = []
    folded: set[str] = set()
    for name in ids.split_list(raw):
        name = cells.text(name, 60)
        if name and name.casefold() not in folded:
            folded.add(name.casefold())
            names.append(name)
    if len(names) > 30:
        raise CellError(_("At most 30 tags."))
    return names


def merge(current: list[str], new: list[str]) -> list[str]:
    return [*current, *(v for v in new if v not in current)]


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def audit_rows(actor, action: str, object_type: str, entries: list[tuple[int, str, int, dict]]
                ) -> list[dict]:
    """Audit entries as rows for one bulk insert (as core.audit.audit_record writes them)."""
    ctx = current()
    actor_pk = getattr(actor, "pk", None)
    actor_repr = (actor.get_username() if actor_pk else "")[:200]
    return [{"actor_id": actor_pk, "actor_repr": actor_repr, "action": action,
             "channel": ctx.channel, "object_type": object_type, "object_id": str(pk),
             "object_repr": label[:300], "company_id": company_id, "changes": changes,
             "ip": ctx.ip}
            for pk, label, company_id, changes in entries]


class TagCache:
    """Tag names to tags, created when new (one query for the batch's names)."""

    def __init__(self) -> None:
        self.known: dict[str, Tag] = {}

    def resolve(self, names: set[str]) -> None:
        missing = {n for n in names if n.casefold() not in self.known}
        if not missing:
            return
        folded = {n.casefold() for n in missing}
        for tag in Tag.objects.filter(name__in=[*missing, *{n.lower() for n in missing},
                                                *{n.capitalize() for n in missing}]):
            self.known.setdefault(tag.name.casefold(), tag)
        still = [n for n in missing if n.casefold() not in self.known]
        if still:
            # A case variant not tried above ("ДИСТРИБУТОР" for "Дистрибутор"): compare them all.
            for tag in Tag.objects.all().only("pk", "name").iterator(chunk_size=2000):
                if tag.name.casefold() in folded:
                    self.known.setdefault(tag.name.casefold(), tag)
        for name in missing:
            if name.casefold() not in self.known:
                tag, _created = Tag.objects.get_or_create(name=name)
                self.known[name.casefold()] = tag

    def ids(self, names: list[str]) -> list[int]:
        return [self.known[n.casefold()].pk for n in names]


def _restore_value(model: type[Model], attname: str, value: Any) -> Any:
    field = next(f for f in model._meta.concrete_fields if f.attname == attname)
    if value is None:
        return None
    return field.to_python(value)


# Columns that earlier runs recorded in ImportRecord.before and that no longer exist: their undo
# restores the other fields and leaves these out (search_text: the search index replaced it).
DROPPED_COLUMNS = frozenset({"search_text"})

AUDITED_CREATE = frozenset({
    "legal_name", "legal_form", "eik", "vat_number", "industry", "size", "country", "region",
    "city", "registered_address", "postal_address", "website", "phones", "emails", "stage",
    "tier", "source", "credit_limit", "payment_terms_days", "first_name", "last_name",
    "position", "department", "preferred_channel", "marketing_consent", "consent_date",
    "consent_source",
})


def undo_records(handler: ImportHandler, model: type[Company] | type[Contact], records: list[Any], *,
          company_of, may, visible, after) -> UndoResult:
    """Created records are soft-deleted, updated ones get their values back — each only when it
    is still as the import left it (same version) and the actor may change it."""
    result = UndoResult()
    by_pk = {r.object_id: r for r in records}
    now = timezone.now()
    actor = handler.actor
    seen: dict[int, Any] = {}
    for chunk in chunks(sorted(by_pk)):
        for obj in visible(chunk).select_related(*(["company"] if model is Contact else [])):
            seen[obj.pk] = obj
    deletes: list[int] = []
    restores: list[tuple[int, dict[str, Any]]] = []
    entries_delete: list[tuple[int, str, int, dict]] = []
    entries_update: list[tuple[int, str, int, dict]] = []
    tag_restores: list[tuple[int, list[str]]] = []
    for pk, record in by_pk.items():
        obj = seen.get(pk)
        if obj is None:
            result.kept.append((f"#{pk}", _("You can no longer see this record.")))
            continue
        label = str(obj)
        if obj.version != record.version:
            result.kept.append((label, _("Changed since the import; left as it is.")))
            continue
        if record.action == "created" and obj.deleted_at is not None:
            result.kept.append((label, _("Already deleted.")))
            continue
        if not may(obj):
            result.kept.append((label, _("You may not change it.")))
            continue
        if record.action == "created":
            deletes.append(pk)
            entries_delete.append((pk, label, company_of(obj), {}))
        else:
            values: dict[str, Any] = {}
            audit: dict[str, list] = {}
            for attname, old in record.before.items():
                if attname == "tags":
                    tag_restores.append((pk, old))
                    continue
                if attname in DROPPED_COLUMNS:
                    continue  # recorded by runs from before the column was dropped
                value = _restore_value(model, attname, old)
                if attname != "name_key":
                    audit[attname.removesuffix("_id")] = [_plain(getattr(obj, attname)),
                                                          _plain(value)]
                values[attname] = value
            values.update(version=obj.version + 1, updated_at=now)
            restores.append((pk, values))
            entries_update.append((pk, label, company_of(obj), audit))
        result.reverted += 1
    for chunk in chunks(deletes):
        model.all_objects.filter(pk__in=chunk).update(deleted_at=now, deleted_by=actor,
                                                      version=_version_plus_one(), updated_at=now)
    bulk.update(model, restores)
    if tag_restores:
        through = Company.tags.through
        for pk, names in tag_restores:
            keep = Tag.objects.filter(name__in=names).values_list("pk", flat=True)
            through.objects.filter(company_id=pk).exclude(tag_id__in=keep).delete()
    object_type = handler.object_type
    bulk.insert(AuditEntry, audit_rows(actor, AuditEntry.Action.DELETE, object_type,
                                        entries_delete), returning=False)
    bulk.insert(AuditEntry, audit_rows(actor, AuditEntry.Action.UPDATE, object_type,
                                        entries_update), returning=False)
    after(deletes + [pk for pk, _v in restores])
    return result


def _version_plus_one():

    return F("version") + 1
