"""The downloadable report of a run: one line per problem, and one per row without problems, with
the row's outcome — the dry run's until the import ran, the import's after. Cells a spreadsheet
would take for a formula are neutralised (core.spreadsheet)."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _

from partnera.core.spreadsheet import INTEGER, Column, csv_chunks, csv_dialect
from partnera.imports.models import ImportBatch, ImportRun
from partnera.imports.registry import get_import_kind


def report_phase(run: ImportRun) -> str:
    if ImportBatch.objects.filter(run=run, phase=ImportBatch.Phase.REAL).exists():
        return ImportBatch.Phase.REAL
    return ImportBatch.Phase.DRY


def outcome_labels() -> dict[str, str]:
    return {"created": _("created"), "updated": _("updated"), "unchanged": _("unchanged"),
            "skipped": _("skipped"), "error": _("not imported")}


def report_rows(run: ImportRun, phase: str) -> Iterator[list]:
    kind = get_import_kind(run.kind)
    labels = {f.key: str(f.label) for f in kind.fields} if kind else {}
    outcomes = outcome_labels()
    levels = {"error": _("error"), "warning": _("warning")}
    for rows in (ImportBatch.objects.filter(run=run, phase=phase).order_by("number")
                 .values_list("rows", flat=True).iterator(chunk_size=20)):
        for number, outcome, record_id, label, changed, issues, note in rows:
            changed_text = ", ".join(labels.get(k, k) for k in changed)
            if not issues:
                yield [number, outcomes.get(outcome, outcome), label, record_id, changed_text,
                       "", "", "", note]
            for column, field_key, message, level in issues:
                yield [number, outcomes.get(outcome, outcome), label, record_id, changed_text,
                       column, labels.get(field_key, ""), levels.get(level, level), message]


def report_columns() -> list[Column]:
    return [Column("row", _("row"), INTEGER), Column("outcome", _("outcome")),
            Column("record", _("record")), Column("id", _("id"), INTEGER),
            Column("changed", _("changed fields")), Column("column", _("column")),
            Column("field", _("field")), Column("level", _("level")),
            Column("message", _("problem or note"))]


def report_csv(run: ImportRun, *, language: str | None = None) -> Iterator[bytes]:
    phase = report_phase(run)
    return csv_chunks(report_columns(), report_rows(run, phase), dialect=csv_dialect(language))


def report_filename(run: ImportRun) -> str:
    stem = run.original_name.rsplit(".", 1)[0][:80] or "import"
    return f"import-{run.pk}-{stem}-report.csv"
