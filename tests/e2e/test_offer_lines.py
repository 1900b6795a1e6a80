"""An offer in a real browser: from the deal page, the line editor (pick products as you type,
add a line with the browser script), a discount above the limit waiting for the head of sales,
who approves it from "My day"; the PDF downloads. No script error and no CSP violation on the way.
Screenshots land in test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from partnera.catalog.tests.factories import priced_product
from partnera.core.roles import Role
from partnera.sales.models import ApprovalStatus, Offer
from partnera.sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account_manager(make_user, team):
    return make_user(Role.ACCOUNT_MANAGER, team=team, username="petrova", first_name="Мария",
                     last_name="Петрова", language="en")


def pick(page, row: int, typed: str, product) -> None:
    box = page.locator(f"#id_lines-{row}-product")
    box.fill(typed)
    page.locator(f"tr:has(#id_lines-{row}-product) [data-pick='{product.pk}']").click()
    expect(page.locator(f"input[name='lines-{row}-product']")).to_have_value(str(product.pk))


def test_an_offer_with_a_discount_to_approve(page, login, screenshot, account_manager, make_user, team,
                                             browser, live_server):
    head = make_user(Role.HEAD_OF_SALES, username="head", language="en")
    team.head = head
    team.save()
    deal = DealFactory(owner=account_manager, title="Опаковки за 2027")
    carton = priced_product("12.00", code="KS-40", name="Кашон 40×30", name_en="Carton 40×30")
    tape = priced_product("2.50", code="TX-1", name="Тиксо", name_en="Tape")
    login(account_manager)

    page.goto(f"/sales/deals/{deal.pk}/")
    page.locator("#offers a", has_text="New offer").click()
    expect(page.locator("[data-add-line]")).to_be_visible()
    expect(page.locator("[data-more-rows]")).to_be_hidden()
    pick(page, 0, "KS", carton)
    page.fill("#id_lines-0-quantity", "100")
    pick(page, 1, "тиксо", tape)
    page.fill("#id_lines-1-quantity", "20")
    page.fill("#id_lines-1-manual_discount", "15")
    page.locator("[data-add-line]").click()
    expect(page.locator("#id_lines-3-product")).to_be_focused()
    page.locator("input[name='lines-2-remove']").check()
    screenshot("offer-editor")
    page.locator("button", has_text="Make the offer").click()

    offer = Offer.objects.get()
    expect(page).to_have_url(f"{live_server.url}/sales/offers/{offer.pk}/")
    expect(page.locator("#approval")).to_contain_text("Waiting for approval")
    expect(page.locator("#lines")).to_contain_text("Manual discount")
    screenshot("offer-page-pending")
    assert page.js_errors == []

    head_context = browser.new_context(base_url=live_server.url, locale="en-GB")
    head_page = head_context.new_page()
    head_page.goto("/login/")
    head_page.fill("input[name=username]", "head")
    from partnera.people.tests.factories import PASSWORD

    head_page.fill("input[name=password]", PASSWORD)
    head_page.click("button[type=submit]")
    head_page.wait_for_url(lambda url: "/login" not in url)
    head_page.locator("#salesoffer_approvals a", has_text=offer.reference).click()
    head_page.fill("textarea[name=comment]", "Ключов клиент")
    head_page.locator("button", has_text="Approve the discount").click()
    expect(head_page.locator("#approval")).to_contain_text("Approved")
    head_context.close()
    assert Offer.objects.get().approval_status == ApprovalStatus.APPROVED

    page.reload()
    with page.expect_download() as download:
        page.locator("a", has_text="Download PDF").click()
    assert download.value.suggested_filename == f"{offer.reference}-v1.pdf"
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("button", has_text="Mark as sent").click()
    expect(page.locator(".sub .badge").first).to_contain_text("Sent")
    screenshot("offer-page-sent")
    assert page.js_errors == []
