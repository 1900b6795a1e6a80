"""`partnera worker`: run background job workers (django-tasks' database backend).

Runs django-tasks-db's `db_worker`, by default on every queue and without autoreload, and can
start several worker processes at once (`--processes N`). Any number of workers, on any number
of machines, can run against one PostgreSQL database: each claims its jobs with SKIP LOCKED.
"""

from __future__ import annotations

import signal
import subprocess
import sys

from django.core.management.base import CommandError
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand


class Command(DbWorkerCommand):
    help = (
        "Run background job workers (django-tasks database backend). By default one process "
        "working every queue; --processes N starts N."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--processes", type=int, default=1,
                            help="how many worker processes to run (default 1)")
        parser.set_defaults(queue_name="*", reload=False)

    def handle(self, *args, processes: int, **options):  # type: ignore[override]
        if processes < 1:
            raise CommandError("--processes must be at least 1.")
        if processes == 1:
            return super().handle(*args, **options)
        return self._run_several(processes, options)

    def _run_several(self, processes: int, options: dict) -> None:
        child = [sys.executable, "-m", "partnera.cli", "worker", "--processes", "1",
                 "--queue-name", options["queue_name"], "--interval", str(options["interval"]),
                 "--backend", options["backend_name"], "-v", str(options["verbosity"])]
        if options["exclude_queues"]:
            child += ["--exclude-queues", options["exclude_queues"]]
        if options["batch"]:
            child.append("--batch")
        if options["max_tasks"]:
            child += ["--max-tasks", str(options["max_tasks"])]
        if not options["startup_delay"]:
            child.append("--no-startup-delay")
        children = [subprocess.Popen(child) for _ in range(processes)]  # noqa: S603

        def stop(signum, frame):
            for proc in children:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        failed = [proc.wait() for proc in children]
        if any(code not in (0, -signal.SIGTERM) for code in failed):
            raise CommandError(f"A worker process stopped with an error (exit codes {failed}).")
