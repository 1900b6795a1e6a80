"""Writes of imports: upload and dry run, mapping and options, start, resume, undo, saved mappings.

The web pages, the API and the command line call these; each checks who may do it. An import acts
with the rights of the user who uploaded it, whoever runs the job.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from partnera.core.audit import audit_record
from partnera.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.visibility import is_administrator
from partnera.imports import engine
from partnera.imports.mapping import auto_map, mapping_problems, saved_columns
from partnera.imports.models import ImportBatch, ImportMapping, ImportRun, ImportStatus
from partnera.imports.readers import FileProblem, extension_of, max_bytes, read_table
from partnera.imports.registry import ImportKind, ImportOptions, UndoResult, get_import_kind
from partnera.imports.selectors import import_mapping_get


def kind_for(actor, name: str) -> ImportKind:
    """The kind of import, if the actor may import it (else PermissionDenied)."""
    kind = get_import_kind(name)
    if kind is None:
        raise ValidationFailed(fields={"kind": [_("Choose what to import.")]})
    if not kind.may_import(actor):
        raise PermissionDenied(_("Your role may not import %(kind)s.") % {"kind": kind.label})
    return kind


def read_upload(upload) -> tuple[str, bytes]:
    """The name and content of an uploaded file, refusing what is too large before reading it."""
    if upload is None:
        raise FileProblem(_("Choose a file to import."))
    name = (getattr(upload, "name", "") or "").replace("\x00", "").replace("\\", "/")
    name = name.rsplit("/", 1)[-1].strip()[:255]
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes():
        raise FileProblem(_("The file is larger than %(limit)s. Split it into smaller files.")
                          % {"limit": filesizeformat(max_bytes())})
    data = upload.read(max_bytes() + 1)
    if len(data) > max_bytes():
        raise FileProblem(_("The file is larger than %(limit)s. Split it into smaller files.")
                          % {"limit": filesizeformat(max_bytes())})
    return name or "import.csv", data


def clean_options(kind: ImportKind, options: dict | None, base: dict | None = None) -> dict:
    merged = {**ImportOptions().as_dict(), **(base or {}), **(options or {})}
    key = str(merged.get("key") or "auto")
    if key not in dict(kind.keys):
        raise ValidationFailed(fields={"key": [
            _("Choose one of: %(keys)s.") % {"keys": ", ".join(dict(kind.keys))}]})
    update = merged.get("update")
    if isinstance(update, str):
        update = update.strip().lower() in ("1", "true", "on", "yes")
    return ImportOptions(key=key, update=bool(update)).as_dict()


def _require_owner(actor, run: ImportRun) -> None:
    if run.user_id != getattr(actor, "pk", None):
        if is_administrator(actor):
            raise PermissionDenied(_("Only the person who uploaded this import may change or "
                                     "start it."))
        raise NotFound()


def import_create(*, actor, kind: str, filename: str, data: bytes, mapping_name: str = "",
                  options: dict | None = None, dry_run: bool = True) -> ImportRun:
    """Read the file (refused with a clear reason, storing nothing, if it cannot be), keep it,
    map its columns (a saved mapping, else the header aliases) and, when the mapping is complete,
    make the dry run."""
    kind_obj = kind_for(actor, kind)
    check_extension(filename)
    saved = None
    if mapping_name:
        try:
            saved = import_mapping_get(user=actor, kind=kind, name=mapping_name)
        except NotFound:
            raise ValidationFailed(fields={"mapping": [
                _("You have no saved mapping called “%(name)s”.") % {"name": mapping_name}]},
            ) from None
    opts = clean_options(kind_obj, options, saved.options if saved else None)
    table = read_table(data, filename, kind=kind)
    fields = kind_obj.available_fields(actor)
    headers = table.headers
    if table.keyed:
        # A reader of its own (vCard) names its columns by field: show them by the field's label.
        labels = {f.key: str(f.label) for f in fields}
        column_map = [h if h in labels else "" for h in table.headers]
        headers = [labels.get(h, h) for h in table.headers]
    else:
        column_map = auto_map(table.headers, fields, saved.columns if saved else None)
    run = ImportRun(kind=kind, user=actor, original_name=filename[:255], file_size=len(data),
                    file_format=table.file_format, encoding=table.encoding,
                    delimiter=table.delimiter, headers=headers,
                    header_row=table.header_row, mapping=column_map, options=opts,
                    rows_total=table.rows_total,
                    report={"samples": [row[:len(table.headers)] for row in table.samples]})
    stored = default_storage.save(f"imports/{secrets.token_hex(16)}", ContentFile(data))
    run.file.name = stored
    try:
        with transaction.atomic():
            run.save()
    except Exception:
        default_storage.delete(stored)
        raise
    problems = mapping_problems(kind_obj, column_map, headers, fields)
    if problems:
        run.report = {**run.report, "mapping_problems": problems}
        run.save(update_fields=["report", "updated_at"])
    elif dry_run:
        inline = checks_at_once(run)
        with transaction.atomic():
            seq = _reconfigure(run, status=ImportStatus.DRY_QUEUED, queue=not inline)
        if inline:
            run = _dry_run_here(run, seq)
    return run


# --- the dry run ----------------------------------------------------------------------------------

def inline_dry_run_rows() -> int:
    return int(getattr(settings, "PARTNERA_IMPORT_INLINE_DRY_RUN_ROWS", 5000))


def checks_at_once(run: ImportRun) -> bool:
    """Whether the web page and the API make this run's dry run in the request itself.

    A small file is checked at once (a second or two): the report is there when the page opens,
    with no progress bar flashing by and no reload, and it works even where no job worker runs.
    A larger one always goes to a background job: a 200 000-row file takes longer than the web
    server lets a request run, so the page shows the job's progress instead. The threshold is the
    PARTNERA_IMPORT_INLINE_DRY_RUN_ROWS setting (0: always a job)."""
    return run.rows_total <= inline_dry_run_rows()


def _reconfigure(run: ImportRun, *, status: str, queue: bool, **changes: Any) -> int:
    """Give the run its next dry-run number (with `changes` to its mapping or options): whatever
    dry run was queued or running for it is superseded and its report will not be saved. The
    earlier report goes; with `queue`, the dry-run job is queued once this transaction commits.
    Call inside a transaction; returns the new number."""
    locked = ImportRun.objects.select_for_update().filter(pk=run.pk).first()
    if locked is None or not locked.is_editable:
        raise Conflict(_("This import has already started; upload the file again to change it."))
    values: dict[str, Any] = {
        **changes, "status": status, "dry_run_seq": locked.dry_run_seq + 1, "rows_checked": 0,
        "report": {"samples": (locked.report or {}).get("samples", [])}, "message": "",
        "worker": "", "heartbeat_at": None, "created": 0, "updated": 0, "unchanged": 0,
        "skipped": 0, "errors": 0, "warnings": 0, "updated_at": timezone.now(),
    }
    ImportRun.objects.filter(pk=run.pk).update(**values)
    ImportBatch.objects.filter(run_id=run.pk, phase=ImportBatch.Phase.DRY).delete()
    for name, value in values.items():
        setattr(run, name, value)
    seq = values["dry_run_seq"]
    if queue:
        transaction.on_commit(lambda: _enqueue_dry_run(run.pk, seq))
    return seq


def _enqueue_dry_run(run_id: int, seq: int) -> None:
    from partnera.imports.tasks import check_import_task

    result = check_import_task.enqueue(run_id, seq)
    ImportRun.objects.filter(pk=run_id, dry_run_seq=seq).update(job_id=str(result.id)[:64])


def _dry_run_here(run: ImportRun, seq: int, progress: engine.Progress | None = None
                  ) -> ImportRun:
    """Make the dry run in this process, claimed like the job's (a FileProblem is raised after
    the run went back to the mapping step with the reason)."""
    try:
        engine.execute_dry_run(run.pk, seq=seq, progress=progress)
    finally:
        run.refresh_from_db()
    return run


def _clean_mapping(run: ImportRun, mapping: Any) -> list[str]:
    """A mapping as a list (one field key per column) from a list or a {column: key} dict, where
    a column is its position (0-based) or its header."""
    headers = run.headers
    if isinstance(mapping, dict):
        result = list(run.mapping) if len(run.mapping) == len(headers) else [""] * len(headers)
        for column, key in mapping.items():
            index = None
            if isinstance(column, int) or (isinstance(column, str) and column.isdigit()):
                index = int(column)
            elif column in headers:
                index = headers.index(column)
            if index is None or not 0 <= index < len(headers):
                raise ValidationFailed(fields={"mapping": [
                    _("The file has no column “%(column)s”.") % {"column": str(column)[:80]}]})
            result[index] = str(key or "")
        return result
    if isinstance(mapping, list | tuple):
        return [str(k or "") for k in mapping]
    raise ValidationFailed(fields={"mapping": [_("Expected one field per column.")]})


def import_configure(*, actor, run: ImportRun, mapping: Any = None, options: dict | None = None,
                     save_as: str = "", dry_run: bool = True, inline: bool | None = None,
                     progress: engine.Progress | None = None) -> ImportRun:
    """Change the column mapping and the options (and save the mapping under a name), then make
    the dry run again: here for a small file, else queued as a job (`inline` decides instead).
    A dry run still queued or running for the earlier configuration is superseded: its report
    is never saved."""
    _require_owner(actor, run)
    if not run.is_editable:
        raise Conflict(_("This import has already started; upload the file again to change it."))
    kind = kind_for(actor, run.kind)
    fields = kind.available_fields(actor)
    new_mapping = _clean_mapping(run, mapping) if mapping is not None else list(run.mapping)
    problems = mapping_problems(kind, new_mapping, run.headers, fields)
    if problems:
        raise ValidationFailed(_("The column mapping is not complete."),
                               fields={"mapping": problems})
    opts = clean_options(kind, options, run.options)
    inline = checks_at_once(run) if inline is None else inline
    with transaction.atomic():
        if save_as:
            import_mapping_save(actor=actor, kind=run.kind, name=save_as,
                                columns=saved_columns(run.headers, new_mapping), options=opts)
        seq = _reconfigure(run, status=ImportStatus.DRY_QUEUED if dry_run else ImportStatus.MAPPING,
                           queue=dry_run and not inline, mapping=new_mapping, options=opts)
    return _dry_run_here(run, seq, progress) if dry_run and inline else run


def import_dry_run(*, actor, run: ImportRun, inline: bool | None = None,
                   progress: engine.Progress | None = None) -> ImportRun:
    """Make the dry run (again): here for a small file or when `inline` (the command line), else
    queued as a job. A dry run already queued or running is superseded — this is also how a dry
    run whose worker went silent is taken over from the page."""
    _require_owner(actor, run)
    if not run.is_editable:
        raise Conflict(_("This import has already started."))
    _require_complete(actor, run)
    inline = checks_at_once(run) if inline is None else inline
    with transaction.atomic():
        seq = _reconfigure(run, status=ImportStatus.DRY_QUEUED, queue=not inline)
    return _dry_run_here(run, seq, progress) if inline else run


def _require_complete(actor, run: ImportRun) -> None:
    kind = kind_for(actor, run.kind)
    problems = mapping_problems(kind, run.mapping, run.headers, kind.available_fields(actor))
    if problems:
        raise ValidationFailed(_("The column mapping is not complete."),
                               fields={"mapping": problems})


def import_start(*, actor, run: ImportRun) -> ImportRun:
    """Queue the real run (a background job), once the dry run has been seen."""
    _require_owner(actor, run)
    kind_for(actor, run.kind)
    _refuse_unless_ready(run.status)
    _queue(run, from_status=[ImportStatus.READY])
    return run


def _refuse_unless_ready(status: str) -> None:
    if status == ImportStatus.MAPPING:
        raise Conflict(_("Complete the column mapping and look at the dry run first."))
    if status in (ImportStatus.DRY_QUEUED, ImportStatus.DRY_RUNNING):
        raise Conflict(_("The dry run is not finished yet. Wait for its report, then start the "
                         "import."))
    if status != ImportStatus.READY:
        raise Conflict(_("This import has already started."))


def import_resume(*, actor, run: ImportRun) -> ImportRun:
    """Queue a failed (or silently stopped) import again: it continues after the last batch that
    was imported completely."""
    _require_owner(actor, run)
    stale = run.status == ImportStatus.RUNNING and (
        run.heartbeat_at is None or run.heartbeat_at < timezone.now() - engine.STALE_AFTER)
    if run.status != ImportStatus.FAILED and not stale:
        raise Conflict(_("Only an import that stopped can be resumed."))
    if not run.file:
        # Removed after the retention period (imports.retention): nothing left to read.
        raise Conflict(_("The uploaded file has been removed (files are kept for a limited time "
                         "after an import stops), so this import can no longer be resumed. Upload "
                         "the file again to import the rest: the rows already imported are "
                         "recognised and not added twice."))
    _queue(run, from_status=[ImportStatus.FAILED, ImportStatus.RUNNING])
    return run


def _queue(run: ImportRun, *, from_status: list[str]) -> None:
    with transaction.atomic():
        moved = ImportRun.objects.filter(pk=run.pk, status__in=from_status).update(
            status=ImportStatus.QUEUED, message="", worker="", updated_at=timezone.now())
        if not moved:
            # Changed meanwhile (a new dry run asked for, or started by another request).
            current = ImportRun.objects.filter(pk=run.pk).values_list("status", flat=True).first()
            if ImportStatus.READY in from_status:
                _refuse_unless_ready(current or "")
            raise Conflict(_("This import has already started."))
        run.status = ImportStatus.QUEUED
        run.message = ""
        transaction.on_commit(lambda: _enqueue(run.pk))


def _enqueue(run_id: int) -> None:
    from partnera.imports.tasks import run_import_task

    result = run_import_task.enqueue(run_id)
    ImportRun.objects.filter(pk=run_id).update(job_id=str(result.id)[:64])


def import_run_now(*, actor, run: ImportRun, progress: engine.Progress | None = None
                   ) -> ImportRun:
    """Run the import in this process (the command line), with the same engine as the job; a
    dry run first is not required here (the report shows the same problems)."""
    _require_owner(actor, run)
    startable = (ImportStatus.MAPPING, ImportStatus.READY, ImportStatus.FAILED)
    if run.status in (ImportStatus.DRY_QUEUED, ImportStatus.DRY_RUNNING):
        _refuse_unless_ready(run.status)
    if run.status not in startable:
        raise Conflict(_("This import has already started."))
    _require_complete(actor, run)
    if not ImportRun.objects.filter(pk=run.pk, status__in=startable).update(
            status=ImportStatus.QUEUED):
        raise Conflict(_("This import has already started."))
    finished = engine.execute(run.pk, progress=progress)
    return finished or ImportRun.objects.get(pk=run.pk)


def import_undo(*, actor, run: ImportRun) -> UndoResult:
    """Reverse what the import did: the records it created are deleted (soft), the fields it
    changed get their earlier values back. A record changed since is left as it is and named in
    the result. The run's owner or an administrator may undo it."""
    if run.user_id != getattr(actor, "pk", None) and not is_administrator(actor):
        raise NotFound()
    if run.status == ImportStatus.UNDONE:
        raise Conflict(_("This import has already been undone."))
    if run.status not in (ImportStatus.DONE, ImportStatus.FAILED) or (
            run.status == ImportStatus.FAILED and not run.rows_done):
        raise Conflict(_("Only a finished (or stopped) import can be undone."))
    kind = get_import_kind(run.kind)
    if kind is None:
        raise Conflict(_("Imports of this kind are not available."))
    handler = kind.handler(actor=actor, options=ImportOptions.from_dict(run.options),
                           dry_run=False)
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        if locked.status not in (ImportStatus.DONE, ImportStatus.FAILED):
            raise Conflict(_("This import has already been undone."))
        records = list(locked.records.order_by("pk"))
        result = handler.undo(records)
        report = dict(locked.report or {})
        report["undo"] = {"reverted": result.reverted, "kept": result.kept[:500],
                          "kept_total": len(result.kept), "by": str(actor),
                          "at": timezone.now().isoformat()}
        ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.UNDONE,
                                                   undone_at=timezone.now(), report=report)
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=locked,
                     object_repr=str(locked)[:300],
                     changes={"status": [locked.status, ImportStatus.UNDONE],
                              "reverted": [None, result.reverted],
                              "kept": [None, len(result.kept)]})
    run.refresh_from_db()
    return result


# --- saved mappings -------------------------------------------------------------------------------

def import_mapping_save(*, actor, kind: str, name: str, columns: dict, options: dict | None = None
                        ) -> ImportMapping:
    kind_obj = kind_for(actor, kind)
    name = (name or "").replace("\x00", "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the mapping a name.")]
    elif len(name) > 80:
        errors["name"] = [_("At most 80 characters.")]
    known = {f.key for f in kind_obj.available_fields(actor)}
    if not isinstance(columns, dict) or len(columns) > 500:
        errors["columns"] = [_("Expected the columns as {header: field}.")]
    else:
        unknown = sorted({str(v) for v in columns.values() if v and v not in known})
        if unknown:
            errors["columns"] = [_("Not fields you can import: %(fields)s.")
                                 % {"fields": ", ".join(unknown)[:200]}]
    if errors:
        raise ValidationFailed(fields=errors)
    from partnera.imports.mapping import normalise_header

    clean_columns = {normalise_header(str(k))[:200]: str(v or "") for k, v in columns.items()
                     if normalise_header(str(k))}
    mapping, _created = ImportMapping.objects.update_or_create(
        user=actor, kind=kind, name=name,
        defaults={"columns": clean_columns, "options": clean_options(kind_obj, options)})
    return mapping


@transaction.atomic
def import_mapping_delete(*, actor, mapping: ImportMapping) -> None:
    if mapping.user_id != getattr(actor, "pk", None):
        raise NotFound()
    mapping.delete()


def allowed_extensions() -> list[str]:
    from partnera.imports.registry import reader_extensions

    return ["csv", "txt", "tsv", "xlsx", *reader_extensions()]


def check_extension(filename: str) -> None:
    if extension_of(filename) not in allowed_extensions():
        raise FileProblem(_("Files of this type cannot be imported. Accepted: %(types)s.")
                          % {"types": ", ".join(f".{e}" for e in allowed_extensions())})
