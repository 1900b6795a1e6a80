"""Product pages: the list with filters, the product page (its list prices and the rules that
apply to it), create and edit forms, deactivate and bring back."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnera.catalog import selectors, services
from partnera.catalog.forms import ProductFilterForm, ProductForm
from partnera.catalog.models import Product
from partnera.catalog.views.common import (
    catalog_writer,
    pk_or_none,
    reader,
    save_form,
    switch_active,
    valid_on,
)
from partnera.clients.views.common import partial_for

PAGE_SIZE = 50


@require_GET
@reader
def product_list(request: HttpRequest) -> HttpResponse:
    lines = list(selectors.product_line_list(include_inactive=True))
    categories = list(selectors.category_list(include_inactive=True))
    form = ProductFilterForm(request.GET, lines=lines, categories=categories)
    filters = selectors.ProductFilters(
        q=form.value("q"), line=pk_or_none(form.value("line")),
        category=pk_or_none(form.value("category")), kind=form.value("kind"),
        active=form.value("active") or "active", sort=form.value("sort") or "name")
    result = selectors.product_list(user=request.user, filters=filters,
                                    cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    context = {
        "form": form, "filters": filters, "page": result.page, "count": result.count,
        "count_more": result.count_is_lower_bound,
        "active_filters": sum(1 for v in (filters.line, filters.category, filters.kind) if v)
        + (filters.active != "active"),
        "may_manage": services.may_manage_catalog(request.user),
    }
    if partial_for(request, "product-results"):
        return render(request, "catalog/product_list.html#results", context)
    return render(request, "catalog/product_list.html", context)


@require_GET
@reader
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    product = selectors.product_get(user=user, pk=pk)
    today = timezone.localdate()
    prices = selectors.product_prices(user=user, product=product)
    rules = selectors.product_rules(user=user, product=product)
    return render(request, "catalog/product_detail.html", {
        "product": product, "today": today,
        "prices": [(item, valid_on(item.price_list, today)) for item in prices],
        "rules": [(rule, valid_on(rule, today)) for rule in rules],
        "may_manage": services.may_manage_catalog(user),
    })


def _form_kwargs(product: Product | None = None) -> dict:
    lines = list(selectors.product_line_list())
    categories = list(selectors.category_list())
    rates = list(selectors.vat_rate_list())
    if product is not None:  # an inactive line, category or rate the product has stays choosable
        if product.line is not None and product.line not in lines:
            lines.append(product.line)
        if product.category is not None and product.category not in categories:
            categories.append(product.category)
        if product.vat_rate not in rates:
            rates.append(product.vat_rate)
    return {"lines": lines, "categories": categories, "vat_rates": rates}


def _initial(product: Product) -> dict:
    return {"version": product.version, "code": product.code, "name": product.name,
            "name_en": product.name_en, "kind": product.kind, "line": product.line_id or "",
            "category": product.category_id or "", "unit": product.unit,
            "vat_rate": product.vat_rate_id, "description": product.description,
            "active": product.active}


@require_http_methods(["GET", "POST"])
@catalog_writer
def product_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ProductForm(request.POST, **_form_kwargs())
        saved = save_form(form, lambda: services.product_create(actor=request.user,
                                                                data=form.service_data()))
        if (product := saved.result) is not None:
            messages.success(request, _("Product “%(name)s” added.") % {"name": product.name})
            return redirect("catalog:product_detail", pk=product.pk)
        status = 400
    else:
        default = selectors.default_vat_rate()
        line = pk_or_none(request.GET.get("line"))
        form = ProductForm(initial={"vat_rate": default.pk if default else "", "active": True,
                                    "line": line or ""}, **_form_kwargs())
        status = 200
    return render(request, "catalog/product_form.html", {"form": form, "product": None},
                  status=status)


@require_http_methods(["GET", "POST"])
@catalog_writer
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_get(user=request.user, pk=pk)
    conflict = False
    if request.method == "POST":
        form = ProductForm(request.POST, **_form_kwargs(product))
        saved = save_form(form, lambda: services.product_update(
            actor=request.user, product=product, data=form.service_data(),
            expected_version=form.cleaned_data.get("version")))
        if saved.done:
            messages.success(request, _("Changes saved."))
            return redirect("catalog:product_detail", pk=product.pk)
        product = selectors.product_get(user=request.user, pk=pk)
        conflict, status = saved.conflict, saved.status
    else:
        form = ProductForm(initial=_initial(product), **_form_kwargs(product))
        status = 200
    return render(request, "catalog/product_form.html",
                  {"form": form, "product": product, "conflict": conflict}, status=status)


@require_POST
@catalog_writer
def product_active(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_get(user=request.user, pk=pk)
    switch_active(request, functools.partial(services.product_set_active, actor=request.user,
                                             product=product),
                  on=_("Product activated."), off=_("Product deactivated."))
    return redirect("catalog:product_detail", pk=product.pk)
