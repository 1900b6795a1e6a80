"""Recording a delivery from the order page (quantities per line, `qty_<line id>`) and removing
one recorded by mistake. A refused delivery shows the order page again with the errors next to
the lines and the day, and what was typed kept."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnera.core.errors import PermissionDenied, ValidationFailed
from partnera.core.web import web_errors
from partnera.orders import permissions, selectors, services
from partnera.orders.forms import DeliveryForm
from partnera.orders.views.orders import detail_context


@login_required
@require_POST
@web_errors
def delivery_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    order = selectors.order_get(user=user, pk=pk)
    if not permissions.may_fulfil(user, order):
        raise PermissionDenied()
    form = DeliveryForm(request.POST)
    form.is_valid()
    values = {line.pk: request.POST.get(f"qty_{line.pk}", "").strip()[:30]
              for line in selectors.order_lines(order)}
    sent = [(line_id, quantity) for line_id, quantity in values.items() if quantity]
    try:
        services.delivery_record(
            actor=user, order=order, delivered_on=request.POST.get("delivered_on", "").strip(),
            lines=sent, document_number=request.POST.get("document_number", ""),
            note=request.POST.get("note", ""))
    except ValidationFailed as exc:
        line_errors: dict[int, list[str]] = {}
        for key, field_messages in exc.fields.items():
            parts = key.split(".")
            if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit() \
                    and 1 <= int(parts[1]) <= len(sent):
                line_errors.setdefault(sent[int(parts[1]) - 1][0], []).extend(field_messages)
            elif key in form.fields:
                for message in field_messages:
                    form.add_error(key, message)
            else:
                for message in field_messages:
                    form.add_error(None, message)
        if not form.errors and not line_errors:
            form.add_error(None, exc.message)
        order = selectors.order_get(user=user, pk=pk)
        return render(request, "orders/order_detail.html", detail_context(
            request, order, delivery_form=form, delivery_values=values,
            delivery_errors=line_errors, delivery_open=True), status=400)
    messages.success(request, _("Delivery recorded."))
    return redirect("orders:order_detail", pk=order.pk)


@login_required
@require_POST
@web_errors
def delivery_delete(request: HttpRequest, pk: int, delivery_id: int) -> HttpResponse:
    user = request.user
    order = selectors.order_get(user=user, pk=pk)
    delivery = selectors.delivery_get(order, delivery_id)
    try:
        services.delivery_delete(actor=user, order=order, delivery=delivery)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Delivery removed; the order was computed again."))
    return redirect("orders:order_detail", pk=order.pk)
