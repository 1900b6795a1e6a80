"""`partnera duplicates [--rebuild]`: find the likely duplicate pairs of the whole client base."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, no_translations

from partnera.clients.duplicates import rebuild_pairs, reindex_companies
from partnera.clients.models import Company


class Command(BaseCommand):
    help = (
        "Show how many likely duplicate pairs the duplicates finder holds; with --rebuild, find "
        "them again for every company (after a bulk load or an upgrade). Pairs marked "
        "\"not duplicates\" stay dismissed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true",
                            help="recompute the pairs of every live company, in batches")
        parser.add_argument("--reindex", action="store_true",
                            help="also recompute name keys and identity keys first")
        parser.add_argument("--quiet", action="store_true", help="do not print progress")

    @no_translations
    def handle(self, *args, rebuild: bool, reindex: bool, quiet: bool, **options):
        started = time.monotonic()
        if reindex:
            ids = list(Company.all_objects.values_list("pk", flat=True))
            reindex_companies(ids)
            if not quiet:
                self.stdout.write(f"Reindexed {len(ids)} companies.")
        if rebuild:
            def progress(done: int, total: int) -> None:
                if not quiet:
                    self.stdout.write(f"\r{done}/{total} companies", ending="")
                    self.stdout.flush()

            stored = rebuild_pairs(progress=progress)
            if not quiet:
                self.stdout.write("")
            self.stdout.write(f"{stored} likely duplicate pairs found in "
                              f"{time.monotonic() - started:.1f} s.")
        else:
            self.stdout.write(f"{_all_pairs()} likely duplicate pairs.")


def _all_pairs() -> int:
    from partnera.clients.models import DuplicatePair

    return DuplicatePair.objects.filter(company_a__deleted_at__isnull=True,
                                        company_b__deleted_at__isnull=True).count()
