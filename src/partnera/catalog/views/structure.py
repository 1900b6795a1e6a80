"""Product lines and categories: one page that lists both, with inline forms for who may change
them (add, rename, reorder, move a category to another line, deactivate, bring back)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from partnera.catalog import selectors, services
from partnera.catalog.forms import CategoryForm, ProductLineForm
from partnera.catalog.views.common import catalog_writer, reader, refusal
from partnera.core.errors import ValidationFailed
from partnera.core.web import add_errors_to_form


def _context(request, *, line_forms=None, category_forms=None, new_line=None,
             new_category=None) -> dict:
    live = Q(products__deleted_at__isnull=True, products__active=True)
    lines = list(selectors.product_line_list(include_inactive=True)
                 .annotate(n_products=Count("products", filter=live)))
    active_lines = [line for line in lines if line.active]
    categories = list(selectors.category_list(include_inactive=True)
                      .annotate(n_products=Count("products", filter=live)))
    line_forms = line_forms or {}
    category_forms = category_forms or {}

    def category_form(category):
        choices = active_lines if category.line is None or category.line.active \
            else [*active_lines, category.line]
        return category_forms.get(category.pk) or CategoryForm(
            prefix=f"c{category.pk}", lines=choices,
            initial={"name": category.name, "line": category.line_id or ""})

    return {
        "lines": [(line, line_forms.get(line.pk) or ProductLineForm(
            prefix=f"l{line.pk}", initial={"name": line.name, "position": line.position}))
            for line in lines],
        "categories": [(category, category_form(category)) for category in categories],
        "new_line": new_line or ProductLineForm(prefix="line"),
        "new_category": new_category or CategoryForm(prefix="category", lines=active_lines),
        "may_manage": services.may_manage_catalog(request.user),
    }


@require_GET
@reader
def structure(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/structure.html", _context(request))


def _back(anchor: str) -> HttpResponse:
    return redirect(reverse("catalog:structure") + anchor)


@require_POST
@catalog_writer
def line_create(request: HttpRequest) -> HttpResponse:
    form = ProductLineForm(request.POST, prefix="line")
    if form.is_valid():
        try:
            line = services.product_line_create(actor=request.user, data=form.service_data())
        except ValidationFailed as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Product line “%(name)s” added.") % {"name": line.name})
            return _back("#lines")
    return render(request, "catalog/structure.html", _context(request, new_line=form), status=400)


@require_POST
@catalog_writer
def line_update(request: HttpRequest, pk: int) -> HttpResponse:
    line = selectors.product_line_get(pk=pk)
    if "active" in request.POST:
        data: dict = {"active": request.POST.get("active") == "1"}
        form = None
    else:
        form = ProductLineForm(request.POST, prefix=f"l{line.pk}")
        data = form.service_data() if form.is_valid() else {}
    if form is None or form.is_valid():
        try:
            services.product_line_update(actor=request.user, line=line, data=data)
        except ValidationFailed as exc:
            if form is None:
                messages.error(request, refusal(exc))
                return _back("#lines")
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return _back("#lines")
    return render(request, "catalog/structure.html",
                  _context(request, line_forms={line.pk: form}), status=400)


@require_POST
@catalog_writer
def category_create(request: HttpRequest) -> HttpResponse:
    form = CategoryForm(request.POST, prefix="category",
                        lines=list(selectors.product_line_list()))
    if form.is_valid():
        try:
            category = services.category_create(actor=request.user, data=form.service_data())
        except ValidationFailed as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Category “%(name)s” added.") % {"name": category.name})
            return _back("#categories")
    return render(request, "catalog/structure.html", _context(request, new_category=form),
                  status=400)


@require_POST
@catalog_writer
def category_update(request: HttpRequest, pk: int) -> HttpResponse:
    category = selectors.category_get(pk=pk)
    if "active" in request.POST:
        data: dict = {"active": request.POST.get("active") == "1"}
        form = None
    else:
        lines = list(selectors.product_line_list(include_inactive=True))
        form = CategoryForm(request.POST, prefix=f"c{category.pk}", lines=lines)
        data = form.service_data() if form.is_valid() else {}
    if form is None or form.is_valid():
        try:
            services.category_update(actor=request.user, category=category, data=data)
        except ValidationFailed as exc:
            if form is None:
                messages.error(request, refusal(exc))
                return _back("#categories")
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return _back("#categories")
    return render(request, "catalog/structure.html",
                  _context(request, category_forms={category.pk: form}), status=400)
