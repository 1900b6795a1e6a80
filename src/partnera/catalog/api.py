"""REST API of the catalog (/api/v1/…): products, product lines, categories and VAT rates here;
price lists, pricing rules, the pricing policy and quotes in catalog.api_prices.

Thin like the other domains' APIs: parse into a schema, call a selector or a service, render.
Everyone signed in reads the catalog; administrators and heads of sales change it (403 for
others); a price list or rule of a client you cannot see answers 404.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Literal, TypeAlias

from ninja import Query, Router, Schema, Status
from pydantic import Field

from partnera.catalog import selectors, services
from partnera.catalog.api_prices import router as prices_router
from partnera.catalog.models import Product, ProductKind, Unit
from partnera.core.api import QuerySchema, Ref, RowId, StrictSchema, check_cursor

router = Router(tags=["catalog"])
router.add_router("", prices_router)  # price lists, pricing rules, the policy and quotes

if TYPE_CHECKING:
    KindValue: TypeAlias = str
    UnitValue: TypeAlias = str
else:
    KindValue = Literal[tuple(ProductKind.values)]
    UnitValue = Literal[tuple(Unit.values)]


class VatRef(Schema):
    id: int
    name: str
    rate: Decimal


class ProductOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    line: Ref | None
    category: Ref | None
    unit: str
    vat_rate: VatRef
    description: str
    active: bool
    version: int = Field(description="Send it back with PATCH; a stale version answers 409.")


class ProductPage(Schema):
    items: list[ProductOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")
    count: int = Field(description="Products matching, counted up to 1000.")
    count_is_lower_bound: bool


class ProductQuery(QuerySchema):
    q: str = Field("", max_length=100, description="Words in the code or either name.")
    line: RowId | None = None
    category: RowId | None = None
    kind: KindValue | Literal[""] = ""
    active: Literal["active", "inactive", "all"] = "active"
    sort: Literal["name", "code"] = "name"
    cursor: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


def _ref(obj) -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": obj.name}


def product_out(product: Product) -> dict:
    return {
        "id": product.pk, "code": product.code, "name": product.name, "name_en": product.name_en,
        "kind": product.kind, "line": _ref(product.line), "category": _ref(product.category),
        "unit": product.unit,
        "vat_rate": {"id": product.vat_rate.pk, "name": product.vat_rate.name,
                     "rate": product.vat_rate.rate},
        "description": product.description, "active": product.active, "version": product.version,
    }


@router.get("/products", response=ProductPage)
def list_products(request, query: Query[ProductQuery]):
    """Products by code or name (`q`), filtered by line, category, kind and active flag, one
    keyset page at a time."""
    filters = selectors.ProductFilters(q=query.q, line=query.line, category=query.category,
                                       kind=query.kind, active=query.active, sort=query.sort)
    result = selectors.product_list(user=request.auth, filters=filters,
                                    cursor=check_cursor(query.cursor), size=query.limit)
    return {"items": [product_out(p) for p in result.page.items],
            "next_cursor": result.page.next_cursor, "count": result.count,
            "count_is_lower_bound": result.count_is_lower_bound}


@router.get("/products/{product_id}", response=ProductOut)
def get_product(request, product_id: int):
    return product_out(selectors.product_get(user=request.auth, pk=product_id))


class ProductCreate(StrictSchema):
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    name_en: str = Field("", max_length=200)
    kind: KindValue = ProductKind.PRODUCT.value
    line: RowId | None = None
    category: RowId | None = None
    unit: UnitValue = Unit.PIECE.value
    vat_rate: RowId | None = Field(None, description="Defaults to the default VAT rate.")
    description: str = Field("", max_length=4000)
    active: bool = True


class ProductUpdate(StrictSchema):
    version: int | None = Field(None, ge=1, description="If sent, a stale version answers 409.")
    code: str | None = Field(None, max_length=40)
    name: str | None = Field(None, max_length=200)
    name_en: str | None = Field(None, max_length=200)
    kind: KindValue | None = None
    line: RowId | None = None
    category: RowId | None = None
    unit: UnitValue | None = None
    vat_rate: RowId | None = None
    description: str | None = Field(None, max_length=4000)
    active: bool | None = None


@router.post("/products", response={201: ProductOut})
def create_product(request, payload: ProductCreate):
    """Administrators and heads of sales (else 403). A live code is unique."""
    product = services.product_create(actor=request.auth, data=payload.model_dump())
    return Status(201, product_out(selectors.product_get(user=request.auth, pk=product.pk)))


@router.patch("/products/{product_id}", response=ProductOut)
def update_product(request, product_id: int, payload: ProductUpdate):
    """Change the fields you send; `active: false` deactivates the product."""
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    product = selectors.product_get(user=request.auth, pk=product_id)
    services.product_update(actor=request.auth, product=product, data=data,
                            expected_version=version)
    return product_out(selectors.product_get(user=request.auth, pk=product.pk))


# --- product lines and categories ---------------------------------------------------------------

class LineOut(Schema):
    id: int
    name: str
    position: int
    active: bool


class ProductLineIn(StrictSchema):
    name: str = Field(max_length=120)
    position: int = Field(0, ge=0, le=10000)


class LineUpdate(StrictSchema):
    name: str | None = Field(None, max_length=120)
    position: int | None = Field(None, ge=0, le=10000)
    active: bool | None = None


class CategoryOut(Schema):
    id: int
    name: str
    line: Ref | None
    active: bool


class CategoryIn(StrictSchema):
    name: str = Field(max_length=120)
    line: RowId | None = None


class CategoryUpdate(StrictSchema):
    name: str | None = Field(None, max_length=120)
    line: RowId | None = None
    active: bool | None = None


class InactiveQuery(QuerySchema):
    include_inactive: bool = False


def _line_out(line) -> dict:
    return {"id": line.pk, "name": line.name, "position": line.position, "active": line.active}


def _category_out(category) -> dict:
    return {"id": category.pk, "name": category.name, "line": _ref(category.line),
            "active": category.active}


@router.get("/product-lines", response=list[LineOut])
def list_lines(request, query: Query[InactiveQuery]):
    return [_line_out(line) for line in
            selectors.product_line_list(include_inactive=query.include_inactive)]


@router.post("/product-lines", response={201: LineOut})
def create_line(request, payload: ProductLineIn):
    return Status(201, _line_out(services.product_line_create(actor=request.auth,
                                                              data=payload.model_dump())))


@router.patch("/product-lines/{line_id}", response=LineOut)
def update_line(request, line_id: int, payload: LineUpdate):
    line = selectors.product_line_get(pk=line_id)
    return _line_out(services.product_line_update(actor=request.auth, line=line,
                                                  data=payload.model_dump(exclude_unset=True)))


@router.get("/product-lines/{line_id}/products", response=list[ProductOut])
def line_products(request, line_id: int):
    """The active products of a product line, by name."""
    line = selectors.product_line_get(pk=line_id)
    return [product_out(p) for p in selectors.products_of_line(user=request.auth, line=line)[:1000]]


@router.get("/categories", response=list[CategoryOut])
def list_categories(request, query: Query[InactiveQuery]):
    return [_category_out(c) for c in selectors.category_list(include_inactive=query.include_inactive)]


@router.post("/categories", response={201: CategoryOut})
def create_category(request, payload: CategoryIn):
    category = services.category_create(actor=request.auth, data=payload.model_dump())
    return Status(201, _category_out(selectors.category_get(pk=category.pk)))


@router.patch("/categories/{category_id}", response=CategoryOut)
def update_category(request, category_id: int, payload: CategoryUpdate):
    category = selectors.category_get(pk=category_id)
    services.category_update(actor=request.auth, category=category,
                             data=payload.model_dump(exclude_unset=True))
    return _category_out(selectors.category_get(pk=category.pk))


# --- VAT rates -----------------------------------------------------------------------------------

class VatRateOut(Schema):
    id: int
    name: str
    rate: Decimal
    is_default: bool
    active: bool


class VatRateIn(StrictSchema):
    name: str = Field(max_length=80)
    rate: Decimal = Field(description="Percent, 0–100, up to two decimals.")
    is_default: bool = False


class VatRateUpdate(StrictSchema):
    name: str | None = Field(None, max_length=80)
    rate: Decimal | None = None
    is_default: Literal[True] | None = Field(
        None, description="true makes it the default rate (the previous one stops being it).")
    active: bool | None = None


def _vat_out(rate) -> dict:
    return {"id": rate.pk, "name": rate.name, "rate": rate.rate, "is_default": rate.is_default,
            "active": rate.active}


@router.get("/vat-rates", response=list[VatRateOut])
def list_vat_rates(request, query: Query[InactiveQuery]):
    return [_vat_out(r) for r in selectors.vat_rate_list(include_inactive=query.include_inactive)]


@router.post("/vat-rates", response={201: VatRateOut})
def create_vat_rate(request, payload: VatRateIn):
    """Administrators only (403)."""
    return Status(201, _vat_out(services.vat_rate_create(actor=request.auth,
                                                         data=payload.model_dump())))


@router.patch("/vat-rates/{rate_id}", response=VatRateOut)
def update_vat_rate(request, rate_id: int, payload: VatRateUpdate):
    """Administrators only (403). The default rate stays active and default until another is."""
    rate = selectors.vat_rate_get(pk=rate_id)
    return _vat_out(services.vat_rate_update(actor=request.auth, vat_rate=rate,
                                             data=payload.model_dump(exclude_unset=True)))

