"""The global search in a real browser: typing in Latin finds Cyrillic records (and a phone in
any format), results come grouped while typing, Enter opens the full page, and another team's
client never shows. Screenshots land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.core.roles import Role
from partnera.people.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_typing_finds_clients_in_either_alphabet_grouped_and_only_visible_ones(
        page, login, screenshot, make_user, team, other_manager):
    manager = make_user(Role.ACCOUNT_MANAGER, team=team, username="ivanova", language="en")
    petrov = CompanyFactory(owner=manager, legal_name="Петров Логистик", city="Пловдив",
                            phones=["+359888123456"])
    ContactFactory(company=petrov, first_name="Стоян", last_name="Петров", position="Управител")
    CompanyFactory(owner=manager, legal_name="Петрова Дизайн", city="Варна")
    CompanyFactory(owner=other_manager, team=TeamFactory(), legal_name="Петров Скрит")
    login(manager)

    # Typing in Latin, a word at a time, finds the Cyrillic records, grouped by kind
    page.goto("/")
    box = page.locator(".global-search input")
    box.press_sequentially("petr", delay=30)
    results = page.locator("#search-results")
    company_hit = results.locator(f"a[href='/clients/companies/{petrov.pk}/']")
    expect(company_hit).to_be_visible()
    expect(results.locator(".search-group")).to_have_text(["Companies", "Contacts"])
    expect(results.locator("a", has_text="Стоян Петров")).to_be_visible()
    expect(results).not_to_contain_text("Петров Скрит")
    box.press_sequentially("ov plov", delay=30)
    expect(results.locator("a[href^='/clients/companies/']")).to_have_count(1)
    expect(results).to_contain_text("Петров Логистик")
    screenshot("search-01-typing-latin", full_page=False)

    # A phone typed the way people write it finds the company
    box.fill("")
    box.press_sequentially("0888/12-34-56", delay=20)
    expect(company_hit).to_be_visible()
    expect(results.locator("a")).to_have_count(2)  # the company and "All results"

    # Enter opens the full page with the groups and the query kept
    box.fill("Petrov")
    box.press("Enter")
    page.wait_for_url("**/search/?q=Petrov")
    expect(page.locator("tr.group-row")).to_have_count(2)
    expect(page.locator("table.list")).to_contain_text("Петров Логистик")
    expect(page.locator("table.list")).to_contain_text("Петрова Дизайн")
    expect(page.locator("table.list")).not_to_contain_text("Петров Скрит")
    expect(page.locator(".search-page-form input[name=q]")).to_have_value("Petrov")
    screenshot("search-02-results-page")
    assert page.js_errors == []
