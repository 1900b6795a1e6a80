"""Exports of the client base: the filtered companies and contacts lists to CSV or XLSX, contacts
to vCard.

Every export reads through the list selectors (clients.selectors.company_list / contact_list):
the same filters as the list pages and the API, scoped by the one visibility rule, so an export
holds exactly the records its user may see. Confidential columns (credit limit, payment terms,
credit terms, financial notes) are present only for roles that may see them
(core.visibility.can_see_confidential).

Columns are the import field keys, in the import's order, headed by the field's label in the
user's language, so an exported file can be imported back. Values:
choice fields as their label in the user's language, the owner as a username, phones (E.164),
e-mails and tags joined with "; " (what clients.identifiers.split_list splits).

Large exports never load model instances: the rows come from one `values_list` query streamed
from a cursor in chunks (server-side on PostgreSQL), each company's tags joined in the same query
by a correlated subquery, so an export issues the same few queries whatever its size.

Exports of client data are sensitive: each one writes an audit entry (action "downloaded") with
its format, row count and filters, before any data leaves.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Aggregate, OuterRef, Subquery, TextField, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnera.clients import selectors
from partnera.clients.models import Channel, Company, CompanySize, Contact, LegalForm, Source, Stage, Tier
from partnera.clients.vcard import VCARD_CONTENT_TYPE, CardData, card_chunks
from partnera.core.audit import audit_record
from partnera.core.errors import DomainError
from partnera.core.models import AuditEntry
from partnera.core.spreadsheet import (
    BOOL,
    CSV_CONTENT_TYPE,
    DATE,
    DECIMAL,
    INTEGER,
    TEXT,
    XLSX_CONTENT_TYPE,
    Column,
    CsvDialect,
    Export,
    csv_chunks,
    csv_dialect,
    write_xlsx,
)
from partnera.core.visibility import can_see_confidential

EXPORT_BATCH = 2000  # rows per fetch from the cursor
LIST_JOIN = "; "
# An XLSX is built in full before the download starts; past this many rows the browser and
# the API are asked to filter, choose CSV (streamed) or use `partnera export`.
MAX_WEB_XLSX_ROWS = getattr(settings, "PARTNERA_EXPORT_MAX_XLSX_ROWS", 300_000)

COMPANY_FORMATS = ("csv", "xlsx")
CONTACT_FORMATS = ("csv", "xlsx", "vcf")
CONFIDENTIAL_KEYS = ("credit_limit", "payment_terms_days", "credit_terms", "financial_notes")


class ExportTooLarge(DomainError):
    code = "export_too_large"
    status = 400
    default_message = gettext_lazy("This export is too large to build as XLSX here.")


def _labels(model, import_fields) -> dict[str, Any]:
    """Header labels: the import's own label for each import field (so the import recognises
    every header of an export, in either language), else the model field's verbose name."""
    labels: dict[str, Any] = {f.name: f.verbose_name for f in model._meta.get_fields()
                              if hasattr(f, "verbose_name")}
    labels.update({f.key: f.label for f in import_fields})
    return labels


COMPANY_KEYS = ("legal_name", "legal_form", "eik", "vat_number", "industry", "size", "country",
                "region", "city", "registered_address", "postal_address", "website", "phones",
                "emails", "stage", "tier", "source", "tags", "owner")
CONTACT_KEYS = ("first_name", "last_name", "position", "department", "emails", "phones",
                "preferred_channel", "marketing_consent", "consent_date", "consent_source",
                "company_eik", "company_name")
_KINDS = {"credit_limit": DECIMAL, "payment_terms_days": INTEGER, "marketing_consent": BOOL,
          "consent_date": DATE}
_WIDE = {"registered_address", "postal_address", "credit_terms", "financial_notes"}


def _columns(keys, labels: dict[str, Any]) -> list[Column]:
    return [Column(key, labels[key], _KINDS.get(key, TEXT), width=40 if key in _WIDE else None)
            for key in keys]


def company_columns(*, confidential: bool) -> list[Column]:
    """The companies export's columns: the import keys, confidential ones only when allowed."""
    from partnera.clients.importing import COMPANY_IMPORT_FIELDS

    keys = COMPANY_KEYS + (CONFIDENTIAL_KEYS if confidential else ())
    return _columns(keys, _labels(Company, COMPANY_IMPORT_FIELDS))


def contact_columns() -> list[Column]:
    from partnera.clients.importing import CONTACT_IMPORT_FIELDS

    return _columns(CONTACT_KEYS, _labels(Contact, CONTACT_IMPORT_FIELDS))


def choice_labels(choices) -> dict[str, str]:
    """Stored value → the label in the active language ("active" → "Active client")."""
    return {value: str(label) for value, label in choices}


# --- the export itself -----------------------------------------------------------------------------

def _filename(kind: str, extension: str) -> str:
    return f"partnera-{kind}-{timezone.localdate():%Y-%m-%d}.{extension}"


def _filters_for_audit(filters) -> dict:
    return {k: v for k, v in dataclasses.asdict(filters).items() if v not in ("", [], None)}


@transaction.atomic
def export_audited(*, actor, object_type: str, description: str, fmt: str, rows: int,
                   filters: dict | None = None, company_id: int | None = None,
                   object_id: str = "") -> AuditEntry:
    """The audit entry of an export: who exported what, in which format, how many rows."""
    changes: dict[str, Any] = {"format": fmt, "rows": rows}
    if filters:
        changes["filters"] = filters
    return audit_record(actor=actor, action=AuditEntry.Action.DOWNLOAD, object_type=object_type,
                        object_id=object_id, object_repr=description, changes=changes,
                        company_id=company_id)


def _build(*, kind: str, fmt: str, columns: list[Column], rows: Iterable[Sequence[Any]],
           count: int, sheet_name: str, dialect: CsvDialect | None, web: bool) -> Export:
    if fmt == "xlsx":
        if web and count > MAX_WEB_XLSX_ROWS:
            raise ExportTooLarge(_(
                "This export has %(rows)s rows; XLSX downloads are limited to %(limit)s rows. "
                "Narrow the filters, choose CSV, or run “partnera export” on the server.")
                % {"rows": count, "limit": MAX_WEB_XLSX_ROWS})
        handle = tempfile.TemporaryFile()  # noqa: SIM115  (closed by the response or write_to)
        try:
            written = write_xlsx(handle, columns, rows, sheet_name=sheet_name)
        except BaseException:
            handle.close()
            raise
        handle.seek(0)
        return Export(_filename(kind, "xlsx"), XLSX_CONTENT_TYPE, written, file=handle)
    return Export(_filename(kind, "csv"), CSV_CONTENT_TYPE, count,
                  chunks=csv_chunks(columns, rows, dialect=dialect or csv_dialect()))


def _ordered(qs, sorts: dict[str, tuple[str, bool]], sort: str):
    field, descending = sorts.get(sort, sorts["name"])
    return qs.order_by(f"-{field}", "-pk") if descending else qs.order_by(field, "pk")


# --- companies -------------------------------------------------------------------------------------

_COMPANY_VALUES = ["legal_name", "legal_form", "eik", "vat_number", "industry", "size",
                   "country", "region", "city", "registered_address", "postal_address", "website",
                   "phones", "emails", "stage", "tier", "source", "owner__username"]
TAG_SEPARATOR = "\x1f"  # joins a company's tag names in SQL (a tag name never holds it)
CENTS = Decimal("0.01")


class _JoinedNames(Aggregate):
    """A group's values joined with a separator: GROUP_CONCAT on SQLite, STRING_AGG on
    PostgreSQL (both take the value and the separator)."""

    function = "GROUP_CONCAT"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="STRING_AGG", **extra_context)


def _with_tag_names(qs):
    """Each company's tag names in one column (a correlated subquery: no query per chunk)."""
    through = Company.tags.through
    names = (through.objects.filter(company_id=OuterRef("pk")).order_by().values("company_id")
             .annotate(names=_JoinedNames("tag__name", Value(TAG_SEPARATOR))).values("names"))
    return qs.annotate(tag_names=Subquery(names, output_field=TextField()))


def _stream(qs, names: list[str], batch: int) -> Iterator[tuple]:
    """The rows of qs.values_list(*names), straight from a cursor (server-side on PostgreSQL).

    An export reads every row once: Django's per-value converters are left out (values arrive
    as the database driver gives them, see _json_list, _decimal, _date), which halves the cost
    of a row. The query itself is the selector's, visibility and filters included.
    """
    query = qs.values_list(*names).query
    compiler = query.get_compiler(using=qs.db)
    sql, params = compiler.as_sql()
    with connections[qs.db].chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(batch):
            yield from rows


def _json_list(value) -> list:
    """A JSON list column as the driver returns it (text on SQLite and from Django's PostgreSQL
    loaders, a list otherwise)."""
    if not value:
        return []
    return value if isinstance(value, list) else json.loads(value)


def _decimal(value) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(CENTS)  # SQLite keeps 12500.00 as the integer 12500


def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _tags_text(value: str | None) -> str:
    if not value:
        return ""
    return LIST_JOIN.join(sorted(value.split(TAG_SEPARATOR), key=str.casefold))


def company_rows_query(*, user, filters: selectors.CompanyFilters | None = None,
                       sort: str = "name") -> tuple[Any, list[str]]:
    """The one query of the companies export (the list selector's, ordered, with the tag names)
    and the names of its columns."""
    confidential = can_see_confidential(user)
    names = _COMPANY_VALUES + (list(CONFIDENTIAL_KEYS) if confidential else []) + ["tag_names"]
    qs = _ordered(_with_tag_names(selectors.company_list(user=user, filters=filters)),
                  selectors.COMPANY_SORTS, sort)
    return qs, names


def company_rows(*, user, filters: selectors.CompanyFilters | None = None, sort: str = "name",
                 batch: int = EXPORT_BATCH) -> Iterator[tuple]:
    """The rows of the companies export, in the list's order, as the columns of
    company_columns(confidential=can_see_confidential(user))."""
    confidential = can_see_confidential(user)
    qs, names = company_rows_query(user=user, filters=filters, sort=sort)
    legal_forms, sizes = choice_labels(LegalForm.choices), choice_labels(CompanySize.choices)
    stages, tiers = choice_labels(Stage.choices), choice_labels(Tier.choices)
    sources = choice_labels(Source.choices)
    join = LIST_JOIN.join
    for r in _stream(qs, names, batch):
        row: tuple[Any, ...] = (
            r[0], legal_forms.get(r[1], r[1]), r[2], r[3], r[4], sizes.get(r[5], r[5]), r[6],
            r[7], r[8], r[9], r[10], r[11], join(_json_list(r[12])), join(_json_list(r[13])),
            stages.get(r[14], r[14]), tiers.get(r[15], r[15]), sources.get(r[16], r[16]),
            _tags_text(r[-1]), r[17] or "",
        )
        if confidential:
            row += (_decimal(r[18]), r[19], r[20], r[21])
        yield row


def company_export(*, actor, filters: selectors.CompanyFilters | None = None, sort: str = "name",
                   fmt: str = "csv", dialect: CsvDialect | None = None, web: bool = True) -> Export:
    """The user's filtered companies list as CSV (streamed) or XLSX, audited."""
    if fmt not in COMPANY_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    filters = filters or selectors.CompanyFilters()
    count = selectors.company_list(user=actor, filters=filters).count()
    columns = company_columns(confidential=can_see_confidential(actor))
    export = _build(kind="companies", fmt=fmt, columns=columns,
                    rows=company_rows(user=actor, filters=filters, sort=sort), count=count,
                    sheet_name=str(_("Companies")), dialect=dialect, web=web)
    export_audited(actor=actor, object_type="clients.company", fmt=fmt, rows=export.rows,
                   description=f"{export.filename} ({export.rows})",
                   filters=_filters_for_audit(filters))
    return export


# --- contacts --------------------------------------------------------------------------------------

_CONTACT_VALUES = ["first_name", "last_name", "position", "department", "emails", "phones",
                   "preferred_channel", "marketing_consent", "consent_date", "consent_source",
                   "company__eik", "company__legal_name"]


def contact_rows(*, user, filters: selectors.ContactFilters | None = None, sort: str = "name",
                 batch: int = EXPORT_BATCH) -> Iterator[tuple]:
    """The rows of the contacts export, in the list's order, as the columns of contact_columns()."""
    qs = _ordered(selectors.contact_list(user=user, filters=filters), selectors.CONTACT_SORTS, sort)
    channels = choice_labels(Channel.choices)
    join = LIST_JOIN.join
    for r in _stream(qs, _CONTACT_VALUES, batch):
        yield (r[0], r[1], r[2], r[3], join(_json_list(r[4])), join(_json_list(r[5])),
               channels.get(r[6], r[6]), bool(r[7]), _date(r[8]), r[9], r[10], r[11])


_CARD_VALUES = ["pk", "first_name", "last_name", "position", "department", "emails", "phones",
                "company__legal_name", "company__eik", "updated_at"]


def _cards(qs, batch: int = EXPORT_BATCH) -> Iterator[CardData]:
    # ORG is the legal name as the lists and the CSV export write it, so the import finds the
    # company by it (and by the EIK the card carries).
    for r in qs.values_list(*_CARD_VALUES).iterator(chunk_size=batch):
        yield CardData(pk=r[0], first_name=r[1], last_name=r[2], position=r[3], department=r[4],
                       emails=list(r[5] or []), phones=list(r[6] or []), company=r[7],
                       company_eik=r[8], updated_at=r[9])


def contact_export(*, actor, filters: selectors.ContactFilters | None = None, sort: str = "name",
                   fmt: str = "csv", dialect: CsvDialect | None = None, web: bool = True) -> Export:
    """The user's filtered contacts list as CSV (streamed), XLSX or vCard (streamed), audited."""
    if fmt not in CONTACT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    filters = filters or selectors.ContactFilters()
    qs = selectors.contact_list(user=actor, filters=filters)
    count = qs.count()
    if fmt == "vcf":
        export = Export(_filename("contacts", "vcf"), VCARD_CONTENT_TYPE, count,
                        chunks=card_chunks(_cards(_ordered(qs, selectors.CONTACT_SORTS, sort))))
    else:
        export = _build(kind="contacts", fmt=fmt, columns=contact_columns(),
                        rows=contact_rows(user=actor, filters=filters, sort=sort), count=count,
                        sheet_name=str(_("Contacts")), dialect=dialect, web=web)
    export_audited(actor=actor, object_type="clients.contact", fmt=fmt, rows=export.rows,
                   description=f"{export.filename} ({export.rows})",
                   filters=_filters_for_audit(filters))
    return export


def _slug(text: str) -> str:
    from partnera.core.translit import to_latin

    cleaned = "".join(ch if ch.isalnum() else "-" for ch in to_latin(text).lower())
    return "-".join(p for p in cleaned.split("-") if p)[:60] or "contact"


def contact_vcard(*, actor, contact: Contact) -> Export:
    """One (visible) contact's vCard, audited on the contact's company."""
    qs = selectors.contact_visible(user=actor).filter(pk=contact.pk)
    body = b"".join(card_chunks(_cards(qs)))
    export_audited(actor=actor, object_type="clients.contact", object_id=str(contact.pk),
                   description=str(contact), fmt="vcf", rows=1, company_id=contact.company_id)
    return Export(f"{_slug(str(contact))}.vcf", VCARD_CONTENT_TYPE, 1, chunks=iter([body]))


def company_contacts_vcard(*, actor, company: Company) -> Export:
    """The (visible) company's contacts as one .vcf, audited on the company."""
    qs = selectors.contact_visible(user=actor).filter(company=company).order_by(
        "last_name", "first_name", "pk")
    count = qs.count()
    export_audited(actor=actor, object_type="clients.company", object_id=str(company.pk),
                   description=f"{company.legal_name}: vCard ({count})", fmt="vcf", rows=count,
                   company_id=company.pk)
    return Export(f"{_slug(company.legal_name)}-contacts.vcf", VCARD_CONTENT_TYPE, count,
                  chunks=card_chunks(_cards(qs)))

