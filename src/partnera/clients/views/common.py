"""Helpers shared by the client base pages."""

from __future__ import annotations

from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext as _

from partnera.clients.models import Company, Contact
from partnera.people import selectors as people_selectors

PAGE_SIZE = getattr(settings, "PARTNERA_PAGE_SIZE", 50)


def partial_for(request, target: str) -> bool:
    """Is this an HTMX request that swaps only `target` (not a history restore)?"""
    htmx = getattr(request, "htmx", None)
    if not htmx:
        return False
    return not htmx.history_restore_request and htmx.target == target


def is_htmx(request) -> bool:
    htmx = getattr(request, "htmx", None)
    if not htmx:
        return False
    return not htmx.history_restore_request


def active_users() -> list:
    return list(people_selectors.user_list(active_only=True))


def all_teams() -> list:
    return list(people_selectors.team_list().order_by("name"))


def clean_query(raw: str, allowed: set[str]) -> str:
    """A saved list query string reduced to the known filter keys (no cursor, nothing else)."""
    params = QueryDict((raw or "").lstrip("?"), mutable=True)
    out = QueryDict(mutable=True)
    for key in params:
        if key in allowed:
            values = [v for v in params.getlist(key) if v][:50]
            if values:
                out.setlist(key, values)
    return out.urlencode()


def _labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for model in (Contact, Company):
        for field in model._meta.get_fields():
            if hasattr(field, "verbose_name"):
                labels[field.name] = str(field.verbose_name)
    return labels


def timeline_rows(entries) -> list[tuple]:
    """Timeline entries with each changed field named in the user's language."""
    labels = _labels()
    labels.setdefault("shared_with", _("shared with"))
    labels.setdefault("file", _("file"))
    return [(e, [(labels.get(f, f.replace("_", " ")), before, after)
                 for f, before, after in e.details]) for e in entries]
