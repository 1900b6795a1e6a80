"""/sales/offers/: offers (quotes) made from deals (included by sales/urls.py, namespace "sales")."""

from __future__ import annotations

from django.urls import path

from partnera.sales.views import offers as views

urlpatterns: list = [
    path("offers/", views.offer_list, name="offer_list"),
    path("deals/<int:deal_pk>/offers/new/", views.offer_create, name="offer_create"),
    path("offers/<int:pk>/", views.offer_detail, name="offer_detail"),
    path("offers/<int:pk>/edit/", views.offer_edit, name="offer_edit"),
    path("offers/<int:pk>/send/", views.offer_send, name="offer_send"),
    path("offers/<int:pk>/accept/", views.offer_accept, name="offer_accept"),
    path("offers/<int:pk>/reject/", views.offer_reject, name="offer_reject"),
    path("offers/<int:pk>/new-version/", views.offer_new_version, name="offer_new_version"),
    path("offers/<int:pk>/approve/", views.offer_approve, name="offer_approve"),
    path("offers/<int:pk>/decline/", views.offer_decline, name="offer_decline"),
    path("offers/<int:pk>/delete/", views.offer_delete, name="offer_delete"),
    path("offers/<int:pk>/pdf/", views.offer_pdf, name="offer_pdf"),
]
