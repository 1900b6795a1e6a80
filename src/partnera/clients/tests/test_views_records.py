"""Notes (added and edited in place with HTMX) and files (upload checks, guarded downloads)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partnera.clients import services
from partnera.clients.models import Attachment, Note
from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.core.tests.dbstate import db_state

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def company(manager):
    return CompanyFactory(legal_name="Алфа", owner=manager)


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- notes ---------------------------------------------------------------------------------------

def test_add_note_with_htmx_answers_the_notes_card_and_the_timeline(logged_in, manager, company):
    contact = ContactFactory(company=company, first_name="Мария", last_name="Петрова")

    response = logged_in(manager).post(reverse("clients:note_create", args=[company.pk]),
                                       {"body": "Иска оферта до петък.", "contact": contact.pk}, **HX)

    html = response.content.decode()
    note = Note.objects.get()
    assert response.status_code == 200
    assert (note.body, note.contact, note.created_by) == ("Иска оферта до петък.", contact, manager)
    assert html.startswith('<section class="card" id="notes-card">')
    assert f'id="note-{note.pk}"' in html
    assert '<textarea name="body"' in html and "Иска оферта до петък.</textarea>" not in html
    assert 'id="timeline-card" hx-swap-oob="true"' in html
    assert "<html" not in html


def test_add_note_without_htmx_redirects_to_the_company(logged_in, manager, company):
    response = logged_in(manager).post(reverse("clients:note_create", args=[company.pk]),
                                       {"body": "Бележка"})
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:company_detail", args=[company.pk]) + "#notes"
    assert Note.objects.get().body == "Бележка"


def test_empty_note_shows_the_error_and_saves_nothing(logged_in, manager, company):
    client = logged_in(manager)
    before = db_state()

    response = client.post(reverse("clients:note_create", args=[company.pk]), {"body": "   "}, **HX)

    html = response.content.decode()
    assert "Write something in the note." in html
    assert "hx-swap-oob" not in html
    assert db_state() == before


def test_edit_own_note_in_place(logged_in, manager, company):
    note = services.note_create(actor=manager, company=company, data={"body": "Старо"})
    client = logged_in(manager)
    url = reverse("clients:note_edit", args=[note.pk])

    form = client.get(url, **HX).content.decode()
    response = client.post(url, {"body": "Ново", "version": note.version}, **HX)

    assert form.startswith(f'<li class="note editing" id="note-{note.pk}">')
    assert f'name="version" value="{note.version}"' in form
    assert response.status_code == 200
    assert response.content.decode().startswith(f'<li class="note" id="note-{note.pk}">')
    note.refresh_from_db()
    assert (note.body, note.version) == ("Ново", 2)


def test_note_edit_with_a_stale_version_keeps_the_text_and_changes_nothing(logged_in, manager,
                                                                           company):
    note = services.note_create(actor=manager, company=company, data={"body": "Старо"})
    services.note_update(actor=manager, note=note, data={"body": "Междинно"},
                         expected_version=note.version)
    client = logged_in(manager)
    before = db_state()

    response = client.post(reverse("clients:note_edit", args=[note.pk]),
                           {"body": "Моят текст", "version": 1}, **HX)

    html = response.content.decode()
    assert "Someone else changed this record after you opened it." in html
    assert "Моят текст</textarea>" in html
    assert db_state() == before


def test_delete_own_note_with_htmx_removes_it(logged_in, manager, company):
    note = services.note_create(actor=manager, company=company, data={"body": "Изтрий ме"})

    response = logged_in(manager).post(reverse("clients:note_delete", args=[note.pk]), **HX)

    assert response.status_code == 200
    assert response.content == b""
    assert Note.all_objects.get(pk=note.pk).deleted_at is not None
    assert not Note.objects.exists()


def test_colleague_may_not_edit_or_delete_someone_elses_note(logged_in, manager, company, make_user):
    colleague = make_user(Role.ACCOUNT_MANAGER, team=manager.team)
    note = services.note_create(actor=manager, company=company, data={"body": "Моя бележка"})
    client = logged_in(colleague)
    before = db_state()

    page = client.get(reverse("clients:company_detail", args=[company.pk])).content.decode()
    edit = client.post(reverse("clients:note_edit", args=[note.pk]), {"body": "X", "version": 1})
    delete = client.post(reverse("clients:note_delete", args=[note.pk]))

    assert "Моя бележка" in page
    assert reverse("clients:note_edit", args=[note.pk]) not in page
    assert (edit.status_code, delete.status_code) == (403, 403)
    assert db_state() == before


def test_notes_of_another_managers_company_answer_404(logged_in, manager, other_manager):
    theirs = CompanyFactory(owner=other_manager)
    note = services.note_create(actor=other_manager, company=theirs, data={"body": "Тайна"})
    client = logged_in(manager)
    before = db_state()

    responses = [
        client.get(reverse("clients:note_edit", args=[note.pk])),
        client.get(reverse("clients:note_item", args=[note.pk]), **HX),
        client.post(reverse("clients:note_edit", args=[note.pk]), {"body": "X", "version": 1}),
        client.post(reverse("clients:note_delete", args=[note.pk])),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert all("Тайна" not in r.content.decode() for r in responses)
    after = db_state()
    assert after.pop("audit_entries") == before.pop("audit_entries") + 4  # denied accesses only
    assert after == before


def test_note_actions_are_post_only(logged_in, manager, company):
    note = services.note_create(actor=manager, company=company, data={"body": "Бележка"})
    client = logged_in(manager)
    assert client.get(reverse("clients:note_delete", args=[note.pk])).status_code == 405
    assert client.get(reverse("clients:note_create", args=[company.pk])).status_code == 405
    assert Note.objects.filter(pk=note.pk).exists()


# --- files ---------------------------------------------------------------------------------------

def upload(client, company, name, content, description=""):
    return client.post(reverse("clients:attachment_upload", args=[company.pk]),
                       {"file": SimpleUploadedFile(name, content), "description": description})


def test_upload_list_and_download_a_pdf(logged_in, manager, company, settings):
    client = logged_in(manager)

    response = upload(client, company, "Оферта 2026.pdf", PDF, "Подписана оферта")

    attachment = Attachment.objects.get()
    assert response.status_code == 302
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        "Оферта 2026.pdf", "application/pdf", len(PDF))
    assert len(stored_files(settings)) == 1
    page = client.get(reverse("clients:company_detail", args=[company.pk])).content.decode()
    assert "Оферта 2026.pdf" in page and "Подписана оферта" in page

    download = client.get(reverse("clients:attachment_download", args=[attachment.pk]))

    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%D0%9E%D1%84%D0%B5%D1%80%D1%82%D0%B0%202026.pdf" in \
        download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DOWNLOAD,
                                     object_id=str(attachment.pk), actor=manager).count() == 1


@pytest.mark.parametrize(("name", "content", "message"), [
    ("setup.exe", b"MZ\x90\x00binary", "Files of this type are not accepted."),
    ("invoice.pdf", b"<html><script>alert(1)</script></html>",
     "content does not match its \u201c.pdf\u201d extension."),
    ("empty.pdf", b"", "The file is empty."),
    ("page.html", b"<html></html>", "Files of this type are not accepted."),
])
def test_refused_files_show_the_error_and_store_nothing(logged_in, manager, company, settings,
                                                        name, content, message):
    client = logged_in(manager)
    before = db_state()

    response = upload(client, company, name, content)

    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert 'id="field-file"' in html and "has-error" in html
    assert db_state() == before
    assert stored_files(settings) == []


def test_upload_too_large_is_refused(logged_in, manager, company, settings):
    settings.PARTNERA_MAX_UPLOAD_BYTES = 1024
    client = logged_in(manager)
    before = db_state()

    response = upload(client, company, "big.pdf", PDF + b"0" * 2048)

    assert response.status_code == 400
    assert "The file is larger than 1.0\xa0KB." in response.content.decode()
    assert db_state() == before
    assert stored_files(settings) == []


def test_upload_without_a_file_is_a_form_error(logged_in, manager, company):
    client = logged_in(manager)
    before = db_state()
    response = client.post(reverse("clients:attachment_upload", args=[company.pk]), {"description": "x"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert db_state() == before


def test_files_of_an_invisible_company_answer_404(logged_in, manager, other_manager, settings):
    theirs = CompanyFactory(owner=other_manager)
    attachment = services.attachment_add(actor=other_manager, company=theirs,
                                         upload=SimpleUploadedFile("x.pdf", PDF))
    client = logged_in(manager)
    before = db_state()

    download = client.get(reverse("clients:attachment_download", args=[attachment.pk]))
    delete = client.post(reverse("clients:attachment_delete", args=[attachment.pk]))
    add = upload(client, theirs, "y.pdf", PDF)

    assert (download.status_code, delete.status_code, add.status_code) == (404, 404, 404)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.DOWNLOAD).exists()
    after = db_state()
    after.pop("audit_entries"), before.pop("audit_entries")
    assert after == before
    assert len(stored_files(settings)) == 1


def test_file_of_a_deleted_company_is_not_served(logged_in, manager, company):
    attachment = services.attachment_add(actor=manager, company=company,
                                         upload=SimpleUploadedFile("x.pdf", PDF))
    services.company_delete(actor=manager, company=company)

    response = logged_in(manager).get(reverse("clients:attachment_download", args=[attachment.pk]))

    assert response.status_code == 404


def test_delete_a_file(logged_in, manager, company):
    attachment = services.attachment_add(actor=manager, company=company,
                                         upload=SimpleUploadedFile("x.pdf", PDF))

    response = logged_in(manager).post(reverse("clients:attachment_delete", args=[attachment.pk]))

    assert response.status_code == 302
    assert not Attachment.objects.exists()
    assert Attachment.all_objects.get(pk=attachment.pk).deleted_by == manager
