"""Helpers every domain uses to read one visible record and to apply optimistic locking."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import F, Model, QuerySet
from django.utils import timezone

from partnera.core.audit import audit_record
from partnera.core.errors import NotFound, VersionConflict
from partnera.core.models import AuditEntry, BusinessRecord

M = TypeVar("M", bound=Model)


def get_visible(queryset: QuerySet[M], pk, *, user, company_id_attr: str | None = None) -> M:
    """One record from an already visibility-scoped queryset, or NotFound.

    When the record exists but the user may not see it, the answer is the same NotFound, and the
    denied access is written to the audit log.
    """
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    obj = queryset.filter(pk=pk).first()
    if obj is not None:
        return obj
    model = queryset.model
    manager = getattr(model, "all_objects", model._default_manager)
    hidden = manager.filter(pk=pk).first()
    # A record below a deleted company is gone, not denied: no access-denied entry for it.
    root = getattr(hidden, "company", None) if company_id_attr == "company_id" else None
    if (hidden is not None and getattr(hidden, "deleted_at", None) is None
            and getattr(root, "deleted_at", None) is None):
        audit_record(
            actor=user,
            action=AuditEntry.Action.ACCESS_DENIED,
            obj=hidden,
            object_repr=f"#{hidden.pk}",
            company_id=getattr(hidden, company_id_attr) if company_id_attr else None,
        )
    raise NotFound()


def bump_version(obj: BusinessRecord, *, expected_version: int | None, fields: list[str]) -> None:
    """Save `fields` only if nobody changed the row since `expected_version` was read.

    One UPDATE ... WHERE version = expected: a concurrent writer loses cleanly with a conflict
    instead of silently overwriting.
    """
    model: type[BusinessRecord] = type(obj)
    current_version = obj.version if expected_version is None else expected_version
    values = {f: getattr(obj, f) for f in fields}
    values["version"] = F("version") + 1
    values["updated_at"] = timezone.now()
    updated = model.all_objects.filter(pk=obj.pk, version=current_version).update(**values)
    if updated != 1:
        raise VersionConflict()
    obj.version = current_version + 1
    obj.updated_at = values["updated_at"]
