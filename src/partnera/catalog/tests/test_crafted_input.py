"""Crafted input (ids beyond 64 bits, NaN, exponents, NUL characters, dates out of range) answers
4xx, never 500, on the pages and the API, on both databases."""

from __future__ import annotations

import pytest

from partnera.catalog.tests.factories import PriceListFactory, priced_product
from partnera.clients.tests.factories import CompanyFactory
from partnera.core.tests.api_client import ApiClient

pytestmark = pytest.mark.django_db

BIG = 2**70


def test_crafted_api_input_never_answers_500(client, admin_user):
    api = ApiClient(client, admin_user)
    product, price_list, company = priced_product(), PriceListFactory(), CompanyFactory()
    paths = [f"/products/{BIG}", f"/price-lists/{BIG}", f"/price-lists/{BIG}/items",
             f"/pricing-rules/{BIG}", f"/product-lines/{BIG}/products",
             f"/price-lists/{price_list.pk}/items/{BIG}", "/products/-1", "/products/0"]
    answers = {path: api.get(path).status_code for path in paths}
    assert all(400 <= status < 500 for status in answers.values()), answers

    def quote(**line):
        return {"company": company.pk, "lines": [{"product": product.pk, "quantity": "1", **line}]}

    items = f"/price-lists/{price_list.pk}/items"
    payloads = [
        ("/pricing/quote", quote(quantity="NaN")), ("/pricing/quote", quote(quantity="1e400")),
        ("/pricing/quote", quote(quantity=1e308)), ("/pricing/quote", quote(manual_discount="1e-30")),
        ("/pricing/quote", {**quote(), "date": "0001-01-01"}),
        ("/pricing/quote", {**quote(), "date": "9999-12-31"}),
        ("/products", {"code": "X\x00", "name": "Y"}),
        ("/price-lists", {"name": "A", "valid_from": "0001-01-01"}),
        (items, {"product": product.pk, "price": "1e30"}),
        (items, {"product": product.pk, "price": "Infinity"}),
        ("/pricing-rules", {"name": "R", "kind": "volume", "min_quantity": "1e400",
                            "discount_percent": "5"}),
        ("/pricing-rules", {"name": "R", "kind": "volume", "min_quantity": "-0",
                            "discount_percent": "5"}),
        ("/vat-rates", {"name": "V", "rate": "1e2"}),
        ("/pricing-rules", {"name": "R", "kind": "promotion", "discount_percent": "5",
                            "valid_from": "2026-01-01", "valid_to": "9999-12-31", "product": BIG}),
    ]
    for path, data in payloads:
        status = api.post(path, data).status_code
        assert status < 500, (path, data, status)
    assert api.patch("/pricing-policy", {"max_manual_discount": "NaN"}).status_code == 400
    assert api.get("/products", {"q": "\x00"}).status_code == 200


def test_crafted_form_input_never_answers_500(client, admin_user):
    client.force_login(admin_user)
    product, price_list = priced_product(), PriceListFactory()
    checks = [
        {"check": "1", "company": str(BIG), "currency": "EUR", "on_date": "2026-01-01",
         "product_1": str(BIG), "quantity_1": "1e400", "discount_1": "NaN"},
        {"check": "1", "company": "1", "currency": "GBP", "on_date": "0001-01-01",
         "product_1": str(product.pk), "quantity_1": "9" * 23, "discount_1": "-5"},
        {"rows": str(BIG), "more": "1"}, {"rows": "-5"},
    ]
    for params in checks:
        assert client.get("/catalog/price-check/", params).status_code < 500, params
    base = f"/catalog/price-lists/{price_list.pk}"
    posts = [
        (f"{base}/prices/", {f"price_{BIG}": "1", f"was_{BIG}": "x"}),
        (f"{base}/items/remove/", {"item": str(BIG)}),
        (f"{base}/items/new/", {"product": str(BIG), "price": "1e999"}),
        ("/catalog/products/new/", {"code": "\x00", "name": "x", "kind": "product",
                                    "unit": "piece", "vat_rate": str(BIG)}),
        ("/catalog/rules/new/", {"name": "x", "kind": "volume", "min_quantity": "1" * 50,
                                 "discount_percent": "5", "currency": "EUR",
                                 "valid_from": "99999-01-01"}),
        ("/catalog/price-lists/new/", {"name": "x", "currency": "EUR", "scope": "client",
                                       "company": str(BIG)}),
        ("/catalog/settings/vat-rates/new/", {"vat-name": "x", "vat-rate": "1e2"}),
        ("/catalog/lines/new/", {"line-name": "x" * 500}),
    ]
    for url, data in posts:
        status = client.post(url, data).status_code
        assert status < 500, (url, status)
    assert client.get("/catalog/", {"q": "\x00", "line": str(BIG), "cursor": "zzz"}).status_code == 200
    assert client.get(f"{base}/", {"q": "\x00"}).status_code == 200
