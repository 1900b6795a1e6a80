"""REST API downloads of the client base (/api/v1/…): the filtered lists as CSV or XLSX, contacts
as vCards. They take exactly the list endpoints' filters (the same query schemas and the same
filter building), read through the same export service as the web pages, and are audited.
"""

from __future__ import annotations

from typing import Literal

from django.utils.translation import get_language
from ninja import Query, Router
from pydantic import Field

from partnera.clients import exports, selectors
from partnera.clients.api import (
    CompanyFilterQuery,
    ContactFilterQuery,
    company_filters,
    contact_filters,
)
from partnera.core.spreadsheet import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, csv_dialect
from partnera.core.web import export_response

router = Router()

VCARD = "text/vcard"
_SEP = Field(None, description="CSV delimiter: semicolon (with decimal commas, what Bulgarian Excel "
                               "reads) or comma. Default: by the language of the request.")


def _download(*types: str) -> dict:
    """OpenAPI: the 200 answer is a file download of these media types."""
    # The int key merges into the 200 answer django-ninja writes (a "200" string would add a second one).
    return {"responses": {200: {
        "description": "The file, as an attachment (streamed for CSV and vCard).",
        "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in types}}}}


class CompanyExportQuery(CompanyFilterQuery):
    format: Literal["csv", "xlsx"] = "csv"
    sep: Literal["semicolon", "comma"] | None = _SEP


class ContactExportQuery(ContactFilterQuery):
    format: Literal["csv", "xlsx", "vcf"] = "csv"
    sep: Literal["semicolon", "comma"] | None = _SEP


@router.get("/companies/export", tags=["companies"], url_name="export_companies",
            openapi_extra=_download(CSV_CONTENT_TYPE.split(";")[0], XLSX_CONTENT_TYPE))
def export_companies(request, query: Query[CompanyExportQuery]):
    """The companies you can see that match the list's filters, every page of them, as CSV or
    XLSX. Columns are the import fields; confidential ones only when you may see them."""
    export = exports.company_export(actor=request.auth, filters=company_filters(query),
                                    sort=query.sort, fmt=query.format,
                                    dialect=csv_dialect(get_language(), query.sep))
    return export_response(export)


@router.get("/contacts/export", tags=["contacts"], url_name="export_contacts",
            openapi_extra=_download(CSV_CONTENT_TYPE.split(";")[0], XLSX_CONTENT_TYPE, VCARD))
def export_contacts(request, query: Query[ContactExportQuery]):
    """The contacts you can see that match the list's filters, as CSV, XLSX or vCard 4.0."""
    if query.company:
        selectors.company_get(user=request.auth, pk=query.company)  # a hidden one is a 404
    export = exports.contact_export(actor=request.auth, filters=contact_filters(query),
                                    sort=query.sort, fmt=query.format,
                                    dialect=csv_dialect(get_language(), query.sep))
    return export_response(export)


@router.get("/contacts/{contact_id}/vcard", tags=["contacts"], url_name="contact_vcard",
            openapi_extra=_download(VCARD))
def contact_vcard(request, contact_id: int):
    """One contact as a vCard 4.0 (.vcf)."""
    contact = selectors.contact_get(user=request.auth, pk=contact_id)
    return export_response(exports.contact_vcard(actor=request.auth, contact=contact))


@router.get("/companies/{company_id}/vcard", tags=["companies"], url_name="company_contacts_vcard",
            openapi_extra=_download(VCARD))
def company_contacts_vcard(request, company_id: int):
    """The company's contacts (those you can see) as one .vcf file of vCards 4.0."""
    company = selectors.company_get(user=request.auth, pk=company_id)
    return export_response(exports.company_contacts_vcard(actor=request.auth, company=company))
