from django.urls import path

from partnera.core import notification_views, organisation_views, views

app_name = "core"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("audit/", views.audit_log, name="audit_log"),
    path("settings/our-company/", organisation_views.organisation, name="organisation"),
    path("notifications/", notification_views.notifications, name="notifications"),
    path("notifications/bell/", notification_views.notification_bell, name="notification_bell"),
    path("notifications/read-all/", notification_views.notification_read_all,
         name="notification_read_all"),
    path("notifications/<int:pk>/open/", notification_views.notification_open,
         name="notification_open"),
    path("notifications/<int:pk>/read/", notification_views.notification_read,
         name="notification_read"),
]
