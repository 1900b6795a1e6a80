"""Web routes of "My day" beside the home page (included by activities/urls.py): one panel in
full, and the contact cadences per client tier."""

from __future__ import annotations

from django.urls import path

from partnera.activities.views import myday as views

urlpatterns: list = [
    path("my-day/<str:name>/", views.panel_page, name="myday_panel"),
    path("cadence/", views.cadence_settings, name="cadence"),
]
