"""An account manager's day with the client base, in a real browser.

Log in, create a company (an invalid EIK first, then a valid one), add a contact and a note, find
the company through the global search, edit it, see the change on the timeline, switch language,
and look at it all on a phone-sized screen. Screenshots land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from partnera.clients.models import Company, Contact, Note
from partnera.clients.tests.factories import CompanyFactory, ContactFactory, NoteFactory
from partnera.core.models import AuditEntry
from partnera.core.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)


def bg(text: str) -> str:
    with translation.override("bg"):
        return translation.gettext(text)


@pytest.fixture
def account_manager(make_user, team):
    return make_user(Role.ACCOUNT_MANAGER, team=team, username="petrova", first_name="Мария",
                     last_name="Петрова", language="en")


def test_manager_builds_a_client_record_end_to_end(page, login, screenshot, account_manager):
    # Given a few clients already in the base, and the manager logged in (English UI)
    for n in range(8):
        CompanyFactory(owner=account_manager, legal_name=f"Клиент {n} ООД")
    page.context.add_cookies([{"name": "partnera_language", "value": "en", "url": page.url or
                               "http://127.0.0.1"}]) if False else None
    login(account_manager)
    page.goto("/clients/companies/")
    expect(page.locator("table.list tbody tr")).to_have_count(8)
    screenshot("01-companies-list")

    # When they create a company with an invalid EIK
    page.goto("/clients/companies/new/")
    page.fill("input[name=legal_name]", "Алфа Трейд")
    page.select_option("select[name=legal_form]", "OOD")
    page.fill("input[name=eik]", "175074751")
    page.fill("input[name=city]", "София")
    page.fill("textarea[name=phones]", "0888 123 456")
    page.locator("form.company-form button[type=submit], form button.btn-primary").first.click()

    # Then the error sits next to the EIK field, what they typed is kept, and nothing is saved
    eik_error = page.locator("#field-eik .error")
    expect(eik_error).to_contain_text("check digit")
    expect(page.locator("input[name=legal_name]")).to_have_value("Алфа Трейд")
    expect(page.locator("textarea[name=phones]")).to_have_value("0888 123 456")
    assert not Company.objects.filter(legal_name="Алфа Трейд").exists()
    screenshot("02-company-form-invalid-eik")

    # When they correct the EIK and save
    page.fill("input[name=eik]", "175074752")
    page.locator("form.company-form button[type=submit], form button.btn-primary").first.click()

    # Then the company page opens with the normalised data
    expect(page.locator("h1")).to_contain_text("Алфа Трейд")
    company = Company.objects.get(legal_name="Алфа Трейд")
    assert company.eik == "175074752"
    assert company.phones == ["+359888123456"]
    assert company.owner == account_manager
    expect(page.locator("#details")).to_contain_text("+359 88 812 3456")

    # When they add a contact from the company page
    page.locator("#contacts a", has_text="Add contact").click()
    page.fill("input[name=first_name]", "Георги")
    page.fill("input[name=last_name]", "Иванов")
    page.fill("input[name=position]", "Търговски директор")
    page.fill("textarea[name=emails]", "G.Ivanov@alfa.bg")
    page.fill("textarea[name=phones]", "+359 2 981 1111")
    page.locator("main form button.btn-primary").first.click()
    contact = Contact.objects.get(first_name="Георги")
    assert contact.company == company
    assert contact.emails == ["g.ivanov@alfa.bg"]
    page.goto(f"/clients/companies/{company.pk}/")
    expect(page.locator("#contacts")).to_contain_text("Георги Иванов")

    # And a note, which appears without a page reload (HTMX)
    page.fill("#notes-card textarea[name=body]", "Среща в офиса им: интерес към пълната гама.")
    page.locator("#notes-card button[type=submit]").click()
    expect(page.locator("#notes-list")).to_contain_text("интерес към пълната гама")
    assert Note.objects.get(company=company).body == "Среща в офиса им: интерес към пълната гама."

    # When they look the company up through the global search box
    page.goto("/")
    page.locator(".global-search input").press_sequentially("Алфа", delay=40)
    # (the company, and below it their contact, who is found by the company's name too)
    hit = page.locator(f"#search-results a[href='/clients/companies/{company.pk}/']")
    expect(hit).to_be_visible()
    expect(page.locator("#search-results a", has_text="Георги Иванов")).to_be_visible()
    screenshot("03-global-search", full_page=False)
    hit.click()
    expect(page).to_have_url(re.compile(rf"/clients/companies/{company.pk}/$"))

    # And edit it
    page.locator(".page-head a", has_text="Edit").click()
    page.fill("input[name=city]", "Пловдив")
    page.select_option("select[name=stage]", "active")
    page.locator("main form button.btn-primary").first.click()
    expect(page.locator("#details")).to_contain_text("Пловдив")
    company.refresh_from_db()
    assert (company.city, company.stage, company.version) == ("Пловдив", "active", 2)

    # Then the timeline shows the change with its before and after, and the note
    timeline = page.locator("#timeline-card, .timeline").first
    expect(timeline).to_contain_text("Пловдив")
    expect(timeline).to_contain_text("София")
    expect(timeline).to_contain_text("интерес към пълната гама")
    entry = AuditEntry.objects.filter(object_type="clients.company", object_id=str(company.pk),
                                      action="update").get()
    assert entry.channel == "web"
    assert entry.changes["city"] == ["София", "Пловдив"]
    screenshot("04-company-page")

    # When they switch the interface to Bulgarian
    page.locator(".lang-switch button[value=bg]").click()
    expect(page.locator("html")).to_have_attribute("lang", "bg")
    expect(page.locator(".nav")).to_contain_text(bg("Companies"))
    expect(page.locator("#details")).to_contain_text(bg("Details"))
    account_manager.refresh_from_db()
    assert account_manager.language == "bg"
    screenshot("05-company-page-bg")

    # And on a phone the page still reads well
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("h1")).to_contain_text("Алфа Трейд")
    screenshot("06-company-page-phone")

    # A form with errors answers 400 on purpose; anything else in the console is a defect.
    unexpected = [e for e in page.js_errors if "status of 400" not in e]
    assert unexpected == [], "\n".join(unexpected)


def test_contacts_list_and_other_managers_clients_stay_hidden(page, login, screenshot,
                                                              account_manager, other_manager):
    # Given the manager's own client with a contact, and another manager's client
    mine = CompanyFactory(owner=account_manager, legal_name="Бета Логистик ЕООД")
    ContactFactory(company=mine, first_name="Елена", last_name="Стоянова")
    NoteFactory(company=mine, body="Поръчват всеки месец.")
    hidden = CompanyFactory(owner=other_manager, legal_name="Скрита Фирма АД")
    login(account_manager)

    # The contacts list shows their contact
    page.goto("/clients/contacts/")
    expect(page.locator("table.list")).to_contain_text("Елена Стоянова")
    screenshot("07-contacts-list")

    # The other manager's client is absent from search and answers 404 by address
    page.goto("/search/?q=Скрита")
    expect(page.locator("main")).not_to_contain_text("Скрита Фирма")
    response = page.goto(f"/clients/companies/{hidden.pk}/")
    assert response is not None and response.status == 404
    screenshot("08-not-found")
