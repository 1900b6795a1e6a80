"""Reads of the client base. Every one is scoped by the one visibility rule in core."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects

from partnera.clients.models import Attachment, Company, Contact, Note, SavedView, Tag
from partnera.clients.permissions import edits_every_note_of
from partnera.clients.regions import BG_REGIONS
from partnera.core.errors import NotFound
from partnera.core.pagination import Page, Walk, bounded_count, keyset_page
from partnera.core.records import get_visible
from partnera.core.search import search_ids, search_match_q
from partnera.core.visibility import visible_branches, visible_q

COMPANY_SORTS = {
    "name": ("legal_name", False),
    "-name": ("legal_name", True),
    "updated": ("updated_at", True),
    "created": ("created_at", True),
    "city": ("city", False),
}
CONTACT_SORTS = {
    "name": ("last_name", False),
    "-name": ("last_name", True),
    "updated": ("updated_at", True),
    "created": ("created_at", True),
}


@dataclass
class CompanyFilters:
    q: str = ""
    stage: list[str] = field(default_factory=list)
    tier: list[str] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)
    team: list[int] = field(default_factory=list)
    tag: list[int] = field(default_factory=list)
    region: str = ""
    city: str = ""
    industry: str = ""


@dataclass
class ContactFilters:
    q: str = ""
    company: int | None = None
    consent: bool | None = None
    channel: str = ""


def company_visible(*, user) -> QuerySet[Company]:
    return Company.objects.filter(visible_q(user))


def company_list(*, user, filters: CompanyFilters | None = None) -> QuerySet[Company]:
    f = filters or CompanyFilters()
    qs = company_visible(user=user)
    if f.q:
        qs = qs.filter(company_search_q(f.q))
    return _company_filters(qs, f)


def _company_filters(qs: QuerySet[Company], f: CompanyFilters) -> QuerySet[Company]:
    """The company list's filters on the company's own columns (all but the search)."""
    if f.stage:
        qs = qs.filter(stage__in=f.stage)
    if f.tier:
        qs = qs.filter(tier__in=f.tier)
    if f.owner:
        qs = qs.filter(owner_id__in=f.owner)
    if f.team:
        qs = qs.filter(team_id__in=f.team)
    if f.tag:
        qs = qs.filter(pk__in=Company.tags.through.objects.filter(tag_id__in=f.tag).values("company_id"))
    for name in ("region", "city", "industry"):
        value = getattr(f, name)
        if value:
            qs = qs.filter(same_text_q(name, value))
    return qs


def same_text_q(field_name: str, value: str) -> Q:
    """`field` equals `value` ignoring case, Cyrillic included. SQLite's iexact folds ASCII only;
    a case-insensitive regex anchored at both ends runs Python's re there and ~* on PostgreSQL."""
    value = value.replace("\x00", "")
    return Q(**{f"{field_name}__iregex": f"^{re.escape(value)}$"})


def _with_list_relations(qs: QuerySet[Company]) -> QuerySet[Company]:
    return qs.select_related("owner", "team").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )


def company_page(*, user, filters: CompanyFilters | None = None, sort: str = "name",
                 cursor: str | None = None, size: int = 50) -> Page:
    f = filters or CompanyFilters()
    field_name, descending = COMPANY_SORTS.get(sort, COMPANY_SORTS["name"])
    qs = _with_list_relations(company_list(user=user, filters=f))
    branches = visible_branches(user)
    walk = None
    if branches is not None and field_name != "legal_name" and not f.q:
        # Name order has an index per grant (owner, team); other orders have one index for all
        # companies: walk it and keep the visible ones, a chunk at a time, rather than sorting
        # every company of a grant (core.pagination.Walk; SQLite's planner would sort).
        walk = Walk(_company_filters(Company.objects.all(), f),
                    keep=functools.partial(_visible_companies, user))
    page = keyset_page(qs, field=field_name, descending=descending, cursor=cursor, size=size,
                       branches=branches, walk=walk)
    if walk is not None:  # a walked page: its owners, teams and tags, a query each
        prefetch_related_objects(page.items, "owner", "team",
                                 Prefetch("tags", queryset=Tag.objects.order_by("name")))
    return page


def _visible_companies(user, companies: list[Company]) -> list[Company]:
    wanted = {c.pk for c in companies}
    if not wanted:
        return []
    visible = set(company_visible(user=user).filter(pk__in=wanted).values_list("pk", flat=True))
    return [c for c in companies if c.pk in visible]


def company_count(*, user, filters: CompanyFilters | None = None) -> tuple[int, bool]:
    return bounded_count(company_list(user=user, filters=filters), branches=visible_branches(user))


def company_get(*, user, pk) -> Company:
    qs = company_visible(user=user).select_related("owner", "team", "parent", "referred_by")
    return get_visible(qs, pk, user=user, company_id_attr="pk")


def company_deleted_list(*, user) -> QuerySet[Company]:
    return Company.all_objects.deleted().filter(visible_q(user)).select_related("deleted_by")


def company_get_deleted(*, user, pk) -> Company:
    return get_visible(company_deleted_list(user=user), pk, user=user)


def company_autocomplete(*, user, query: str, limit: int = 10) -> list[Company]:
    """The visible companies a typed name, number, e-mail or phone finds, best first (the search
    index, core.search)."""
    ids = search_ids(kind="company", user=user, query=query, limit=limit)
    return _in_order(company_visible(user=user), ids)


def contact_search(*, user, query: str, limit: int = 10) -> list[Contact]:
    """The visible contacts a typed name, e-mail, phone or company finds, best first."""
    ids = search_ids(kind="contact", user=user, query=query, limit=limit)
    return _in_order(contact_visible(user=user).select_related("company"), ids)


def _in_order(qs: QuerySet, ids: list[int]) -> list:
    """The records of `ids` that `qs` (already scoped by visibility) holds, in the order of ids."""
    if not ids:
        return []
    found = qs.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def company_subsidiaries(*, user, company: Company) -> list[Company]:
    return list(company_visible(user=user).filter(parent=company).order_by("legal_name"))


def contact_visible(*, user) -> QuerySet[Contact]:
    return Contact.objects.filter(company__deleted_at__isnull=True).filter(
        visible_q(user, root="company__")
    )


def contact_list(*, user, filters: ContactFilters | None = None) -> QuerySet[Contact]:
    f = filters or ContactFilters()
    qs = contact_visible(user=user)
    if f.q:
        qs = qs.filter(_search_q("contact", f.q))
    return _contact_filters(qs, f)


def _contact_filters(qs: QuerySet[Contact], f: ContactFilters) -> QuerySet[Contact]:
    """The contact list's filters on the contact's own columns."""
    if f.company:
        qs = qs.filter(company_id=f.company)
    if f.consent is not None:
        qs = qs.filter(marketing_consent=f.consent)
    if f.channel:
        qs = qs.filter(preferred_channel=f.channel)
    return qs


def contact_page(*, user, filters: ContactFilters | None = None, sort: str = "name",
                 cursor: str | None = None, size: int = 50) -> Page:
    f = filters or ContactFilters()
    field_name, descending = CONTACT_SORTS.get(sort, CONTACT_SORTS["name"])
    qs = contact_list(user=user, filters=f).select_related("company")
    walk = None
    if not f.q:
        # Walk the contacts in the sort's own index and keep those of visible companies, a
        # chunk at a time: the join with the visibility rule makes both databases read (and
        # sort) every contact of every visible company instead (core.pagination.Walk).
        walk = Walk(_contact_filters(Contact.objects.all(), f),
                    keep=functools.partial(_of_visible_companies, user))
    page = keyset_page(qs, field=field_name, descending=descending, cursor=cursor, size=size,
                       walk=walk)
    prefetch_related_objects(page.items, "company")  # a walked page: its companies, one query
    return page


def _of_visible_companies(user, contacts: list[Contact]) -> list[Contact]:
    """The contacts whose company the user may see (and is not deleted)."""
    wanted = {c.company_id for c in contacts}
    if not wanted:
        return []
    visible = set(company_visible(user=user).filter(pk__in=wanted).values_list("pk", flat=True))
    return [c for c in contacts if c.company_id in visible]


def contact_count(*, user, filters: ContactFilters | None = None) -> tuple[int, bool]:
    return bounded_count(contact_list(user=user, filters=filters))


def contact_get(*, user, pk) -> Contact:
    qs = contact_visible(user=user).select_related("company", "company__owner")
    return get_visible(qs, pk, user=user, company_id_attr="company_id")


def contacts_of_company(*, user, company: Company) -> list[Contact]:
    return list(contact_visible(user=user).filter(company=company).order_by("last_name", "first_name"))


def note_visible(*, user) -> QuerySet[Note]:
    return Note.objects.filter(company__deleted_at__isnull=True).filter(
        visible_q(user, root="company__")
    )


def note_list(*, user, company_id: int | None = None) -> QuerySet[Note]:
    qs = note_visible(user=user).select_related("created_by", "contact", "company")
    if company_id is not None:
        qs = qs.filter(company_id=company_id)
    return qs.order_by("-created_at", "-id")


def note_get(*, user, pk) -> Note:
    qs = note_visible(user=user).select_related("company", "created_by")
    return get_visible(qs, pk, user=user, company_id_attr="company_id")


def attachment_visible(*, user) -> QuerySet[Attachment]:
    return Attachment.objects.filter(company__deleted_at__isnull=True).filter(
        visible_q(user, root="company__")
    )


def attachment_list(*, user, company_id: int) -> QuerySet[Attachment]:
    return attachment_visible(user=user).filter(company_id=company_id).select_related("created_by")


def attachment_get(*, user, pk) -> Attachment:
    qs = attachment_visible(user=user).select_related("company")
    return get_visible(qs, pk, user=user, company_id_attr="company_id")


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.order_by("name")


def tag_ids_by_name(names: list[str]) -> list[int]:
    """Tag ids for a tag filter given by name (the API speaks names). Names that match no tag
    give [0], so the filter then matches no company instead of being dropped."""
    if not names:
        return []
    ids = list(tag_list().filter(name__in=names).values_list("pk", flat=True))
    return ids or [0]


def saved_view_list(*, user, list_name: str = "companies") -> QuerySet[SavedView]:
    return SavedView.objects.filter(user=user, list_name=list_name)


def filter_choices_regions(*, user) -> list[str]:
    """The regions the filter offers: Bulgaria's 28 regions (the same for every user, so it
    reveals nothing about records the user may not see)."""
    return list(BG_REGIONS)


def company_search_q(query: str) -> Q:
    """Companies whose name, numbers, city, e-mails or phones match `query` (the search index);
    combine with a visibility-scoped queryset."""
    return _search_q("company", query)


def _search_q(kind: str, query: str) -> Q:
    # A query without a searchable word (punctuation, a lone letter) finds nothing.
    return search_match_q(kind, query) or Q(pk__in=[])


# --- reads for the web UI (clients UI) ----------------------------------------------------------

def company_visible_ids(*, user, ids) -> set[int]:
    """Which of `ids` the user may see (to show a parent or referrer only when it is visible)."""
    wanted = [i for i in ids if i]
    if not wanted:
        return set()
    return set(company_visible(user=user).filter(pk__in=wanted).values_list("pk", flat=True))


def company_referrals(*, user, company: Company, limit: int = 50) -> list[Company]:
    return list(company_visible(user=user).filter(referred_by=company).order_by("legal_name")[:limit])


def company_eik_holder(*, user, eik: str, exclude_pk=None) -> tuple[bool, Company | None]:
    """Is `eik` taken by a live company? (taken, the company when the user may see it)."""
    if not eik:
        return False, None
    qs = Company.objects.filter(eik=eik)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    holder = qs.first()
    if holder is None:
        return False, None
    seen = company_visible(user=user).filter(pk=holder.pk).exists()
    return True, holder if seen else None


def company_deleted_page(*, user, cursor: str | None = None, size: int = 50) -> Page:
    qs = company_deleted_list(user=user).select_related("owner")
    return keyset_page(qs, field="deleted_at", descending=True, cursor=cursor, size=size)


def company_recent(*, user, limit: int = 8) -> list[Company]:
    """The visible companies changed most recently (the start page)."""
    return list(company_visible(user=user).select_related("owner").order_by("-updated_at", "-pk")[:limit])


def company_shares(*, user, company: Company) -> list:
    """Who the (visible) company was shared with explicitly."""
    from partnera.core.models import RecordShare

    return list(RecordShare.objects.filter(record_type="clients.company", record_id=company.pk)
                .select_related("user").order_by("user__first_name", "user__username"))


def contact_notes(*, user, contact: Contact) -> QuerySet[Note]:
    return note_list(user=user, company_id=contact.company_id).filter(contact=contact)


def note_recent(*, user, limit: int = 6) -> list[Note]:
    return list(note_visible(user=user).select_related("company", "created_by")
                .order_by("-created_at", "-id")[:limit])


# --- deleted contacts, notes and files of a company (restore) -----------------------------------

def _deleted_below(model, *, user):
    """Deleted rows of a model below a company, scoped by the company's visibility (the company
    itself may be live or deleted: the services refuse to restore below a deleted company)."""
    return (model.all_objects.deleted().filter(visible_q(user, root="company__"))
            .select_related("company", "deleted_by"))


def _get_deleted(model, *, user, pk):
    """One deleted record below a visible company, or NotFound (a hidden one audited as a denied
    access by get_visible; a live one the user sees is simply not in the trash)."""
    deleted = _deleted_below(model, user=user)
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = deleted.filter(pk=key).first()
    if found is not None:
        return found
    if model.objects.filter(visible_q(user, root="company__"), pk=key).exists():
        raise NotFound()
    return get_visible(deleted, key, user=user, company_id_attr="company_id")


def contact_deleted_list(*, user, company_id: int) -> QuerySet[Contact]:
    """Deleted contacts of one company, the most recently deleted first."""
    return _deleted_below(Contact, user=user).filter(company_id=company_id).order_by(
        "-deleted_at", "-id")


def contact_get_deleted(*, user, pk) -> Contact:
    return _get_deleted(Contact, user=user, pk=pk)


def note_deleted_list(*, user, company_id: int) -> QuerySet[Note]:
    """Deleted notes of one company, the most recently deleted first."""
    return (_deleted_below(Note, user=user).filter(company_id=company_id)
            .select_related("created_by").order_by("-deleted_at", "-id"))


def note_deleted_restorable(*, user, company: Company) -> QuerySet[Note]:
    """The deleted notes of a company this user may restore: all of them for an administrator
    or the head of sales over it, otherwise the user's own (clients.permissions.can_edit_note)."""
    qs = note_deleted_list(user=user, company_id=company.pk)
    if not edits_every_note_of(user, company):
        qs = qs.filter(created_by_id=user.pk)
    return qs


def note_get_deleted(*, user, pk) -> Note:
    return _get_deleted(Note, user=user, pk=pk)


def attachment_deleted_list(*, user, company_id: int) -> QuerySet[Attachment]:
    """Deleted files of one company, the most recently deleted first."""
    return (_deleted_below(Attachment, user=user).filter(company_id=company_id)
            .select_related("created_by").order_by("-deleted_at", "-id"))


def attachment_get_deleted(*, user, pk) -> Attachment:
    return _get_deleted(Attachment, user=user, pk=pk)


def saved_view_get(*, user, pk, list_name: str = "companies") -> SavedView:
    from partnera.core.errors import NotFound

    try:
        return saved_view_list(user=user, list_name=list_name).get(pk=int(pk))
    except (SavedView.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None
