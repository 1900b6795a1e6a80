"""The record-page panel registry: a domain puts a panel on another domain's record page
(deals and "log a call" on the company page) without the page's app importing it.

A panel is `(page, name, order, template, context)`; `context(*, user, record)` returns the
template's context, or None to leave the panel out (e.g. a role that may not see deals).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RecordPanel:
    page: str  # "company", "deal", "contact" …
    name: str
    order: int
    template: str
    context: Callable[..., dict | None]


_panels: dict[tuple[str, str], RecordPanel] = {}


def register_record_panel(panel: RecordPanel) -> None:
    _panels[(panel.page, panel.name)] = panel


def record_panels(page: str, *, user, record) -> list[tuple[RecordPanel, dict]]:
    found = []
    for panel in sorted((p for p in _panels.values() if p.page == page), key=lambda p: p.order):
        context = panel.context(user=user, record=record)
        if context is not None:
            found.append((panel, context))
    return found
