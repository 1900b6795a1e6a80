"""Entering an order and changing it: the new-order form (first the client, then the header and
the lines; ?company=, ?contract= or ?offer= start it from a client, a contract or an accepted
offer), the header form and the lines form (while the order is only received).

The line rows work without JavaScript (see orders.forms); every error is shown next to its field
or its row, with what the user typed kept."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from partnera.clients import selectors as client_selectors
from partnera.clients.models import Company
from partnera.clients.views.common import active_users, all_teams
from partnera.core.errors import NotFound, PermissionDenied, ValidationFailed, VersionConflict
from partnera.core.visibility import can_assign
from partnera.core.web import add_errors_to_form, web_errors
from partnera.orders import permissions, selectors, services
from partnera.orders.forms import (
    ClientChoiceForm,
    LineRow,
    OrderHeaderForm,
    line_inputs,
    place_line_errors,
    posted_rows,
    resolve_products,
    with_blank_rows,
)
from partnera.orders.models import Order
from partnera.people.models import Department


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _pick_url() -> str:
    try:
        return reverse("catalog:product_pick")
    except NoReverseMatch:  # the catalog pages not installed: the box takes a product code
        return ""


def _contracts(user, company: Company) -> list:
    from partnera.contracts.selectors import IN_FORCE, contract_queryset

    return list(contract_queryset(user=user).filter(company=company, status__in=IN_FORCE)
                .order_by("-start_date", "-pk"))


def _offers(user, company: Company) -> list:
    from partnera.sales.models import OfferStatus
    from partnera.sales.offers.selectors import offer_queryset

    return list(offer_queryset(user=user).filter(company=company, status=OfferStatus.ACCEPTED)
                .order_by("-created_at", "-pk"))


def _header_kwargs(user, company: Company) -> dict:
    kwargs: dict = {"contracts": _contracts(user, company), "offers": _offers(user, company),
                    "departments": list(Department.objects.order_by("name"))}
    if can_assign(user):
        kwargs.update(users=active_users(), teams=all_teams())
    return kwargs


def _offer_rows(offer) -> list[LineRow]:
    rows = []
    for index, ol in enumerate(offer.lines.select_related("product").order_by("position", "pk")):
        rows.append(LineRow(index=index, offer_line=ol, values={
            "offer_line": str(ol.pk), "product": str(ol.product_id),
            "product_label": f"{ol.product.code} {ol.product.name}",
            "quantity": _plain(ol.quantity), "description": ol.description}))
    return rows


def _plain(value) -> str:
    return format(value.normalize(), "f")


def _attach_offer_lines(rows: list[LineRow], offer) -> None:
    """Rows copied from the offer show its line (price as offered) read-only."""
    if offer is None:
        return
    by_id = {str(ol.pk): ol for ol in offer.lines.select_related("product")}
    for row in rows:
        row.offer_line = by_id.get(row.get("offer_line"))


def _start(user, request: HttpRequest) -> tuple[Company | None, Any, Any]:
    """The client (and offer, contract) a new order starts from, from ?company/?offer/?contract
    (or the posted form). Each must be visible; a hidden one answers 404."""
    from partnera.contracts.selectors import contract_get
    from partnera.sales.offers.selectors import offer_get

    source = request.POST if request.method == "POST" else request.GET
    offer = contract = None
    company = None
    if _int(source.get("offer")):
        offer = offer_get(user=user, pk=_int(source.get("offer")))
        company = offer.company
    if _int(source.get("contract")):
        contract = contract_get(user=user, pk=_int(source.get("contract")))
        company = company or contract.company
    if _int(source.get("company")):
        chosen = client_selectors.company_get(user=user, pk=_int(source.get("company")))
        if company is not None and chosen.pk != company.pk:
            raise NotFound()
        company = chosen
    return company, offer, contract


def _client_step(request: HttpRequest) -> HttpResponse:
    """Choose the client first. Without JavaScript the typed name or EIK lists the matches."""
    form = ClientChoiceForm(request.GET or None)
    query = request.GET.get("company_label", "").strip()
    matches = client_selectors.company_autocomplete(user=request.user, query=query[:100],
                                                    limit=20) if query else []
    return render(request, "orders/order_client.html",
                  {"form": form, "query": query, "matches": matches})


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def order_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not permissions.may_take_orders(user):
        raise PermissionDenied()
    company, offer, contract = _start(user, request)
    if company is None:
        return _client_step(request)
    kwargs = _header_kwargs(user, company)
    status = 200
    if request.method == "POST":
        form = OrderHeaderForm(request.POST, **kwargs)
        rows = posted_rows(request.POST)
        resolve_products(rows)
        if form.is_valid() and "add_rows" not in request.POST:
            data = form.service_data()
            data["company"] = company.pk
            inputs, used = line_inputs(rows)
            try:
                order = services.order_create(actor=user, data=data, lines=inputs)
            except ValidationFailed as exc:
                rest = place_line_errors(exc.fields, used)
                add_errors_to_form(form, ValidationFailed(exc.message, fields=rest))
                if any(row.errors for row in used) and not form.errors:
                    form.add_error(None, _("Some lines are not valid: see the rows marked "
                                           "below."))
                status = 400
            else:
                messages.success(request, _("Order %(number)s received.") % {"number": order.number})
                return redirect("orders:order_detail", pk=order.pk)
        elif "add_rows" not in request.POST:
            status = 400
        _attach_offer_lines(rows, offer)
        rows = with_blank_rows(rows, 3 if "add_rows" in request.POST else 0) \
            if rows else with_blank_rows([], 3)
    else:
        departments = [str(d.pk) for d in services.default_departments()]
        initial = {"received_on": timezone.localdate().isoformat(),
                   "currency": (offer.currency if offer else contract.currency if contract
                                else "EUR"),
                   "departments": departments,
                   "contract": str(contract.pk) if contract else "",
                   "offer": str(offer.pk) if offer else ""}
        if can_assign(user):
            initial["owner"] = str(company.owner_id or user.pk)
            initial["team"] = str(company.team_id or "")
        form = OrderHeaderForm(initial=initial, **kwargs)
        rows = _offer_rows(offer) if offer is not None else with_blank_rows([], 3)
    return render(request, "orders/order_form.html", {
        "form": form, "order": None, "company": company, "rows": rows, "offer": offer,
        "pick_url": _pick_url(), "next_index": max((r.index for r in rows), default=-1) + 1,
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The order's header (client's order number, dates, address, note, contract, departments;
    owner and team for a head of sales or an administrator)."""
    user = request.user
    order = selectors.order_get(user=user, pk=pk)
    if not permissions.may_manage(user, order):
        raise PermissionDenied()
    kwargs = _header_kwargs(user, order.company)
    if order.contract is not None and order.contract not in kwargs["contracts"]:
        kwargs["contracts"].append(order.contract)  # since expired: it stays choosable here
    status, conflict = 200, False
    if request.method == "POST":
        form = OrderHeaderForm(request.POST, editing=True, **kwargs)
        if form.is_valid():
            try:
                services.order_update(actor=user, order=order, data=form.service_data(),
                                      expected_version=form.cleaned_data.get("version"))
            except VersionConflict as exc:
                form.add_error(None, exc.message)
                conflict = True
            except ValidationFailed as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("orders:order_detail", pk=order.pk)
        order = selectors.order_get(user=user, pk=pk)
        status = 409 if conflict else 400
    else:
        form = OrderHeaderForm(editing=True, initial={
            "contract": str(order.contract_id or ""), "client_reference": order.client_reference,
            "requested_date": order.requested_date.isoformat() if order.requested_date else "",
            "delivery_address": order.delivery_address, "note": order.note,
            "owner": str(order.owner_id or ""), "team": str(order.team_id or ""),
            "departments": [str(d.pk) for d in order.departments.all()],
            "version": order.version}, **kwargs)
    return render(request, "orders/order_edit.html",
                  {"form": form, "order": order, "conflict": conflict}, status=status)


def _line_rows_of(order: Order) -> list[LineRow]:
    rows = []
    for index, line in enumerate(selectors.order_lines(order)):
        rows.append(LineRow(index=index, offer_line=None, values={
            "product": str(line.product_id),
            "product_label": f"{line.product.code} {line.product.name}",
            "quantity": _plain(line.quantity), "manual_discount":
                _plain(line.manual_discount) if line.manual_discount else "",
            "promised_date": line.promised_date.isoformat(), "description": line.description,
            "offer_line": str(line.offer_line_id or "")}))
    _attach_offer_lines(rows, order.offer)
    return rows


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def order_lines(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the lines of a received order; they are priced again as of the day received."""
    user = request.user
    order = selectors.order_get(user=user, pk=pk)
    if not permissions.may_manage(user, order):
        raise PermissionDenied()
    error, status = "", 200
    if request.method == "POST":
        rows = posted_rows(request.POST)
        resolve_products(rows)
        if "add_rows" not in request.POST:
            inputs, used = line_inputs(rows)
            try:
                services.order_set_lines(actor=user, order=order, lines=inputs,
                                         expected_version=_int(request.POST.get("version")))
            except (ValidationFailed, VersionConflict) as exc:
                rest = place_line_errors(exc.fields, used)
                error = " ".join([exc.message, *[m for ms in rest.values() for m in ms]])
                status = 409 if isinstance(exc, VersionConflict) else 400
                order = selectors.order_get(user=user, pk=pk)
            else:
                messages.success(request, _("Lines saved."))
                return redirect("orders:order_detail", pk=order.pk)
        _attach_offer_lines(rows, order.offer)
        rows = with_blank_rows(rows, 3 if "add_rows" in request.POST else 0)
    else:
        rows = with_blank_rows(_line_rows_of(order), 1)
    return render(request, "orders/order_lines.html", {
        "order": order, "rows": rows, "error": error, "pick_url": _pick_url(),
        "version": request.POST.get("version") if request.method == "POST" else order.version,
        "next_index": max((r.index for r in rows), default=-1) + 1,
        "editable": order.status == "received"}, status=status)
