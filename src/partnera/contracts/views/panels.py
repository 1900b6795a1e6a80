"""The company page's "Contracts" panel (core.panels)."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When

from partnera.contracts import selectors
from partnera.contracts.models import ContractStatus
from partnera.contracts.permissions import may_create_contracts

PANEL_SIZE = 20
# In force first, then those being prepared, then the ended ones.
STATUS_ORDER = Case(
    When(status=ContractStatus.ACTIVE, then=Value(0)),
    When(status=ContractStatus.SIGNED, then=Value(1)),
    When(status=ContractStatus.NEGOTIATION, then=Value(2)),
    When(status=ContractStatus.DRAFT, then=Value(3)),
    default=Value(4), output_field=IntegerField())


def company_contracts_panel(*, user, record) -> dict | None:
    """The company's contracts the user may see; None for a user who neither sees one nor may
    make one (the panel is left out)."""
    contracts = list(selectors.contract_queryset(user=user).filter(company=record)
                     .select_related("contract_type", "owner")
                     .order_by(STATUS_ORDER, "-created_at", "-pk")[:PANEL_SIZE + 1])
    may_create = may_create_contracts(user) and record.deleted_at is None
    if not contracts and not may_create:
        return None
    hidden = selectors.hidden_value_ids(user, contracts)
    for contract in contracts:
        contract.value_hidden = contract.pk in hidden  # type: ignore[attr-defined]
    return {"company": record, "contracts": contracts[:PANEL_SIZE],
            "more": len(contracts) > PANEL_SIZE, "may_create": may_create}
