from django.urls import path

from partnera.clients import views

app_name = "clients"

urlpatterns = [
    path("companies/", views.company_list, name="company_list"),
    path("companies/new/", views.company_create, name="company_create"),
    path("companies/check/", views.company_check, name="company_check"),
    path("companies/autocomplete/", views.company_autocomplete, name="company_autocomplete"),
    path("companies/trash/", views.company_trash, name="company_trash"),
    path("companies/views/", views.saved_view_create, name="saved_view_create"),
    path("companies/views/<int:pk>/delete/", views.saved_view_delete, name="saved_view_delete"),
    path("companies/<int:pk>/", views.company_detail, name="company_detail"),
    path("companies/<int:pk>/edit/", views.company_edit, name="company_edit"),
    path("companies/<int:pk>/delete/", views.company_delete, name="company_delete"),
    path("companies/<int:pk>/restore/", views.company_restore, name="company_restore"),
    path("companies/<int:pk>/share/", views.company_share, name="company_share"),
    path("companies/<int:pk>/share/<int:user_id>/remove/", views.company_unshare,
         name="company_unshare"),
    path("companies/<int:pk>/timeline/", views.company_timeline, name="company_timeline"),
    path("companies/<int:pk>/notes/", views.note_create, name="note_create"),
    path("companies/<int:pk>/files/", views.attachment_upload, name="attachment_upload"),
    path("notes/<int:pk>/", views.note_item, name="note_item"),
    path("notes/<int:pk>/edit/", views.note_edit, name="note_edit"),
    path("notes/<int:pk>/delete/", views.note_delete, name="note_delete"),
    path("notes/<int:pk>/restore/", views.note_restore, name="note_restore"),
    path("files/<int:pk>/download/", views.attachment_download, name="attachment_download"),
    path("files/<int:pk>/delete/", views.attachment_delete, name="attachment_delete"),
    path("files/<int:pk>/restore/", views.attachment_restore, name="attachment_restore"),
    path("contacts/", views.contact_list, name="contact_list"),
    path("contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("contacts/<int:pk>/restore/", views.contact_restore, name="contact_restore"),
    path("contacts/<int:pk>/notes/", views.contact_note_create, name="contact_note_create"),
]
