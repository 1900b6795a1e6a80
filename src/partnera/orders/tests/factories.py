"""Test data for orders: an order with priced lines and promised dates, built directly (the
services' own tests build through the services)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from partnera.catalog.tests.factories import ProductFactory
from partnera.clients.tests.factories import CompanyFactory
from partnera.core.money import round_cents
from partnera.orders.models import Order, OrderLine


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"ПР-2026-{n:05d}")
    owner = None
    company = factory.LazyAttribute(lambda o: CompanyFactory(owner=o.owner))
    team = factory.LazyAttribute(lambda o: o.owner.team if o.owner else None)
    received_on = factory.LazyFunction(timezone.localdate)


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = Decimal("10.000")
    unit = "piece"
    list_price = Decimal("10.0000")
    unit_price = Decimal("10.0000")
    net_amount = factory.LazyAttribute(lambda o: round_cents(o.unit_price * o.quantity))
    vat_rate = Decimal("20.00")
    vat_amount = factory.LazyAttribute(lambda o: round_cents(o.net_amount * o.vat_rate / 100))
    gross_amount = factory.LazyAttribute(lambda o: o.net_amount + o.vat_amount)
    promised_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))
