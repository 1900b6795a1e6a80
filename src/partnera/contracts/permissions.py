"""Who may do what with a contract. Reading follows the visibility rule (contracts.selectors);
these say who may write."""

from __future__ import annotations

from partnera.contracts.models import Contract, ContractStatus, Obligation
from partnera.core.roles import EDITOR_ROLES, Role
from partnera.core.visibility import can_change, can_delete, is_administrator

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
    """For a contract the user can see (the caller checked)."""
    return is_editor(user) and can_change(user, contract)


def may_delete_contract(user, contract: Contract) -> bool:
    return (is_editor(user) and contract.status in DELETABLE
            and (can_delete(user, contract) or can_change(user, contract)))


def may_settle_obligation(user, obligation: Obligation, contract: Contract) -> bool:
    """Completing or cancelling an obligation: whoever may change its contract, its responsible
    person, and the members of its department."""
    if may_change_contract(user, contract):
        return True
    if user is None or not user.is_authenticated:
        return False
    if obligation.owner_id == user.pk:
        return True
    return bool(obligation.department_id and user.role == Role.DEPARTMENT
                and obligation.department_id == getattr(user, "department_id", None))


def may_manage_settings(user) -> bool:
    return is_administrator(user)
