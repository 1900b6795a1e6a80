"""Reads of the sales cycle, always through the one visibility rule (core.visibility).

A deal is seen by whoever sees it by its own owner and team (the rule), and by the owner of its
company: an account manager follows every deal on their client, whoever runs it.
A lead is seen by the rule on its own owner and team.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from partnera.core.records import get_visible
from partnera.core.visibility import (
    LIVE_COMPANY,
    NOTHING,
    below_company_branches,
    grants_q,
    visible_q,
)
from partnera.sales.models import Deal, Lead, Pipeline, Reason, Stage, StageOutcome

# A deal lives below its company: while the company is in the trash, its deals are gone with it
# (from every list, the board, totals, reports, "My day", the API and the deal page) and come
# back when the company is restored (core.visibility.LIVE_COMPANY). One join to the company table.


def deal_visible_branches(user) -> list[Q] | None:
    """The grants of the deal visibility rule, each walkable through its own index (the deal
    list narrows by them: it already keeps only deals of live companies)."""
    return below_company_branches(user, record_type="sales.deal")


def deal_rule_q(user) -> Q:
    """The visibility rule alone (whether or not the deal's company is in the trash): for the
    services that explain why a deal below a deleted company cannot be restored."""
    return grants_q(deal_visible_branches(user))


def deal_visible_q(user) -> Q:
    """The deals the user may see: by the rule, and only while their company is not deleted."""
    rule = deal_rule_q(user)
    return NOTHING if rule is NOTHING else rule & LIVE_COMPANY


def live_deals() -> QuerySet[Deal]:
    """Every live deal of a live company, before any visibility rule (the base of the "My day"
    panels and the board, which apply their own grants)."""
    return Deal.objects.filter(LIVE_COMPANY)


def deal_queryset(*, user) -> QuerySet[Deal]:
    """Every live deal the user may see (not yet filtered or ordered)."""
    return Deal.objects.filter(deal_visible_q(user))


def deal_get(*, user, pk) -> Deal:
    """One visible deal, or NotFound (the same answer as for a deal that does not exist)."""
    queryset = deal_queryset(user=user).select_related(
        "company", "pipeline", "stage", "owner", "team", "lost_reason")
    return get_visible(queryset, pk, user=user, company_id_attr="company_id")


def lead_visible_q(user) -> Q:
    return visible_q(user, record_type="sales.lead")


def lead_queryset(*, user) -> QuerySet[Lead]:
    return Lead.objects.filter(lead_visible_q(user))


def lead_get(*, user, pk) -> Lead:
    queryset = lead_queryset(user=user).select_related(
        "owner", "team", "company", "contact", "deal", "disqualify_reason", "referred_by_company",
        "referred_by_contact")
    return get_visible(queryset, pk, user=user)


def pipeline_list(*, include_inactive: bool = False) -> QuerySet[Pipeline]:
    pipelines = Pipeline.objects.all()
    return pipelines if include_inactive else pipelines.filter(active=True)


def default_pipeline() -> Pipeline | None:
    pipelines = pipeline_list()
    return pipelines.filter(is_default=True).first() or pipelines.first()


def stage_list(*, pipeline: Pipeline, include_inactive: bool = False) -> QuerySet[Stage]:
    stages = pipeline.stages.all().prefetch_related("rules")
    return stages if include_inactive else stages.filter(active=True)


def first_open_stage(pipeline: Pipeline) -> Stage | None:
    return stage_list(pipeline=pipeline).filter(outcome=StageOutcome.OPEN).first()


def reason_list(*, kind: str, include_inactive: bool = False) -> QuerySet[Reason]:
    reasons = Reason.objects.filter(kind=kind)
    return reasons if include_inactive else reasons.filter(active=True)


# --- deals: the trash, the settings' records (added with the deal pages) ------------------------

def deal_deleted_list(*, user) -> QuerySet[Deal]:
    """Deleted deals the user may see, most recently deleted first (their company alive)."""
    return (Deal.all_objects.filter(deal_visible_q(user), deleted_at__isnull=False,
                                    company__deleted_at__isnull=True)
            .select_related("company", "stage", "owner", "deleted_by")
            .order_by("-deleted_at", "-id"))


def deal_get_deleted(*, user, pk) -> Deal:
    """One deleted deal the user may see (to restore it), or NotFound."""
    queryset = Deal.all_objects.filter(deal_visible_q(user), deleted_at__isnull=False).select_related(
        "company", "pipeline", "stage", "owner", "team")
    return get_visible(queryset, pk, user=user, company_id_attr="company_id")


def pipeline_get(*, pk, include_inactive: bool = True) -> Pipeline:
    return _one(pipeline_list(include_inactive=include_inactive), pk)


def stage_get(*, pk) -> Stage:
    return _one(Stage.objects.select_related("pipeline"), pk)


def reason_get(*, pk, kind: str | None = None) -> Reason:
    reasons = Reason.objects.all() if kind is None else Reason.objects.filter(kind=kind)
    return _one(reasons, pk)


def _one(queryset: QuerySet, pk):
    from partnera.core.errors import NotFound

    try:
        return queryset.get(pk=int(pk))
    except (queryset.model.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None
