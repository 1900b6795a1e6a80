"""Properties of every priced document, whatever the prices, rules, quantities and discounts, in
EUR and in BGN: each line's amount is its unit price × quantity rounded half up to the cent, its
VAT is that amount × the rate rounded the same way; the totals are the sums of the rounded lines;
gross = net + VAT; nothing is ever negative."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnera.catalog.models import PriceList, PriceListItem, PricingRule
from partnera.catalog.pricing import LineRequest, price_document
from partnera.catalog.tests.factories import ProductFactory, vat_rate
from partnera.clients.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 15)
CENT = Decimal("0.01")


def money(places: int, low: str, high: str):
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=places,
                       allow_nan=False, allow_infinity=False)


products_st = st.lists(st.tuples(money(4, "0", "99999"), st.sampled_from(["20", "9", "0"]),
                                 st.sampled_from(["EUR", "BGN"])), min_size=1, max_size=5)
rules_st = st.lists(st.tuples(
    st.sampled_from(["special", "promotion", "volume", "rebate", "free_units"]),
    money(2, "0.01", "100"), money(3, "0.001", "500"), st.booleans(), money(4, "0", "500")),
    max_size=6)
lines_st = st.lists(st.tuples(st.integers(0, 4), money(3, "0.001", "100000"),
                              money(2, "0", "100")), min_size=1, max_size=12)


def _rule(kind, percent, quantity, fixed, fixed_price, company) -> PricingRule:
    rule = PricingRule(name=kind, kind=kind, discount_percent=percent)
    if kind == "special":
        rule.company = company
        if fixed:
            rule.discount_percent, rule.fixed_price = None, fixed_price
    elif kind == "volume":
        rule.min_quantity = quantity
    elif kind == "rebate":
        rule.period_volume = quantity
    elif kind == "free_units":
        rule.discount_percent, rule.min_quantity, rule.free_units = None, quantity, Decimal(1)
    return rule


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(products=products_st, rules=rules_st, lines=lines_st,
       currency=st.sampled_from(["EUR", "BGN"]))
def test_totals_are_sums_of_rounded_lines_and_never_negative(products, rules, lines, currency):
    with transaction.atomic():
        company = CompanyFactory()
        lists = {c: PriceList.objects.create(name=c, currency=c) for c in ("EUR", "BGN")}
        made = []
        for list_price, rate, list_currency in products:
            product = ProductFactory(vat_rate=vat_rate(rate))
            PriceListItem.objects.create(price_list=lists[list_currency], product=product,
                                         price=list_price)
            made.append(product)
        PricingRule.objects.bulk_create([_rule(*r, company) for r in rules])
        requests = [LineRequest(made[i % len(made)].pk, q, d) for i, q, d in lines]
        document = price_document(company=company, currency=currency, on_date=DAY,
                                  lines=requests)
        transaction.set_rollback(True)

    assert document.currency == currency and len(document.lines) == len(requests)
    for line, request in zip(document.lines, requests, strict=True):
        assert line.unit_price >= 0 and line.net_amount >= 0 and line.vat_amount >= 0
        assert line.net_amount == half_up(line.unit_price * request.quantity)
        assert line.vat_amount == half_up(line.net_amount * line.vat_rate / 100)
        assert line.gross_amount == line.net_amount + line.vat_amount
        assert line.net_amount == line.net_amount.quantize(CENT)
        assert line.steps[-1].unit_price == line.unit_price
    assert document.net_total == sum((line.net_amount for line in document.lines), Decimal(0))
    assert document.vat_total == sum((line.vat_amount for line in document.lines), Decimal(0))
    assert document.gross_total == document.net_total + document.vat_total
    assert document.gross_total >= 0
    assert sum((g.base for g in document.vat_groups), Decimal(0)) == document.net_total
    assert sum((g.vat for g in document.vat_groups), Decimal(0)) == document.vat_total
