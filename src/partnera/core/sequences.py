"""Yearly numbering (contracts, offers, orders): gap-free within a year, safe under concurrency."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from partnera.core.models import NumberSequence


def next_number(name: str, year: int) -> int:
    """The next number of the series `name` in `year`, inside the caller's transaction.

    The row is locked until the caller commits (PostgreSQL: SELECT … FOR UPDATE; SQLite's
    IMMEDIATE transactions already serialise writers). A rolled-back caller gives its number back.
    """
    with transaction.atomic():
        row = NumberSequence.objects.select_for_update().filter(name=name, year=year).first()
        if row is None:
            try:
                with transaction.atomic():
                    row = NumberSequence.objects.create(name=name, year=year, last=0)
            except IntegrityError:
                row = NumberSequence.objects.select_for_update().get(name=name, year=year)
        row.last += 1
        NumberSequence.objects.filter(pk=row.pk).update(last=row.last)
        return row.last


def yearly_reference(prefix: str, name: str, year: int, width: int = 4) -> str:
    """"OF-2026-0007": a prefix, the year and the next number of the series."""
    number = next_number(name, year)
    return f"{prefix}-{year}-{number:0{width}d}" if prefix else f"{year}-{number:0{width}d}"
