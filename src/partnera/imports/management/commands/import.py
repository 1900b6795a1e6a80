"""`partnera import companies|contacts FILE --user USERNAME`: import a CSV, XLSX or vCard file.

The same services as the web page and the API (partnera.imports.services): the file is read and
mapped, a dry run reports what would happen (--dry-run stops there), and the real run goes
through the same engine as the background job, here in this process, with a progress bar on
stderr. The report goes to stdout. Exit codes: 0 all rows fine; 1 the file or the options were
refused (nothing imported); 2 the import ran but some rows had problems (they were not imported);
3 the import stopped part-way (every batch before the failure is complete; resume it on the
import's page or through the API).
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations

from partnera.core.errors import DomainError
from partnera.core.management.commands._common import domain_error, user_by_username
from partnera.imports import services
from partnera.imports.models import ImportRun, ImportStatus
from partnera.imports.readers import FileProblem
from partnera.imports.registry import get_import_kind, import_kinds

SHOWN_PROBLEMS = 50
BAR = 30


class Command(BaseCommand):
    help = (
        "Import companies or contacts from a CSV (UTF-8, UTF-8 with BOM or Windows-1251; "
        "delimiter , ; or tab), XLSX or vCard (.vcf, contacts) file, acting as --user. Columns "
        "are recognised by their Bulgarian or English headers; fix the rest with --column or a "
        "saved --mapping. Prints a progress bar (stderr) and the report (stdout); the exit code "
        "is 0 when every row was fine, 2 when some rows had problems."
    )

    def add_arguments(self, parser):
        kinds = [k.name for k in import_kinds()] or ["companies", "contacts"]
        parser.add_argument("kind", choices=kinds, help="what the file holds")
        parser.add_argument("file", help="the CSV, XLSX or vCard file")
        parser.add_argument("--user", required=True, metavar="USERNAME",
                            help="import as this user (their rights apply; they own the run)")
        parser.add_argument("--dry-run", action="store_true",
                            help="only report what would be created, updated and refused")
        parser.add_argument("--update", action="store_true",
                            help="update existing records that differ (default: leave them)")
        parser.add_argument("--key", default=None,
                            help="how existing records are found: companies: auto (default: EIK, "
                                 "else VAT, else e-mail, else name+city), eik, vat, email, "
                                 "name_city; contacts: auto, email, name")
        parser.add_argument("--mapping", default="", metavar="NAME",
                            help="use the column mapping saved under this name")
        parser.add_argument("--column", action="append", default=[], metavar="HEADER=FIELD",
                            help="map a file column to a field (FIELD empty: ignore the column); "
                                 "repeatable")
        parser.add_argument("--save-mapping", default="", metavar="NAME",
                            help="save the mapping used under this name")
        parser.add_argument("--fields", action="store_true",
                            help="list the fields of this kind and exit")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    @no_translations  # operators' output in English, like Django's own commands
    def handle(self, *args, kind: str, file: str, user: str, **options):
        actor = user_by_username(user)
        kind_obj = get_import_kind(kind)
        if kind_obj is None:
            raise CommandError(f"Unknown kind “{kind}”.")
        if options["fields"]:
            for f in kind_obj.available_fields(actor):
                self.stdout.write(f"  {f.key:<22} {f.label}" + ("  (required)" if f.required else ""))
            return
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file at {file}.")
        option_values = {"update": options["update"]}
        if options["key"]:
            option_values["key"] = options["key"]
        started = time.monotonic()
        progress = None if options["quiet"] else self._progress(started)
        try:
            run = services.import_create(
                actor=actor, kind=kind, filename=path.name, data=path.read_bytes(),
                mapping_name=options["mapping"], options=option_values, dry_run=False)
            if options["column"] or options["save_mapping"]:
                run = services.import_configure(
                    actor=actor, run=run, mapping=_columns(run, options["column"]),
                    options=option_values, save_as=options["save_mapping"], dry_run=False)
            if options["dry_run"]:
                # In this process whatever the file's size (the web page queues a job for a
                # large one): the command waits for the report anyway, and shows its progress.
                run = services.import_dry_run(actor=actor, run=run, inline=True,
                                              progress=progress)
            else:
                run = services.import_run_now(actor=actor, run=run, progress=progress)
        except FileProblem as exc:
            raise CommandError(exc.message) from exc
        except DomainError as exc:
            raise domain_error(exc) from exc
        finally:
            if progress is not None:
                self.stderr.write("")
        self._report(run, time.monotonic() - started, dry_run=options["dry_run"])
        if run.status == ImportStatus.FAILED:
            raise CommandError(run.message, returncode=3)
        if run.errors:
            raise CommandError(f"{run.errors} row(s) had problems and were not imported.",
                               returncode=2)

    def _progress(self, started: float):
        stream = self.stderr
        last = [-1.0]

        def show(done: int, total: int) -> None:
            now = time.monotonic()
            if done != total and now - last[0] < 0.2:
                return
            last[0] = now
            share = done / total if total else 1
            filled = int(share * BAR)
            elapsed = now - started
            rate = done / elapsed if elapsed else 0
            stream.write(f"\r[{'#' * filled}{'.' * (BAR - filled)}] {share:4.0%} "
                         f"{done:,}/{total:,} rows  {rate:,.0f} rows/s", ending="")
            stream.flush()

        return show

    def _report(self, run: ImportRun, seconds: float, *, dry_run: bool) -> None:
        out = self.stdout
        what = "Dry run" if dry_run else "Import"
        details = [run.file_format.upper()]
        if run.encoding:
            details.append(run.encoding)
        if run.delimiter:
            details.append({"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(
                run.delimiter, run.delimiter) + "-separated")
        out.write(f"{what} of {run.kind} from {run.original_name} ({', '.join(details)}): "
                  f"{run.rows_total:,} rows in {seconds:.1f} s — run #{run.pk}, status {run.status}")
        labels = [("created", run.created), ("updated", run.updated),
                  ("unchanged", run.unchanged), ("skipped", run.skipped),
                  ("errors", run.errors)]
        if dry_run:
            labels[0] = ("would create", run.created)
            labels[1] = ("would update", run.updated)
        for label, value in labels:
            out.write(f"  {label:<13}{value:>10,}")
        if run.warnings:
            out.write(f"  {'warnings':<13}{run.warnings:>10,}")
        report = run.report or {}
        issues = report.get("issues", [])
        if issues:
            out.write("Problems (row, column: reason):")
            for number, column, _field, message, level in issues[:SHOWN_PROBLEMS]:
                mark = "" if level == "error" else " (warning)"
                out.write(f"  row {number}, {column or 'row'}: {message}{mark}")
            total = report.get("issues_total", len(issues))
            if total > SHOWN_PROBLEMS:
                out.write(f"  … and {total - SHOWN_PROBLEMS:,} more: see the full report of run "
                          f"#{run.pk} (web: /imports/{run.pk}/, API: /api/v1/imports/{run.pk}/report).")


def _columns(run: ImportRun, pairs: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        header, sep, field = pair.partition("=")
        if not sep:
            raise CommandError(f"--column takes HEADER=FIELD, not “{pair}”.")
        if header.strip() not in run.headers:
            raise CommandError(f"The file has no column “{header.strip()}”. Its columns: "
                               + ", ".join(run.headers))
        mapping[header.strip()] = field.strip()
    return mapping
