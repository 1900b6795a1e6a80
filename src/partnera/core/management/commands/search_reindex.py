"""`partnera manage search_reindex [--kind KIND]`: rebuild the global search's index in bulk.

The services keep the index current record by record; an operator rebuilds it after loading
data around them (a restored backup, rows written by hand) or to check it. One transaction:
searches answer from the old index until the new one is complete.
"""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from partnera.core.search import document_sources, search_index_rebuild


class Command(BaseCommand):
    help = "Rebuild the global search index (every kind, or one with --kind)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--kind", choices=sorted(document_sources()),
                            help="only this kind of record (default: every kind)")

    def handle(self, *args, **options) -> None:
        kind = options.get("kind")
        started = time.monotonic()
        interactive = sys.stderr.isatty()

        def progress(kind: str, done: int) -> None:
            if interactive:
                sys.stderr.write(f"\r  {kind}: {done:,} documents")
                sys.stderr.flush()

        try:
            counts = search_index_rebuild(kind, progress=progress)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if interactive:
            sys.stderr.write("\n")
        seconds = time.monotonic() - started
        summary = ", ".join(f"{n:,} {k}" for k, n in counts.items())
        self.stdout.write(f"Search index rebuilt: {summary} documents in {seconds:.1f} s.")
