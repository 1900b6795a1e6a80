"""Turning a cell's text into a value, for any kind of import: text (with the formula and length
rules), choices by code or by label in either language, yes/no, dates, whole numbers.

Each raises CellError with a message for the report; the handler records it against the column.

Formula-like text: a text cell that starts with = + - or @ is refused (an error for that row),
never stored altered: a spreadsheet would run it as a formula when the value is exported and
opened again (CSV injection), and silently storing it with an apostrophe in front would corrupt
the value. Phones, e-mails, numbers and choices go through their own parsers instead (a phone may
well start with +). A lone "-" or "—" is the spreadsheet way of writing "nothing": it reads as
empty.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.utils import translation
from django.utils.translation import gettext as _

from partnera.imports.mapping import normalise_header

FORMULA_START = frozenset("=+-@")
PLACEHOLDERS = frozenset({"-", "—", "–", "--", "n/a", "N/A"})
YES = frozenset({"1", "yes", "y", "true", "да", "д", "x", "х", "✓", "✔", "on", "истина"})
NO = frozenset({"0", "no", "n", "false", "не", "н", "off", "неистина"})
_SPACES = re.compile(r"\s+")
_DATE_DMY = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})(?:\s*г\.?)?")


class CellError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = str(message)


def text(value: str, max_length: int, *, multiline: bool = False) -> str:
    """A text field's value: "" for a placeholder; refused when formula-like or too long."""
    if not value or value in PLACEHOLDERS:
        return ""
    if value[0] in FORMULA_START:
        raise CellError(formula_message(value[0]))
    if not multiline:
        value = _SPACES.sub(" ", value)
    if len(value) > max_length:
        raise CellError(_("Too long: %(n)s characters, at most %(max)s.")
                        % {"n": len(value), "max": max_length})
    return value


def formula_message(char: str) -> str:
    return _("Starts with “%(char)s”, which a spreadsheet runs as a formula: text starting with "
             "= + - or @ is not imported. Remove that character.") % {"char": char}


def yes_no(value: str) -> bool:
    folded = value.strip().casefold()
    if folded in YES:
        return True
    if folded in NO or not folded:
        return False
    raise CellError(_("Write yes or no (да / не)."))


def date(value: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        pass
    match = _DATE_DMY.fullmatch(value)
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            pass
    raise CellError(_("“%(value)s” is not a date; write it as 31.12.2025 or 2025-12-31.")
                    % {"value": value[:40]})


class Choices:
    """A choice field's value from its code, its label in English or Bulgarian (any case, any
    punctuation), the label's first word (ООД), or an extra alias."""

    def __init__(self, choices: Iterable[tuple[str, object]],
                 aliases: dict[str, str] | None = None) -> None:
        self.codes: list[str] = []
        self.index: dict[str, str] = {}
        self.memo: dict[str, str] = {}  # the same few values come in every row
        pairs = list(choices)
        for code, label in pairs:
            self.codes.append(code)
            self._add(code, code)
            for language in ("en", "bg"):
                with translation.override(language):
                    text_label = str(label)
                self._add(text_label, code)
                first = text_label.split(" ")[0]
                self._add(first, code)
                inner = re.search(r"\(([^)]*)\)", text_label)
                if inner:
                    self._add(inner.group(1), code)
        for alias, code in (aliases or {}).items():
            self.index[normalise_header(alias)] = code
        self.labels = pairs

    def _add(self, name: str, code: str) -> None:
        self.index.setdefault(normalise_header(name), code)

    def __call__(self, value: str) -> str:
        code = self.memo.get(value)
        if code is not None:
            return code
        code = self.index.get(normalise_header(value))
        if code is not None and len(self.memo) < 1000:
            self.memo[value] = code
        if code is None:
            accepted = ", ".join(str(label) for _code, label in self.labels)
            raise CellError(_("“%(value)s” is not one of: %(accepted)s.")
                            % {"value": value[:60], "accepted": accepted})
        return code
