"""Web routes of the deals, the pipeline report and the pipeline settings (included by
sales/urls.py, namespace "sales")."""

from __future__ import annotations

from django.urls import path

from partnera.sales.views import deals, settings

urlpatterns: list = [
    path("deals/", deals.deal_list, name="deal_list"),
    path("deals/new/", deals.deal_create, name="deal_create"),
    path("deals/trash/", deals.deal_trash, name="deal_trash"),
    path("deals/<int:pk>/", deals.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", deals.deal_edit, name="deal_edit"),
    path("deals/<int:pk>/move/", deals.deal_move, name="deal_move"),
    path("deals/<int:pk>/timeline/", deals.deal_timeline_older, name="deal_timeline"),
    path("deals/<int:pk>/delete/", deals.deal_delete, name="deal_delete"),
    path("deals/<int:pk>/restore/", deals.deal_restore, name="deal_restore"),
    path("reports/pipeline/", deals.pipeline_report, name="report_pipeline"),
    path("settings/pipelines/", settings.settings_pipelines, name="settings_pipelines"),
    path("settings/pipelines/new/", settings.settings_pipeline_create,
         name="settings_pipeline_create"),
    path("settings/pipelines/<int:pk>/", settings.settings_pipeline, name="settings_pipeline"),
    path("settings/pipelines/<int:pk>/edit/", settings.settings_pipeline_update,
         name="settings_pipeline_update"),
    path("settings/pipelines/<int:pk>/default/", settings.settings_pipeline_default,
         name="settings_pipeline_default"),
    path("settings/pipelines/<int:pk>/active/", settings.settings_pipeline_active,
         name="settings_pipeline_active"),
    path("settings/pipelines/<int:pk>/stages/", settings.settings_stage_create,
         name="settings_stage_create"),
    path("settings/stages/<int:pk>/", settings.settings_stage_update, name="settings_stage_update"),
    path("settings/stages/<int:pk>/move/", settings.settings_stage_move,
         name="settings_stage_move"),
    path("settings/reasons/", settings.settings_reasons, name="settings_reasons"),
    path("settings/reasons/<str:kind>/new/", settings.settings_reason_create,
         name="settings_reason_create"),
    path("settings/reasons/<int:pk>/", settings.settings_reason_update,
         name="settings_reason_update"),
    path("settings/reasons/<int:pk>/active/", settings.settings_reason_active,
         name="settings_reason_active"),
]
