"""The contract as a PDF, in the contract's language: the parties (our company from the
organisation profile, the client), number, dates, value and payment terms, the contract type's
text with its placeholders filled, the pricing conditions and the obligations."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

from django.utils import formats, translation

from partnera.contracts import selectors
from partnera.contracts.models import Contract
from partnera.contracts.templating import fill
from partnera.core.models import OrganisationProfile
from partnera.core.pdf import render_pdf


def _day(value: dt.date | None) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else ""


def _money(value: Decimal | None) -> str:
    return formats.number_format(value, 2, force_grouping=True) if value is not None else ""


def organisation() -> OrganisationProfile:
    return OrganisationProfile.objects.order_by("pk").first() or OrganisationProfile()


def _ours(profile: OrganisationProfile, language: str) -> dict:
    english = language == "en"
    return {
        "name": (profile.legal_name_en if english and profile.legal_name_en else
                 profile.legal_name) or profile.name,
        "address": (profile.address_en if english and profile.address_en else profile.address),
        "eik": profile.eik, "vat_number": profile.vat_number, "phone": profile.phone,
        "email": profile.email, "website": profile.website, "bank": profile.bank,
        "iban": profile.iban, "representative": profile.representative,
        "logo": (f"data:{profile.logo_type};base64,{base64.b64encode(bytes(profile.logo)).decode()}"
                 if profile.logo and profile.logo_type.startswith("image/") else ""),
    }


def placeholder_values(contract: Contract, ours: dict) -> dict[str, str]:
    """What the type's template placeholders stand for, formatted in the active language."""
    company = contract.company
    return {
        "number": contract.number, "title": contract.title, "client": company.legal_name,
        "client_eik": company.eik, "client_address": company.registered_address,
        "signatory": str(contract.signatory) if contract.signatory else "",
        "our_company": ours["name"], "our_eik": ours["eik"], "our_address": ours["address"],
        "our_representative": ours["representative"],
        "start_date": _day(contract.start_date), "end_date": _day(contract.end_date),
        "notice_days": str(contract.notice_days), "value": _money(contract.value),
        "currency": contract.currency,
        "payment_days": "" if contract.payment_days is None else str(contract.payment_days),
        "payment_terms": contract.payment_terms, "special_conditions": contract.special_conditions,
        "signed_on": _day(contract.signed_on),
    }


def contract_pdf_context(contract: Contract) -> dict:
    """Read in the contract's language (the caller activates it)."""
    ours = _ours(organisation(), translation.get_language() or contract.language)
    text = fill(contract.contract_type.template, placeholder_values(contract, ours))
    conditions = list(selectors.pricing_condition_list(contract=contract))
    for rule in conditions:  # the product's name in the contract's language, for the table
        rule.product_label = (  # type: ignore[attr-defined]
            rule.product.name_in(contract.language) if rule.product else "")
    return {
        "contract": contract, "ours": ours, "client": contract.company,
        "paragraphs": [p for p in text.split("\n") if p.strip()],
        "conditions": conditions,
        "obligations": list(selectors.obligation_list(contract=contract).exclude(
            status="cancelled")),
        "value": _money(contract.value),
    }


def contract_pdf(contract: Contract) -> bytes:
    language = contract.language or "bg"
    with translation.override(language):
        context = contract_pdf_context(contract)
    return render_pdf(template_name="contracts/pdf/contract.html", context=context,
                      language=language)


def pdf_filename(contract: Contract) -> str:
    return f"contract-{contract.number}.pdf"
