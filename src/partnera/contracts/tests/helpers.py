"""Shared test helpers: a comparable picture of everything contracts store (to assert that a
refused write changed nothing), files to upload, and contracts in a given status."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from partnera.catalog.models import PricingRule
from partnera.contracts.models import (
    Contract,
    ContractDocument,
    ContractType,
    ContractVersion,
    DocumentKind,
    Obligation,
    ReferralClause,
)
from partnera.core.models import AuditEntry, NumberSequence

PDF_BYTES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
             b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def pdf_upload(name: str = "договор-подписан.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def stored_files() -> list[tuple[str, str]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return []
    return sorted((str(p.relative_to(root)), hashlib.sha256(p.read_bytes()).hexdigest())
                  for p in root.rglob("*") if p.is_file())


def state() -> dict:
    """Every row contracts keep (deleted ones too), the pricing rules, the number series, the
    stored files and the number of audit entries except refused reads."""
    return {
        "contracts": list(Contract.all_objects.order_by("pk").values()),
        "versions": list(ContractVersion.objects.order_by("pk").values()),
        "documents": list(ContractDocument.all_objects.order_by("pk").values()),
        "obligations": list(Obligation.objects.order_by("pk").values()),
        "referrals": list(ReferralClause.objects.order_by("pk").values()),
        "rules": list(PricingRule.objects.order_by("pk").values()),
        "types": list(ContractType.objects.order_by("pk").values()),
        "type_documents": list(ContractType.required_documents.through.objects.order_by("pk")
                               .values()),
        "kinds": list(DocumentKind.objects.order_by("pk").values()),
        "sequences": list(NumberSequence.objects.order_by("pk").values()),
        "files": stored_files(),
        "audit": AuditEntry.objects.exclude(action=AuditEntry.Action.ACCESS_DENIED).count(),
    }
