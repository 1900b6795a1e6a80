"""/contracts: list, create (from scratch or from an accepted offer), read, change, status
transitions, versions and their differences, the checklist, the PDF, delete and restore."""

from __future__ import annotations

import io

from django.db.models import prefetch_related_objects
from django.http import HttpResponseBase
from ninja import Query, Status

from partnera.contracts import selectors, services
from partnera.contracts.api import router
from partnera.contracts.api.schemas import (
    ChecklistOut,
    ContractCreate,
    ContractListQuery,
    ContractOut,
    ContractPage,
    ContractUpdate,
    DiffOut,
    DiffQuery,
    TransitionIn,
    VersionOut,
    checklist_out,
    contract_out,
    user_ref,
)
from partnera.contracts.models import Contract
from partnera.contracts.pdf import pdf_filename
from partnera.contracts.services.lifecycle import allowed_transitions
from partnera.contracts.versions import versions_diff
from partnera.core.api import check_cursor
from partnera.core.web import download_response


def _out(user, contract: Contract) -> dict:
    return contract_out(contract, checklist=selectors.checklist(contract),
                        transitions=allowed_transitions(contract),
                        sections=selectors.contract_sections_for(user, contract))


def _fresh(user, pk: int) -> dict:
    return _out(user, selectors.contract_get(user=user, pk=pk))


def _filters(query: ContractListQuery) -> selectors.ContractFilters:
    return selectors.ContractFilters(
        q=" ".join(query.q.split()), status=list(query.status), owner=list(query.owner),
        team=list(query.team), contract_type=list(query.contract_type), company=query.company,
        ending_within=query.ending_within, to_renew=query.to_renew)


def _sections(user, contract: Contract, limited: set[int]) -> selectors.ContractSections:
    return selectors.contract_sections_for(user, contract) if contract.pk in limited \
        else selectors.FULL


@router.get("/contracts", response=ContractPage)
def list_contracts(request, query: Query[ContractListQuery]):
    """Contracts you can see, filtered as on the contract list, one keyset page at a time."""
    filters = _filters(query)
    page = selectors.contract_page(user=request.auth, filters=filters, sort=query.sort,
                                   cursor=check_cursor(query.cursor), size=query.limit)
    contracts = page.items
    prefetch_related_objects(contracts, "signatory", "offer", "deal")  # a query each, at most
    checklists = selectors.checklists_of(contracts)
    limited = selectors.limited_ids(request.auth, contracts)
    count, more = selectors.contract_count(user=request.auth, filters=filters)
    return {"items": [contract_out(c, checklist=checklists[c.pk],
                                   transitions=allowed_transitions(c),
                                   sections=_sections(request.auth, c, limited))
                      for c in contracts],
            "next_cursor": page.next_cursor, "count": count, "count_is_lower_bound": more}


@router.post("/contracts", response={201: ContractOut})
def create_contract(request, payload: ContractCreate):
    """Draft a contract for a client you can see, or from an accepted offer (`offer`): another
    status answers 400 `offer_not_accepted`; a second contract from one offer 409."""
    data = payload.model_dump(exclude_unset=True, exclude={"offer"})
    contract = services.contract_create(actor=request.auth, data=data, offer=payload.offer)
    return Status(201, _fresh(request.auth, contract.pk))


@router.get("/contracts/{contract_id}", response=ContractOut)
def get_contract(request, contract_id: int):
    return _fresh(request.auth, contract_id)


@router.patch("/contracts/{contract_id}", response=ContractOut)
def update_contract(request, contract_id: int, payload: ContractUpdate):
    """Change the fields you send. Every change of the terms is kept as a version; a signed
    contract's terms change only with `note` naming the annex (else 400 `terms_locked`)."""
    data = payload.model_dump(exclude_unset=True)
    version, note = data.pop("version"), data.pop("note", "")
    contract = selectors.contract_get(user=request.auth, pk=contract_id)
    services.contract_update(actor=request.auth, contract=contract, data=data,
                             expected_version=version, note=note)
    return _fresh(request.auth, contract.pk)


@router.delete("/contracts/{contract_id}", response={204: None})
def delete_contract(request, contract_id: int):
    """A draft or a contract in negotiation goes to the trash; a signed one answers 400."""
    contract = selectors.contract_get(user=request.auth, pk=contract_id)
    services.contract_delete(actor=request.auth, contract=contract)
    return Status(204, None)


@router.post("/contracts/{contract_id}/restore", response=ContractOut)
def restore_contract(request, contract_id: int):
    contract = selectors.contract_get_deleted(user=request.auth, pk=contract_id)
    services.contract_restore(actor=request.auth, contract=contract)
    return _fresh(request.auth, contract.pk)


@router.post("/contracts/{contract_id}/transition", response=ContractOut)
def transition_contract(request, contract_id: int, payload: TransitionIn):
    """Move the contract to `status`: draft → negotiation → signed → active → fulfilled,
    terminated or expired. Refused moves answer 400 `transition_refused` with what is missing
    (a signing date, a required document, an open obligation, a reason); nothing changes."""
    contract = selectors.contract_get(user=request.auth, pk=contract_id)
    services.contract_transition(actor=request.auth, contract=contract, status=payload.status,
                                 signed_on=payload.signed_on, ended_on=payload.ended_on,
                                 reason=payload.reason, expected_version=payload.version)
    return _fresh(request.auth, contract.pk)


@router.get("/contracts/{contract_id}/versions", response=list[VersionOut])
def list_versions(request, contract_id: int):
    """Every version of the terms, oldest first."""
    contract = selectors.contract_get_full(user=request.auth, pk=contract_id)
    return [{"number": v.number, "note": v.note, "terms": v.terms, "created_at": v.created_at,
             "created_by": user_ref(v.created_by)}
            for v in selectors.version_list(contract=contract)]


@router.get("/contracts/{contract_id}/diff", response=DiffOut)
def diff_versions(request, contract_id: int, query: Query[DiffQuery]):
    """What changed from one version of the terms to another, field by field (long texts also
    line by line)."""
    contract = selectors.contract_get_full(user=request.auth, pk=contract_id)
    older = selectors.version_get(contract=contract, number=query.from_version)
    newer = selectors.version_get(contract=contract, number=query.to_version)
    return {"from_version": older.number, "to_version": newer.number,
            "changes": [c.as_dict() for c in versions_diff(older, newer)]}


@router.get("/contracts/{contract_id}/checklist", response=ChecklistOut)
def contract_checklist(request, contract_id: int):
    """The documents the contract type requires, each present or missing."""
    contract = selectors.contract_get_full(user=request.auth, pk=contract_id)
    return checklist_out(selectors.checklist(contract))


@router.get("/contracts/{contract_id}/pdf", url_name="contract_pdf")
def contract_pdf(request, contract_id: int) -> HttpResponseBase:
    """The contract as a PDF in its language (the download is audited)."""
    contract = selectors.contract_get_full(user=request.auth, pk=contract_id)
    content = services.contract_pdf_download(actor=request.auth, contract=contract)
    return download_response(io.BytesIO(content), filename=pdf_filename(contract),
                             content_type="application/pdf")
