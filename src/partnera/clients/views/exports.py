"""Downloads of the client base: the filtered lists as CSV or XLSX, contacts as vCards.

The lists' filters are parsed exactly as the list pages parse them (the same forms), and the
exports read through the same selectors (clients.exports), so a download holds what the page
lists — every page of it — and nothing the user may not see.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from partnera.clients import exports, selectors
from partnera.clients.forms import ContactFilterForm
from partnera.clients.views.companies import company_filter_form
from partnera.core.errors import ValidationFailed
from partnera.core.spreadsheet import DIALECTS, CsvDialect, csv_dialect
from partnera.core.web import export_response, web_errors


def export_format(value: str | None, allowed: tuple[str, ...]) -> str:
    fmt = (value or "csv").lower()
    if fmt not in allowed:
        raise ValidationFailed(_("Choose one of these formats: %(formats)s.")
                               % {"formats": ", ".join(allowed)}, fields={"format": []})
    return fmt


def export_dialect(value: str | None) -> CsvDialect:
    """`sep=semicolon|comma`; by default what the user's language's Excel expects."""
    return csv_dialect(get_language(), value if value in DIALECTS else None)


@login_required
@require_GET
@web_errors
def company_export(request: HttpRequest) -> HttpResponseBase:
    fmt = export_format(request.GET.get("format"), exports.COMPANY_FORMATS)
    form = company_filter_form(request)
    export = exports.company_export(actor=request.user, filters=form.filters(), sort=form.sort_key(),
                                    fmt=fmt, dialect=export_dialect(request.GET.get("sep")))
    return export_response(export)


@login_required
@require_GET
@web_errors
def contact_export(request: HttpRequest) -> HttpResponseBase:
    fmt = export_format(request.GET.get("format"), exports.CONTACT_FORMATS)
    form = ContactFilterForm(request.GET)
    filters = form.filters()
    if filters.company:
        selectors.company_get(user=request.user, pk=filters.company)  # a hidden one is a 404
    export = exports.contact_export(actor=request.user, filters=filters, sort=form.sort_key(),
                                    fmt=fmt, dialect=export_dialect(request.GET.get("sep")))
    return export_response(export)


@login_required
@require_GET
@web_errors
def contact_vcard(request: HttpRequest, pk: int) -> HttpResponseBase:
    contact = selectors.contact_get(user=request.user, pk=pk)
    return export_response(exports.contact_vcard(actor=request.user, contact=contact))


@login_required
@require_GET
@web_errors
def company_contacts_vcard(request: HttpRequest, pk: int) -> HttpResponseBase:
    company = selectors.company_get(user=request.user, pk=pk)
    return export_response(exports.company_contacts_vcard(actor=request.user, company=company))
