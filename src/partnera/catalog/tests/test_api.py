"""The catalog API: reads for everyone signed in, writes for administrators and heads of sales
(403, nothing changed), 404 for a client's list or rule the caller cannot see, 400 with fields for
bad input (nothing changed), quotes that explain themselves."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnera.catalog.models import PriceListItem, Product
from partnera.catalog.tests.dbstate import catalog_state
from partnera.catalog.tests.factories import (
    PriceListFactory,
    PricingRuleFactory,
    ProductFactory,
    ProductLineFactory,
    priced_product,
)
from partnera.clients.tests.factories import CompanyFactory
from partnera.core.tests.api_client import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_manager(client, manager):
    return ApiClient(client, manager)


@pytest.fixture
def as_head(client, head_of_sales):
    return ApiClient(client, head_of_sales)


@pytest.fixture
def as_admin(client, admin_user):
    return ApiClient(client, admin_user)


# --- products ------------------------------------------------------------------------------------

def test_products_list_filters_and_pages(as_manager):
    line = ProductLineFactory()
    for n in range(5):
        ProductFactory(code=f"A-{n}", name=f"Артикул {n}", line=line)
    ProductFactory(code="OLD", active=False, line=line)
    first = as_manager.get("/products", {"line": line.pk, "limit": 3, "sort": "code"}).json()
    assert [p["code"] for p in first["items"]] == ["A-0", "A-1", "A-2"]
    assert first["count"] == 5 and first["next_cursor"]
    second = as_manager.get("/products", {"line": line.pk, "limit": 3, "sort": "code",
                                          "cursor": first["next_cursor"]}).json()
    assert [p["code"] for p in second["items"]] == ["A-3", "A-4"] and second["next_cursor"] is None
    assert [p["code"] for p in as_manager.get("/products", {"active": "inactive"}).json()["items"]] == ["OLD"]


def test_products_list_runs_a_constant_number_of_queries(as_manager):
    ProductFactory.create_batch(2)
    as_manager.get("/products")
    with CaptureQueriesContext(connection) as few:
        as_manager.get("/products")
    ProductFactory.create_batch(25)
    with CaptureQueriesContext(connection) as many:
        as_manager.get("/products")
    assert len(few) == len(many)


def test_bad_list_parameters_are_400(as_manager):
    assert as_manager.get("/products", {"kind": "magic"}).status_code == 400
    assert as_manager.get("/products", {"cursor": "garbage"}).status_code == 400
    assert as_manager.get("/products", {"colour": "red"}).status_code == 400


def test_head_of_sales_creates_and_changes_a_product(as_head):
    response = as_head.post("/products", {"code": "KS-1", "name": "Кашон", "unit": "box"})
    assert response.status_code == 201
    body = response.json()
    assert body["vat_rate"]["rate"] == "20.00" and body["version"] == 1
    response = as_head.patch(f"/products/{body['id']}", {"name": "Кашон голям", "version": 1})
    assert response.status_code == 200 and response.json()["name"] == "Кашон голям"
    before = catalog_state()
    response = as_head.patch(f"/products/{body['id']}", {"name": "X", "version": 1})
    assert response.status_code == 409 and response.json()["code"] == "version_conflict"
    assert catalog_state() == before


def test_bad_product_is_400_with_fields_and_nothing_stored(as_head):
    ProductFactory(code="KS-1")
    before = catalog_state()
    response = as_head.post("/products", {"code": "KS-1", "name": "", "unit": "barrel"})
    assert response.status_code == 400 and set(response.json()["fields"]) == {"unit"}
    response = as_head.post("/products", {"code": "ks-1", "name": ""})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"code", "name"}
    assert catalog_state() == before


def test_account_manager_cannot_write_the_catalog(as_manager):
    product = ProductFactory()
    price_list = PriceListFactory()
    before = catalog_state()
    for response in (
        as_manager.post("/products", {"code": "X", "name": "Y"}),
        as_manager.patch(f"/products/{product.pk}", {"name": "Y"}),
        as_manager.post("/product-lines", {"name": "L"}),
        as_manager.post("/categories", {"name": "C"}),
        as_manager.post("/price-lists", {"name": "L"}),
        as_manager.post(f"/price-lists/{price_list.pk}/items", {"product": product.pk, "price": "1"}),
        as_manager.post("/pricing-rules", {"name": "R", "kind": "volume", "min_quantity": "1",
                                           "discount_percent": "1"}),
        as_manager.post("/vat-rates", {"name": "V", "rate": "5"}),
        as_manager.patch("/pricing-policy", {"max_manual_discount": "50"}),
    ):
        assert response.status_code == 403, response.request
        assert response.json()["code"] == "permission_denied"
    assert catalog_state() == before


def test_lines_categories_and_vat_rates(as_head, as_admin):
    line = as_head.post("/product-lines", {"name": "Опаковки"}).json()
    category = as_head.post("/categories", {"name": "Кашони", "line": line["id"]}).json()
    assert category["line"] == {"id": line["id"], "name": "Опаковки"}
    ProductFactory(line_id=line["id"])
    assert len(as_head.get(f"/product-lines/{line['id']}/products").json()) == 1
    assert as_head.patch(f"/product-lines/{line['id']}", {"active": False}).json()["active"] is False
    assert [r["rate"] for r in as_head.get("/vat-rates").json()] == ["20.00", "9.00", "0.00"]
    assert as_head.post("/vat-rates", {"name": "V", "rate": "5"}).status_code == 403
    created = as_admin.post("/vat-rates", {"name": "Пет", "rate": "5", "is_default": True})
    assert created.status_code == 201 and created.json()["is_default"] is True
    rates = {r["name"]: r["is_default"] for r in as_admin.get("/vat-rates").json()}
    assert sum(rates.values()) == 1 and rates["Пет"]


# --- price lists ---------------------------------------------------------------------------------

def test_price_list_with_items(as_head):
    product = ProductFactory()
    body = as_head.post("/price-lists", {"name": "Обща", "currency": "BGN"}).json()
    item = as_head.post(f"/price-lists/{body['id']}/items", {"product": product.pk, "price": "19.5583"})
    assert item.status_code == 201 and item.json()["price"] == "19.5583"
    item_id = item.json()["id"]
    changed = as_head.patch(f"/price-lists/{body['id']}/items/{item_id}",
                            {"price": "20", "expected_price": "19.5583"})
    assert changed.status_code == 200 and changed.json()["price"] == "20.0000"
    stale = as_head.patch(f"/price-lists/{body['id']}/items/{item_id}",
                          {"price": "21", "expected_price": "19.5583"})
    assert stale.status_code == 409
    page = as_head.get(f"/price-lists/{body['id']}/items").json()
    assert [i["price"] for i in page["items"]] == ["20.0000"] and page["next_after"] is None
    assert as_head.delete(f"/price-lists/{body['id']}/items/{item_id}").status_code == 204
    assert not PriceListItem.objects.exists()


def test_bad_price_list_and_price_are_400_and_nothing_changes(as_head):
    price_list = PriceListFactory()
    product = ProductFactory()
    before = catalog_state()
    response = as_head.post("/price-lists", {"name": "X", "scope": "tier"})
    assert response.status_code == 400 and set(response.json()["fields"]) == {"tier"}
    response = as_head.post("/price-lists", {"name": "X", "valid_from": "2026-05-02",
                                             "valid_to": "2026-05-01"})
    assert set(response.json()["fields"]) == {"valid_to"}
    response = as_head.post(f"/price-lists/{price_list.pk}/items", {"product": product.pk,
                                                                     "price": "1.23456"})
    assert response.status_code == 400 and set(response.json()["fields"]) == {"price"}
    response = as_head.post(f"/price-lists/{price_list.pk}/items", {"product": product.pk,
                                                                     "price": "-1"})
    assert response.status_code == 400
    assert catalog_state() == before


def test_client_lists_and_rules_of_invisible_companies_are_404(as_head, other_manager, manager):
    theirs = CompanyFactory(owner=other_manager)
    mine = CompanyFactory(owner=manager)  # in the head's team
    hidden = PriceListFactory(scope="client", company=theirs)
    shown = PriceListFactory(scope="client", company=mine)
    rule = PricingRuleFactory(kind="special", company=theirs)
    before = catalog_state()
    assert as_head.get(f"/price-lists/{hidden.pk}").status_code == 404
    assert as_head.get(f"/price-lists/{hidden.pk}/items").status_code == 404
    assert as_head.patch(f"/price-lists/{hidden.pk}", {"name": "X"}).status_code == 404
    assert as_head.get(f"/pricing-rules/{rule.pk}").status_code == 404
    assert as_head.patch(f"/pricing-rules/{rule.pk}", {"name": "X"}).status_code == 404
    assert catalog_state() == before
    assert [p["id"] for p in as_head.get("/price-lists").json()] == [shown.pk]
    assert as_head.get("/pricing-rules").json() == []
    response = as_head.post("/price-lists", {"name": "X", "scope": "client", "company": theirs.pk})
    assert response.status_code == 400 and set(response.json()["fields"]) == {"company"}


# --- rules and policy ----------------------------------------------------------------------------

def test_rules_per_kind(as_head):
    response = as_head.post("/pricing-rules", {"name": "Пролет", "kind": "promotion",
                                               "discount_percent": "5"})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"valid_from", "valid_to"}
    response = as_head.post("/pricing-rules", {"name": "Пролет", "kind": "promotion",
                                               "discount_percent": "5", "valid_from": "2026-03-01",
                                               "valid_to": "2026-05-31"})
    assert response.status_code == 201
    rule = response.json()
    assert (rule["discount_percent"], rule["valid_to"]) == ("5.00", "2026-05-31")
    changed = as_head.patch(f"/pricing-rules/{rule['id']}", {"version": 1, "active": False})
    assert changed.json()["active"] is False and changed.json()["version"] == 2
    assert [r["id"] for r in as_head.get("/pricing-rules", {"active": "inactive"}).json()] == [rule["id"]]


def test_policy(as_manager, as_admin):
    assert as_manager.get("/pricing-policy").json() == {"max_manual_discount": "10.00"}
    assert as_admin.patch("/pricing-policy", {"max_manual_discount": "15"}).json() == {
        "max_manual_discount": "15.00"}
    assert as_admin.patch("/pricing-policy", {"max_manual_discount": "101"}).status_code == 400


# --- quotes --------------------------------------------------------------------------------------

def test_quote_prices_explains_and_totals(as_manager, manager):
    company = CompanyFactory(owner=manager)
    product = priced_product("10.00", code="KS-1")
    PricingRuleFactory(kind="promotion", name="Пролет", discount_percent=Decimal("5"))
    response = as_manager.post("/pricing/quote", {
        "company": company.pk, "currency": "BGN", "date": "2026-06-15",
        "lines": [{"product": product.pk, "quantity": "3", "manual_discount": "12"}]})
    assert response.status_code == 200
    body = response.json()
    line = body["lines"][0]
    assert [s["code"] for s in line["explanation"]] == ["list_price", "converted", "promotion",
                                                       "manual"]
    # 10 EUR → 19.5583 BGN → 18.5804 → 16.3508 × 3 = 49.0524 → 49.05; VAT 9.81
    assert (line["unit_price"], line["net_amount"], line["vat_amount"]) == (
        "16.3508", "49.05", "9.81")
    assert (body["net_total"], body["vat_total"], body["gross_total"]) == ("49.05", "9.81", "58.86")
    assert body["needs_approval"] is True and line["needs_approval"] is True
    assert body["vat_groups"] == [{"rate": "20.00", "base": "49.05", "vat": "9.81"}]


def test_quote_bad_lines_and_invisible_company(as_manager, manager, other_manager):
    company = CompanyFactory(owner=manager)
    product = priced_product("10.00")
    before = catalog_state()
    response = as_manager.post("/pricing/quote", {
        "company": company.pk, "lines": [{"product": product.pk, "quantity": "-1"},
                                         {"product": 999999, "quantity": "1"}]})
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "lines.1.quantity": ["The quantity must be more than zero."],
        "lines.2.product": ["Choose an active product from the catalog."]}
    hidden = CompanyFactory(owner=other_manager)
    response = as_manager.post("/pricing/quote", {
        "company": hidden.pk, "lines": [{"product": product.pk, "quantity": "1"}]})
    assert response.status_code == 404
    response = as_manager.post("/pricing/quote", {"company": company.pk, "lines": []})
    assert response.status_code == 400
    assert catalog_state() == before
    assert Product.objects.count() == 1
