"""Order pages: the list with filters, the order page (header, status actions, lines with what
was delivered and what is late, deliveries, the record-delivery form, the timeline) and the
status moves. Thin: parse → selector/service → render; a hidden order answers 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import select_template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from partnera.clients.models import Company
from partnera.clients.views.common import active_users, clean_query, partial_for
from partnera.core.errors import ValidationFailed, VersionConflict
from partnera.core.visibility import visible_q
from partnera.core.web import web_errors
from partnera.orders import permissions, selectors, services
from partnera.orders.forms import CancelForm, CloseForm, DeliveryForm, OrderFilterForm, sort_choices
from partnera.orders.models import Order, OrderLine, OrderStatus
from partnera.orders.timeline import order_timeline

PAGE_SIZE = 50
TIMELINE_SIZE = 50
FILTER_KEYS = {"q", "status", "owner", "company", "late", "received_from", "received_to", "sort"}
EXPLANATION_TEMPLATES = ["catalog/partials/price_explanation.html",
                         "orders/partials/price_steps.html"]


# --- list ----------------------------------------------------------------------------------------

@login_required
@require_GET
@web_errors
def order_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    company_label = ""
    raw_company = request.GET.get("company", "")
    form = OrderFilterForm(request.GET, users=active_users())
    filters, sort = form.filters(), form.sort_key()
    if filters.company:
        company = Company.objects.filter(visible_q(user), pk=filters.company).first()
        company_label = company.legal_name if company else raw_company
        form = OrderFilterForm(request.GET, users=active_users(), company_label=company_label)
    page = selectors.order_page(user=user, filters=filters, sort=sort,
                                cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    count, count_more = selectors.order_count(user=user, filters=filters)
    context = {
        "form": form, "filters": filters, "sort": sort, "page": page, "count": count,
        "count_more": count_more, "sort_choices": sort_choices(),
        "active_filters": filters.active_count(), "statuses": OrderStatus.choices,
        "current_query": clean_query(request.GET.urlencode(), FILTER_KEYS),
        "may_take": permissions.may_take_orders(user),
    }
    if partial_for(request, "order-results"):
        return render(request, "orders/order_list.html#results", context)
    return render(request, "orders/order_list.html", context)


# --- the order page ------------------------------------------------------------------------------

def line_rows(lines: list[OrderLine], today: dt.date) -> list[dict]:
    rows = []
    for line in lines:
        remaining = max(line.quantity - line.delivered_quantity, Decimal("0"))
        if line.completed_on is not None:
            state = "on_time" if line.completed_on <= line.promised_date else "late_done"
        else:
            state = "late" if line.promised_date < today else "open"
        rows.append({"line": line, "remaining": remaining, "state": state})
    return rows


def _timeline_rows(entries) -> list[tuple]:
    labels = {f.name: str(f.verbose_name) for f in Order._meta.get_fields()
              if hasattr(f, "verbose_name")}
    return [(e, [(labels.get(f, f.replace("_", " ")), before, after)
                 for f, before, after in e.details]) for e in entries]


def detail_context(request: HttpRequest, order: Order, **extra) -> dict:
    user = request.user
    today = timezone.localdate()
    lines = selectors.order_lines(order)
    may_manage = permissions.may_manage(user, order)
    may_fulfil = permissions.may_fulfil(user, order)
    status = order.status
    context = {
        "order": order,
        "rows": line_rows(lines, today),
        "deliveries": selectors.delivery_list(order),
        "departments": list(order.departments.all()),
        "company_visible": Company.objects.filter(visible_q(user), pk=order.company_id).exists(),
        "links": selectors.order_links_seen(user, order),
        "timeline": _timeline_rows(order_timeline(user=user, order=order, limit=TIMELINE_SIZE)),
        "explanation_template": select_template(EXPLANATION_TEMPLATES).template.name,
        "may_manage": may_manage,
        "may_fulfil": may_fulfil,
        "can_confirm": may_manage and status == OrderStatus.RECEIVED,
        "can_edit_lines": may_manage and status == OrderStatus.RECEIVED,
        "can_edit": may_manage and status not in services.ENDED,
        "can_start": may_fulfil and status == OrderStatus.CONFIRMED,
        "can_close": may_manage and status in (OrderStatus.DELIVERED, OrderStatus.PARTLY_DELIVERED),
        "closes_short": status == OrderStatus.PARTLY_DELIVERED,
        "can_cancel": may_manage and status in services.CANCELLABLE,
        "can_deliver": may_fulfil and status in services.DELIVERABLE,
        "can_correct": may_fulfil and status not in services.ENDED,
        "delivery_form": DeliveryForm(initial={"delivered_on": today.isoformat()}),
        "delivery_values": {},
        "delivery_errors": {},
        "cancel_form": CancelForm(initial={"version": order.version}),
        "close_form": CloseForm(initial={"version": order.version}),
        "today": today,
    }
    context.update(extra)
    for row in context["rows"]:  # what was typed in the delivery form, and its errors
        row["typed"] = context["delivery_values"].get(row["line"].pk, "")
        row["errors"] = context["delivery_errors"].get(row["line"].pk, [])
    return context


@login_required
@require_GET
@web_errors
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_get(user=request.user, pk=pk)
    return render(request, "orders/order_detail.html", detail_context(request, order))


# --- status moves --------------------------------------------------------------------------------

def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", "")) or None
    except ValueError:
        return None


def _after_move(request: HttpRequest, pk: int, call, success: str, **failed_forms) -> HttpResponse:
    """Run a status move; on refusal show the order page again with the reason (nothing
    changed), keeping what was typed in the form that was sent."""
    user = request.user
    try:
        call()
    except VersionConflict as exc:
        order = selectors.order_get(user=user, pk=pk)
        return render(request, "orders/order_detail.html",
                      detail_context(request, order, move_error=exc.message, **failed_forms),
                      status=409)
    except ValidationFailed as exc:
        order = selectors.order_get(user=user, pk=pk)
        for form in failed_forms.values():
            for name, field_messages in exc.fields.items():
                target = "reason" if name in ("cancel_reason", "close_reason") else None
                if target and target in form.fields:
                    for message in field_messages:
                        form.add_error(target, message)
        return render(request, "orders/order_detail.html",
                      detail_context(request, order, move_error=exc.message, **failed_forms),
                      status=400)
    messages.success(request, success)
    return redirect("orders:order_detail", pk=pk)


@login_required
@require_POST
@web_errors
def order_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_get(user=request.user, pk=pk)
    return _after_move(request, pk, lambda: services.order_confirm(
        actor=request.user, order=order, expected_version=_version(request)),
        _("Order confirmed."))


@login_required
@require_POST
@web_errors
def order_start(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_get(user=request.user, pk=pk)
    return _after_move(request, pk, lambda: services.order_start(
        actor=request.user, order=order, expected_version=_version(request)),
        _("The order is in fulfilment."))


@login_required
@require_POST
@web_errors
def order_close(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_get(user=request.user, pk=pk)
    form = CloseForm(request.POST)
    form.is_valid()
    return _after_move(request, pk, lambda: services.order_close(
        actor=request.user, order=order, reason=request.POST.get("reason", ""),
        expected_version=_version(request)), _("Order closed."), close_form=form)


@login_required
@require_POST
@web_errors
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_get(user=request.user, pk=pk)
    form = CancelForm(request.POST)
    form.is_valid()
    return _after_move(request, pk, lambda: services.order_cancel(
        actor=request.user, order=order, reason=request.POST.get("reason", ""),
        expected_version=_version(request)), _("Order cancelled."), cancel_form=form)

