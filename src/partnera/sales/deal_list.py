"""The deal list: filters shared by the list page and GET /api/v1/deals, one keyset page at a
time, counted up to a cap, through the one visibility rule (sales.selectors.deal_visible_q)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from partnera.core.money import round_cents
from partnera.core.pagination import Page, bounded_count, keyset_page
from partnera.sales.models import Deal, StageOutcome
from partnera.sales.selectors import deal_visible_branches

# sort key -> (field, descending). Keyset pages need a field that is never null.
DEAL_SORTS = {
    "updated": ("updated_at", True),
    "created": ("created_at", True),
    "title": ("title", False),
}


@dataclass
class DealFilters:
    q: str = ""
    pipeline: int | None = None
    stage: list[int] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)
    team: list[int] = field(default_factory=list)
    tier: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    amount_min: Decimal | None = None  # in euro (amount_eur): deals in lev compare converted
    amount_max: Decimal | None = None
    close_month: dt.date | None = None  # the first day of the month
    no_next_activity: bool = False
    company: int | None = None

    def active_count(self) -> int:
        return sum(bool(v) for v in (
            self.pipeline, self.stage, self.owner, self.team, self.tier, self.status,
            self.amount_min is not None, self.amount_max is not None, self.close_month,
            self.no_next_activity, self.company))


def parse_month(value: Any) -> dt.date | None:
    """"2026-03" → 1 March 2026; anything else → None."""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", str(value or "").strip())
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (1 <= month <= 12 and 1900 <= year <= 9999):
        return None
    return dt.date(year, month, 1)


def next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def contains_q(field_name: str, value: str) -> Q:
    """`field` contains `value` ignoring case, Cyrillic included (SQLite's LIKE folds ASCII only;
    a case-insensitive regex runs Python's re there and ~* on PostgreSQL)."""
    value = value.replace("\x00", "")
    return Q(**{f"{field_name}__iregex": re.escape(value)})


def deal_filter(qs: QuerySet[Deal], f: DealFilters) -> QuerySet[Deal]:
    """Narrow deals by the list's filters (the board's filters are a subset of them)."""
    if f.q:
        words = f.q.split()[:5]
        for word in words:
            qs = qs.filter(contains_q("title", word) | contains_q("company__legal_name", word))
    if f.pipeline:
        qs = qs.filter(pipeline_id=f.pipeline)
    if f.stage:
        qs = qs.filter(stage_id__in=f.stage)
    if f.owner:
        qs = qs.filter(owner_id__in=f.owner)
    if f.team:
        qs = qs.filter(team_id__in=f.team)
    if f.tier:
        qs = qs.filter(company__tier__in=f.tier)
    if f.status:
        qs = qs.filter(status__in=f.status)
    if f.amount_min is not None:
        qs = qs.filter(amount_eur__gte=f.amount_min)
    if f.amount_max is not None:
        qs = qs.filter(amount_eur__lte=f.amount_max)
    if f.close_month:
        qs = qs.filter(expected_close_date__gte=f.close_month,
                       expected_close_date__lt=next_month(f.close_month))
    if f.no_next_activity:
        qs = qs.filter(status=StageOutcome.OPEN, next_activity_at__isnull=True)
    if f.company:
        qs = qs.filter(company_id=f.company)
    return qs


def deal_list(*, user, filters: DealFilters | None = None) -> QuerySet[Deal]:
    from partnera.sales.selectors import deal_queryset

    return deal_filter(deal_queryset(user=user), filters or DealFilters())


def deal_page(*, user, filters: DealFilters | None = None, sort: str = "updated",
              cursor: str | None = None, size: int = 50) -> Page:
    """One page of the deals the user may see: a fixed number of queries whatever its size
    (company, pipeline, stage, owner and team joined)."""
    field_name, descending = DEAL_SORTS.get(sort, DEAL_SORTS["updated"])
    qs = deal_list(user=user, filters=filters).select_related(
        "company", "pipeline", "stage", "owner", "team")
    return keyset_page(qs, field=field_name, descending=descending, cursor=cursor, size=size,
                       branches=deal_visible_branches(user))


def deal_count(*, user, filters: DealFilters | None = None) -> tuple[int, bool]:
    return bounded_count(deal_list(user=user, filters=filters), branches=deal_visible_branches(user))


def weighted_amount(deal: Deal) -> Decimal | None:
    """The amount times the stage's win probability, in the deal's currency."""
    if deal.amount is None:
        return None
    return round_cents(deal.amount * Decimal(deal.stage.probability) / 100)


# --- the global search: deal documents (core.search) -----------------------------------------------

def deal_documents(ids) -> Iterator[tuple[int, str]]:
    """(id, document) of live deals of live companies: the title and the company's name."""
    from partnera.core.search import search_document
    from partnera.sales.selectors import live_deals

    live = live_deals()
    columns = ("pk", "title", "company__legal_name")
    rows: Iterable[tuple[int, str, str]] = (
        live.filter(pk__in=ids).values_list(*columns) if ids is not None
        else live.order_by().values_list(*columns).iterator(chunk_size=5000))
    return ((pk, search_document(title, company)) for pk, title, company in rows)


def deals_visible(user) -> list[QuerySet] | None:
    """The user's visible deals, one queryset per grant of the rule (None: every deal)."""
    branches = deal_visible_branches(user)
    return None if branches is None else [Deal.objects.filter(b) for b in branches]


def deals_of_companies(company_ids: list[int]):
    """A deal's document holds its company's name (and goes while the company is deleted)."""
    return Deal.all_objects.filter(company_id__in=company_ids).values_list("pk", flat=True)


def reindex_after_merge(survivor, other, moved: dict[str, list[int]]) -> None:
    """A company merge (clients.merge hook, inside its transaction): the deals that moved to the
    survivor hold its name in their documents now; the leads qualified into the merged company
    are indexed again with it."""
    from partnera.core.search import search_index_update

    deal_ids = list(moved.get("sales.deal.company", []))
    if deal_ids:
        search_index_update("deal", deal_ids)
    lead_ids = list(moved.get("sales.lead.company", []))
    if lead_ids:
        search_index_update("lead", lead_ids)


def deal_search(*, user, query: str, limit: int = 10) -> list[Deal]:
    """Deals the user may see whose title or company matches, best first."""
    from partnera.core.search import search_ids
    from partnera.sales.selectors import deal_queryset

    ids = search_ids(kind="deal", user=user, query=query, limit=limit)
    found = {d.pk: d for d in deal_queryset(user=user).filter(pk__in=ids)
             .select_related("company", "stage")}
    return [found[pk] for pk in ids if pk in found]


def deal_search_hits(*, user, query: str, limit: int):
    """The global search box's "Deals" group (core.search.register_search_provider)."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from partnera.core.search import SearchHit

    return [SearchHit(kind="deal", kind_label=_("Deal"), label=d.title,
                      detail=" · ".join([d.company.legal_name, d.stage.name]),
                      url=reverse("sales:deal_detail", args=[d.pk]), pk=d.pk)
            for d in deal_search(user=user, query=query, limit=limit)]
