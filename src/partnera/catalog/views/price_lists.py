"""Price lists: the list, a price list's page with its price table (change prices in place, add
and remove products), create and edit. A list for a client the user cannot see answers 404."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnera.catalog import selectors, services
from partnera.catalog.forms import PriceItemAddForm, PriceListForm
from partnera.catalog.models import PriceList, PriceListScope
from partnera.catalog.selectors import product_search_q
from partnera.catalog.services.common import as_decimal
from partnera.catalog.views.common import catalog_writer, pk_or_none, reader, save_form, valid_on
from partnera.core.errors import ValidationFailed, VersionConflict
from partnera.core.money import Currency

MAX_ROWS = 500


@require_GET
@reader
def price_list_list(request: HttpRequest) -> HttpResponse:
    currency = request.GET.get("currency", "")
    scope = request.GET.get("scope", "")
    active = request.GET.get("active", "active")
    filters = selectors.PriceListFilters(
        currency=currency if currency in Currency.values else "",
        scope=scope if scope in PriceListScope.values else "",
        active=active if active in ("active", "inactive", "all") else "active")
    lists = list(selectors.price_list_list(user=request.user, filters=filters)
                 .annotate(n_items=Count("items"))[:1000])
    today = timezone.localdate()
    return render(request, "catalog/price_list_list.html", {
        "rows": [(p, valid_on(p, today)) for p in lists], "filters": filters,
        "currencies": Currency.choices, "scopes": PriceListScope.choices,
        "may_manage": services.may_manage_catalog(request.user),
    })


def _plain(price: Decimal) -> str:
    """A price as the table's input holds it: two decimals, four when it has them, with the
    language's decimal mark and no grouping (`12,5000` → `12,50` in Bulgarian)."""
    text = f"{price:.4f}"
    text = text[:-2] if text.endswith("00") else text
    return text.replace(".", get_format("DECIMAL_SEPARATOR"))


def _table(price_list: PriceList, query: str, posted=None, errors=None) -> dict:
    items = selectors.price_list_items(price_list=price_list)
    if query.strip():
        items = items.filter(product_search_q(query, prefix="product__"))
    rows = list(items[:MAX_ROWS + 1])
    posted = posted or {}
    errors = errors or {}
    return {
        "items": [{"item": item, "was": _plain(item.price),
                   "value": posted.get(item.pk, _plain(item.price)),
                   "errors": errors.get(f"items.{item.pk}.price", [])}
                  for item in rows[:MAX_ROWS]],
        "more_items": len(rows) > MAX_ROWS, "query": query,
    }


def _detail(request, price_list: PriceList, *, add_form=None, posted=None, errors=None,
            status: int = 200, table_error: str = "") -> HttpResponse:
    """The price list's page; a refused price table comes back with what was typed."""
    query = request.GET.get("q", "")[:100]
    return render(request, "catalog/price_list_detail.html", {
        "price_list": price_list, "valid_today": valid_on(price_list, timezone.localdate()),
        "add_form": add_form or PriceItemAddForm(), "table_error": table_error,
        "table_conflict": status == 409,
        "may_manage": services.may_manage_catalog(request.user),
        **_table(price_list, query, posted, errors),
    }, status=status)


@require_GET
@reader
def price_list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.price_list_get(user=request.user, pk=pk))


def _back(price_list: PriceList, request) -> HttpResponse:
    url = reverse("catalog:price_list_detail", args=[price_list.pk])
    query = request.GET.get("q", "")
    return redirect(f"{url}?q={query}#items" if query else f"{url}#items")


@require_POST
@catalog_writer
def price_list_prices(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the price table: only the prices that were changed on the page, all or none; a price
    someone else changed meanwhile is not overwritten (the table comes back with a warning)."""
    price_list = selectors.price_list_get(user=request.user, pk=pk)
    prices: dict[int, str] = {}
    expected: dict[int, str] = {}
    posted: dict[int, str] = {}
    for key in request.POST:
        value = request.POST.get(key, "")
        if not key.startswith("price_"):
            continue
        item_id = pk_or_none(key.removeprefix("price_"))
        if item_id is None:
            continue
        posted[item_id] = value
        was = request.POST.get(f"was_{item_id}", "")
        if value.strip() != was.strip():
            prices[item_id] = value
            expected[item_id] = _decimal_text(was)
    if not prices:
        messages.info(request, _("No price was changed."))
        return _back(price_list, request)
    try:
        services.price_list_items_change(actor=request.user, price_list=price_list,
                                         prices=prices, expected=expected)
    except VersionConflict as exc:
        return _detail(request, price_list, posted=posted, status=409, table_error=exc.message)
    except ValidationFailed as exc:
        return _detail(request, price_list, posted=posted, errors=exc.fields, status=400,
                       table_error=_("Please correct the prices marked below. Nothing was saved."))
    messages.success(request, _("Prices saved."))
    return _back(price_list, request)


def _decimal_text(raw: str) -> str:
    """The price the page showed (as `_plain` wrote it), for the service's check that nobody
    changed it meanwhile."""
    try:
        return str(as_decimal(raw))
    except (InvalidOperation, ValueError):
        return ""


@require_POST
@catalog_writer
def price_list_item_add(request: HttpRequest, pk: int) -> HttpResponse:
    price_list = selectors.price_list_get(user=request.user, pk=pk)
    form = PriceItemAddForm(request.POST)
    saved = save_form(form, lambda: services.price_list_item_add(
        actor=request.user, price_list=price_list, data=form.service_data()))
    if (item := saved.result) is not None:
        messages.success(request, _("%(product)s added at %(price)s %(currency)s.") % {
            "product": item.product.name, "price": _plain(item.price),
            "currency": price_list.currency})
        return _back(price_list, request)
    return _detail(request, price_list, add_form=form, status=400)


@require_POST
@catalog_writer
def price_list_item_remove(request: HttpRequest, pk: int) -> HttpResponse:
    price_list = selectors.price_list_get(user=request.user, pk=pk)
    item = selectors.price_list_item_get(price_list=price_list, pk=request.POST.get("item"))
    services.price_list_item_remove(actor=request.user, item=item)
    messages.success(request, _("%(product)s removed from the list.") % {"product": item.product.name})
    return _back(price_list, request)


def _company_label(price_list: PriceList | None) -> str:
    return price_list.company.legal_name if price_list and price_list.company else ""


@require_http_methods(["GET", "POST"])
@catalog_writer
def price_list_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = PriceListForm(request.POST)
        saved = save_form(form, lambda: services.price_list_create(actor=request.user,
                                                                   data=form.service_data()))
        if (price_list := saved.result) is not None:
            messages.success(request, _("Price list “%(name)s” created. Add its prices below.")
                             % {"name": price_list.name})
            return redirect("catalog:price_list_detail", pk=price_list.pk)
        status = 400
    else:
        form = PriceListForm(initial={"currency": Currency.EUR, "scope": PriceListScope.GENERAL,
                                      "active": True})
        status = 200
    return render(request, "catalog/price_list_form.html", {"form": form, "price_list": None},
                  status=status)


@require_http_methods(["GET", "POST"])
@catalog_writer
def price_list_edit(request: HttpRequest, pk: int) -> HttpResponse:
    price_list = selectors.price_list_get(user=request.user, pk=pk)
    conflict = False
    if request.method == "POST":
        form = PriceListForm(request.POST)
        saved = save_form(form, lambda: services.price_list_update(
            actor=request.user, price_list=price_list, data=form.service_data(),
            expected_version=form.cleaned_data.get("version")))
        if saved.done:
            messages.success(request, _("Changes saved."))
            return redirect("catalog:price_list_detail", pk=price_list.pk)
        price_list = selectors.price_list_get(user=request.user, pk=pk)
        conflict, status = saved.conflict, saved.status
    else:
        form = PriceListForm(company_label=_company_label(price_list), initial={
            "version": price_list.version, "name": price_list.name,
            "currency": price_list.currency, "scope": price_list.scope, "tier": price_list.tier,
            "company": price_list.company_id or "",
            "valid_from": price_list.valid_from.isoformat() if price_list.valid_from else "",
            "valid_to": price_list.valid_to.isoformat() if price_list.valid_to else "",
            "active": price_list.active})
        status = 200
    return render(request, "catalog/price_list_form.html",
                  {"form": form, "price_list": price_list, "conflict": conflict}, status=status)
