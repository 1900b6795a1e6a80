"""The global search registry: each domain registers a provider; the search box asks them all.

Providers receive the searching user and return only records that user may see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SearchHit:
    kind: str  # "company", "contact", ...
    kind_label: str
    label: str
    detail: str
    url: str
    pk: int


SearchProvider = Callable[..., list[SearchHit]]
_providers: dict[str, SearchProvider] = {}


def register_search_provider(kind: str, provider: SearchProvider) -> None:
    """`provider(*, user, query, limit)` returns at most `limit` hits."""
    _providers[kind] = provider


def global_search(*, user, query: str, limit: int = 10, kinds: set[str] | None = None) -> list[SearchHit]:
    query = " ".join(query.split())[:100]
    if len(query) < 2:
        return []
    hits: list[SearchHit] = []
    for kind, provider in _providers.items():
        if kinds and kind not in kinds:
            continue
        hits.extend(provider(user=user, query=query, limit=limit))
    return hits
