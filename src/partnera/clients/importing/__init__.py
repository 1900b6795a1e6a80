"""Importing companies and contacts: what the client base registers with partnera.imports.

The import machinery (reading files, mapping columns, batches, progress, undo records) lives in
partnera.imports and knows nothing about companies. This module describes the two kinds — fields
with their Bulgarian and English header aliases, upsert keys, who may import — and does the
client-base part: cleaning a row with the same identifier rules as the services
(clients.identifiers), looking up existing records per batch with a few IN queries, and writing a
batch in bulk with what the services do on each write (search text, name key, audit entries,
search index, duplicate keys). The rules of the services hold: only records the importer may see
are matched, only records they may change are updated, confidential fields only for roles with
the right, owners only assigned by those who may assign them.

Upsert rules, in words a user reads in the dry run:
- companies are matched by the chosen key; "auto" takes the EIK when the row has one, else the
  VAT number, else the first e-mail, else the name and city;
- contacts are matched within their company: by e-mail, else by first and last name;
- a row whose key matches a record the importer may not see is refused as a conflict that does not
  name the record; a key matching several records is refused as ambiguous;
- empty cells never clear a stored value; phones, e-mails and tags are added to the stored ones.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from partnera.clients.importing.companies import CompanyImport, refresh_duplicate_pairs_task
from partnera.clients.importing.contacts import ContactImport
from partnera.clients.importing.fields import (
    COMPANY_IMPORT_FIELDS,
    COMPANY_KEYS,
    CONTACT_IMPORT_FIELDS,
    CONTACT_KEYS,
    company_fields_for,
    may_import,
)
from partnera.clients.vcard import read_vcards
from partnera.imports.registry import ImportKind, register_import_kind, register_reader

__all__ = ["CompanyImport", "ContactImport", "refresh_duplicate_pairs_task", "register"]


def register() -> None:
    register_import_kind(ImportKind(
        name="companies", label=gettext_lazy("Companies"), fields=COMPANY_IMPORT_FIELDS,
        keys=COMPANY_KEYS,
        handler=CompanyImport, object_type="clients.company", may_import=may_import,
        fields_for=company_fields_for,
        help=gettext_lazy("One company per row. Existing companies are found by EIK, VAT "
                          "number, e-mail or name and city."),
    ))
    register_import_kind(ImportKind(
        name="contacts", label=gettext_lazy("Contacts"), fields=CONTACT_IMPORT_FIELDS,
        keys=CONTACT_KEYS,
        handler=ContactImport, object_type="clients.contact", may_import=may_import,
        required_any=(("first_name", "full_name"), ("company_eik", "company_name")),
        help=gettext_lazy("One person per row, with the EIK or the exact name of a company you "
                          "can see. Existing contacts of that company are found by e-mail, else "
                          "by name."),
    ))
    # vCards (Outlook, Google Contacts, phones) become contact rows keyed by field.
    register_reader("vcf", read_vcards, kinds={"contacts"})
