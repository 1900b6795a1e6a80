"""A contract's documents on its page: upload, download (audited), delete and restore."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from partnera.contracts import selectors, services
from partnera.contracts.forms import DocumentForm
from partnera.contracts.permissions import may_change_contract
from partnera.contracts.views.common import detail_context
from partnera.core.errors import PermissionDenied, ValidationFailed
from partnera.core.web import add_errors_to_form, download_response, web_errors


def _documents_url(contract_id: int) -> str:
    return reverse("contracts:contract_detail", args=[contract_id]) + "#documents"


@login_required
@require_POST
@web_errors
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contract = selectors.contract_get_full(user=user, pk=pk)
    if not may_change_contract(user, contract):
        raise PermissionDenied()
    form = DocumentForm(request.POST, request.FILES,
                        kinds=selectors.document_kind_list())
    form.is_valid()  # carries the input back; the service checks every field
    try:
        document = services.document_add(
            actor=user, contract=contract, upload=request.FILES.get("file"),
            kind=request.POST.get("kind", ""), description=request.POST.get("description", ""),
            signed_on=request.POST.get("signed_on", ""))
    except ValidationFailed as exc:
        form.errors.clear()
        add_errors_to_form(form, exc)
        return render(request, "contracts/contract_detail.html",
                      detail_context(request, contract, document_form=form), status=400)
    messages.success(request, _("“%(name)s” added to the contract's documents.")
                     % {"name": document.original_name})
    return redirect(_documents_url(contract.pk))


@login_required
@require_GET
@web_errors
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    document = selectors.document_get(user=request.user, pk=pk)
    handle = services.document_open(actor=request.user, document=document)
    return download_response(handle, filename=document.original_name,
                             content_type=document.content_type)


@login_required
@require_POST
@web_errors
def document_delete(request: HttpRequest, pk: int) -> HttpResponse:
    document = selectors.document_get(user=request.user, pk=pk)
    services.document_delete(actor=request.user, document=document)
    messages.success(request, _("“%(name)s” moved to the trash.") % {"name": document.original_name})
    return redirect(_documents_url(document.contract_id))


@login_required
@require_POST
@web_errors
def document_restore(request: HttpRequest, pk: int) -> HttpResponse:
    document = selectors.document_get_deleted(user=request.user, pk=pk)
    services.document_restore(actor=request.user, document=document)
    messages.success(request, _("“%(name)s” restored.") % {"name": document.original_name})
    return redirect(_documents_url(document.contract_id))
