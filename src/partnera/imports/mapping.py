"""Which file column feeds which field: recognised by header aliases (Bulgarian and English, case,
spaces and punctuation ignored), taken from a saved mapping, or chosen by the user."""

from __future__ import annotations

import re

from django.utils import translation
from django.utils.translation import gettext as _

from partnera.imports.registry import ImportField, ImportKind

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_header(text: str) -> str:
    """«Е-поща», "E-mail ", "ЕИК/Булстат:" → "епоща", "email", "еикбулстат"."""
    return _NOT_WORD.sub("", (text or "").casefold())


def alias_index(fields: list[ImportField]) -> dict[str, str]:
    """Normalised alias → field key: the key itself, the field's label in every language, and its
    declared aliases. An alias two fields claim is left to the first."""
    index: dict[str, str] = {}
    for f in fields:
        names = [f.key, *f.aliases]
        for language in ("en", "bg"):
            with translation.override(language):
                names.append(str(f.label))
        for name in names:
            index.setdefault(normalise_header(name), f.key)
    return index


def auto_map(headers: list[str], fields: list[ImportField],
             saved: dict[str, str] | None = None) -> list[str]:
    """One field key per column ("" = not imported): a saved mapping first, then the aliases.
    A field that takes one column goes to the first column that names it."""
    index = alias_index(fields)
    known = {f.key for f in fields}
    multiple = {f.key for f in fields if f.multiple}
    saved = {k: v for k, v in (saved or {}).items() if v in known or v == ""}
    taken: set[str] = set()
    mapping: list[str] = []
    for header in headers:
        name = normalise_header(header)
        key = saved[name] if name in saved else index.get(name, "")
        if key and key in taken and key not in multiple:
            key = ""
        if key:
            taken.add(key)
        mapping.append(key)
    return mapping


def mapping_problems(kind: ImportKind, mapping: list[str], headers: list[str],
                     fields: list[ImportField]) -> list[str]:
    """What keeps a mapping from being used; empty when it can be."""
    problems: list[str] = []
    by_key = {f.key: f for f in fields}
    if len(mapping) != len(headers):
        return [_("The mapping must name one field (or none) for each of the %(n)s columns.")
                % {"n": len(headers)}]
    seen: dict[str, str] = {}
    for header, key in zip(headers, mapping, strict=True):
        if not key:
            continue
        field = by_key.get(key)
        if field is None:
            problems.append(_("Column “%(column)s”: “%(field)s” is not a field you can import.")
                            % {"column": header, "field": key})
            continue
        if key in seen and not field.multiple:
            problems.append(_("Columns “%(a)s” and “%(b)s” both go to “%(field)s”; choose one.")
                            % {"a": seen[key], "b": header, "field": field.label})
        seen.setdefault(key, header)
    for field in fields:
        if field.required and field.key not in seen:
            problems.append(_("Choose the column that holds “%(field)s”.") % {"field": field.label})
    for group in kind.required_any:
        if not any(key in seen for key in group):
            labels = " / ".join(str(by_key[k].label) for k in group if k in by_key)
            problems.append(_("Choose a column for one of: %(fields)s.") % {"fields": labels})
    return problems


def saved_columns(headers: list[str], mapping: list[str]) -> dict[str, str]:
    """A mapping as it is saved: normalised header → field key, for files with the same headers."""
    return {normalise_header(h): k for h, k in zip(headers, mapping, strict=True)
            if normalise_header(h)}
