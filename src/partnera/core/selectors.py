"""Reads of cross-cutting data (the audit log is for administrators only)."""

from __future__ import annotations

from django.db.models import QuerySet

from partnera.core.models import AuditEntry


def audit_list(*, action: str = "", channel: str = "", actor: str = "",
               object_type: str = "", object_id: str = "") -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.all()
    if action:
        qs = qs.filter(action=action)
    if channel:
        qs = qs.filter(channel=channel)
    if actor:
        qs = qs.filter(actor_repr__iexact=actor)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return qs
