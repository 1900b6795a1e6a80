"""Reads of leads and web forms, always through the one visibility rule (sales.selectors).

The likely existing companies and contacts a lead may become are found by the client base's
duplicate matching (clients.duplicates), which only ever returns records the reader may see.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from partnera.clients import duplicates
from partnera.clients.models import Company, Contact
from partnera.clients.selectors import company_visible, contact_visible
from partnera.core.api import MAX_ID
from partnera.core.errors import NotFound
from partnera.core.pagination import Page, bounded_count, keyset_page
from partnera.core.records import get_visible
from partnera.core.search import (
    DocumentSource,
    register_search_documents,
    search_document,
    search_ids,
    search_match_q,
)
from partnera.core.visibility import visible_branches, visible_q
from partnera.sales.models import Lead, LeadStatus, Reason, WebForm
from partnera.sales.selectors import deal_queryset, lead_queryset, lead_visible_q, reason_list

RECORD_TYPE = "sales.lead"
LIST_RELATIONS = ("owner", "team")
MAX_SHARED = 1000


@dataclass
class LeadFilters:
    q: str = ""
    status: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)
    team: list[int] = field(default_factory=list)

    def active_count(self) -> int:
        return sum(1 for v in (self.status, self.source, self.owner, self.team) if v)


def _checked_pk(pk) -> int:
    try:
        value = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 < value <= MAX_ID:
        raise NotFound()
    return value


def lead_get(*, user, pk) -> Lead:
    """One live lead the user may see, else NotFound (the same answer as for a missing one)."""
    queryset = lead_queryset(user=user).select_related(
        "owner", "team", "company", "contact", "deal", "disqualify_reason", "referred_by_company",
        "referred_by_contact", "web_form", "created_by")
    return get_visible(queryset, _checked_pk(pk), user=user)


def without_deleted_company(lead: Lead) -> Lead:
    """The lead as its page shows it (never saved afterwards): qualified into a company that is
    now in the trash, it stays a record of its own, but leads no more to that company, nor to
    its contact or its deal, which are gone with it. No query (lead_get joins them)."""
    company = lead.company if lead.company_id else None
    if company is None or company.deleted_at is None:
        return lead
    gone = company.pk
    lead.company = None
    if lead.contact_id and lead.contact is not None and lead.contact.company_id == gone:
        lead.contact = None
    if lead.deal_id and lead.deal is not None and lead.deal.company_id == gone:
        lead.deal = None
    return lead


def lead_deleted_list(*, user) -> QuerySet[Lead]:
    return (Lead.all_objects.deleted().filter(lead_visible_q(user))
            .select_related("owner", "team", "deleted_by").order_by("-deleted_at", "-id"))


def lead_get_deleted(*, user, pk) -> Lead:
    return get_visible(lead_deleted_list(user=user), _checked_pk(pk), user=user)


def _search_q(query: str) -> Q:
    """Leads whose company, person, e-mail, phone (typed in any format), city, EIK or "which one"
    match every word of `query`, through the shared search index (core.search: FTS5 on SQLite,
    tsvector on PostgreSQL; Cyrillic and Latin alike). No searchable word: nothing."""
    return search_match_q(SEARCH_KIND, query) or Q(pk__in=[])


# --- the search index's documents of leads (registered in sales.registry) -----------------------

SEARCH_KIND = "lead"
DOCUMENT_COLUMNS = ("pk", "company_name", "eik", "first_name", "last_name", "position", "email",
                    "phone", "city", "source_detail")


def lead_documents(ids: Sequence[int] | None) -> Iterator[tuple[int, str]]:
    """(id, document) of the live leads among `ids` (all of them, streamed, when None)."""
    from partnera.clients.search import phone_forms

    qs = Lead.objects.all()
    rows = (qs.filter(pk__in=ids).values_list(*DOCUMENT_COLUMNS) if ids is not None
            else qs.order_by().values_list(*DOCUMENT_COLUMNS).iterator(chunk_size=5000))
    for pk, company, eik, first, last, position, email, phone, city, detail in rows:
        yield pk, search_document(company, eik, first, last, position, email,
                                  phone_forms(phone) if phone else "", city, detail)


def leads_visible(user) -> list | None:
    branches = visible_branches(user, record_type=RECORD_TYPE)
    return None if branches is None else [Lead.objects.filter(b) for b in branches]


def lead_search_hits(*, user, query: str, limit: int) -> list:
    """The global search box's "Leads" group: open leads first, then the newest."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from partnera.core.search import SearchHit

    found = search_ids(kind=SEARCH_KIND, user=user, query=query, limit=limit)
    leads = {lead.pk: lead for lead in lead_queryset(user=user).filter(pk__in=found)}
    return [SearchHit(kind=SEARCH_KIND, kind_label=_("Lead"), label=str(leads[pk]),
                      detail=" · ".join(p for p in (leads[pk].get_status_display(),
                                                    leads[pk].get_source_display()) if p),
                      url=reverse("sales:lead_detail", args=[pk]), pk=pk)
            for pk in found if pk in leads]


def register_search() -> None:
    from django.utils.translation import gettext_lazy

    from partnera.core.search import register_search_provider

    register_search_documents(DocumentSource(kind=SEARCH_KIND, documents=lead_documents,
                                             visible=leads_visible))
    register_search_provider(SEARCH_KIND, lead_search_hits, label=gettext_lazy("Leads"))


def lead_list(*, user, filters: LeadFilters | None = None) -> QuerySet[Lead]:
    f = filters or LeadFilters()
    qs = lead_queryset(user=user)
    if f.q.strip():
        qs = qs.filter(_search_q(f.q))
    if f.status:
        qs = qs.filter(status__in=f.status)
    if f.source:
        qs = qs.filter(source__in=f.source)
    if f.owner:
        qs = qs.filter(owner_id__in=f.owner)
    if f.team:
        qs = qs.filter(team_id__in=f.team)
    return qs


def _branches(user, filters: LeadFilters | None) -> list[Q] | None:
    """The grants of the rule, each split by status: the owner's and the team's indexes run
    (owner or team, status, newest first), so each part is read in order through its index
    instead of sorting all of a manager's or a team's leads (core.pagination.keyset_page)."""
    branches = visible_branches(user, record_type=RECORD_TYPE)
    if branches is None or (filters and filters.q.strip()):
        # A search already holds the list to the few leads the index found: one query reads
        # them by id; walking each grant's index instead would scan it for those ids.
        return None
    statuses = (filters.status if filters and filters.status else None) or LeadStatus.values
    return [branch & Q(status=status) for branch in _materialised(branches)
            for status in statuses]


def _materialised(branches: list[Q]) -> list[Q]:
    """The grants with their id subqueries (the leads shared with the user) read once: a
    handful of ids is a direct lookup, while a subquery beside ORDER BY … LIMIT makes SQLite walk
    the whole date index looking for them. A grant that holds no ids is left out."""
    kept = []
    for branch in branches:
        children: list = []
        empty = False
        for child in branch.children:
            if isinstance(child, tuple) and isinstance(child[1], QuerySet):
                values = list(child[1][:MAX_SHARED + 1])
                if len(values) <= MAX_SHARED:  # many: the subquery stays
                    empty = empty or not values
                    child = (child[0], values)
            children.append(child)
        if empty and branch.connector == Q.AND and not branch.negated:
            continue
        kept.append(Q(*children, _connector=branch.connector, _negated=branch.negated))
    return kept


def lead_page(*, user, filters: LeadFilters | None = None, cursor: str | None = None,
              size: int = 50) -> Page:
    """Newest first, one keyset page; each grant of the rule walks its own index."""
    qs = lead_list(user=user, filters=filters).select_related(*LIST_RELATIONS)
    return keyset_page(qs, field="created_at", descending=True, cursor=cursor, size=size,
                       branches=_branches(user, filters))


def lead_count(*, user, filters: LeadFilters | None = None) -> tuple[int, bool]:
    return bounded_count(lead_list(user=user, filters=filters), branches=_branches(user, filters))


def lead_reasons() -> QuerySet[Reason]:
    return reason_list(kind=Reason.Kind.LEAD_DISQUALIFIED)


# --- what a lead may become --------------------------------------------------------------------------

def lead_company_matches(*, user, lead: Lead) -> list[duplicates.DuplicateMatch]:
    """Companies the user can see that are likely the lead's: same EIK (or the EIK inside a VAT
    number), the same e-mail, e-mail domain or phone, the same or a similar name, best first."""
    if not (lead.company_name or lead.eik or lead.email or lead.phone):
        return []
    matches = duplicates.match_company({
        "legal_name": lead.company_name, "eik": lead.eik, "city": lead.city,
        "emails": [lead.email] if lead.email else [],
        "phones": [lead.phone] if lead.phone else []}, user=user)[:10]
    # The company of a person the lead is (same e-mail or phone), when it was not found itself.
    people = [m for m in lead_contact_matches(user=user, lead=lead)
              if m.company_id not in {c.company_id for c in matches}]
    if people:
        companies = {c.pk: c for c in Company.objects.filter(
            visible_q(user), pk__in={m.company_id for m in people})}
        for person in people:
            company = companies.get(person.company_id)
            if company is None or any(m.company_id == company.pk for m in matches):
                continue
            reason = duplicates.Reason("person", _("%(name)s works there") % {"name": person.name},
                                       80)
            matches.append(duplicates.DuplicateMatch(
                company_id=company.pk, legal_name=company.legal_name, city=company.city,
                eik=company.eik, score=80, reasons=[reason]))
    return matches


def lead_contact_matches(*, user, lead: Lead) -> list[duplicates.ContactMatch]:
    """Contacts the user can see that have the lead's e-mail or phone."""
    if not (lead.email or lead.phone):
        return []
    return duplicates.match_contact({"emails": [lead.email] if lead.email else [],
                                     "phones": [lead.phone] if lead.phone else []}, user=user)


def contact_autocomplete(*, user, query: str, limit: int = 10) -> list[Contact]:
    """Visible contacts (of live companies) a typed name, e-mail or phone finds, best first."""
    found = search_ids(kind="contact", user=user, query=query[:100], limit=limit)
    if not found:
        return []
    contacts = {c.pk: c for c in Contact.objects.filter(
        visible_q(user, root="company__"), pk__in=found, company__deleted_at__isnull=True)
        .select_related("company")}
    return [contacts[pk] for pk in found if pk in contacts]


def leads_of_company(*, user, company_id: int) -> QuerySet[Lead]:
    """The leads the user may see that were qualified into this company (its timeline)."""
    return (lead_queryset(user=user).filter(company_id=company_id, status=LeadStatus.QUALIFIED)
            .select_related("deal", "owner").order_by("-closed_at", "-id"))


# --- web forms ----------------------------------------------------------------------------------------

def webform_list() -> QuerySet[WebForm]:
    """Every web form with how many live leads came through it (administrators' page)."""
    return (WebForm.objects.select_related("owner", "team")
            .annotate(lead_count=Count("leads", filter=Q(leads__deleted_at__isnull=True)))
            .order_by("name", "id"))


def webform_get(*, pk) -> WebForm:
    found = WebForm.objects.select_related("owner", "team").filter(pk=_checked_pk(pk)).first()
    if found is None:
        raise NotFound()
    return found


def webform_by_key(key: str) -> WebForm | None:
    """The active form behind a public address, or None (unknown, rotated or switched off)."""
    if not key or len(key) > 64 or not re.fullmatch(r"[A-Za-z0-9_\-]+", key):
        return None
    return WebForm.objects.select_related("owner", "team", "team__head").filter(
        key=key, active=True).first()


# --- the company's timeline ---------------------------------------------------------------------------

def lead_timeline(*, user, company_id, limit, before=None) -> list:
    """Timeline source "leads": the leads the reader may see that became this company's."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from partnera.core.timeline import TimelineEntry

    qs = leads_of_company(user=user, company_id=company_id).filter(closed_at__isnull=False)
    if before:
        qs = qs.filter(closed_at__lt=before)
    entries = []
    for lead in qs[:limit]:
        source = lead.get_source_display()
        if lead.source_detail:
            source = f"{source}: {lead.source_detail}"
        entries.append(TimelineEntry(
            at=lead.closed_at or lead.updated_at, kind="lead",
            title=_("Lead qualified: %(lead)s (%(source)s)") % {"lead": str(lead), "source": source},
            body=lead.message, actor=str(lead.owner or ""),
            url=reverse("sales:lead_detail", args=[lead.pk])))
    return entries


def lead_deal_timeline(*, user, deal_id, limit, before=None) -> list:
    """Deal timeline source "lead": the lead (the reader may see) the deal was opened from."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from partnera.core.timeline import TimelineEntry

    qs = lead_queryset(user=user).filter(deal_id=deal_id, closed_at__isnull=False).order_by(
        "-closed_at", "-id")
    if before:
        qs = qs.filter(closed_at__lt=before)
    entries = []
    for lead in qs[:limit]:
        source = lead.get_source_display()
        if lead.source_detail:
            source = f"{source}: {lead.source_detail}"
        entries.append(TimelineEntry(
            at=lead.closed_at or lead.updated_at, kind="lead",
            title=_("Opened from the lead %(lead)s (%(source)s)") % {"lead": str(lead),
                                                                      "source": source},
            body=lead.message, actor=str(lead.owner or ""),
            url=reverse("sales:lead_detail", args=[lead.pk])))
    return entries


def lead_links_seen(*, user, lead: Lead) -> dict[str, bool]:
    """Which of the records a lead links to the user may see, each by its own rule (one query):
    a lead qualified by someone else may lead to a company, contact or deal the viewer may not
    open, and then its name is not shown either."""
    def company(field: str) -> Exists:
        return Exists(company_visible(user=user).filter(pk=OuterRef(field)))

    def contact(field: str) -> Exists:
        return Exists(contact_visible(user=user).filter(pk=OuterRef(field)))

    seen = Lead.all_objects.filter(pk=lead.pk).annotate(
        company_seen=company("company_id"), contact_seen=contact("contact_id"),
        deal_seen=Exists(deal_queryset(user=user).filter(pk=OuterRef("deal_id"))),
        referred_company_seen=company("referred_by_company_id"),
        referred_contact_seen=contact("referred_by_contact_id"),
    ).values("company_seen", "contact_seen", "deal_seen", "referred_company_seen",
             "referred_contact_seen").first()
    return {key: bool(value) for key, value in (seen or {}).items()}
