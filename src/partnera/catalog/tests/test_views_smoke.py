"""Every catalog page opens for an administrator (a first guard against template errors)."""

from __future__ import annotations

import pytest

from partnera.catalog.tests.factories import (
    CategoryFactory,
    PriceListFactory,
    PriceListItemFactory,
    PricingRuleFactory,
)

pytestmark = pytest.mark.django_db


def test_every_page_opens(logged_in, admin_user):
    item = PriceListItemFactory(price_list=PriceListFactory())
    CategoryFactory(line=item.product.line)
    rule = PricingRuleFactory(product=item.product)
    client = logged_in(admin_user)
    for url in ["/catalog/", f"/catalog/products/{item.product.pk}/", "/catalog/products/new/",
                f"/catalog/products/{item.product.pk}/edit/", "/catalog/lines/",
                "/catalog/price-lists/", f"/catalog/price-lists/{item.price_list.pk}/",
                "/catalog/price-lists/new/", f"/catalog/price-lists/{item.price_list.pk}/edit/",
                "/catalog/rules/", "/catalog/rules/new/", f"/catalog/rules/{rule.pk}/",
                "/catalog/price-check/", "/catalog/settings/", "/"]:
        response = client.get(url)
        assert response.status_code == 200, url
