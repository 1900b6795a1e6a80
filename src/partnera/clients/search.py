"""What the client base puts in the search index: the documents of companies and contacts.

A company is found by its name and legal form, EIK, VAT number, city, e-mails and phones; a
contact by their names, position, e-mails, phones and their company's name. Phones go in every
digit form a person types (+359 888 123 456 → 359888123456, 0888123456, 888123456). The services
keep the documents current (partnera.core.search.search_index_update) in their transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence

import phonenumbers

from partnera.clients.identifiers import phone_digits
from partnera.clients.models import Company, Contact, LegalForm
from partnera.core.search import DocumentSource, register_search_documents, search_document
from partnera.core.visibility import visible_branches

ROWS = 5000


def phone_forms(e164: str) -> list[str]:
    """The digit strings a stored number is found by: international, national (with the trunk
    0) and the national number alone. Bulgarian numbers (most of them) take a shortcut that
    gives what phonenumbers gives (tested), because a rebuild forms millions of them."""
    if e164.startswith("+359") and e164[4:].isdigit():
        national = e164[4:]
        return [e164[1:], "0" + national, national]
    forms = phone_digits(e164)
    with contextlib.suppress(phonenumbers.NumberParseException):
        forms.append(str(phonenumbers.parse(e164, None).national_number))
    return list(dict.fromkeys(forms))


def _phones(values: Iterable[str] | None) -> list[str]:
    return [form for phone in values or [] for form in phone_forms(phone)]


def _vat_forms(vat: str) -> list[str]:
    """BG175074752 is also found by 175074752 (a foreign VAT number may have no EIK beside it)."""
    return [vat, vat[2:]] if vat[:2].isalpha() else [vat]


def company_document(*, legal_name: str, legal_form: str, eik: str, vat_number: str, city: str,
                     emails: list[str], phones: list[str]) -> str:
    form = legal_form if legal_form and legal_form != LegalForm.FOREIGN else ""
    return search_document(legal_name, form, eik, _vat_forms(vat_number) if vat_number else "",
                           city, emails, _phones(phones))


def contact_document(*, first_name: str, last_name: str, position: str, emails: list[str],
                     phones: list[str], company_name: str) -> str:
    return search_document(first_name, last_name, position, emails, _phones(phones), company_name)


COMPANY_COLUMNS = ("pk", "legal_name", "legal_form", "eik", "vat_number", "city", "emails", "phones")
CONTACT_COLUMNS = ("pk", "first_name", "last_name", "position", "emails", "phones",
                   "company__legal_name")


def _rows(qs, columns: Sequence[str], ids: Sequence[int] | None) -> Iterator[tuple]:
    if ids is not None:
        return iter(qs.filter(pk__in=ids).values_list(*columns))
    # In no order: the database streams the join instead of walking an index row by row.
    return qs.order_by().values_list(*columns).iterator(chunk_size=ROWS)


def company_documents(ids: Sequence[int] | None) -> Iterator[tuple[int, str]]:
    for pk, name, form, eik, vat, city, emails, phones in _rows(Company.objects.all(),
                                                                 COMPANY_COLUMNS, ids):
        yield pk, company_document(legal_name=name, legal_form=form, eik=eik, vat_number=vat,
                                   city=city, emails=emails, phones=phones)


def contact_documents(ids: Sequence[int] | None) -> Iterator[tuple[int, str]]:
    live = Contact.objects.filter(company__deleted_at__isnull=True)
    for pk, first, last, position, emails, phones, company in _rows(live, CONTACT_COLUMNS, ids):
        yield pk, contact_document(first_name=first, last_name=last, position=position,
                                   emails=emails, phones=phones, company_name=company)


def companies_visible(user) -> list | None:
    branches = visible_branches(user)
    return None if branches is None else [Company.objects.filter(b) for b in branches]


def contacts_visible(user) -> list | None:
    branches = visible_branches(user, root="company__")
    if branches is None:
        return None
    live = Contact.objects.filter(company__deleted_at__isnull=True)
    return [live.filter(b) for b in branches]


def contacts_of_companies(company_ids: list[int]) -> Iterable[int]:
    """Contacts whose documents follow their company (its name; hidden while it is deleted)."""
    return Contact.all_objects.filter(company_id__in=company_ids).values_list("pk", flat=True)


def register() -> None:
    register_search_documents(DocumentSource(
        kind="company", documents=company_documents, visible=companies_visible))
    register_search_documents(DocumentSource(
        kind="contact", documents=contact_documents, visible=contacts_visible,
        follows={"company": contacts_of_companies}))
