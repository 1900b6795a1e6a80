"""Running imports in tests the way users do: upload (dry run), start, and the job's work."""

from __future__ import annotations

from partnera.imports import engine, services
from partnera.imports.models import ImportBatch, ImportRun


def dry_run(actor, kind: str, text: str | bytes, *, filename: str = "list.csv",
            encoding: str = "utf-8", mapping_name: str = "", **options) -> ImportRun:
    data = text.encode(encoding) if isinstance(text, str) else text
    return services.import_create(actor=actor, kind=kind, filename=filename, data=data,
                                  mapping_name=mapping_name, options=options)


def run_import(actor, kind: str, text: str | bytes, **kwargs) -> ImportRun:
    """Upload, look at the dry run, start, and do what the worker does."""
    run = dry_run(actor, kind, text, **kwargs)
    services.import_start(actor=actor, run=run)
    engine.execute(run.pk)
    return ImportRun.objects.get(pk=run.pk)


def issues(run: ImportRun) -> list[tuple[int, str, str]]:
    """(row, column, message) of every problem, from the stored outcome of the latest pass."""
    phase = ImportBatch.Phase.REAL if run.batches.filter(phase="real").exists() else "dry"
    found = []
    for batch in run.batches.filter(phase=phase).order_by("number"):
        for number, _outcome, _id, _label, _changed, row_issues, _note in batch.rows:
            found.extend((number, column, message) for column, _f, message, _l in row_issues)
    return found


def outcomes(run: ImportRun) -> dict[int, str]:
    phase = ImportBatch.Phase.REAL if run.batches.filter(phase="real").exists() else "dry"
    return {row[0]: row[1] for batch in run.batches.filter(phase=phase).order_by("number")
            for row in batch.rows}
