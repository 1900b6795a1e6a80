"""The demo catalog and the global search's products."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from partnera.catalog.models import PriceList, PricingRule, Product, RuleKind
from partnera.catalog.pricing import LineRequest, price_document
from partnera.catalog.tests.factories import ProductFactory
from partnera.clients.demo import build_demo
from partnera.clients.models import Company
from partnera.core.search import global_search

pytestmark = pytest.mark.django_db


def test_demo_builds_the_catalog_once_and_it_prices(settings):
    result = build_demo(companies=60, seed=7)
    assert Product.objects.count() == 40 == result.extra["products"]
    assert set(PricingRule.objects.values_list("kind", flat=True)) == set(RuleKind.values)
    assert PriceList.objects.filter(scope="tier", tier="key_account").exists()
    assert PriceList.objects.filter(currency="BGN").exists()
    assert all(p.search_text for p in Product.objects.all())
    company = Company.objects.filter(tier="key_account").first() or Company.objects.first()
    lines = [LineRequest(p.pk, Decimal("12")) for p in Product.objects.all()]
    document = price_document(company=company, currency="BGN", on_date=dt.date.today(),
                              lines=lines)
    assert len(document.lines) == 40 and document.gross_total > 0
    build_demo(companies=5, seed=8)
    assert Product.objects.count() == 40


def test_global_search_finds_products_for_anyone(manager):
    ProductFactory(code="KS-0301", name="Кашон трипластов", name_en="Three-ply carton")
    ProductFactory(code="ET-1", name="Етикет")
    hits = global_search(user=manager, query="кашон")
    assert [(h.kind, h.label) for h in hits if h.kind == "product"] == [
        ("product", "KS-0301 Кашон трипластов")]
    assert [h.label for h in global_search(user=manager, query="ks-03") if h.kind == "product"] == [
        "KS-0301 Кашон трипластов"]
