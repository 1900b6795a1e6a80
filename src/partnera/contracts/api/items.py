"""What hangs below a contract: documents (multipart upload, audited download, soft delete and
restore), obligations, pricing conditions and referral clauses.

A department member who sees a contract only through an obligation reads its obligations (theirs
and their department's) here, and gets 404 for its documents, conditions and referrals."""

from __future__ import annotations

from ninja import File, Form, Query, Status
from ninja.files import UploadedFile

from partnera.contracts import selectors, services
from partnera.contracts.api import router
from partnera.contracts.api.schemas import (
    ConditionDeleteQuery,
    ConditionIn,
    ConditionOut,
    ConditionUpdate,
    DocumentOut,
    DocumentQuery,
    ObligationIn,
    ObligationOut,
    ObligationQuery,
    ObligationUpdate,
    ReferralIn,
    ReferralOut,
    ReferralUpdate,
    condition_out,
    document_out,
    obligation_out,
    referral_out,
)
from partnera.core.web import download_response

# --- documents -----------------------------------------------------------------------------------


@router.get("/contracts/{contract_id}/documents", response=list[DocumentOut])
def list_documents(request, contract_id: int, query: Query[DocumentQuery]):
    """The contract's documents by kind (`deleted=true`: those in the trash)."""
    contract = selectors.contract_get_full(user=request.auth, pk=contract_id)
    documents = (selectors.document_deleted_list(contract=contract) if query.deleted
                 else selectors.document_list(contract=contract))
    return [document_out(d) for d in documents.select_related("created_by")[:500]]


@router.post("/contracts/{contract_id}/documents", response={201: DocumentOut})
def upload_document(request, contract_id: int, file: File[UploadedFile], kind: Form[int],
                    description: Form[str] = "", signed_on: Form[str] = ""):
    """Upload a document (multipart/form-data: `file`, `kind` from GET /document-kinds,
    optional `description` and `signed_on` YYYY-MM-DD). PDF, images and office files whose
    content matches their extension, up to the size limit; a refused file is not stored."""
    contract = selectors.contract_get_full(user=request.auth, pk=contract_id)
    document = services.document_add(actor=request.auth, contract=contract, upload=file,
                                      kind=kind, description=description, signed_on=signed_on)
    return Status(201, document_out(document))


@router.get("/contract-documents/{document_id}", response=DocumentOut)
def get_document(request, document_id: int):
    return document_out(selectors.document_get(user=request.auth, pk=document_id))


@router.get("/contract-documents/{document_id}/download", url_name="download_contract_document")
def download_document(request, document_id: int):
    """The file itself (the download is audited)."""
    document = selectors.document_get(user=request.auth, pk=document_id)
    handle = services.document_open(actor=request.auth, document=document)
    return download_response(handle, filename=document.original_name,
                             content_type=document.content_type)


@router.delete("/contract-documents/{document_id}", response={204: None})
def delete_document(request, document_id: int):
    document = selectors.document_get(user=request.auth, pk=document_id)
    services.document_delete(actor=request.auth, document=document)
    return Status(204, None)


@router.post("/contract-documents/{document_id}/restore", response=DocumentOut)
def restore_document(request, document_id: int):
    document = selectors.document_get_deleted(user=request.auth, pk=document_id)
    return document_out(services.document_restore(actor=request.auth, document=document))


# --- obligations ---------------------------------------------------------------------------------

@router.get("/contracts/{contract_id}/obligations", response=list[ObligationOut])
def list_contract_obligations(request, contract_id: int):
    contract = selectors.contract_get(user=request.auth, pk=contract_id)
    return [obligation_out(o) for o in selectors.obligation_list(contract=contract,
                                                                  user=request.auth)
            .select_related("contract")]


@router.post("/contracts/{contract_id}/obligations", response={201: ObligationOut})
def create_obligation(request, contract_id: int, payload: ObligationIn):
    contract = selectors.contract_get(user=request.auth, pk=contract_id)
    obligation = services.obligation_create(actor=request.auth, contract=contract,
                                            data=payload.model_dump())
    return Status(201, obligation_out(selectors.obligation_get(user=request.auth,
                                                               pk=obligation.pk)))


@router.get("/contract-obligations", response=list[ObligationOut])
def list_obligations(request, query: Query[ObligationQuery]):
    """Obligations of contracts you see: yours and your department's (`scope=mine`), or all."""
    status = "" if query.status == "all" else query.status
    scope = query.scope if selectors.may_see_all_obligations(request.auth) else "mine"
    qs = selectors.obligations_of(user=request.auth, scope=scope, status=status,
                                  due_before=query.due_before).select_related("done_by")
    return [obligation_out(o) for o in qs[: query.limit]]


@router.patch("/contract-obligations/{obligation_id}", response=ObligationOut)
def update_obligation(request, obligation_id: int, payload: ObligationUpdate):
    obligation = selectors.obligation_get(user=request.auth, pk=obligation_id)
    services.obligation_update(actor=request.auth, obligation=obligation,
                               data=payload.model_dump(exclude_unset=True))
    return obligation_out(selectors.obligation_get(user=request.auth, pk=obligation.pk))


def _settle(request, obligation_id: int, action) -> dict:
    obligation = selectors.obligation_get(user=request.auth, pk=obligation_id)
    action(actor=request.auth, obligation=obligation)
    return obligation_out(selectors.obligation_get(user=request.auth, pk=obligation.pk))


@router.post("/contract-obligations/{obligation_id}/complete", response=ObligationOut)
def complete_obligation(request, obligation_id: int):
    """Done: by whoever may change the contract, the responsible person or their department."""
    return _settle(request, obligation_id, services.obligation_complete)


@router.post("/contract-obligations/{obligation_id}/cancel", response=ObligationOut)
def cancel_obligation(request, obligation_id: int):
    return _settle(request, obligation_id, services.obligation_cancel)


@router.post("/contract-obligations/{obligation_id}/reopen", response=ObligationOut)
def reopen_obligation(request, obligation_id: int):
    return _settle(request, obligation_id, services.obligation_reopen)


# --- pricing conditions --------------------------------------------------------------------------

@router.get("/contracts/{contract_id}/pricing-conditions", response=list[ConditionOut])
def list_conditions(request, contract_id: int):
    """The contract's special conditions for its client; `active` while the contract is signed
    or active (the pricing engine applies them then)."""
    contract = selectors.contract_get_full(user=request.auth, pk=contract_id)
    return [condition_out(r) for r in selectors.pricing_condition_list(contract=contract)]


@router.post("/contracts/{contract_id}/pricing-conditions", response={201: ConditionOut})
def create_condition(request, contract_id: int, payload: ConditionIn):
    """Add a condition. Beyond the pricing policy's discount limit only the head of sales over
    the contract or an administrator may (else 403 `approval_required`, naming them); on a
    signed or active contract `note` must name the annex (else 400 `terms_locked`)."""
    contract = selectors.contract_get_full(user=request.auth, pk=contract_id)
    rule = services.pricing_condition_create(actor=request.auth, contract=contract,
                                             data=payload.model_dump(exclude={"note"}),
                                             note=payload.note)
    return Status(201, condition_out(selectors.pricing_condition_get(user=request.auth,
                                                                     pk=rule.pk)))


@router.patch("/contract-pricing-conditions/{condition_id}", response=ConditionOut)
def update_condition(request, condition_id: int, payload: ConditionUpdate):
    """Change a condition, under the same rules as adding one."""
    rule = selectors.pricing_condition_get(user=request.auth, pk=condition_id)
    services.pricing_condition_update(actor=request.auth, rule=rule,
                                      data=payload.model_dump(exclude_unset=True,
                                                              exclude={"note"}),
                                      note=payload.note)
    return condition_out(selectors.pricing_condition_get(user=request.auth, pk=rule.pk))


@router.delete("/contract-pricing-conditions/{condition_id}", response={204: None})
def delete_condition(request, condition_id: int, query: Query[ConditionDeleteQuery]):
    """Remove a condition; on a signed or active contract `?note=` names the annex."""
    rule = selectors.pricing_condition_get(user=request.auth, pk=condition_id)
    services.pricing_condition_delete(actor=request.auth, rule=rule, note=query.note)
    return Status(204, None)


# --- referral clauses ----------------------------------------------------------------------------

@router.get("/contracts/{contract_id}/referrals", response=list[ReferralOut])
def list_referrals(request, contract_id: int):
    contract = selectors.contract_get_full(user=request.auth, pk=contract_id)
    return [referral_out(r) for r in selectors.referral_list(contract=contract, user=request.auth)]


@router.post("/contracts/{contract_id}/referrals", response={201: ReferralOut})
def create_referral(request, contract_id: int, payload: ReferralIn):
    """Who referred the client (a client or a contact you can see) and the agreed reward;
    marketing settles it."""
    contract = selectors.contract_get_full(user=request.auth, pk=contract_id)
    clause = services.referral_create(actor=request.auth, contract=contract,
                                      data=payload.model_dump())
    return Status(201, referral_out(selectors.referral_get(user=request.auth, pk=clause.pk)))


@router.patch("/contract-referrals/{referral_id}", response=ReferralOut)
def update_referral(request, referral_id: int, payload: ReferralUpdate):
    clause = selectors.referral_get(user=request.auth, pk=referral_id)
    services.referral_update(actor=request.auth, clause=clause,
                             data=payload.model_dump(exclude_unset=True))
    return referral_out(selectors.referral_get(user=request.auth, pk=clause.pk))


@router.delete("/contract-referrals/{referral_id}", response={204: None})
def delete_referral(request, referral_id: int):
    clause = selectors.referral_get(user=request.auth, pk=referral_id)
    services.referral_delete(actor=request.auth, clause=clause)
    return Status(204, None)
