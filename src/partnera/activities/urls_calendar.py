"""Web routes of this part of activities (included by activities/urls.py): the calendar, the
secret feed address page, and one activity as .ics."""

from __future__ import annotations

from django.urls import path

from partnera.activities.views import calendar as views

urlpatterns: list = [
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/feed/", views.feed_page, name="calendar_feed"),
    path("calendar/feed/create", views.feed_create, name="calendar_feed_create"),
    path("calendar/feed/reset", views.feed_reset, name="calendar_feed_reset"),
    path("calendar/feed/revoke", views.feed_revoke, name="calendar_feed_revoke"),
    path("<int:pk>/ics", views.activity_ics, name="activity_ics"),
]
