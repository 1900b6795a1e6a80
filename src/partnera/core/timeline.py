"""The timeline registry: each domain registers a source of events about a company.

The company page asks `company_timeline`, which merges every source newest first. Sources
receive the viewing user and must only return what that user may see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str  # "note", "change", "contact", "file", later "call", "offer", "order" ...
    title: str
    body: str = ""
    actor: str = ""
    url: str = ""
    details: list[tuple[str, str, str]] = field(default_factory=list)  # (field, before, after)


TimelineSource = Callable[..., list[TimelineEntry]]
_sources: dict[str, TimelineSource] = {}


def register_timeline_source(name: str, source: TimelineSource) -> None:
    """`source(*, user, company_id, limit, before)` returns at most `limit` entries."""
    _sources[name] = source


def timeline_sources() -> dict[str, TimelineSource]:
    return dict(_sources)


def company_timeline(
    *, user, company_id: int, limit: int = 50, before: dt.datetime | None = None,
    kinds: set[str] | None = None,
) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for name, source in _sources.items():
        if kinds and name not in kinds:
            continue
        entries.extend(source(user=user, company_id=company_id, limit=limit, before=before))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
