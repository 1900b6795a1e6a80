from django.urls import path

from partnera.core import views

app_name = "core"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("audit/", views.audit_log, name="audit_log"),
]
