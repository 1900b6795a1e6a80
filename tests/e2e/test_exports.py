"""Exporting the filtered companies list from the browser: filter, click Export CSV, take the
download, parse it, and find exactly the filtered rows (and none of another team's)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.clients.vcard import read_vcards
from partnera.core.roles import Role
from partnera.people.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_manager_exports_the_filtered_list(page, login, screenshot, make_user, team):
    manager = make_user(Role.ACCOUNT_MANAGER, team=team, username="petrova", first_name="Мария",
                        last_name="Петрова", language="en")
    stranger = make_user(Role.ACCOUNT_MANAGER, team=TeamFactory(), username="stranger")
    first = CompanyFactory(owner=manager, legal_name="Строй 0", legal_form="OOD", stage="active")
    for n in range(1, 3):
        CompanyFactory(owner=manager, legal_name=f"Строй {n} ООД", stage="active")
    CompanyFactory(owner=manager, legal_name="Строй Архив ООД", stage="lost")
    CompanyFactory(owner=manager, legal_name="Агро Плюс ЕООД", stage="active")
    CompanyFactory(owner=stranger, legal_name="Строй Чужд ООД", stage="active")
    login(manager)
    page.goto("/clients/companies/")
    expect(page.locator("table.list tbody tr")).to_have_count(5)

    # When they filter the list (search box and a stage), the HTMX update carries the filters
    page.fill("#filter-q", "строй")
    expect(page.locator("table.list tbody tr")).to_have_count(4)
    page.locator("details.multi summary", has_text="Stage").click()
    page.locator("details.multi label", has_text="Active client").click()
    expect(page.locator("table.list tbody tr")).to_have_count(3)
    screenshot("export-01-filtered-list")

    # And click Export CSV
    with page.expect_download() as download_info:
        page.locator(".export-links a", has_text="CSV").click()
    download = download_info.value

    # Then the file holds exactly the filtered rows
    assert download.suggested_filename.startswith("partnera-companies-")
    assert download.suggested_filename.endswith(".csv")
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    assert rows[0][0] == "Company name"
    assert sorted(r[0] for r in rows[1:]) == ["Строй 0", "Строй 1 ООД", "Строй 2 ООД"]
    assert all(r[14] == "Active client" for r in rows[1:])

    # And the Excel download holds the same rows
    with page.expect_download() as download_info:
        page.locator(".export-links a", has_text="Excel").click()
    assert download_info.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    names = sorted(r[0] for r in book.active.iter_rows(min_row=2, values_only=True))
    assert names == ["Строй 0", "Строй 1 ООД", "Строй 2 ООД"]

    # And a contact's vCard comes from the contact's page
    contact = ContactFactory(company=first, first_name="Георги", last_name="Иванов")
    page.goto(f"/clients/companies/{first.pk}/")
    screenshot("export-02-company-contacts-vcards", full_page=False)
    page.goto("/clients/contacts/")
    screenshot("export-03-contacts-list", full_page=False)
    page.goto(f"/clients/contacts/{contact.pk}/")
    with page.expect_download() as download_info:
        page.locator(".actions a", has_text="vCard").click()
    cards = read_vcards(Path(download_info.value.path()).read_bytes())
    assert [(c["first_name"], c["last_name"], c["company_name"]) for c in cards] == [
        ("Георги", "Иванов", "Строй 0")]
    assert page.js_errors == []  # type: ignore[attr-defined]
