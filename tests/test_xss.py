"""Stored and reflected XSS: whatever users type is shown as text on every page, never as markup.

Given records whose every free-text field holds a script, an attribute break-out and a template
expression, each page that shows them must contain the escaped form and never the raw markup;
the API returns them as plain JSON strings; files are always downloads that the browser may not
sniff into HTML. The pages themselves follow the strict Content-Security-Policy (no inline
scripts, no event-handler or style attributes).
"""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from partnera.clients import services
from partnera.clients.models import Attachment
from partnera.core.roles import Role
from partnera.people.tests.factories import TeamFactory
from partnera.people.tests.factories import make_user as new_user
from tests.test_permission_matrix import API, api_headers, small_pdf, state

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{7*7}}"
RAW_MARKUP = ("<script>alert(1)", "<img src=x onerror")


def payload(label: str) -> str:
    return f"{label}{SCRIPT}{BREAKOUT}{TEMPLATE}"


NAME = payload("Фирма")
CITY = payload("Град")
TAGS = [f"Е1{SCRIPT}", f"Е2{BREAKOUT}", f"Е3{TEMPLATE}"]
FIRST = payload("Име")
LAST = payload("Фам")
POSITION = payload("Длъжност")
NOTE = payload("Бележка")
DESCRIPTION = payload("Описание")
# A file name cannot hold "/" (it is cut as a path), so the script tag stays unclosed here.
FILE_NAME = f'Файл{BREAKOUT}{TEMPLATE}<script>alert(1).pdf'
OWNER_FIRST = payload("Иван")


def assert_shown_escaped(response, *values: str) -> str:
    """The page shows each value as text: its escaped form is there, raw markup is not."""
    html = response.content.decode()
    for raw in RAW_MARKUP:
        assert raw not in html, f"raw {raw!r} in {response.request['PATH_INFO']}"
    for value in values:
        assert escape(value) in html, f"{value!r} is not shown (escaped) on " \
                                      f"{response.request['PATH_INFO']}"
    assert "{{7*7}}" in html or not any(TEMPLATE in v for v in values)
    return html


class _TagCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _value in attrs}
        if tag == "script" and "src" not in names:
            self.problems.append("inline <script>")
        for name in names:
            if name.startswith("on") or name == "style":
                self.problems.append(f"<{tag} {name}=…>")


def assert_csp_clean(html: str) -> None:
    """No markup the strict CSP would block: inline scripts, on* handlers, style attributes."""
    parser = _TagCollector()
    parser.feed(html)
    assert parser.problems == []


@pytest.fixture
def xss():
    team = TeamFactory()
    owner = new_user(Role.ACCOUNT_MANAGER, team=team, username="owner", first_name=OWNER_FIRST,
                     last_name="Петров")
    admin = new_user(Role.ADMINISTRATOR, username="admin")
    company = services.company_create(actor=owner, data={
        "legal_name": NAME, "city": CITY, "tags": TAGS, "region": payload("Област")})
    contact = services.contact_create(actor=owner, data={
        "company": company.pk, "first_name": FIRST, "last_name": LAST, "position": POSITION})
    note = services.note_create(actor=owner, company=company,
                                data={"body": NOTE, "contact": contact.pk})
    attachment = services.attachment_add(
        actor=owner, company=company, description=DESCRIPTION,
        upload=SimpleUploadedFile(FILE_NAME, small_pdf(), content_type="application/pdf"))
    owner_client, admin_client = Client(), Client()
    owner_client.force_login(owner)
    admin_client.force_login(admin)
    return {"owner": owner, "admin": admin, "company": company, "contact": contact, "note": note,
            "attachment": attachment, "as_owner": owner_client, "as_admin": admin_client}


def test_companies_list_escapes_name_city_tags_filters_and_saved_views(xss):
    services.saved_view_create(actor=xss["owner"], list_name="companies",
                               name=payload("Изглед"), query="stage=active")

    response = xss["as_owner"].get(reverse("clients:company_list"))

    assert response.status_code == 200
    # The owner filter lists the owner's name and the saved views their names. (The region
    # filter offers the fixed list of Bulgarian regions; the stored region shows on the company
    # page, checked below.)
    html = assert_shown_escaped(response, NAME, CITY, *TAGS, OWNER_FIRST, payload("Изглед"))
    detail = xss["as_owner"].get(reverse("clients:company_detail", args=[xss["company"].pk]))
    assert_shown_escaped(detail, payload("Област"))
    assert_csp_clean(html)


def test_flash_messages_escape_the_names_they_quote(xss):
    client = xss["as_owner"]
    name = payload("Нова")

    created = client.post(reverse("clients:company_create"), {
        "legal_name": name, "stage": "prospect", "tier": "standard", "country": "BG"},
        follow=True)
    saved = client.post(reverse("clients:saved_view_create"),
                        {"name": payload("Изглед"), "query": ""}, follow=True)
    deleted = client.post(reverse("clients:contact_delete", args=[xss["contact"].pk]),
                          follow=True)

    assert created.status_code == saved.status_code == deleted.status_code == 200
    for response in (created, saved, deleted):
        assert [str(m) for m in response.context["messages"]]
    assert_shown_escaped(created, name)
    assert_shown_escaped(saved, payload("Изглед"))
    assert_shown_escaped(deleted, FIRST)


def test_a_rejected_form_echoes_the_input_escaped(xss):
    """The company form sent back with an error keeps what was typed, picker labels included."""
    company = xss["company"]
    typed = payload("Върнат")

    response = xss["as_owner"].post(reverse("clients:company_edit", args=[company.pk]), {
        "legal_name": typed, "eik": "123", "stage": "active", "tier": "standard",
        "country": "BG", "parent": "999999", "parent_label": typed, "version": company.version})

    assert response.status_code == 400
    html = assert_shown_escaped(response, typed)
    assert f'value="{escape(typed)}"' in html
    assert_csp_clean(html)


def test_company_page_escapes_details_contacts_notes_files_and_timeline(xss):
    company = xss["company"]

    response = xss["as_owner"].get(reverse("clients:company_detail", args=[company.pk]))

    assert response.status_code == 200
    html = assert_shown_escaped(response, NAME, CITY, *TAGS, FIRST, LAST, POSITION, NOTE,
                                FILE_NAME, DESCRIPTION, OWNER_FIRST)
    assert_csp_clean(html)
    # The timeline lists the creation with the typed values as its details.
    assert len(response.context["timeline"]) >= 4


def test_older_timeline_entries_are_escaped(xss):
    company = xss["company"]
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()

    response = xss["as_owner"].get(reverse("clients:company_timeline", args=[company.pk]),
                                   {"before": later})

    assert response.status_code == 200
    assert response.context["timeline"]
    assert_shown_escaped(response, NOTE)
    assert escape(NAME) in response.content.decode()


def test_company_and_contact_forms_keep_values_escaped_in_inputs(xss):
    company, contact = xss["company"], xss["contact"]

    company_form = xss["as_owner"].get(reverse("clients:company_edit", args=[company.pk]))
    contact_form = xss["as_owner"].get(reverse("clients:contact_edit", args=[contact.pk]))

    assert company_form.status_code == contact_form.status_code == 200
    assert_csp_clean(assert_shown_escaped(company_form, NAME, CITY))
    assert_csp_clean(assert_shown_escaped(contact_form, FIRST, LAST, POSITION))


def test_contacts_list_and_contact_page_escape_names_position_and_notes(xss):
    contact = xss["contact"]

    listed = xss["as_owner"].get(reverse("clients:contact_list"))
    page = xss["as_owner"].get(reverse("clients:contact_detail", args=[contact.pk]))

    assert listed.status_code == page.status_code == 200
    assert_csp_clean(assert_shown_escaped(listed, FIRST, LAST, POSITION))
    assert_csp_clean(assert_shown_escaped(page, FIRST, LAST, POSITION, NOTE, NAME))


def test_note_edit_page_and_htmx_partials_escape_the_body(xss):
    note = xss["note"]
    client = xss["as_owner"]

    edit_page = client.get(reverse("clients:note_edit", args=[note.pk]))
    edit_partial = client.get(reverse("clients:note_edit", args=[note.pk]), HTTP_HX_REQUEST="true")
    item_partial = client.get(reverse("clients:note_item", args=[note.pk]), HTTP_HX_REQUEST="true")

    for response in (edit_page, edit_partial, item_partial):
        assert response.status_code == 200
        assert_shown_escaped(response, NOTE)


@pytest.mark.parametrize("query", ["фирма", "име"])
def test_global_search_escapes_hits_on_the_page_and_in_the_htmx_partial(xss, query):
    client = xss["as_owner"]

    page = client.get(reverse("core:search"), {"q": query})
    partial = client.get(reverse("core:search"), {"q": query}, HTTP_HX_REQUEST="true")

    assert page.status_code == partial.status_code == 200
    assert page.context["hits"] and partial.context["hits"]
    expected = [NAME] if query == "фирма" else [FIRST, LAST, POSITION]
    assert_csp_clean(assert_shown_escaped(page, *expected))
    assert_shown_escaped(partial, *expected)


def test_company_autocomplete_escapes_names_in_text_and_attributes(xss):
    response = xss["as_owner"].get(reverse("clients:company_autocomplete"), {"q": "фирма"})

    assert response.status_code == 200
    html = assert_shown_escaped(response, NAME)
    assert f'data-label="{escape(NAME)}"' in html
    assert_csp_clean(html)


@pytest.mark.parametrize("url_name", ["core:search", "clients:company_list",
                                      "clients:contact_list", "clients:company_autocomplete"])
def test_a_typed_query_is_reflected_escaped(xss, url_name):
    typed = payload("търся")

    response = xss["as_owner"].get(reverse(url_name), {"q": typed})

    assert response.status_code == 200
    html = assert_shown_escaped(response)
    if url_name in ("core:search", "clients:company_list", "clients:contact_list"):
        assert escape(typed) in html  # kept in the search box, as text


def test_audit_log_escapes_records_and_people(xss):
    response = xss["as_admin"].get(reverse("core:audit_log"))

    assert response.status_code == 200
    assert_csp_clean(assert_shown_escaped(response, NAME, FIRST + " " + LAST, OWNER_FIRST))


def test_users_list_escapes_names(xss):
    response = xss["as_admin"].get(reverse("people:user_list"))

    assert response.status_code == 200
    assert_csp_clean(assert_shown_escaped(response, OWNER_FIRST))


def test_home_page_panels_escape_companies_and_notes(xss):
    response = xss["as_owner"].get(reverse("home"))

    assert response.status_code == 200
    assert_csp_clean(assert_shown_escaped(response, NAME, NOTE, OWNER_FIRST))


def test_company_trash_escapes_names(xss):
    services.company_delete(actor=xss["owner"], company=xss["company"])

    response = xss["as_owner"].get(reverse("clients:company_trash"))

    assert response.status_code == 200
    assert_csp_clean(assert_shown_escaped(response, NAME))


def test_api_returns_the_text_as_json_strings_not_html(xss, client):
    headers = api_headers(xss["owner"])
    company, contact, note, attachment = (xss["company"], xss["contact"], xss["note"],
                                          xss["attachment"])

    got_company = client.get(f"{API}/companies/{company.pk}", **headers)
    got_contact = client.get(f"{API}/contacts/{contact.pk}", **headers)
    got_note = client.get(f"{API}/notes/{note.pk}", **headers)
    got_file = client.get(f"{API}/attachments/{attachment.pk}", **headers)
    me = client.get(f"{API}/me", **headers)

    for response in (got_company, got_contact, got_note, got_file, me):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/json")
        assert response["X-Content-Type-Options"] == "nosniff"
    assert got_company.json()["legal_name"] == NAME
    assert got_company.json()["city"] == CITY
    assert sorted(got_company.json()["tags"]) == sorted(TAGS)
    assert got_contact.json()["first_name"] == FIRST
    assert got_contact.json()["position"] == POSITION
    assert got_contact.json()["company"]["name"].startswith(NAME)
    assert got_note.json()["body"] == NOTE
    assert got_note.json()["created_by"]["name"] == f"{OWNER_FIRST} Петров"
    assert got_file.json()["file_name"] == FILE_NAME
    assert got_file.json()["description"] == DESCRIPTION
    assert me.json()["first_name"] == OWNER_FIRST
    assert "&lt;" not in got_company.content.decode()


# --- files -----------------------------------------------------------------------------------------

def _assert_download_headers(response, content_type: str) -> None:
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"].split(";")[0].strip() == content_type
    assert "html" not in response["Content-Type"]


def test_download_is_an_attachment_that_may_not_be_sniffed(xss):
    attachment = xss["attachment"]
    api = Client()

    web = xss["as_owner"].get(reverse("clients:attachment_download", args=[attachment.pk]))
    over_api = api.get(f"{API}/attachments/{attachment.pk}/download", **api_headers(xss["owner"]))

    for response in (web, over_api):
        _assert_download_headers(response, "application/pdf")
        assert b"".join(response.streaming_content) == small_pdf()
        assert "<script" not in response["Content-Disposition"]
        assert "\n" not in response["Content-Disposition"]


@pytest.mark.parametrize(("name", "content_type"), [("page.txt", "text/plain"),
                                                    ("table.csv", "text/csv")])
@pytest.mark.parametrize("declared", ["text/html", "text/plain"])
def test_uploaded_text_with_html_is_never_served_as_html(xss, name, content_type, declared):
    """The browser's declared type is ignored: the type comes from the checked extension."""
    company = xss["company"]
    client = xss["as_owner"]
    body = b"<html><body><script>alert(document.cookie)</script></body></html>\n"

    uploaded = client.post(reverse("clients:attachment_upload", args=[company.pk]),
                           {"file": SimpleUploadedFile(name, body, content_type=declared),
                            "description": "html inside"})

    assert uploaded.status_code == 302
    attachment = Attachment.objects.get(company=company, original_name=name)
    assert attachment.content_type == content_type
    web = client.get(reverse("clients:attachment_download", args=[attachment.pk]))
    over_api = Client().get(f"{API}/attachments/{attachment.pk}/download",
                            **api_headers(xss["owner"]))
    for response in (web, over_api):
        _assert_download_headers(response, content_type)
        assert b"".join(response.streaming_content) == body


@pytest.mark.parametrize("name", ["page.html", "page.htm", "image.svg", "script.js",
                                  "page.txt.html"])
def test_html_like_uploads_are_refused_and_nothing_is_stored(xss, name):
    company = xss["company"]
    before = state()

    response = xss["as_owner"].post(
        reverse("clients:attachment_upload", args=[company.pk]),
        {"file": SimpleUploadedFile(name, b"<script>alert(1)</script>", content_type="text/html")})

    assert response.status_code == 400
    assert response.context["file_form"].errors["file"]
    assert state() == before


# --- Content-Security-Policy -------------------------------------------------------------------

@pytest.mark.parametrize("url_name", ["home", "clients:company_list", "login"])
def test_pages_carry_a_strict_content_security_policy(xss, url_name):
    client = Client() if url_name == "login" else xss["as_owner"]

    response = client.get(reverse(url_name))

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
