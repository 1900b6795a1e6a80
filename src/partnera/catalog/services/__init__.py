"""Writes of the catalog. Keyword-only, atomic, audited; administrators and heads of sales change
products, price lists and rules, administrators the VAT rates and the pricing policy."""

from partnera.catalog.services.common import may_manage_catalog, may_manage_settings
from partnera.catalog.services.prices import (
    price_list_create,
    price_list_item_add,
    price_list_item_change,
    price_list_item_remove,
    price_list_items_change,
    price_list_update,
    pricing_policy_update,
    pricing_rule_create,
    pricing_rule_set_active,
    pricing_rule_update,
)
from partnera.catalog.services.products import (
    category_create,
    category_update,
    product_create,
    product_line_create,
    product_line_update,
    product_search_text,
    product_set_active,
    product_update,
    vat_rate_create,
    vat_rate_update,
)

__all__ = [
    "category_create", "category_update", "may_manage_catalog", "may_manage_settings",
    "price_list_create", "price_list_item_add", "price_list_item_change", "price_list_item_remove",
    "price_list_items_change", "price_list_update", "pricing_policy_update", "pricing_rule_create",
    "pricing_rule_set_active", "pricing_rule_update", "product_create", "product_line_create",
    "product_line_update", "product_search_text", "product_set_active", "product_update",
    "vat_rate_create", "vat_rate_update",
]
