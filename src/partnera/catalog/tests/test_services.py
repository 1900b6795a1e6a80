"""Writes of the catalog: validation, permissions (nothing changed when refused), audit, versions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from partnera.catalog import services
from partnera.catalog.models import PriceList, PriceListItem, PricingPolicy, Product, VatRate
from partnera.catalog.tests.dbstate import catalog_state
from partnera.catalog.tests.factories import (
    CategoryFactory,
    PriceListFactory,
    PriceListItemFactory,
    PricingRuleFactory,
    ProductFactory,
    ProductLineFactory,
    vat_rate,
)
from partnera.clients.tests.factories import CompanyFactory
from partnera.core.errors import NotFound, PermissionDenied, ValidationFailed, VersionConflict
from partnera.core.models import AuditEntry
from partnera.core.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def head(head_of_sales):
    return head_of_sales


def refused(call, error=ValidationFailed):
    """Run `call`, expect `error`, and check the catalog did not change; the error's fields."""
    before = catalog_state()
    with pytest.raises(error) as info:
        call()
    assert catalog_state() == before
    return info.value.fields


# --- seeded defaults -----------------------------------------------------------------------------

def test_installation_seeds_three_vat_rates_and_the_policy():
    rates = {r.rate: r for r in VatRate.objects.all()}
    assert set(rates) == {Decimal("20.00"), Decimal("9.00"), Decimal("0.00")}
    assert [r.rate for r in VatRate.objects.filter(is_default=True)] == [Decimal("20.00")]
    assert PricingPolicy.objects.get().max_manual_discount == Decimal("10.00")


# --- products ------------------------------------------------------------------------------------

def test_head_of_sales_creates_a_product_with_the_default_vat_rate(head):
    line = ProductLineFactory()
    product = services.product_create(actor=head, data={
        "code": " KS-1 ", "name": "Кашон", "name_en": "Carton", "line": line.pk, "unit": "box"})
    product.refresh_from_db()
    assert (product.code, product.name, product.line, product.unit) == ("KS-1", "Кашон", line, "box")
    assert product.vat_rate.rate == Decimal("20.00") and product.active
    assert product.search_text == "ks-1 kashon carton"
    entry = AuditEntry.objects.get(object_type="catalog.product", object_id=str(product.pk))
    assert entry.action == "create" and entry.changes["code"] == [None, "KS-1"]


@pytest.mark.parametrize("data, field", [
    ({"name": "X"}, "code"),
    ({"code": "A"}, "name"),
    ({"code": "A", "name": "X", "unit": "barrel"}, "unit"),
    ({"code": "A", "name": "X", "kind": "magic"}, "kind"),
    ({"code": "A", "name": "X", "vat_rate": 999999}, "vat_rate"),
    ({"code": "A", "name": "X", "line": "abc"}, "line"),
    ({"code": "A" * 41, "name": "X"}, "code"),
    ({"code": "A", "name": "X", "description": "d" * 4001}, "description"),
])
def test_bad_product_input_is_refused_and_nothing_is_stored(head, data, field):
    fields = refused(lambda: services.product_create(actor=head, data=data))
    assert field in fields


def test_product_codes_are_unique_among_live_products_whatever_the_case(head):
    ProductFactory(code="KS-1")
    fields = refused(lambda: services.product_create(actor=head, data={"code": "ks-1", "name": "Y"}))
    assert fields == {"code": ["Another product already has this code."]}


def test_a_category_of_another_line_is_refused_and_a_lineless_product_takes_the_categorys(head):
    category = CategoryFactory()
    other_line = ProductLineFactory()
    fields = refused(lambda: services.product_create(actor=head, data={
        "code": "A", "name": "X", "line": other_line.pk, "category": category.pk}))
    assert fields == {"category": ["This category belongs to another product line."]}
    product = services.product_create(actor=head, data={"code": "A", "name": "X",
                                                         "category": category.pk})
    assert product.line_id == category.line_id


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.KEY_ACCOUNT_MANAGER, Role.MARKETING,
                                  Role.DEPARTMENT])
def test_only_administrators_and_heads_of_sales_write_the_catalog(make_user, role):
    user = make_user(role)
    product = ProductFactory()
    refused(lambda: services.product_create(actor=user, data={"code": "A", "name": "X"}),
            PermissionDenied)
    refused(lambda: services.product_update(actor=user, product=product, data={"name": "Y"}),
            PermissionDenied)
    refused(lambda: services.product_line_create(actor=user, data={"name": "L"}), PermissionDenied)
    refused(lambda: services.price_list_create(actor=user, data={"name": "L"}), PermissionDenied)
    refused(lambda: services.pricing_rule_create(actor=user, data={
        "name": "R", "kind": "volume", "min_quantity": 10, "discount_percent": 5}), PermissionDenied)


def test_product_update_checks_the_version_and_audits_the_change(admin_user):
    product = ProductFactory(name="Стар")
    services.product_update(actor=admin_user, product=product, data={"name": "Нов"},
                            expected_version=1)
    product.refresh_from_db()
    assert (product.name, product.version) == ("Нов", 2)
    assert "nov" in product.search_text
    entry = AuditEntry.objects.get(object_type="catalog.product", action="update")
    assert entry.changes == {"name": ["Стар", "Нов"]}
    stale = Product.objects.get(pk=product.pk)
    refused(lambda: services.product_update(actor=admin_user, product=stale, data={"name": "X"},
                                            expected_version=1), VersionConflict)


def test_deactivated_product_keeps_its_inactive_vat_rate_and_line(admin_user):
    line = ProductLineFactory(active=False)
    rate = VatRate.objects.create(name="Old", rate=Decimal("5"), active=False)
    product = ProductFactory(line=line, vat_rate=rate)
    services.product_set_active(actor=admin_user, product=product, active=False)
    services.product_update(actor=admin_user, product=product,
                            data={"line": line.pk, "vat_rate": rate.pk, "name": "Ново име"})
    product.refresh_from_db()
    assert not product.active and product.name == "Ново име"


# --- product lines and categories ----------------------------------------------------------------

def test_product_line_names_are_unique_without_case(head):
    services.product_line_create(actor=head, data={"name": "Опаковки"})
    fields = refused(lambda: services.product_line_create(actor=head, data={"name": "ОПАКОВКИ"}))
    assert fields == {"name": ["Another product line already has this name."]}


def test_category_cannot_move_to_a_line_its_products_are_not_in(head):
    category = CategoryFactory()
    ProductFactory(category=category, line=category.line)
    other = ProductLineFactory()
    fields = refused(lambda: services.category_update(actor=head, category=category,
                                                      data={"line": other.pk}))
    assert fields == {"line": ["1 product of this category is in another product line."]}


# --- VAT rates -----------------------------------------------------------------------------------

def test_exactly_one_vat_rate_is_the_default(admin_user):
    nine = VatRate.objects.get(rate=Decimal("9"))
    services.vat_rate_update(actor=admin_user, vat_rate=nine, data={"is_default": True})
    assert list(VatRate.objects.filter(is_default=True)) == [nine]
    fields = refused(lambda: services.vat_rate_update(actor=admin_user, vat_rate=nine,
                                                      data={"is_default": False}))
    assert fields == {"is_default": ["Make another rate the default instead."]}
    fields = refused(lambda: services.vat_rate_update(actor=admin_user, vat_rate=nine,
                                                      data={"active": False}))
    assert "active" in fields
    new = services.vat_rate_create(actor=admin_user, data={"name": "Туризъм", "rate": "9,5",
                                                          "is_default": True})
    assert list(VatRate.objects.filter(is_default=True)) == [new]
    assert new.rate == Decimal("9.50")


def test_a_vat_rate_used_by_active_products_stays_active(admin_user):
    nine = vat_rate("9")
    ProductFactory(vat_rate=nine)
    fields = refused(lambda: services.vat_rate_update(actor=admin_user, vat_rate=nine,
                                                      data={"active": False}))
    assert fields == {"active": ["1 active product uses this rate. Give it another rate first."]}


@pytest.mark.parametrize("rate", ["-1", "100.5", "abc", "1.234", ""])
def test_bad_vat_rates_are_refused(admin_user, rate):
    fields = refused(lambda: services.vat_rate_create(actor=admin_user,
                                                      data={"name": "X", "rate": rate}))
    assert "rate" in fields


def test_heads_of_sales_do_not_change_vat_rates_or_the_policy(head):
    rate = vat_rate("20")
    refused(lambda: services.vat_rate_update(actor=head, vat_rate=rate, data={"rate": "21"}),
            PermissionDenied)
    refused(lambda: services.pricing_policy_update(actor=head, data={"max_manual_discount": 50}),
            PermissionDenied)


def test_pricing_policy_update(admin_user):
    services.pricing_policy_update(actor=admin_user, data={"max_manual_discount": "15,5"})
    assert PricingPolicy.objects.get().max_manual_discount == Decimal("15.50")
    fields = refused(lambda: services.pricing_policy_update(actor=admin_user,
                                                            data={"max_manual_discount": "101"}))
    assert "max_manual_discount" in fields


# --- price lists ---------------------------------------------------------------------------------

def test_price_list_scopes(head, manager):
    company = CompanyFactory(owner=manager)  # in the head's team
    general = services.price_list_create(actor=head, data={"name": "Обща", "tier": "key_account"})
    assert (general.scope, general.tier, general.company) == ("general", "", None)
    tier = services.price_list_create(actor=head, data={"name": "Ключови", "scope": "tier",
                                                        "tier": "key_account", "currency": "BGN"})
    assert (tier.tier, tier.currency) == ("key_account", "BGN")
    client = services.price_list_create(actor=head, data={"name": "Клиент", "scope": "client",
                                                          "company": company.pk})
    assert client.company == company
    assert AuditEntry.objects.filter(object_type="catalog.pricelist", company_id=company.pk).exists()


@pytest.mark.parametrize("data, field", [
    ({"name": "X", "scope": "tier"}, "tier"),
    ({"name": "X", "scope": "tier", "tier": "gold"}, "tier"),
    ({"name": "X", "scope": "client"}, "company"),
    ({"name": "X", "currency": "USD"}, "currency"),
    ({"name": "X", "valid_from": "2026-05-01", "valid_to": "2026-04-30"}, "valid_to"),
    ({"name": "X", "valid_from": "01.05.2026"}, "valid_from"),
    ({"name": ""}, "name"),
])
def test_bad_price_lists_are_refused(head, data, field):
    assert field in refused(lambda: services.price_list_create(actor=head, data=data))


def test_a_client_list_needs_a_client_the_actor_can_see(head, other_manager):
    hidden = CompanyFactory(owner=other_manager)
    fields = refused(lambda: services.price_list_create(actor=head, data={
        "name": "X", "scope": "client", "company": hidden.pk}))
    assert fields == {"company": ["Choose a client you can see."]}
    theirs = PriceListFactory(scope="client", company=hidden)
    refused(lambda: services.price_list_update(actor=head, price_list=theirs, data={"name": "Y"}),
            NotFound)


def test_price_list_update_checks_the_version(head):
    price_list = PriceListFactory()
    services.price_list_update(actor=head, price_list=price_list, data={"name": "Нова"},
                               expected_version=1)
    assert PriceList.objects.get(pk=price_list.pk).version == 2
    stale = PriceList.objects.get(pk=price_list.pk)
    stale.version = 1
    refused(lambda: services.price_list_update(actor=head, price_list=stale, data={"name": "X"}),
            VersionConflict)


def test_price_list_items_add_change_remove(head):
    price_list = PriceListFactory()
    product = ProductFactory()
    item = services.price_list_item_add(actor=head, price_list=price_list,
                                        data={"product": product.pk, "price": "12,3456"})
    assert item.price == Decimal("12.3456")
    assert "product" in refused(lambda: services.price_list_item_add(
        actor=head, price_list=price_list, data={"product": product.pk, "price": "1"}))
    services.price_list_item_change(actor=head, item=item, data={"price": "13"},
                                    expected_price="12.3456")
    item.refresh_from_db()
    assert item.price == Decimal("13.0000")
    refused(lambda: services.price_list_item_change(actor=head, item=item, data={"price": "14"},
                                                    expected_price="12.3456"), VersionConflict)
    services.price_list_item_remove(actor=head, item=item)
    assert not PriceListItem.objects.exists()
    changes = [e.changes for e in AuditEntry.objects.filter(object_type="catalog.pricelist")
               .order_by("pk")]
    label = f"price {product.code}"
    assert changes == [{label: [None, "12.3456"]}, {label: ["12.3456", "13.0000"]},
                       {label: ["13.0000", None]}]


@pytest.mark.parametrize("price", ["-1", "1.23456", "abc", "", "1e3", "99999999999"])
def test_bad_prices_are_refused(head, price):
    price_list = PriceListFactory()
    product = ProductFactory()
    assert "price" in refused(lambda: services.price_list_item_add(
        actor=head, price_list=price_list, data={"product": product.pk, "price": price}))


def test_price_table_saves_all_or_nothing(head):
    price_list = PriceListFactory()
    one, two = PriceListItemFactory(price_list=price_list), PriceListItemFactory(price_list=price_list)
    fields = refused(lambda: services.price_list_items_change(
        actor=head, price_list=price_list, prices={one.pk: "5", two.pk: "-5"}))
    assert list(fields) == [f"items.{two.pk}.price"]
    services.price_list_items_change(actor=head, price_list=price_list,
                                     prices={one.pk: "5", two.pk: "6"})
    assert sorted(PriceListItem.objects.values_list("price", flat=True)) == [Decimal(5), Decimal(6)]


def test_inactive_product_cannot_be_added_to_a_list(head):
    product, price_list = ProductFactory(active=False), PriceListFactory()
    assert "product" in refused(lambda: services.price_list_item_add(
        actor=head, price_list=price_list, data={"product": product.pk, "price": "1"}))


# --- pricing rules -------------------------------------------------------------------------------

DAY = dt.date(2026, 6, 1)


@pytest.mark.parametrize("data, fields", [
    ({"kind": "special", "tier": "key_account"}, {"discount_percent", "fixed_price"}),
    ({"kind": "special", "tier": "key_account", "discount_percent": 5, "fixed_price": 3},
     {"fixed_price"}),
    ({"kind": "special", "discount_percent": 5}, {"company"}),
    ({"kind": "volume", "discount_percent": 5}, {"min_quantity"}),
    ({"kind": "volume", "min_quantity": 10}, {"discount_percent"}),
    ({"kind": "promotion", "discount_percent": 5}, {"valid_from", "valid_to"}),
    ({"kind": "promotion", "discount_percent": 0, "valid_from": DAY, "valid_to": DAY},
     {"discount_percent"}),
    ({"kind": "promotion", "discount_percent": 101, "valid_from": DAY, "valid_to": DAY},
     {"discount_percent"}),
    ({"kind": "free_units", "min_quantity": 10}, {"free_units"}),
    ({"kind": "free_units", "min_quantity": -1, "free_units": 1}, {"min_quantity"}),
    ({"kind": "rebate", "period_volume": 100, "discount_percent": 2}, {"valid_from", "valid_to"}),
    ({"kind": "rebate", "discount_percent": 2, "valid_from": DAY, "valid_to": DAY},
     {"period_volume"}),
    ({"kind": "promotion", "discount_percent": 5, "valid_from": DAY,
      "valid_to": DAY - dt.timedelta(days=1)}, {"valid_to"}),
    ({"kind": "cashback"}, {"kind"}),
    ({"kind": "volume", "min_quantity": 10, "discount_percent": 5, "tier": "gold"}, {"tier"}),
])
def test_each_kind_of_rule_needs_its_fields(head, data, fields):
    errors = refused(lambda: services.pricing_rule_create(actor=head, data={"name": "R", **data}))
    assert set(errors) == fields


def test_rule_keeps_only_the_values_its_kind_uses(head):
    rule = services.pricing_rule_create(actor=head, data={
        "name": "Обем", "kind": "volume", "min_quantity": "100", "discount_percent": "3,5",
        "free_units": "5", "fixed_price": "1"})
    assert (rule.min_quantity, rule.discount_percent, rule.free_units, rule.fixed_price) == (
        Decimal("100.000"), Decimal("3.50"), None, None)
    services.pricing_rule_update(actor=head, rule=rule, data={"kind": "free_units", "free_units": 1},
                                 expected_version=1)
    rule.refresh_from_db()
    assert (rule.kind, rule.min_quantity, rule.free_units, rule.discount_percent, rule.version) == (
        "free_units", Decimal("100.000"), Decimal("1.000"), None, 2)


def test_client_rules_need_a_visible_client(head, manager, other_manager):
    mine, hidden = CompanyFactory(owner=manager), CompanyFactory(owner=other_manager)
    rule = services.pricing_rule_create(actor=head, data={
        "name": "Special", "kind": "special", "company": mine.pk, "fixed_price": "9.5"})
    assert rule.company == mine and rule.fixed_price == Decimal("9.5000")
    assert "company" in refused(lambda: services.pricing_rule_create(actor=head, data={
        "name": "Special", "kind": "special", "company": hidden.pk, "discount_percent": 5}))
    theirs = PricingRuleFactory(company=hidden, kind="special")
    refused(lambda: services.pricing_rule_update(actor=head, rule=theirs, data={"name": "X"}),
            NotFound)


def test_rule_update_checks_the_version(head):
    rule = PricingRuleFactory(valid_from=DAY, valid_to=DAY)
    stale_version = rule.version
    services.pricing_rule_set_active(actor=head, rule=rule, active=False)
    refused(lambda: services.pricing_rule_update(actor=head, rule=rule, data={"name": "X"},
                                                 expected_version=stale_version), VersionConflict)
