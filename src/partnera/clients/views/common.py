"""Helpers shared by the client base pages."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from partnera.clients.models import Company, Contact
from partnera.core.errors import Conflict, ValidationFailed, VersionConflict
from partnera.core.web import add_errors_to_form
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


def save_versioned(request, form, save: Callable[[], object], *, success_url: str
                   ) -> HttpResponse | int:
    """Run an edit form's save (a service call carrying the form's version).

    Returns the redirect after success, else the status to render the form with: 409 when
    someone saved in between (the form then carries the conflict message and the user's input),
    400 for invalid input (errors next to their fields).
    """
    if not form.is_valid():
        return 400
    try:
        save()
    except VersionConflict as exc:
        form.add_error(None, exc.message)
        return 409
    except ValidationFailed as exc:
        add_errors_to_form(form, exc)
        return 400
    messages.success(request, _("Changes saved."))
    return redirect(success_url)


def restore_then_redirect(request, restore: Callable[[], object], *, message: str,
                          url: str) -> HttpResponse:
    """Run a restore service; back to `url` with `message`, or to the trash with the reason
    when the record's company is itself in the trash (Conflict)."""
    try:
        restore()
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("clients:company_trash")
    messages.success(request, message)
    return redirect(url)


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
    labels.setdefault("merged_from", _("merged from"))
    labels.setdefault("not_duplicate_of", _("not a duplicate of"))
    return [(e, [(labels.get(f, f.replace("_", " ")), before, after)
                 for f, before, after in e.details]) for e in entries]
