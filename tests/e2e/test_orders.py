"""An order in a real browser: the account manager enters it from the company page, finding the
products with the catalog picker and adding a row in place; confirms it; logistics records two
partial deliveries ("everything remaining" the second time) and the order is delivered. No
script error and no Content-Security-Policy violation on the way. Screenshots land in
test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from partnera.catalog.tests.factories import PriceListFactory, priced_product
from partnera.clients.tests.factories import CompanyFactory
from partnera.core.roles import DepartmentKind, Role
from partnera.orders.models import Order, OrderStatus
from partnera.people.tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_enter_an_order_and_deliver_it_in_two_parts(page, login, screenshot, make_user, team):
    manager = make_user(Role.ACCOUNT_MANAGER, team=team, username="petrova", first_name="Мария",
                        last_name="Петрова", language="en")
    logistics = DepartmentFactory(kind=DepartmentKind.LOGISTICS, name="Логистика")
    storekeeper = make_user(Role.DEPARTMENT, department=logistics, username="sklad",
                            language="en")
    company = CompanyFactory(owner=manager, legal_name="Алфа Трейд")
    prices = PriceListFactory()
    priced_product("12.50", price_list=prices, code="KASH-40", name="Кашон 40×30")
    priced_product("0.08", price_list=prices, code="ETIK-01", name="Етикет 50×30")
    today = timezone.localdate()
    login(manager)

    # The company page offers a new order; the form finds products by code or name.
    page.goto(f"/clients/companies/{company.pk}/")
    page.locator("#orders a", has_text="New order").click()
    page.fill("input[name=client_reference]", "PO-2026-118")
    page.fill("input[name=requested_date]", (today + dt.timedelta(days=5)).isoformat())
    page.fill("input[name='line-0-product_label']", "KASH")
    page.locator("#line-rows tbody tr").nth(0).locator("[data-pick]").first.click()
    page.fill("input[name='line-0-quantity']", "40")
    page.fill("input[name='line-1-product_label']", "Етикет")
    page.locator("#line-rows tbody tr").nth(1).locator("[data-pick]").first.click()
    page.fill("input[name='line-1-quantity']", "1000")
    page.locator("[data-add-line]").click()  # a row added in place, no page load
    expect(page.locator("#line-rows tbody tr")).to_have_count(4)
    screenshot("orders-01-new-order")
    page.get_by_role("button", name="Enter the order").click()

    # The order page: priced lines, promised dates, confirm.
    expect(page.locator("#order-status")).to_have_text("Received")
    expect(page.locator("#lines")).to_contain_text("KASH-40")
    expect(page.locator("#lines")).to_contain_text("580.00")  # 40 × 12.50 + 1000 × 0.08
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#order-status")).to_have_text("Confirmed")
    order = Order.objects.get()
    page.context.clear_cookies()
    page.goto("/login/")

    # Logistics sees the order (not the client) and records two deliveries.
    login(storekeeper)
    page.goto(f"/orders/{order.pk}/")
    kash, etik = order.lines.order_by("position")
    page.fill(f"#qty-{kash.pk}", "25")
    page.fill("input[name=document_number]", "ЕН-0001")
    page.get_by_role("button", name="Record the delivery").click()
    expect(page.locator("#order-status")).to_have_text("Partly delivered")
    page.locator("[data-fill-remaining]").click()
    expect(page.locator(f"#qty-{kash.pk}")).to_have_value("15")
    expect(page.locator(f"#qty-{etik.pk}")).to_have_value("1000")
    page.get_by_role("button", name="Record the delivery").click()
    expect(page.locator("#order-status")).to_have_text("Delivered")
    expect(page.locator("#deliveries li[id^=delivery-]")).to_have_count(2)
    screenshot("orders-02-delivered")
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert page.js_errors == []  # type: ignore[attr-defined]
