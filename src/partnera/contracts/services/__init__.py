"""Writes to contracts, one module per concern; every service is importable from here."""

from partnera.contracts.services.conditions import (
    pricing_condition_create,
    pricing_condition_delete,
    pricing_condition_update,
    referral_create,
    referral_delete,
    referral_update,
)
from partnera.contracts.services.contracts import (
    contract_create,
    contract_delete,
    contract_restore,
    contract_update,
    offer_for_contract,
    prefill_from_offer,
)
from partnera.contracts.services.documents import (
    contract_pdf_download,
    document_add,
    document_delete,
    document_open,
    document_restore,
)
from partnera.contracts.services.lifecycle import (
    allowed_transitions,
    contract_transition,
    contracts_expire_due,
)
from partnera.contracts.services.obligations import (
    obligation_cancel,
    obligation_complete,
    obligation_create,
    obligation_reopen,
    obligation_update,
)
from partnera.contracts.services.settings import (
    contract_type_create,
    contract_type_update,
    document_kind_create,
    document_kind_update,
)

__all__ = [
    "allowed_transitions", "contract_create", "contract_delete", "contract_pdf_download", "contract_restore",
    "contract_transition", "contract_type_create", "contract_type_update", "contract_update",
    "contracts_expire_due", "document_add", "document_delete", "document_kind_create",
    "document_kind_update", "document_open", "document_restore", "obligation_cancel",
    "obligation_complete", "obligation_create", "obligation_reopen", "obligation_update",
    "offer_for_contract", "prefill_from_offer", "pricing_condition_create",
    "pricing_condition_delete", "pricing_condition_update", "referral_create", "referral_delete",
    "referral_update",
]
