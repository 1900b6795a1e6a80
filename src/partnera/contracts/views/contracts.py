"""Contract pages: the list with filters, the contract page, create (from scratch or from an
accepted offer) and edit forms, status actions, the PDF, delete, the trash and restore.

Thin: parse → selector/service → render. A contract the user may not see answers 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnera.clients import selectors as client_selectors
from partnera.clients.models import Company
from partnera.contracts import selectors, services
from partnera.contracts.forms import (
    CompanyChoiceForm,
    ContractFilterForm,
    ContractForm,
    TransitionForm,
)
from partnera.contracts.models import Contract, ContractStatus
from partnera.contracts.pdf import pdf_filename
from partnera.contracts.permissions import may_change_contract, may_create_contracts
from partnera.contracts.views.common import (
    active_users,
    contract_form_choices,
    detail_context,
    to_int,
)
from partnera.core.errors import PermissionDenied, ValidationFailed, VersionConflict
from partnera.core.pagination import keyset_page
from partnera.core.web import add_errors_to_form, download_response, web_errors

PAGE_SIZE = 50
FILTER_KEYS = {"q", "status", "owner", "contract_type", "ending", "to_renew", "sort", "company"}


# --- list ----------------------------------------------------------------------------------------

@login_required
@require_GET
@web_errors
def contract_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ContractFilterForm(request.GET, users=active_users(),
                              types=selectors.contract_type_list(include_inactive=True))
    filters, sort = form.filters(), form.sort_key()
    page = selectors.contract_page(user=user, filters=filters, sort=sort,
                                   cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    count, more = selectors.contract_count(user=user, filters=filters)
    hidden = selectors.hidden_value_ids(user, page.items)
    for contract in page.items:
        contract.value_hidden = contract.pk in hidden  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(request, "contracts/contract_list.html", {
        "form": form, "filters": filters, "page": page, "count": count, "count_more": more,
        "active_filters": filters.active_count(), "may_create": may_create_contracts(user),
        "current_query": query.urlencode(),
    })


# --- contract page -------------------------------------------------------------------------------

@login_required
@require_GET
@web_errors
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = selectors.contract_get(user=request.user, pk=pk)
    return render(request, "contracts/contract_detail.html", detail_context(request, contract))


@login_required
@require_POST
@web_errors
def contract_transition(request: HttpRequest, pk: int) -> HttpResponse:
    """A status action. Refused: the contract page again with what is missing (400), or the
    conflict when someone changed the contract meanwhile (409)."""
    user = request.user
    contract = selectors.contract_get(user=user, pk=pk)
    if not may_change_contract(user, contract):
        raise PermissionDenied()
    form = TransitionForm(request.POST)
    if not form.is_valid():
        error = ValidationFailed(fields={k: [str(m) for m in v] for k, v in form.errors.items()})
        return render(request, "contracts/contract_detail.html",
                      detail_context(request, contract, transition_form=form,
                                     transition_error=error), status=400)
    data = form.cleaned_data
    try:
        services.contract_transition(
            actor=user, contract=contract, status=data["status"], signed_on=data["signed_on"],
            ended_on=data["ended_on"], reason=data["reason"],
            expected_version=data.get("version") or None)
    except (ValidationFailed, VersionConflict) as exc:
        contract = selectors.contract_get(user=user, pk=pk)
        return render(request, "contracts/contract_detail.html",
                      detail_context(request, contract, transition_form=form,
                                     transition_error=exc), status=exc.status)
    messages.success(request, _("The contract is now “%(status)s”.")
                     % {"status": ContractStatus(data["status"]).label})
    return redirect("contracts:contract_detail", pk=contract.pk)


@login_required
@require_GET
@web_errors
def contract_pdf(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The contract as a PDF in its language (audited download)."""
    import io

    contract = selectors.contract_get(user=request.user, pk=pk)
    content = services.contract_pdf_download(actor=request.user, contract=contract)
    return download_response(io.BytesIO(content), filename=pdf_filename(contract),
                             content_type="application/pdf")


# --- create and edit -----------------------------------------------------------------------------

def _company_step(request: HttpRequest, status: int = 200) -> HttpResponse:
    return render(request, "contracts/contract_company.html",
                  {"form": CompanyChoiceForm(request.GET or None)}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def contract_create(request: HttpRequest) -> HttpResponse:
    """A new contract: from an accepted offer (?offer=<id>, the offer page's button), or from
    scratch (first the client, ?company=<id>, then the form)."""
    user = request.user
    if not may_create_contracts(user):
        raise PermissionDenied()
    params = request.POST if request.method == "POST" else request.GET
    offer = None
    if params.get("offer"):
        # Refused with its reason (not accepted, already under contract) before any form.
        offer = services.offer_for_contract(actor=user, offer=to_int(params.get("offer")) or 0)
        company: Company = offer.company
    elif params.get("company"):
        company = client_selectors.company_get(user=user, pk=to_int(params.get("company")) or 0)
    else:
        return _company_step(request, status=400 if request.method == "POST" else 200)
    choices = contract_form_choices(user, company)
    if request.method == "POST":
        form = ContractForm(request.POST, user=user, **choices)
        if form.is_valid():
            data = {**form.service_data(), "company": company}
            try:
                contract = services.contract_create(actor=user, data=data, offer=offer)
            except ValidationFailed as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("Contract %(number)s drafted.")
                                 % {"number": contract.number})
                return redirect("contracts:contract_detail", pk=contract.pk)
        status = 400
    else:
        initial = {"owner": str(user.pk), "team": str(getattr(user, "team_id", "") or ""),
                   "currency": "EUR", "language": getattr(user, "language", "") or "bg"}
        if offer is not None:
            prefill = services.prefill_from_offer(offer)
            initial.update(title=prefill["title"], value=str(prefill["value"]),
                           currency=prefill["currency"], language=prefill["language"],
                           deal=str(offer.deal_id), signatory=str(offer.contact_id or ""))
        types = choices["types"]
        if len(types) == 1:
            initial["contract_type"] = str(types[0].pk)
        form = ContractForm(user=user, initial=initial, **choices)
        status = 200
    return render(request, "contracts/contract_form.html", {
        "form": form, "contract": None, "company": company, "offer": offer,
        "types": choices["types"]}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contract = selectors.contract_get(user=user, pk=pk)
    if not may_change_contract(user, contract):
        raise PermissionDenied()
    choices = contract_form_choices(user, contract.company, contract)
    conflict = False
    if request.method == "POST":
        form = ContractForm(request.POST, user=user, contract=contract, **choices)
        if form.is_valid():
            try:
                services.contract_update(actor=user, contract=contract, data=form.service_data(),
                                         expected_version=form.cleaned_data.get("version"),
                                         note=form.cleaned_data.get("note", ""))
            except VersionConflict as exc:
                form.add_error(None, exc.message)
                conflict = True
            except ValidationFailed as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("contracts:contract_detail", pk=contract.pk)
        contract = selectors.contract_get(user=user, pk=pk)  # the header from what is stored
        status = 409 if conflict else 400
    else:
        form = ContractForm(user=user, contract=contract,
                            initial=ContractForm.initial_from(contract), **choices)
        status = 200
    return render(request, "contracts/contract_form.html", {
        "form": form, "contract": contract, "company": contract.company, "conflict": conflict,
        "types": choices["types"]}, status=status)


# --- delete, trash, restore ----------------------------------------------------------------------

@login_required
@require_POST
@web_errors
def contract_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contract = selectors.contract_get(user=request.user, pk=pk)
    services.contract_delete(actor=request.user, contract=contract)
    messages.success(request, _("Contract %(number)s moved to the trash. It can be restored "
                                "from there.") % {"number": contract.number})
    return redirect("contracts:contract_list")


@login_required
@require_GET
@web_errors
def contract_trash(request: HttpRequest) -> HttpResponse:
    page = keyset_page(selectors.contract_deleted_list(user=request.user), field="deleted_at",
                       descending=True, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    return render(request, "contracts/contract_trash.html", {"page": page})


@login_required
@require_POST
@web_errors
def contract_restore(request: HttpRequest, pk: int) -> HttpResponse:
    contract: Contract = selectors.contract_get_deleted(user=request.user, pk=pk)
    services.contract_restore(actor=request.user, contract=contract)
    messages.success(request, _("Contract %(number)s restored.") % {"number": contract.number})
    return redirect("contracts:contract_detail", pk=contract.pk)
