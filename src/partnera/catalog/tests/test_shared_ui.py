"""The pieces offers, contracts and orders include: the price explanation partial and the
product picker (web fragment and API)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from partnera.catalog.models import PriceList
from partnera.catalog.pricing import LineRequest, price_document
from partnera.catalog.tests.factories import (
    PricingRuleFactory,
    ProductFactory,
    priced_product,
)
from partnera.clients.tests.factories import CompanyFactory
from partnera.core.roles import Role
from partnera.core.tests.api_client import ApiClient

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 15)


def _explained(**rules):
    product = priced_product("12.00")
    PricingRuleFactory(name="Пролет", kind="promotion", discount_percent=Decimal("5"))
    company = CompanyFactory()
    doc = price_document(company=company, currency="EUR", on_date=DAY,
                         lines=[LineRequest(product.pk, Decimal("2"), Decimal("12.5"))])
    return doc.lines[0].explanation


def test_explanation_lists_each_step_in_english():
    steps = _explained()
    with translation.override("en"):
        html = render_to_string("catalog/partials/price_explanation.html", {"steps": steps})
    text = " ".join(html.split())
    assert "List price" in text and "12.00" in text
    assert "Promotion" in text and "(Пролет)" in text and "−5&nbsp;%" in text and "11.40" in text
    assert "Manual discount" in text and "−12.5&nbsp;%" in text and "9.975" in text
    assert text.index("List price") < text.index("Promotion") < text.index("Manual discount")


def test_explanation_in_bulgarian_formats_numbers_per_locale():
    steps = _explained()
    with translation.override("bg"):
        html = render_to_string("catalog/partials/price_explanation.html", {"steps": steps})
        promotion = translation.gettext("Promotion")
    assert "12,00" in html and "11,40" in html and "−12,5&nbsp;%" in html and "9,975" in html
    assert promotion in html


def test_explanation_of_a_converted_price_names_the_list_currency():
    product = ProductFactory()
    bgn = PriceList.objects.create(name="BGN", currency="BGN")
    bgn.items.create(product=product, price=Decimal("19.5583"))
    doc = price_document(company=CompanyFactory(), currency="EUR", on_date=DAY,
                         lines=[LineRequest(product.pk, Decimal("1"))])
    steps = doc.lines[0].explanation
    assert [s["code"] for s in steps] == ["list_price", "converted"]
    assert steps[0]["unit_price"] == "19.5583" and steps[0]["detail"] == "BGN"
    assert steps[1]["unit_price"] == "10.0000"
    with translation.override("en"):
        html = render_to_string("catalog/partials/price_explanation.html", {"steps": steps})
    assert "19.5583 BGN" in html and "Converted at the fixed rate" in html


def test_explanation_renders_nothing_without_steps():
    assert render_to_string("catalog/partials/price_explanation.html", {"steps": []}).strip() == ""


def test_product_picker_finds_active_products_by_code_or_name_in_either_script(logged_in, make_user):
    user = make_user(Role.ACCOUNT_MANAGER, language="en")
    box = ProductFactory(code="KS-100", name="Кашон голям", name_en="Big carton")
    ProductFactory(code="KS-200", name="Кашон малък", active=False)
    ProductFactory(code="ET-1", name="Етикет")
    client = logged_in(user)
    for query in ("кашон", "КАШОН", "kashon", "ks-1", "big"):
        response = client.get("/catalog/products/pick/", {"q": query})
        assert response.status_code == 200
        html = response.content.decode()
        assert f'data-pick="{box.pk}"' in html, query
        assert "KS-200" not in html and "ET-1" not in html
    html = client.get("/catalog/products/pick/", {"q": "KS-100"}).content.decode()
    assert 'data-unit="piece"' in html and 'data-vat="20.00"' in html
    empty = client.get("/catalog/products/pick/", {"q": "zzz"}).content.decode()
    assert 'class="picker-empty"' in empty and "data-pick" not in empty


def test_product_picker_reads_the_label_box_of_a_line_form(logged_in, manager):
    box = ProductFactory(code="KS-100")
    response = logged_in(manager).get("/catalog/products/pick/", {"lines-0-product_label": "ks-100"})
    assert f'data-pick="{box.pk}"' in response.content.decode()


def test_product_picker_needs_a_login(client):
    assert client.get("/catalog/products/pick/", {"q": "a"}).status_code == 302


def test_products_api_searches(client, manager):
    box = ProductFactory(code="KS-100", name="Кашон голям")
    ProductFactory(code="ET-1", name="Етикет")
    response = ApiClient(client, manager).get("/products", {"q": "кашон"})
    assert response.status_code == 200
    body = response.json()
    assert [p["id"] for p in body["items"]] == [box.pk]
    assert body["items"][0]["vat_rate"]["rate"] == "20.00"
    assert body["count"] == 1
