"""Who sees which contract, and how much of it: the contracts' visibility rule (on core.visibility)
and its read grants. contracts.selectors reads through them and re-exports every name here.

A contract is seen
- by the rule on its own owner and team (record type "contracts.contract");
- by the owner of its company (the account manager follows every contract of their client);
- by whoever is responsible for one of its obligations;
- by department members whose department one of its obligations is assigned to (the
  department rule registered in contracts.registry);
and only while its company is not in the trash. A hidden contract answers like a missing one.

Seeing a contract only through one of its obligations (as its responsible person or its
department) is a read grant, never a right to change the contract (contracts.permissions). A
department member who sees a contract only that way reads its header and the obligations of
their own (theirs or their department's) — finance also its value and payment terms — and
nothing else: its documents, PDF, versions, history, pricing conditions and referral clauses
answer 404 (`contract_sections_for`, `contract_full_q`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from django.db.models import Q

from partnera.contracts.models import Contract, Obligation
from partnera.core.models import RecordShare
from partnera.core.roles import DepartmentKind, Role
from partnera.core.visibility import LIVE_COMPANY, NOTHING, below_company_branches, grants_q, scope_for

RECORD_TYPE = "contracts.contract"


def department_rule(user, root: str, record_type: str) -> Q:
    """Department members see the contracts with an obligation assigned to their department
    (core.visibility.register_department_rule). Nothing for any other kind of record."""
    department_id = getattr(user, "department_id", None)
    if record_type != RECORD_TYPE or not department_id:
        return NOTHING
    contract_ids = Obligation.objects.filter(department_id=department_id).values("contract_id")
    return Q(**{f"{root[:-2] + '_id' if root else 'pk'}__in": contract_ids})


def _responsible_q(user_id: int) -> Q:
    return Q(pk__in=Obligation.objects.filter(owner_id=user_id).values("contract_id"))


def contract_visible_branches(user) -> list[Q] | None:
    """The grants of the contract rule, each walkable through its own index (None: all)."""
    return below_company_branches(user, record_type=RECORD_TYPE, extra=_responsible_q)


def contract_rule_q(user) -> Q:
    """The rule alone, whether or not the contract's company is in the trash."""
    return grants_q(contract_visible_branches(user))


def contract_visible_q(user) -> Q:
    rule = contract_rule_q(user)
    return NOTHING if rule is NOTHING else rule & LIVE_COMPANY


def _shared_ids(user) -> frozenset[int]:
    """Contracts shared with the user explicitly (memoised on the user for the request)."""
    cached = getattr(user, "_partnera_contract_shares", None)
    if cached is None:
        cached = frozenset(RecordShare.objects.filter(user_id=user.pk, record_type=RECORD_TYPE)
                           .values_list("record_id", flat=True))
        with contextlib.suppress(AttributeError):
            user._partnera_contract_shares = cached
    return cached


def holds_contract(user, contract: Contract) -> bool:
    """Does the user see the contract through the contract rule itself — all of them, as its
    owner, through its team or the team they head, as the client's account manager, or shared
    with them — rather than only through one of its obligations? No query but the user's shares
    (once per request)."""
    scope = scope_for(user)
    if scope.user_id is None:
        return False
    if scope.sees_all:
        return True
    uid = scope.user_id
    return bool(contract.owner_id == uid or contract.owner_id in scope.member_ids
                or contract.team_id in scope.team_ids
                or contract.company.owner_id == uid or contract.pk in _shared_ids(user))


def contract_holder_q(user) -> Q:
    """`holds_contract` as a filter (live companies only)."""
    scope = scope_for(user)
    if scope.user_id is None:
        return NOTHING
    if scope.sees_all:
        return LIVE_COMPANY
    uid = scope.user_id
    shared = RecordShare.objects.filter(user_id=uid, record_type=RECORD_TYPE).values("record_id")
    q = Q(owner_id=uid) | Q(company__owner_id=uid) | Q(pk__in=shared)
    if scope.team_ids:
        q |= Q(team_id__in=scope.team_ids)
    if scope.member_ids:
        q |= Q(owner_id__in=scope.member_ids)
    return q & LIVE_COMPANY


def is_department_member(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and not user.is_superuser
                and user.role == Role.DEPARTMENT)


@dataclass(frozen=True)
class ContractSections:
    """What of a contract the user may read (they see the contract)."""

    full: bool  # documents, the PDF, versions, history, pricing conditions, referral clauses
    money: bool  # the value and the payment terms

    @property
    def limited(self) -> bool:
        return not self.full


FULL = ContractSections(full=True, money=True)


def contract_sections_for(user, contract: Contract) -> ContractSections:
    """Everything, except for a department member who sees the contract only through an
    obligation: the header and their obligations, and for finance the value and payment terms."""
    if not is_department_member(user) or holds_contract(user, contract):
        return FULL
    department = getattr(user, "department", None)
    return ContractSections(full=False, money=bool(
        department is not None and department.kind == DepartmentKind.FINANCE))


def contract_full_q(user) -> Q:
    """Contracts the user reads in full (`contract_sections_for(...).full`), as a filter."""
    return contract_holder_q(user) if is_department_member(user) else contract_visible_q(user)


def limited_ids(user, contracts: list[Contract]) -> set[int]:
    """Those of `contracts` the user reads only in part (one query for a department member,
    none otherwise)."""
    if not is_department_member(user) or not contracts:
        return set()
    ids = {c.pk for c in contracts}
    full = set(Contract.all_objects.filter(contract_holder_q(user), pk__in=ids)
               .values_list("pk", flat=True))
    return ids - full


def hidden_value_ids(user, contracts: list[Contract]) -> set[int]:
    """Those of `contracts` whose value the user may not read (limited, not finance)."""
    limited = limited_ids(user, contracts)
    department = getattr(user, "department", None) if limited else None
    if department is not None and department.kind == DepartmentKind.FINANCE:
        return set()
    return limited
