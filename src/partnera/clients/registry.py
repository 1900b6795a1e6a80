"""What the client base contributes to core's registries: timeline sources and search."""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnera.clients import search, selectors
from partnera.clients.identifiers import format_phone
from partnera.clients.models import Company
from partnera.core.models import AuditEntry
from partnera.core.search import SearchHit, register_search_provider
from partnera.core.timeline import TimelineEntry, register_timeline_source
from partnera.core.visibility import can_see_confidential, visible_q


def _notes(*, user, company_id, limit, before):
    qs = selectors.note_list(user=user, company_id=company_id)
    if before:
        qs = qs.filter(created_at__lt=before)
    return [
        TimelineEntry(
            at=n.created_at, kind="note", title=_("Note"), body=n.body,
            actor=str(n.created_by or ""),
            url=reverse("clients:company_detail", args=[company_id]) + f"#note-{n.pk}",
        )
        for n in qs[:limit]
    ]


# A merge's snapshot of the merged record and the ids it moved are for review in the audit log,
# not for the timeline (which shows the fields that changed and whom it was merged with).
HIDDEN_IN_TIMELINE = {"search_text", "name_key", "merged_record", "moved"}
CONFIDENTIAL_KEYS = {"credit_limit", "payment_terms_days", "credit_terms", "financial_notes"}


def _changes(*, user, company_id, limit, before):
    # A visible company's audit entries are its history. The callers read the company through
    # company_get first; the rule is applied here again because audit entries carry no owner.
    # (Deleted companies keep their history for whoever may see them.)
    if not Company.all_objects.filter(visible_q(user), pk=company_id).exists():
        return []
    # Confidential before/after values are hidden from roles without the right.
    # Other domains' records (deals, activities) carry the company too, but have their own
    # visibility (a private meeting) and their own timeline sources.
    qs = AuditEntry.objects.filter(company_id=company_id, object_type__startswith="clients.").exclude(
        action__in=[AuditEntry.Action.ACCESS_DENIED, AuditEntry.Action.DOWNLOAD]
    ).exclude(object_type="clients.note", action=AuditEntry.Action.CREATE)
    if before:
        qs = qs.filter(at__lt=before)
    confidential_ok = can_see_confidential(user)
    rows = list(qs.order_by("-at", "-id")[:limit])
    linked_visible = _visible_linked_ids(user, rows)
    entries = []
    for e in rows:
        details = []
        changes = e.changes or {}
        for field, values in changes.items():
            if field in HIDDEN_IN_TIMELINE or field.endswith("_id"):
                continue
            if field in LINKED_COMPANY_FIELDS:
                values = _mask_unseen_links(values, changes.get(f"{field}_id"), linked_visible)
            old, new = [*values, None, None][:2] if isinstance(values, list) else (None, values)
            if field in CONFIDENTIAL_KEYS and not confidential_ok:
                old, new = ("•••" if old else ""), ("•••" if new else "")
            else:
                old, new = _choice_label(e.object_type, field, old), _choice_label(e.object_type, field, new)
            if _fmt(old) != _fmt(new):
                details.append((field, _fmt(old), _fmt(new)))
        kind = {"clients.contact": "contact", "clients.attachment": "file"}.get(e.object_type, "change")
        entries.append(TimelineEntry(
            at=e.at, kind=kind, title=f"{e.get_action_display()}: {e.object_repr}",
            actor=e.actor_repr or _("system"), details=details,
        ))
    return entries


LINKED_COMPANY_FIELDS = {"parent", "referred_by", "company", "merged_from", "merged_into",
                         "not_duplicate_of"}


def _visible_linked_ids(user, rows) -> set[int]:
    """Which of the companies linked in these entries (parent, referred by) the user may see."""
    ids = {
        i for e in rows for f in LINKED_COMPANY_FIELDS
        for i in ((e.changes or {}).get(f"{f}_id") or []) if isinstance(i, int)
    }
    if not ids:
        return set()
    return set(Company.all_objects.filter(visible_q(user), pk__in=ids).values_list("pk", flat=True))


def _mask_unseen_links(values, ids, visible: set[int]):
    """A linked company's name only when the reader may see that company; else "•••"."""
    if not isinstance(values, list):
        return values
    ids = ids if isinstance(ids, list) and len(ids) == len(values) else [None] * len(values)
    return [v if v in (None, "") or i in visible else "•••" for v, i in zip(values, ids, strict=True)]


def _choice_label(object_type: str, field: str, value):
    """The label a user reads for a stored choice ("active" → "Active client")."""
    if not isinstance(value, str) or not value:
        return value
    try:
        model_field = apps.get_model(object_type)._meta.get_field(field)
    except (LookupError, ValueError, FieldDoesNotExist):
        return value
    choices = getattr(model_field, "flatchoices", None)
    return str(dict(choices).get(value, value)) if choices else value


def _fmt(value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(format_phone(v) if isinstance(v, str) and v.startswith("+") else str(v)
                         for v in value)
    return str(value)


def _search_companies(*, user, query, limit):
    return [
        SearchHit(kind="company", kind_label=_("Company"), label=c.legal_name,
                  detail=" · ".join(p for p in [c.eik, c.city] if p),
                  url=reverse("clients:company_detail", args=[c.pk]), pk=c.pk)
        for c in selectors.company_autocomplete(user=user, query=query, limit=limit)
    ]


def _search_contacts(*, user, query, limit):
    return [
        SearchHit(kind="contact", kind_label=_("Contact"), label=str(c),
                  detail=" · ".join(p for p in [c.position, c.company.legal_name] if p),
                  url=reverse("clients:contact_detail", args=[c.pk]), pk=c.pk)
        for c in selectors.contact_search(user=user, query=query, limit=limit)
    ]


def register() -> None:
    register_timeline_source("notes", _notes)
    register_timeline_source("changes", _changes)
    register_search_provider("company", _search_companies, label=gettext_lazy("Companies"))
    register_search_provider("contact", _search_contacts, label=gettext_lazy("Contacts"))
    search.register()
    register_home_panels()


# --- start page panels (clients UI) --------------------------------------------------------------

def _recent_companies_panel(*, user) -> dict:
    return {"companies": selectors.company_recent(user=user, limit=8)}


def _recent_notes_panel(*, user) -> dict:
    return {"notes": selectors.note_recent(user=user, limit=6)}


def register_home_panels() -> None:
    from partnera.core.home import HomePanel, register_home_panel

    register_home_panel(HomePanel(name="clients.recent_companies", order=50,
                                  template="clients/panels/recent_companies.html",
                                  context=_recent_companies_panel))
    register_home_panel(HomePanel(name="clients.recent_notes", order=60,
                                  template="clients/panels/recent_notes.html",
                                  context=_recent_notes_panel))
