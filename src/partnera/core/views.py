"""Cross-cutting pages: home, health check, global search, audit log, error pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from partnera.core.context import Channel
from partnera.core.home import home_panels
from partnera.core.models import AuditEntry
from partnera.core.pagination import keyset_page
from partnera.core.search import global_search, group_hits
from partnera.core.selectors import audit_list
from partnera.core.visibility import is_administrator
from partnera.core.web import is_htmx


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok", "database": connection.vendor})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"panels": home_panels(user=request.user)})


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    # The box's dropdown shows a few of each kind while typing; the page shows more.
    partial = is_htmx(request)
    hits = global_search(user=request.user, query=query, limit=8 if partial else 25)
    template = "core/partials/search_results.html" if partial else "core/search.html"
    return render(request, template, {"hits": hits, "groups": group_hits(hits),
                                      "search_query": query})


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    if not is_administrator(request.user):
        raise DjangoPermissionDenied
    filters = {
        "action": request.GET.get("action", ""),
        "channel": request.GET.get("channel", ""),
        "actor": request.GET.get("actor", "")[:150],
    }
    page = keyset_page(audit_list(**filters), field="at", descending=True,
                       cursor=request.GET.get("cursor"), size=100)
    return render(request, "core/audit_log.html", {
        "page": page, "filters": filters, "actions": AuditEntry.Action.choices,
        "channels": Channel.CHOICES,
    })


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403)
