"""The secret iCalendar feed address calendar applications subscribe to (no login)."""

from __future__ import annotations

from django.urls import path  # noqa: F401

app_name = "feeds"
urlpatterns: list = []
