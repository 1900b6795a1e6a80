"""Small helpers the order tests share: departments, a client with priced products, line input,
orders built through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from partnera.catalog.tests.factories import PriceListFactory, priced_product
from partnera.clients.tests.factories import CompanyFactory
from partnera.core.roles import DepartmentKind
from partnera.orders import services
from partnera.people.tests.factories import DepartmentFactory


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    return today() + dt.timedelta(days=n)


def logistics():
    return DepartmentFactory(kind=DepartmentKind.LOGISTICS, name="Логистика")


def finance():
    return DepartmentFactory(kind=DepartmentKind.FINANCE, name="Финанси")


def client_of(owner, **kwargs):
    return CompanyFactory(owner=owner, **kwargs)


def products(*prices: str):
    price_list = PriceListFactory()
    return [priced_product(p, price_list=price_list) for p in prices]


def line(product, quantity="10", promised=None, **extra) -> dict:
    return {"product": product.pk, "quantity": quantity,
            "promised_date": promised or days(7), **extra}


def order_for(actor, company, lines, **data):
    return services.order_create(actor=actor, data={"company": company.pk, **data}, lines=lines)


def confirmed(actor, company, lines, **data):
    order = order_for(actor, company, lines, **data)
    return services.order_confirm(actor=actor, order=order)


def qty(value: str) -> Decimal:
    return Decimal(value)
