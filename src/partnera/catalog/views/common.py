"""What the catalog pages share."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _

from partnera.catalog import services
from partnera.core.errors import PermissionDenied, ValidationFailed, VersionConflict
from partnera.core.web import add_errors_to_form, web_errors

T = TypeVar("T")


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


def switch_active(request, set_active: Callable[..., object], *, on: str, off: str) -> None:
    """Activate or deactivate as posted (`active` "1" or not, the `version` read), through
    `set_active(active=…, expected_version=…)`; the outcome as a message, `on` or `off` when done."""
    active = request.POST.get("active") == "1"
    try:
        set_active(active=active, expected_version=pk_or_none(request.POST.get("version")))
    except (ValidationFailed, VersionConflict) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, on if active else off)


def valid_on(row, day) -> bool:
    """Whether a price list or rule with `valid_from`/`valid_to` (either open) holds on `day`."""
    return ((row.valid_from is None or row.valid_from <= day)
            and (row.valid_to is None or row.valid_to >= day))


@dataclass
class Saved(Generic[T]):
    """What `save_form` did: `done`, with what the service returned, or refused (`conflict`
    when someone changed the record meanwhile), the reasons then on the form."""

    done: bool = False
    result: T | None = None
    conflict: bool = False

    @property
    def status(self) -> int:
        """The status of the form shown again: 409 for a conflicting edit, else 400."""
        return 409 if self.conflict else 400


def save_form(form, save: Callable[[], T]) -> Saved[T]:
    """Validate `form`, then `save()`. The service's field errors go next to the fields, a
    conflicting edit's message to the top of the form."""
    if not form.is_valid():
        return Saved()
    try:
        return Saved(done=True, result=save())
    except VersionConflict as exc:
        form.add_error(None, exc.message)
        return Saved(conflict=True)
    except ValidationFailed as exc:
        add_errors_to_form(form, exc)
        return Saved()
