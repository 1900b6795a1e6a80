"""What the catalog pages share."""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _

from partnera.catalog import services
from partnera.core.errors import PermissionDenied
from partnera.core.web import web_errors


def catalog_writer(view):
    """Signed in, and an administrator or a head of sales (else 403 with nothing changed)."""
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not services.may_manage_catalog(request.user):
            raise PermissionDenied(_("Only administrators and heads of sales change the catalog."))
        return view(request, *args, **kwargs)

    return login_required(web_errors(wrapper))


def settings_writer(view):
    """Signed in as an administrator (else 403)."""
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not services.may_manage_settings(request.user):
            raise PermissionDenied()
        return view(request, *args, **kwargs)

    return login_required(web_errors(wrapper))


def reader(view):
    """Signed in; domain errors become their pages (404 for what the user may not see)."""
    return login_required(web_errors(view))


def pk_or_none(raw) -> int | None:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**63 else None


def refusal(exc) -> str:
    """A refused write's reasons in one line (for a message above the page)."""
    problems = [m for msgs in exc.fields.values() for m in msgs]
    return " ".join(dict.fromkeys(problems)) if problems else exc.message
