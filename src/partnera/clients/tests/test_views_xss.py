"""Stored XSS: payloads in names, notes and file names render escaped everywhere they appear."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partnera.clients import services

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
# A file name cannot hold "/", so the file payload is an event-handler tag instead.
IMG = "<img src=x onerror=alert(1)>.pdf"
IMG_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;.pdf"


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def poisoned(manager):
    """A company, contact, note and file whose user-typed texts are script payloads."""
    company = services.company_create(actor=manager, data={
        "legal_name": f"Зла {SCRIPT}", "city": SCRIPT, "tags": "зло<b>", "industry": SCRIPT})
    services.company_update(actor=manager, company=company,
                            data={"legal_name": f"Зла2 {SCRIPT}"}, expected_version=company.version)
    contact = services.contact_create(actor=manager, data={
        "company": company.pk, "first_name": f"Лице {SCRIPT}", "position": SCRIPT})
    note = services.note_create(actor=manager, company=company,
                                data={"body": f"Бележка {SCRIPT}", "contact": contact.pk})
    attachment = services.attachment_add(actor=manager, company=company,
                                         upload=SimpleUploadedFile(IMG, b"%PDF-1.4 x"),
                                         description=SCRIPT)
    return company, contact, note, attachment


def assert_escaped(html: str) -> None:
    assert SCRIPT not in html
    assert "<img src=x" not in html
    assert "<b>" not in html


def pages(company, contact):
    return {
        "company list": reverse("clients:company_list"),
        "company list filtered": reverse("clients:company_list") + "?q=%D0%B7%D0%BB%D0%B0",
        "company page": reverse("clients:company_detail", args=[company.pk]),
        "company edit": reverse("clients:company_edit", args=[company.pk]),
        "contact list": reverse("clients:contact_list"),
        "contact page": reverse("clients:contact_detail", args=[contact.pk]),
        "contact edit": reverse("clients:contact_edit", args=[contact.pk]),
        "search": reverse("core:search") + "?q=script",
        "home": reverse("home"),
        "autocomplete": reverse("clients:company_autocomplete") + "?q=script",
    }


def test_payloads_render_escaped_on_every_page(logged_in, manager, poisoned):
    company, contact, _note, _attachment = poisoned
    client = logged_in(manager)

    for label, url in pages(company, contact).items():
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, label
        assert_escaped(html)

    detail = client.get(reverse("clients:company_detail", args=[company.pk])).content.decode()
    assert f"Зла2 {SCRIPT_ESCAPED}" in detail
    assert f"Лице {SCRIPT_ESCAPED}" in detail
    assert f"Бележка {SCRIPT_ESCAPED}" in detail
    assert IMG_ESCAPED in detail
    timeline = detail.split('id="timeline-card"')[1]
    assert f"<del>Зла {SCRIPT_ESCAPED}</del> → <ins>Зла2 {SCRIPT_ESCAPED}</ins>" in timeline
    assert f"Бележка {SCRIPT_ESCAPED}" in timeline
    search = client.get(reverse("core:search") + "?q=script").content.decode()
    assert f"Зла2 {SCRIPT_ESCAPED}" in search


def test_payloads_render_escaped_in_htmx_partials(logged_in, manager, poisoned):
    company, _contact, note, _attachment = poisoned
    client = logged_in(manager)
    hx = {"HTTP_HX_REQUEST": "true"}

    responses = [
        client.get(reverse("clients:company_list"), HTTP_HX_TARGET="company-results", **hx),
        client.get(reverse("clients:contact_list"), HTTP_HX_TARGET="contact-results", **hx),
        client.get(reverse("core:search") + "?q=script", **hx),
        client.get(reverse("clients:note_item", args=[note.pk]), **hx),
        client.get(reverse("clients:note_edit", args=[note.pk]), **hx),
        client.post(reverse("clients:note_create", args=[company.pk]), {"body": SCRIPT}, **hx),
        client.get(reverse("clients:company_timeline", args=[company.pk]), **hx),
    ]

    for response in responses:
        assert response.status_code == 200
        assert_escaped(response.content.decode())


def test_file_name_is_never_served_inline(logged_in, manager, poisoned):
    _company, _contact, _note, attachment = poisoned

    response = logged_in(manager).get(reverse("clients:attachment_download", args=[attachment.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    # The name is a quoted header parameter of a download, never markup the browser renders.
    assert response["Content-Disposition"] == f'attachment; filename="{IMG}"'
    assert response["X-Content-Type-Options"] == "nosniff"
