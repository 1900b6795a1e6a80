"""What a domain registers to make its records importable, and the row the engine hands it.

A domain (clients, later sales …) describes each kind of import — its fields with their Bulgarian
and English header aliases, the upsert keys, who may import — and supplies a handler that cleans
rows one by one and looks up, writes and undoes them a batch at a time. The engine
(partnera.imports.engine) reads the file, maps columns, finds duplicates within the file, cuts the
rows into batches, runs each batch in one transaction and records the outcome; it knows nothing
about companies.

Domains register from their AppConfig.ready():

    register_import_kind(ImportKind(name="companies", ...))
    register_reader("vcf", read_vcards, kinds={"contacts"})
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise


class Outcome:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    ERROR = "error"

    ALL = (CREATED, UPDATED, UNCHANGED, SKIPPED, ERROR)


ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class ImportField:
    key: str
    label: str | Promise
    aliases: tuple[str, ...] = ()
    required: bool = False
    # Several file columns may feed it ("Phone 1", "Phone 2"); their values are joined.
    multiple: bool = False
    help: str | Promise = ""


@dataclass(frozen=True)
class Issue:
    row: int
    column: str  # the file's column header ("" for the row as a whole)
    field: str  # the field key ("" for the row as a whole)
    message: str
    level: str = ERROR

    def as_list(self) -> list:
        return [self.column, self.field, self.message, self.level]


@dataclass
class Row:
    """One data row of the file on its way through the engine and the handler."""

    number: int  # as in the file: the header is row 1
    values: dict[str, str]  # field key → cell text (stripped; "" when empty)
    columns: dict[str, str] = field(default_factory=dict)  # field key → column header
    data: dict[str, Any] = field(default_factory=dict)  # cleaned values the handler keeps
    issues: list[Issue] = field(default_factory=list)
    outcome: str = ""
    label: str = ""  # what the report calls the record ("Алфа ООД", "Иван Петров")
    target: Any = None  # the existing record the row matched
    changed: list[str] = field(default_factory=list)  # field keys an update changes
    record_id: int | None = None
    note: str = ""  # why a row was skipped or left unchanged

    def error(self, field_key: str, message: str) -> None:
        self.issues.append(Issue(self.number, self.columns.get(field_key, ""), field_key,
                                 str(message), ERROR))

    def warn(self, field_key: str, message: str) -> None:
        self.issues.append(Issue(self.number, self.columns.get(field_key, ""), field_key,
                                 str(message), WARNING))

    @property
    def has_errors(self) -> bool:
        return any(i.level == ERROR for i in self.issues)

    def fail(self, field_key: str, message: str) -> None:
        """An error found while planning the batch: the row is not imported."""
        self.error(field_key, message)
        self.outcome = Outcome.ERROR


@dataclass(frozen=True)
class ImportOptions:
    key: str = "auto"
    update: bool = False

    def as_dict(self) -> dict:
        return {"key": self.key, "update": self.update}

    @classmethod
    def from_dict(cls, data: dict | None) -> ImportOptions:
        data = data or {}
        return cls(key=str(data.get("key") or "auto"), update=bool(data.get("update", False)))


@dataclass
class RecordChange:
    """What a batch did to one record, kept for undo (becomes an ImportRecord)."""

    row: int
    object_id: int
    action: str  # "created" | "updated"
    version: int
    before: dict = field(default_factory=dict)


@dataclass
class UndoResult:
    reverted: int = 0
    # (record label, reason) for each record left as it is
    kept: list[tuple[str, str]] = field(default_factory=list)


class ImportHandler(ABC):
    """The domain side of one kind of import. One instance serves one pass over one file.

    - `clean(row)`: validate and normalise one row (no database access); record issues on it.
    - `file_keys(row)`: the values that must be unique within the file, as (field, value) pairs.
    - `plan(rows)`: for the batch's clean rows, look up existing records (a few IN queries) and
      set each row's outcome: created / updated (with `changed`) / unchanged / skipped / error.
    - `check_duplicates(rows)`: dry run only — warnings for rows that resemble existing records.
    - `apply(rows)`: write the planned batch (inside the engine's transaction) and return what it
      did to each record.
    - `undo(records)`: reverse a run's records (created → deleted, updated → restored).
    """

    object_type: str = ""

    def __init__(self, *, actor, options: ImportOptions, dry_run: bool) -> None:
        self.actor = actor
        self.options = options
        self.dry_run = dry_run

    @abstractmethod
    def clean(self, row: Row) -> None:
        ...

    def file_keys(self, row: Row) -> list[tuple[str, str]]:
        return []

    @abstractmethod
    def plan(self, rows: list[Row]) -> None:
        ...

    def check_duplicates(self, rows: list[Row]) -> None:
        return None

    @abstractmethod
    def apply(self, rows: list[Row]) -> list[RecordChange]:
        ...

    def after_batch(self, ids: list[int]) -> None:
        """Once the batch's transaction committed, with the ids it wrote."""
        return None

    def after_run(self, ids: list[int]) -> None:
        """Once the run finished, with every id it wrote (e.g. queue slower follow-up work)."""
        return None

    @abstractmethod
    def undo(self, records: list[Any]) -> UndoResult:
        ...

    def record_url(self, pk: int) -> str:
        return ""


@dataclass(frozen=True)
class ImportKind:
    name: str
    label: str | Promise
    fields: tuple[ImportField, ...]
    keys: tuple[tuple[str, str | Promise], ...]  # (code, label); "auto" is the cascade
    handler: type[ImportHandler]
    object_type: str
    may_import: Callable[[Any], bool]
    # The fields a user may map (e.g. confidential ones only for roles holding the right).
    fields_for: Callable[[Any], Iterable[ImportField]] | None = None
    # At least one field of each group must be mapped (e.g. the contact's company: EIK or name).
    required_any: tuple[tuple[str, ...], ...] = ()
    help: str | Promise = ""

    def available_fields(self, user) -> list[ImportField]:
        return list(self.fields_for(user) if self.fields_for else self.fields)

    def field(self, key: str) -> ImportField | None:
        return next((f for f in self.fields if f.key == key), None)


_kinds: dict[str, ImportKind] = {}
# extension → (reader(bytes) -> list of {field key: text}, kinds it serves)
Reader = Callable[[bytes], list[dict[str, str]]]
_readers: dict[str, tuple[Reader, frozenset[str]]] = {}


def register_import_kind(kind: ImportKind) -> None:
    _kinds[kind.name] = kind


def import_kinds() -> list[ImportKind]:
    return list(_kinds.values())


def get_import_kind(name: str) -> ImportKind | None:
    return _kinds.get(name)


def register_reader(extension: str, reader: Reader, *, kinds: Iterable[str]) -> None:
    """A file type the domain reads itself into rows keyed by field (e.g. vCard for contacts)."""
    _readers[extension.lower().lstrip(".")] = (reader, frozenset(kinds))


def reader_for(extension: str) -> tuple[Reader, frozenset[str]] | None:
    return _readers.get(extension.lower().lstrip("."))


def reader_extensions() -> list[str]:
    return sorted(_readers)
