"""Contract settings for administrators: contract types (required documents, text template, usual
notice period) and kinds of documents. Everyone else gets 403."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnera.contracts import selectors, services
from partnera.contracts.forms import ContractTypeForm, DocumentKindForm, service_data
from partnera.contracts.permissions import may_manage_settings
from partnera.contracts.templating import PLACEHOLDERS
from partnera.contracts.views.common import save_form
from partnera.core.errors import PermissionDenied, ValidationFailed
from partnera.core.web import add_errors_to_form, web_errors


def admin_only(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_manage_settings(request.user):
            raise PermissionDenied(_("Only an administrator changes contract settings."))
        return view(request, *args, **kwargs)

    return login_required(web_errors(wrapper))


def _kind_rows(forms: dict | None = None) -> list:
    forms = forms or {}
    return [(k, forms.get(k.pk) or DocumentKindForm(initial={"name": k.name,
                                                             "position": str(k.position),
                                                             "active": k.active}))
            for k in selectors.document_kind_list(include_inactive=True)]


def _settings_context(*, kind_forms: dict | None = None,
                      new_kind_form: DocumentKindForm | None = None) -> dict:
    return {"types": list(selectors.contract_type_list(include_inactive=True)),
            "kind_rows": _kind_rows(kind_forms),
            "new_kind_form": new_kind_form or DocumentKindForm(initial={"active": True})}


@admin_only
@require_GET
def contract_settings(request: HttpRequest) -> HttpResponse:
    return render(request, "contracts/settings.html", _settings_context())


def _type_page(request, form, contract_type, status: int) -> HttpResponse:
    return render(request, "contracts/settings_type.html", {
        "form": form, "contract_type": contract_type,
        "placeholders": [(f"{{{name}}}", label) for name, label in PLACEHOLDERS.items()],
    }, status=status)


@admin_only
@require_http_methods(["GET", "POST"])
def contract_type_create(request: HttpRequest) -> HttpResponse:
    kinds = selectors.document_kind_list(include_inactive=True)
    if request.method == "POST":
        form = ContractTypeForm(request.POST, kinds=kinds)
        if form.is_valid():
            try:
                created = services.contract_type_create(actor=request.user, data=service_data(form))
            except ValidationFailed as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("Contract type “%(name)s” created.")
                                 % {"name": created.name})
                return redirect("contracts:settings")
        return _type_page(request, form, None, 400)
    return _type_page(request, ContractTypeForm(kinds=kinds, initial={"active": True,
                                                                       "default_notice_days": "30"}),
                      None, 200)


@admin_only
@require_http_methods(["GET", "POST"])
def contract_type_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contract_type = selectors.contract_type_get(pk=pk)
    kinds = selectors.document_kind_list(include_inactive=True)
    if request.method == "POST":
        form = ContractTypeForm(request.POST, kinds=kinds)
        done = save_form(request, form, lambda: services.contract_type_update(
            actor=request.user, contract_type=contract_type, data=service_data(form)),
            message=_("Changes saved."), to="contracts:settings")
        return done or _type_page(request, form, contract_type, 400)
    return _type_page(request, ContractTypeForm(kinds=kinds,
                                                initial=ContractTypeForm.initial_from(contract_type)),
                      contract_type, 200)


@admin_only
@require_POST
def document_kind_create(request: HttpRequest) -> HttpResponse:
    form = DocumentKindForm(request.POST)
    if form.is_valid():
        try:
            kind = services.document_kind_create(actor=request.user, data=service_data(form))
        except ValidationFailed as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Kind of document “%(name)s” added.") % {"name": kind.name})
            return redirect("contracts:settings")
    return render(request, "contracts/settings.html", _settings_context(new_kind_form=form),
                  status=400)


@admin_only
@require_POST
def document_kind_edit(request: HttpRequest, pk: int) -> HttpResponse:
    kind = selectors.document_kind_get(pk=pk)
    form = DocumentKindForm(request.POST)
    done = save_form(request, form, lambda: services.document_kind_update(
        actor=request.user, kind=kind, data=service_data(form)),
        message=_("Changes saved."), to="contracts:settings")
    return done or render(request, "contracts/settings.html", _settings_context(kind_forms={kind.pk: form}),
                  status=400)
