"""`partnera demo [--companies N]`: load a realistic Bulgarian demo client base."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, no_translations

from partnera.clients.demo import DEMO_PASSWORD, build_demo, demo_logins
from partnera.core.context import Channel, acting
from partnera.core.errors import DomainError
from partnera.people.models import User


class Command(BaseCommand):
    help = (
        "Create demo teams, departments and one user for each role (created once), then add N "
        "Bulgarian demo companies with contacts and notes. Prints the demo logins."
    )

    def add_arguments(self, parser):
        parser.add_argument("--companies", type=int, default=300, metavar="N",
                            help="how many companies to add (default: 300)")
        parser.add_argument("--seed", type=int, default=None,
                            help="random seed, for the same data every time")
        parser.add_argument("--quiet", action="store_true", help="do not print progress")
        parser.add_argument("--force", action="store_true",
                            help="load demo data even under PARTNERA_ENV=production")
        parser.add_argument("--if-empty", action="store_true",
                            help="load the demo only into a database without users; otherwise "
                                 "just print the demo logins (what `make run` does)")

    @no_translations  # operators' output in English, like Django's own commands
    def handle(self, *args, companies: int, seed: int | None, quiet: bool, if_empty: bool,
               **options):
        if companies < 0:
            raise CommandError("--companies must be 0 or more.")
        if settings.PRODUCTION and not options.get("force"):
            raise CommandError("This is a production installation (PARTNERA_ENV=production): demo "
                               "users have published passwords. Use --force only on a test copy.")
        if if_empty and User.objects.exists():
            logins = demo_logins()
            if logins:
                self.stdout.write("Demo logins (unless their passwords were changed since):")
                self.stdout.write(format_logins(logins))
            else:
                self.stdout.write("The database already has users; demo data not loaded.")
            return

        started = time.monotonic()
        shown = [0]

        def progress(done: int, total: int) -> None:
            # About every 2 % (at least every 50,000 companies) of a big run: how far, how fast.
            step = min(50_000, max(10_000, total // 50))
            if quiet or total < 10_000 or (done - shown[0] < step and done != total):
                return
            shown[0] = done
            seconds = time.monotonic() - started
            rate = done / seconds if seconds else 0
            left = (total - done) / rate if rate else 0
            self.stderr.write(f"  {done:>{len(f'{total:,}')},} / {total:,} companies  "
                              f"{seconds:5.0f} s  {rate:,.0f}/s  ~{left:.0f} s left")

        try:
            with acting(Channel.CLI):
                result = build_demo(companies=companies, seed=seed, progress=progress)
        except DomainError as exc:
            raise CommandError(f"{exc.message} {exc.fields or ''}".strip()) from exc
        rate = result.companies / result.seconds if result.seconds else 0
        self.stdout.write(
            f"Demo data: added {result.companies:,} companies, {result.contacts:,} contacts, "
            f"{result.notes:,} notes in {result.seconds:.1f} s ({rate:,.0f} companies/s)."
        )
        if result.extra:  # what other domains added beside the companies (deals, activities …)
            self.stdout.write("Also added: " + ", ".join(
                f"{count:,} {name}" for name, count in sorted(result.extra.items())) + ".")
        if result.users_created:
            self.stdout.write(f"Created {len(result.users_created)} demo users.")
        self.stdout.write(format_logins(result.logins))
        self.stdout.write(f"Every demo user has the password {DEMO_PASSWORD}.")


def format_logins(rows: list[tuple[str, str, str]]) -> str:
    header = ("Role", "Username", "Password")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*header).rstrip(), line.format(*("-" * w for w in widths))]
    out += [line.format(*row).rstrip() for row in rows]
    return "\n".join(out)
