"""Per-request context: audit channel and client IP, the user's language and time zone."""

from __future__ import annotations

import uuid
import zoneinfo

from django.conf import settings
from django.utils import timezone, translation

from partnera.core.context import Channel, acting


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = Channel.API if request.path.startswith("/api/") else Channel.WEB
        with acting(channel, ip=client_ip(request), request_id=uuid.uuid4().hex):
            return self.get_response(request)


class UserLanguageMiddleware:
    """A logged-in user's saved language wins over the browser's, unless they chose one now."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)


class UserTimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = settings.PARTNERA_DEFAULT_TIMEZONE
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "time_zone", ""):
            name = user.time_zone
        try:
            timezone.activate(zoneinfo.ZoneInfo(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zoneinfo.ZoneInfo("Europe/Sofia"))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


__all__ = ["RequestContextMiddleware", "UserLanguageMiddleware", "UserTimezoneMiddleware",
           "client_ip", "translation"]
