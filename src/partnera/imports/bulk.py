"""Fast bulk writes for imports: plain multi-row INSERTs (ids read back with RETURNING) and
UPDATEs, with each value converted once per column kind rather than through a model instance.

bulk_create() builds a model instance per row and prepares every field of it; at import volumes
that is most of the time spent. These helpers take dicts of attribute name → value, fill in the
field defaults (and auto_now / auto_now_add times) exactly as `save()` would, and convert only the
values that need it (JSON, decimals, dates, times).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections, router
from django.db.models import Model
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone

_PASS_THROUGH = {"CharField", "TextField", "IntegerField", "BigIntegerField", "SmallIntegerField",
                 "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField",
                 "BooleanField", "ForeignKey", "EmailField", "URLField", "SlugField"}
MAX_PARAMS = 30000  # below SQLite's 32766 and PostgreSQL's 65535 bind parameters


Column = tuple[Any, Any, Callable[..., Any] | None, bool]


def _columns(model: type[Model], connection) -> list[Column]:
    """(field, value when the row has none, converter or None, fixed value) per column."""
    now = timezone.now()
    columns: list[Column] = []
    for f in model._meta.concrete_fields:
        if isinstance(f, AutoFieldMixin):
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            columns.append((f, f.get_db_prep_save(now, connection), None, True))
            continue
        default = f.get_default()
        convert = None if f.get_internal_type() in _PASS_THROUGH else f.get_db_prep_save
        if default is not None and convert is not None:
            default = convert(default, connection)
        columns.append((f, default, convert, False))
    return columns


def insert(model: type[Model], rows: Sequence[dict[str, Any]], *, returning: bool = True
           ) -> list[int]:
    """INSERT the rows; return their new ids in the same order (when `returning`)."""
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    columns = _columns(model, connection)
    params: list[list[Any]] = []
    for row in rows:
        values = []
        get = row.get
        for f, default, convert, fixed in columns:
            if fixed:
                values.append(default)
                continue
            value = get(f.attname, _MISSING)
            if value is _MISSING:
                values.append(default)
            elif value is None or convert is None:
                values.append(value)
            else:
                values.append(convert(value, connection))
        params.append(values)
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    names = [qn(c[0].column) for c in columns]
    pk = qn(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            return _insert_sqlite(cursor, table, pk, names, params, returning)
        if connection.vendor == "postgresql":
            # The raw COPY bypasses Django's cursor: its errors are translated here
            # (psycopg's UniqueViolation → django.db.IntegrityError).
            with connection.wrap_database_errors:
                return _insert_postgresql(cursor, model, table, pk, names, params, returning)
        return _insert_values(cursor, table, pk, names, params, returning)


def _insert_sqlite(cursor, table: str, pk: str, names: list[str], params: list[list[Any]],
                   returning: bool) -> list[int]:
    """executemany (one prepared statement); the new ids are those above the largest id before:
    the caller's transaction holds SQLite's write lock, and ids only grow (AUTOINCREMENT)."""
    before = 0
    if returning:
        cursor.execute(f"SELECT COALESCE(MAX({pk}), 0) FROM {table}")  # noqa: S608
        before = cursor.fetchone()[0]
    marks = ", ".join(["%s"] * len(names))
    cursor.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",  # noqa: S608
                       params)
    if not returning:
        return []
    cursor.execute(f"SELECT {pk} FROM {table} WHERE {pk} > %s ORDER BY {pk}", [before])  # noqa: S608
    ids = [row[0] for row in cursor.fetchall()]
    if len(ids) != len(params):
        raise RuntimeError(f"{table}: inserted {len(params)} rows but found {len(ids)} new ids")
    return ids


def _insert_postgresql(cursor, model: type[Model], table: str, pk: str, names: list[str],
                       params: list[list[Any]], returning: bool) -> list[int]:
    """COPY, the fastest way in; the ids are taken from the table's sequence first."""
    ids: list[int] = []
    if returning:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                       "FROM generate_series(1, %s)",
                       [model._meta.db_table, model._meta.pk.column, len(params)])
        ids = [row[0] for row in cursor.fetchall()]
        names = [pk, *names]
        params = [[pk_value, *row] for pk_value, row in zip(ids, params, strict=True)]
    raw = cursor.cursor  # the psycopg cursor under Django's wrapper
    with raw.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
        for row in params:
            copy.write_row(row)
    return ids


def _insert_values(cursor, table: str, pk: str, names: list[str], params: list[list[Any]],
                   returning: bool) -> list[int]:
    one = "(" + ", ".join(["%s"] * len(names)) + ")"
    tail = f" RETURNING {pk}" if returning else ""
    per_statement = max(1, min(1000, MAX_PARAMS // len(names)))
    ids: list[int] = []
    for start in range(0, len(params), per_statement):
        chunk = params[start:start + per_statement]
        cursor.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES "  # noqa: S608
                       + ", ".join([one] * len(chunk)) + tail,
                       [value for row in chunk for value in row])
        if returning:
            ids.extend(r[0] for r in cursor.fetchall())
    return ids


class _Missing:
    pass


_MISSING = _Missing()


def update(model: type[Model], rows: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """UPDATE each row (pk, {attribute name: value}); rows changing the same columns share one
    prepared statement (executemany)."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    qn = connection.ops.quote_name
    groups: dict[tuple[str, ...], list[list[Any]]] = {}
    fields_by_attname = {f.attname: f for f in meta.concrete_fields}
    for pk, values in rows:
        names = tuple(sorted(values))
        params = []
        for name in names:
            f = fields_by_attname[name]
            value = values[name]
            if value is not None and f.get_internal_type() not in _PASS_THROUGH:
                value = f.get_db_prep_save(value, connection)
            params.append(value)
        params.append(pk)
        groups.setdefault(names, []).append(params)
    with connection.cursor() as cursor:
        for names, params in groups.items():
            sets = ", ".join(f"{qn(fields_by_attname[n].column)} = %s" for n in names)
            sql = f"UPDATE {qn(meta.db_table)} SET {sets} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608
            cursor.executemany(sql, params)
