"""The pricing engine: each rule kind alone and combined, which price list prices a product, the
hooks, and the errors for bad lines (nothing is stored by pricing, so 'nothing changed' is the
catalog as it was)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnera.catalog import pricing
from partnera.catalog.models import PriceList, PricingPolicy
from partnera.catalog.pricing import LineRequest, PricingError, price_document
from partnera.catalog.tests.dbstate import catalog_state
from partnera.catalog.tests.factories import (
    CategoryFactory,
    PriceListFactory,
    PriceListItemFactory,
    PricingRuleFactory,
    ProductFactory,
    priced_product,
    vat_rate,
)
from partnera.clients.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 15)
D = Decimal


@pytest.fixture
def company():
    return CompanyFactory(tier="standard")


def price(company, product, quantity="1", discount="0", currency="EUR", day=DAY):
    document = price_document(company=company, currency=currency, on_date=day,
                              lines=[LineRequest(product.pk, D(quantity), D(discount))])
    return document.lines[0]


def codes(line) -> list[str]:
    return [step.code for step in line.steps]


# --- list prices ---------------------------------------------------------------------------------

def test_list_price_alone(company):
    product = priced_product("12.50")
    line = price(company, product, "3")
    assert (line.list_price, line.unit_price, line.net_amount) == (D("12.50"), D("12.50"), D("37.50"))
    assert (line.vat_rate, line.vat_amount, line.gross_amount) == (D("20.00"), D("7.50"), D("45.00"))
    assert codes(line) == ["list_price"] and not line.needs_approval


def test_the_client_list_beats_the_tier_list_which_beats_the_general_list(company):
    company.tier = "key_account"
    company.save()
    product = priced_product("10.00")
    PriceListItemFactory(product=product, price=D("9.00"),
                         price_list=PriceListFactory(scope="tier", tier="key_account"))
    PriceListItemFactory(product=product, price=D("7.00"),
                         price_list=PriceListFactory(scope="tier", tier="corporate"))
    assert price(company, product).list_price == D("9.00")
    client_list = PriceListFactory(scope="client", company=company, name="Само за тях")
    PriceListItemFactory(product=product, price=D("8.00"), price_list=client_list)
    line = price(company, product)
    assert line.list_price == D("8.00") and line.steps[0].label == "Само за тях"
    other = CompanyFactory(tier="standard")
    assert price(other, product).list_price == D("10.00")


def test_a_list_in_the_documents_currency_is_preferred_else_converted(company):
    product = ProductFactory()
    PriceListItemFactory(product=product, price=D("19.5583"),
                         price_list=PriceListFactory(currency="BGN", name="BGN"))
    eur = price(company, product, "2")
    assert codes(eur) == ["list_price", "converted"]
    assert (eur.list_price, eur.unit_price, eur.net_amount) == (D("10.0000"), D("10.0000"), D("20.00"))
    assert price(company, product, currency="BGN").list_price == D("19.5583")
    PriceListItemFactory(product=product, price=D("11.00"), price_list=PriceListFactory(currency="EUR"))
    assert price(company, product).list_price == D("11.00")
    converted = price(company, product, currency="BGN")
    assert converted.list_price == D("19.5583")  # the BGN list, not the EUR one converted


def test_the_clients_own_list_wins_over_a_general_list_in_the_documents_currency(company):
    # Given a general EUR list and the client's own agreed prices in BGN
    product = ProductFactory()
    PriceListItemFactory(product=product, price=D("12.00"), price_list=PriceListFactory(currency="EUR"))
    PriceListItemFactory(product=product, price=D("19.5583"), price_list=PriceListFactory(
        currency="BGN", scope="client", company=company, name="Договорени цени"))
    # When an EUR document is priced, the client's list stands, converted at the fixed rate
    line = price(company, product, "1")
    assert codes(line) == ["list_price", "converted"]
    assert (line.unit_price, line.net_amount) == (D("10.0000"), D("10.00"))


def test_eur_list_converted_to_bgn_at_the_fixed_rate(company):
    product = priced_product("10.00")
    line = price(company, product, "1", currency="BGN")
    assert line.list_price == D("19.5583") and line.net_amount == D("19.56")


def test_validity_of_price_lists(company):
    product = ProductFactory(name="Кашон")
    PriceListItemFactory(product=product, price=D("5"), price_list=PriceListFactory(
        valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 3, 31)))
    PriceListItemFactory(product=product, price=D("6"), price_list=PriceListFactory(
        valid_from=dt.date(2026, 7, 1)))
    before = catalog_state()
    with pytest.raises(PricingError) as error:
        price(company, product)
    assert error.value.fields == {  # the day per the locale, the product's name in its language
        "lines.1.product": [f"No price list valid on 15/06/2026 prices {product.name_en}."]}
    assert catalog_state() == before
    assert price(company, product, day=dt.date(2026, 3, 31)).list_price == D("5")
    assert price(company, product, day=dt.date(2026, 7, 1)).list_price == D("6")


def test_a_newer_list_of_the_same_kind_wins(company):
    product = ProductFactory()
    PriceListItemFactory(product=product, price=D("5"),
                         price_list=PriceListFactory(valid_from=dt.date(2025, 1, 1)))
    PriceListItemFactory(product=product, price=D("6"),
                         price_list=PriceListFactory(valid_from=dt.date(2026, 1, 1)))
    assert price(company, product).list_price == D("6")


def test_an_inactive_price_list_prices_nothing(company):
    product = ProductFactory()
    PriceListItemFactory(product=product, price_list=PriceListFactory(active=False))
    with pytest.raises(PricingError):
        price(company, product)


# --- rules alone ---------------------------------------------------------------------------------

def test_special_condition_discount_for_the_client(company):
    product = priced_product("20.00")
    rule = PricingRuleFactory(kind="special", company=company, discount_percent=D("10"),
                              name="Договор 2026")
    line = price(company, product, "1")
    assert line.unit_price == D("18.0000") and codes(line) == ["list_price", "special"]
    assert (line.steps[1].rule_id, line.steps[1].label, line.steps[1].percent) == (
        rule.pk, "Договор 2026", D("10"))
    assert price(CompanyFactory(), product).unit_price == D("20.00")


def test_special_condition_fixed_price_in_other_currency_and_lowest_wins(company):
    product = priced_product("20.00")
    PricingRuleFactory(kind="special", company=company, discount_percent=None,
                       fixed_price=D("29.3375"), currency="BGN")  # 15.00 EUR
    PricingRuleFactory(kind="special", company=company, discount_percent=D("10"))  # 18.00
    line = price(company, product)
    assert line.unit_price == D("15.0000") and line.steps[1].percent is None


def test_special_condition_for_a_tier(company):
    company.tier = "corporate"
    company.save()
    product = priced_product("10.00")
    PricingRuleFactory(kind="special", tier="corporate", discount_percent=D("5"))
    assert price(company, product).unit_price == D("9.5000")
    assert price(CompanyFactory(tier="standard"), product).unit_price == D("10.00")


def test_promotion_only_while_it_runs(company):
    product = priced_product("10.00")
    PricingRuleFactory(kind="promotion", discount_percent=D("5"),
                       valid_from=dt.date(2026, 6, 1), valid_to=dt.date(2026, 6, 30))
    PricingRuleFactory(kind="promotion", discount_percent=D("8"),
                       valid_from=dt.date(2026, 6, 10), valid_to=dt.date(2026, 6, 12))
    assert price(company, product).unit_price == D("9.5000")
    assert price(company, product, day=dt.date(2026, 6, 11)).unit_price == D("9.2000")
    assert price(company, product, day=dt.date(2026, 7, 1)).unit_price == D("10.00")


def test_volume_discount_best_tier_reached(company):
    product = priced_product("10.00")
    PricingRuleFactory(kind="volume", min_quantity=D("100"), discount_percent=D("3"))
    PricingRuleFactory(kind="volume", min_quantity=D("500"), discount_percent=D("7"))
    assert price(company, product, "99").unit_price == D("10.00")
    line = price(company, product, "100")
    assert line.unit_price == D("9.7000") and line.steps[-1].facts == {"min_quantity": "100"}
    assert price(company, product, "500").unit_price == D("9.3000")


def test_free_units_are_listed_and_do_not_change_the_price(company):
    product = priced_product("4.00")
    PricingRuleFactory(kind="free_units", discount_percent=None, min_quantity=D("10"),
                       free_units=D("1"))
    line = price(company, product, "25")
    assert (line.free_units, line.unit_price, line.net_amount) == (D("2"), D("4.00"), D("100.00"))
    assert codes(line) == ["list_price", "free_units"]
    assert line.steps[-1].facts == {"free_units": "2", "min_quantity": "10"}
    assert price(company, product, "9").free_units == 0


def test_rebate_after_a_volume_in_the_period(company):
    product = priced_product("10.00")
    PricingRuleFactory(kind="rebate", company=company, period_volume=D("1000"),
                       discount_percent=D("2"), valid_from=dt.date(2026, 1, 1),
                       valid_to=dt.date(2026, 12, 31))
    assert price(company, product, "999").unit_price == D("10.00")
    line = price(company, product, "1000")
    assert line.unit_price == D("9.8000") and codes(line)[-1] == "rebate"


def test_rebate_counts_what_the_volume_source_reports(company, monkeypatch):
    product = priced_product("10.00")
    rule = PricingRuleFactory(kind="rebate", company=company, period_volume=D("1000"),
                              discount_percent=D("2"), valid_from=dt.date(2026, 1, 1),
                              valid_to=dt.date(2026, 12, 31))
    asked = []

    def bought_before(company_id, asked_rule, start, end):
        asked.append((company_id, asked_rule.pk, start, end))
        return D("950")

    monkeypatch.setattr(pricing, "_volume_sources", [])
    pricing.register_volume_source(bought_before)
    pricing.register_volume_source(bought_before)  # registered once
    assert price(company, product, "50").unit_price == D("9.8000")
    assert asked == [(company.pk, rule.pk, dt.date(2026, 1, 1), dt.date(2026, 12, 31))]


def test_price_adjuster_hook_adds_a_step(company, monkeypatch):
    product = priced_product("10.00")
    monkeypatch.setattr(pricing, "_adjusters", [])
    pricing.register_price_adjuster(lambda c, p, q, d: [(D("4"), "Лоялност: злато")])
    line = price(company, product)
    assert line.unit_price == D("9.6000")
    assert (line.steps[-1].code, line.steps[-1].label, line.steps[-1].percent) == (
        "adjustment", "Лоялност: злато", D("4"))


def test_adjuster_percent_is_kept_between_0_and_100(company, monkeypatch):
    product = priced_product("10.00")
    monkeypatch.setattr(pricing, "_adjusters", [])
    pricing.register_price_adjuster(lambda c, p, q, d: [(D("150"), "x")])
    assert price(company, product).unit_price == D("0")


def test_rules_narrowed_to_a_product_line_or_category(company):
    category = CategoryFactory()
    inside = priced_product("10.00", line=category.line, category=category)
    outside = priced_product("10.00")
    PricingRuleFactory(kind="promotion", line=category.line, discount_percent=D("10"))
    PricingRuleFactory(kind="promotion", category=category, discount_percent=D("20"))
    PricingRuleFactory(kind="promotion", product=outside, discount_percent=D("1"))
    assert price(company, inside).unit_price == D("8.0000")
    assert price(company, outside).unit_price == D("9.9000")


def test_inactive_rules_and_rules_of_other_clients_do_not_apply(company):
    product = priced_product("10.00")
    PricingRuleFactory(kind="promotion", discount_percent=D("10"), active=False)
    PricingRuleFactory(kind="special", company=CompanyFactory(), discount_percent=D("10"))
    assert price(company, product).unit_price == D("10.00")


# --- combined ------------------------------------------------------------------------------------

def test_every_kind_combined_in_the_engines_order(company, monkeypatch):
    product = priced_product("100.00")
    PricingRuleFactory(kind="special", company=company, discount_percent=D("10"))
    PricingRuleFactory(kind="promotion", discount_percent=D("5"))
    PricingRuleFactory(kind="volume", min_quantity=D("10"), discount_percent=D("2"))
    PricingRuleFactory(kind="rebate", period_volume=D("10"), discount_percent=D("1"),
                       valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 12, 31))
    PricingRuleFactory(kind="free_units", discount_percent=None, min_quantity=D("5"),
                       free_units=D("1"))
    monkeypatch.setattr(pricing, "_adjusters", [])
    pricing.register_price_adjuster(lambda c, p, q, d: [(D("3"), "Loyalty")])
    line = price(company, product, "10", "12")
    assert codes(line) == ["list_price", "special", "promotion", "volume", "adjustment", "rebate",
                           "manual", "free_units"]
    prices = [step.unit_price for step in line.steps]
    # 100 → 90 → 85.5 → 83.79 → 81.2763 → 80.4635 (80.463537) → 70.8079 (70.80788)
    assert prices == [D("100.00"), D("90.0000"), D("85.5000"), D("83.7900"), D("81.2763"),
                      D("80.4635"), D("70.8079"), D("70.8079")]
    assert (line.unit_price, line.net_amount, line.vat_amount, line.free_units) == (
        D("70.8079"), D("708.08"), D("141.62"), D("2"))
    assert line.discount_percent == D("29.19")
    assert line.needs_approval  # 12 % > the policy's 10 %


def test_approval_flag_follows_the_policy(company):
    product = priced_product("10.00")
    document = price_document(company=company, currency="EUR", on_date=DAY, lines=[
        LineRequest(product.pk, D("1"), D("10")), LineRequest(product.pk, D("1"), D("10.01"))])
    assert [line.needs_approval for line in document.lines] == [False, True]
    assert document.needs_approval and document.max_manual_discount == D("10.00")
    PricingPolicy.objects.update(max_manual_discount=D("20"))
    document = price_document(company=company, currency="EUR", on_date=DAY, lines=[
        LineRequest(product.pk, D("1"), D("15"))])
    assert not document.needs_approval


def test_totals_and_vat_groups(company):
    standard = priced_product("10.01")
    reduced = priced_product("3.33", vat_rate=vat_rate("9"))
    zero = priced_product("7.00", vat_rate=vat_rate("0"))
    document = price_document(company=company, currency="EUR", on_date=DAY, lines=[
        LineRequest(standard.pk, D("3")), LineRequest(reduced.pk, D("7")),
        LineRequest(standard.pk, D("0.5")), LineRequest(zero.pk, D("1"))])
    nets = [line.net_amount for line in document.lines]
    vats = [line.vat_amount for line in document.lines]
    assert nets == [D("30.03"), D("23.31"), D("5.01"), D("7.00")]  # 5.005 rounds half up
    assert vats == [D("6.01"), D("2.10"), D("1.00"), D("0.00")]
    assert (document.net_total, document.vat_total, document.gross_total) == (
        D("65.35"), D("9.11"), D("74.46"))
    assert [(g.rate, g.base, g.vat) for g in document.vat_groups] == [
        (D("20.00"), D("35.04"), D("7.01")), (D("9.00"), D("23.31"), D("2.10")),
        (D("0.00"), D("7.00"), D("0.00"))]


def test_a_constant_number_of_queries_whatever_the_lines(company):
    products = [priced_product("5.00", price_list=PriceList.objects.first() or PriceListFactory())
                for _ in range(3)]
    PricingRuleFactory(kind="volume", min_quantity=D("2"), discount_percent=D("1"))

    def queries(n):
        lines = [LineRequest(products[i % 3].pk, D("2")) for i in range(n)]
        with CaptureQueriesContext(connection) as captured:
            price_document(company=company, currency="EUR", on_date=DAY, lines=lines)
        return len(captured)

    assert queries(1) == queries(60) == 6


# --- bad lines -----------------------------------------------------------------------------------

@pytest.mark.parametrize("quantity, discount, field, message", [
    ("0", "0", "quantity", "The quantity must be more than zero."),
    ("-3", "0", "quantity", "The quantity must be more than zero."),
    ("1.0001", "0", "quantity", "Enter a quantity of at most 99999999999 with up to three decimals."),
    ("1", "100.01", "manual_discount", "A discount is a percentage from 0 to 100 with up to two decimals."),
    ("1", "-1", "manual_discount", "A discount is a percentage from 0 to 100 with up to two decimals."),
    ("1", "5.555", "manual_discount", "A discount is a percentage from 0 to 100 with up to two decimals."),
])
def test_bad_quantities_and_discounts(company, quantity, discount, field, message):
    product = priced_product("10.00")
    before = catalog_state()
    with pytest.raises(PricingError) as error:
        price(company, product, quantity, discount)
    assert error.value.fields == {f"lines.1.{field}": [message]}
    assert catalog_state() == before


def test_unknown_inactive_and_deleted_products(company):
    inactive = priced_product("10.00", active=False)
    good = priced_product("10.00")
    deleted = priced_product("10.00")
    deleted.deleted_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    deleted.save()
    with pytest.raises(PricingError) as error:
        price_document(company=company, currency="EUR", on_date=DAY, lines=[
            LineRequest(good.pk, D("1")), LineRequest(inactive.pk, D("1")),
            LineRequest(999999, D("1")), LineRequest(deleted.pk, D("1"))])
    message = ["Choose an active product from the catalog."]
    assert error.value.fields == {"lines.2.product": message, "lines.3.product": message,
                                  "lines.4.product": message}


def test_unknown_currency_and_too_many_lines(company):
    product = priced_product()
    with pytest.raises(PricingError) as error:
        price(company, product, currency="USD")
    assert error.value.fields == {"currency": ["Choose EUR or BGN."]}
    with pytest.raises(PricingError):
        price_document(company=company, currency="EUR", on_date=DAY,
                       lines=[LineRequest(product.pk, D("1"))] * 1001)


def test_a_full_discount_prices_at_zero_never_below(company):
    product = priced_product("10.00")
    PricingRuleFactory(kind="promotion", discount_percent=D("100"))
    line = price(company, product, "3", "50")
    assert (line.unit_price, line.net_amount, line.vat_amount) == (D("0"), D("0.00"), D("0.00"))
