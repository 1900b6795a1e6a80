"""Web routes of this part of activities (included by activities/urls.py)."""

from __future__ import annotations

from django.urls import path  # noqa: F401

urlpatterns: list = []
