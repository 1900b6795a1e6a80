"""`partnera serve`: the web app and API behind gunicorn, with several worker processes."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


def default_workers() -> int:
    configured = os.environ.get("PARTNERA_WEB_WORKERS", "")
    if configured:
        return int(configured)
    return min(2 * (os.cpu_count() or 1) + 1, 8)


class Command(BaseCommand):
    help = (
        "Serve Partnera with gunicorn (several worker processes; not Django's development "
        "server). Binds 127.0.0.1:$PARTNERA_PORT (default 8000). In production the static "
        "files are collected first. Extra gunicorn options: GUNICORN_CMD_ARGS."
    )
    requires_system_checks = []  # gunicorn's workers load the app; checks run there

    def add_arguments(self, parser):
        port = os.environ.get("PARTNERA_PORT", "8000")
        parser.add_argument("--bind", default=os.environ.get("PARTNERA_BIND", f"127.0.0.1:{port}"),
                            help="address to listen on, host:port or unix:/path "
                                 "(default: PARTNERA_BIND or 127.0.0.1:$PARTNERA_PORT)")
        parser.add_argument("--workers", type=int, default=None,
                            help="worker processes (default: PARTNERA_WEB_WORKERS or 2×CPUs+1, "
                                 "at most 8)")
        parser.add_argument("--threads", type=int, default=1, help="threads per worker (default 1)")
        parser.add_argument("--timeout", type=int, default=60,
                            help="seconds before a silent worker is restarted (default 60)")
        parser.add_argument("--no-collectstatic", action="store_true",
                            help="do not collect static files before starting")
        parser.add_argument("--dry-run", action="store_true",
                            help="print the gunicorn command instead of running it")

    def handle(self, *args, bind, workers, threads, timeout, no_collectstatic, dry_run, **options):
        workers = workers or default_workers()
        if workers < 1 or threads < 1:
            raise CommandError("--workers and --threads must be at least 1.")
        if not settings.WHITENOISE_USE_FINDERS and not no_collectstatic and not dry_run:
            # Production: whitenoise serves the collected, hashed and compressed files.
            call_command("collectstatic", interactive=False, verbosity=0)
        command = [
            sys.executable, "-m", "gunicorn", "partnera.config.wsgi:application",
            "--bind", bind, "--workers", str(workers), "--threads", str(threads),
            "--timeout", str(timeout), "--graceful-timeout", "30",
            "--max-requests", "5000", "--max-requests-jitter", "500",
            "--access-logfile", "-", "--error-logfile", "-",
        ]
        command += _control_socket_off()
        if dry_run:
            self.stdout.write(" ".join(command))
            return
        self.stdout.write(f"Partnera on http://{bind.removeprefix('unix:')} "
                          f"({workers} gunicorn workers). Ctrl+C stops it.")
        self.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, command)  # noqa: S606  (replaces this process with gunicorn)


def _control_socket_off() -> list[str]:
    # Newer gunicorn opens a control socket in ~/.gunicorn, shared by every instance on the
    # machine; Partnera does not use it, and several instances must not collide on it.
    try:
        from gunicorn.config import KNOWN_SETTINGS
    except ImportError:  # pragma: no cover
        return []
    names = {s.name for s in KNOWN_SETTINGS}
    return ["--no-control-socket"] if "control_socket_disable" in names else []
