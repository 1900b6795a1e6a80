"""Reads of imports: a user sees their own runs and mappings; an administrator sees every run."""

from __future__ import annotations

from django.db.models import QuerySet

from partnera.core.errors import NotFound
from partnera.core.visibility import is_administrator
from partnera.imports.models import ImportMapping, ImportRun


def import_run_list(*, user, kind: str = "") -> QuerySet[ImportRun]:
    qs = ImportRun.objects.select_related("user")
    if not is_administrator(user):
        qs = qs.filter(user_id=user.pk)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-id")


def import_run_get(*, user, pk) -> ImportRun:
    """One run its owner (or an administrator) may see; any other answers like a missing one."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    run = import_run_list(user=user).filter(pk=pk).first()
    if run is None:
        raise NotFound()
    return run


def import_mapping_list(*, user, kind: str = "") -> QuerySet[ImportMapping]:
    qs = ImportMapping.objects.filter(user_id=user.pk)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("name")


def import_mapping_get(*, user, pk=None, kind: str = "", name: str = "") -> ImportMapping:
    qs = import_mapping_list(user=user, kind=kind)
    if pk is not None:
        try:
            found = qs.filter(pk=int(pk)).first()
        except (TypeError, ValueError):
            found = None
    else:
        found = qs.filter(name=name.strip()).first()
    if found is None:
        raise NotFound()
    return found
