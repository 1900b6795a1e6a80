"""Obligations: the "Obligations" page (those the user or their department answers for, or every
one they may see), and adding, editing, completing, cancelling and reopening them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnera.contracts import selectors, services
from partnera.contracts.forms import ObligationForm, service_data
from partnera.contracts.models import ObligationStatus
from partnera.contracts.permissions import may_change_contract, may_complete_obligation
from partnera.contracts.views.common import (
    active_users,
    departments,
    detail_context,
    run_action,
    save_form,
)
from partnera.core.errors import PermissionDenied
from partnera.core.web import web_errors

PAGE_SIZE = 100
STATUSES = {"open": ObligationStatus.OPEN, "done": ObligationStatus.DONE,
            "cancelled": ObligationStatus.CANCELLED, "all": ""}


def _back(request: HttpRequest, contract_id: int) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse("contracts:contract_detail", args=[contract_id]) + "#obligations"


@login_required
@require_GET
@web_errors
def obligation_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    may_all = selectors.may_see_all_obligations(user)
    scope = request.GET.get("scope", "mine")
    if scope not in selectors.OBLIGATION_SCOPES or (scope == "all" and not may_all):
        scope = "mine"
    status_key = request.GET.get("status", "open")
    status = STATUSES.get(status_key, ObligationStatus.OPEN)
    qs = selectors.obligations_of(user=user, scope=scope, status=status)
    rows = list(qs[:PAGE_SIZE + 1])  # earliest first; the rest after these are done
    today = timezone.localdate()
    for obligation in rows[:PAGE_SIZE]:
        # What the row shows (attributes of the row only, for the template).
        obligation.overdue = (  # type: ignore[attr-defined]
            obligation.status == ObligationStatus.OPEN and obligation.due_date < today)
        obligation.may_settle = may_complete_obligation(  # type: ignore[attr-defined]
            user, obligation, obligation.contract)
    return render(request, "contracts/obligation_list.html", {
        "obligations": rows[:PAGE_SIZE], "more": len(rows) > PAGE_SIZE, "scope": scope,
        "status": status_key if status_key in STATUSES else "open",
        "may_all": may_all, "statuses": STATUSES,
    })


@login_required
@require_POST
@web_errors
def obligation_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contract = selectors.contract_get(user=user, pk=pk)
    if not may_change_contract(user, contract):
        raise PermissionDenied()
    form = ObligationForm(request.POST, users=active_users(), departments=departments())
    done = save_form(request, form, lambda: services.obligation_create(
        actor=user, contract=contract, data=service_data(form)),
        message=_("Obligation added."), to=_back(request, contract.pk))
    return done or render(request, "contracts/contract_detail.html",
                  detail_context(request, contract, obligation_form=form), status=400)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def obligation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    obligation = selectors.obligation_get(user=user, pk=pk)
    contract = obligation.contract
    if not may_change_contract(user, contract):
        raise PermissionDenied()
    kwargs = {"users": active_users(), "departments": departments()}
    if request.method == "POST":
        form = ObligationForm(request.POST, **kwargs)
        done = save_form(request, form, lambda: services.obligation_update(
            actor=user, obligation=obligation, data=service_data(form)),
            message=_("Changes saved."), to=_back(request, contract.pk))
        if done is not None:
            return done
        status = 400
    else:
        form = ObligationForm(initial=ObligationForm.initial_from(obligation), **kwargs)
        status = 200
    return render(request, "contracts/obligation_form.html",
                  {"form": form, "obligation": obligation, "contract": contract}, status=status)


def _settle(request: HttpRequest, pk: int, action, message: str) -> HttpResponse:
    user = request.user
    obligation = selectors.obligation_get(user=user, pk=pk)
    run_action(request, lambda: action(actor=user, obligation=obligation),
               message=message % {"title": obligation.title})
    return redirect(_back(request, obligation.contract_id))


@login_required
@require_POST
@web_errors
def obligation_complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _settle(request, pk, services.obligation_complete, _("“%(title)s” done."))


@login_required
@require_POST
@web_errors
def obligation_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _settle(request, pk, services.obligation_cancel, _("“%(title)s” cancelled."))


@login_required
@require_POST
@web_errors
def obligation_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _settle(request, pk, services.obligation_reopen, _("“%(title)s” reopened."))
