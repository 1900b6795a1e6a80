"""The offer as a PDF document in its own language (Bulgarian or English), through WeasyPrint
(core.pdf): our company's logo and details (core.organisation), the client, the addressee, the
number and version, the dates, the lines, the VAT groups and the totals, the terms.

The amounts are the stored ones (priced and rounded by the pricing engine), so the PDF shows to
the cent what the page and the API show."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from partnera.core.audit import audit_record
from partnera.core.models import AuditEntry
from partnera.core.organisation import logo_data_url, organisation_get
from partnera.core.pdf import render_pdf
from partnera.sales.models import Offer, OfferLine
from partnera.sales.offers.common import require_visible
from partnera.sales.offers.selectors import offer_lines

TEMPLATE = "sales/pdf/offer.html"


@dataclass
class VatGroup:
    rate: Decimal
    base: Decimal
    vat: Decimal


def discount_percent(line: OfferLine) -> Decimal:
    """The whole reduction from the list price, in percent (as the pricing engine computes it)."""
    if not line.list_price:
        return Decimal("0")
    return ((line.list_price - line.unit_price) / line.list_price * 100).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP)


def vat_groups(lines: list[OfferLine]) -> list[VatGroup]:
    """The VAT base and VAT per rate: the sums of the rounded lines (as the totals are)."""
    groups: dict[Decimal, VatGroup] = {}
    for line in lines:
        group = groups.setdefault(line.vat_rate, VatGroup(line.vat_rate, Decimal("0"), Decimal("0")))
        group.base += line.net_amount
        group.vat += line.vat_amount
    return sorted(groups.values(), key=lambda g: -g.rate)


def filename(offer: Offer) -> str:
    return f"{offer.reference}-v{offer.version_number}.pdf"


def document_context(offer: Offer) -> dict:
    language = offer.language
    profile = organisation_get()
    lines = offer_lines(offer)
    english = language == "en"
    company = offer.company
    return {
        "offer": offer,
        "language": language,
        "us": {
            "name": (profile.legal_name_en if english and profile.legal_name_en else profile.legal_name)
            or profile.name,
            "trading_name": profile.name,
            "address": (profile.address_en if english and profile.address_en else profile.address),
            "eik": profile.eik, "vat_number": profile.vat_number, "phone": profile.phone,
            "email": profile.email, "website": profile.website, "bank": profile.bank,
            "iban": profile.iban, "representative": profile.representative,
        },
        "logo": logo_data_url(profile),
        "client": {
            "name": company.legal_name, "eik": company.eik, "vat_number": company.vat_number,
            "address": company.registered_address or company.postal_address or company.city,
        },
        "contact": offer.contact,
        "issued": timezone.localdate(offer.sent_at or offer.created_at),
        "rows": [{"line": line, "name": line.product.name_in(language),
                  "discount": discount_percent(line)} for line in lines],
        "vat_groups": vat_groups(lines),
        "has_discounts": any(line.unit_price < line.list_price for line in lines),
    }


def render_offer_pdf(offer: Offer) -> bytes:
    return render_pdf(template_name=TEMPLATE, context=document_context(offer), language=offer.language)


def offer_pdf(*, actor, offer: Offer) -> tuple[str, bytes]:
    """The offer's PDF for a user who can see it (else NotFound), with its file name; the
    download is written to the audit log.

    Rendering takes seconds for a long offer: it runs outside any transaction (on SQLite a
    write transaction would hold the database's one write lock, and every other writer would
    wait); only the audit entry is written, in a short transaction of its own."""
    require_visible(actor, offer)
    offer = Offer.objects.select_related("company", "contact", "owner", "deal").get(pk=offer.pk)
    content = render_offer_pdf(offer)
    with transaction.atomic():
        audit_record(actor=actor, action=AuditEntry.Action.DOWNLOAD, obj=offer,
                     company_id=offer.company_id, changes={"file": filename(offer)})
    return filename(offer), content
