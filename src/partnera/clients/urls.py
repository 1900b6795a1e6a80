from django.urls import path

from partnera.core.views import page_not_found

app_name = "clients"

# Placeholders replaced by the clients UI.
urlpatterns = [
    path("companies/", page_not_found, name="company_list"),
    path("companies/new/", page_not_found, name="company_create"),
    path("companies/<int:pk>/", page_not_found, name="company_detail"),
    path("contacts/", page_not_found, name="contact_list"),
    path("contacts/<int:pk>/", page_not_found, name="contact_detail"),
]
