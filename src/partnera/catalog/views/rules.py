"""Pricing rules: the list by kind, create and edit (the form shows the fields of the chosen
kind), deactivate and bring back. A rule for a client the user cannot see answers 404."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnera.catalog import selectors, services
from partnera.catalog.forms import PricingRuleForm
from partnera.catalog.models import PricingRule, RuleKind
from partnera.catalog.views.common import (
    catalog_writer,
    pk_or_none,
    reader,
    save_form,
    switch_active,
    valid_on,
)
from partnera.core.errors import PermissionDenied

MAX_RULES = 1000


@require_GET
@reader
def rule_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    active = request.GET.get("active", "active")
    filters = selectors.RuleFilters(
        kind=kind if kind in RuleKind.values else "",
        active=active if active in ("active", "inactive", "all") else "active",
        product=pk_or_none(request.GET.get("product")),
        company=pk_or_none(request.GET.get("company")))
    rules = list(selectors.pricing_rule_list(user=request.user, filters=filters)[:MAX_RULES])
    today = timezone.localdate()
    return render(request, "catalog/rule_list.html", {
        "rows": [(rule, valid_on(rule, today)) for rule in rules], "filters": filters,
        "kinds": RuleKind.choices, "may_manage": services.may_manage_catalog(request.user),
    })


def _form_kwargs() -> dict:
    return {"lines": list(selectors.product_line_list(include_inactive=True)),
            "categories": list(selectors.category_list(include_inactive=True))}


def _plain(value) -> str:
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text


def _initial(rule: PricingRule) -> dict[str, Any]:
    data: dict[str, Any] = {name: _plain(getattr(rule, name)) for name in PricingRuleForm.VALUE_FIELDS
            if name != "currency"}
    data.update({
        "version": rule.version, "name": rule.name, "kind": rule.kind,
        "company": rule.company_id or "", "tier": rule.tier, "product": rule.product_id or "",
        "line": rule.line_id or "", "category": rule.category_id or "", "currency": rule.currency,
        "valid_from": rule.valid_from.isoformat() if rule.valid_from else "",
        "valid_to": rule.valid_to.isoformat() if rule.valid_to else "", "active": rule.active,
    })
    return data


def _labels(rule: PricingRule | None) -> dict:
    if rule is None:
        return {}
    return {"company_label": rule.company.legal_name if rule.company else "",
            "product_label": f"{rule.product.code} {rule.product.name}" if rule.product else ""}


@require_http_methods(["GET", "POST"])
@catalog_writer
def rule_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = PricingRuleForm(request.POST, **_form_kwargs())
        saved = save_form(form, lambda: services.pricing_rule_create(actor=request.user,
                                                                     data=form.service_data()))
        if (rule := saved.result) is not None:
            messages.success(request, _("Rule “%(name)s” added.") % {"name": rule.name})
            return redirect("catalog:rule_list")
        status = 400
    else:
        kind = request.GET.get("kind", "")
        form = PricingRuleForm(initial={
            "kind": kind if kind in RuleKind.values else RuleKind.PROMOTION, "active": True,
            "currency": "EUR"}, **_form_kwargs())
        status = 200
    return render(request, "catalog/rule_form.html", {"form": form, "rule": None},
                  status=status)


@require_http_methods(["GET", "POST"])
@reader
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The rule's form; readers see it without the save button."""
    rule = selectors.pricing_rule_get(user=request.user, pk=pk)
    may_manage = services.may_manage_catalog(request.user)
    conflict = False
    if request.method == "POST" and not may_manage:
        raise PermissionDenied(_("Only administrators and heads of sales change the catalog."))
    if request.method == "POST":
        form = PricingRuleForm(request.POST, **_form_kwargs())
        saved = save_form(form, lambda: services.pricing_rule_update(
            actor=request.user, rule=rule, data=form.service_data(),
            expected_version=form.cleaned_data.get("version")))
        if saved.done:
            messages.success(request, _("Changes saved."))
            return redirect("catalog:rule_list")
        rule = selectors.pricing_rule_get(user=request.user, pk=pk)
        conflict, status = saved.conflict, saved.status
    else:
        form = PricingRuleForm(initial=_initial(rule), **_labels(rule), **_form_kwargs())
        status = 200
    return render(request, "catalog/rule_form.html", {
        "form": form, "rule": rule, "conflict": conflict, "may_manage": may_manage,
    }, status=status)


@require_POST
@catalog_writer
def rule_active(request: HttpRequest, pk: int) -> HttpResponse:
    rule = selectors.pricing_rule_get(user=request.user, pk=pk)
    switch_active(request, functools.partial(services.pricing_rule_set_active, actor=request.user,
                                             rule=rule),
                  on=_("Rule activated."), off=_("Rule deactivated."))
    return redirect("catalog:rule_list")
