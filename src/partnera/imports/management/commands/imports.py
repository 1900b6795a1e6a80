"""`partnera imports cleanup [--days N] [--enqueue]`: remove the uploaded files of imports that
ended (done, undone, or failed) more than N days ago — PARTNERA_IMPORT_FILE_DAYS, 30 by default.

The runs stay, with their reports and their undo; an import not started yet, queued or running
keeps its file. Idempotent; run it once a night (cron, a systemd timer) or pass --enqueue to leave
it to a job worker (partnera.imports.retention).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, no_translations
from django.template.defaultfilters import filesizeformat

from partnera.core.context import Channel, acting


class Command(BaseCommand):
    help = ("Import jobs. `cleanup` removes the uploaded files of imports that ended more than "
            "--days days ago (PARTNERA_IMPORT_FILE_DAYS, 30 by default); the imports, their "
            "reports and their undo stay.")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{cleanup}")
        cleanup = actions.add_parser(
            "cleanup", help="remove the uploaded files of imports that ended over N days ago")
        cleanup.add_argument("--days", type=int, metavar="N",
                             help="keep the files of imports that ended in the last N days "
                                  "(default: PARTNERA_IMPORT_FILE_DAYS, 30)")
        cleanup.add_argument("--enqueue", action="store_true",
                             help="enqueue the job for `partnera worker` instead of running it now")

    @no_translations  # operators' output in English, like Django's own commands
    def handle(self, *args, action: str, days: int | None = None, enqueue: bool = False,
               **options):
        from partnera.imports.retention import (
            cleanup_import_files_task,
            import_file_days,
            import_files_cleanup,
        )

        if days is not None and days < 0:
            raise CommandError("--days must be 0 or more.")
        if enqueue:
            job = cleanup_import_files_task.enqueue(days)
            self.stdout.write(f"Enqueued the import file cleanup (job {job.id}).")
            return
        with acting(Channel.CLI):
            result = import_files_cleanup(days=days)
        kept = import_file_days() if days is None else days
        self.stdout.write(
            f"Removed the files of {result.runs} import{'s' if result.runs != 1 else ''} that "
            f"ended more than {kept} day{'s' if kept != 1 else ''} ago "
            f"({filesizeformat(result.bytes)}).")
        if result.failed:
            raise CommandError(f"{result.failed} file{'s' if result.failed != 1 else ''} could "
                               "not be removed (see the log); they are tried again next time.")
