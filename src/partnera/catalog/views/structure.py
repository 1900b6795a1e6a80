"""Product lines and categories: one page that lists both, with inline forms for who may change
them (add, rename, reorder, move a category to another line, deactivate, bring back)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from partnera.catalog import selectors, services
from partnera.catalog.forms import CategoryForm, ProductLineForm, ServiceForm
from partnera.catalog.views.common import catalog_writer, reader, refusal, save_form
from partnera.core.errors import ValidationFailed


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


def _update(request: HttpRequest, make_form: Callable[[], ServiceForm],
            save: Callable[[dict], object], *, anchor: str,
            page: Callable[[ServiceForm], dict]) -> HttpResponse:
    """A line's or category's change: with `active` posted, deactivate or bring back (refused:
    the reason as a message); else the form from `make_form` (refused: the page from `page`
    with the form and its errors)."""
    if "active" in request.POST:
        try:
            save({"active": request.POST.get("active") == "1"})
        except ValidationFailed as exc:
            messages.error(request, refusal(exc))
            return _back(anchor)
    else:
        form = make_form()
        if not save_form(form, lambda: save(form.service_data())).done:
            return render(request, "catalog/structure.html", page(form), status=400)
    messages.success(request, _("Changes saved."))
    return _back(anchor)


@require_POST
@catalog_writer
def line_create(request: HttpRequest) -> HttpResponse:
    form = ProductLineForm(request.POST, prefix="line")
    saved = save_form(form, lambda: services.product_line_create(actor=request.user,
                                                                 data=form.service_data()))
    if (line := saved.result) is not None:
        messages.success(request, _("Product line “%(name)s” added.") % {"name": line.name})
        return _back("#lines")
    return render(request, "catalog/structure.html", _context(request, new_line=form), status=400)


@require_POST
@catalog_writer
def line_update(request: HttpRequest, pk: int) -> HttpResponse:
    line = selectors.product_line_get(pk=pk)
    return _update(
        request, lambda: ProductLineForm(request.POST, prefix=f"l{line.pk}"),
        lambda data: services.product_line_update(actor=request.user, line=line, data=data),
        anchor="#lines", page=lambda form: _context(request, line_forms={line.pk: form}))


@require_POST
@catalog_writer
def category_create(request: HttpRequest) -> HttpResponse:
    form = CategoryForm(request.POST, prefix="category",
                        lines=list(selectors.product_line_list()))
    saved = save_form(form, lambda: services.category_create(actor=request.user,
                                                             data=form.service_data()))
    if (category := saved.result) is not None:
        messages.success(request, _("Category “%(name)s” added.") % {"name": category.name})
        return _back("#categories")
    return render(request, "catalog/structure.html", _context(request, new_category=form),
                  status=400)


@require_POST
@catalog_writer
def category_update(request: HttpRequest, pk: int) -> HttpResponse:
    category = selectors.category_get(pk=pk)
    return _update(
        request, lambda: CategoryForm(request.POST, prefix=f"c{category.pk}",
                                      lines=list(selectors.product_line_list(include_inactive=True))),
        lambda data: services.category_update(actor=request.user, category=category, data=data),
        anchor="#categories",
        page=lambda form: _context(request, category_forms={category.pk: form}))
