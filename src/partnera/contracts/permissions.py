"""Who may do what with a contract. Reading follows the visibility rule (contracts.selectors);
these say who may write."""

from __future__ import annotations

from partnera.contracts.models import Contract, ContractStatus, Obligation, ObligationStatus
from partnera.contracts.visibility import holds_contract
from partnera.core.roles import EDITOR_ROLES, Role
from partnera.core.visibility import can_change, can_delete, heads_record, is_administrator

# A draft or a contract in negotiation can be deleted (it never bound anyone); a signed one ends
# by termination, never by deletion.
DELETABLE = (ContractStatus.DRAFT, ContractStatus.NEGOTIATION)


def is_editor(user) -> bool:
    """The sales roles and administrators make and change contracts; marketing and department
    members read the ones they may see."""
    return bool(user is not None and user.is_authenticated
                and (user.is_superuser or user.role in EDITOR_ROLES))


def may_create_contracts(user) -> bool:
    return is_editor(user)


def may_change_contract(user, contract: Contract) -> bool:
    """For a contract the user can see (the caller checked): the sales roles and administrators,
    on a contract they see through the contract rule itself (owner, team, the team they head,
    the client's account manager, shared with them). Being responsible for one of its
    obligations lets one read the contract and complete that obligation — never change it."""
    return is_editor(user) and can_change(user, contract) and (
        is_administrator(user) or holds_contract(user, contract))


def may_delete_contract(user, contract: Contract) -> bool:
    return (contract.status in DELETABLE and may_change_contract(user, contract)
            and (can_delete(user, contract) or can_change(user, contract)))


def may_complete_obligation(user, obligation: Obligation, contract: Contract) -> bool:
    """Marking an obligation done (or undoing that): whoever may change its contract, its
    responsible person, and the members of its department."""
    if may_change_contract(user, contract):
        return True
    if user is None or not user.is_authenticated:
        return False
    if obligation.owner_id == user.pk:
        return True
    return bool(obligation.department_id and user.role == Role.DEPARTMENT
                and obligation.department_id == getattr(user, "department_id", None))


def may_settle_obligation(user, obligation: Obligation, contract: Contract, *,
                          status: str = ObligationStatus.DONE, current: str = "") -> bool:
    """Moving an obligation to `status` from `current`: completing it (and reopening one done)
    as `may_complete_obligation`; cancelling it, or reopening a cancelled one, changes what the
    contract requires and is for whoever may change the contract."""
    current = current or obligation.status
    if status == ObligationStatus.DONE or (status == ObligationStatus.OPEN
                                           and current == ObligationStatus.DONE):
        return may_complete_obligation(user, obligation, contract)
    return may_change_contract(user, contract)


def condition_approvers(contract: Contract) -> list:
    """The active heads of sales heading the contract's team or its owner's team."""
    from partnera.people.models import User

    teams = {contract.team_id}
    if contract.owner_id:
        teams.add(User.objects.filter(pk=contract.owner_id).values_list("team_id", flat=True)
                  .first())
    teams.discard(None)
    if not teams:
        return []
    return list(User.objects.filter(is_active=True, role=Role.HEAD_OF_SALES,
                                    headed_teams__in=teams).distinct().order_by("pk"))


def may_grant_beyond_limit(user, contract: Contract) -> bool:
    """May the user grant a pricing condition beyond the pricing policy's limit on the contract:
    an administrator, or a head of sales heading it (any head of sales when nobody heads it)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if is_administrator(user):
        return True
    if user.role != Role.HEAD_OF_SALES:
        return False
    return heads_record(user, contract) or not condition_approvers(contract)


def may_manage_settings(user) -> bool:
    return is_administrator(user)
