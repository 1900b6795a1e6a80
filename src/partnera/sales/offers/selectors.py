"""Reads of offers. An offer is seen exactly when its deal is (sales.selectors.deal_visible_q: the
deal's owner and team by the rule, the owner of its company, and only while the deal and its
company are live); a hidden offer answers like a missing one (NotFound)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import F, Q, QuerySet

from partnera.catalog.models import ProductLine
from partnera.core.pagination import Page, bounded_count, keyset_page
from partnera.core.records import get_visible
from partnera.core.roles import Role
from partnera.core.visibility import NOTHING, is_administrator, scope_for
from partnera.people.models import Team
from partnera.sales.models import ApprovalStatus, Deal, Offer, OfferLine, OfferStatus, Reason
from partnera.sales.selectors import deal_visible_q

LIST_RELATED = ("deal", "company", "owner")
DETAIL_RELATED = ("deal", "deal__stage", "deal__pipeline", "company", "contact", "owner", "team",
                  "rejection_reason", "approval_decided_by", "previous", "created_by")


def offer_visible_q(user) -> Q:
    """The offers the user may see: those of the live deals the user may see."""
    rule = deal_visible_q(user)
    if rule is NOTHING:
        return NOTHING
    return Q(deal__in=Deal.objects.filter(rule).values("pk"))


def offer_queryset(*, user) -> QuerySet[Offer]:
    """Every live offer the user may see (not yet filtered or ordered)."""
    return Offer.objects.filter(offer_visible_q(user))


def offer_get(*, user, pk) -> Offer:
    """One visible live offer, or NotFound (the same answer as for one that does not exist)."""
    queryset = offer_queryset(user=user).select_related(*DETAIL_RELATED)
    return get_visible(queryset, pk, user=user, company_id_attr="company_id")


def offer_lines(offer: Offer) -> list[OfferLine]:
    return list(offer.lines.select_related("product").order_by("position", "pk"))


def offer_versions(offer: Offer) -> list[Offer]:
    """Every live version of the offer's reference, newest first (they share its deal)."""
    return list(Offer.objects.filter(reference=offer.reference, deal_id=offer.deal_id)
                .select_related("created_by").order_by("-version_number"))


def rejection_reasons() -> QuerySet[Reason]:
    return Reason.objects.filter(kind=Reason.Kind.OFFER_REJECTED, active=True)


# --- the list ------------------------------------------------------------------------------------

@dataclass
class OfferFilters:
    status: list[str] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)
    deal: int | None = None
    company: int | None = None
    # "mine": awaiting the user's approval; "pending": any offer waiting for approval.
    approval: str = ""
    q: str = ""

    def active_count(self) -> int:
        return sum(bool(v) for v in (self.status, self.owner, self.deal, self.company, self.approval))


def _filtered(user, filters: OfferFilters) -> QuerySet[Offer]:
    qs = offer_queryset(user=user) if filters.approval != "mine" else awaiting_approval_by(user)
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    elif not filters.deal:
        # The list shows the current version of each offer unless asked for the replaced ones.
        qs = qs.exclude(status=OfferStatus.SUPERSEDED)
    if filters.owner:
        qs = qs.filter(owner_id__in=filters.owner)
    if filters.deal:
        qs = qs.filter(deal_id=filters.deal)
    if filters.company:
        qs = qs.filter(company_id=filters.company)
    if filters.approval == "pending":
        qs = qs.filter(approval_status=ApprovalStatus.PENDING)
    if filters.q:
        qs = qs.filter(Q(reference__icontains=filters.q) | Q(title__icontains=filters.q)
                       | Q(company__legal_name__icontains=filters.q))
    return qs


def offer_page(*, user, filters: OfferFilters, cursor: str | None, size: int) -> Page:
    """One page of the offers the user may see, newest first (a keyset page: constant cost)."""
    qs = _filtered(user, filters).select_related(*LIST_RELATED)
    return keyset_page(qs, field="created_at", descending=True, cursor=cursor, size=size)


def offer_count(*, user, filters: OfferFilters) -> tuple[int, bool]:
    return bounded_count(_filtered(user, filters))


# --- approvals -----------------------------------------------------------------------------------

def teams_with_a_head() -> list[int]:
    """Teams headed by an active head of sales (their offers have an approver of their own)."""
    return list(Team.objects.filter(head__is_active=True, head__role=Role.HEAD_OF_SALES)
                .values_list("pk", flat=True))


def without_own_approver_q(headed: Sequence[int]) -> Q:
    """Offers no active head of sales other than their owner heads: neither the deal's team nor
    the team of the deal's owner has such a head (as the deal stands now). Every head of sales
    who sees them (and an administrator) may decide those (approval.may_approve)."""
    def unheaded(team: str) -> Q:
        return (Q(**{f"{team}_id__isnull": True}) | ~Q(**{f"{team}_id__in": list(headed)})
                | Q(**{f"{team}__head_id": F("owner_id")}))

    return unheaded("deal__team") & unheaded("deal__owner__team")


def awaiting_approval_by(user) -> QuerySet[Offer]:
    """Draft offers waiting for a discount approval that the user may give and can see: a head of
    sales those of the deals of the teams they head (and those no one else heads), never their
    own; an administrator those no head of sales heads (an administrator may decide any, from
    the offer page)."""
    qs = offer_queryset(user=user).filter(status=OfferStatus.DRAFT,
                                          approval_status=ApprovalStatus.PENDING)
    headed = teams_with_a_head()
    if is_administrator(user):
        return qs.filter(without_own_approver_q(headed))
    if getattr(user, "role", None) != Role.HEAD_OF_SALES:
        return qs.none()
    scope = scope_for(user)
    mine = Q(deal__team_id__in=scope.headed_team_ids) | Q(deal__owner_id__in=scope.member_ids)
    return qs.filter(mine | without_own_approver_q(headed)).exclude(owner_id=user.pk)


# --- panels --------------------------------------------------------------------------------------

def deal_offers(*, deal: Deal, limit: int = 20) -> list[Offer]:
    """Every live offer of a deal (the caller has checked the deal is visible), newest first."""
    return list(Offer.objects.filter(deal=deal).select_related("owner")
                .order_by("-created_at", "-pk")[:limit])


def company_offers(*, user, company_id: int, limit: int = 10) -> list[Offer]:
    """The current versions of the company's offers the user may see, newest first."""
    return list(offer_queryset(user=user).filter(company_id=company_id)
                .exclude(status=OfferStatus.SUPERSEDED).select_related("deal", "owner")
                .order_by("-created_at", "-pk")[:limit])


def cross_sell_lines(*, user, company_id: int) -> list[ProductLine]:
    """Active product lines with something active to sell that no live offer to this client the
    user can see has offered yet (the offer page's cross-sell box: a hidden offer shows nothing)."""
    seen = offer_queryset(user=user).filter(company_id=company_id).values("pk")
    offered = (OfferLine.objects.filter(offer_id__in=seen, product__line_id__isnull=False)
               .values("product__line_id"))
    return list(ProductLine.objects.filter(active=True, products__active=True,
                                           products__deleted_at__isnull=True)
                .exclude(pk__in=offered).distinct().order_by("position", "name"))
