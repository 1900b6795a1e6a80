"""The secret iCalendar feed address calendar applications subscribe to (no login)."""

from __future__ import annotations

from django.urls import re_path

from partnera.activities.views import calendar as views

app_name = "feeds"
urlpatterns: list = [
    # token_urlsafe(32) is 43 characters of [A-Za-z0-9_-]; anything else is simply not found.
    re_path(r"^(?P<token>[A-Za-z0-9_-]{1,200})\.ics$", views.feed, name="feed"),
]
