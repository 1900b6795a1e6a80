"""/contract-types and /document-kinds: read by everyone, changed by administrators (403)."""

from __future__ import annotations

from ninja import Query, Status

from partnera.contracts import selectors, services
from partnera.contracts.api import router
from partnera.contracts.api.schemas import (
    ContractTypeIn,
    ContractTypeOut,
    ContractTypeUpdate,
    DocumentKindIn,
    DocumentKindOut,
    DocumentKindUpdate,
    SettingsQuery,
    contract_type_out,
    document_kind_out,
)
from partnera.contracts.permissions import may_manage_settings
from partnera.core.errors import PermissionDenied


@router.get("/contract-types", response=list[ContractTypeOut])
def list_contract_types(request, query: Query[SettingsQuery]):
    """Contract types with the documents each requires and its text template."""
    include = query.include_inactive and may_manage_settings(request.auth)
    return [contract_type_out(t) for t in selectors.contract_type_list(include_inactive=include)]


@router.post("/contract-types", response={201: ContractTypeOut})
def create_contract_type(request, payload: ContractTypeIn):
    created = services.contract_type_create(actor=request.auth, data=payload.model_dump())
    return Status(201, contract_type_out(selectors.contract_type_get(pk=created.pk)))


@router.patch("/contract-types/{type_id}", response=ContractTypeOut)
def update_contract_type(request, type_id: int, payload: ContractTypeUpdate):
    if not may_manage_settings(request.auth):
        raise PermissionDenied()
    contract_type = selectors.contract_type_get(pk=type_id)
    services.contract_type_update(actor=request.auth, contract_type=contract_type,
                                  data=payload.model_dump(exclude_unset=True))
    return contract_type_out(selectors.contract_type_get(pk=contract_type.pk))


@router.get("/document-kinds", response=list[DocumentKindOut])
def list_document_kinds(request, query: Query[SettingsQuery]):
    include = query.include_inactive and may_manage_settings(request.auth)
    return [document_kind_out(k) for k in selectors.document_kind_list(include_inactive=include)]


@router.post("/document-kinds", response={201: DocumentKindOut})
def create_document_kind(request, payload: DocumentKindIn):
    kind = services.document_kind_create(actor=request.auth, data=payload.model_dump())
    return Status(201, document_kind_out(kind))


@router.patch("/document-kinds/{kind_id}", response=DocumentKindOut)
def update_document_kind(request, kind_id: int, payload: DocumentKindUpdate):
    if not may_manage_settings(request.auth):
        raise PermissionDenied()
    kind = selectors.document_kind_get(pk=kind_id)
    services.document_kind_update(actor=request.auth, kind=kind,
                                  data=payload.model_dump(exclude_unset=True))
    return document_kind_out(selectors.document_kind_get(pk=kind.pk))
