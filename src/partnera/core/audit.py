"""Writing the audit log. Services call `audit_record` inside their transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Model

from partnera.core.context import current
from partnera.core.models import AuditEntry


def _plain(value: Any) -> Any:
    """A JSON-safe, human-readable form of a field value for the before/after record."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Model):
        return str(value)
    return str(value)


def snapshot(obj: Model, fields: list[str]) -> dict[str, Any]:
    """Field values for later comparison: foreign keys by their label, or by their id when the
    field's attname (`parent_id`) is asked for, so readers can check the target's visibility."""
    data: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.is_relation and name == getattr(field, "attname", None) and name != field.name:
            data[name] = getattr(obj, name)
        elif field.many_to_many:
            data[name] = sorted(str(o) for o in getattr(obj, name).all()) if obj.pk else []
        elif field.is_relation:
            related = getattr(obj, name)
            data[name] = str(related) if related is not None else None
        else:
            data[name] = _plain(getattr(obj, name))
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}


def audit_record(
    *,
    actor,
    action: str,
    obj: Model | None = None,
    changes: dict | None = None,
    company_id: int | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEntry:
    ctx = current()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    actor_pk = getattr(actor, "pk", None)
    return AuditEntry.objects.create(
        actor_id=actor_pk,
        actor_repr=(actor.get_username() if actor_pk else "")[:200],
        action=action,
        channel=ctx.channel,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:300],
        company_id=company_id,
        changes=changes or {},
        ip=ctx.ip,
    )
