"""The catalog pages: who sees and changes what, errors next to the fields with the input kept and
nothing changed, 404 for what the user may not see, a constant number of queries on lists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnera.catalog.models import PriceListItem, PricingPolicy, PricingRule, Product, ProductLine
from partnera.catalog.tests.dbstate import catalog_state
from partnera.catalog.tests.factories import (
    CategoryFactory,
    PriceListFactory,
    PriceListItemFactory,
    PricingRuleFactory,
    ProductFactory,
    ProductLineFactory,
    priced_product,
)
from partnera.clients.tests.factories import CompanyFactory
from partnera.core.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def head(head_of_sales):
    return head_of_sales


@pytest.fixture(autouse=True)
def _english_pages(client):
    """Pages in English (the texts below are the English source strings)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def text(response) -> str:
    return " ".join(response.content.decode().split())


# --- products ------------------------------------------------------------------------------------

def test_product_list_searches_and_filters(logged_in, manager):
    line = ProductLineFactory(name="Опаковки")
    ProductFactory(code="KS-1", name="Кашон", line=line)
    ProductFactory(code="ET-1", name="Етикет")
    ProductFactory(code="KS-OLD", name="Кашон стар", active=False, line=line)
    client = logged_in(manager)
    page = text(client.get("/catalog/", {"q": "kashon"}))
    assert "KS-1" in page and "ET-1" not in page and "KS-OLD" not in page
    page = text(client.get("/catalog/", {"line": line.pk, "active": "all"}))
    assert "KS-1" in page and "KS-OLD" in page and "ET-1" not in page
    page = text(client.get("/catalog/", {"active": "inactive"}))
    assert "KS-OLD" in page and "KS-1" not in page
    assert "/catalog/products/new/" not in page  # an account manager does not add products


def test_product_list_with_htmx_answers_the_results_only(logged_in, manager):
    ProductFactory(code="KS-1")
    response = logged_in(manager).get("/catalog/", {"q": "ks"}, HTTP_HX_REQUEST="true",
                                      HTTP_HX_TARGET="product-results")
    assert "KS-1" in text(response) and "<html" not in text(response)


def test_product_list_runs_a_constant_number_of_queries(logged_in, manager):
    client = logged_in(manager)
    ProductFactory.create_batch(3, category=CategoryFactory())
    client.get("/catalog/")
    with CaptureQueriesContext(connection) as few:
        client.get("/catalog/")
    ProductFactory.create_batch(30, category=CategoryFactory())
    with CaptureQueriesContext(connection) as many:
        client.get("/catalog/")
    assert len(few) == len(many)


def test_head_of_sales_adds_a_product(logged_in, head):
    line = ProductLineFactory()
    response = logged_in(head).post("/catalog/products/new/", {
        "code": "KS-9", "name": "Кашон", "kind": "product", "line": line.pk, "unit": "box",
        "vat_rate": Product._meta.get_field("vat_rate").related_model.objects.get(
            is_default=True).pk, "active": "on"})
    product = Product.objects.get(code="KS-9")
    assert response.status_code == 302 and response.url == f"/catalog/products/{product.pk}/"
    assert product.line == line and product.unit == "box" and product.active


def test_bad_product_input_shows_errors_keeps_input_and_stores_nothing(logged_in, head):
    existing = ProductFactory(code="KS-1")
    client = logged_in(head)
    before = catalog_state()
    response = client.post("/catalog/products/new/", {
        "code": "ks-1", "name": "Нов кашон", "kind": "product", "unit": "box",
        "vat_rate": existing.vat_rate_id, "description": "x"})
    assert response.status_code == 400
    page = text(response)
    assert '<p class="error" role="alert">Another product already has this code.</p>' in page
    assert 'value="ks-1"' in page and 'value="Нов кашон"' in page
    assert catalog_state() == before


def test_account_manager_cannot_add_or_change_products(logged_in, manager):
    product = ProductFactory(name="Старо")
    client = logged_in(manager)
    before = catalog_state()
    assert client.get("/catalog/products/new/").status_code == 403
    assert client.post("/catalog/products/new/", {"code": "X", "name": "Y"}).status_code == 403
    assert client.post(f"/catalog/products/{product.pk}/edit/", {"name": "Ново"}).status_code == 403
    assert client.post(f"/catalog/products/{product.pk}/active/", {"active": "0"}).status_code == 403
    assert catalog_state() == before


def test_product_edit_refuses_a_stale_version(logged_in, head):
    product = ProductFactory(name="Старо")
    Product.objects.filter(pk=product.pk).update(version=2)
    before = catalog_state()
    response = logged_in(head).post(f"/catalog/products/{product.pk}/edit/", {
        "version": 1, "code": product.code, "name": "Ново", "kind": "product", "unit": "piece",
        "vat_rate": product.vat_rate_id, "active": "on"})
    assert response.status_code == 409 and 'value="Ново"' in text(response)
    assert catalog_state() == before


def test_product_page_shows_visible_prices_and_rules_only(logged_in, manager, other_manager):
    mine, theirs = CompanyFactory(owner=manager), CompanyFactory(owner=other_manager)
    product = priced_product("12.50", price_list=PriceListFactory(name="Обща EUR"))
    PriceListItemFactory(product=product, price=Decimal("11"),
                         price_list=PriceListFactory(name="За моя", scope="client", company=mine))
    PriceListItemFactory(product=product, price=Decimal("9"),
                         price_list=PriceListFactory(name="За чужд", scope="client", company=theirs))
    PricingRuleFactory(name="Пролет", product=product)
    PricingRuleFactory(name="Тайно", company=theirs, kind="special")
    page = text(logged_in(manager).get(f"/catalog/products/{product.pk}/"))
    assert "Обща EUR" in page and "За моя" in page and "Пролет" in page
    assert "За чужд" not in page and "Тайно" not in page


def test_unknown_product_is_404(logged_in, manager):
    assert logged_in(manager).get("/catalog/products/999999/").status_code == 404


# --- price lists ---------------------------------------------------------------------------------

def test_client_price_list_of_an_invisible_company_is_404(logged_in, manager, other_manager, head):
    theirs = CompanyFactory(owner=other_manager)
    hidden = PriceListFactory(name="Чужда листа", scope="client", company=theirs)
    PriceListFactory(name="Обща листа")
    for user in (manager, head):
        client = logged_in(user)
        assert client.get(f"/catalog/price-lists/{hidden.pk}/").status_code == 404
        page = text(client.get("/catalog/price-lists/"))
        assert "Обща листа" in page and "Чужда листа" not in page
    before = catalog_state()
    client = logged_in(head)
    assert client.post(f"/catalog/price-lists/{hidden.pk}/edit/", {"name": "X"}).status_code == 404
    assert client.post(f"/catalog/price-lists/{hidden.pk}/items/new/",
                       {"product": ProductFactory().pk, "price": "1"}).status_code == 404
    assert catalog_state()["price_lists"] == before["price_lists"]


def test_price_table_saves_changed_prices(logged_in, head):
    price_list = PriceListFactory()
    one = PriceListItemFactory(price_list=price_list, price=Decimal("10"))
    two = PriceListItemFactory(price_list=price_list, price=Decimal("20"))
    response = logged_in(head).post(f"/catalog/price-lists/{price_list.pk}/prices/", {
        f"price_{one.pk}": "10,5", f"was_{one.pk}": "10.00",
        f"price_{two.pk}": "20.00", f"was_{two.pk}": "20.00"})
    assert response.status_code == 302
    assert PriceListItem.objects.get(pk=one.pk).price == Decimal("10.5")
    assert PriceListItem.objects.get(pk=two.pk).price == Decimal("20")


def test_bad_price_in_the_table_keeps_the_input_and_changes_nothing(logged_in, head):
    price_list = PriceListFactory()
    one = PriceListItemFactory(price_list=price_list, price=Decimal("10"))
    two = PriceListItemFactory(price_list=price_list, price=Decimal("20"))
    before = catalog_state()
    response = logged_in(head).post(f"/catalog/price-lists/{price_list.pk}/prices/", {
        f"price_{one.pk}": "11", f"was_{one.pk}": "10.00",
        f"price_{two.pk}": "-3", f"was_{two.pk}": "20.00"})
    assert response.status_code == 400
    page = text(response)
    assert 'value="-3"' in page and 'value="11"' in page
    assert catalog_state() == before


def test_price_changed_by_someone_else_is_not_overwritten(logged_in, head):
    price_list = PriceListFactory()
    item = PriceListItemFactory(price_list=price_list, price=Decimal("12"))
    before = catalog_state()
    response = logged_in(head).post(f"/catalog/price-lists/{price_list.pk}/prices/", {
        f"price_{item.pk}": "11", f"was_{item.pk}": "10.00"})
    assert response.status_code == 409
    assert catalog_state() == before


def test_add_and_remove_a_product_of_a_price_list(logged_in, head):
    price_list = PriceListFactory()
    product = ProductFactory()
    client = logged_in(head)
    response = client.post(f"/catalog/price-lists/{price_list.pk}/items/new/",
                           {"product": product.pk, "product_label": product.code, "price": "7,25"})
    assert response.status_code == 302
    item = PriceListItem.objects.get(price_list=price_list)
    assert item.price == Decimal("7.25")
    before = catalog_state()
    response = client.post(f"/catalog/price-lists/{price_list.pk}/items/new/",
                           {"product": product.pk, "product_label": "ЗАПАЗЕН", "price": "1"})
    assert response.status_code == 400 and 'value="ЗАПАЗЕН"' in text(response)
    assert catalog_state() == before
    response = client.post(f"/catalog/price-lists/{price_list.pk}/items/remove/", {"item": item.pk})
    assert response.status_code == 302 and not PriceListItem.objects.exists()


def test_price_list_form_errors_next_to_fields(logged_in, head):
    before = catalog_state()
    response = logged_in(head).post("/catalog/price-lists/new/", {
        "name": "Ключови", "currency": "EUR", "scope": "client", "tier": "",
        "valid_from": "2026-05-01", "valid_to": "2026-04-01"})
    assert response.status_code == 400
    page = text(response)
    assert "Choose the client this list is for." in page
    assert 'value="Ключови"' in page
    assert catalog_state() == before


# --- rules ---------------------------------------------------------------------------------------

def test_rules_of_invisible_clients_are_hidden(logged_in, manager, other_manager):
    theirs = CompanyFactory(owner=other_manager)
    hidden = PricingRuleFactory(name="Чуждо", kind="special", company=theirs)
    PricingRuleFactory(name="Пролет")
    client = logged_in(manager)
    page = text(client.get("/catalog/rules/"))
    assert "Пролет" in page and "Чуждо" not in page
    assert client.get(f"/catalog/rules/{hidden.pk}/").status_code == 404


def test_rule_form_shows_the_kinds_fields_and_keeps_bad_input(logged_in, head):
    client = logged_in(head)
    page = text(client.get("/catalog/rules/new/", {"kind": "volume"}))
    assert 'data-kinds="free_units volume"' in page.replace('data-kinds="volume free_units"',
                                                            'data-kinds="free_units volume"')
    before = catalog_state()
    response = client.post("/catalog/rules/new/", {
        "name": "Обем", "kind": "volume", "discount_percent": "5", "min_quantity": "",
        "currency": "EUR", "active": "on"})
    assert response.status_code == 400
    assert 'value="Обем"' in text(response)
    assert catalog_state() == before
    response = client.post("/catalog/rules/new/", {
        "name": "Обем", "kind": "volume", "discount_percent": "5", "min_quantity": "100",
        "currency": "EUR", "active": "on"})
    assert response.status_code == 302
    rule = PricingRule.objects.get(name="Обем")
    assert (rule.min_quantity, rule.discount_percent) == (Decimal("100"), Decimal("5"))


def test_account_manager_reads_a_rule_but_cannot_change_it(logged_in, manager):
    rule = PricingRuleFactory(name="Пролет")
    client = logged_in(manager)
    page = text(client.get(f"/catalog/rules/{rule.pk}/"))
    assert "Пролет" in page and 'type="submit"' not in page.split("rule-form")[1].split("</form>")[0]
    before = catalog_state()
    assert client.post(f"/catalog/rules/{rule.pk}/", {"name": "X", "kind": "promotion"}).status_code == 403
    assert client.post(f"/catalog/rules/{rule.pk}/active/", {"active": "0"}).status_code == 403
    assert catalog_state() == before


# --- structure and settings ---------------------------------------------------------------------

def test_lines_and_categories_page(logged_in, head):
    client = logged_in(head)
    assert client.post("/catalog/lines/new/", {"line-name": "Етикети"}).status_code == 302
    line = ProductLine.objects.get(name="Етикети")
    before = catalog_state()
    response = client.post("/catalog/lines/new/", {"line-name": "етикети"})
    assert response.status_code == 400 and 'value="етикети"' in text(response)
    assert catalog_state() == before
    assert client.post("/catalog/categories/new/",
                       {"category-name": "Самозалепващи", "category-line": line.pk}).status_code == 302
    assert client.post(f"/catalog/lines/{line.pk}/", {"active": "0"}).status_code == 302
    line.refresh_from_db()
    assert not line.active


def test_settings_are_for_administrators(logged_in, head, admin_user):
    before = catalog_state()
    assert logged_in(head).get("/catalog/settings/").status_code == 403
    assert logged_in(head).post("/catalog/settings/policy/",
                                {"max_manual_discount": "50"}).status_code == 403
    assert catalog_state() == before
    client = logged_in(admin_user)
    assert client.post("/catalog/settings/policy/", {"max_manual_discount": "12,5"}).status_code == 302
    assert PricingPolicy.objects.get().max_manual_discount == Decimal("12.5")
    before = catalog_state()
    response = client.post("/catalog/settings/policy/", {"max_manual_discount": "120"})
    assert response.status_code == 400 and 'value="120"' in text(response)
    assert catalog_state() == before


def test_nav_links(logged_in, manager, admin_user):
    page = text(logged_in(manager).get("/catalog/"))
    assert 'href="/catalog/"' in page and 'href="/catalog/price-check/"' in page
    assert 'href="/catalog/settings/"' not in page
    assert 'href="/catalog/settings/"' in text(logged_in(admin_user).get("/catalog/"))


# --- price check ---------------------------------------------------------------------------------

def test_price_check_prices_and_explains(logged_in, make_user):
    user = make_user(Role.ACCOUNT_MANAGER, language="en")
    company = CompanyFactory(owner=user)
    product = priced_product("10.00", code="KS-1")
    PricingRuleFactory(kind="promotion", name="Пролет", discount_percent=Decimal("5"))
    response = logged_in(user).get("/catalog/price-check/", {
        "check": "1", "company": company.pk, "currency": "EUR", "on_date": "2026-06-15",
        "product_1": product.pk, "quantity_1": "3", "discount_1": "15"})
    assert response.status_code == 200
    page = text(response)
    assert "Promotion" in page and "(Пролет)" in page and "Manual discount" in page
    # 10 → 9.50 → 8.075 × 3 = 24.225 → 24.23; VAT 4.85; total 29.08
    assert "24.23" in page and "4.85" in page and "29.08" in page
    assert "Needs approval" in page


def test_price_check_refuses_an_invisible_client_and_bad_lines(logged_in, make_user, other_manager):
    user = make_user(Role.ACCOUNT_MANAGER, language="en")
    theirs = CompanyFactory(owner=other_manager)
    mine = CompanyFactory(owner=user)
    product = priced_product("10.00")
    client = logged_in(user)
    response = client.get("/catalog/price-check/", {
        "check": "1", "company": theirs.pk, "currency": "EUR", "on_date": "2026-06-15",
        "product_1": product.pk, "quantity_1": "1"})
    assert response.status_code == 400 and "Choose a client you can see." in text(response)
    response = client.get("/catalog/price-check/", {
        "check": "1", "company": mine.pk, "currency": "EUR", "on_date": "2026-06-15",
        "product_1": product.pk, "quantity_1": "-2", "product_2": product.pk,
        "quantity_2": "abc"})
    page = text(response)
    assert response.status_code == 400
    assert "Enter a quantity, e.g. 10 or 2,5." in page and 'value="abc"' in page
    response = client.get("/catalog/price-check/", {
        "check": "1", "company": mine.pk, "currency": "EUR", "on_date": "2026-06-15",
        "product_1": product.pk, "quantity_1": "-2"})
    assert "The quantity must be more than zero." in text(response)
    response = client.get("/catalog/price-check/", {
        "check": "1", "company": mine.pk, "currency": "EUR", "on_date": "2000-01-01",
        "product_1": product.pk, "quantity_1": "1"})
    assert response.status_code == 200  # the general list has no validity dates
    PriceListItem.objects.update(price_list=PriceListFactory(valid_to=dt.date(2026, 1, 1)))
    response = client.get("/catalog/price-check/", {
        "check": "1", "company": mine.pk, "currency": "EUR", "on_date": "2026-06-15",
        "product_1": product.pk, "quantity_1": "1"})
    assert response.status_code == 400 and "No price list valid on 15/06/2026" in text(response)


def test_price_check_grows_by_more_lines(logged_in, manager):
    page = text(logged_in(manager).get("/catalog/price-check/", {"rows": "5", "more": "1"}))
    assert 'name="quantity_10"' in page and 'name="quantity_11"' not in page
