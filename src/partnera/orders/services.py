"""Writes to orders: take an order (by hand, through the API or an import), change its header and
(while it is only received) its lines, move it through its statuses, record deliveries against it
and correct them.

Statuses: received → confirmed → in fulfilment → partly delivered → delivered → closed. The
deliveries move an order to "partly delivered" and "delivered" (never a person); an order that
will not get the rest is closed short with a reason and counts as not delivered in full. An order
is cancelled with a reason while nothing of it was delivered. A refused move changes nothing.

Every write locks the order's row first (SELECT … FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE
transactions serialise writers anyway), so two deliveries recorded at the same moment never both
take the last remaining units.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from partnera.catalog.models import Unit
from partnera.clients.models import Company
from partnera.core import cleaning
from partnera.core.audit import audit_record, diff, snapshot
from partnera.core.context import Channel, current
from partnera.core.errors import NotFound, PermissionDenied, ValidationFailed, VersionConflict
from partnera.core.models import AuditEntry
from partnera.core.money import Currency, to_eur
from partnera.core.records import bump_version
from partnera.core.roles import DepartmentKind
from partnera.core.sequences import yearly_reference
from partnera.core.visibility import can_assign, visible_q
from partnera.orders import permissions
from partnera.orders.late import rearm
from partnera.orders.models import (
    OPEN_STATUSES,
    Delivery,
    DeliveryLine,
    Order,
    OrderChannel,
    OrderLine,
    OrderStatus,
)
from partnera.orders.selectors import order_visible_q
from partnera.orders.services_lines import (
    LineContext,
    build_lines,
    lines_summary,
    offer_line_inputs,
    totals,
)
from partnera.orders.tasks import schedule_late_check
from partnera.people.models import Department

NUMBER_PREFIX = "ORD"
SEQUENCE = "orders.order"
HEADER_FIELDS = ["client_reference", "requested_date", "delivery_address", "note", "owner", "team",
                 "contract"]
AUDITED_FIELDS = ["number", "company", "contract", "offer", "owner", "team", "client_reference",
                  "channel", "received_on", "requested_date", "status", "currency", "net_total",
                  "vat_total", "gross_total", "delivery_address", "note", "cancel_reason",
                  "close_reason", "departments"]
TEXT_LIMITS = {"client_reference": 60, "delivery_address": 500, "note": 4000}
CONTRACT_STATUSES = ("signed", "active")
CANCELLABLE = (OrderStatus.RECEIVED, OrderStatus.CONFIRMED, OrderStatus.IN_FULFILMENT)
DELIVERABLE = (OrderStatus.CONFIRMED, OrderStatus.IN_FULFILMENT, OrderStatus.PARTLY_DELIVERED)
ENDED = (OrderStatus.CLOSED, OrderStatus.CANCELLED)
MAX_REASON = 2000


# --- cleaning -------------------------------------------------------------------------------------

def _channel(value: str | None) -> str:
    if value in OrderChannel.values:
        return str(value)
    return {Channel.API: OrderChannel.API, Channel.IMPORT: OrderChannel.IMPORT}.get(
        current().channel, OrderChannel.UI)


def _text(limit: int):
    def clean(value: Any) -> str:
        text = cleaning.text(value)
        if len(text) > limit:
            raise ValidationError(_("At most %(n)s characters.") % {"n": limit}, code="max_length")
        return text
    return clean


def _header_cleaners(actor) -> dict:
    return {
        "client_reference": _text(TEXT_LIMITS["client_reference"]),
        "delivery_address": _text(TEXT_LIMITS["delivery_address"]),
        "note": _text(TEXT_LIMITS["note"]),
        "requested_date": cleaning.optional_date,
        "owner": cleaning.user_ref,
        "team": cleaning.team_ref,
    }


def _apply(order: Order, data: dict, fields: list[str], cleaners: dict,
           errors: dict[str, list[str]]) -> None:
    for name in fields:
        if name not in data:
            continue
        try:
            cleaner = cleaners.get(name, cleaning.text)
            setattr(order, name, cleaner(data[name]))
        except ValidationError as exc:
            errors[name] = exc.messages


def _departments(value: Any, errors: dict) -> list[Department] | None:
    """The departments the order names: ids or Department rows; None when not given."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    items = list(value)
    ids: set[int] = set()
    for item in items:
        try:
            ids.add(item.pk if isinstance(item, Department) else int(item))
        except (TypeError, ValueError):
            errors["departments"] = [_("Choose departments from the list.")]
            return None
    found = list(Department.objects.filter(pk__in=ids))
    if len(found) != len(ids):
        errors["departments"] = [_("Choose departments from the list.")]
        return None
    return found


def default_departments() -> list[Department]:
    """Logistics ships an order and finance invoices it: by default both see it."""
    return list(Department.objects.filter(kind__in=[DepartmentKind.LOGISTICS,
                                                    DepartmentKind.FINANCE]))


def _related(model, visible, value: Any, field: str, message: str, errors: dict):
    """A record the actor may see (by id or instance), else `message` on `field`."""
    if value in (None, ""):
        return None
    try:
        pk = value.pk if isinstance(value, model) else int(value)
        found = model.objects.filter(visible).filter(pk=pk).first()
    except (TypeError, ValueError, OverflowError):
        found = None
    if found is None:
        errors[field] = [message]
        return None
    return found


def _contract(actor, value: Any, company: Company | None, errors: dict):
    from partnera.contracts.models import Contract
    from partnera.contracts.selectors import contract_visible_q

    contract = _related(Contract, contract_visible_q(actor), value, "contract",
                        _("Choose a contract of this client."), errors)
    if contract is None or company is None:
        return contract
    if contract.company_id != company.pk:
        errors["contract"] = [_("Contract %(number)s is with another client.")
                              % {"number": contract.number}]
    elif contract.status not in CONTRACT_STATUSES:
        errors["contract"] = [
            _("Orders are taken under a signed or active contract; %(number)s is “%(status)s”.")
            % {"number": contract.number, "status": contract.get_status_display()}]
    return contract


def _offer(actor, value: Any, company: Company | None, errors: dict):
    from partnera.sales.models import Offer, OfferStatus
    from partnera.sales.offers.selectors import offer_visible_q

    offer = _related(Offer, offer_visible_q(actor), value, "offer",
                     _("Choose an accepted offer of this client."), errors)
    if offer is None or company is None:
        return offer
    if offer.company_id != company.pk:
        errors["offer"] = [_("Offer %(offer)s is for another client.") % {"offer": str(offer)}]
    elif offer.status != OfferStatus.ACCEPTED:
        errors["offer"] = [_("Only an accepted offer becomes an order; %(offer)s is “%(status)s”.")
                           % {"offer": str(offer), "status": offer.get_status_display()}]
    return offer


def _line_context(order: Order) -> LineContext:
    return LineContext(company=order.company, currency=order.currency,
                       received_on=order.received_on, default_promised=order.requested_date,
                       offer=order.offer)


# --- permission and locking ---------------------------------------------------------------------

def _require_visible(actor, order: Order) -> None:
    if not Order.objects.filter(order_visible_q(actor), pk=order.pk).exists():
        raise NotFound()


def _require_manage(actor, order: Order) -> None:
    _require_visible(actor, order)
    if not permissions.may_manage(actor, order):
        raise PermissionDenied()


def _lock(order: Order, expected_version: int | None = None) -> None:
    """Lock the order's row and refresh what a concurrent writer may have changed (the late
    alert job included: it marks the order alerted under the same lock)."""
    row = (Order.all_objects.select_for_update().filter(pk=order.pk)
           .values("status", "version", "deleted_at", "late_alerted_at").first())
    if row is None or row["deleted_at"] is not None:
        raise NotFound()
    if expected_version is not None and row["version"] != expected_version:
        raise VersionConflict()
    order.status, order.version = row["status"], row["version"]
    order.late_alerted_at = row["late_alerted_at"]


def _audit(actor, action: str, order: Order, changes: dict, **kwargs) -> None:
    audit_record(actor=actor, action=action, obj=order, company_id=order.company_id,
                 changes=changes, **kwargs)


def _save_totals(order: Order, lines: Sequence[OrderLine]) -> None:
    for name, value in totals(lines).items():
        setattr(order, name, value)
    order.net_total_eur = to_eur(order.net_total, order.currency)


# --- create ---------------------------------------------------------------------------------------

@transaction.atomic
def order_create(*, actor, data: dict, lines: Sequence[dict] | None = None,
                 channel: str | None = None) -> Order:
    """Take an order for a client the actor can see.

    `data`: company (required), contract, offer, received_on (default today), requested_date,
    currency (default: the offer's, else the contract's, else EUR), client_reference,
    delivery_address, note, owner and team (default: the client's account manager and team;
    naming others is for a head of sales or an administrator), departments (default: every
    logistics and finance department). `lines`: dicts with product, quantity, manual_discount,
    description, promised_date (default: requested_date) — or offer_line, to copy a line of the
    offer at its accepted price. With an offer and no lines, every offer line is copied.
    `channel`: ui / api / import (default: from the request's channel). Once the order is
    committed, its late check is scheduled for the end of its earliest promised day
    (orders.tasks.schedule_late_check).
    """
    if not permissions.may_take_orders(actor):
        raise PermissionDenied()
    errors: dict[str, list[str]] = {}
    company = None
    try:
        company = cleaning.visible_ref(Company, visible_q(actor),
                                       _("Choose a client you can see."))(data.get("company"))
    except ValidationError as exc:
        errors["company"] = exc.messages
    if company is None and "company" not in errors:
        errors["company"] = [_("Choose the client who placed the order.")]
    contract = _contract(actor, data.get("contract"), company, errors)
    offer = _offer(actor, data.get("offer"), company, errors)
    order = Order(created_by=actor, company=company, contract=contract, offer=offer,
                  channel=_channel(channel))
    _apply(order, data, [f for f in HEADER_FIELDS if f != "contract"], _header_cleaners(actor),
           errors)
    today = timezone.localdate()
    try:
        order.received_on = cleaning.optional_date(data.get("received_on")) or today
    except ValidationError as exc:
        errors["received_on"] = exc.messages
        order.received_on = today
    if order.received_on > today:
        errors["received_on"] = [_("An order cannot be received in the future.")]
    if order.requested_date and order.requested_date < order.received_on:
        errors["requested_date"] = [_("The requested date cannot be before the order was "
                                      "received.")]
    order.currency = _order_currency(data.get("currency"), offer, contract, errors)
    _default_assignment(actor, order, company, data, errors)
    departments = _departments(data.get("departments"), errors)
    if errors:
        raise ValidationFailed(fields=errors)
    if offer is not None and not lines:
        lines = offer_line_inputs(offer, order.requested_date)
    built = build_lines(_line_context(order), lines or [])
    _save_totals(order, built)
    order.number = yearly_reference(NUMBER_PREFIX, SEQUENCE, order.received_on.year)
    order.save()
    for line in built:
        line.order = order
    OrderLine.objects.bulk_create(built)
    order.departments.set(departments if departments is not None else default_departments())
    after = snapshot(order, AUDITED_FIELDS)
    changes = {k: [None, v] for k, v in after.items() if v not in (None, "", [])}
    changes["lines"] = [None, lines_summary(built)]
    _audit(actor, AuditEntry.Action.CREATE, order, changes)
    schedule_late_check(order)
    return order


def _order_currency(value: Any, offer, contract, errors: dict) -> str:
    code = cleaning.text(value).upper() if isinstance(value, str) else ""
    if code and code not in Currency.values:
        errors["currency"] = [_("Choose EUR or BGN.")]
        return Currency.EUR
    if offer is not None:
        if code and code != offer.currency:
            errors["currency"] = [_("An order from an offer is in the offer's currency (%(c)s).")
                                  % {"c": offer.currency}]
        return offer.currency
    return code or (contract.currency if contract is not None else Currency.EUR)


def _default_assignment(actor, order: Order, company: Company | None, data: dict,
                        errors: dict) -> None:
    """The client's account manager and team take the order unless a head of sales or an
    administrator names others."""
    if company is not None:
        if "owner" not in data or data.get("owner") in (None, ""):
            order.owner = company.owner if company.owner_id else actor
        if "team" not in data or data.get("team") in (None, ""):
            order.team = company.team if company.team_id else getattr(order.owner, "team", None)
    if can_assign(actor) or company is None:
        return
    default_owner = company.owner_id or actor.pk
    if "owner" not in errors and order.owner_id not in (default_owner, actor.pk):
        errors["owner"] = [_("Only a head of sales or an administrator assigns orders to someone "
                             "else.")]
    allowed_teams = {company.team_id, getattr(order.owner, "team_id", None), actor.team_id}
    if "team" not in errors and order.team_id is not None and order.team_id not in allowed_teams:
        errors["team"] = [_("Only a head of sales or an administrator moves orders between teams.")]


# --- header and lines -----------------------------------------------------------------------------

@transaction.atomic
def order_update(*, actor, order: Order, data: dict, expected_version: int | None) -> Order:
    """Change the order's header: the client's order number, requested date, delivery address,
    note, contract, owner and team (for a head of sales or an administrator), departments.
    Closed and cancelled orders stay as they ended."""
    _require_manage(actor, order)
    _lock(order, expected_version)
    if order.status in ENDED:
        raise ValidationFailed(_("A closed or cancelled order cannot be changed."))
    before = snapshot(order, AUDITED_FIELDS)
    owner_before, team_before = order.owner_id, order.team_id
    errors: dict[str, list[str]] = {}
    _apply(order, data, [f for f in HEADER_FIELDS if f != "contract"], _header_cleaners(actor),
           errors)
    if "contract" in data:
        order.contract = _contract(actor, data["contract"], order.company, errors)
    if order.requested_date and order.requested_date < order.received_on:
        errors["requested_date"] = [_("The requested date cannot be before the order was "
                                      "received.")]
    if not can_assign(actor):
        if "owner" not in errors and order.owner_id != owner_before:
            errors["owner"] = [_("Only a head of sales or an administrator assigns orders to "
                                 "someone else.")]
        if "team" not in errors and order.team_id != team_before:
            errors["team"] = [_("Only a head of sales or an administrator moves orders between "
                                "teams.")]
    departments = _departments(data.get("departments"), errors)
    if errors:
        raise ValidationFailed(fields=errors)
    attnames = {f.name: f.attname for f in Order._meta.concrete_fields}
    columns = [attnames[f] for f in HEADER_FIELDS]
    bump_version(order, expected_version=None, fields=columns)
    if departments is not None:
        order.departments.set(departments)
    changes = diff(before, snapshot(order, AUDITED_FIELDS))
    if changes:
        _audit(actor, AuditEntry.Action.UPDATE, order, changes)
    return order


@transaction.atomic
def order_set_lines(*, actor, order: Order, lines: Sequence[dict],
                    expected_version: int | None) -> Order:
    """Replace the order's lines, priced again as of the day it was received (offer lines at the
    offer's prices). Only while the order is received: once confirmed, what was promised stays.
    The late check is scheduled again for the new promised days; an order alerted as late that
    the new lines make no longer late (promised later) may alert again (orders.late.rearm)."""
    _require_manage(actor, order)
    _lock(order, expected_version)
    if order.status != OrderStatus.RECEIVED:
        raise ValidationFailed(_("Lines can be changed only while the order is received (not yet "
                                 "confirmed)."))
    before_lines = lines_summary(list(order.lines.select_related("product")))
    before = snapshot(order, ["net_total", "vat_total", "gross_total"])
    built = build_lines(_line_context(order), lines)
    order.lines.all().delete()
    for line in built:
        line.order = order
    OrderLine.objects.bulk_create(built)
    _save_totals(order, built)
    rearmed = rearm(order)
    bump_version(order, expected_version=None,
                 fields=["net_total", "vat_total", "gross_total", "net_total_eur",
                         *rearmed])
    changes = diff(before, snapshot(order, ["net_total", "vat_total", "gross_total"]))
    after_lines = lines_summary(built)
    if after_lines != before_lines:
        changes["lines"] = [before_lines, after_lines]
    changes.update(rearmed)
    if changes:
        _audit(actor, AuditEntry.Action.UPDATE, order, changes)
    schedule_late_check(order)
    return order


# --- status ---------------------------------------------------------------------------------------

def _move(actor, order: Order, target: str, allowed: Sequence[str], expected_version: int | None,
          refused: str, **fields: Any) -> Order:
    _lock(order, expected_version)
    if order.status not in allowed:
        raise ValidationFailed(refused % {"status": OrderStatus(order.status).label},
                               fields={"status": [refused % {
                                   "status": OrderStatus(order.status).label}]})
    before = snapshot(order, AUDITED_FIELDS)
    order.status = target
    for name, value in fields.items():
        setattr(order, name, value)
    bump_version(order, expected_version=None, fields=["status", *fields])
    _audit(actor, AuditEntry.Action.UPDATE, order, diff(before, snapshot(order, AUDITED_FIELDS)))
    if target in OPEN_STATUSES:
        schedule_late_check(order)
    return order


@transaction.atomic
def order_confirm(*, actor, order: Order, expected_version: int | None = None) -> Order:
    """Received → confirmed: the lines and their promised dates are agreed with the client (the
    late check is scheduled for them once committed)."""
    _require_manage(actor, order)
    return _move(actor, order, OrderStatus.CONFIRMED, [OrderStatus.RECEIVED], expected_version,
                 _("Only a received order can be confirmed (this one is “%(status)s”)."))


@transaction.atomic
def order_start(*, actor, order: Order, expected_version: int | None = None) -> Order:
    """Confirmed → in fulfilment (sales or logistics)."""
    _require_visible(actor, order)
    if not permissions.may_fulfil(actor, order):
        raise PermissionDenied()
    return _move(actor, order, OrderStatus.IN_FULFILMENT, [OrderStatus.CONFIRMED],
                 expected_version,
                 _("Only a confirmed order goes into fulfilment (this one is “%(status)s”)."))


def _reason(value: Any, field: str, *, required: bool, message: str) -> str:
    try:
        reason = cleaning.text(value)
    except ValidationError as exc:
        raise ValidationFailed(fields={field: exc.messages}) from None
    if required and not reason:
        raise ValidationFailed(message, fields={field: [message]})
    if len(reason) > MAX_REASON:
        raise ValidationFailed(fields={field: [_("At most %(n)s characters.") % {"n": MAX_REASON}]})
    return reason


@transaction.atomic
def order_close(*, actor, order: Order, reason: str = "",
                expected_version: int | None = None) -> Order:
    """Delivered → closed; or partly delivered → closed short, with a reason: the rest will not
    be delivered and the order counts as not delivered in full."""
    _require_manage(actor, order)
    _lock(order, expected_version)
    short = order.status == OrderStatus.PARTLY_DELIVERED
    text = _reason(reason, "close_reason", required=short,
                   message=_("Say why the rest of the order will not be delivered."))
    return _move(actor, order, OrderStatus.CLOSED,
                 [OrderStatus.DELIVERED, OrderStatus.PARTLY_DELIVERED], None,
                 _("Only a delivered or partly delivered order can be closed (this one is "
                   "“%(status)s”)."), close_reason=text if short else "", closed_at=timezone.now())


@transaction.atomic
def order_cancel(*, actor, order: Order, reason: str,
                 expected_version: int | None = None) -> Order:
    """Cancel an order nothing of which was delivered, with the reason."""
    _require_manage(actor, order)
    _lock(order, expected_version)
    text = _reason(reason, "cancel_reason", required=True,
                   message=_("Say why the order is cancelled."))
    if order.status in (OrderStatus.PARTLY_DELIVERED, OrderStatus.DELIVERED):
        message = _("Part of this order was delivered: close it instead of cancelling it.")
        raise ValidationFailed(message, fields={"status": [message]})
    return _move(actor, order, OrderStatus.CANCELLED, CANCELLABLE, None,
                 _("This order can no longer be cancelled (it is “%(status)s”)."),
                 cancel_reason=text, closed_at=timezone.now())


# --- deliveries -----------------------------------------------------------------------------------

def _recompute(order: Order) -> str:
    """Delivered quantities and completion dates of every line from the deliveries (walking each
    line's deliveries by date: a line is complete on the day its total reached the ordered
    quantity), and the status they give. Returns the new status."""
    lines = list(order.lines.all())
    shipped: dict[int, list[tuple]] = {line.pk: [] for line in lines}
    for dl in (DeliveryLine.objects.filter(delivery__order=order)
               .values_list("order_line_id", "quantity", "delivery__delivered_on", "delivery_id")
               .order_by("delivery__delivered_on", "delivery_id")):
        shipped[dl[0]].append(dl)
    changed: list[OrderLine] = []
    for line in lines:
        total, completed = 0, None
        for _line, quantity, day, _delivery in shipped[line.pk]:
            total += quantity
            if completed is None and total >= line.quantity:
                completed = day
        if line.delivered_quantity != total or line.completed_on != completed:
            line.delivered_quantity, line.completed_on = total, completed
            changed.append(line)
    if changed:
        OrderLine.objects.bulk_update(changed, ["delivered_quantity", "completed_on"])
    if all(line.completed_on is not None for line in lines):
        return OrderStatus.DELIVERED
    if any(line.delivered_quantity > 0 for line in lines):
        return OrderStatus.PARTLY_DELIVERED
    return OrderStatus.IN_FULFILMENT


def _delivery_lines(order: Order, lines: Sequence[tuple[Any, Any]],
                    errors: dict[str, list[str]]) -> list[tuple[OrderLine, Any]]:
    from partnera.orders.services_lines import parse_quantity

    by_id = {line.pk: line for line in order.lines.select_related("product")}
    picked: list[tuple[OrderLine, Any]] = []
    seen: set[int] = set()
    for number, (ref, raw_quantity) in enumerate(lines, start=1):
        pk = ref.pk if isinstance(ref, OrderLine) else ref
        try:
            line = by_id.get(int(pk))
        except (TypeError, ValueError):
            line = None
        if line is None:
            errors[f"lines.{number}.order_line"] = [_("Choose a line of this order.")]
            continue
        if line.pk in seen:
            errors[f"lines.{number}.order_line"] = [_("Each line of the order once per delivery.")]
            continue
        seen.add(line.pk)
        try:
            quantity = parse_quantity(raw_quantity)
        except ValidationError as exc:
            errors[f"lines.{number}.quantity"] = exc.messages
            continue
        remaining = line.quantity - line.delivered_quantity
        if quantity > remaining:
            errors[f"lines.{number}.quantity"] = [
                _("“%(product)s”: at most %(remaining)s %(unit)s remain to be delivered.")
                % {"product": line.description or line.product.name,
                   "remaining": _plain(remaining),
                   "unit": dict(Unit.choices).get(line.unit, line.unit)}]
            continue
        picked.append((line, quantity))
    return picked


def _plain(value) -> str:
    return format(value.normalize(), "f")


@transaction.atomic
def delivery_record(*, actor, order: Order, delivered_on: Any, lines: Sequence[tuple[Any, Any]],
                    document_number: str = "", note: str = "") -> Delivery:
    """Record a delivery: what it carried of each line (order line or its id, quantity).

    Quantities are more than zero and at most what remains of each line; the day is not in the
    future and not before the order was received. The lines' delivered quantities and completion
    dates follow, and the order becomes partly delivered or delivered. An order alerted as late
    that the delivery makes no longer late may alert again (orders.late.rearm): its late check is
    scheduled for the promised days of the lines still open."""
    _require_visible(actor, order)
    if not permissions.may_fulfil(actor, order):
        raise PermissionDenied()
    _lock(order)
    if order.status not in DELIVERABLE:
        message = (_("Confirm the order before recording deliveries.")
                   if order.status == OrderStatus.RECEIVED else
                   _("Nothing remains to be delivered on this order (it is “%(status)s”).")
                   % {"status": OrderStatus(order.status).label})
        raise ValidationFailed(message, fields={"status": [message]})
    errors: dict[str, list[str]] = {}
    day = None
    try:
        day = cleaning.optional_date(delivered_on)
    except ValidationError as exc:
        errors["delivered_on"] = exc.messages
    if day is None and "delivered_on" not in errors:
        errors["delivered_on"] = [_("Give the day of the delivery.")]
    elif day is not None and day > timezone.localdate():
        errors["delivered_on"] = [_("A delivery cannot be recorded ahead of time.")]
    elif day is not None and day < order.received_on:
        errors["delivered_on"] = [_("The delivery cannot be before the order was received (%(day)s).")
                                  % {"day": order.received_on.isoformat()}]
    texts = {}
    for name, value, limit in (("document_number", document_number, 60), ("note", note, 500)):
        try:
            texts[name] = _text(limit)(value)
        except ValidationError as exc:
            errors[name] = exc.messages
    if not lines:
        errors["lines"] = [_("Enter the quantity delivered of at least one line.")]
    picked = _delivery_lines(order, lines, errors)
    if errors or day is None:
        raise ValidationFailed(_("The delivery was not recorded."), fields=errors)
    delivery = Delivery.objects.create(order=order, delivered_on=day, created_by=actor, **texts)
    DeliveryLine.objects.bulk_create(
        [DeliveryLine(delivery=delivery, order_line=line, quantity=q) for line, q in picked])
    status_before = order.status
    order.status = _recompute(order)
    rearmed = rearm(order)
    bump_version(order, expected_version=None, fields=["status", *rearmed])
    changes: dict[str, Any] = {
        "delivery": [None, delivery.pk],
        "delivered_on": [None, day.isoformat()],
        "document_number": [None, delivery.document_number],
        "lines": [None, [f"{line.product.code} × {_plain(q)}" for line, q in picked]],
    }
    if status_before != order.status:
        changes["status"] = [status_before, order.status]
    changes.update(rearmed)
    _audit_delivery(actor, AuditEntry.Action.CREATE, order, delivery, changes)
    if rearmed:  # the alerted order's checks had stopped: check its lines still open
        schedule_late_check(order)
    return delivery


def _audit_delivery(actor, action: str, order: Order, delivery: Delivery, changes: dict) -> None:
    """A delivery's entries are filed under its order (object id = the order's id), so the order's
    history reads one indexed range; the delivery's own id is in the changes."""
    audit_record(actor=actor, action=action, object_type="orders.delivery",
                 object_id=str(order.pk),
                 object_repr=f"{order.number} · {delivery.delivered_on.isoformat()}"
                             + (f" · {delivery.document_number}" if delivery.document_number else ""),
                 company_id=order.company_id, changes=changes)


@transaction.atomic
def delivery_delete(*, actor, order: Order, delivery: Delivery) -> Order:
    """Remove a delivery recorded by mistake: the lines and the order's status are computed again
    from the remaining deliveries. Not on a closed or cancelled order. A line it re-opens may be
    past its promised date already: the late check is scheduled once committed (at once then)."""
    _require_visible(actor, order)
    if not permissions.may_fulfil(actor, order):
        raise PermissionDenied()
    _lock(order)
    if delivery.order_id != order.pk or not Delivery.objects.filter(pk=delivery.pk).exists():
        raise NotFound()
    if order.status in ENDED:
        message = _("The order is %(status)s: its deliveries stay as they are.") % {
            "status": OrderStatus(order.status).label}
        raise ValidationFailed(message, fields={"status": [message]})
    carried = [f"{dl.order_line.product.code} × {_plain(dl.quantity)}"
               for dl in delivery.lines.select_related("order_line__product")]
    delivery_id = delivery.pk
    delivery.delete()
    status_before = order.status
    order.status = _recompute(order)
    bump_version(order, expected_version=None, fields=["status"])
    delivery.pk = delivery_id
    changes: dict[str, Any] = {"delivery": [delivery_id, None],
                               "delivered_on": [delivery.delivered_on.isoformat(), None],
                               "lines": [carried, None]}
    if status_before != order.status:
        changes["status"] = [status_before, order.status]
    _audit_delivery(actor, AuditEntry.Action.DELETE, order, delivery, changes)
    schedule_late_check(order)
    return order


def delivered_by_line(order: Order) -> dict[int, Any]:
    """Sum delivered per order line, straight from the deliveries (for checks and tests)."""
    return dict(DeliveryLine.objects.filter(delivery__order=order).values("order_line_id")
                .annotate(total=Sum("quantity")).values_list("order_line_id", "total"))


@transaction.atomic
def order_delete(*, actor, order: Order) -> Order:
    """Delete (softly) an order entered by mistake — only while it is received: once confirmed
    it is cancelled with a reason instead. Import undo uses it."""
    _require_manage(actor, order)
    _lock(order)
    if order.status != OrderStatus.RECEIVED:
        message = _("Only an order that is still received can be deleted; cancel it instead.")
        raise ValidationFailed(message, fields={"status": [message]})
    order.deleted_at = timezone.now()
    order.deleted_by = actor
    bump_version(order, expected_version=None, fields=["deleted_at", "deleted_by_id"])
    _audit(actor, AuditEntry.Action.DELETE, order, {})
    return order
