"""Deleted contacts, notes and files come back: through the services, the company page and the
API. Who may restore is who may delete; a record the user may not see is a 404; below a company
in the trash nothing is restored. Every refused call leaves the database as it was."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnera.clients import selectors, services
from partnera.clients.models import Attachment, Contact, Note
from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.core.errors import Conflict, NotFound, PermissionDenied
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.core.tests.dbstate import db_state
from partnera.people.services import token_create

pytestmark = pytest.mark.django_db

API = "/api/v1"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def company(manager):
    return CompanyFactory(legal_name="Алфа", owner=manager)


@pytest.fixture
def marketing(make_user):
    """Sees the whole client base, changes none of it."""
    return make_user(Role.MARKETING, username="marketing")


def deleted_contact(company, actor, **kwargs) -> Contact:
    contact = ContactFactory(company=company, **kwargs)
    services.contact_delete(actor=actor, contact=contact)
    return Contact.all_objects.get(pk=contact.pk)


def deleted_note(company, actor, body: str = "Иска отстъпка.") -> Note:
    note = services.note_create(actor=actor, company=company, data={"body": body})
    services.note_delete(actor=actor, note=note)
    return Note.all_objects.get(pk=note.pk)


def deleted_file(company, actor, name: str = "оферта.pdf") -> Attachment:
    attachment = services.attachment_add(
        actor=actor, company=company,
        upload=SimpleUploadedFile(name, PDF, content_type="application/pdf"))
    services.attachment_delete(actor=actor, attachment=attachment)
    return Attachment.all_objects.get(pk=attachment.pk)


def last_restore() -> AuditEntry | None:
    return AuditEntry.objects.filter(action=AuditEntry.Action.RESTORE).order_by("-id").first()


def api_headers(user) -> dict:
    _token, secret = token_create(actor=None, user=user, name="tests")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": "en"}


# --- services ------------------------------------------------------------------------------------

def test_restoring_a_contact_brings_it_back_and_audits_it(manager, company):
    contact = deleted_contact(company, manager, first_name="Мария")

    restored = services.contact_restore(actor=manager, contact=contact)

    stored = Contact.objects.get(pk=contact.pk)
    assert (stored.deleted_at, stored.deleted_by, stored.version) == (None, None, 3)
    assert restored.version == 3
    entry = last_restore()
    assert (entry.actor, entry.object_type, entry.object_id, entry.company_id) == (
        manager, "clients.contact", str(contact.pk), company.pk)


def test_restoring_a_note_brings_it_back_and_audits_it(manager, company):
    note = deleted_note(company, manager, "Обади се в петък.")

    services.note_restore(actor=manager, note=note)

    stored = Note.objects.get(pk=note.pk)
    assert (stored.body, stored.deleted_at, stored.deleted_by) == ("Обади се в петък.", None, None)
    entry = last_restore()
    assert (entry.actor, entry.object_type, entry.object_id, entry.company_id) == (
        manager, "clients.note", str(note.pk), company.pk)


def test_restoring_a_file_brings_it_back_with_its_content(manager, company):
    attachment = deleted_file(company, manager)

    services.attachment_restore(actor=manager, attachment=attachment)

    stored = Attachment.objects.get(pk=attachment.pk)
    assert stored.deleted_at is None
    with stored.file.open("rb") as handle:
        assert handle.read() == PDF
    entry = last_restore()
    assert (entry.actor, entry.object_type, entry.object_id, entry.company_id) == (
        manager, "clients.attachment", str(attachment.pk), company.pk)


def test_the_head_of_sales_restores_a_note_of_a_team_member(manager, head_of_sales, company):
    note = deleted_note(company, manager)

    services.note_restore(actor=head_of_sales, note=note)

    assert Note.objects.filter(pk=note.pk).exists()
    assert last_restore().actor == head_of_sales


def test_a_colleague_may_not_restore_someone_elses_note(make_user, manager, company):
    colleague = make_user(Role.ACCOUNT_MANAGER, team=manager.team)
    note = deleted_note(company, manager)
    before = db_state()

    with pytest.raises(PermissionDenied, match="Only the author of a note"):
        services.note_restore(actor=colleague, note=note)

    assert db_state() == before


@pytest.mark.parametrize("kind", ["contact", "file"])
def test_a_reader_who_may_not_change_the_company_may_not_restore(marketing, manager, company, kind):
    if kind == "contact":
        record = deleted_contact(company, manager)
        call = lambda: services.contact_restore(actor=marketing, contact=record)  # noqa: E731
    else:
        record = deleted_file(company, manager)
        call = lambda: services.attachment_restore(actor=marketing, attachment=record)  # noqa: E731
    before = db_state()

    with pytest.raises(PermissionDenied):
        call()

    assert db_state() == before


def test_a_record_of_a_company_the_actor_cannot_see_is_not_found(other_manager, manager, company):
    contact, note, attachment = (deleted_contact(company, manager), deleted_note(company, manager),
                                 deleted_file(company, manager))
    before = db_state()

    with pytest.raises(NotFound):
        services.contact_restore(actor=other_manager, contact=contact)
    with pytest.raises(NotFound):
        services.note_restore(actor=other_manager, note=note)
    with pytest.raises(NotFound):
        services.attachment_restore(actor=other_manager, attachment=attachment)

    assert db_state() == before


def test_nothing_is_restored_below_a_company_in_the_trash(manager, company):
    contact, note, attachment = (deleted_contact(company, manager), deleted_note(company, manager),
                                 deleted_file(company, manager))
    services.company_delete(actor=manager, company=company)
    before = db_state()

    for call in (lambda: services.contact_restore(actor=manager, contact=contact),
                 lambda: services.note_restore(actor=manager, note=note),
                 lambda: services.attachment_restore(actor=manager, attachment=attachment)):
        with pytest.raises(Conflict) as caught:
            call()
        assert caught.value.message == "“Алфа” is in the trash. Restore the company first."
        assert caught.value.status == 409

    assert db_state() == before


def test_restoring_a_record_that_is_not_deleted_changes_nothing(manager, company):
    contact = ContactFactory(company=company)
    before = db_state()

    services.contact_restore(actor=manager, contact=contact)

    assert db_state() == before


# --- selectors -----------------------------------------------------------------------------------

def test_the_deleted_lists_hold_only_this_companys_deleted_records_newest_first(manager, company):
    older, newer = deleted_contact(company, manager), deleted_contact(company, manager)
    ContactFactory(company=company)  # live
    deleted_contact(CompanyFactory(owner=manager), manager)  # another company

    listed = list(selectors.contact_deleted_list(user=manager, company_id=company.pk))

    assert listed == [newer, older]
    assert listed[0].deleted_by == manager


def test_the_deleted_lists_are_scoped_by_visibility(manager, other_manager, company):
    deleted_contact(company, manager)
    deleted_note(company, manager)
    deleted_file(company, manager)

    assert list(selectors.contact_deleted_list(user=other_manager, company_id=company.pk)) == []
    assert list(selectors.note_deleted_list(user=other_manager, company_id=company.pk)) == []
    assert list(selectors.attachment_deleted_list(user=other_manager, company_id=company.pk)) == []


def test_getting_a_deleted_record_finds_neither_a_live_nor_a_hidden_one(manager, other_manager,
                                                                        company):
    live = ContactFactory(company=company)
    deleted = deleted_contact(company, manager)

    assert selectors.contact_get_deleted(user=manager, pk=deleted.pk) == deleted
    with pytest.raises(NotFound):
        selectors.contact_get_deleted(user=manager, pk=live.pk)
    with pytest.raises(NotFound):
        selectors.contact_get_deleted(user=other_manager, pk=deleted.pk)


def test_restorable_notes_are_ones_own_unless_one_heads_the_company(make_user, manager,
                                                                    head_of_sales, company):
    colleague = make_user(Role.ACCOUNT_MANAGER, team=manager.team)
    mine, theirs = deleted_note(company, manager, "моя"), deleted_note(company, colleague, "тяхна")

    assert list(selectors.note_deleted_restorable(user=manager, company=company)) == [mine]
    assert list(selectors.note_deleted_restorable(user=head_of_sales, company=company)) == [
        theirs, mine]


# --- the company page ------------------------------------------------------------------------------

def detail(client, company) -> str:
    response = client.get(reverse("clients:company_detail", args=[company.pk]))
    assert response.status_code == 200
    return response.content.decode()


def deleted_section(html: str) -> str:
    start = html.index('id="recently-deleted"')
    return html[start:html.index("</details>", start)]


def test_the_company_page_lists_what_was_deleted_with_restore_buttons(logged_in, manager, company):
    contact = deleted_contact(company, manager, first_name="Мария", last_name="Петрова")
    note = deleted_note(company, manager, "Иска отстъпка.")
    attachment = deleted_file(company, manager, "договор.pdf")

    html = deleted_section(detail(logged_in(manager), company))

    assert "Recently deleted" in html
    for text in ("Мария Петрова", "Иска отстъпка.", "договор.pdf", f"deleted by {manager}"):
        assert text in html
    for name, record in (("contact_restore", contact), ("note_restore", note),
                         ("attachment_restore", attachment)):
        action = reverse(f"clients:{name}", args=[record.pk])
        form_start = html.index(f'<form method="post" action="{action}">')
        assert "csrfmiddlewaretoken" in html[form_start:form_start + 300]


def test_the_section_is_absent_when_nothing_was_deleted(logged_in, manager, company):
    ContactFactory(company=company)

    assert 'id="recently-deleted"' not in detail(logged_in(manager), company)


def test_the_section_is_absent_for_a_user_who_may_not_restore(logged_in, marketing, manager,
                                                              company):
    deleted_contact(company, manager)
    deleted_note(company, manager)
    deleted_file(company, manager)

    assert 'id="recently-deleted"' not in detail(logged_in(marketing), company)


def test_a_colleague_sees_only_their_own_deleted_notes(logged_in, make_user, manager, company):
    colleague = make_user(Role.ACCOUNT_MANAGER, team=manager.team)
    deleted_note(company, manager, "Бележка на собственика")
    deleted_note(company, colleague, "Бележка на колегата")

    section = deleted_section(detail(logged_in(colleague), company))

    assert "Бележка на колегата" in section
    assert "Бележка на собственика" not in section


@pytest.mark.parametrize(
    ("name", "make", "model", "anchor", "message"),
    [
        ("contact_restore", lambda c, u: deleted_contact(c, u, first_name="Мария", last_name="Петрова"),
         Contact, "#contacts", "Contact “Мария Петрова” restored."),
        ("note_restore", deleted_note, Note, "#note-{pk}", "Note restored."),
        ("attachment_restore", lambda c, u: deleted_file(c, u, "договор.pdf"), Attachment,
         "#files", "File “договор.pdf” restored."),
    ],
)
def test_restore_from_the_company_page(logged_in, manager, company, name, make, model, anchor,
                                       message):
    record = make(company, manager)
    client = logged_in(manager)

    response = client.post(reverse(f"clients:{name}", args=[record.pk]))

    assert response.status_code == 302
    assert response["Location"] == (reverse("clients:company_detail", args=[company.pk])
                                    + anchor.format(pk=record.pk))
    assert model.objects.filter(pk=record.pk).exists()
    entry = last_restore()
    assert (entry.actor, entry.object_id, entry.channel) == (manager, str(record.pk), "web")
    html = client.get(response["Location"]).content.decode()
    assert message in html
    assert 'id="recently-deleted"' not in html


@pytest.mark.parametrize("name", ["contact_restore", "attachment_restore"])
def test_restore_on_the_page_is_refused_for_a_reader(logged_in, marketing, manager, company, name):
    record = (deleted_contact(company, manager) if name == "contact_restore"
              else deleted_file(company, manager))
    client = logged_in(marketing)
    before = db_state()

    response = client.post(reverse(f"clients:{name}", args=[record.pk]))

    assert response.status_code == 403
    assert db_state() == before


def test_restore_on_the_page_of_someone_elses_note_is_refused(logged_in, make_user, manager,
                                                              company):
    colleague = make_user(Role.ACCOUNT_MANAGER, team=manager.team)
    note = deleted_note(company, manager)
    client = logged_in(colleague)
    before = db_state()

    response = client.post(reverse("clients:note_restore", args=[note.pk]))

    assert response.status_code == 403
    assert "Only the author of a note" in response.content.decode()
    assert db_state() == before


@pytest.mark.parametrize("name", ["contact_restore", "note_restore", "attachment_restore"])
def test_restore_on_the_page_of_a_hidden_record_is_404(logged_in, other_manager, manager, company,
                                                       name):
    record = {"contact_restore": deleted_contact, "note_restore": deleted_note,
              "attachment_restore": deleted_file}[name](company, manager)
    client = logged_in(other_manager)
    before = db_state()

    response = client.post(reverse(f"clients:{name}", args=[record.pk]))

    assert response.status_code == 404
    assert db_state() == before


def test_restore_on_the_page_answers_only_post(logged_in, manager, company):
    contact = deleted_contact(company, manager)
    client = logged_in(manager)
    before = db_state()

    response = client.get(reverse("clients:contact_restore", args=[contact.pk]))

    assert response.status_code == 405
    assert db_state() == before


def test_restore_on_the_page_below_a_company_in_the_trash_says_why(logged_in, manager, company):
    contact = deleted_contact(company, manager)
    services.company_delete(actor=manager, company=company)
    client = logged_in(manager)
    before = db_state()

    response = client.post(reverse("clients:contact_restore", args=[contact.pk]), follow=True)

    assert response.redirect_chain == [(reverse("clients:company_trash"), 302)]
    assert "“Алфа” is in the trash. Restore the company first." in response.content.decode()
    assert db_state() == before


# --- API -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("path", "make", "model", "expected"),
    [
        ("contacts", lambda c, u: deleted_contact(c, u, first_name="Мария"), Contact,
         {"first_name": "Мария"}),
        ("notes", lambda c, u: deleted_note(c, u, "Бележка"), Note, {"body": "Бележка"}),
        ("attachments", lambda c, u: deleted_file(c, u, "договор.pdf"), Attachment,
         {"file_name": "договор.pdf"}),
    ],
)
def test_api_restore(client, manager, company, path, make, model, expected):
    record = make(company, manager)
    headers = api_headers(manager)

    response = client.post(f"{API}/{path}/{record.pk}/restore", **headers)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == record.pk
    assert {k: body[k] for k in expected} == expected
    assert model.objects.filter(pk=record.pk).exists()
    entry = last_restore()
    assert (entry.actor, entry.object_id, entry.channel) == (manager, str(record.pk), "api")


def test_api_restored_file_can_be_downloaded_again(client, manager, company):
    attachment = deleted_file(company, manager)
    headers = api_headers(manager)

    download_url = client.post(f"{API}/attachments/{attachment.pk}/restore",
                               **headers).json()["download_url"]
    response = client.get(download_url, **headers)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize("path", ["contacts", "attachments"])
def test_api_restore_is_refused_for_a_reader(client, marketing, manager, company, path):
    record = deleted_contact(company, manager) if path == "contacts" else deleted_file(company, manager)
    headers = api_headers(marketing)
    before = db_state()

    response = client.post(f"{API}/{path}/{record.pk}/restore", **headers)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert db_state() == before


def test_api_restore_of_someone_elses_note_is_refused(client, make_user, manager, company):
    colleague = make_user(Role.ACCOUNT_MANAGER, team=manager.team)
    note = deleted_note(company, manager)
    headers = api_headers(colleague)
    before = db_state()

    response = client.post(f"{API}/notes/{note.pk}/restore", **headers)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert db_state() == before


@pytest.mark.parametrize("path", ["contacts", "notes", "attachments"])
def test_api_restore_of_a_hidden_or_live_or_missing_record_is_404(client, other_manager, manager,
                                                                  company, path):
    make = {"contacts": deleted_contact, "notes": deleted_note, "attachments": deleted_file}[path]
    hidden = make(company, manager)
    live = {"contacts": lambda: ContactFactory(company=company),
            "notes": lambda: services.note_create(actor=manager, company=company,
                                                  data={"body": "жива"}),
            "attachments": lambda: services.attachment_add(
                actor=manager, company=company,
                upload=SimpleUploadedFile("жив.pdf", PDF, content_type="application/pdf"))}[path]()
    other_headers, own_headers = api_headers(other_manager), api_headers(manager)
    before = db_state()

    answers = [client.post(f"{API}/{path}/{hidden.pk}/restore", **other_headers),
               client.post(f"{API}/{path}/{live.pk}/restore", **own_headers),
               client.post(f"{API}/{path}/999999/restore", **own_headers)]

    assert [(r.status_code, r.json()["code"]) for r in answers] == [(404, "not_found")] * 3
    assert answers[0].json() == answers[2].json()
    assert db_state() == before


def test_api_restore_below_a_company_in_the_trash_is_409(client, manager, company):
    contact = deleted_contact(company, manager)
    services.company_delete(actor=manager, company=company)
    headers = api_headers(manager)
    before = db_state()

    response = client.post(f"{API}/contacts/{contact.pk}/restore", **headers)

    assert response.status_code == 409
    assert response.json() == {"code": "conflict", "fields": {},
                               "message": "“Алфа” is in the trash. Restore the company first."}
    assert db_state() == before


def test_api_lists_the_deleted_records_of_a_company(client, manager, company):
    contact = deleted_contact(company, manager, first_name="Мария")
    note = deleted_note(company, manager, "Бележка")
    attachment = deleted_file(company, manager, "договор.pdf")
    ContactFactory(company=company)  # live: not listed
    headers = api_headers(manager)

    response = client.get(f"{API}/companies/{company.pk}/deleted", **headers)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"contacts", "notes", "attachments", "truncated"}
    assert [c["id"] for c in body["contacts"]] == [contact.pk]
    assert [n["id"] for n in body["notes"]] == [note.pk]
    assert [a["id"] for a in body["attachments"]] == [attachment.pk]
    assert body["truncated"] is False
    assert body["contacts"][0]["first_name"] == "Мария"
    assert body["notes"][0]["body"] == "Бележка"
    assert body["attachments"][0]["file_name"] == "договор.pdf"
    assert "download_url" not in body["attachments"][0]
    by = {"id": manager.pk, "username": "manager", "name": str(manager)}
    for kind in ("contacts", "notes", "attachments"):
        assert body[kind][0]["deleted_by"] == by
        assert body[kind][0]["deleted_at"]


def test_api_deleted_list_keeps_to_the_limit(client, manager, company):
    newest = [deleted_contact(company, manager) for _ in range(3)][-2:]
    headers = api_headers(manager)

    body = client.get(f"{API}/companies/{company.pk}/deleted", {"limit": 2}, **headers).json()

    assert [c["id"] for c in body["contacts"]] == [c.pk for c in reversed(newest)]
    assert body["truncated"] is True


def test_api_deleted_list_holds_only_what_the_user_may_restore(client, marketing, manager, company):
    deleted_contact(company, manager)
    deleted_note(company, manager)
    deleted_file(company, manager)
    headers = api_headers(marketing)

    body = client.get(f"{API}/companies/{company.pk}/deleted", **headers).json()

    assert body == {"contacts": [], "notes": [], "attachments": [], "truncated": False}


def test_api_deleted_list_of_a_hidden_company_is_404(client, other_manager, manager, company):
    deleted_contact(company, manager)
    headers = api_headers(other_manager)

    response = client.get(f"{API}/companies/{company.pk}/deleted", **headers)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_api_deleted_list_query_count_is_constant(client, manager, company):
    headers = api_headers(manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"{API}/companies/{company.pk}/deleted", **headers)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    deleted_contact(company, manager)
    deleted_note(company, manager)
    deleted_file(company, manager)
    queries()  # the token's first use is recorded once
    one = queries()
    for n in range(5):
        deleted_contact(company, manager)
        deleted_note(company, manager, f"бележка {n}")
        deleted_file(company, manager, f"файл-{n}.pdf")
    six = queries()

    assert six == one
    assert len(json.loads(client.get(f"{API}/companies/{company.pk}/deleted",
                                      **headers).content)["notes"]) == 6
