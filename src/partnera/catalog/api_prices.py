"""REST API of price lists and their prices, pricing rules, the pricing policy and quotes
(/api/v1/price-lists …, /pricing-rules …, /pricing-policy, /pricing/quote).

A price list or rule for a client you cannot see answers 404, exactly like one that does not
exist; writes are for administrators and heads of sales (403), the policy for administrators.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, TypeAlias

from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from partnera.catalog import selectors, services
from partnera.catalog.api_schemas import PriceStepOut, ProductRef, VatGroupOut, explanation_out
from partnera.catalog.models import PriceList, PriceListItem, PriceListScope, PricingRule, RuleKind
from partnera.catalog.pricing import MAX_LINES, LineRequest, PricedDocument, price_document
from partnera.clients import selectors as client_selectors
from partnera.clients.models import Tier
from partnera.core.api import QuerySchema, Ref, RowId, StrictSchema
from partnera.core.money import Currency

router = Router(tags=["pricing"])

if TYPE_CHECKING:
    CurrencyValue: TypeAlias = str
    ScopeValue: TypeAlias = str
    TierValue: TypeAlias = str
    RuleKindValue: TypeAlias = str
else:
    CurrencyValue = Literal[tuple(Currency.values)]
    ScopeValue = Literal[tuple(PriceListScope.values)]
    TierValue = Literal[tuple(["", *Tier.values])]
    RuleKindValue = Literal[tuple(RuleKind.values)]

ActiveFilter = Literal["active", "inactive", "all"]


def _ref(obj, attr: str = "name") -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": getattr(obj, attr)}


def _product_ref(product) -> dict | None:
    return None if product is None else {"id": product.pk, "code": product.code,
                                         "name": product.name}


# --- price lists ---------------------------------------------------------------------------------

class PriceListOut(Schema):
    id: int
    name: str
    currency: str
    scope: str = Field(description="general (everyone), tier or client.")
    tier: str
    company: Ref | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    active: bool
    version: int = Field(description="Send it back with PATCH; a stale version answers 409.")


class PriceListQuery(QuerySchema):
    currency: CurrencyValue | Literal[""] = ""
    scope: ScopeValue | Literal[""] = ""
    company: RowId | None = None
    active: ActiveFilter = "active"
    valid_on: dt.date | None = Field(None, description="Only the lists valid on this day.")


class PriceListIn(StrictSchema):
    name: str = Field(max_length=120)
    currency: CurrencyValue = Currency.EUR.value
    scope: ScopeValue = PriceListScope.GENERAL.value
    tier: TierValue = Field("", description="For scope tier.")
    company: RowId | None = Field(None, description="For scope client: a company you can see.")
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    active: bool = True


class PriceListUpdate(StrictSchema):
    version: int | None = Field(None, ge=1, description="If sent, a stale version answers 409.")
    name: str | None = Field(None, max_length=120)
    currency: CurrencyValue | None = None
    scope: ScopeValue | None = None
    tier: TierValue | None = None
    company: RowId | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    active: bool | None = None


def _price_list_out(price_list: PriceList) -> dict:
    return {"id": price_list.pk, "name": price_list.name, "currency": price_list.currency,
            "scope": price_list.scope, "tier": price_list.tier,
            "company": _ref(price_list.company, "legal_name"),
            "valid_from": price_list.valid_from, "valid_to": price_list.valid_to,
            "active": price_list.active, "version": price_list.version}


@router.get("/price-lists", response=list[PriceListOut])
def list_price_lists(request, query: Query[PriceListQuery]):
    """The price lists for everyone, for a tier, and for the clients you can see (at most 1000)."""
    filters = selectors.PriceListFilters(currency=query.currency, scope=query.scope,
                                         company=query.company, active=query.active,
                                         valid_on=query.valid_on)
    return [_price_list_out(p)
            for p in selectors.price_list_list(user=request.auth, filters=filters)[:1000]]


@router.post("/price-lists", response={201: PriceListOut})
def create_price_list(request, payload: PriceListIn):
    price_list = services.price_list_create(actor=request.auth, data=payload.model_dump())
    return Status(201, _price_list_out(selectors.price_list_get(user=request.auth,
                                                                pk=price_list.pk)))


@router.get("/price-lists/{list_id}", response=PriceListOut)
def get_price_list(request, list_id: int):
    return _price_list_out(selectors.price_list_get(user=request.auth, pk=list_id))


@router.patch("/price-lists/{list_id}", response=PriceListOut)
def update_price_list(request, list_id: int, payload: PriceListUpdate):
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    price_list = selectors.price_list_get(user=request.auth, pk=list_id)
    services.price_list_update(actor=request.auth, price_list=price_list, data=data,
                               expected_version=version)
    return _price_list_out(selectors.price_list_get(user=request.auth, pk=list_id))


class ItemOut(Schema):
    id: int
    product: ProductRef
    price: Decimal = Field(description="Unit price in the list's currency, up to four decimals.")


class ItemPage(Schema):
    items: list[ItemOut]
    next_after: int | None = Field(description="Pass as `after` for the next page; null on the last.")


class ItemQuery(QuerySchema):
    q: str = Field("", max_length=100, description="Words in the product's code or name.")
    after: RowId | None = Field(None, description="The `next_after` of the previous page.")
    limit: int = Field(500, ge=1, le=2000)


class ItemIn(StrictSchema):
    product: RowId
    price: Decimal = Field(ge=0, description="Up to four decimals.")


class ItemUpdate(StrictSchema):
    price: Decimal = Field(ge=0)
    expected_price: Decimal | None = Field(
        None, description="The price you read; if someone changed it since, 409.")


def _item_out(item: PriceListItem) -> dict:
    return {"id": item.pk, "product": _product_ref(item.product), "price": item.price}


@router.get("/price-lists/{list_id}/items", response=ItemPage)
def list_items(request, list_id: int, query: Query[ItemQuery]):
    """The list's prices, by item id, a page at a time."""
    price_list = selectors.price_list_get(user=request.auth, pk=list_id)
    items = selectors.price_list_items(price_list=price_list).order_by("pk")
    if query.q.strip():
        items = items.filter(selectors.product_search_q(query.q, prefix="product__"))
    if query.after:
        items = items.filter(pk__gt=query.after)
    rows = list(items[: query.limit + 1])
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return {"items": [_item_out(i) for i in rows], "next_after": rows[-1].pk if more else None}


@router.post("/price-lists/{list_id}/items", response={201: ItemOut})
def add_item(request, list_id: int, payload: ItemIn):
    price_list = selectors.price_list_get(user=request.auth, pk=list_id)
    item = services.price_list_item_add(actor=request.auth, price_list=price_list,
                                        data=payload.model_dump())
    return Status(201, _item_out(item))


@router.patch("/price-lists/{list_id}/items/{item_id}", response=ItemOut)
def change_item(request, list_id: int, item_id: int, payload: ItemUpdate):
    price_list = selectors.price_list_get(user=request.auth, pk=list_id)
    item = selectors.price_list_item_get(price_list=price_list, pk=item_id)
    services.price_list_item_change(actor=request.auth, item=item, data={"price": payload.price},
                                    expected_price=payload.expected_price)
    return _item_out(selectors.price_list_item_get(price_list=price_list, pk=item_id))


@router.delete("/price-lists/{list_id}/items/{item_id}", response={204: None})
def remove_item(request, list_id: int, item_id: int):
    price_list = selectors.price_list_get(user=request.auth, pk=list_id)
    item = selectors.price_list_item_get(price_list=price_list, pk=item_id)
    services.price_list_item_remove(actor=request.auth, item=item)
    return Status(204, None)


# --- pricing rules -------------------------------------------------------------------------------

class RuleOut(Schema):
    id: int
    name: str
    kind: str
    company: Ref | None
    tier: str
    contract: int | None = Field(description="The contract whose special conditions wrote it.")
    product: ProductRef | None
    line: Ref | None
    category: Ref | None
    discount_percent: Decimal | None
    fixed_price: Decimal | None
    currency: str
    min_quantity: Decimal | None
    free_units: Decimal | None
    period_volume: Decimal | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    active: bool
    version: int


class RuleQuery(QuerySchema):
    kind: RuleKindValue | Literal[""] = ""
    company: RowId | None = None
    product: RowId | None = None
    active: ActiveFilter = "active"
    valid_on: dt.date | None = None


class RuleFields(StrictSchema):
    company: RowId | None = Field(None, description="Only for this client (one you can see).")
    tier: TierValue | None = None
    product: RowId | None = None
    line: RowId | None = None
    category: RowId | None = None
    discount_percent: Decimal | None = Field(None, description="Above 0, at most 100.")
    fixed_price: Decimal | None = Field(None, description="special: a fixed unit price.")
    currency: CurrencyValue | None = Field(None, description="Of the fixed price.")
    min_quantity: Decimal | None = Field(None, description="volume: from; free_units: per.")
    free_units: Decimal | None = None
    period_volume: Decimal | None = Field(None, description="rebate: units in the period.")
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    active: bool | None = None


class RuleIn(RuleFields):
    name: str = Field(max_length=150)
    kind: RuleKindValue


class RuleUpdate(RuleFields):
    version: int | None = Field(None, ge=1, description="If sent, a stale version answers 409.")
    name: str | None = Field(None, max_length=150)
    kind: RuleKindValue | None = None


def _rule_out(rule: PricingRule) -> dict:
    return {
        "id": rule.pk, "name": rule.name, "kind": rule.kind,
        "company": _ref(rule.company, "legal_name"), "tier": rule.tier,
        "contract": rule.contract_id, "product": _product_ref(rule.product),
        "line": _ref(rule.line), "category": _ref(rule.category),
        "discount_percent": rule.discount_percent, "fixed_price": rule.fixed_price,
        "currency": rule.currency, "min_quantity": rule.min_quantity,
        "free_units": rule.free_units, "period_volume": rule.period_volume,
        "valid_from": rule.valid_from, "valid_to": rule.valid_to, "active": rule.active,
        "version": rule.version,
    }


@router.get("/pricing-rules", response=list[RuleOut])
def list_rules(request, query: Query[RuleQuery]):
    """Rules for everyone, for a tier, and for the clients you can see (at most 1000)."""
    filters = selectors.RuleFilters(kind=query.kind, company=query.company, product=query.product,
                                    active=query.active, valid_on=query.valid_on)
    return [_rule_out(r)
            for r in selectors.pricing_rule_list(user=request.auth, filters=filters)[:1000]]


@router.post("/pricing-rules", response={201: RuleOut})
def create_rule(request, payload: RuleIn):
    """What a rule needs depends on its kind: special (discount_percent or fixed_price, and a
    company or tier), volume (min_quantity, discount_percent), promotion (discount_percent,
    valid_from, valid_to), free_units (min_quantity, free_units), rebate (period_volume,
    discount_percent, valid_from, valid_to)."""
    data = payload.model_dump(exclude_none=True)
    rule = services.pricing_rule_create(actor=request.auth, data=data)
    return Status(201, _rule_out(selectors.pricing_rule_get(user=request.auth, pk=rule.pk)))


@router.get("/pricing-rules/{rule_id}", response=RuleOut)
def get_rule(request, rule_id: int):
    return _rule_out(selectors.pricing_rule_get(user=request.auth, pk=rule_id))


@router.patch("/pricing-rules/{rule_id}", response=RuleOut)
def update_rule(request, rule_id: int, payload: RuleUpdate):
    """Change the fields you send (null clears an optional one)."""
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    rule = selectors.pricing_rule_get(user=request.auth, pk=rule_id)
    services.pricing_rule_update(actor=request.auth, rule=rule, data=data,
                                 expected_version=version)
    return _rule_out(selectors.pricing_rule_get(user=request.auth, pk=rule_id))


# --- the pricing policy --------------------------------------------------------------------------

class PolicyOut(Schema):
    max_manual_discount: Decimal = Field(
        description="A manual discount above this (percent) needs the head of sales' approval.")


class PolicyIn(StrictSchema):
    max_manual_discount: Decimal


@router.get("/pricing-policy", response=PolicyOut)
def get_policy(request):
    return {"max_manual_discount": selectors.pricing_policy_get().max_manual_discount}


@router.patch("/pricing-policy", response=PolicyOut)
def update_policy(request, payload: PolicyIn):
    """Administrators only (403)."""
    policy = services.pricing_policy_update(actor=request.auth, data=payload.model_dump())
    return {"max_manual_discount": policy.max_manual_discount}


# --- quotes --------------------------------------------------------------------------------------

class QuoteLineIn(StrictSchema):
    product: RowId
    quantity: Decimal = Field(description="More than 0, up to three decimals.")
    manual_discount: Decimal = Field(Decimal(0), description="Percent, 0–100.")
    description: str = Field("", max_length=500)


class QuoteIn(StrictSchema):
    company: RowId = Field(description="A company you can see (else 404).")
    currency: CurrencyValue = Currency.EUR.value
    date: dt.date | None = Field(None, description="The pricing day; today when not sent.")
    lines: list[QuoteLineIn] = Field(min_length=1, max_length=MAX_LINES)


class QuoteLineOut(Schema):
    product: ProductRef
    description: str
    quantity: Decimal
    unit: str
    list_price: Decimal
    unit_price: Decimal
    discount_percent: Decimal = Field(description="The whole reduction from the list price.")
    manual_discount: Decimal
    free_units: Decimal
    net_amount: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    gross_amount: Decimal
    needs_approval: bool
    explanation: list[PriceStepOut]


class QuoteOut(Schema):
    currency: str
    date: dt.date
    lines: list[QuoteLineOut]
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    vat_groups: list[VatGroupOut]
    needs_approval: bool = Field(description="A manual discount is above the policy's limit.")
    max_manual_discount: Decimal


def quote_out(document: PricedDocument) -> dict:
    return {
        "currency": document.currency, "date": document.pricing_date,
        "lines": [{
            "product": _product_ref(line.product), "description": line.description,
            "quantity": line.quantity, "unit": line.unit, "list_price": line.list_price,
            "unit_price": line.unit_price, "discount_percent": line.discount_percent,
            "manual_discount": line.manual_discount, "free_units": line.free_units,
            "net_amount": line.net_amount, "vat_rate": line.vat_rate,
            "vat_amount": line.vat_amount, "gross_amount": line.gross_amount,
            "needs_approval": line.needs_approval, "explanation": explanation_out(line.explanation),
        } for line in document.lines],
        "net_total": document.net_total, "vat_total": document.vat_total,
        "gross_total": document.gross_total,
        "vat_groups": [{"rate": g.rate, "base": g.base, "vat": g.vat} for g in document.vat_groups],
        "needs_approval": document.needs_approval,
        "max_manual_discount": document.max_manual_discount,
    }


@router.post("/pricing/quote", response=QuoteOut)
def quote(request, payload: QuoteIn):
    """Price products for a client as an offer would: each line's price explained step by step,
    totals with VAT groups. Nothing is stored. Bad lines answer 400 with `lines.<n>.<field>`
    (n from 1) in `fields`."""
    company = client_selectors.company_get(user=request.auth, pk=payload.company)
    document = price_document(
        company=company, currency=payload.currency, on_date=payload.date or timezone.localdate(),
        lines=[LineRequest(line.product, line.quantity, line.manual_discount, line.description)
               for line in payload.lines])
    return quote_out(document)
