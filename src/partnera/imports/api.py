"""REST API for imports (/api/v1/imports): upload → dry run (a job for a large file), mapping and
options, start, progress, report, undo, history, saved mappings. The same services as the web
pages and the command line."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import translation
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from partnera.core.api import QuerySchema, StrictSchema, check_cursor
from partnera.core.pagination import bounded_count, keyset_page
from partnera.imports import selectors, services
from partnera.imports.models import ImportMapping, ImportRun
from partnera.imports.registry import import_kinds
from partnera.imports.report import report_csv, report_filename

router = Router(tags=["imports"])


# --- schemas ---------------------------------------------------------------------------------------

class Counts(Schema):
    created: int
    updated: int
    unchanged: int
    skipped: int
    errors: int


class IssueOut(Schema):
    row: int = Field(description="The row number in the file (the header is row 1).")
    column: str = Field(description="The file's column header.")
    field: str
    message: str
    level: str = Field(description="error (the row is not imported) or warning")


class ChangeOut(Schema):
    row: int
    label: str
    changed: list[str]
    record_id: int | None


class OptionsOut(Schema):
    key: str
    update: bool


class ImportOut(Schema):
    id: int
    kind: str
    status: str = Field(description="mapping, dry_queued (the dry run waits for a worker), "
                                    "dry_running (the dry run is under way: rows_checked of "
                                    "rows_total), ready (dry run done), queued, running, done, "
                                    "failed, undone")
    phase: str = Field(description="Whose outcome the counts are: dry (the dry run) or real.")
    user: str
    file_name: str
    file_format: str
    encoding: str
    delimiter: str
    columns: list[str]
    mapping: list[str] = Field(description="The field each column goes to (\"\" = not imported).")
    mapping_problems: list[str]
    options: OptionsOut
    rows_total: int
    rows_done: int = Field(description="Rows the import has written (or left out) so far.")
    rows_checked: int = Field(description="Rows the dry run has checked so far.")
    percent: int = Field(description="Progress of what is going on: the dry run while its status "
                                     "is dry_queued or dry_running, else the import.")
    counts: Counts
    warnings: int
    issues: list[IssueOut] = Field(description="The first 500 problems (the report has all).")
    issues_total: int
    created_preview: list[ChangeOut]
    updated_preview: list[ChangeOut]
    message: str
    undo: dict | None
    created_at: dt.datetime
    dry_run_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    undone_at: dt.datetime | None
    report_url: str
    web_url: str


class ImportPage(Schema):
    items: list[ImportOut]
    next_cursor: str | None
    count: int
    count_is_lower_bound: bool


class ImportListQuery(QuerySchema):
    kind: str = Field("", max_length=40)
    cursor: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


class ConfigureIn(StrictSchema):
    mapping: list[str] | dict[str, str] | None = Field(
        None, description="One field key per column (\"\" = not imported), or {column header or "
                          "position: field key} for the columns to change.")
    key: str | None = Field(None, max_length=20)
    update: bool | None = None
    save_as: str = Field("", max_length=80, description="Also save the mapping under this name.")


class KeptOut(Schema):
    record: str
    reason: str


class UndoOut(Schema):
    reverted: int
    kept: list[KeptOut]
    run: ImportOut


class FieldOut(Schema):
    key: str
    label: str
    required: bool
    multiple: bool


class KindOut(Schema):
    name: str
    label: str
    fields: list[FieldOut]
    keys: dict[str, str]
    help: str


class MappingOut(Schema):
    id: int
    kind: str
    name: str
    columns: dict[str, str]
    options: dict[str, Any]
    updated_at: dt.datetime


class MappingIn(StrictSchema):
    kind: str = Field(max_length=40)
    name: str = Field(max_length=80)
    columns: dict[str, str] = Field(description="{column header: field key}")
    key: str | None = Field(None, max_length=20)
    update: bool = False


class MappingQuery(QuerySchema):
    kind: str = Field("", max_length=40)


def import_out(run: ImportRun) -> dict:
    report = run.report or {}
    preview = report.get("preview", {})
    return {
        "id": run.pk, "kind": run.kind, "status": run.status,
        "phase": report.get("phase", ""), "user": run.user.get_username(),
        "file_name": run.original_name, "file_format": run.file_format, "encoding": run.encoding,
        "delimiter": run.delimiter, "columns": run.headers, "mapping": run.mapping,
        "mapping_problems": report.get("mapping_problems", []),
        "options": {"key": run.options.get("key", "auto"),
                    "update": bool(run.options.get("update"))},
        "rows_total": run.rows_total, "rows_done": run.rows_done,
        "rows_checked": run.rows_checked, "percent": run.percent,
        "counts": run.counts, "warnings": run.warnings,
        "issues": [{"row": n, "column": c, "field": f, "message": m, "level": lv}
                   for n, c, f, m, lv in report.get("issues", [])],
        "issues_total": report.get("issues_total", 0),
        "created_preview": [{"row": n, "label": lb, "changed": ch, "record_id": rid}
                            for n, lb, ch, rid in preview.get("created", [])],
        "updated_preview": [{"row": n, "label": lb, "changed": ch, "record_id": rid}
                            for n, lb, ch, rid in preview.get("updated", [])],
        "message": run.message, "undo": report.get("undo"), "created_at": run.created_at,
        "dry_run_at": run.dry_run_at, "started_at": run.started_at,
        "finished_at": run.finished_at, "undone_at": run.undone_at,
        "report_url": f"/api/v1/imports/{run.pk}/report",
        "web_url": reverse("imports:import_detail", args=[run.pk]),
    }


def mapping_out(mapping: ImportMapping) -> dict:
    return {"id": mapping.pk, "kind": mapping.kind, "name": mapping.name,
            "columns": mapping.columns, "options": mapping.options,
            "updated_at": mapping.updated_at}


# --- kinds and saved mappings ----------------------------------------------------------------------

@router.get("/kinds", response=list[KindOut])
def list_kinds(request):
    """What you may import, with the fields you may map and the keys existing records are found by."""
    user = request.auth
    return [{"name": k.name, "label": str(k.label), "help": str(k.help),
             "keys": {code: str(label) for code, label in k.keys},
             "fields": [{"key": f.key, "label": str(f.label), "required": f.required,
                         "multiple": f.multiple} for f in k.available_fields(user)]}
            for k in import_kinds() if k.may_import(user)]


@router.get("/mappings", response=list[MappingOut])
def list_mappings(request, query: Query[MappingQuery]):
    return [mapping_out(m) for m in selectors.import_mapping_list(user=request.auth,
                                                                  kind=query.kind)]


@router.post("/mappings", response={201: MappingOut})
def save_mapping(request, payload: MappingIn):
    """Save (or replace) a named mapping: {column header: field key}."""
    options = {"update": payload.update, **({"key": payload.key} if payload.key else {})}
    mapping = services.import_mapping_save(actor=request.auth, kind=payload.kind,
                                           name=payload.name, columns=payload.columns,
                                           options=options)
    return Status(201, mapping_out(mapping))


@router.delete("/mappings/{int:mapping_id}", response={204: None})
def delete_mapping(request, mapping_id: int):
    mapping = selectors.import_mapping_get(user=request.auth, pk=mapping_id)
    services.import_mapping_delete(actor=request.auth, mapping=mapping)
    return Status(204, None)


# --- runs --------------------------------------------------------------------------------------------

@router.get("", response=ImportPage)
def list_imports(request, query: Query[ImportListQuery]):
    """Your imports (an administrator: everyone's), newest first."""
    runs = selectors.import_run_list(user=request.auth, kind=query.kind)
    page = keyset_page(runs, field="created_at", descending=True,
                       cursor=check_cursor(query.cursor), size=query.limit)
    count = bounded_count(runs)
    return {"items": [import_out(r) for r in page.items], "next_cursor": page.next_cursor,
            "count": count[0], "count_is_lower_bound": count[1]}


@router.post("", response={201: ImportOut})
def upload(request, file: File[UploadedFile], kind: Form[str], mapping: Form[str] = "",
           key: Form[str] = "", update: Form[bool] = False):
    """Upload a file (multipart/form-data: `file`, `kind`; optional `mapping` — a saved mapping's
    name — `key` and `update`). The columns are mapped and, when every required field has a
    column, the dry run is made: for a small file at once, and the answer holds its counts and
    problems (status `ready`); a large file's dry run runs as a background job (status
    `dry_queued`, then `dry_running`: poll GET /imports/{id} until it is `ready`). When a
    required field has no column: status `mapping` and `mapping_problems`."""
    name, data = services.read_upload(file)
    options: dict[str, Any] = {"update": update}
    if key:
        options["key"] = key
    run = services.import_create(actor=request.auth, kind=kind, filename=name, data=data,
                                 mapping_name=mapping, options=options)
    return Status(201, import_out(run))


@router.get("/{int:run_id}", response=ImportOut)
def get_import(request, run_id: int):
    """One import: status, progress (rows_done of rows_total) and the report's summary."""
    return import_out(selectors.import_run_get(user=request.auth, pk=run_id))


def _checked_or_queued(run: ImportRun):
    """200 with the dry run's report when it was made at once; 202 when it was queued."""
    return Status(202 if run.is_checking else 200, import_out(run))


@router.patch("/{int:run_id}", response={200: ImportOut, 202: ImportOut})
def configure(request, run_id: int, payload: ConfigureIn):
    """Change the column mapping and the options (before the import starts; also while a dry run
    is queued or running — that dry run is dropped); the dry run is made again: 200 with its
    report for a small file, 202 (status `dry_queued`) when it runs as a background job."""
    run = selectors.import_run_get(user=request.auth, pk=run_id)
    options = {k: v for k, v in {"key": payload.key, "update": payload.update}.items()
               if v is not None}
    run = services.import_configure(actor=request.auth, run=run, mapping=payload.mapping,
                                    options=options, save_as=payload.save_as)
    return _checked_or_queued(run)


@router.post("/{int:run_id}/dry-run", response={200: ImportOut, 202: ImportOut})
def dry_run(request, run_id: int):
    """Make the dry run again (the records in the database may have changed since): 200 with its
    report for a small file, 202 (status `dry_queued`) when it runs as a background job — poll
    GET /imports/{id} for `rows_checked` and, once `ready`, the report. A dry run still queued or
    running is replaced (this also takes over one whose worker stopped)."""
    run = selectors.import_run_get(user=request.auth, pk=run_id)
    return _checked_or_queued(services.import_dry_run(actor=request.auth, run=run))


@router.post("/{int:run_id}/start", response={202: ImportOut})
def start(request, run_id: int):
    """Start the import (after the dry run): it runs as a background job; poll GET /imports/{id}.
    Refused (409) while the dry run is queued or running."""
    run = selectors.import_run_get(user=request.auth, pk=run_id)
    services.import_start(actor=request.auth, run=run)
    return Status(202, import_out(selectors.import_run_get(user=request.auth, pk=run_id)))


@router.post("/{int:run_id}/resume", response={202: ImportOut})
def resume(request, run_id: int):
    """Continue a failed import after its last complete batch."""
    run = selectors.import_run_get(user=request.auth, pk=run_id)
    services.import_resume(actor=request.auth, run=run)
    return Status(202, import_out(selectors.import_run_get(user=request.auth, pk=run_id)))


@router.post("/{int:run_id}/undo", response=UndoOut)
def undo(request, run_id: int):
    """Undo the import: created records are deleted (soft), changed fields restored; records
    changed since the import are left as they are and listed in `kept`."""
    run = selectors.import_run_get(user=request.auth, pk=run_id)
    result = services.import_undo(actor=request.auth, run=run)
    return {"reverted": result.reverted,
            "kept": [{"record": label, "reason": reason} for label, reason in result.kept],
            "run": import_out(selectors.import_run_get(user=request.auth, pk=run_id))}


@router.get("/{int:run_id}/report", response={200: None})
def report(request, run_id: int):
    """The full report as CSV: one line per problem and per row, with its outcome."""
    run = selectors.import_run_get(user=request.auth, pk=run_id)
    response = StreamingHttpResponse(report_csv(run, language=translation.get_language()),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{report_filename(run)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response

