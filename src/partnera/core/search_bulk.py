"""Rebuilding the search index in bulk (partnera.core.search.search_index_rebuild).

The documents are built in Python by the same functions that keep the index record by record
(one definition of a document, never a second one in SQL), streamed from the database in
batches and written in bulk:

- PostgreSQL: COPY into core_searchdocument; a rebuild of every kind drops the GIN index first
  and builds it once at the end (far cheaper than keeping it up to date row by row), refills the
  vocabulary of words for typo tolerance and refreshes the planner's statistics.
- SQLite: executemany; the FTS5 table is filled by its triggers in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice

from django.db import connection, transaction

from partnera.core.search import DocumentSource, _vocabulary_word

BATCH = 5000
GIN_INDEX = "CREATE INDEX core_searchdocument_tsv ON core_searchdocument USING gin (tsv)"


def _batches(rows: Iterable[tuple[int, str]], size: int) -> Iterator[list[tuple[int, str]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def rebuild(sources: Sequence[DocumentSource], *, whole: bool,
            progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    counts: dict[str, int] = {}
    postgres = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        triggers: list[str] = []
        if whole and postgres:
            cursor.execute("TRUNCATE core_searchdocument, core_searchword")
            cursor.execute("DROP INDEX IF EXISTS core_searchdocument_tsv")
        elif not postgres:
            # Row by row, the FTS5 triggers cost more than the documents; they are set aside
            # (DDL is transactional in SQLite) and the FTS5 index rebuilt once at the end.
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                           "AND tbl_name = 'core_searchdocument'")
            for name, sql in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER "{name}"')
                triggers.append(sql)
            if whole:
                cursor.execute("DELETE FROM core_searchdocument")
        vocabulary: set[str] = set()
        for source in sources:
            if not whole:
                cursor.execute("DELETE FROM core_searchdocument WHERE kind = %s", [source.kind])
            written = 0
            for batch in _batches(source.documents(None), BATCH):
                if postgres:
                    _copy(cursor, source.kind, batch)
                    for _pk, document in batch:
                        vocabulary.update(w for w in document.split() if _vocabulary_word(w))
                else:
                    cursor.executemany(
                        "INSERT INTO core_searchdocument (kind, object_id, document) "
                        "VALUES (%s, %s, %s)", [(source.kind, pk, doc) for pk, doc in batch])
                written += len(batch)
                if progress:
                    progress(source.kind, written)
            counts[source.kind] = written
        if not postgres:
            cursor.execute("INSERT INTO core_search_fts(core_search_fts) VALUES ('rebuild')")
            for sql in triggers:
                cursor.execute(sql)
        if postgres:
            if whole:
                with cursor.cursor.copy("COPY core_searchword (word) FROM STDIN") as copy:
                    for word in sorted(vocabulary):
                        copy.write_row((word,))
            elif vocabulary:  # words already there (other kinds use them too) are kept
                cursor.execute("INSERT INTO core_searchword (word) SELECT unnest(%s::varchar[]) "
                               "ON CONFLICT DO NOTHING", [sorted(vocabulary)])
            if whole:
                cursor.execute(GIN_INDEX)
            cursor.execute("ANALYZE core_searchdocument")
            cursor.execute("ANALYZE core_searchword")
    return counts


def _copy(cursor, kind: str, batch: list[tuple[int, str]]) -> None:
    with cursor.cursor.copy("COPY core_searchdocument (kind, object_id, document) FROM STDIN") as copy:
        for pk, document in batch:
            copy.write_row((kind, pk, document))
