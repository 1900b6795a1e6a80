"""The rebate volume source: what a client already ordered counts towards a rebate rule's volume
in the pricing engine (catalog.pricing.price_document)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from partnera.catalog.models import RuleKind
from partnera.catalog.pricing import LineRequest, price_document
from partnera.catalog.tests.factories import (
    CategoryFactory,
    PriceListFactory,
    PricingRuleFactory,
    ProductLineFactory,
    priced_product,
)
from partnera.clients.tests.factories import CompanyFactory
from partnera.orders.models import OrderStatus
from partnera.orders.tests.factories import OrderFactory, OrderLineFactory
from partnera.orders.volume import ordered_volume

pytestmark = pytest.mark.django_db

JAN, JUN, DEC = dt.date(2026, 1, 10), dt.date(2026, 6, 1), dt.date(2026, 12, 31)


@pytest.fixture
def catalog():
    prices = PriceListFactory()
    line = ProductLineFactory()
    category = CategoryFactory(line=line)
    box = priced_product("10.00", price_list=prices, line=line, category=category)
    tape = priced_product("2.00", price_list=prices, line=line)
    other = priced_product("5.00", price_list=prices, line=ProductLineFactory())
    return box, tape, other, line, category


def ordered(company, product, quantity: str, *, on: dt.date = JAN, **kwargs):
    order = OrderFactory(company=company, received_on=on, **kwargs)
    OrderLineFactory(order=order, product=product, quantity=Decimal(quantity))
    return order


def test_the_client_s_orders_in_the_period_for_the_rule_s_products(catalog):
    box, tape, other, line, category = catalog
    client = CompanyFactory()
    ordered(client, box, "100")
    ordered(client, tape, "40", on=JUN)
    ordered(client, other, "7")
    ordered(client, box, "1000", status=OrderStatus.CANCELLED)
    ordered(client, box, "1000", deleted_at=timezone.now())
    ordered(client, box, "1000", on=dt.date(2025, 12, 31))  # before the period
    ordered(CompanyFactory(), box, "1000")  # another client

    def volume(start=JAN.replace(day=1), end=DEC, **narrow) -> Decimal:
        rule = PricingRuleFactory(kind=RuleKind.REBATE, **narrow)
        return ordered_volume(client.pk, rule, start, end)

    assert volume(product=box) == Decimal("100")
    assert volume(line=line) == Decimal("140")
    assert volume(category=category) == Decimal("100")
    assert volume() == Decimal("147")
    assert volume(start=None, end=None, product=box) == Decimal("1100")
    assert volume(start=JUN, product=tape) == Decimal("40")
    assert volume(end=JUN - dt.timedelta(days=1), line=line) == Decimal("100")
    assert ordered_volume(CompanyFactory().pk, PricingRuleFactory(kind=RuleKind.REBATE),
                          None, None) == Decimal("0")


def test_earlier_orders_reach_a_rebate_in_the_pricing_engine(catalog):
    box, _tape, _other, line, _category = catalog
    client = CompanyFactory()
    rebate = PricingRuleFactory(name="Годишен рабат", kind=RuleKind.REBATE, company=client,
                                line=line, discount_percent=Decimal("5.00"),
                                period_volume=Decimal("500"), valid_from=JAN.replace(day=1),
                                valid_to=DEC)
    request = [LineRequest(product_id=box.pk, quantity=Decimal("100"))]

    # Given 350 units ordered this year: this document's 100 do not reach 500
    ordered(client, box, "350")
    priced = price_document(company=client, currency="EUR", on_date=JUN, lines=request)
    assert [s.code for s in priced.lines[0].steps] == ["list_price"]
    assert priced.lines[0].unit_price == Decimal("10.0000")

    # When the client orders 50 more, the volume is reached: the rebate applies
    ordered(client, box, "50", on=JUN)
    priced = price_document(company=client, currency="EUR", on_date=JUN, lines=request)
    step = priced.lines[0].steps[-1]
    assert (step.code, step.rule_id, step.unit_price) == ("rebate", rebate.pk, Decimal("9.5000"))
    assert priced.lines[0].net_amount == Decimal("950.00")
