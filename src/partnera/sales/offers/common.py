"""What the offer services share: their errors, permission checks, the row lock, the audit entry
and pricing the lines through the one pricing engine (catalog.pricing)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnera.catalog.pricing import LineRequest, PricedDocument, price_document
from partnera.core.audit import audit_record
from partnera.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from partnera.core.money import to_eur
from partnera.core.roles import Role
from partnera.core.visibility import can_change
from partnera.sales.models import Deal, Offer, OfferLine, OfferStatus, StageOutcome
from partnera.sales.offers.selectors import offer_visible_q


class OfferNotEditable(Conflict):
    code = "offer_not_editable"
    default_message = gettext_lazy(
        "Only a draft can be changed. The client may have seen this version: make a new version.")


class OfferStateError(Conflict):
    code = "offer_state"


class ApprovalRequired(Conflict):
    code = "approval_required"


class OfferExpired(ValidationFailed):
    code = "offer_expired"


# --- permissions ---------------------------------------------------------------------------------

def require_editor(actor) -> None:
    """Offers are made and worked by the sales roles (marketing and departments read them)."""
    if actor is None or not actor.is_authenticated or actor.role in (Role.DEPARTMENT, Role.MARKETING):
        raise PermissionDenied()


def require_visible(actor, offer: Offer) -> None:
    if not Offer.objects.filter(offer_visible_q(actor), pk=offer.pk).exists():
        raise NotFound()


def locked(actor, offer: Offer, *, change: bool = True) -> Offer:
    """The offer re-read under a row lock (two decisions on one offer run one after the other),
    after checking the actor sees it and, with `change`, may work on it."""
    require_visible(actor, offer)
    if change:
        require_editor(actor)
        if not can_change(actor, offer):
            raise PermissionDenied()
    fresh = Offer.objects.select_for_update().filter(pk=offer.pk).first()
    if fresh is None:
        raise NotFound()
    return fresh


def require_draft(offer: Offer) -> None:
    if offer.status != OfferStatus.DRAFT:
        raise OfferNotEditable()


def require_open_deal_of(offer: Offer) -> None:
    """Offers of a closed (won or lost) deal are kept as they are: no change, no sending."""
    status = Deal.all_objects.filter(pk=offer.deal_id).values_list("status", flat=True).first()
    if status != StageOutcome.OPEN:
        raise OfferStateError(_("This deal is closed; its offers are kept as they are. Reopen "
                                "the deal to change or send an offer."))


def check_not_expired(offer: Offer, message: str | None = None) -> None:
    today = timezone.localdate()
    if offer.valid_until < today:
        when = formats.date_format(offer.valid_until, "SHORT_DATE_FORMAT")
        text = (message or _("This offer expired on %(date)s; make a new version.")) % {"date": when}
        raise OfferExpired(text, fields={"valid_until": [text]})


def audit(actor, action: str, offer: Offer, changes: dict | None = None) -> None:
    audit_record(actor=actor, action=action, obj=offer, company_id=offer.company_id,
                 changes=changes or {})


# --- lines ---------------------------------------------------------------------------------------

def price(offer: Offer, lines: Sequence[LineRequest]) -> PricedDocument:
    """The lines priced for the offer's client in its currency as of its pricing date; a line the
    engine refuses answers its message under `lines.<n>.<field>` (n from 1)."""
    if not lines:
        raise ValidationFailed(fields={"lines": [_("An offer needs at least one line.")]})
    return price_document(company=offer.company, currency=offer.currency, on_date=offer.pricing_date,
                          lines=list(lines))


def apply_totals(offer: Offer, priced: PricedDocument) -> None:
    offer.net_total = priced.net_total
    offer.vat_total = priced.vat_total
    offer.gross_total = priced.gross_total
    offer.net_total_eur = to_eur(priced.net_total, offer.currency)


def write_lines(offer: Offer, priced: PricedDocument, requests: Sequence[LineRequest]) -> None:
    """Replace the offer's lines by the priced ones (the description as the manager typed it)."""
    OfferLine.objects.filter(offer=offer).delete()
    OfferLine.objects.bulk_create([
        OfferLine(offer=offer, position=number, product=line.product,
                  description=request.description, quantity=line.quantity, unit=line.unit,
                  list_price=line.list_price, manual_discount=line.manual_discount,
                  unit_price=line.unit_price, free_units=line.free_units,
                  net_amount=line.net_amount, vat_rate=line.vat_rate, vat_amount=line.vat_amount,
                  gross_amount=line.gross_amount, explanation=line.explanation)
        for number, (line, request) in enumerate(zip(priced.lines, requests, strict=True), start=1)
    ])


def requests_of(offer: Offer) -> list[LineRequest]:
    """The offer's lines as the manager asked for them (to reprice them or copy them)."""
    return [LineRequest(product_id=line.product_id, quantity=line.quantity,
                        manual_discount=line.manual_discount, description=line.description)
            for line in offer.lines.order_by("position", "pk")]


def _key(request: LineRequest) -> tuple:
    def number(value) -> Decimal | object:
        return value.normalize() if isinstance(value, Decimal) and value.is_finite() else value

    return (request.product_id, number(request.quantity), number(request.manual_discount),
            (request.description or "").strip())


def same_lines(offer: Offer, requests: Sequence[LineRequest]) -> bool:
    return [_key(r) for r in requests_of(offer)] == [_key(r) for r in requests]


def lines_summary(requests: Sequence[LineRequest]) -> list[str]:
    """The lines as the audit log keeps them: "product × quantity (−discount %)"."""
    out = []
    for r in requests:
        text = f"#{r.product_id} × {_plain(r.quantity)}"
        if r.manual_discount:
            text += f" (−{_plain(r.manual_discount)} %)"
        out.append(text)
    return out


def _plain(value) -> str:
    if isinstance(value, Decimal) and value.is_finite():
        return format(value.normalize(), "f")
    return str(value)


def check_description(requests: Sequence[LineRequest]) -> None:
    errors = {}
    for number, request in enumerate(requests, start=1):
        description = request.description or ""
        if not isinstance(description, str) or "\x00" in description:
            errors[f"lines.{number}.description"] = [_("The text contains a character that is not allowed.")]
        elif len(description.strip()) > 300:
            errors[f"lines.{number}.description"] = [_("At most %(n)d characters.") % {"n": 300}]
    if errors:
        raise ValidationFailed(fields=errors)


def strip_descriptions(requests: Sequence[LineRequest]) -> list[LineRequest]:
    return [LineRequest(r.product_id, r.quantity, r.manual_discount, (r.description or "").strip())
            for r in requests]

