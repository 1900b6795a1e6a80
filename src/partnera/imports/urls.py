from django.urls import path

from partnera.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="import_list"),
    path("new/", views.import_new, name="import_new"),
    path("<int:pk>/", views.import_detail, name="import_detail"),
    path("<int:pk>/mapping/", views.import_configure, name="import_configure"),
    path("<int:pk>/dry-run/", views.import_dry_run, name="import_dry_run"),
    path("<int:pk>/start/", views.import_start, name="import_start"),
    path("<int:pk>/resume/", views.import_resume, name="import_resume"),
    path("<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("<int:pk>/undo/", views.import_undo, name="import_undo"),
    path("<int:pk>/report.csv", views.import_report, name="import_report"),
    path("mappings/<int:pk>/delete/", views.mapping_delete, name="mapping_delete"),
]
