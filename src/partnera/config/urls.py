from django.urls import include, path

from partnera.core import views as core_views
from partnera.people.urls import people_patterns

handler403 = "partnera.core.views.permission_denied"
handler404 = "partnera.core.views.page_not_found"
handler500 = "partnera.core.views.server_error"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("", include("partnera.people.urls")),  # before i18n: its set_language saves the choice
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("partnera.core.urls")),
    path("people/", include((people_patterns, "people"))),
    path("clients/", include("partnera.clients.urls")),
    path("imports/", include("partnera.imports.urls")),
    path("sales/", include("partnera.sales.urls")),
    path("activities/", include("partnera.activities.urls")),
    path("catalog/", include("partnera.catalog.urls")),
    path("contracts/", include("partnera.contracts.urls")),
    path("orders/", include("partnera.orders.urls")),
    path("forms/", include("partnera.sales.urls_public")),
    path("calendar/feed/", include("partnera.activities.urls_feed")),
    path("api/v1/", include("partnera.config.api_urls")),
]
