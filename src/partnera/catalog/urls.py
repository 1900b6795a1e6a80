"""/catalog/: the web pages of this domain."""

from django.urls import path

from partnera.catalog.views import (
    pick,
    price_check,
    price_lists,
    products,
    rules,
    settings,
    structure,
)

app_name = "catalog"
urlpatterns: list = [
    path("", products.product_list, name="product_list"),
    path("products/", products.product_list),
    path("products/pick/", pick.product_pick, name="product_pick"),
    path("products/new/", products.product_create, name="product_create"),
    path("products/<int:pk>/", products.product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", products.product_edit, name="product_edit"),
    path("products/<int:pk>/active/", products.product_active, name="product_active"),
    path("lines/", structure.structure, name="structure"),
    path("lines/new/", structure.line_create, name="line_create"),
    path("lines/<int:pk>/", structure.line_update, name="line_update"),
    path("categories/new/", structure.category_create, name="category_create"),
    path("categories/<int:pk>/", structure.category_update, name="category_update"),
    path("price-lists/", price_lists.price_list_list, name="price_list_list"),
    path("price-lists/new/", price_lists.price_list_create, name="price_list_create"),
    path("price-lists/<int:pk>/", price_lists.price_list_detail, name="price_list_detail"),
    path("price-lists/<int:pk>/edit/", price_lists.price_list_edit, name="price_list_edit"),
    path("price-lists/<int:pk>/prices/", price_lists.price_list_prices, name="price_list_prices"),
    path("price-lists/<int:pk>/items/new/", price_lists.price_list_item_add,
         name="price_list_item_add"),
    path("price-lists/<int:pk>/items/remove/", price_lists.price_list_item_remove,
         name="price_list_item_remove"),
    path("rules/", rules.rule_list, name="rule_list"),
    path("rules/new/", rules.rule_create, name="rule_create"),
    path("rules/<int:pk>/", rules.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/active/", rules.rule_active, name="rule_active"),
    path("price-check/", price_check.price_check, name="price_check"),
    path("settings/", settings.pricing_settings, name="settings"),
    path("settings/vat-rates/new/", settings.vat_rate_create, name="vat_rate_create"),
    path("settings/vat-rates/<int:pk>/", settings.vat_rate_update, name="vat_rate_update"),
    path("settings/policy/", settings.policy_update, name="policy_update"),
]
