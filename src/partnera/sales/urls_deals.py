"""Web routes of this part of the sales cycle (included by sales/urls.py)."""

from __future__ import annotations

from django.urls import path  # noqa: F401

urlpatterns: list = []
