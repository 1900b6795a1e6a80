"""Cross-cutting pages: home, health check, global search, audit log, error pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from partnera.core.context import Channel
from partnera.core.home import PanelList, can_view_team, home_panels, home_view
from partnera.core.models import AuditEntry
from partnera.core.pagination import keyset_page
from partnera.core.search import global_search, group_hits
from partnera.core.selectors import audit_list
from partnera.core.visibility import is_administrator
from partnera.core.web import is_htmx


def greeting(user, hour: int) -> str:
    name = user.first_name or user.get_username()
    if 4 <= hour < 12:
        return _("Good morning, %(name)s") % {"name": name}
    if 12 <= hour < 18:
        return _("Good afternoon, %(name)s") % {"name": name}
    return _("Good evening, %(name)s") % {"name": name}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok", "database": connection.vendor})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """ "My day": the registered panels for the user, or (`?view=team`, a head of sales) for the
    members of the teams they head. Anyone else asking for the team view gets their own."""
    user = request.user
    view = home_view(user=user, team=request.GET.get("view") == "team")
    panels = home_panels(user=user, view=view)
    return render(request, "core/home.html", {
        "panels": panels, "view": view, "can_view_team": can_view_team(user),
        "greeting": greeting(user, view.now.astimezone(view.zone).hour),
        "summary": [(p, ctx["list"]) for p, ctx in panels
                    if isinstance(ctx.get("list"), PanelList) and p.title],
    })


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
