"""/orders/performance/: delivery performance (OTIF, on time, in full) and repeat orders, per
account manager and per client, with the late orders; its per-client download; and the company
page's small "Delivery and reorders" panel.

Thin: parse (orders.performance) → figures (one statement each) → render. Every figure reads
only the orders the user may see.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from partnera.clients.views.common import active_users, all_teams
from partnera.clients.views.exports import export_dialect, export_format
from partnera.core.errors import ValidationFailed
from partnera.core.pagination import bounded_count
from partnera.core.timezones import user_zone
from partnera.core.web import AuthenticatedHttpRequest, add_errors_to_form, export_response, web_errors
from partnera.orders import performance as perf
from partnera.orders.late import decorate, with_lateness
from partnera.orders.performance_export import performance_export
from partnera.orders.selectors import late_orders_q

LATE_ITEMS = 20
EXPORT_FORMATS = ("csv", "xlsx")


class PerformanceFilterForm(forms.Form):
    """Carries the filters back to the page (orders.performance parses and validates them)."""

    start = forms.CharField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.CharField(label=_("To"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))
    team = forms.ChoiceField(label=_("Team"), required=False)
    owner = forms.ChoiceField(label=_("Account manager"), required=False)

    def __init__(self, *args, teams, users, **kwargs):
        super().__init__(*args, **kwargs)
        everyone = [("", _("Everyone"))]
        self.fields["team"].choices = [("", _("Every team")), *((str(t.pk), t.name) for t in teams)]  # type: ignore[attr-defined]
        self.fields["owner"].choices = [*everyone, *((str(u.pk), str(u)) for u in users)]  # type: ignore[attr-defined]


def user_today(user) -> dt.date:
    return timezone.now().astimezone(user_zone(user)).date()


def _late(user, filters: perf.PerformanceFilters) -> dict:
    """The late orders within the team and manager asked for (whatever the period)."""
    base = perf.filtered_orders(user, filters)
    items = list(with_lateness(base, filters.today).select_related("company", "owner")[:LATE_ITEMS])
    decorate(items, filters.today)
    count, more = bounded_count(base.filter(late_orders_q(filters.today)))
    return {"items": items, "count": count, "more": more}


@login_required
@require_GET
@web_errors
def order_performance(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = PerformanceFilterForm(request.GET or None, teams=all_teams(), users=active_users())
    if form.is_bound:
        form.is_valid()  # only carries the input back: orders.performance validates it
    today = user_today(user)
    context: dict = {"form": form, "today": today}
    try:
        filters = perf.performance_filters(request.GET, today=today)
        params = perf.page_params(request.GET)
    except ValidationFailed as exc:
        add_errors_to_form(form, exc)
        return render(request, "orders/performance.html", context, status=400)
    figures = perf.performance(user=user, filters=filters, params=params)
    if not (request.GET.get("start") and request.GET.get("end")):
        # Show the period the figures are for in the date boxes (the default, or the end or
        # start filled in), so the next change starts from it.
        data = {**request.GET.dict(), "start": filters.start.isoformat(), "end": filters.end.isoformat()}
        form = PerformanceFilterForm(data, teams=all_teams(), users=active_users())
        form.is_valid()
        context["form"] = form
    context.update({
        "filters": filters, "params": params, "figures": figures, "late": _late(user, filters),
        "export_query": request.GET.urlencode(),
        "period_days": (filters.end - filters.start).days + 1,
    })
    return render(request, "orders/performance.html", context)


@login_required
@require_GET
@web_errors
def order_performance_export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    fmt = export_format(request.GET.get("format"), EXPORT_FORMATS)
    filters = perf.performance_filters(request.GET, today=user_today(request.user))
    return export_response(performance_export(actor=request.user, filters=filters, fmt=fmt,
                                              dialect=export_dialect(request.GET.get("sep"))))


# --- the company page's panel (core.panels) ------------------------------------------------------

def company_performance_panel(*, user, record) -> dict | None:
    """The client's delivery and reorder figures over the last 90 days (None when the user sees
    no order of it in that time)."""
    today = user_today(user)
    start, end = perf.default_period(today)
    filters = perf.PerformanceFilters(start=start, end=end, today=today)
    otif, orders = perf.company_figures(user=user, company_id=record.pk, filters=filters)
    if not otif.orders and orders is None:
        return None
    return {"company": record, "otif": otif, "orders": orders, "filters": filters}
