"""Reads of contracts, always through the one visibility rule (contracts.visibility, built on
core.visibility): the list, a contract and what hangs below it, obligations, settings. A hidden
contract answers like a missing one; what a department member may not read of a contract they
see (its documents, PDF, conditions, referrals) answers the same.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone

from partnera.catalog.models import PricingRule
from partnera.contracts.models import (
    Contract,
    ContractDocument,
    ContractStatus,
    ContractType,
    ContractVersion,
    DocumentKind,
    Obligation,
    ObligationStatus,
    ReferralClause,
)
from partnera.contracts.visibility import (  # noqa: F401  (re-exported: readers import them here)
    FULL,
    LIVE_COMPANY,
    RECORD_TYPE,
    ContractSections,
    contract_full_q,
    contract_holder_q,
    contract_rule_q,
    contract_sections_for,
    contract_visible_branches,
    contract_visible_q,
    department_rule,
    hidden_value_ids,
    holds_contract,
    is_department_member,
    limited_ids,
)
from partnera.core.errors import NotFound
from partnera.core.pagination import Page, bounded_count, keyset_page
from partnera.core.records import get_visible
from partnera.core.roles import Role
from partnera.core.visibility import visible_q

# Statuses in which a contract is in force (its pricing conditions apply).
IN_FORCE = (ContractStatus.SIGNED, ContractStatus.ACTIVE)
# "Contracts to renew": notice due within this many days, or the end within the other.
RENEW_NOTICE_DAYS = 30
RENEW_END_DAYS = 60


def contract_queryset(*, user) -> QuerySet[Contract]:
    return Contract.objects.filter(contract_visible_q(user))


def contract_get(*, user, pk) -> Contract:
    """One visible contract, or NotFound (the same answer as for one that does not exist)."""
    queryset = contract_queryset(user=user).select_related(
        "company", "contract_type", "signatory", "offer", "deal", "owner", "team")
    return get_visible(queryset, pk, user=user, company_id_attr="company_id")


def contract_get_full(*, user, pk) -> Contract:
    """A contract the user reads in full (its documents, PDF, versions, conditions, referrals),
    or NotFound — also for one they see only in part."""
    contract = contract_get(user=user, pk=pk)
    if contract_sections_for(user, contract).limited:
        raise NotFound()
    return contract


def contract_is_visible(user, contract: Contract) -> bool:
    return Contract.all_objects.filter(contract_visible_q(user), pk=contract.pk).exists()


def contract_deleted_list(*, user) -> QuerySet[Contract]:
    return (Contract.all_objects.filter(contract_visible_q(user), deleted_at__isnull=False)
            .select_related("company", "contract_type", "owner", "deleted_by")
            .order_by("-deleted_at", "-id"))


def contract_get_deleted(*, user, pk) -> Contract:
    queryset = Contract.all_objects.filter(contract_visible_q(user), deleted_at__isnull=False)
    return get_visible(queryset.select_related("company", "contract_type"), pk, user=user,
                       company_id_attr="company_id")


# --- the contract list -------------------------------------------------------------------------------

CONTRACT_SORTS = {
    "updated": ("updated_at", True),
    "created": ("created_at", True),
    "number": ("number", True),
}


@dataclass
class ContractFilters:
    q: str = ""
    status: list[str] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)
    team: list[int] = field(default_factory=list)
    contract_type: list[int] = field(default_factory=list)
    company: int | None = None
    ending_within: int | None = None  # days: in force and ending between today and then
    to_renew: bool = False  # notice due within 30 days or the end within 60

    def active_count(self) -> int:
        return sum(bool(v) for v in (self.status, self.owner, self.team, self.contract_type,
                                     self.company, self.ending_within is not None,
                                     self.to_renew))


def _contains(field_name: str, value: str) -> Q:
    return Q(**{f"{field_name}__iregex": re.escape(value.replace("\x00", ""))})


def renew_q(today: dt.date) -> Q:
    """Active contracts whose notice is due within 30 days or that end within 60."""
    return Q(status=ContractStatus.ACTIVE) & (
        Q(notice_date__gte=today, notice_date__lte=today + dt.timedelta(days=RENEW_NOTICE_DAYS))
        | Q(end_date__gte=today, end_date__lte=today + dt.timedelta(days=RENEW_END_DAYS)))


def contract_filter(qs: QuerySet[Contract], f: ContractFilters,
                    today: dt.date | None = None) -> QuerySet[Contract]:
    today = today or timezone.localdate()
    for word in f.q.split()[:5]:
        qs = qs.filter(_contains("number", word) | _contains("title", word)
                       | _contains("company__legal_name", word))
    if f.status:
        qs = qs.filter(status__in=f.status)
    if f.owner:
        qs = qs.filter(owner_id__in=f.owner)
    if f.team:
        qs = qs.filter(team_id__in=f.team)
    if f.contract_type:
        qs = qs.filter(contract_type_id__in=f.contract_type)
    if f.company:
        qs = qs.filter(company_id=f.company)
    if f.ending_within is not None:
        qs = qs.filter(status__in=IN_FORCE, end_date__gte=today,
                       end_date__lte=today + dt.timedelta(days=f.ending_within))
    if f.to_renew:
        qs = qs.filter(renew_q(today))
    return qs


def contract_list(*, user, filters: ContractFilters | None = None) -> QuerySet[Contract]:
    return contract_filter(contract_queryset(user=user), filters or ContractFilters())


def contract_page(*, user, filters: ContractFilters | None = None, sort: str = "updated",
                  cursor: str | None = None, size: int = 50) -> Page:
    """One page of the contracts the user may see: a fixed number of queries whatever its size."""
    field_name, descending = CONTRACT_SORTS.get(sort, CONTRACT_SORTS["updated"])
    qs = contract_list(user=user, filters=filters).select_related(
        "company", "contract_type", "owner", "team")
    return keyset_page(qs, field=field_name, descending=descending, cursor=cursor, size=size,
                       branches=contract_visible_branches(user))


def contract_count(*, user, filters: ContractFilters | None = None) -> tuple[int, bool]:
    return bounded_count(contract_list(user=user, filters=filters),
                         branches=contract_visible_branches(user))


# --- what hangs below a contract ---------------------------------------------------------------------

def version_list(*, contract: Contract) -> QuerySet[ContractVersion]:
    return contract.versions.select_related("created_by").order_by("number")


def version_get(*, contract: Contract, number) -> ContractVersion:
    try:
        return contract.versions.get(number=int(number))
    except (ContractVersion.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None


def document_list(*, contract: Contract) -> QuerySet[ContractDocument]:
    return (ContractDocument.objects.filter(contract=contract)
            .select_related("kind", "created_by").order_by("kind__position", "kind__name",
                                                           "-created_at", "-id"))


def document_deleted_list(*, contract: Contract) -> QuerySet[ContractDocument]:
    return (ContractDocument.all_objects.filter(contract=contract, deleted_at__isnull=False)
            .select_related("kind", "deleted_by").order_by("-deleted_at", "-id"))


def _document_get(manager, *, user, pk) -> ContractDocument:
    full = Contract.objects.filter(contract_full_q(user)).values("pk")
    queryset = manager.filter(contract__in=full).select_related(
        "contract", "contract__company", "kind")
    try:
        return queryset.get(pk=int(pk))
    except (ContractDocument.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None


def document_get(*, user, pk) -> ContractDocument:
    """A live document of a contract the user reads in full, or NotFound."""
    return _document_get(ContractDocument.objects, user=user, pk=pk)


def document_get_deleted(*, user, pk) -> ContractDocument:
    return _document_get(ContractDocument.all_objects.filter(deleted_at__isnull=False),
                         user=user, pk=pk)


@dataclass(frozen=True)
class ChecklistItem:
    kind: DocumentKind
    documents: int  # live documents of this kind

    @property
    def present(self) -> bool:
        return self.documents > 0


@dataclass(frozen=True)
class Checklist:
    items: list[ChecklistItem]

    @property
    def complete(self) -> bool:
        """Every document the contract's type requires is there (true when none is required)."""
        return all(item.present for item in self.items)

    @property
    def missing(self) -> list[DocumentKind]:
        return [item.kind for item in self.items if not item.present]


def checklist(contract: Contract) -> Checklist:
    """The required documents of the contract's type, each present or missing: two queries.
    A document kind that was deactivated is no longer required (nobody can upload it)."""
    required = list(contract.contract_type.required_documents.filter(active=True)
                    .order_by("position", "name"))
    counts: dict[int, int] = {}
    for kind_id in (ContractDocument.objects.filter(contract=contract,
                                                   kind_id__in=[k.pk for k in required])
                    .values_list("kind_id", flat=True)):
        counts[kind_id] = counts.get(kind_id, 0) + 1
    return Checklist([ChecklistItem(kind, counts.get(kind.pk, 0)) for kind in required])


def checklists_of(contracts: list[Contract]) -> dict[int, Checklist]:
    """The checklist of each contract of a page: two queries whatever the number of contracts."""
    if not contracts:
        return {}
    type_ids = {c.contract_type_id for c in contracts}
    required: dict[int, list[DocumentKind]] = {pk: [] for pk in type_ids}
    through = ContractType.required_documents.through
    kinds = {k.pk: k for k in DocumentKind.objects.filter(
        active=True,
        pk__in=through.objects.filter(contracttype_id__in=type_ids).values("documentkind_id"))}
    for type_id, kind_id in (through.objects.filter(contracttype_id__in=type_ids)
                             .values_list("contracttype_id", "documentkind_id")):
        if kind_id in kinds:
            required[type_id].append(kinds[kind_id])
    counts: dict[tuple[int, int], int] = {}
    for pair in (ContractDocument.objects.filter(contract__in=[c.pk for c in contracts])
                 .values_list("contract_id", "kind_id")):
        counts[pair] = counts.get(pair, 0) + 1
    return {c.pk: Checklist([ChecklistItem(k, counts.get((c.pk, k.pk), 0)) for k in sorted(
        required[c.contract_type_id], key=lambda k: (k.position, k.name))]) for c in contracts}


def pricing_condition_list(*, contract: Contract) -> QuerySet[PricingRule]:
    return (PricingRule.objects.filter(contract=contract)
            .select_related("product", "line", "category").order_by("pk"))


def pricing_condition_get(*, user, pk) -> PricingRule:
    """A pricing condition of a contract the user reads in full, or NotFound."""
    try:
        return (PricingRule.objects.select_related("contract", "contract__company")
                .get(pk=int(pk), contract__in=Contract.objects.filter(contract_full_q(user))
                     .values("pk")))
    except (PricingRule.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None


def referral_list(*, contract: Contract, user=None) -> list[ReferralClause]:
    """The contract's referral clauses. With `user`, each says whether the user may see who
    referred (`referrer_company_shown`, `referrer_contact_shown`): a referrer they may not see
    is shown as "—", never by name. Three queries whatever the number of clauses."""
    clauses = list(ReferralClause.objects.filter(contract=contract)
                   .select_related("referrer_company", "referrer_contact").order_by("pk"))
    mark_referrers(clauses, user)
    return clauses


def mark_referrers(clauses: list[ReferralClause], user) -> None:
    from partnera.clients.models import Company, Contact

    companies = {c.referrer_company_id for c in clauses if c.referrer_company_id}
    contacts = {c.referrer_contact_id for c in clauses if c.referrer_contact_id}
    seen_companies: set[int] = set()
    seen_contacts: set[int] = set()
    if user is not None and companies:
        seen_companies = set(Company.objects.filter(visible_q(user), pk__in=companies)
                             .values_list("pk", flat=True))
    if user is not None and contacts:
        seen_contacts = set(Contact.objects.filter(
            visible_q(user, root="company__"), company__deleted_at__isnull=True, pk__in=contacts)
            .values_list("pk", flat=True))
    for clause in clauses:
        clause.referrer_company_shown = (  # type: ignore[attr-defined]
            clause.referrer_company_id in seen_companies)
        clause.referrer_contact_shown = (  # type: ignore[attr-defined]
            clause.referrer_contact_id in seen_contacts)


def referral_get(*, user, pk) -> ReferralClause:
    """A referral clause of a contract the user reads in full, or NotFound."""
    try:
        clause = (ReferralClause.objects.select_related("contract", "contract__company",
                                                        "referrer_company", "referrer_contact")
                  .get(pk=int(pk), contract__in=Contract.objects.filter(contract_full_q(user))
                       .values("pk")))
    except (ReferralClause.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None
    mark_referrers([clause], user)
    return clause


# --- obligations -------------------------------------------------------------------------------------

def obligation_list(*, contract: Contract, user=None) -> QuerySet[Obligation]:
    """The contract's obligations; with `user` reading the contract only in part, only theirs
    and their department's."""
    qs = (Obligation.objects.filter(contract=contract)
          .select_related("owner", "department", "done_by").order_by("due_date", "pk"))
    if user is not None and contract_sections_for(user, contract).limited:
        qs = qs.filter(assigned_q(user))
    return qs


def obligation_get(*, user, pk) -> Obligation:
    """An obligation of a contract the user may see, or NotFound; a department member who reads
    the contract only in part gets only theirs and their department's."""
    visible = contract_queryset(user=user).values("pk")
    qs = Obligation.objects.filter(contract__in=visible)
    if is_department_member(user):
        full = Contract.objects.filter(contract_full_q(user)).values("pk")
        qs = qs.filter(Q(contract__in=full) | assigned_q(user))
    try:
        return (qs.select_related("contract", "contract__company", "owner", "department")
                .get(pk=int(pk)))
    except (Obligation.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None


def assigned_q(user) -> Q:
    """Obligations the user answers for: their own, and their department's."""
    q = Q(owner_id=user.pk)
    if getattr(user, "department_id", None):
        q |= Q(department_id=user.department_id)
    return q


OBLIGATION_SCOPES = ("mine", "all")


def obligations_of(*, user, scope: str = "mine", status: str = ObligationStatus.OPEN,
                   due_before: dt.date | None = None) -> QuerySet[Obligation]:
    """Obligations of live contracts the user may see: `mine` (assigned to them or their
    department) or `all`, with a status (or every one for ""), due up to a day."""
    qs = Obligation.objects.filter(contract__in=contract_queryset(user=user).values("pk"))
    if scope != "all":
        qs = qs.filter(assigned_q(user))
    if status:
        qs = qs.filter(status=status)
    if due_before is not None:
        qs = qs.filter(due_date__lte=due_before)
    return qs.select_related("contract", "contract__company", "owner", "department").order_by(
        "due_date", "pk")


def may_see_all_obligations(user) -> bool:
    return bool(user.is_authenticated and user.role != Role.DEPARTMENT)


# --- settings ----------------------------------------------------------------------------------------

def contract_type_list(*, include_inactive: bool = False) -> QuerySet[ContractType]:
    types = ContractType.objects.prefetch_related("required_documents")
    return types if include_inactive else types.filter(active=True)


def contract_type_get(*, pk, include_inactive: bool = True) -> ContractType:
    try:
        return contract_type_list(include_inactive=include_inactive).get(pk=int(pk))
    except (ContractType.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None


def document_kind_list(*, include_inactive: bool = False) -> QuerySet[DocumentKind]:
    kinds = DocumentKind.objects.all()
    return kinds if include_inactive else kinds.filter(active=True)


def document_kind_get(*, pk, include_inactive: bool = True) -> DocumentKind:
    try:
        return document_kind_list(include_inactive=include_inactive).get(pk=int(pk))
    except (DocumentKind.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None
