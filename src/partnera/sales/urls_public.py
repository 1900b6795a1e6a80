"""The public web-to-lead form a company website posts to (no login; see sales/views/public.py)."""

from __future__ import annotations

from django.urls import path

from partnera.sales.views import public

app_name = "webforms"
urlpatterns: list = [
    path("<str:key>/", public.webform_submit, name="submit"),
]
