"""The import engine: from a run's stored file to rows, batches and a report.

A dry run reads the whole file and plans every batch (what would be created, updated, left alone,
and every problem) without writing a record. For a large file it is a job too (it takes longer than
a web request may): claimed like the real run, its progress recorded batch by batch, and its report
saved only while the run still waits for that very dry run (nothing changed the mapping or the
options meanwhile) and the worker still holds it. The real run does the same, and writes each batch
in one transaction together with the batch's outcome, the undo records and the run's progress:
after a crash the database holds whole batches only, and running the job again continues after the
last committed batch (exactly once). A worker claims the run before it starts; each batch checks
the claim inside its transaction, so two workers never write the same batch.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from partnera.core.context import Channel, acting, current
from partnera.imports import bulk
from partnera.imports.models import ImportBatch, ImportRecord, ImportRun, ImportStatus
from partnera.imports.readers import FileProblem, Table, read_table
from partnera.imports.registry import (
    ImportHandler,
    ImportKind,
    ImportOptions,
    Outcome,
    Row,
    get_import_kind,
)

logger = logging.getLogger("partnera.imports")

SUMMARY_ISSUES = 500  # problems kept on the run for the page (the report file has all)
SUMMARY_PREVIEW = 10  # created/updated/left-alone rows shown as a preview
STALE_AFTER = timedelta(minutes=10)  # a running import silent this long may be resumed
Progress = Callable[[int, int], None]


def batch_size() -> int:
    return int(getattr(settings, "PARTNERA_IMPORT_BATCH_SIZE", 1000))


class RunTaken(Exception):
    """Another worker holds the run (or it finished): this one stops without writing."""


def kind_of(run: ImportRun) -> ImportKind:
    kind = get_import_kind(run.kind)
    if kind is None:
        raise FileProblem(_("Imports of this kind are not available."))
    return kind


def open_table(run: ImportRun) -> Table:
    try:
        with default_storage.open(run.file.name, "rb") as handle:
            data = handle.read()
    except OSError:
        raise FileProblem(_("The uploaded file is no longer stored; upload it again.")) from None
    return read_table(data, run.original_name, kind=run.kind, count=False)


def map_row(number: int, cells: list[str], mapping: list[str], headers: list[str],
            multiple: set[str]) -> Row:
    values: dict[str, str] = {}
    columns: dict[str, str] = {}
    width = len(cells)
    for index, key in enumerate(mapping):
        if not key:
            continue
        cell = cells[index] if index < width else ""
        if key in values:
            if key in multiple and cell:
                values[key] = f"{values[key]}\n{cell}" if values[key] else cell
            continue
        values[key] = cell
        columns[key] = headers[index]
    return Row(number=number, values=values, columns=columns)


def is_blank(cells: list[str]) -> bool:
    return not any(cells)


@dataclass
class Pass:
    """One pass over a run's file: the dry run, or (part of) the real run."""

    run: ImportRun
    dry_run: bool
    progress: Progress | None = None
    size: int = field(default_factory=batch_size)

    def __post_init__(self) -> None:
        self.kind = kind_of(self.run)
        self.handler: ImportHandler = self.kind.handler(
            actor=self.run.user, options=ImportOptions.from_dict(self.run.options),
            dry_run=self.dry_run)
        self.multiple = {f.key for f in self.kind.fields if f.multiple}
        self.seen: dict[tuple[str, str], int] = {}
        self.current_row = 0

    # -- rows and batches --------------------------------------------------------------------

    def rows(self, table: Table) -> Iterator[Row]:
        mapping, headers = self.run.mapping, self.run.headers
        for number, cells in table.rows():
            row = map_row(number, cells, mapping, headers, self.multiple)
            if is_blank(cells) or not any(row.values.values()):
                row.outcome = Outcome.SKIPPED
                row.note = _("Empty row.") if is_blank(cells) else _("No value in the imported columns.")
                yield row
                continue
            self.handler.clean(row)
            if not row.has_errors:
                self._check_file_duplicates(row)
            if row.has_errors:
                row.outcome = Outcome.ERROR
            yield row

    def _check_file_duplicates(self, row: Row) -> None:
        for field_key, value in self.handler.file_keys(row):
            first = self.seen.get((field_key, value))
            if first is not None:
                row.error(field_key, _("The same value as row %(row)s: this row would import the "
                                       "same record twice.") % {"row": first})
                return
        for field_key, value in self.handler.file_keys(row):
            self.seen.setdefault((field_key, value), row.number)

    def batches(self, table: Table, start: int = 0) -> Iterator[tuple[int, list[Row]]]:
        """(index of the batch's first row, rows), from the row with index `start` (a batch
        boundary). Rows before it are still cleaned: duplicates within the file need them."""
        batch: list[Row] = []
        first = start
        for index, row in enumerate(self.rows(table)):
            if index < start:
                continue
            if not batch:
                first = index
            batch.append(row)
            if len(batch) >= self.size:
                yield first, batch
                batch = []
        if batch:
            yield first, batch

    def plan(self, rows: list[Row]) -> None:
        pending = [r for r in rows if not r.outcome]
        if pending:
            self.handler.plan(pending)
        for row in pending:
            if row.has_errors:
                row.outcome = Outcome.ERROR
            if row.outcome not in Outcome.ALL:
                raise AssertionError(f"{type(self.handler).__name__} left row {row.number} unplanned")


# --- outcomes and the summary ------------------------------------------------------------------

def encode(rows: list[Row]) -> list[list]:
    return [[r.number, r.outcome, r.record_id if r.record_id is not None else r.target,
             r.label, r.changed, [i.as_list() for i in r.issues], r.note] for r in rows]


def tally(rows: list[Row]) -> Counter:
    counts: Counter = Counter(r.outcome for r in rows)
    counts["warnings"] = sum(1 for r in rows for i in r.issues if i.level == "warning")
    return counts


def build_summary(run: ImportRun, phase: str) -> dict:
    """The page's view of a pass: counts, the first problems, a preview of the changes."""
    issues: list[list] = []
    issue_total = 0
    preview: dict[str, list] = {Outcome.CREATED: [], Outcome.UPDATED: [], Outcome.SKIPPED: []}
    counts: Counter = Counter()
    levels: Counter = Counter()
    for rows in ImportBatch.objects.filter(run=run, phase=phase).order_by("number").values_list(
            "rows", flat=True).iterator(chunk_size=20):
        for number, outcome, record_id, label, changed, row_issues, _note in rows:
            counts[outcome] += 1
            for column, field_key, message, level in row_issues:
                issue_total += 1
                levels[level] += 1
                if len(issues) < SUMMARY_ISSUES:
                    issues.append([number, column, field_key, message, level])
            if outcome in preview and len(preview[outcome]) < SUMMARY_PREVIEW and (
                    outcome != Outcome.SKIPPED or record_id):
                preview[outcome].append([number, label, changed, record_id])
    return {
        "phase": phase,
        "counts": {o: counts[o] for o in Outcome.ALL},
        "issues": issues,
        "issues_total": issue_total,
        "errors": levels["error"],
        "warnings": levels["warning"],
        "preview": preview,
    }


def _apply_counts(run: ImportRun, summary: dict) -> None:
    counts = summary["counts"]
    run.created = counts[Outcome.CREATED]
    run.updated = counts[Outcome.UPDATED]
    run.unchanged = counts[Outcome.UNCHANGED]
    run.skipped = counts[Outcome.SKIPPED]
    run.errors = counts[Outcome.ERROR]
    run.warnings = summary["warnings"]


# --- the dry run -------------------------------------------------------------------------------

def claim_dry_run(run_id: int, seq: int) -> tuple[ImportRun | None, str]:
    """Take the run's dry run number `seq` for this worker: queued, or running but silent for too
    long (its worker died). A dry run that was superseded (the mapping or the options changed, or
    a new dry run was asked for) is not taken."""
    token = secrets.token_hex(8)
    now = timezone.now()
    startable = Q(status=ImportStatus.DRY_QUEUED) | Q(status=ImportStatus.DRY_RUNNING,
                                                      heartbeat_at__lt=now - STALE_AFTER)
    claimed = ImportRun.objects.filter(startable, pk=run_id, dry_run_seq=seq).update(
        status=ImportStatus.DRY_RUNNING, worker=token, heartbeat_at=now, rows_checked=0,
        message="")
    run = ImportRun.objects.select_related("user").filter(pk=run_id).first() if claimed else None
    return run, token


def execute_dry_run(run_id: int, *, seq: int, progress: Progress | None = None
                    ) -> ImportRun | None:
    """Make the run's dry run number `seq` (the job's, the web request's and the command line's
    entry point). Plans every row without writing a record; the outcome becomes the run's report.

    Returns the run as it ended, or None when there is nothing to do (another worker holds the
    dry run, it is finished, or it was superseded). A file that cannot be read any more puts the
    run back to the mapping step with the reason, and raises the FileProblem."""
    run, token = claim_dry_run(run_id, seq)
    if run is None:
        return None
    try:
        _dry_run(run, token, seq, progress)
    except RunTaken:
        return ImportRun.objects.get(pk=run_id)
    except FileProblem as exc:
        _stop_dry_run(run_id, token, seq, exc.message)
        raise
    except Exception as exc:
        logger.exception("Dry run of import %s failed", run_id)
        _stop_dry_run(run_id, token, seq, _(
            "The dry run stopped (%(error)s); nothing was written. Check again.")
            % {"error": exc.__class__.__name__})
        raise
    return ImportRun.objects.get(pk=run_id)


def _stop_dry_run(run_id: int, token: str, seq: int, message: str) -> None:
    ImportRun.objects.filter(pk=run_id, worker=token, dry_run_seq=seq).update(
        status=ImportStatus.MAPPING, message=message, worker="", heartbeat_at=timezone.now())


def _dry_progress(run_id: int, token: str, seq: int, done: int) -> None:
    """Record the rows checked (once per batch: the page's progress bar, and the heartbeat that
    keeps the dry run from being taken over); stop when the dry run is no longer this one's."""
    held = ImportRun.objects.filter(pk=run_id, worker=token, dry_run_seq=seq).update(
        rows_checked=done, heartbeat_at=timezone.now())
    if not held:
        raise RunTaken()


def _dry_run(run: ImportRun, token: str, seq: int, progress: Progress | None) -> None:
    engine = Pass(run, dry_run=True, progress=progress)
    table = open_table(run)
    outcomes: list[ImportBatch] = []
    done = 0
    for number, (_first, rows) in enumerate(engine.batches(table)):
        engine.plan(rows)
        clean = [r for r in rows if r.outcome not in (Outcome.ERROR, Outcome.SKIPPED)
                 or r.target is not None]
        if clean:
            engine.handler.check_duplicates(clean)
        outcomes.append(ImportBatch(run=run, phase=ImportBatch.Phase.DRY, number=number,
                                    first_row=rows[0].number, last_row=rows[-1].number,
                                    rows=encode(rows)))
        done += len(rows)
        _dry_progress(run.pk, token, seq, done)
        if progress:
            progress(done, run.rows_total)
    with transaction.atomic():
        # The report lands only while the dry run is still this worker's and still the one the
        # run waits for: a superseded or taken-over dry run writes nothing.
        fresh = (ImportRun.objects.select_for_update()
                 .filter(pk=run.pk, worker=token, dry_run_seq=seq).first())
        if fresh is None:
            raise RunTaken()
        ImportBatch.objects.filter(run=run, phase=ImportBatch.Phase.DRY).delete()
        ImportBatch.objects.bulk_create(outcomes, batch_size=50)
        summary = build_summary(fresh, ImportBatch.Phase.DRY)
        _apply_counts(fresh, summary)
        fresh.report = {**summary, "samples": (fresh.report or {}).get("samples", [])}
        fresh.rows_total = done
        fresh.rows_checked = done
        fresh.status = ImportStatus.READY
        fresh.dry_run_at = timezone.now()
        fresh.message = ""
        fresh.worker = ""
        fresh.heartbeat_at = None
        fresh.save()


# --- the real run ------------------------------------------------------------------------------

def claim(run_id: int, *, resume_stale: bool = True) -> tuple[ImportRun | None, str]:
    """Take the run for this worker: queued, failed, or running but silent for too long."""
    token = secrets.token_hex(8)
    now = timezone.now()
    startable = Q(status__in=[ImportStatus.QUEUED, ImportStatus.FAILED])
    if resume_stale:
        startable |= Q(status=ImportStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    with transaction.atomic():
        claimed = ImportRun.objects.filter(startable, pk=run_id).update(
            status=ImportStatus.RUNNING, worker=token, heartbeat_at=now, message="")
        ImportRun.objects.filter(pk=run_id, started_at__isnull=True).update(started_at=now)
        if claimed:
            # From here on the counts are the import's own (until now they were the dry run's).
            ImportRun.objects.filter(pk=run_id, rows_done=0).update(
                created=0, updated=0, unchanged=0, skipped=0, errors=0, warnings=0)
    run = ImportRun.objects.select_related("user").filter(pk=run_id).first()
    return (run if claimed else None), token


def execute(run_id: int, *, progress: Progress | None = None) -> ImportRun | None:
    """Run (or resume) an import: the job's and the command line's entry point.

    Returns the run as it ended, or None when there is nothing to do (another worker holds it,
    or it is finished)."""
    run, token = claim(run_id)
    if run is None:
        return None
    if not run.user.is_active:
        return _fail(run, token, _("The user who started this import is no longer active."))
    ctx = current()
    engine = Pass(run, dry_run=False, progress=progress)
    try:
        with acting(Channel.IMPORT, ip=ctx.ip, request_id=ctx.request_id):
            _execute(engine, token)
    except RunTaken:
        return ImportRun.objects.get(pk=run_id)
    except FileProblem as exc:
        return _fail(run, token, exc.message)
    except Exception as exc:
        logger.exception("Import %s failed", run_id)
        _fail(run, token, _("The import stopped in the batch starting at row %(row)s (%(error)s). "
                            "Every batch before it was imported completely and nothing of this "
                            "batch was; resume to continue from it.")
              % {"row": engine.current_row, "error": exc.__class__.__name__})
        raise
    return ImportRun.objects.get(pk=run_id)


def _fail(run: ImportRun, token: str, message: str) -> ImportRun:
    ImportRun.objects.filter(pk=run.pk, worker=token).update(
        status=ImportStatus.FAILED, message=message, worker="", heartbeat_at=timezone.now())
    return ImportRun.objects.get(pk=run.pk)


def _execute(engine: Pass, token: str) -> None:
    run, progress = engine.run, engine.progress
    table = open_table(run)
    start = run.rows_done
    number = ImportBatch.objects.filter(run=run, phase=ImportBatch.Phase.REAL).count()
    if progress:
        progress(start, run.rows_total)
    done = start
    for first, rows in engine.batches(table, start=start):
        _real_batch(engine, run, token, number, first, rows)
        number += 1
        done = first + len(rows)
        if progress:
            progress(done, run.rows_total)
    with transaction.atomic():
        if not ImportRun.objects.select_for_update().filter(pk=run.pk, worker=token).exists():
            raise RunTaken()
        summary = build_summary(run, ImportBatch.Phase.REAL)
        fresh = ImportRun.objects.get(pk=run.pk)
        _apply_counts(fresh, summary)
        fresh.report = summary
        fresh.rows_total = max(fresh.rows_total, done)
        fresh.status = ImportStatus.DONE
        fresh.finished_at = timezone.now()
        fresh.worker = ""
        fresh.save()
        engine.handler.after_run(list(ImportRecord.objects.filter(run=run).order_by("object_id")
                                      .values_list("object_id", flat=True)))


def _real_batch(engine: Pass, run: ImportRun, token: str, number: int, first: int,
                rows: list[Row]) -> None:
    engine.current_row = rows[0].number
    cleaned = [(len(r.issues), r.outcome, r.note, r.label) for r in rows]
    attempts = 0
    while True:
        attempts += 1
        try:
            ids = _write_batch(engine, run, token, number, first, rows)
            break
        except IntegrityError:
            # Someone wrote a clashing record between our look-up and our write (another user
            # took an EIK): plan the batch again against what is there now.
            if attempts >= 3:
                raise
            for row, (issues, outcome, note, label) in zip(rows, cleaned, strict=True):
                del row.issues[issues:]
                row.outcome, row.note, row.label = outcome, note, label
                row.target, row.changed, row.record_id = None, [], None
            time.sleep(0.05 * attempts)
    engine.handler.after_batch(ids)


def _write_batch(engine: Pass, run: ImportRun, token: str, number: int, first: int,
                 rows: list[Row]) -> list[int]:
    with transaction.atomic():
        held = (ImportRun.objects.select_for_update().filter(pk=run.pk, worker=token)
                .values_list("rows_done", flat=True).first())
        if held is None or held != first:
            raise RunTaken()
        engine.plan(rows)
        changes = engine.handler.apply([r for r in rows if r.outcome in
                                        (Outcome.CREATED, Outcome.UPDATED)])
        object_type = engine.handler.object_type
        bulk.insert(ImportRecord, [
            {"run_id": run.pk, "row": c.row, "object_type": object_type,
             "object_id": c.object_id, "action": c.action, "before": c.before,
             "version": c.version}
            for c in changes
        ], returning=False)
        ImportBatch.objects.create(run_id=run.pk, phase=ImportBatch.Phase.REAL, number=number,
                                   first_row=rows[0].number, last_row=rows[-1].number,
                                   rows=encode(rows))
        counts = tally(rows)
        ImportRun.objects.filter(pk=run.pk).update(
            rows_done=first + len(rows),
            created=F("created") + counts[Outcome.CREATED],
            updated=F("updated") + counts[Outcome.UPDATED],
            unchanged=F("unchanged") + counts[Outcome.UNCHANGED],
            skipped=F("skipped") + counts[Outcome.SKIPPED],
            errors=F("errors") + counts[Outcome.ERROR],
            warnings=F("warnings") + counts["warnings"],
            heartbeat_at=timezone.now(),
        )
    return [c.object_id for c in changes]
