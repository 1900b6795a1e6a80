"""What a new installation starts with: the kinds of contract documents and three contract types
(supply, framework, service), each with the documents it needs and a contract text template.

Names and texts are stored in the installation's language (they are data an administrator
renames and rewrites, not interface text). Template placeholders are listed in
partnera.contracts.pdf.PLACEHOLDERS; the contract PDF fills them.
"""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

SIGNED_CONTRACT = pgettext_lazy("contracts seed", "Signed contract")
ANNEX = pgettext_lazy("contracts seed", "Annex")
HANDOVER_PROTOCOL = pgettext_lazy("contracts seed", "Handover protocol")
POWER_OF_ATTORNEY = pgettext_lazy("contracts seed", "Power of attorney")
PRICE_ANNEX = pgettext_lazy("contracts seed", "Price annex")

DOCUMENT_KINDS = [SIGNED_CONTRACT, ANNEX, HANDOVER_PROTOCOL, POWER_OF_ATTORNEY, PRICE_ANNEX]

SUPPLY_TEXT = pgettext_lazy("contracts seed", """\
1. Subject. {our_company} (the Supplier) supplies {client} (the Buyer) with the goods the Buyer \
orders under contract {number}, in the quantities and on the dates each order states.
2. Term. The contract is in force from {start_date} to {end_date}. Either party may end it by \
written notice of {notice_days} days.
3. Price and payment. The estimated value of the contract is {value} {currency} without VAT. \
The Buyer pays each invoice within {payment_days} days. {payment_terms}
4. Delivery. Ownership and risk pass to the Buyer on handover, confirmed by a signed delivery \
note.
5. Special conditions. {special_conditions}""")

FRAMEWORK_TEXT = pgettext_lazy("contracts seed", """\
1. Subject. This framework agreement {number} sets the terms on which {our_company} sells its \
products to {client} from {start_date} to {end_date}. Each order placed under it is a separate \
sale on these terms.
2. Prices. Prices are those of the price annex signed with this agreement; the special \
conditions below apply to every order.
3. Volume and value. The expected value over the term is {value} {currency} without VAT.
4. Payment. Invoices are paid within {payment_days} days. {payment_terms}
5. Notice. Either party may end the agreement by written notice of {notice_days} days.
6. Special conditions. {special_conditions}""")

SERVICE_TEXT = pgettext_lazy("contracts seed", """\
1. Subject. {our_company} (the Provider) provides {client} (the Client) with the services \
described in contract {number} and its annexes.
2. Term. The services are provided from {start_date} to {end_date}. Either party may end the \
contract by written notice of {notice_days} days.
3. Price and payment. The value of the services is {value} {currency} without VAT, invoiced as \
agreed and paid within {payment_days} days. {payment_terms}
4. Acceptance. Each completed service is accepted by a handover protocol signed by both parties.
5. Special conditions. {special_conditions}""")

# (name, required document kinds, template, default notice days)
CONTRACT_TYPES = [
    (pgettext_lazy("contracts seed", "Supply contract"), [SIGNED_CONTRACT], SUPPLY_TEXT, 30),
    (pgettext_lazy("contracts seed", "Framework agreement"), [SIGNED_CONTRACT, PRICE_ANNEX],
     FRAMEWORK_TEXT, 60),
    (pgettext_lazy("contracts seed", "Service contract"), [SIGNED_CONTRACT, HANDOVER_PROTOCOL],
     SERVICE_TEXT, 30),
]


def install_defaults(apps, language: str) -> None:
    """Create the document kinds and contract types once (a migration calls it with historical
    models; tests call it again after a flush)."""
    from django.utils import translation

    kind_model = apps.get_model("contracts", "DocumentKind")
    type_model = apps.get_model("contracts", "ContractType")
    with translation.override(language):
        if not kind_model.objects.exists():
            kind_model.objects.bulk_create([kind_model(name=str(name), position=position)
                                            for position, name in enumerate(DOCUMENT_KINDS)])
        if not type_model.objects.exists():
            kinds = {k.name: k for k in kind_model.objects.all()}
            for name, required, template, notice_days in CONTRACT_TYPES:
                contract_type = type_model.objects.create(
                    name=str(name), template=str(template), default_notice_days=notice_days)
                contract_type.required_documents.set(
                    [kinds[str(k)] for k in required if str(k) in kinds])
