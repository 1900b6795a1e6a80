"""A contract's documents: upload (checked like every file, partnera.core.uploads), soft delete and
restore, and the audited download."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnera.contracts.models import Contract, ContractDocument, DocumentKind
from partnera.contracts.services.common import (
    audit,
    lock,
    note_text,
    require_change,
    require_full,
)
from partnera.core import cleaning
from partnera.core.errors import NotFound, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.records import bump_version
from partnera.core.uploads import check_upload, sha256_of


def _kind(value: Any) -> DocumentKind:
    if isinstance(value, DocumentKind) and value.active:
        return value
    try:
        return DocumentKind.objects.get(pk=int(getattr(value, "pk", value)), active=True)
    except (DocumentKind.DoesNotExist, TypeError, ValueError, OverflowError):
        raise ValidationFailed(fields={"kind": [_("Choose a kind of document.")]}) from None


@transaction.atomic
def document_add(*, actor, contract: Contract, upload: UploadedFile | None, kind: Any,
                 description: Any = "", signed_on: Any = None) -> ContractDocument:
    """Store a document of the contract. Every problem is reported at once by field; a refused
    file is not stored."""
    require_change(actor, contract)
    errors: dict[str, list[str]] = {}
    name = content_type = ""
    if upload is None:
        errors["file"] = [_("Choose a file.")]
    else:
        try:
            name, content_type = check_upload(upload)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    try:
        document_kind = _kind(kind)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    try:
        text = note_text(description, field="description")
    except ValidationFailed as exc:
        errors.update(exc.fields)
    try:
        dated = cleaning.optional_date(signed_on)
    except ValidationError as exc:
        errors["signed_on"] = exc.messages
    if errors:
        raise ValidationFailed(fields=errors)
    assert upload is not None and upload.size is not None
    document = ContractDocument(
        contract=contract, kind=document_kind, created_by=actor, original_name=name,
        content_type=content_type, size=upload.size, sha256=sha256_of(upload),
        description=text, signed_on=dated, storage_key=secrets.token_hex(16))
    document.file.save(document.storage_key, upload, save=False)
    try:
        document.save()
    except Exception:
        document.file.delete(save=False)
        raise
    audit(actor, AuditEntry.Action.CREATE, document, contract,
          {"file": [None, name], "kind": [None, document_kind.name]},
          object_repr=f"{contract.number}: {name}")
    return document


@transaction.atomic
def document_delete(*, actor, document: ContractDocument) -> ContractDocument:
    """To the trash (its stored content is kept): the checklist counts it missing again. The
    contract's row is locked first, so it is never activated at the same moment without it."""
    contract = document.contract
    require_change(actor, contract)
    lock(contract)
    if not ContractDocument.objects.filter(pk=document.pk).exists():
        document.refresh_from_db()  # deleted meanwhile: nothing more to do
    if document.deleted_at is None:
        document.deleted_at = timezone.now()
        document.deleted_by = actor
        bump_version(document, expected_version=None, fields=["deleted_at", "deleted_by_id"])
        audit(actor, AuditEntry.Action.DELETE, document, contract,
              object_repr=f"{contract.number}: {document.original_name}")
    return document


@transaction.atomic
def document_restore(*, actor, document: ContractDocument) -> ContractDocument:
    contract = document.contract
    require_change(actor, contract)
    if document.deleted_at is not None:
        document.deleted_at = None
        document.deleted_by = None
        bump_version(document, expected_version=None, fields=["deleted_at", "deleted_by_id"])
        audit(actor, AuditEntry.Action.RESTORE, document, contract,
              object_repr=f"{contract.number}: {document.original_name}")
    return document


def document_open(*, actor, document: ContractDocument) -> File:
    """The stored file, opened for a download that is audited; NotFound when its content is
    missing (the page and the API answer 404 alike), and for whoever reads the contract only in
    part."""
    require_full(actor, document.contract)
    try:
        handle = document.file.open("rb")
    except OSError:
        raise NotFound() from None
    audit(actor, AuditEntry.Action.DOWNLOAD, document, document.contract,
          object_repr=f"{document.contract.number}: {document.original_name}")
    return handle


def contract_pdf_download(*, actor, contract: Contract) -> bytes:
    """The contract rendered as a PDF (contracts.pdf) for a download that is audited."""
    from partnera.contracts.pdf import contract_pdf

    require_full(actor, contract)
    content = contract_pdf(contract)
    audit(actor, AuditEntry.Action.DOWNLOAD, contract, contract, {"pdf": [None, contract.language]})
    return content
