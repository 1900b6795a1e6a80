"""REST API of orders and their deliveries (/api/v1/orders…).

Thin: parse into a schema, call a selector or a service, render. The same services as the web
pages hold every rule: a refused status move or a bad line answers 400 with the problem per field
(`lines.<n>.<field>`, n from 1), a hidden order 404, a stale `version` 409.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, TypeAlias

from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from partnera.catalog.api_schemas import PriceStepOut, ProductRef, explanation_out
from partnera.core.api import QuerySchema, Ref, RowId, StrictSchema, UserRef, check_cursor
from partnera.core.money import Currency
from partnera.orders import selectors, services
from partnera.orders.models import Delivery, DeliveryLine, Order, OrderLine, OrderStatus

router = Router(tags=["orders"])

if TYPE_CHECKING:
    CurrencyValue: TypeAlias = str
    StatusValue: TypeAlias = str
    OrderSort: TypeAlias = str
else:
    CurrencyValue = Literal[tuple(Currency.values)]
    StatusValue = Literal[tuple(OrderStatus.values)]
    OrderSort = Literal[tuple(selectors.ORDER_SORTS)]

QUANTITY_HELP = "More than zero, at most three decimals: a number or text such as \"12,5\"."


# --- output schemas ------------------------------------------------------------------------------

class OrderLineOut(Schema):
    id: int
    position: int
    product: ProductRef
    description: str
    quantity: Decimal
    unit: str
    list_price: Decimal
    manual_discount: Decimal
    unit_price: Decimal
    free_units: Decimal
    net_amount: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    gross_amount: Decimal
    explanation: list[PriceStepOut] = Field(description="How the unit price came about.")
    promised_date: dt.date
    delivered_quantity: Decimal
    remaining_quantity: Decimal
    completed_on: dt.date | None = Field(description="The day the line was delivered in full.")
    state: str = Field(description="complete, late (open past its promised date) or open.")


class OrderSummaryOut(Schema):
    id: int
    number: str
    company: Ref
    owner: UserRef | None
    client_reference: str
    channel: str = Field(description="ui, api or import: how the order came in.")
    received_on: dt.date
    requested_date: dt.date | None
    status: str
    currency: str
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    net_total_eur: Decimal = Field(description="The total without VAT in euro.")
    is_late: bool = Field(description="Open with a line not delivered by its promised date.")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class LinkRef(Schema):
    id: int
    name: str | None = Field(description="null when you may not see it.")


class OrderOut(OrderSummaryOut):
    contract: LinkRef | None = Field(description="The contract (`name` is its number).")
    offer: LinkRef | None
    team: Ref | None
    departments: list[Ref]
    delivery_address: str
    note: str
    cancel_reason: str
    close_reason: str
    closed_at: dt.datetime | None
    lines: list[OrderLineOut]


class OrderPage(Schema):
    items: list[OrderSummaryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the "
                                                "last page.")
    count: int = Field(description="Orders matching the filters, counted up to 1000.")
    count_is_lower_bound: bool = Field(description="True when more than `count` orders match.")


class DeliveryLineOut(Schema):
    order_line: int
    product: ProductRef
    quantity: Decimal


class DeliveryOut(Schema):
    id: int
    order: int
    delivered_on: dt.date
    document_number: str
    note: str
    created_at: dt.datetime
    created_by: UserRef | None
    lines: list[DeliveryLineOut]


# --- input schemas -------------------------------------------------------------------------------

class OrderLineIn(StrictSchema):
    product: RowId | None = Field(None, description="A product id (not needed with offer_line).")
    offer_line: RowId | None = Field(None, description="A line of the order's offer: copied at the "
                                                       "offer's price.")
    quantity: Decimal | str | None = Field(None, description=QUANTITY_HELP + " Offer lines default "
                                                                            "to the offered one.")
    manual_discount: Decimal | str = Field("0", description="Percent (0–100); above the pricing "
                                                            "policy's limit only from an approved "
                                                            "offer.")
    description: str = Field("", max_length=300)
    promised_date: dt.date | None = Field(None, description="Defaults to requested_date.")


class OrderCreate(StrictSchema):
    company: RowId
    contract: RowId | None = Field(None, description="A signed or active contract of the client.")
    offer: RowId | None = Field(None, description="An accepted offer of the client; without "
                                                  "`lines` every offer line is copied.")
    received_on: dt.date | None = Field(None, description="Defaults to today; prices as of it.")
    requested_date: dt.date | None = None
    currency: CurrencyValue | None = None
    client_reference: str = Field("", max_length=60, description="The client's order number.")
    delivery_address: str = Field("", max_length=500)
    note: str = Field("", max_length=4000)
    owner: RowId | None = Field(None, description="Defaults to the client's account manager.")
    team: RowId | None = None
    departments: list[RowId] | None = Field(None, max_length=50, description="Defaults to every "
                                            "logistics and finance department.")
    lines: list[OrderLineIn] = Field(default_factory=list, max_length=1000)


class OrderUpdate(StrictSchema):
    client_reference: str | None = Field(None, max_length=60)
    requested_date: dt.date | None = None
    delivery_address: str | None = Field(None, max_length=500)
    note: str | None = Field(None, max_length=4000)
    contract: RowId | None = None
    owner: RowId | None = None
    team: RowId | None = None
    departments: list[RowId] | None = Field(None, max_length=50)
    version: int = Field(ge=1, description="The `version` you read; a stale one answers 409.")


class OrderLinesIn(StrictSchema):
    lines: list[OrderLineIn] = Field(max_length=1000)
    version: int = Field(ge=1, description="The `version` you read; a stale one answers 409.")


class OrderStepIn(StrictSchema):
    version: int | None = Field(None, ge=1, description="If sent, a stale version answers 409.")


class CloseIn(OrderStepIn):
    reason: str = Field("", max_length=2000, description="Required when closing a partly "
                                                         "delivered order short.")


class CancelIn(OrderStepIn):
    reason: str = Field("", max_length=2000, description="Why the order is cancelled (required).")


class DeliveryLineIn(StrictSchema):
    order_line: RowId
    quantity: Decimal | str = Field(description=QUANTITY_HELP)


class DeliveryIn(StrictSchema):
    delivered_on: dt.date
    document_number: str = Field("", max_length=60)
    note: str = Field("", max_length=500)
    lines: list[DeliveryLineIn] = Field(max_length=1000)


class OrderListQuery(QuerySchema):
    q: str = Field("", max_length=100, description="Words in the number, the client's order "
                                                   "number or the client's name.")
    status: list[StatusValue] = Field(default_factory=list)
    open: bool = Field(False, description="Only orders not yet delivered, closed or cancelled.")
    company: RowId | None = None
    owner: list[RowId] = Field(default_factory=list)
    late: bool = Field(False, description="Only open orders with a line past its promised date.")
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    sort: OrderSort = "received"
    cursor: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


# --- rendering -----------------------------------------------------------------------------------

def _user(user) -> dict | None:
    return None if user is None else {"id": user.pk, "username": user.username, "name": str(user)}


def _ref(obj, name: str = "name") -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": str(getattr(obj, name))}


def _product(product) -> dict:
    return {"id": product.pk, "code": product.code, "name": product.name}


def line_state(line: OrderLine, today: dt.date) -> str:
    if line.completed_on is not None:
        return "complete"
    return "late" if line.promised_date < today else "open"


def line_out(line: OrderLine, today: dt.date) -> dict:
    return {
        "id": line.pk, "position": line.position, "product": _product(line.product),
        "description": line.description, "quantity": line.quantity, "unit": line.unit,
        "list_price": line.list_price, "manual_discount": line.manual_discount,
        "unit_price": line.unit_price, "free_units": line.free_units,
        "net_amount": line.net_amount, "vat_rate": line.vat_rate, "vat_amount": line.vat_amount,
        "gross_amount": line.gross_amount, "explanation": explanation_out(line.explanation),
        "promised_date": line.promised_date, "delivered_quantity": line.delivered_quantity,
        "remaining_quantity": max(line.quantity - line.delivered_quantity, Decimal("0")),
        "completed_on": line.completed_on, "state": line_state(line, today),
    }


def summary_out(order: Order) -> dict:
    return {
        "id": order.pk, "number": order.number,
        "company": {"id": order.company_id, "name": order.company.legal_name},
        "owner": _user(order.owner), "client_reference": order.client_reference,
        "channel": order.channel, "received_on": order.received_on,
        "requested_date": order.requested_date, "status": order.status, "currency": order.currency,
        "net_total": order.net_total, "vat_total": order.vat_total,
        "gross_total": order.gross_total, "net_total_eur": order.net_total_eur,
        "is_late": getattr(order, "is_late", False), "version": order.version,
        "created_at": order.created_at, "updated_at": order.updated_at,
    }


def _link(obj, seen: bool, name=str) -> dict | None:
    """A contract or offer the order names: its id, and its name only for a user who may see it."""
    if obj is None:
        return None
    return {"id": obj.pk, "name": name(obj) if seen else None}


def order_out(order: Order) -> dict:
    today = timezone.localdate()
    lines = list(order.lines.all())
    seen = getattr(order, "links_seen", None) or selectors.OrderLinks(contract=False, offer=False)
    return {
        **summary_out(order),
        "contract": _link(order.contract, seen.contract, lambda contract: contract.number),
        "offer": _link(order.offer, seen.offer),
        "team": _ref(order.team), "departments": [_ref(d) for d in order.departments.all()],
        "delivery_address": order.delivery_address, "note": order.note,
        "cancel_reason": order.cancel_reason, "close_reason": order.close_reason,
        "closed_at": order.closed_at, "lines": [line_out(ln, today) for ln in lines],
    }


def _fresh(user, pk: int) -> Order:
    """The order as stored now (after a write), with what order_out reads."""
    order = selectors.order_get(user=user, pk=pk)
    prefetch_related_objects(
        [order], Prefetch("lines", OrderLine.objects.select_related("product")
                          .order_by("position", "pk")), "departments")
    selectors.mark_late([order])
    order.links_seen = selectors.order_links_seen(user, order)  # type: ignore[attr-defined]
    return order


def delivery_out(delivery: Delivery) -> dict:
    return {
        "id": delivery.pk, "order": delivery.order_id, "delivered_on": delivery.delivered_on,
        "document_number": delivery.document_number, "note": delivery.note,
        "created_at": delivery.created_at, "created_by": _user(delivery.created_by),
        "lines": [{"order_line": dl.order_line_id, "product": _product(dl.order_line.product),
                   "quantity": dl.quantity} for dl in delivery.lines.all()],
    }


def _lines(items: list[OrderLineIn]) -> list[dict]:
    return [item.model_dump(exclude_none=True) for item in items]


# --- orders --------------------------------------------------------------------------------------

def order_filters(query: OrderListQuery) -> selectors.OrderFilters:
    return selectors.OrderFilters(
        q=" ".join(query.q.split()), status=list(query.status), open_only=query.open,
        company=query.company, owner=list(query.owner), late=query.late,
        received_from=query.received_from, received_to=query.received_to)


@router.get("/orders", response=OrderPage)
def list_orders(request, query: Query[OrderListQuery]):
    """Orders you can see, newest first, filtered as on the order list, one page at a time."""
    filters = order_filters(query)
    page = selectors.order_page(user=request.auth, filters=filters, sort=query.sort,
                                cursor=check_cursor(query.cursor), size=query.limit)
    count, more = selectors.order_count(user=request.auth, filters=filters)
    return {"items": [summary_out(o) for o in page.items], "next_cursor": page.next_cursor,
            "count": count, "count_is_lower_bound": more}


@router.post("/orders", response={201: OrderOut})
def create_order(request, payload: OrderCreate):
    """Take an order for a client you can see: lines priced by the pricing engine as of
    `received_on` (or copied from an accepted offer at its prices)."""
    data = payload.model_dump(exclude={"lines"}, exclude_unset=True)
    order = services.order_create(actor=request.auth, data=data, lines=_lines(payload.lines))
    return Status(201, order_out(_fresh(request.auth, order.pk)))


@router.get("/orders/{order_id}", response=OrderOut)
def get_order(request, order_id: int):
    return order_out(_fresh(request.auth, order_id))


@router.patch("/orders/{order_id}", response=OrderOut)
def update_order(request, order_id: int, payload: OrderUpdate):
    """Change the header fields you send. Send the `version` you read."""
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    order = selectors.order_get(user=request.auth, pk=order_id)
    services.order_update(actor=request.auth, order=order, data=data, expected_version=version)
    return order_out(_fresh(request.auth, order.pk))


@router.put("/orders/{order_id}/lines", response=OrderOut)
def set_order_lines(request, order_id: int, payload: OrderLinesIn):
    """Replace the lines (only while the order is received), priced again."""
    order = selectors.order_get(user=request.auth, pk=order_id)
    services.order_set_lines(actor=request.auth, order=order, lines=_lines(payload.lines),
                             expected_version=payload.version)
    return order_out(_fresh(request.auth, order.pk))


@router.post("/orders/{order_id}/confirm", response=OrderOut)
def confirm_order(request, order_id: int, payload: OrderStepIn | None = None):
    order = selectors.order_get(user=request.auth, pk=order_id)
    services.order_confirm(actor=request.auth, order=order,
                           expected_version=payload.version if payload else None)
    return order_out(_fresh(request.auth, order.pk))


@router.post("/orders/{order_id}/start", response=OrderOut)
def start_order(request, order_id: int, payload: OrderStepIn | None = None):
    """Confirmed → in fulfilment."""
    order = selectors.order_get(user=request.auth, pk=order_id)
    services.order_start(actor=request.auth, order=order,
                         expected_version=payload.version if payload else None)
    return order_out(_fresh(request.auth, order.pk))


@router.post("/orders/{order_id}/close", response=OrderOut)
def close_order(request, order_id: int, payload: CloseIn | None = None):
    """Delivered → closed; a partly delivered order closes short with a `reason`."""
    order = selectors.order_get(user=request.auth, pk=order_id)
    services.order_close(actor=request.auth, order=order,
                         reason=payload.reason if payload else "",
                         expected_version=payload.version if payload else None)
    return order_out(_fresh(request.auth, order.pk))


@router.post("/orders/{order_id}/cancel", response=OrderOut)
def cancel_order(request, order_id: int, payload: CancelIn | None = None):
    """Cancel an order nothing of which was delivered; `reason` is required (without it: 400
    naming `cancel_reason`)."""
    order = selectors.order_get(user=request.auth, pk=order_id)
    services.order_cancel(actor=request.auth, order=order,
                          reason=payload.reason if payload else "",
                          expected_version=payload.version if payload else None)
    return order_out(_fresh(request.auth, order.pk))


# --- deliveries ----------------------------------------------------------------------------------

def _delivery_prefetch():
    return Prefetch("lines", DeliveryLine.objects.select_related("order_line__product")
                    .order_by("order_line__position", "pk"))


@router.get("/orders/{order_id}/deliveries", response=list[DeliveryOut])
def list_deliveries(request, order_id: int):
    """The order's deliveries, newest first."""
    order = selectors.order_get(user=request.auth, pk=order_id)
    deliveries = (order.deliveries.select_related("created_by").prefetch_related(_delivery_prefetch())
                  .order_by("-delivered_on", "-pk"))
    return [delivery_out(d) for d in deliveries]


@router.post("/orders/{order_id}/deliveries", response={201: DeliveryOut})
def record_delivery(request, order_id: int, payload: DeliveryIn):
    """Record what a delivery carried: at most what remains of each line, on a day not in the
    future. The order becomes partly delivered or delivered."""
    order = selectors.order_get(user=request.auth, pk=order_id)
    delivery = services.delivery_record(
        actor=request.auth, order=order, delivered_on=payload.delivered_on,
        lines=[(item.order_line, item.quantity) for item in payload.lines],
        document_number=payload.document_number, note=payload.note)
    fresh = (Delivery.objects.select_related("created_by").prefetch_related(_delivery_prefetch())
             .get(pk=delivery.pk))
    return Status(201, delivery_out(fresh))


@router.delete("/orders/{order_id}/deliveries/{delivery_id}", response={204: None})
def delete_delivery(request, order_id: int, delivery_id: int):
    """Remove a delivery recorded by mistake; the order is computed again from the rest."""
    order = selectors.order_get(user=request.auth, pk=order_id)
    delivery = selectors.delivery_get(order, delivery_id)
    services.delivery_delete(actor=request.auth, order=order, delivery=delivery)
    return Status(204, None)
