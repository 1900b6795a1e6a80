"""Administrators' pricing settings: the VAT rates (exactly one the default) and the pricing
policy (the largest manual discount without the head of sales' approval)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from partnera.catalog import selectors, services
from partnera.catalog.forms import PricingPolicyForm, VatRateForm
from partnera.catalog.views.common import refusal, save_form, settings_writer
from partnera.core.errors import ValidationFailed
from partnera.core.web import add_errors_to_form


def _rate_text(value) -> str:
    return format(value.normalize(), "f")


def _context(*, rate_forms=None, new_rate=None, policy_form=None) -> dict:
    live = Q(products__deleted_at__isnull=True, products__active=True)
    rates = list(selectors.vat_rate_list(include_inactive=True)
                 .annotate(n_products=Count("products", filter=live)))
    rate_forms = rate_forms or {}
    policy = selectors.pricing_policy_get()
    return {
        "rates": [(rate, rate_forms.get(rate.pk) or VatRateForm(
            prefix=f"v{rate.pk}", initial={"name": rate.name, "rate": _rate_text(rate.rate)}))
            for rate in rates],
        "new_rate": new_rate or VatRateForm(prefix="vat"),
        "policy": policy,
        "policy_form": policy_form or PricingPolicyForm(
            initial={"max_manual_discount": _rate_text(policy.max_manual_discount)}),
    }


def _back(anchor: str) -> HttpResponse:
    return redirect(reverse("catalog:settings") + anchor)


@require_GET
@settings_writer
def pricing_settings(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/settings.html", _context())


@require_POST
@settings_writer
def vat_rate_create(request: HttpRequest) -> HttpResponse:
    form = VatRateForm(request.POST, prefix="vat")
    saved = save_form(form, lambda: services.vat_rate_create(actor=request.user,
                                                             data=form.service_data()))
    if (rate := saved.result) is not None:
        messages.success(request, _("VAT rate “%(name)s” added.") % {"name": rate.name})
        return _back("#vat-rates")
    return render(request, "catalog/settings.html", _context(new_rate=form), status=400)


@require_POST
@settings_writer
def vat_rate_update(request: HttpRequest, pk: int) -> HttpResponse:
    rate = selectors.vat_rate_get(pk=pk)
    if "active" in request.POST or "is_default" in request.POST:
        data = {key: request.POST[key] == "1" for key in ("active", "is_default")
                if key in request.POST}
        try:
            services.vat_rate_update(actor=request.user, vat_rate=rate, data=data)
        except ValidationFailed as exc:
            messages.error(request, refusal(exc))
        else:
            messages.success(request, _("Changes saved."))
        return _back("#vat-rates")
    form = VatRateForm(request.POST, prefix=f"v{rate.pk}")
    if form.is_valid():
        data = form.service_data()
        data.pop("is_default", None)
        try:
            services.vat_rate_update(actor=request.user, vat_rate=rate, data=data)
        except ValidationFailed as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return _back("#vat-rates")
    return render(request, "catalog/settings.html", _context(rate_forms={rate.pk: form}),
                  status=400)


@require_POST
@settings_writer
def policy_update(request: HttpRequest) -> HttpResponse:
    form = PricingPolicyForm(request.POST)
    if save_form(form, lambda: services.pricing_policy_update(actor=request.user,
                                                              data=form.service_data())).done:
        messages.success(request, _("Pricing policy saved."))
        return _back("#policy")
    return render(request, "catalog/settings.html", _context(policy_form=form), status=400)
