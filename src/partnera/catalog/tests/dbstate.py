"""A comparable picture of the catalog, to assert that a refused or invalid write changed nothing."""

from __future__ import annotations

from partnera.catalog.models import (
    Category,
    PriceList,
    PriceListItem,
    PricingPolicy,
    PricingRule,
    Product,
    ProductLine,
    VatRate,
)
from partnera.core.models import AuditEntry


def catalog_state() -> dict:
    return {
        "products": list(Product.all_objects.order_by("pk").values()),
        "lines": list(ProductLine.objects.order_by("pk").values()),
        "categories": list(Category.objects.order_by("pk").values()),
        "vat_rates": list(VatRate.objects.order_by("pk").values()),
        "price_lists": list(PriceList.objects.order_by("pk").values()),
        "items": list(PriceListItem.objects.order_by("pk").values()),
        "rules": list(PricingRule.objects.order_by("pk").values()),
        "policy": list(PricingPolicy.objects.order_by("pk").values()),
        "audit_entries": AuditEntry.objects.filter(object_type__startswith="catalog.")
        .exclude(action="access_denied").count(),
    }
