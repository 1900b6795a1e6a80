"""Duplicates in a real browser: the warning on a new company, the finder, and a merge.

A manager starts typing a company that is already there and is warned before saving; then opens
the duplicates finder, compares a pair, takes the name from the other record, merges, and lands
on the surviving company with the contact that moved. Screenshots: test-artifacts/screenshots/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from partnera.clients import services
from partnera.clients.models import Company
from partnera.core.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def manager_en(make_user, team):
    return make_user(Role.ACCOUNT_MANAGER, team=team, username="petrova", first_name="Мария",
                     last_name="Петрова", language="en")


def test_warned_then_merge_two_duplicates(page, login, screenshot, manager_en):
    # Given two records of the same client, entered in two scripts with the same phone
    kept = services.company_create(actor=manager_en, allow_duplicate=True, data={
        "legal_name": "Алфа Трейд", "legal_form": "OOD", "city": "София",
        "phones": "02 981 1234", "emails": "office@alfa-trade.bg"})
    other = services.company_create(actor=manager_en, allow_duplicate=True, data={
        "legal_name": "Alfa Treyd Ltd", "legal_form": "FOREIGN", "city": "Sofia",
        "phones": "+359 2 981 1234", "industry": "Търговия на едро",
        "emails": "sales@alfa-trade.bg"})
    services.contact_create(actor=manager_en, data={
        "company": other.pk, "first_name": "Георги", "last_name": "Иванов",
        "position": "Търговски директор"})
    login(manager_en)
    page.on("dialog", lambda dialog: dialog.accept())

    # When they start a new company with the same name in Latin letters and the same phone
    page.goto("/clients/companies/new/")
    page.fill("input[name=legal_name]", "ALFA TREYD OOD")
    page.fill("input[name=city]", "Sofia")
    page.locator("input[name=city]").blur()
    # Then leaving the field already hints at the companies that look the same
    expect(page.locator("#duplicate-hint")).to_contain_text("Алфа Трейд")
    page.fill("textarea[name=phones]", "02 981 1234")
    page.locator("form button.btn-primary").click()

    # Then the form comes back with the likely duplicates, the input kept, nothing saved
    panel = page.locator("#duplicates")
    expect(panel).to_contain_text("Алфа Трейд")
    expect(panel).to_contain_text("Alfa Treyd Ltd")
    expect(panel).to_contain_text("Same phone +359 2 981 1234")
    expect(page.locator("input[name=legal_name]")).to_have_value("ALFA TREYD OOD")
    assert Company.objects.count() == 2
    screenshot("duplicates-01-warning-on-create", full_page=False)

    # When they open the duplicates finder
    page.goto("/clients/companies/duplicates/")
    row = page.locator("table.duplicates tbody tr").first
    expect(row).to_contain_text("Алфа Трейд")
    expect(row).to_contain_text("Alfa Treyd Ltd")
    expect(row).to_contain_text("Same phone")
    screenshot("duplicates-02-finder")

    # And compare the pair, taking the industry is default; the name from the other record
    row.locator("a", has_text="Compare and merge").click()
    expect(page.locator("h1")).to_have_text("Merge two companies")
    page.locator("input[name=choice_legal_name][value=other]").check()
    expect(page.locator("input[name=choice_industry][value=other]")).to_be_checked()
    screenshot("duplicates-03-compare")
    page.locator("button", has_text="Merge").click()

    # Then the surviving company carries the chosen name and the contact that moved
    expect(page.locator("h1")).to_contain_text("Alfa Treyd Ltd")
    expect(page.locator(".messages")).to_contain_text("was merged into this company")
    expect(page.locator("#contacts")).to_contain_text("Георги Иванов")
    expect(page.locator("#timeline")).to_contain_text("merged")
    survivor = Company.objects.get(pk=kept.pk)
    assert survivor.legal_name == "Alfa Treyd Ltd"
    assert survivor.industry == "Търговия на едро"
    assert Company.all_objects.get(pk=other.pk).merged_into_id == kept.pk
    screenshot("duplicates-04-survivor")

    # And the merged company's old link leads to the survivor; the finder is empty
    page.goto(f"/clients/companies/{other.pk}/")
    expect(page.locator("h1")).to_contain_text("Alfa Treyd Ltd")
    page.goto("/clients/companies/duplicates/")
    expect(page.locator("table.duplicates")).to_contain_text("No likely duplicates")
    # The form shown again with the duplicates answers 409, which the browser logs; nothing else.
    assert [e for e in page.js_errors if "status of 409" not in e] == []  # type: ignore[attr-defined]
