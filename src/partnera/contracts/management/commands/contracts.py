"""`partnera contracts expire`: expire (or renew automatically) the active contracts whose end
date has passed. Idempotent; run it daily (cron, a systemd timer) or pass --enqueue to leave it to
a job worker."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, no_translations

from partnera.core.context import Channel, acting


class Command(BaseCommand):
    help = ("Contracts: `expire` moves active contracts past their end date to expired, or "
            "renews those that renew automatically for another term.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="ACTION")
        sub.required = True
        expire = sub.add_parser("expire", help="expire or renew the contracts past their end")
        expire.add_argument("--today", metavar="YYYY-MM-DD",
                            help="treat this day as today (default: today in the site's zone)")
        expire.add_argument("--enqueue", action="store_true",
                            help="put the job on the queue for a worker instead of running it")

    @no_translations
    def handle(self, *args, action: str, **options):
        from partnera.contracts.services.lifecycle import contracts_expire_due
        from partnera.contracts.tasks import expire_contracts_task

        if action != "expire":  # pragma: no cover (argparse refuses other actions)
            raise CommandError(f"Unknown action {action!r}.")
        if options.get("enqueue"):
            job = expire_contracts_task.enqueue()
            self.stdout.write(f"Enqueued job {job.id}.")
            return
        today = None
        if options.get("today"):
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError("--today must be a date as YYYY-MM-DD.") from None
        with acting(Channel.CLI):
            result = contracts_expire_due(today=today)
        self.stdout.write(f"Contracts expired: {len(result.expired)}; renewed automatically: "
                          f"{len(result.renewed)}.")
