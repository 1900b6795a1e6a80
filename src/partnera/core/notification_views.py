"""The notifications page and the bell in the top bar. A user only ever sees, opens and marks
their own notifications: every query is scoped to `request.user`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from partnera.core.models import Notification
from partnera.core.notifications import notification_list, notifications_mark_read, unread_count
from partnera.core.pagination import keyset_page
from partnera.core.web import is_htmx

PAGE_SIZE = 50


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    only_unread = request.GET.get("unread") == "1"
    qs = notification_list(user=request.user, unread_only=only_unread)
    page = keyset_page(qs, field="created_at", descending=True, cursor=request.GET.get("cursor"),
                       size=PAGE_SIZE)
    return render(request, "core/notifications.html", {
        "page": page, "only_unread": only_unread, "unread": unread_count(user=request.user)})


@require_GET
def notification_bell(request: HttpRequest) -> HttpResponse:
    """The bell alone (HTMX refreshes it now and then). Logged out meanwhile: HTMX's "stop
    polling" answer (286), never the login page swapped into the top bar."""
    if not request.user.is_authenticated:
        return HttpResponse(status=286)
    return render(request, "core/partials/notification_bell.html",
                  {"notifications_unread": unread_count(user=request.user)})


def _own(request: HttpRequest, pk: int) -> Notification:
    notification = notification_list(user=request.user).filter(pk=pk).first()
    if notification is None:
        raise Http404()
    return notification


def _safe(url: str, request: HttpRequest) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return reverse("core:notifications")


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one read and go to what it is about."""
    notification = _own(request, pk)
    notifications_mark_read(user=request.user, ids=[notification.pk])
    return redirect(_safe(notification.url, request))


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = _own(request, pk)
    notifications_mark_read(user=request.user, ids=[notification.pk])
    if is_htmx(request):
        notification.refresh_from_db()
        return render(request, "core/notifications.html#item", {"n": notification})
    return redirect(_back(request))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    notifications_mark_read(user=request.user)
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    return _safe(request.POST.get("next", ""), request)
