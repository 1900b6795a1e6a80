"""Web routes of this part of activities (included by activities/urls.py): the list, an
activity's page and its actions, the create and edit forms, and "Log a call"."""

from __future__ import annotations

from django.urls import path

from partnera.activities.views import activities as views

urlpatterns: list = [
    path("", views.activity_list, name="activity_list"),
    path("new/", views.activity_create, name="activity_create"),
    path("<int:pk>/", views.activity_detail, name="activity_detail"),
    path("<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("<int:pk>/complete/", views.activity_complete, name="activity_complete"),
    path("<int:pk>/cancel/", views.activity_cancel, name="activity_cancel"),
    path("<int:pk>/delete/", views.activity_delete, name="activity_delete"),
    path("<int:pk>/restore/", views.activity_restore, name="activity_restore"),
    path("<int:pk>/reminder/", views.activity_reminder, name="activity_reminder"),
    path("log/company/<int:company_pk>/", views.activity_log, name="activity_log"),
    path("log/deal/<int:deal_pk>/", views.activity_log_deal, name="activity_log_deal"),
]
