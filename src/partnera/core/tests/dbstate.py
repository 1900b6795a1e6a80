"""A comparable picture of the client base, to assert that a refused or invalid write changed
nothing: every row of the business tables (deleted ones too), the tags, the shares, and the
number of audit entries."""

from __future__ import annotations

from partnera.clients.models import Attachment, Company, Contact, Note, SavedView, Tag
from partnera.core.models import AuditEntry, RecordShare


def db_state() -> dict:
    return {
        "companies": list(Company.all_objects.order_by("pk").values()),
        "company_tags": list(Company.tags.through.objects.order_by("pk").values()),
        "contacts": list(Contact.all_objects.order_by("pk").values()),
        "notes": list(Note.all_objects.order_by("pk").values()),
        "attachments": list(Attachment.all_objects.order_by("pk").values()),
        "tags": list(Tag.objects.order_by("pk").values()),
        "shares": list(RecordShare.objects.order_by("pk").values()),
        "saved_views": list(SavedView.objects.order_by("pk").values()),
        "audit_entries": AuditEntry.objects.count(),
    }
