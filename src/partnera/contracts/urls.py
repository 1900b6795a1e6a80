"""/contracts/: the web pages of this domain."""

from __future__ import annotations

from django.urls import path

from partnera.contracts.views import contracts, documents, obligations, settings, terms

app_name = "contracts"
urlpatterns: list = [
    path("", contracts.contract_list, name="contract_list"),
    path("new/", contracts.contract_create, name="contract_create"),
    path("trash/", contracts.contract_trash, name="contract_trash"),
    path("<int:pk>/", contracts.contract_detail, name="contract_detail"),
    path("<int:pk>/edit/", contracts.contract_edit, name="contract_edit"),
    path("<int:pk>/status/", contracts.contract_transition, name="contract_transition"),
    path("<int:pk>/pdf/", contracts.contract_pdf, name="contract_pdf"),
    path("<int:pk>/delete/", contracts.contract_delete, name="contract_delete"),
    path("<int:pk>/restore/", contracts.contract_restore, name="contract_restore"),
    path("<int:pk>/documents/", documents.document_upload, name="document_upload"),
    path("documents/<int:pk>/download/", documents.document_download, name="document_download"),
    path("documents/<int:pk>/delete/", documents.document_delete, name="document_delete"),
    path("documents/<int:pk>/restore/", documents.document_restore, name="document_restore"),
    path("<int:pk>/obligations/", obligations.obligation_create, name="obligation_create"),
    path("obligations/", obligations.obligation_list, name="obligation_list"),
    path("obligations/<int:pk>/edit/", obligations.obligation_edit, name="obligation_edit"),
    path("obligations/<int:pk>/complete/", obligations.obligation_complete,
         name="obligation_complete"),
    path("obligations/<int:pk>/cancel/", obligations.obligation_cancel, name="obligation_cancel"),
    path("obligations/<int:pk>/reopen/", obligations.obligation_reopen, name="obligation_reopen"),
    path("<int:pk>/pricing/", terms.condition_create, name="condition_create"),
    path("pricing/<int:pk>/edit/", terms.condition_edit, name="condition_edit"),
    path("pricing/<int:pk>/delete/", terms.condition_delete, name="condition_delete"),
    path("<int:pk>/referrals/", terms.referral_create, name="referral_create"),
    path("referrals/<int:pk>/edit/", terms.referral_edit, name="referral_edit"),
    path("referrals/<int:pk>/delete/", terms.referral_delete, name="referral_delete"),
    path("settings/", settings.contract_settings, name="settings"),
    path("settings/types/new/", settings.contract_type_create, name="settings_type_create"),
    path("settings/types/<int:pk>/", settings.contract_type_edit, name="settings_type_edit"),
    path("settings/kinds/new/", settings.document_kind_create, name="settings_kind_create"),
    path("settings/kinds/<int:pk>/", settings.document_kind_edit, name="settings_kind_edit"),
]
