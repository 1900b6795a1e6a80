"""Test data for the catalog: products with Cyrillic names, EUR list prices, the seeded VAT rates."""

from __future__ import annotations

from decimal import Decimal

import factory

from partnera.catalog.models import (
    Category,
    PriceList,
    PriceListItem,
    PricingRule,
    Product,
    ProductLine,
    RuleKind,
    VatRate,
)
from partnera.core.translit import search_key


def vat_rate(rate: str = "20") -> VatRate:
    """The VAT rate with this percentage (the migrations seed 20 %, 9 % and 0 %)."""
    found = VatRate.objects.filter(rate=Decimal(rate)).first()
    return found or VatRate.objects.create(name=f"{rate} %", rate=Decimal(rate))


class ProductLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductLine

    name = factory.Sequence(lambda n: f"Линия {n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Категория {n}")
    line = factory.SubFactory(ProductLineFactory)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P-{n:05d}")
    name = factory.Sequence(lambda n: f"Кашон тип {n}")
    name_en = factory.Sequence(lambda n: f"Carton type {n}")
    line = factory.SubFactory(ProductLineFactory)
    category = None
    unit = "piece"
    vat_rate = factory.LazyFunction(vat_rate)
    # What the services keep for search (catalog.services.product_search_text).
    search_text = factory.LazyAttribute(lambda p: search_key(f"{p.code} {p.name} {p.name_en}"))


class PriceListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceList

    name = factory.Sequence(lambda n: f"Ценова листа {n}")
    currency = "EUR"
    scope = "general"


class PriceListItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceListItem

    price_list = factory.SubFactory(PriceListFactory)
    product = factory.SubFactory(ProductFactory)
    price = Decimal("10.0000")


def priced_product(price: str = "10.00", *, price_list: PriceList | None = None, **kwargs) -> Product:
    """A product with a list price in a general EUR price list (a new list unless one is given)."""
    product = ProductFactory(**kwargs)
    PriceListItemFactory(price_list=price_list or PriceListFactory(), product=product,
                         price=Decimal(price))
    return product


class PricingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PricingRule

    name = factory.Sequence(lambda n: f"Правило {n}")
    kind = RuleKind.PROMOTION
    discount_percent = Decimal("5.00")
