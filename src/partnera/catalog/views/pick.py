"""The product picker's options (HTMX autocomplete of every line form)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from partnera.catalog import selectors
from partnera.core.web import web_errors


@login_required
@require_GET
@web_errors
def product_pick(request: HttpRequest) -> HttpResponse:
    """Active products whose code or name holds what was typed (`q`, or the `…_label` box of a
    ProductPicker), codes that start with it first; at most 10."""
    query = request.GET.get("q", "")
    if not query:
        query = next((request.GET[k] for k in request.GET if k.endswith("_label")), "")
    products = selectors.product_search(user=request.user, query=query[:100], limit=10)
    return render(request, "catalog/partials/product_options.html",
                  {"products": products, "query": query})
