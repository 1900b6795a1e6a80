"""Commercial terms in a real browser, offer to delivered order (issue 5): the account manager
builds an offer on the deal page with a manual discount above the 10 % limit, which waits for the
head of sales; the head approves it from "My day"; the manager downloads the PDF (read back:
lines, totals, Cyrillic), marks the offer sent and records the client's acceptance (the deal moves
on); drafts the contract from the offer, signs it, uploads the documents its type requires and
activates it; enters the order from the contract; logistics records two partial deliveries, the
second one late; the order performance page shows the on-time-in-full figure computed by hand.

Only the starting data (people, client, deal, catalog) is made with factories; every step after
that goes through the pages. Screenshots: test-artifacts/screenshots/commercial-NN-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext
from playwright.sync_api import expect
from pypdf import PdfReader

from partnera.activities.tests.factories import SOFIA
from partnera.catalog.models import PricingPolicy
from partnera.catalog.tests.factories import PriceListFactory, ProductLineFactory, priced_product
from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.contracts.models import Contract, ContractDocument, ContractStatus, ContractType
from partnera.core.roles import DepartmentKind, Role
from partnera.orders.models import Order, OrderStatus
from partnera.people.tests.factories import PASSWORD, DepartmentFactory
from partnera.sales.models import ApprovalStatus, Deal, Offer, OfferStatus
from partnera.sales.tests.factories import DealFactory, stage_at

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT = "Тракия Пак ООД"
DEAL = "Опаковки 2027 — Тракия Пак"


def ws(text: str) -> str:
    """Whitespace (spaces, no-break spaces, line breaks) folded to single spaces."""
    return re.sub(r"\s+", " ", text.replace("\u202f", " ")).strip()


def nav(page, name: str) -> None:
    page.locator("nav.nav a", has_text=re.compile(f"^{re.escape(name)}$")).click()


def top(page) -> None:
    """Back to the top before a full-page screenshot (else the sticky bar lands mid-page)."""
    page.evaluate("window.scrollTo(0, 0)")


def pick(page, row: int, typed: str, product) -> None:
    """Find a product in the offer's line editor by typing, then choose it in the list."""
    page.locator(f"#id_lines-{row}-product").fill(typed)
    page.locator(f"tr:has(#id_lines-{row}-product) [data-pick='{product.pk}']").click()
    expect(page.locator(f"input[name='lines-{row}-product']")).to_have_value(str(product.pk))


def sign_in(browser, live_server, user):
    """A second person at their own browser (own cookies)."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 860},
                                  locale="en-GB")
    other = context.new_page()
    other.set_default_timeout(15000)
    errors: list[str] = []
    other.on("pageerror", lambda exc: errors.append(str(exc)))
    other.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    other.js_errors = errors  # type: ignore[attr-defined]
    other.goto("/login/")
    other.fill("input[name=username]", user.username)
    other.fill("input[name=password]", PASSWORD)
    other.click("button[type=submit]")
    other.wait_for_url(lambda url: "/login" not in url)
    return context, other


def small_pdf(path, title: str) -> str:
    """A real one-page PDF with Cyrillic text, as a scanner would hand it over."""
    from weasyprint import HTML

    HTML(string=f"<html lang='bg'><body><h1>{title}</h1><p>Подписано от двете страни.</p>"
                "</body></html>").write_pdf(str(path))
    return str(path)


def test_offer_to_contract_to_delivered_order_in_the_ui(page, login, screenshot, browser,
                                                        live_server, make_user, team, tmp_path):
    # --- Given: the people, the client and its deal, the catalog and the 10 % approval limit ------
    manager = make_user(Role.ACCOUNT_MANAGER, team=team, username="petrova", first_name="Мария",
                        last_name="Петрова", language="en")
    head = make_user(Role.HEAD_OF_SALES, username="head", first_name="Иван", last_name="Георгиев",
                     language="en")
    team.head = head
    team.save()
    logistics = DepartmentFactory(kind=DepartmentKind.LOGISTICS, name="Логистика")
    storekeeper = make_user(Role.DEPARTMENT, department=logistics, username="sklad",
                            first_name="Петър", last_name="Колев", language="en")
    client = CompanyFactory(owner=manager, legal_name=CLIENT, city="Пловдив")
    director = ContactFactory(company=client, first_name="Елена", last_name="Стоянова",
                              position="Търговски директор")
    # The deal has its amount and close date and stands at "offer presented": accepting the offer
    # moves it to the next open stage, "negotiation".
    deal = DealFactory(owner=manager, company=client, title=DEAL, stage=stage_at(3),
                       amount=Decimal("1701.00"))
    packaging = ProductLineFactory(name="Опаковки")
    prices = PriceListFactory(name="Ценова листа 2027")
    carton = priced_product("12.00", price_list=prices, code="KS-40", name="Кашон петслоен",
                            name_en="Five-ply carton", line=packaging)
    tape = priced_product("2.50", price_list=prices, code="TX-48", name="Тиксо кафяво",
                          name_en="Brown tape", line=packaging)
    label = priced_product("0.08", price_list=prices, code="ET-50", name="Етикет термо",
                           name_en="Thermal label", line=packaging)
    PricingPolicy.objects.update(max_manual_discount=Decimal("10.00"))
    assert PricingPolicy.objects.get().max_manual_discount == Decimal("10.00")
    today = timezone.localdate(timezone=SOFIA)
    with translation.override(settings.LANGUAGE_CODE):  # the seeded names are in that language
        framework = ContractType.objects.get(
            name=pgettext("contracts seed", "Framework agreement"))
    required = sorted(framework.required_documents.all(), key=lambda k: k.position)
    assert len(required) == 2  # the signed contract and the price annex

    # --- 1. The manager builds the offer from the deal page ---------------------------------------
    login(manager)
    page.goto(f"/sales/deals/{deal.pk}/")
    page.locator("#offers a", has_text="New offer").click()
    expect(page.locator("h1")).to_have_text("New offer")
    page.select_option("select[name=language]", "bg")  # the client reads Bulgarian
    page.select_option("select[name=contact]", str(director.pk))
    pick(page, 0, "KS-4", carton)
    page.fill("#id_lines-0-quantity", "100")
    pick(page, 1, "тиксо", tape)
    page.fill("#id_lines-1-quantity", "200")
    page.fill("#id_lines-1-manual_discount", "15")  # above the 10 % limit
    pick(page, 2, "етикет", label)
    page.fill("#id_lines-2-quantity", "1000")
    page.fill("#id_lines-2-manual_discount", "5")  # within the limit
    top(page)
    screenshot("commercial-01-offer-editor")
    page.locator("button", has_text="Make the offer").click()

    page.wait_for_url(re.compile(r"/sales/offers/\d+/$"))
    offer = Offer.objects.get()
    assert page.url.endswith(f"/sales/offers/{offer.pk}/")
    # Then: priced by hand — 100 × 12.00 = 1,200.00; 200 × 2.125 = 425.00; 1000 × 0.076 = 76.00;
    # 1,701.00 without VAT, 20 % VAT 340.20, 2,041.20 with VAT.
    lines = page.locator("#lines tr.line-main")
    expect(lines).to_have_count(3)
    expect(lines.nth(0)).to_contain_text("Кашон петслоен")
    expect(lines.nth(0)).to_contain_text("1,200.00")
    expect(lines.nth(1)).to_contain_text("Тиксо кафяво")
    expect(lines.nth(1)).to_contain_text("manual 15 %")
    expect(lines.nth(1)).to_contain_text("425.00")
    expect(lines.nth(2)).to_contain_text("Етикет термо")
    expect(lines.nth(2)).to_contain_text("76.00")
    totals = page.locator(".offer-totals")
    page_net = ws(totals.locator("tr", has_text="Total without VAT").locator("td").inner_text())
    page_vat = ws(totals.locator("tr.vat").first.locator("td").inner_text())
    page_gross = ws(totals.locator("tr.grand td").inner_text())
    assert (page_net, page_vat, page_gross) == ("1,701.00 EUR", "340.20 EUR", "2,041.20 EUR")
    # The discount waits for the head of sales: the offer cannot go out, nor be accepted.
    expect(page.locator("#approval")).to_contain_text("Waiting for approval")
    expect(page.locator("#approval")).to_contain_text("Иван Георгиев")
    expect(page.locator(".offer-actions button", has_text="Mark as sent")).to_have_count(0)
    expect(page.locator(".offer-actions button", has_text="Client accepted")).to_have_count(0)
    offer.refresh_from_db()
    assert (offer.status, offer.approval_status) == (OfferStatus.DRAFT, ApprovalStatus.PENDING)
    assert (offer.net_total, offer.vat_total, offer.gross_total) == (
        Decimal("1701.00"), Decimal("340.20"), Decimal("2041.20"))
    top(page)
    screenshot("commercial-02-offer-pending")

    # --- 2. The head of sales approves it from "My day" --------------------------------------------
    head_context, head_page = sign_in(browser, live_server, head)
    request = head_page.locator("#salesoffer_approvals a", has_text=offer.reference)
    expect(request).to_have_count(1)
    screenshot("commercial-03-head-my-day", target=head_page)
    request.click()
    head_page.wait_for_url(f"**/sales/offers/{offer.pk}/")
    head_page.fill("textarea[name=comment]", "Ключов клиент — одобрено.")
    head_page.locator("button", has_text="Approve the discount").click()
    expect(head_page.locator("#approval")).to_contain_text("Approved")
    expect(head_page.locator("#approval")).to_contain_text("Ключов клиент — одобрено.")
    screenshot("commercial-04-offer-approved", target=head_page)
    assert head_page.js_errors == []  # type: ignore[attr-defined]
    head_context.close()
    offer.refresh_from_db()
    assert (offer.approval_status, offer.approval_decided_by) == (ApprovalStatus.APPROVED, head)

    # --- 3. The manager downloads the PDF, marks the offer sent, records the acceptance -----------
    page.reload()
    expect(page.locator("#approval")).to_contain_text("Approved")
    with page.expect_download() as download_info:
        page.locator(".offer-actions a", has_text="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"{offer.reference}-v1.pdf"
    pdf_path = tmp_path / download.suggested_filename
    download.save_as(pdf_path)
    text = ws("\n".join(p.extract_text() for p in PdfReader(pdf_path).pages))
    for name in ("Кашон петслоен", "Тиксо кафяво", "Етикет термо", "KS-40", "TX-48", "ET-50"):
        assert name in text, name
    assert CLIENT in text and "Елена Стоянова" in text and DEAL in text
    with translation.override("bg"):
        labels = [gettext("Offer"), gettext("Total without VAT"), gettext("Total with VAT")]
    for caption in labels:
        assert ws(caption) in text, caption
    # The page's totals, written the Bulgarian way (1 701,00 EUR), to the cent.
    for shown in (page_net, page_vat, page_gross):
        amount = Decimal(shown.removesuffix(" EUR").replace(",", ""))
        bulgarian = f"{amount:,.2f}".replace(",", " ").replace(".", ",")
        assert f"{bulgarian} EUR" in text, (shown, bulgarian)

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".offer-actions button", has_text="Mark as sent").click()
    expect(page.locator(".page-head .sub .badge").first).to_have_text(str(OfferStatus.SENT.label))
    page.locator(".offer-actions button", has_text="Client accepted").click()
    expect(page.locator(".deal-banner-won")).to_contain_text("Accepted by the client")
    expect(page.locator(".messages")).to_contain_text(f"The deal moved to “{stage_at(4).name}”")
    top(page)
    screenshot("commercial-05-offer-accepted")
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED and offer.sent_at is not None
    # The deal page: the deal moved forward to "negotiation".
    page.locator("#details a", has_text=DEAL).click()
    page.wait_for_url(f"**/sales/deals/{deal.pk}/")
    expect(page.locator(".step-current")).to_contain_text(stage_at(4).name)
    expect(page.locator("#offers")).to_contain_text(offer.reference)
    assert Deal.objects.get(pk=deal.pk).stage == stage_at(4)
    screenshot("commercial-06-deal-moved")

    # --- 4. The contract from the accepted offer: documents, signed, active ------------------------
    page.goto(f"/sales/offers/{offer.pk}/")
    page.locator(".offer-actions a", has_text="Create contract").click()
    expect(page.locator("h1")).to_have_text("New contract")
    expect(page.locator("input[name=value]")).to_have_value("1701.00")
    page.select_option("select[name=contract_type]", str(framework.pk))
    page.fill("input[name=start_date]", today.isoformat())
    page.fill("input[name=end_date]", (today + dt.timedelta(days=364)).isoformat())
    page.fill("input[name=payment_days]", "30")
    top(page)
    screenshot("commercial-07-contract-form")
    page.locator("button", has_text="Draft the contract").click()
    page.wait_for_url(re.compile(r"/contracts/\d+/$"))
    contract = Contract.objects.get()
    assert (contract.offer, contract.company, contract.status, contract.value) == (
        offer, client, ContractStatus.DRAFT, Decimal("1701.00"))
    checklist = page.locator("#documents ul.checklist li")
    expect(checklist).to_have_count(2)
    expect(page.locator("#documents ul.checklist li.missing")).to_have_count(2)
    expect(page.locator("#documents .badge")).to_have_text("Documents missing")

    # Signed (today), then "Activate" is refused while the documents are missing; nothing changes.
    signing = page.locator("#status form.status-action-signed")
    signing.locator("input[name=signed_on]").fill(today.isoformat())
    signing.locator("button", has_text="Record as signed").click()
    expect(page.locator(".page-head .sub .badge").first).to_have_text(str(ContractStatus.SIGNED.label))
    page.locator("#status form.status-action-active button", has_text="Activate").click()
    expect(page.locator("#status-error")).to_contain_text("Documents the contract type requires "
                                                         "are missing")
    assert Contract.objects.get().status == ContractStatus.SIGNED

    # The two documents the type requires, as real PDF files.
    upload = page.locator("#documents form.upload-form")
    for kind, filename, title in (
            (required[0], "dogovor-podpisan.pdf", "Рамково споразумение — подписан екземпляр"),
            (required[1], "cenovo-prilozhenie.pdf", "Ценово приложение № 1")):
        upload.locator("select[name=kind]").select_option(str(kind.pk))
        upload.locator("input[name=file]").set_input_files(small_pdf(tmp_path / filename, title))
        upload.locator("input[name=description]").fill(title)
        upload.locator("button", has_text="Upload").click()
        expect(page.locator("#documents table.list", has_text=filename)).to_have_count(1)
    expect(page.locator("#documents ul.checklist li.present")).to_have_count(2)
    expect(page.locator("#documents ul.checklist li.missing")).to_have_count(0)
    expect(page.locator("#documents .card-head .badge")).to_have_text("All documents present")
    assert ContractDocument.objects.filter(contract=contract).count() == 2
    page.locator("#status form.status-action-active button", has_text="Activate").click()
    expect(page.locator(".page-head .sub .badge").first).to_have_text(str(ContractStatus.ACTIVE.label))
    top(page)
    screenshot("commercial-08-contract-active")
    contract.refresh_from_db()
    assert (contract.status, contract.signed_on, contract.start_date) == (
        ContractStatus.ACTIVE, today, today)

    # --- 5. The order under the contract, at the offer's prices; two partial deliveries ------------
    # Received by e-mail ten days ago, entered now; every line promised for three days ago.
    received, promised = today - dt.timedelta(days=10), today - dt.timedelta(days=3)
    page.locator(".page-head .actions a", has_text="New order").click()
    expect(page.locator("h1")).to_have_text("New order")
    expect(page.locator("select[name=contract]")).to_have_value(str(contract.pk))
    expect(page.locator("select[name=offer]")).to_have_value(str(offer.pk))
    page.fill("input[name=received_on]", received.isoformat())
    page.fill("input[name=requested_date]", promised.isoformat())
    page.fill("input[name=client_reference]", "PO-2027-118")
    rows = page.locator("#line-rows tbody tr")
    expect(rows).to_have_count(3)  # one per offer line
    for index in range(3):
        page.fill(f"input[name='line-{index}-promised_date']", promised.isoformat())
    expect(page.locator(f"input[name=departments][value='{logistics.pk}']")).to_be_checked()
    top(page)
    screenshot("commercial-09-order-form")
    page.get_by_role("button", name="Enter the order").click()
    expect(page.locator("#order-status")).to_have_text("Received")
    order = Order.objects.get()
    assert (order.contract, order.offer, order.received_on) == (contract, offer, received)
    expect(page.locator("#lines tfoot")).to_contain_text("1,701.00 EUR")
    expect(page.locator("#lines tfoot")).to_contain_text("2,041.20 EUR")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#order-status")).to_have_text("Confirmed")

    # Logistics, at its own desk, finds the order in its list and records the deliveries.
    sklad_context, sklad = sign_in(browser, live_server, storekeeper)
    nav(sklad, "Orders")
    sklad.locator("a", has_text=order.number).first.click()
    sklad.wait_for_url(f"**/orders/{order.pk}/")
    ks, tx, et = order.lines.order_by("position", "pk")
    assert [line.product for line in (ks, tx, et)] == [carton, tape, label]
    # First: two days before the promised date, 60 of the 100 cartons and all the rest — on time.
    sklad.fill("input[name=delivered_on]", (today - dt.timedelta(days=5)).isoformat())
    sklad.fill("input[name=document_number]", "ЕН-0001")
    sklad.fill(f"#qty-{ks.pk}", "60")
    sklad.fill(f"#qty-{tx.pk}", "200")
    sklad.fill(f"#qty-{et.pk}", "1000")
    sklad.get_by_role("button", name="Record the delivery").click()
    expect(sklad.locator("#order-status")).to_have_text("Partly delivered")
    expect(sklad.locator(f"#line-{tx.pk}")).to_contain_text("On time")
    # Second: yesterday, two days after the promised date, the 40 cartons left — late.
    sklad.fill("input[name=delivered_on]", (today - dt.timedelta(days=1)).isoformat())
    sklad.fill("input[name=document_number]", "ЕН-0002")
    sklad.locator("[data-fill-remaining]").click()
    expect(sklad.locator(f"#qty-{ks.pk}")).to_have_value("40")
    sklad.get_by_role("button", name="Record the delivery").click()
    expect(sklad.locator("#order-status")).to_have_text("Delivered")
    expect(sklad.locator("#deliveries li[id^=delivery-]")).to_have_count(2)
    expect(sklad.locator(f"#line-{ks.pk}")).to_contain_text("Delivered late")
    expect(sklad.locator(f"#line-{et.pk}")).to_contain_text("On time")
    screenshot("commercial-10-order-delivered", target=sklad)
    assert sklad.js_errors == []  # type: ignore[attr-defined]
    sklad_context.close()
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert [(line.delivered_quantity, line.completed_on) for line in order.lines.order_by(
        "position", "pk")] == [(Decimal("100"), today - dt.timedelta(days=1)),
                               (Decimal("200"), today - dt.timedelta(days=5)),
                               (Decimal("1000"), today - dt.timedelta(days=5))]

    # --- 6. Order performance: the one order came in full, but not on time ---------------------------
    # By hand: one order counted (delivered, promised in the last 90 days); in full (every line
    # reached its quantity) — 100.0 %; on time in full — the cartons were complete two days after
    # their promised date, so 0 of 1 — 0.0 %.
    nav(page, "Order performance")
    page.wait_for_url("**/orders/performance/")
    stats = page.locator(".perf-stats .stat")
    expect(stats.nth(0).locator(".n")).to_have_text("0.0 %")
    expect(stats.nth(0).locator(".l")).to_have_text("On time in full: 0 of 1 order")
    expect(stats.nth(1).locator(".n")).to_have_text("0.0 %")
    expect(stats.nth(2).locator(".n")).to_have_text("100.0 %")
    expect(stats.nth(2).locator(".l")).to_have_text("In full: 1 of 1 order")
    client_row = page.locator("section[aria-labelledby=perf-clients] tbody tr", has_text=CLIENT)
    expect(client_row.locator("td")).to_have_text([CLIENT, "1", "0.0 %", "0.0 %", "100.0 %"])
    manager_row = page.locator("section[aria-labelledby=perf-managers] tbody tr",
                               has_text="Мария Петрова")
    expect(manager_row.locator("td").nth(2)).to_have_text("0.0 %")
    screenshot("commercial-11-order-performance")
    # (the one 400 is the browser's note of the refused activation)
    assert [e for e in page.js_errors if "status of 400" not in e] == []  # type: ignore[attr-defined]
