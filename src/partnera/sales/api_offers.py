"""REST API of offers (/api/v1/offers …) and of our company's profile (/api/v1/organisation).

Thin like the deal API: parse into a schema, call a selector or a service, render. The same
services as the pages hold every rule: an offer is seen through its deal (404 otherwise); only a
draft changes (409 `offer_not_editable`); a discount above the limit waits for the head of sales
(409 `approval_required` when sending); an expired offer is not accepted (400 `offer_expired`);
a line the pricing engine refuses answers 400 with `fields["lines.<n>.<field>"]`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, TypeAlias

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from partnera.catalog.api_schemas import PriceStepOut, ProductRef, VatGroupOut, explanation_out
from partnera.catalog.pricing import LineRequest
from partnera.core.api import QuerySchema, Ref, RowId, StrictSchema, UserRef, check_cursor
from partnera.core.errors import PermissionDenied, ValidationFailed
from partnera.core.money import Currency
from partnera.core.organisation import logo_data_url, organisation_get, organisation_update
from partnera.core.visibility import is_administrator
from partnera.core.web import download_response
from partnera.sales import selectors as deal_selectors
from partnera.sales.models import Offer, OfferStatus
from partnera.sales.offers import approval, document, flow, services
from partnera.sales.offers import selectors as offer_selectors
from partnera.sales.offers.document import discount_percent, vat_groups

router = Router(tags=["offers"])

if TYPE_CHECKING:
    CurrencyValue: TypeAlias = str
    LanguageValue: TypeAlias = str
    OfferStatusValue: TypeAlias = str
else:
    CurrencyValue = Literal[tuple(Currency.values)]
    LanguageValue = Literal[tuple(code for code, _name in settings.LANGUAGES)]
    OfferStatusValue = Literal[tuple(OfferStatus.values)]


# --- output schemas ------------------------------------------------------------------------------

class OfferLineOut(Schema):
    position: int
    product: ProductRef
    description: str
    quantity: Decimal
    unit: str
    list_price: Decimal
    manual_discount: Decimal = Field(description="Percent typed by the manager.")
    unit_price: Decimal
    discount_percent: Decimal = Field(description="The whole reduction from the list price, in %.")
    free_units: Decimal
    net_amount: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    gross_amount: Decimal
    explanation: list[PriceStepOut] = Field(description="How the unit price came about, step by step.")


class ApprovalOut(Schema):
    status: str = Field(description="not_needed, pending, approved or declined.")
    requested_at: dt.datetime | None
    decided_by: UserRef | None
    decided_at: dt.datetime | None
    comment: str


class OfferSummary(Schema):
    id: int
    reference: str
    version_number: int
    title: str
    deal: Ref
    company: Ref
    owner: UserRef | None
    status: str
    currency: str
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    net_total_eur: Decimal = Field(description="The total without VAT in euro (BGN at 1.95583).")
    valid_until: dt.date
    approval_status: str
    created_at: dt.datetime


class OfferOut(OfferSummary):
    contact: Ref | None
    team: Ref | None
    language: str
    pricing_date: dt.date = Field(description="The day whose prices priced the lines.")
    introduction: str
    terms: str
    approval: ApprovalOut
    sent_at: dt.datetime | None
    decided_at: dt.datetime | None
    rejection_reason: Ref | None
    decision_comment: str
    previous: int | None = Field(description="The id of the version this one replaced.")
    lines: list[OfferLineOut]
    vat_groups: list[VatGroupOut]
    pdf_url: str
    version: int = Field(description="Send it back with PATCH or PUT …/lines; a stale one answers 409.")
    updated_at: dt.datetime


class OfferPage(Schema):
    items: list[OfferSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")
    count: int = Field(description="Offers matching the filters, counted up to 1000.")
    count_is_lower_bound: bool


class DealMoveOut(Schema):
    moved: bool = Field(description="Whether the deal moved to its next open stage.")
    stage: Ref | None
    message: str
    fields: dict[str, list[str]] = Field(description="What the stage's rules missed, by field.")


class AcceptanceOut(Schema):
    offer: OfferOut
    deal_move: DealMoveOut


class OrganisationOut(Schema):
    name: str
    legal_name: str
    legal_name_en: str
    eik: str
    vat_number: str
    address: str
    address_en: str
    phone: str
    email: str
    website: str
    bank: str
    iban: str
    representative: str
    logo: str | None = Field(description="The logo as a data: URL (PNG or JPEG), or null.")


# --- input schemas -------------------------------------------------------------------------------

class OfferLineIn(StrictSchema):
    # NaN and Infinity pass the schema so that the pricing engine refuses them with the line's
    # number (`lines.<n>.quantity`) and a translated message.
    product: RowId = Field(description="An active product's id (GET /products).")
    quantity: Decimal = Field(description="More than 0, at most three decimals.", allow_inf_nan=True)
    manual_discount: Decimal = Field(Decimal("0"), description="Percent, 0–100, two decimals. "
                                     "Above the pricing policy's limit it needs approval.",
                                     allow_inf_nan=True)
    description: str = Field("", max_length=300)


class OfferCreate(StrictSchema):
    title: str | None = Field(None, max_length=200, description="Defaults to the deal's title.")
    contact: RowId | None = Field(None, description="A contact of the client; defaults to the deal's "
                                                    "decision maker.")
    language: LanguageValue | None = Field(None, description="bg or en; defaults by the client's country.")
    currency: CurrencyValue | None = Field(None, description="Defaults to the deal's currency.")
    valid_until: dt.date | None = Field(None, description="Defaults to 30 days from today.")
    introduction: str = Field("", max_length=4000)
    terms: str = Field("", max_length=4000)
    lines: list[OfferLineIn] = Field(max_length=1000)


class OfferUpdate(StrictSchema):
    title: str | None = Field(None, max_length=200)
    contact: RowId | None = None
    language: LanguageValue | None = None
    currency: CurrencyValue | None = Field(None, description="Another currency reprices the lines.")
    valid_until: dt.date | None = None
    introduction: str | None = Field(None, max_length=4000)
    terms: str | None = Field(None, max_length=4000)
    version: int = Field(ge=1, description="The `version` you read; a stale one answers 409.")


class OfferLinesIn(StrictSchema):
    lines: list[OfferLineIn] = Field(max_length=1000)
    version: int | None = Field(None, ge=1, description="If sent, a stale version answers 409.")


class DecisionIn(StrictSchema):
    comment: str = Field("", max_length=2000, description="Required to decline.")
    version: int | None = Field(None, ge=1, description="The offer's `version` you read: a newer "
                                "one (the lines changed since) answers 409 and nothing is decided.")


class RejectIn(StrictSchema):
    reason: RowId | None = Field(None, description="A reason from GET "
                                 "/deal-reasons?kind=offer_rejected (required).")
    comment: str = Field("", max_length=2000)


class OfferListQuery(QuerySchema):
    deal: RowId | None = None
    company: RowId | None = None
    status: list[OfferStatusValue] = Field(default_factory=list, description="Without it, replaced "
                                           "(superseded) versions are left out unless `deal` is given.")
    owner: list[RowId] = Field(default_factory=list)
    approval: Literal["", "mine", "pending"] = Field("", description="mine: awaiting your approval.")
    q: str = Field("", max_length=100, description="Words in the number, the title or the client's name.")
    cursor: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


class OrganisationIn(StrictSchema):
    name: str | None = Field(None, max_length=200)
    legal_name: str | None = Field(None, max_length=255)
    legal_name_en: str | None = Field(None, max_length=255)
    eik: str | None = Field(None, max_length=20)
    vat_number: str | None = Field(None, max_length=20)
    address: str | None = Field(None, max_length=500)
    address_en: str | None = Field(None, max_length=500)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    website: str | None = Field(None, max_length=200)
    bank: str | None = Field(None, max_length=200)
    iban: str | None = Field(None, max_length=40)
    representative: str | None = Field(None, max_length=200)
    logo: str | None = Field(None, max_length=800_000, description="The logo (PNG or JPEG, at most "
                             "512 KB) in base64 or as a data: URL; null removes it; leave it out to keep it.")


# --- rendering -----------------------------------------------------------------------------------

def _user(user) -> dict | None:
    return None if user is None else {"id": user.pk, "username": user.username, "name": str(user)}


def _ref(obj, name: str = "name") -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": str(getattr(obj, name))}


def summary_out(offer: Offer) -> dict:
    return {
        "id": offer.pk, "reference": offer.reference, "version_number": offer.version_number,
        "title": offer.title, "deal": {"id": offer.deal_id, "name": offer.deal.title},
        "company": {"id": offer.company_id, "name": offer.company.legal_name},
        "owner": _user(offer.owner), "status": offer.status, "currency": offer.currency,
        "net_total": offer.net_total, "vat_total": offer.vat_total, "gross_total": offer.gross_total,
        "net_total_eur": offer.net_total_eur, "valid_until": offer.valid_until,
        "approval_status": offer.approval_status, "created_at": offer.created_at,
    }


def _line_out(line) -> dict:
    return {
        "position": line.position,
        "product": {"id": line.product_id, "code": line.product.code, "name": line.product.name},
        "description": line.description, "quantity": line.quantity, "unit": line.unit,
        "list_price": line.list_price, "manual_discount": line.manual_discount,
        "unit_price": line.unit_price, "discount_percent": discount_percent(line),
        "free_units": line.free_units, "net_amount": line.net_amount, "vat_rate": line.vat_rate,
        "vat_amount": line.vat_amount, "gross_amount": line.gross_amount,
        "explanation": explanation_out(line.explanation),
    }


def offer_out(offer: Offer) -> dict:
    lines = offer_selectors.offer_lines(offer)
    return {
        **summary_out(offer),
        "contact": None if offer.contact is None else {"id": offer.contact_id, "name": str(offer.contact)},
        "team": _ref(offer.team), "language": offer.language, "pricing_date": offer.pricing_date,
        "introduction": offer.introduction, "terms": offer.terms,
        "approval": {"status": offer.approval_status, "requested_at": offer.approval_requested_at,
                     "decided_by": _user(offer.approval_decided_by),
                     "decided_at": offer.approval_decided_at, "comment": offer.approval_comment},
        "sent_at": offer.sent_at, "decided_at": offer.decided_at,
        "rejection_reason": _ref(offer.rejection_reason), "decision_comment": offer.decision_comment,
        "previous": offer.previous_id, "lines": [_line_out(line) for line in lines],
        "vat_groups": [{"rate": g.rate, "base": g.base, "vat": g.vat} for g in vat_groups(lines)],
        "pdf_url": reverse("api:offer_pdf", args=[offer.pk]),
        "version": offer.version, "updated_at": offer.updated_at,
    }


def _fresh(user, pk: int) -> dict:
    """The offer as stored now (after a write), as the API shows it."""
    return offer_out(offer_selectors.offer_get(user=user, pk=pk))


def _requests(lines: list[OfferLineIn]) -> list[LineRequest]:
    return [LineRequest(product_id=line.product, quantity=line.quantity,
                        manual_discount=line.manual_discount, description=line.description)
            for line in lines]


# --- offers ----------------------------------------------------------------------------------------

@router.get("/offers", response=OfferPage)
def list_offers(request, query: Query[OfferListQuery]):
    """Offers you can see (those of the deals you can see), newest first, one keyset page at a
    time. Without `status`, replaced versions are left out."""
    filters = offer_selectors.OfferFilters(
        status=list(query.status), owner=list(query.owner), deal=query.deal, company=query.company,
        approval=query.approval, q=" ".join(query.q.split()))
    page = offer_selectors.offer_page(user=request.auth, filters=filters,
                                      cursor=check_cursor(query.cursor), size=query.limit)
    count, more = offer_selectors.offer_count(user=request.auth, filters=filters)
    return {"items": [summary_out(o) for o in page.items], "next_cursor": page.next_cursor,
            "count": count, "count_is_lower_bound": more}


@router.post("/deals/{deal_id}/offers", response={201: OfferOut})
def create_offer(request, deal_id: int, payload: OfferCreate):
    """A new offer (a draft, version 1) for an open deal you may work on, its lines priced as of
    today. A manual discount above the limit opens an approval request (`approval.status`
    "pending") and notifies the head of sales."""
    deal = deal_selectors.deal_get(user=request.auth, pk=deal_id)
    data = {k: v for k, v in payload.model_dump(exclude={"lines"}, exclude_unset=True).items()
            if v is not None}
    offer = services.offer_create(actor=request.auth, deal=deal, data=data,
                                  lines=_requests(payload.lines))
    return Status(201, _fresh(request.auth, offer.pk))


@router.get("/offers/{offer_id}", response=OfferOut)
def get_offer(request, offer_id: int):
    """One offer with its lines (and how each price came about), VAT groups and totals."""
    return _fresh(request.auth, offer_id)


@router.patch("/offers/{offer_id}", response=OfferOut)
def update_offer(request, offer_id: int, payload: OfferUpdate):
    """Change a draft's header (the fields you send). Send the `version` you read."""
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    offer = offer_selectors.offer_get(user=request.auth, pk=offer_id)
    services.offer_update(actor=request.auth, offer=offer, data=data, expected_version=version)
    return _fresh(request.auth, offer_id)


@router.put("/offers/{offer_id}/lines", response=OfferOut)
def set_offer_lines(request, offer_id: int, payload: OfferLinesIn):
    """Replace every line of a draft; they are priced again as of today."""
    offer = offer_selectors.offer_get(user=request.auth, pk=offer_id)
    services.offer_set_lines(actor=request.auth, offer=offer, lines=_requests(payload.lines),
                             expected_version=payload.version)
    return _fresh(request.auth, offer_id)


@router.post("/offers/{offer_id}/new-version", response={201: OfferOut})
def new_offer_version(request, offer_id: int):
    """The next version of a sent or rejected offer, its lines priced as of today; the one
    before is superseded and kept."""
    offer = offer_selectors.offer_get(user=request.auth, pk=offer_id)
    new = services.offer_new_version(actor=request.auth, offer=offer)
    return Status(201, _fresh(request.auth, new.pk))


@router.post("/offers/{offer_id}/approve", response=OfferOut)
def approve_offer(request, offer_id: int, payload: DecisionIn | None = None):
    """The head of sales over the offer (or an administrator) approves its discount; never a
    head of sales who owns the offer. Send the `version` you read (409 when the lines changed
    since). The body may be left out."""
    offer = offer_selectors.offer_get(user=request.auth, pk=offer_id)
    approval.offer_approve(actor=request.auth, offer=offer, comment=payload.comment if payload else "",
                           expected_version=payload.version if payload else None)
    return _fresh(request.auth, offer_id)


@router.post("/offers/{offer_id}/decline", response=OfferOut)
def decline_offer(request, offer_id: int, payload: DecisionIn | None = None):
    """The head of sales declines the discount; `comment` (required) says why. Send the
    `version` you read (409 when the lines changed since)."""
    offer = offer_selectors.offer_get(user=request.auth, pk=offer_id)
    approval.offer_decline(actor=request.auth, offer=offer, comment=payload.comment if payload else "",
                           expected_version=payload.version if payload else None)
    return _fresh(request.auth, offer_id)


@router.post("/offers/{offer_id}/send", response=OfferOut)
def send_offer(request, offer_id: int):
    """Mark a draft as sent to the client (it becomes read-only)."""
    offer = offer_selectors.offer_get(user=request.auth, pk=offer_id)
    flow.offer_send(actor=request.auth, offer=offer)
    return _fresh(request.auth, offer_id)


@router.post("/offers/{offer_id}/accept", response=AcceptanceOut)
def accept_offer(request, offer_id: int):
    """Record the client's acceptance; the deal moves to its next open stage when that stage's
    rules allow it (`deal_move` says what happened; a refused move leaves the acceptance)."""
    offer = offer_selectors.offer_get(user=request.auth, pk=offer_id)
    result = flow.offer_accept(actor=request.auth, offer=offer)
    move = result.deal_move
    return {"offer": _fresh(request.auth, offer_id),
            "deal_move": {"moved": move.moved, "stage": _ref(move.stage), "message": move.message,
                          "fields": move.fields}}


@router.post("/offers/{offer_id}/reject", response=OfferOut)
def reject_offer(request, offer_id: int, payload: RejectIn | None = None):
    """Record the client's rejection with a reason from the managed list (`reason` required)."""
    offer = offer_selectors.offer_get(user=request.auth, pk=offer_id)
    flow.offer_reject(actor=request.auth, offer=offer, reason=payload.reason if payload else None,
                      comment=payload.comment if payload else "")
    return _fresh(request.auth, offer_id)


@router.delete("/offers/{offer_id}", response={204: None})
def delete_offer(request, offer_id: int):
    """Delete a draft (soft)."""
    offer = offer_selectors.offer_get(user=request.auth, pk=offer_id)
    services.offer_delete(actor=request.auth, offer=offer)
    return Status(204, None)


@router.get("/offers/{offer_id}/pdf", url_name="offer_pdf",
            openapi_extra={"responses": {200: {"description": "The offer as a PDF document.",
                                                 "content": {"application/pdf": {}}}}})
def offer_pdf(request, offer_id: int):
    """The offer as a PDF in its language (an attachment named like OF-2026-0007-v2.pdf)."""
    offer = offer_selectors.offer_get(user=request.auth, pk=offer_id)
    name, content = document.offer_pdf(actor=request.auth, offer=offer)
    response = download_response(io.BytesIO(content), filename=name, content_type="application/pdf")
    response["Cache-Control"] = "no-store, private"
    return response


# --- our company ---------------------------------------------------------------------------------

def _organisation_out() -> dict:
    profile = organisation_get()
    data = {name: getattr(profile, name) for name in OrganisationOut.model_fields if name != "logo"}
    return {**data, "logo": logo_data_url(profile) or None}


def _logo_bytes(raw: str) -> bytes:
    text = raw.strip()
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(fields={"logo": [_("Send the logo in base64 (or as a data: URL).")]}
                               ) from None


@router.get("/organisation", response=OrganisationOut, tags=["settings"])
def get_organisation(request):
    """Our company as offers and contracts present it (administrators)."""
    if not is_administrator(request.auth):
        raise PermissionDenied()
    return _organisation_out()


@router.put("/organisation", response=OrganisationOut, tags=["settings"])
def put_organisation(request, payload: OrganisationIn):
    """Administrators: set the fields you send (an empty string clears one); `logo` sets the logo,
    null removes it, leaving it out keeps it."""
    if not is_administrator(request.auth):
        raise PermissionDenied()
    data = payload.model_dump(exclude_unset=True)
    logo_sent = "logo" in data
    raw_logo = data.pop("logo", None)
    data = {k: ("" if v is None else v) for k, v in data.items()}
    organisation_update(actor=request.auth, data=data,
                        logo=_logo_bytes(raw_logo) if raw_logo else None,
                        remove_logo=logo_sent and raw_logo is None)
    return _organisation_out()

