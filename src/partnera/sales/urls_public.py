"""The public web-to-lead form a company website posts to (no login; see sales/leads)."""

from __future__ import annotations

from django.urls import path  # noqa: F401

app_name = "webforms"
urlpatterns: list = []
