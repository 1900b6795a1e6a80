"""Contract documents: upload checked like every file (type, content, size), the checklist per
contract type, soft delete and restore, the audited download."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partnera.contracts import selectors, services
from partnera.contracts.models import ContractDocument
from partnera.contracts.tests.factories import ContractFactory, ContractTypeFactory, DocumentKindFactory
from partnera.contracts.tests.helpers import PDF_BYTES, pdf_upload, state, stored_files
from partnera.core.errors import PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def kinds():
    return DocumentKindFactory(name="Подписан договор", position=1), \
        DocumentKindFactory(name="Приемо-предавателен протокол", position=2)


def test_the_checklist_names_each_required_document_present_or_missing(manager, kinds):
    signed, protocol = kinds
    contract = ContractFactory(owner=manager, contract_type=ContractTypeFactory(
        required=[signed, protocol]))

    empty = selectors.checklist(contract)
    services.document_add(actor=manager, contract=contract, upload=pdf_upload(), kind=signed.pk)
    half = selectors.checklist(contract)
    services.document_add(actor=manager, contract=contract, upload=pdf_upload("протокол.pdf"),
                          kind=protocol.pk, description="Протокол за доставка", signed_on="2026-03-02")
    full = selectors.checklist(contract)

    assert [(i.kind.name, i.present) for i in empty.items] == [
        ("Подписан договор", False), ("Приемо-предавателен протокол", False)]
    assert not empty.complete and [k.name for k in half.missing] == ["Приемо-предавателен протокол"]
    assert full.complete and full.missing == []
    assert selectors.checklists_of([contract])[contract.pk].complete


def test_a_type_without_required_documents_is_always_complete(manager):
    contract = ContractFactory(owner=manager, contract_type=ContractTypeFactory())
    assert selectors.checklist(contract).complete


def test_an_upload_is_stored_under_a_random_name_with_its_checksum(manager, kinds):
    contract = ContractFactory(owner=manager)

    document = services.document_add(actor=manager, contract=contract,
                                      upload=pdf_upload("../../etc/договор.pdf"), kind=kinds[0].pk)

    assert document.original_name == "договор.pdf"
    assert document.content_type == "application/pdf" and document.size == len(PDF_BYTES)
    assert document.file.name == f"contracts/{contract.pk}/{document.storage_key}"
    assert [name for name, _sum in stored_files()] == [document.file.name]
    entry = AuditEntry.objects.get(object_type="contracts.contractdocument")
    assert entry.company_id == contract.company_id and entry.changes["file"] == [None, "договор.pdf"]


@pytest.mark.parametrize(("upload", "field"), [
    (SimpleUploadedFile("virus.exe", b"MZ\x90\x00", content_type="application/pdf"), "file"),
    (SimpleUploadedFile("fake.pdf", b"MZ\x90\x00not a pdf", content_type="application/pdf"), "file"),
    (SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf"), "file"),
    (SimpleUploadedFile("notes.txt", b"a\x00b", content_type="text/plain"), "file"),
    (None, "file"),
])
def test_bad_files_are_refused_and_nothing_is_stored(manager, kinds, upload, field):
    contract = ContractFactory(owner=manager)
    before = state()

    with pytest.raises(ValidationFailed) as refused:
        services.document_add(actor=manager, contract=contract, upload=upload, kind=kinds[0].pk)

    assert field in refused.value.fields
    assert state() == before


def test_a_file_over_the_limit_an_unknown_kind_and_a_bad_date_are_all_reported(manager, settings):
    settings.PARTNERA_MAX_UPLOAD_BYTES = 100
    contract = ContractFactory(owner=manager)
    inactive = DocumentKindFactory(active=False)
    before = state()

    with pytest.raises(ValidationFailed) as refused:
        services.document_add(actor=manager, contract=contract, upload=SimpleUploadedFile(
            "big.pdf", b"%PDF-" + b"x" * 200), kind=inactive.pk, signed_on="вчера",
            description="x" * 301)

    assert set(refused.value.fields) == {"file", "kind", "signed_on", "description"}
    assert refused.value.fields["file"] == ["The file is larger than 100\xa0bytes."]
    assert state() == before


def test_delete_restore_and_download_are_audited(manager, kinds):
    contract = ContractFactory(owner=manager)
    document = services.document_add(actor=manager, contract=contract, upload=pdf_upload(),
                                      kind=kinds[0].pk)

    with services.document_open(actor=manager, document=document) as handle:
        assert handle.read() == PDF_BYTES
    services.document_delete(actor=manager, document=document)
    assert not ContractDocument.objects.exists()
    services.document_restore(actor=manager, document=ContractDocument.all_objects.get())

    actions = list(AuditEntry.objects.filter(object_type="contracts.contractdocument")
                   .order_by("pk").values_list("action", flat=True))
    assert actions == ["create", "download", "delete", "restore"]
    assert stored_files()  # the content stayed while the document was in the trash


@pytest.mark.parametrize("role", [Role.MARKETING, Role.DEPARTMENT])
def test_readers_may_not_upload_or_delete(make_user, manager, kinds, role):
    reader = make_user(role)
    contract = ContractFactory(owner=manager)
    document = services.document_add(actor=manager, contract=contract, upload=pdf_upload(),
                                      kind=kinds[0].pk)
    if role == Role.DEPARTMENT:  # sees the contract through an obligation of its department
        from partnera.contracts.tests.factories import ObligationFactory

        ObligationFactory(contract=contract, department=reader.department)
    before = state()

    with pytest.raises(PermissionDenied):
        services.document_add(actor=reader, contract=contract, upload=pdf_upload(), kind=kinds[0].pk)
    with pytest.raises(PermissionDenied):
        services.document_delete(actor=reader, document=document)
    assert state() == before
