"""Per-request context: audit channel and client IP, the user's language and time zone."""

from __future__ import annotations

import ipaddress
import uuid

from django.conf import settings
from django.utils import timezone, translation

from partnera.core.context import Channel, acting
from partnera.core.timezones import user_zone


def client_ip(request) -> str | None:
    """The client's address for the audit log. Behind PARTNERA_PROXY_COUNT reverse proxies it is
    the entry that many places from the right of X-Forwarded-For (the left part is whatever the
    client claimed, so it is never trusted)."""
    proxies = settings.PARTNERA_PROXY_COUNT
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = Channel.API if request.path.startswith("/api/") else Channel.WEB
        with acting(channel, ip=client_ip(request), request_id=uuid.uuid4().hex):
            return self.get_response(request)


class UserLanguageMiddleware:
    """A logged-in user's saved language wins over the browser's, unless they chose one now.

    Logging in (and every later choice: the language switch, the profile) puts the user's
    language in their session and in the language cookie. When the cookie is missing (a new
    browser session, a cleared cookie) but the session remembers a language, that language is
    handed to LocaleMiddleware as if the cookie were there, and the cookie is set again. An
    explicit choice always sets the cookie, so it wins. No database query per request.
    """

    SESSION_KEY = "partnera_language"

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def _valid(language) -> bool:
        return isinstance(language, str) and language in dict(settings.LANGUAGES)

    @classmethod
    def remember(cls, request, response, language: str) -> None:
        """Make `language` this session's language (after login or an explicit choice)."""
        if not cls._valid(language):
            return
        if hasattr(request, "session"):
            request.session[cls.SESSION_KEY] = language
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )

    def __call__(self, request):
        cookie = settings.LANGUAGE_COOKIE_NAME
        restored = None
        if cookie not in request.COOKIES and hasattr(request, "session"):
            saved = request.session.get(self.SESSION_KEY)
            if self._valid(saved):
                request.COOKIES[cookie] = restored = saved
        response = self.get_response(request)
        if restored and cookie not in response.cookies:
            self.remember(request, response, restored)
        return response


class UserTimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        timezone.activate(user_zone(user if user is not None and user.is_authenticated else None))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


__all__ = ["RequestContextMiddleware", "UserLanguageMiddleware", "UserTimezoneMiddleware",
           "client_ip", "translation"]
