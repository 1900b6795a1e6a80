"""Reads of the catalog.

Products, product lines, categories, VAT rates and the price lists and rules for everyone or for a
client tier are open to every signed-in user (they price every offer). A price list or a pricing
rule for one client is seen only by who sees that client (core.visibility through the client
base's selectors); for anyone else it answers exactly like one that does not exist (404).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Model, Q, QuerySet

from partnera.catalog.models import (
    Category,
    PriceList,
    PriceListItem,
    PriceListScope,
    PricingPolicy,
    PricingRule,
    Product,
    ProductKind,
    ProductLine,
    RuleKind,
    VatRate,
)
from partnera.clients.selectors import company_visible
from partnera.core.errors import NotFound
from partnera.core.pagination import Page, bounded_count, keyset_page
from partnera.core.records import get_visible
from partnera.core.translit import search_key

M = TypeVar("M", bound=Model)

PRODUCT_SORTS = ("name", "code")
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def _signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


# --- products ------------------------------------------------------------------------------------

@dataclass
class ProductFilters:
    q: str = ""
    line: int | None = None
    category: int | None = None
    kind: str = ""  # product / service
    active: str = "active"  # active / inactive / all
    sort: str = "name"


def product_search_q(query: str, *, prefix: str = "") -> Q:
    """Every typed word found in the code or either name, in either script, any case
    (`prefix` leads from another model to the product: "product__")."""
    condition = Q()
    for word in search_key(query[:100].replace("\x00", "")).split()[:8]:
        condition &= Q(**{f"{prefix}search_text__contains": word})
    return condition


def product_queryset(*, user) -> QuerySet[Product]:
    """Every live product (for a signed-in user), with what its rows show."""
    if not _signed_in(user):
        return Product.objects.none()
    return Product.objects.select_related("line", "category", "vat_rate")


def product_filtered(*, user, filters: ProductFilters | None = None) -> QuerySet[Product]:
    f = filters or ProductFilters()
    qs = product_queryset(user=user)
    if f.q.strip():
        qs = qs.filter(product_search_q(f.q))
    if f.line:
        qs = qs.filter(line_id=f.line)
    if f.category:
        qs = qs.filter(category_id=f.category)
    if f.kind in ProductKind.values:
        qs = qs.filter(kind=f.kind)
    if f.active == "active":
        qs = qs.filter(active=True)
    elif f.active == "inactive":
        qs = qs.filter(active=False)
    return qs


@dataclass
class ProductPage:
    page: Page
    count: int
    count_is_lower_bound: bool


def product_list(*, user, filters: ProductFilters | None = None, cursor: str | None = None,
                 size: int = PAGE_SIZE) -> ProductPage:
    """One keyset page of the products the filters keep, by name or code, and a bounded count.
    Three queries whatever the page size."""
    f = filters or ProductFilters()
    qs = product_filtered(user=user, filters=f)
    field = f.sort if f.sort in PRODUCT_SORTS else "name"
    page = keyset_page(qs, field=field, descending=False, cursor=cursor,
                       size=max(1, min(size, MAX_PAGE_SIZE)))
    count, more = bounded_count(qs)
    return ProductPage(page, count, more)


def product_search(*, user, query: str, limit: int = 10) -> list[Product]:
    """Active products whose code or name holds what was typed (the product pickers): codes that
    start with it first, then names that start with it, then the rest, each by name."""
    query = query.strip()
    if not query:
        return []
    qs = product_queryset(user=user).filter(product_search_q(query), active=True)
    rows = list(qs.order_by("name", "pk")[: limit * 3])
    key = search_key(query)
    rows.sort(key=lambda p: (not search_key(p.code).startswith(key),
                             not search_key(p.name).startswith(key), p.name.casefold(), p.pk))
    return rows[:limit]


def product_get(*, user, pk) -> Product:
    """One live product (active or not), or NotFound."""
    return get_visible(product_queryset(user=user), _int(pk), user=user)


def products_of_line(*, user, line: ProductLine, active_only: bool = True) -> QuerySet[Product]:
    qs = product_queryset(user=user).filter(line=line)
    return qs.filter(active=True) if active_only else qs


# --- product lines, categories, VAT rates ----------------------------------------------------------

def product_line_list(*, include_inactive: bool = False) -> QuerySet[ProductLine]:
    qs = ProductLine.objects.all()
    return qs if include_inactive else qs.filter(active=True)


def product_line_get(*, pk) -> ProductLine:
    return _one(ProductLine.objects.all(), pk)


def category_list(*, include_inactive: bool = False) -> QuerySet[Category]:
    qs = Category.objects.select_related("line")
    return qs if include_inactive else qs.filter(active=True)


def category_get(*, pk) -> Category:
    return _one(Category.objects.select_related("line"), pk)


def vat_rate_list(*, include_inactive: bool = False) -> QuerySet[VatRate]:
    qs = VatRate.objects.all()
    return qs if include_inactive else qs.filter(active=True)


def vat_rate_get(*, pk) -> VatRate:
    return _one(VatRate.objects.all(), pk)


def default_vat_rate() -> VatRate | None:
    rates = vat_rate_list()
    return rates.filter(is_default=True).first() or rates.first()


def pricing_policy_get() -> PricingPolicy:
    """The one policy row (created on first use if the seed is missing)."""
    policy = PricingPolicy.objects.order_by("pk").first()
    return policy if policy is not None else PricingPolicy.objects.create()


def _int(pk) -> int:
    try:
        value = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 < value < 2**63:
        raise NotFound()
    return value


def _one(qs: QuerySet[M], pk) -> M:
    """The row of `qs` with this id, or NotFound (also for an id that is not a number)."""
    found = qs.filter(pk=_int(pk)).first()
    if found is None:
        raise NotFound()
    return found


# --- price lists ---------------------------------------------------------------------------------

def company_scoped_q(user, *, path: str = "company") -> Q:
    """Rows for everyone (no client), or for a client the user sees."""
    if not _signed_in(user):
        return Q(pk__in=[])
    return Q(**{f"{path}__isnull": True}) | Q(**{f"{path}__in": company_visible(user=user).values("pk")})


@dataclass
class PriceListFilters:
    currency: str = ""
    scope: str = ""
    company: int | None = None
    active: str = "active"  # active / inactive / all
    valid_on: dt.date | None = None


def price_list_queryset(*, user) -> QuerySet[PriceList]:
    return PriceList.objects.filter(company_scoped_q(user)).select_related("company")


def price_list_list(*, user, filters: PriceListFilters | None = None) -> QuerySet[PriceList]:
    f = filters or PriceListFilters()
    qs = price_list_queryset(user=user)
    if f.currency:
        qs = qs.filter(currency=f.currency)
    if f.scope in PriceListScope.values:
        qs = qs.filter(scope=f.scope)
    if f.company:
        qs = qs.filter(company_id=f.company)
    if f.active == "active":
        qs = qs.filter(active=True)
    elif f.active == "inactive":
        qs = qs.filter(active=False)
    if f.valid_on:
        qs = qs.filter(valid_on_q(f.valid_on))
    return qs.order_by("currency", "scope", "name", "pk")


def valid_on_q(day: dt.date, prefix: str = "") -> Q:
    return ((Q(**{f"{prefix}valid_from__isnull": True}) | Q(**{f"{prefix}valid_from__lte": day}))
            & (Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": day})))


def price_list_get(*, user, pk) -> PriceList:
    return get_visible(price_list_queryset(user=user), _int(pk), user=user,
                       company_id_attr="company_id")


def price_list_items(*, price_list: PriceList) -> QuerySet[PriceListItem]:
    return (price_list.items.select_related("product", "product__vat_rate")
            .order_by("product__name", "product_id"))


def price_list_item_get(*, price_list: PriceList, pk) -> PriceListItem:
    return _one(price_list_items(price_list=price_list), pk)


def product_prices(*, user, product: Product, on_date: dt.date | None = None) -> list[PriceListItem]:
    """The product's list prices in every active price list the user sees that is valid on the
    day (or in every one when no day is given), most general first."""
    lists = price_list_queryset(user=user).filter(active=True)
    if on_date is not None:
        lists = lists.filter(valid_on_q(on_date))
    return list(PriceListItem.objects.filter(product=product, price_list__in=lists.values("pk"))
                .select_related("price_list", "price_list__company")
                .order_by("price_list__currency", "-price_list__scope", "price_list__name", "pk"))


# --- pricing rules -------------------------------------------------------------------------------

@dataclass
class RuleFilters:
    kind: str = ""
    company: int | None = None
    product: int | None = None
    active: str = "active"
    valid_on: dt.date | None = None


def pricing_rule_queryset(*, user) -> QuerySet[PricingRule]:
    return PricingRule.objects.filter(company_scoped_q(user)).select_related(
        "company", "product", "line", "category", "contract")


def pricing_rule_list(*, user, filters: RuleFilters | None = None) -> QuerySet[PricingRule]:
    f = filters or RuleFilters()
    qs = pricing_rule_queryset(user=user)
    if f.kind in RuleKind.values:
        qs = qs.filter(kind=f.kind)
    if f.company:
        qs = qs.filter(company_id=f.company)
    if f.product:
        qs = qs.filter(product_id=f.product)
    if f.active == "active":
        qs = qs.filter(active=True)
    elif f.active == "inactive":
        qs = qs.filter(active=False)
    if f.valid_on:
        qs = qs.filter(valid_on_q(f.valid_on))
    return qs.order_by("kind", "name", "pk")


def pricing_rule_get(*, user, pk) -> PricingRule:
    return get_visible(pricing_rule_queryset(user=user), _int(pk), user=user,
                       company_id_attr="company_id")


def product_rules(*, user, product: Product, on_date: dt.date | None = None) -> list[PricingRule]:
    """The active rules that may price this product (for it, its line, its category, or for
    every product), for everyone or for a client the user sees."""
    qs = pricing_rule_queryset(user=user).filter(
        Q(product__isnull=True) | Q(product=product),
        Q(line__isnull=True) | Q(line_id=product.line_id),
        Q(category__isnull=True) | Q(category_id=product.category_id),
        active=True,
    )
    if on_date is not None:
        qs = qs.filter(valid_on_q(on_date))
    return list(qs.order_by("kind", "name", "pk"))
