"""The contacts pages: list with search, filters and keyset pages; contact page with notes;
create (company pre-selected), edit with version check, delete."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnera.clients import services
from partnera.clients.models import Channel, Contact, Note
from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.core.roles import Role
from partnera.core.tests.dbstate import db_state

pytestmark = pytest.mark.django_db

LIST = reverse("clients:contact_list")
NEW = reverse("clients:contact_create")


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def company(manager):
    return CompanyFactory(legal_name="Алфа", owner=manager)


def names(html: str) -> list[str]:
    return re.findall(r'<td class="primary"><a href="/clients/contacts/\d+/">([^<]*)</a>', html)


def contact_post(company, **overrides) -> dict:
    data = {"company": company.pk, "company_label": company.legal_name, "first_name": "Мария",
            "last_name": "Петрова", "position": "Управител", "department": "",
            "emails": "maria@alfa.bg", "phones": "0888 123 456", "preferred_channel": "email",
            "consent_date": "", "consent_source": ""}
    data.update(overrides)
    return data


def test_list_shows_visible_contacts_with_their_company(logged_in, manager, other_manager, company):
    ContactFactory(company=company, first_name="Иван", last_name="Петров", phones=["+359888123456"])
    ContactFactory(company=CompanyFactory(owner=other_manager), first_name="Скрит", last_name="Човек")

    response = logged_in(manager).get(LIST)

    html = response.content.decode()
    assert response.status_code == 200
    assert names(html) == ["Иван Петров"]
    assert ">Алфа</a>" in html
    assert "+359 88 812 3456" in html
    assert "Скрит" not in html
    assert "1 contact" in html


def test_search_and_filters(logged_in, manager, company):
    ContactFactory(company=company, first_name="Иван", last_name="Андреев", marketing_consent=True,
                   consent_source="форма", preferred_channel=Channel.EMAIL)
    ContactFactory(company=company, first_name="Мария", last_name="Борисова",
                   preferred_channel=Channel.PHONE)
    client = logged_in(manager)

    assert names(client.get(LIST, {"q": "мария"}).content.decode()) == ["Мария Борисова"]
    assert names(client.get(LIST, {"consent": "yes"}).content.decode()) == ["Иван Андреев"]
    assert names(client.get(LIST, {"consent": "no"}).content.decode()) == ["Мария Борисова"]
    assert names(client.get(LIST, {"channel": "phone"}).content.decode()) == ["Мария Борисова"]
    assert names(client.get(LIST, {"sort": "-name"}).content.decode()) == [
        "Мария Борисова", "Иван Андреев"]
    assert names(client.get(LIST, {"company": company.pk}).content.decode()) == [
        "Иван Андреев", "Мария Борисова"]


def test_company_filter_of_an_invisible_company_answers_404(logged_in, manager, other_manager):
    theirs = CompanyFactory(owner=other_manager)
    assert logged_in(manager).get(LIST, {"company": theirs.pk}).status_code == 404


def test_htmx_partial_and_keyset_pages(logged_in, manager, company):
    for i in range(52):
        ContactFactory(company=company, first_name="Лице", last_name=f"Номер {i:02d}")
    client = logged_in(manager)

    partial = client.get(LIST, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="contact-results").content.decode()
    next_href = re.search(r'href="\?([^"]*)" rel="next"', partial).group(1).replace("&amp;", "&")
    second = client.get(LIST + "?" + next_href).content.decode()

    assert "<html" not in partial
    assert len(names(partial)) == 50
    assert names(second) == ["Лице Номер 50", "Лице Номер 51"]


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(LIST).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_is_constant_as_rows_grow(logged_in, manager):
    client = logged_in(manager)
    for _i in range(3):
        ContactFactory(company=CompanyFactory(owner=manager))
    three = _queries(client)
    for _i in range(27):
        ContactFactory(company=CompanyFactory(owner=manager))
    thirty = _queries(client)

    assert len(names(client.get(LIST).content.decode())) == 30
    assert three == thirty


def test_contact_page_with_company_link_and_notes(logged_in, manager, company):
    contact = ContactFactory(company=company, first_name="Мария", last_name="Петрова",
                             marketing_consent=True, consent_source="формуляр")
    services.note_create(actor=manager, company=company, data={"body": "За нея", "contact": contact.pk})
    services.note_create(actor=manager, company=company, data={"body": "За фирмата"})

    html = logged_in(manager).get(reverse("clients:contact_detail", args=[contact.pk])).content.decode()

    assert "<h1>Мария Петрова</h1>" in html
    assert f'href="{reverse("clients:company_detail", args=[company.pk])}">Алфа</a>' in html
    assert "За нея" in html and "За фирмата" not in html
    assert "формуляр" in html


def test_add_note_about_a_contact(logged_in, manager, company):
    contact = ContactFactory(company=company)

    response = logged_in(manager).post(reverse("clients:contact_note_create", args=[contact.pk]),
                                       {"body": "Предпочита сутрин"}, HTTP_HX_REQUEST="true")

    note = Note.objects.get()
    assert response.status_code == 200
    assert (note.contact, note.company, note.body) == (contact, company, "Предпочита сутрин")
    assert response.content.decode().startswith('<section class="card" id="contact-notes">')


def test_create_from_company_page_preselects_the_company(logged_in, manager, company):
    html = logged_in(manager).get(NEW, {"company": company.pk}).content.decode()

    assert f'name="company" value="{company.pk}"' in html
    assert 'name="company_label" value="Алфа"' in html


def test_create_contact_happy_path(logged_in, manager, company):
    response = logged_in(manager).post(NEW, contact_post(company))

    contact = Contact.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:contact_detail", args=[contact.pk])
    assert (contact.company, contact.first_name, contact.phones, contact.emails) == (
        company, "Мария", ["+359888123456"], ["maria@alfa.bg"])


def test_create_contact_with_bad_input_keeps_it_and_saves_nothing(logged_in, manager, company):
    client = logged_in(manager)
    before = db_state()

    response = client.post(NEW, contact_post(company, phones="123", emails="нещо",
                                             marketing_consent="on"))

    html = response.content.decode()
    assert response.status_code == 400
    assert "is not a" in html and "phone number" in html
    assert "is not an e-mail address." in html
    assert "Say where the consent was given" in html
    assert 'value="Мария"' in html and 'name="company_label" value="Алфа"' in html
    assert db_state() == before


def test_create_contact_for_an_invisible_company_is_refused(logged_in, manager, other_manager):
    theirs = CompanyFactory(legal_name="Чужда", owner=other_manager)
    client = logged_in(manager)
    before = db_state()

    page = client.get(NEW, {"company": theirs.pk})
    response = client.post(NEW, contact_post(theirs, company_label=""))

    assert page.status_code == 404
    assert response.status_code == 400
    assert "Choose a company you can see." in response.content.decode()
    assert "Чужда" not in response.content.decode()
    after = db_state()
    after.pop("audit_entries"), before.pop("audit_entries")
    assert after == before


def test_edit_contact_and_version_conflict(logged_in, manager, company, head_of_sales):
    contact = ContactFactory(company=company, first_name="Мария")
    url = reverse("clients:contact_edit", args=[contact.pk])
    client = logged_in(manager)

    assert f'name="version" value="{contact.version}"' in client.get(url).content.decode()
    response = client.post(url, contact_post(company, first_name="Марийка", version=contact.version))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.first_name, contact.version) == ("Марийка", 2)

    before = db_state()
    response = client.post(url, contact_post(company, first_name="Остаряло", version=1))

    assert response.status_code == 409
    assert "Someone else changed this record after you opened it." in response.content.decode()
    assert 'value="Остаряло"' in response.content.decode()
    assert db_state() == before


def test_delete_contact(logged_in, manager, company):
    contact = ContactFactory(company=company)

    response = logged_in(manager).post(reverse("clients:contact_delete", args=[contact.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("clients:company_detail", args=[company.pk])
    assert not Contact.objects.exists()
    assert Contact.all_objects.get().deleted_by == manager


def test_contact_of_another_manager_answers_404_and_nothing_changes(logged_in, manager, other_manager):
    contact = ContactFactory(company=CompanyFactory(owner=other_manager))
    client = logged_in(manager)
    before = db_state()

    responses = [
        client.get(reverse("clients:contact_detail", args=[contact.pk])),
        client.get(reverse("clients:contact_edit", args=[contact.pk])),
        client.post(reverse("clients:contact_edit", args=[contact.pk]),
                    {"first_name": "Хак", "company": contact.company_id, "version": 1}),
        client.post(reverse("clients:contact_delete", args=[contact.pk])),
        client.post(reverse("clients:contact_note_create", args=[contact.pk]), {"body": "x"}),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    after = db_state()
    after.pop("audit_entries"), before.pop("audit_entries")
    assert after == before


def test_marketing_reads_contacts_but_may_not_change_them(logged_in, manager, company, make_user):
    contact = ContactFactory(company=company)
    client = logged_in(make_user(Role.MARKETING))
    before = db_state()

    page = client.get(reverse("clients:contact_detail", args=[contact.pk])).content.decode()
    delete = client.post(reverse("clients:contact_delete", args=[contact.pk]))

    assert reverse("clients:contact_edit", args=[contact.pk]) not in page
    assert delete.status_code == 403
    assert db_state() == before
