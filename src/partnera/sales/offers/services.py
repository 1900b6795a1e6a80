"""Writes to offers: create from a deal, change a draft's header and lines (priced by the one
pricing engine, catalog.pricing), make a new version, delete a draft. Sending and the client's
decision are in flow.py, the discount approval in approval.py.

Every offer is one version: versions share a reference ("OF-2026-0007", numbered per year without
gaps) and count up; a new version supersedes the one before, which is kept as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from partnera.catalog.pricing import LineRequest, PricingError
from partnera.clients.models import Contact
from partnera.core import cleaning
from partnera.core.audit import diff, snapshot
from partnera.core.errors import NotFound, PermissionDenied, ValidationFailed, VersionConflict
from partnera.core.models import AuditEntry
from partnera.core.money import Currency
from partnera.core.records import bump_version
from partnera.core.sequences import yearly_reference
from partnera.core.visibility import can_change, can_delete
from partnera.sales.models import (
    ApprovalStatus,
    ContactRole,
    Deal,
    Offer,
    OfferStatus,
    StageOutcome,
)
from partnera.sales.offers import approval
from partnera.sales.offers.common import (
    OfferStateError,
    apply_totals,
    audit,
    check_description,
    lines_summary,
    locked,
    price,
    requests_of,
    require_draft,
    require_editor,
    require_open_deal_of,
    same_lines,
    strip_descriptions,
    write_lines,
)
from partnera.sales.selectors import deal_visible_q

HEADER_FIELDS = ["title", "contact", "language", "currency", "valid_until", "introduction", "terms"]
AUDITED_FIELDS = [*HEADER_FIELDS, "status", "net_total", "vat_total", "gross_total",
                  "approval_status", "pricing_date"]
DEFAULT_VALIDITY_DAYS = 30
MAX_VALIDITY_DAYS = 366
PRICE_COLUMNS = ["net_total", "vat_total", "gross_total", "net_total_eur", "pricing_date",
                 "approval_status", "approval_requested_at", "approval_decided_by_id",
                 "approval_decided_at", "approval_comment"]


# --- cleaning ------------------------------------------------------------------------------------

def _language(value: Any) -> str:
    code = cleaning.text(value)
    if code not in dict(settings.LANGUAGES):
        raise ValidationError(_("Choose Bulgarian or English."), code="invalid_choice")
    return code


def _currency(value: Any) -> str:
    code = cleaning.text(value).upper()
    if code not in Currency.values:
        raise ValidationError(_("Choose EUR or BGN."), code="invalid_choice")
    return code


def _valid_until(value: Any) -> dt.date:
    day = cleaning.optional_date(value)
    today = timezone.localdate()
    if day is None:
        raise ValidationError(_("Say until when the offer is valid."), code="required")
    if day < today:
        raise ValidationError(_("The offer must be valid at least until today."), code="past")
    if day > today + dt.timedelta(days=MAX_VALIDITY_DAYS):
        raise ValidationError(_("An offer is valid for at most a year."), code="too_far")
    return day


def _contact_of(company_id: int):
    def clean(value: Any) -> Contact | None:
        if value in (None, ""):
            return None
        pk = value.pk if isinstance(value, Contact) else value
        try:
            return Contact.objects.get(pk=int(pk), company_id=company_id)
        except (Contact.DoesNotExist, TypeError, ValueError, OverflowError):
            raise ValidationError(_("Choose a contact of the client."), code="invalid_choice") from None
    return clean


def _cleaners(offer: Offer) -> dict:
    return {"contact": _contact_of(offer.company_id), "language": _language, "currency": _currency,
            "valid_until": _valid_until, "introduction": cleaning.bounded_text(4000),
            "terms": cleaning.bounded_text(4000)}


def default_language(deal: Deal) -> str:
    """A Bulgarian client reads Bulgarian; a client abroad English."""
    country = (deal.company.country or "BG").upper()
    return "bg" if country == "BG" else "en"


def default_contact(deal: Deal) -> Contact | None:
    """The deal's decision maker (else economic buyer, else its first contact)."""
    rank = {ContactRole.DECISION_MAKER: 0, ContactRole.ECONOMIC_BUYER: 1}
    contacts = sorted(deal.deal_contacts.select_related("contact"),
                      key=lambda dc: (rank.get(dc.role, 2), dc.pk))  # type: ignore[call-overload]
    return contacts[0].contact if contacts else None


def offer_defaults(deal: Deal) -> dict:
    """What a new offer of the deal starts with (the form's initial values too)."""
    return {"title": deal.title, "contact": default_contact(deal), "language": default_language(deal),
            "currency": deal.currency,
            "valid_until": timezone.localdate() + dt.timedelta(days=DEFAULT_VALIDITY_DAYS),
            "introduction": "", "terms": ""}


def _priced(offer: Offer, requests: Sequence[LineRequest], errors: dict):
    """The lines priced, or None with their errors added to `errors`."""
    try:
        check_description(requests)
        return price(offer, requests)
    except PricingError as exc:
        errors.update(exc.fields)
        if not exc.fields:
            errors.setdefault("lines", []).append(exc.message)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    return None


def _require_open_deal(deal: Deal) -> None:
    if deal.status != StageOutcome.OPEN:
        raise OfferStateError(_("This deal is closed; offers are made for open deals."))


def _assignment(deal: Deal, fallback) -> tuple:
    """(owner, team id) an offer of the deal has: the deal's owner (else `fallback`) and the
    deal's team (else the owner's)."""
    owner = deal.owner if deal.owner_id and deal.owner and deal.owner.is_active else fallback
    return owner, deal.team_id or getattr(owner, "team_id", None)


# --- create --------------------------------------------------------------------------------------

@transaction.atomic
def offer_create(*, actor, deal: Deal, data: dict, lines: Sequence[LineRequest]) -> Offer:
    """A new offer (version 1, a draft) for a deal the actor may work on: the deal's client, owner
    and team; the language of the client's country, the deal's currency and 30 days of validity
    unless `data` says otherwise. The lines are priced as of today; a manual discount above the
    limit opens an approval request."""
    require_editor(actor)
    deal = (Deal.objects.filter(deal_visible_q(actor), pk=deal.pk)
            .select_related("company", "owner").first())  # type: ignore[assignment]
    if deal is None:
        raise NotFound()
    if not can_change(actor, deal):
        raise PermissionDenied()
    _require_open_deal(deal)
    owner, team_id = _assignment(deal, actor)
    offer = Offer(deal=deal, company=deal.company, owner=owner, team_id=team_id,
                  created_by=actor, pricing_date=timezone.localdate(), status=OfferStatus.DRAFT,
                  version_number=1, reference="…")  # the number is given once the offer is valid
    payload = {**offer_defaults(deal), **data}
    errors = cleaning.clean_into(offer, payload, HEADER_FIELDS, _cleaners(offer))
    requests = strip_descriptions(lines)
    priced = _priced(offer, requests, errors) if "currency" not in errors else None
    if errors or priced is None:
        raise ValidationFailed(fields=errors)
    offer.reference = yearly_reference("OF", "offer", offer.pricing_date.year)
    apply_totals(offer, priced)
    requested = approval.evaluate(offer, needs_approval=priced.needs_approval)
    offer.save()
    write_lines(offer, priced, requests)
    after = snapshot(offer, AUDITED_FIELDS)
    audit(actor, AuditEntry.Action.CREATE, offer,
          {**{k: [None, v] for k, v in after.items() if v not in (None, "", [])},
           "lines": [None, lines_summary(requests)]})
    if requested:
        approval.notify_on_commit(offer)
    return offer


# --- change a draft ------------------------------------------------------------------------------

def _check_version(offer: Offer, expected_version: int | None) -> None:
    if expected_version is not None and offer.version != expected_version:
        raise VersionConflict()


@transaction.atomic
def offer_update(*, actor, offer: Offer, data: dict, expected_version: int | None = None) -> Offer:
    """Change a draft's header (title, addressee, language, currency, validity, texts). Another
    currency reprices the lines as of today."""
    offer = locked(actor, offer)
    require_draft(offer)
    _check_version(offer, expected_version)
    require_open_deal_of(offer)
    before = snapshot(offer, AUDITED_FIELDS)
    currency_before = offer.currency
    errors = cleaning.clean_into(offer, data, HEADER_FIELDS, _cleaners(offer))
    if "valid_until" not in data and "valid_until" not in errors and offer.valid_until < timezone.localdate():
        errors["valid_until"] = [_("The offer must be valid at least until today.")]
    columns = ["contact_id" if f == "contact" else f for f in HEADER_FIELDS]
    requested = False
    if not errors and offer.currency != currency_before:
        # Repriced in the other currency as of today: the approval is worked out again.
        offer.pricing_date = timezone.localdate()
        requests = requests_of(offer)
        priced = _priced(offer, requests, errors)
        if priced is not None:
            apply_totals(offer, priced)
            requested = approval.evaluate(offer, needs_approval=priced.needs_approval)
            write_lines(offer, priced, requests)
            columns += PRICE_COLUMNS
    if errors:
        raise ValidationFailed(fields=errors)
    bump_version(offer, expected_version=expected_version, fields=columns)
    changes = diff(before, snapshot(offer, AUDITED_FIELDS))
    if changes:
        audit(actor, AuditEntry.Action.UPDATE, offer, changes)
    if requested:
        approval.notify_on_commit(offer)
    return offer


@transaction.atomic
def offer_set_lines(*, actor, offer: Offer, lines: Sequence[LineRequest],
                    expected_version: int | None = None) -> Offer:
    """Replace every line of a draft; they are priced again as of today. Changed lines with a
    manual discount above the limit need the head of sales' decision again."""
    offer = locked(actor, offer)
    require_draft(offer)
    _check_version(offer, expected_version)
    require_open_deal_of(offer)
    requests = strip_descriptions(lines)
    errors: dict[str, list[str]] = {}
    if same_lines(offer, requests):
        if not requests:
            raise ValidationFailed(fields={"lines": [_("An offer needs at least one line.")]})
        return offer
    before = snapshot(offer, AUDITED_FIELDS)
    lines_before = lines_summary(requests_of(offer))
    offer.pricing_date = timezone.localdate()
    priced = _priced(offer, requests, errors)
    if errors or priced is None:
        raise ValidationFailed(fields=errors)
    apply_totals(offer, priced)
    requested = approval.evaluate(offer, needs_approval=priced.needs_approval)
    write_lines(offer, priced, requests)
    bump_version(offer, expected_version=expected_version, fields=PRICE_COLUMNS)
    audit(actor, AuditEntry.Action.UPDATE, offer,
          {**diff(before, snapshot(offer, AUDITED_FIELDS)),
           "lines": [lines_before, lines_summary(requests)]})
    if requested:
        approval.notify_on_commit(offer)
    return offer


# --- versions ------------------------------------------------------------------------------------

@transaction.atomic
def offer_new_version(*, actor, offer: Offer) -> Offer:
    """The next version of a sent or rejected offer: its lines (product, quantity, manual
    discount, description) copied and priced as of today, valid for as long as the one before.
    The one before is superseded and kept as it was."""
    offer = locked(actor, offer)
    if offer.status == OfferStatus.DRAFT:
        raise OfferStateError(_("This version is still a draft: change it instead."))
    if offer.status == OfferStatus.ACCEPTED:
        raise OfferStateError(_("The client accepted this offer; it is final. Make a new offer "
                                "if the terms change."))
    if offer.status == OfferStatus.SUPERSEDED:
        raise OfferStateError(_("A newer version of this offer exists."))
    deal = Deal.objects.select_related("company", "owner").get(pk=offer.deal_id)
    _require_open_deal(deal)
    owner, team_id = _assignment(deal, offer.owner)
    today = timezone.localdate()
    validity = max((offer.valid_until - offer.pricing_date).days, 1)
    number = (Offer.all_objects.filter(reference=offer.reference)
              .aggregate(n=Max("version_number"))["n"] or offer.version_number) + 1
    # A contact deleted since is no longer the addressee.
    contact = Contact.objects.filter(pk=offer.contact_id, company_id=deal.company_id).first() \
        if offer.contact_id else None
    new = Offer(reference=offer.reference, version_number=number, previous=offer, deal=deal,
                company=deal.company, contact=contact, owner=owner, team_id=team_id,
                title=offer.title, language=offer.language, currency=offer.currency,
                pricing_date=today, valid_until=today + dt.timedelta(days=min(validity, MAX_VALIDITY_DAYS)),
                introduction=offer.introduction, terms=offer.terms, status=OfferStatus.DRAFT,
                created_by=actor)
    requests = requests_of(offer)
    errors: dict[str, list[str]] = {}
    priced = _priced(new, requests, errors)
    if errors or priced is None:
        raise ValidationFailed(_("A line can no longer be priced as it was; the new version was "
                                 "not made."), fields=errors)
    apply_totals(new, priced)
    requested = approval.evaluate(new, needs_approval=priced.needs_approval)
    status_before = offer.status
    offer.status = OfferStatus.SUPERSEDED
    bump_version(offer, expected_version=None, fields=["status"])
    new.save()
    write_lines(new, priced, requests)
    audit(actor, AuditEntry.Action.UPDATE, offer, {"status": [status_before, offer.status]})
    after = snapshot(new, AUDITED_FIELDS)
    audit(actor, AuditEntry.Action.CREATE, new,
          {**{k: [None, v] for k, v in after.items() if v not in (None, "", [])},
           "previous": [None, str(offer)], "lines": [None, lines_summary(requests)]})
    if requested:
        approval.notify_on_commit(new)
    return new


# --- following the deal --------------------------------------------------------------------------

OPEN_STATUSES = (OfferStatus.DRAFT, OfferStatus.SENT)


def offers_follow_deal(*, actor, deal: Deal) -> list[Offer]:
    """Give the deal's open offers (drafts and sent ones) the deal's owner and team after it was
    reassigned (called by sales.services.deal_update, in its transaction): who may change them
    and who approves their discounts follow the deal. A pending approval request goes to the new
    approvers. Decided and replaced versions keep who made them."""
    deal = Deal.all_objects.select_related("owner").get(pk=deal.pk)
    moved = []
    for offer in (Offer.objects.select_for_update().filter(deal_id=deal.pk, status__in=OPEN_STATUSES)
                  .order_by("pk")):
        owner, team_id = _assignment(deal, offer.owner)
        owner_id = getattr(owner, "pk", None)
        if (offer.owner_id, offer.team_id) == (owner_id, team_id):
            continue
        before = snapshot(offer, ["owner", "team"])
        offer.owner, offer.team_id = owner, team_id
        bump_version(offer, expected_version=None, fields=["owner_id", "team_id"])
        audit(actor, AuditEntry.Action.UPDATE, offer, diff(before, snapshot(offer, ["owner", "team"])))
        if offer.approval_status == ApprovalStatus.PENDING:
            approval.notify_on_commit(offer)
        moved.append(offer)
    return moved


# --- delete --------------------------------------------------------------------------------------

def _status_before_superseded(offer: Offer) -> str:
    if offer.rejection_reason_id:
        return OfferStatus.REJECTED
    return OfferStatus.SENT if offer.sent_at else OfferStatus.DRAFT


@transaction.atomic
def offer_delete(*, actor, offer: Offer) -> Offer:
    """Move a draft to the trash (soft). A deleted new version gives its place back: the version
    before it is current again, as it was."""
    offer = locked(actor, offer, change=False)
    if not can_delete(actor, offer):
        raise PermissionDenied()
    if offer.status != OfferStatus.DRAFT:
        raise OfferStateError(_("Only a draft can be deleted; a sent offer stays on record."))
    previous = None
    if offer.previous_id:
        previous = Offer.objects.select_for_update().filter(pk=offer.previous_id).first()
    offer.deleted_at = timezone.now()
    offer.deleted_by = actor
    offer.previous = None  # the version before may have a next version again
    bump_version(offer, expected_version=None, fields=["deleted_at", "deleted_by_id", "previous_id"])
    audit(actor, AuditEntry.Action.DELETE, offer, {})
    if previous is not None and previous.status == OfferStatus.SUPERSEDED:
        previous.status = _status_before_superseded(previous)
        bump_version(previous, expected_version=None, fields=["status"])
        audit(actor, AuditEntry.Action.UPDATE, previous,
              {"status": [OfferStatus.SUPERSEDED.value, previous.status]})
    return offer
