"""Leads in a real browser: a request comes in, the manager enters it as a lead, qualifies it onto
the client already in the base (found by its EIK), and lands on the new deal.

Also a visitor sending the public web form. Screenshots: test-artifacts/screenshots/leads-*.png.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from partnera.clients import services as client_services
from partnera.clients.models import Company
from partnera.clients.tests.factories import valid_eik
from partnera.core.roles import Role
from partnera.sales.models import Deal, Lead, LeadSource, LeadStatus, WebForm
from partnera.sales.tests.factories import LeadFactory, WebFormFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account_manager(make_user, team):
    return make_user(Role.ACCOUNT_MANAGER, team=team, username="petrova", first_name="Мария",
                     last_name="Петрова", language="en")


def test_a_request_becomes_a_lead_then_a_deal_on_the_existing_client(page, login, screenshot,
                                                                     account_manager):
    # Given the client already in the base, and a few leads waiting
    eik = valid_eik(901)
    client = client_services.company_create(actor=account_manager, allow_duplicate=True, data={
        "legal_name": "Алфа Трейд", "legal_form": "OOD", "eik": eik, "city": "София",
        "phones": "02 981 1234", "emails": "office@alfa-trade.bg"})
    LeadFactory(owner=account_manager, company_name="Бета Строй ЕООД", first_name="Георги",
                last_name="Иванов", source=LeadSource.CALL, status=LeadStatus.WORKING)
    LeadFactory(owner=account_manager, company_name="Гама Лоджистикс", first_name="Елена",
                last_name="Стоянова", source=LeadSource.WEBSITE, source_detail="Сайт — контакти",
                message="Търсим склад в Пловдив.")
    LeadFactory(owner=account_manager, company_name="Делта Мебел", source=LeadSource.REFERRAL,
                status=LeadStatus.DISQUALIFIED, phone="")
    login(account_manager)

    # When they open the leads
    page.goto("/sales/leads/")
    expect(page.locator("table.leads tbody tr")).to_have_count(3)
    screenshot("leads-01-list", full_page=False)

    # And enter the request that came in at the fair, with the client's EIK
    page.locator("a", has_text="New lead").click()
    page.fill("input[name=company_name]", "ALFA TREYD OOD")
    page.fill("input[name=eik]", eik)
    page.fill("input[name=first_name]", "Стефан")
    page.fill("input[name=last_name]", "Колев")
    page.fill("input[name=position]", "Търговски директор")
    page.fill("input[name=email]", "s.kolev@alfa-trade.bg")
    page.fill("input[name=phone]", "0888 765 432")
    page.fill("textarea[name=message]", "Искат оферта за 40 работни места <script>alert(1)</script>")
    page.select_option("select[name=source]", "fair")
    page.fill("input[name=source_detail]", "Интериор и дизайн 2026")
    page.locator("form button.btn-primary").click()

    # Then the lead page shows it, the script as text, and the client it likely is
    expect(page.locator("h1")).to_have_text("ALFA TREYD OOD")
    expect(page.locator(".lead-message")).to_contain_text("<script>alert(1)</script>")
    expect(page.locator("#likely-clients")).to_contain_text("Алфа Трейд")
    lead = Lead.objects.get(company_name="ALFA TREYD OOD")
    assert lead.phone == "+359888765432" and lead.owner == account_manager
    screenshot("leads-02-lead-page")

    # When they qualify it: the client with the same EIK is proposed and chosen
    page.get_by_role("link", name="Qualify", exact=True).click()
    chosen = page.locator(f"input[name=company_choice][value='{client.pk}']")
    expect(chosen).to_be_checked()
    expect(page.locator("#qualify-company")).to_contain_text("Same EIK")
    expect(page.locator("input[name=contact_choice][value=new]")).to_be_checked()
    expect(page.locator("input[name=contact_first_name]")).to_have_value("Стефан")
    page.fill("input[name=deal_title]", "40 работни места — Алфа Трейд")
    page.fill("input[name=deal_amount]", "18500")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot("leads-03-qualify", full_page=False)
    page.locator("#qualify-contact").scroll_into_view_if_needed()
    page.evaluate("document.getElementById('qualify-contact').scrollIntoView()")
    screenshot("leads-03b-qualify-contact-and-deal", full_page=False)
    page.locator("button", has_text="Qualify and open the deal").click()

    # Then no company is added: the deal, the new contact and the lead are on the existing client
    page.wait_for_url(re.compile(r"/sales/(deals|leads)/\d+/"))
    lead.refresh_from_db()
    deal = Deal.objects.get()
    assert lead.status == LeadStatus.QUALIFIED and lead.company == client and lead.deal == deal
    assert deal.company == client and str(deal.amount) == "18500.00"
    assert lead.contact.company == client and lead.contact.first_name == "Стефан"
    assert Company.objects.count() == 1
    if "/sales/deals/" in page.url:
        assert page.url.endswith(f"/sales/deals/{deal.pk}/")
        expect(page.locator("body")).to_contain_text("40 работни места — Алфа Трейд")
    else:
        expect(page.locator("#lead-deal-link")).to_contain_text("40 работни места — Алфа Трейд")
    screenshot("leads-04-after-qualify")

    # And the lead page tells what it became; the company's timeline shows the lead
    page.goto(f"/sales/leads/{lead.pk}/")
    expect(page.locator("#outcome")).to_contain_text("Алфа Трейд")
    expect(page.locator("#outcome")).to_contain_text("40 работни места — Алфа Трейд")
    page.goto(f"/clients/companies/{client.pk}/")
    expect(page.locator("#timeline")).to_contain_text("Lead qualified")
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_a_visitor_sends_the_public_form(page, screenshot, account_manager):
    webform = WebFormFactory(owner=account_manager, team=account_manager.team, redirect_url="")

    page.goto(f"/forms/{webform.key}/")
    # The honeypot is off the screen for people (robots fill it)
    assert page.locator(".hp").evaluate("e => e.getBoundingClientRect().right") < 0
    page.fill("input[name=company]", "Епсилон АД")
    page.fill("input[name=first_name]", "Иван")
    page.fill("input[name=email]", "не-е-адрес")
    page.locator("button[type=submit]").click()

    # A wrong e-mail: the error next to it, the input kept, nothing stored
    expect(page.locator(".field.has-error")).to_contain_text("valid e-mail")
    expect(page.locator("input[name=company]")).to_have_value("Епсилон АД")
    assert not Lead.objects.exists()
    screenshot("leads-05-public-form-error")

    page.fill("input[name=email]", "ivan@epsilon.bg")
    page.locator("button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Thank you")
    lead = Lead.objects.get()
    assert lead.web_form == webform and lead.owner == account_manager
    errors = [e for e in page.js_errors if "status of 400" not in e]  # type: ignore[attr-defined]
    assert errors == []


def test_an_administrator_puts_a_web_form_on_the_website(page, login, screenshot, make_user,
                                                          account_manager):
    admin = make_user(Role.ADMINISTRATOR, username="admin", language="en")
    login(admin)

    page.goto("/sales/leads/forms/new/")
    page.fill("input[name=name]", "Сайт — страница Контакти")
    page.select_option("select[name=owner]", str(account_manager.pk))
    page.fill("input[name=source_detail]", "www.example.bg/kontakti")
    page.fill("input[name=redirect_url]", "javascript:alert(1)")
    page.locator("form button.btn-primary").click()
    expect(page.locator("#field-redirect_url .error")).to_contain_text("https://")

    page.fill("input[name=redirect_url]", "https://www.example.bg/blagodarim")
    page.locator("form button.btn-primary").click()
    expect(page.locator("#webform-snippet")).to_contain_text('name="website"')
    webform = WebForm.objects.get()
    expect(page.locator("#webform-snippet")).to_contain_text(f"/forms/{webform.key}/")
    screenshot("leads-06-webform-admin")
    # The refused form answered 400, which the browser logs; nothing else.
    assert [e for e in page.js_errors if "status of 400" not in e] == []  # type: ignore[attr-defined]
