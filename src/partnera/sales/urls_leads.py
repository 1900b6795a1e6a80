"""Web routes of leads and web forms (included by sales/urls.py, namespace "sales")."""

from __future__ import annotations

from django.urls import path

from partnera.sales.views import leads as views

urlpatterns: list = [
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/new/", views.lead_create, name="lead_create"),
    path("leads/trash/", views.lead_trash, name="lead_trash"),
    path("leads/contacts/", views.lead_contact_autocomplete, name="lead_contact_autocomplete"),
    path("leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/edit/", views.lead_edit, name="lead_edit"),
    path("leads/<int:pk>/qualify/", views.lead_qualify, name="lead_qualify"),
    path("leads/<int:pk>/disqualify/", views.lead_disqualify, name="lead_disqualify"),
    path("leads/<int:pk>/delete/", views.lead_delete, name="lead_delete"),
    path("leads/<int:pk>/restore/", views.lead_restore, name="lead_restore"),
    path("leads/forms/", views.webform_list, name="webform_list"),
    path("leads/forms/new/", views.webform_create, name="webform_create"),
    path("leads/forms/<int:pk>/", views.webform_edit, name="webform_edit"),
    path("leads/forms/<int:pk>/rotate/", views.webform_rotate, name="webform_rotate"),
]
