"""Pricing conditions and referral clauses on the contract page: add, edit, remove."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from partnera.contracts import selectors, services
from partnera.contracts.forms import PricingConditionForm, ReferralForm, service_data
from partnera.contracts.permissions import may_change_contract
from partnera.contracts.views.common import (
    detail_context,
    pricing_choices,
    referral_contacts,
    run_action,
    save_form,
)
from partnera.core.errors import PermissionDenied
from partnera.core.web import web_errors


def _section(contract_id: int, anchor: str) -> str:
    return reverse("contracts:contract_detail", args=[contract_id]) + f"#{anchor}"


def _condition_initial(rule) -> dict:
    def day(value) -> str:
        return value.isoformat() if value else ""

    return {"name": rule.name, "product": str(rule.product_id or ""),
            "line": str(rule.line_id or ""), "category": str(rule.category_id or ""),
            "discount_percent": "" if rule.discount_percent is None else str(rule.discount_percent),
            "fixed_price": "" if rule.fixed_price is None else str(rule.fixed_price),
            "currency": rule.currency, "valid_from": day(rule.valid_from),
            "valid_to": day(rule.valid_to)}


# --- pricing conditions --------------------------------------------------------------------------

@login_required
@require_POST
@web_errors
def condition_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contract = selectors.contract_get_full(user=user, pk=pk)
    if not may_change_contract(user, contract):
        raise PermissionDenied()
    form = PricingConditionForm(request.POST, **pricing_choices())
    done = save_form(request, form, lambda: services.pricing_condition_create(
        actor=user, contract=contract, data=service_data(form, skip=("note",)),
        note=form.cleaned_data.get("note", "")),
        message=_("Pricing condition added."), to=_section(contract.pk, "pricing"))
    return done or render(request, "contracts/contract_detail.html",
                  detail_context(request, contract, condition_form=form), status=400)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def condition_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    rule = selectors.pricing_condition_get(user=user, pk=pk)
    contract = rule.contract
    if contract is None or not may_change_contract(user, contract):
        raise PermissionDenied()
    if request.method == "POST":
        form = PricingConditionForm(request.POST, **pricing_choices())
        done = save_form(request, form, lambda: services.pricing_condition_update(
            actor=user, rule=rule, data=service_data(form, skip=("note",)),
            note=form.cleaned_data.get("note", "")),
            message=_("Changes saved."), to=_section(contract.pk, "pricing"))
        if done is not None:
            return done
        status = 400
    else:
        form = PricingConditionForm(initial=_condition_initial(rule), **pricing_choices())
        status = 200
    return render(request, "contracts/condition_form.html",
                  {"form": form, "rule": rule, "contract": contract}, status=status)


@login_required
@require_POST
@web_errors
def condition_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = selectors.pricing_condition_get(user=request.user, pk=pk)
    contract_id = rule.contract_id
    run_action(request, lambda: services.pricing_condition_delete(
        actor=request.user, rule=rule, note=request.POST.get("note", "")),
        message=_("Pricing condition removed."))
    return redirect(_section(contract_id or 0, "pricing"))


# --- referral clauses ----------------------------------------------------------------------------

def _referrer_label(clause) -> str:
    """The referring client's name, or "—" when the user may not see it."""
    if clause.referrer_company is None:
        return ""
    return clause.referrer_company.legal_name if clause.referrer_company_shown else "—"


def _hidden_contact(clause) -> int | None:
    """The clause's contact when the user may not see it (kept as "—" in the form)."""
    shown = getattr(clause, "referrer_contact_shown", False)
    return clause.referrer_contact_id if clause.referrer_contact_id and not shown else None


@login_required
@require_POST
@web_errors
def referral_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contract = selectors.contract_get_full(user=user, pk=pk)
    if not may_change_contract(user, contract):
        raise PermissionDenied()
    form = ReferralForm(request.POST, contacts=referral_contacts(user))
    done = save_form(request, form, lambda: services.referral_create(
        actor=user, contract=contract, data=service_data(form)),
        message=_("Referral clause added."), to=_section(contract.pk, "referrals"))
    return done or render(request, "contracts/contract_detail.html",
                  detail_context(request, contract, referral_form=form), status=400)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def referral_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    clause = selectors.referral_get(user=user, pk=pk)
    contract = clause.contract
    if not may_change_contract(user, contract):
        raise PermissionDenied()
    contacts = referral_contacts(user, clause)
    if request.method == "POST":
        form = ReferralForm(request.POST, contacts=contacts, hidden_contact=_hidden_contact(clause))
        done = save_form(request, form, lambda: services.referral_update(
            actor=user, clause=clause, data=service_data(form)),
            message=_("Changes saved."), to=_section(contract.pk, "referrals"))
        if done is not None:
            return done
        status = 400
    else:
        form = ReferralForm(initial=ReferralForm.initial_from(clause), contacts=contacts,
                            company_label=_referrer_label(clause),
                            hidden_contact=_hidden_contact(clause))
        status = 200
    return render(request, "contracts/referral_form.html",
                  {"form": form, "clause": clause, "contract": contract}, status=status)


@login_required
@require_POST
@web_errors
def referral_delete(request: HttpRequest, pk: int) -> HttpResponse:
    clause = selectors.referral_get(user=request.user, pk=pk)
    run_action(request, lambda: services.referral_delete(actor=request.user, clause=clause),
               message=_("Referral clause removed."))
    return redirect(_section(clause.contract_id, "referrals"))
