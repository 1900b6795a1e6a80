"""The discount approval: a manual discount above the pricing policy's limit
(catalog.PricingPolicy) waits for the head of sales before the offer may be sent or accepted.

Who decides: the active head(s) of sales heading the deal's team or its owner's team, as the deal
stands now (core.visibility.heads_record on the deal: an offer follows its deal when the deal is
reassigned); when no one heads it, every active head of sales who can see the deal; when there is
none, the administrators. A head of sales never decides the discount of an offer they own:
another head, or an administrator, does. An administrator may always decide.

Any repricing (lines, currency, a new version) with a discount above the limit asks again: a new
request, and the approvers are told again; the decision names the offer `version` the approver
read, so lines changed in the meantime are never approved unseen (409 VersionConflict). Only
users who can see the offer are notified.
"""

from __future__ import annotations

import functools

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partnera.clients.models import Company
from partnera.core import cleaning
from partnera.core.errors import PermissionDenied, ValidationFailed, VersionConflict
from partnera.core.models import AuditEntry, RecordShare
from partnera.core.notifications import notify
from partnera.core.records import bump_version
from partnera.core.roles import Role
from partnera.core.visibility import heads_record, is_administrator
from partnera.people.models import User
from partnera.sales.models import ApprovalStatus, Deal, Offer, OfferStatus
from partnera.sales.offers.common import OfferStateError, audit, locked
from partnera.sales.offers.selectors import offer_visible_q

DECISION_FIELDS = ["approval_status", "approval_decided_by_id", "approval_decided_at",
                   "approval_comment"]


def _active_heads() -> Q:
    return Q(is_active=True, role=Role.HEAD_OF_SALES)


def _deal_of(offer: Offer) -> Deal:
    """The offer's deal (as read with the offer when it was, else read now)."""
    field = Offer._meta.get_field("deal")
    deal: Deal | None = field.get_cached_value(offer, None)  # type: ignore[union-attr, assignment]
    if deal is None:
        deal = Deal.all_objects.get(pk=offer.deal_id)
        field.set_cached_value(offer, deal)  # type: ignore[union-attr]
    return deal


def heading_heads(offer: Offer) -> list[User]:
    """The active heads of sales (other than the offer's owner) heading the deal's team or the
    team of the deal's owner, as the deal stands now. One query."""
    deal = _deal_of(offer)
    heading = Q(headed_teams__members__pk=deal.owner_id) if deal.owner_id else Q(pk__in=[])
    if deal.team_id:
        heading |= Q(headed_teams__pk=deal.team_id)
    return list(User.objects.filter(_active_heads()).filter(heading)
                .exclude(pk=offer.owner_id or 0).distinct().order_by("pk"))


def _heads_who_see(deal: Deal) -> Q:
    """The grants of the visibility rule (core.visibility, sales.selectors.deal_rule_q) that can
    let a head of sales who heads neither the deal's team nor its owner's team see the deal: owning
    it or its company, an explicit share, or membership of the deal's team when it shares clients.
    One query for every head instead of one per head."""
    shares = RecordShare.objects.filter(record_type="sales.deal", record_id=deal.pk).values("user_id")
    company_owner = Company.all_objects.filter(pk=deal.company_id).values("owner_id")
    sees = Q(pk=deal.owner_id or 0) | Q(pk__in=shares) | Q(pk__in=company_owner)
    if deal.team_id:
        sees |= Q(team_id=deal.team_id, team__shares_clients=True)
    return sees


def approvers(offer: Offer) -> list[User]:
    """Who is asked to decide (and notified): never the offer's owner unless an administrator."""
    heads = heading_heads(offer)
    if heads:
        return heads
    deal = _deal_of(offer)
    heads = list(User.objects.filter(_active_heads()).filter(_heads_who_see(deal))
                 .exclude(pk=offer.owner_id or 0).distinct().order_by("pk"))
    if heads:
        return heads
    return list(User.objects.filter(Q(role=Role.ADMINISTRATOR) | Q(is_superuser=True),
                                    is_active=True).order_by("pk"))


def may_approve(user, offer: Offer) -> bool:
    """May the user decide this offer's discount (seeing the offer is checked by the services)?
    Not a head of sales who owns it: another head or an administrator decides."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if is_administrator(user):
        return True
    if user.role != Role.HEAD_OF_SALES or user.pk == offer.owner_id:
        return False
    return heads_record(user, _deal_of(offer)) or not heading_heads(offer)


# --- the request ---------------------------------------------------------------------------------

def evaluate(offer: Offer, *, needs_approval: bool) -> bool:
    """Set the offer's approval after any (re)pricing; True when a request opens (the caller
    notifies the approvers on commit). A discount that no longer exceeds the limit needs nothing;
    one above it needs a decision on these prices, even when an earlier one was approved,
    declined or is still waiting (the waiting request is asked again, with the new lines)."""
    offer.approval_decided_by = None
    offer.approval_decided_at = None
    offer.approval_comment = ""
    if not needs_approval:
        offer.approval_status = ApprovalStatus.NOT_NEEDED
        offer.approval_requested_at = None
        return False
    offer.approval_status = ApprovalStatus.PENDING
    offer.approval_requested_at = timezone.now()
    return True


def notify_on_commit(offer: Offer) -> None:
    transaction.on_commit(functools.partial(_tell_approvers, offer.pk))


def _offer_url(offer: Offer) -> str:
    return reverse("sales:offer_detail", args=[offer.pk])


def _sees(user, offer: Offer) -> bool:
    return Offer.objects.filter(offer_visible_q(user), pk=offer.pk).exists()


def _tell_approvers(offer_id: int) -> None:
    offer = Offer.objects.select_related("company", "owner").filter(pk=offer_id).first()
    if offer is None or offer.approval_status != ApprovalStatus.PENDING or not offer.approval_requested_at:
        return
    key = f"offer-approval:{offer.pk}:{offer.approval_requested_at.timestamp():.6f}"
    for user in approvers(offer):
        if not _sees(user, offer):
            continue
        with translation.override(user.language or None):
            notify(user=user, kind="offer_approval",
                   title=_("Discount to approve: %(offer)s for %(company)s")
                   % {"offer": str(offer), "company": offer.company.legal_name},
                   body=_("%(owner)s offers a manual discount above the limit.")
                   % {"owner": str(offer.owner or _("A colleague"))},
                   url=_offer_url(offer), key=key)


def _tell_owner(offer_id: int) -> None:
    offer = Offer.objects.select_related("owner", "approval_decided_by", "company").filter(
        pk=offer_id).first()
    if offer is None or offer.owner is None or not offer.approval_decided_at:
        return
    if (offer.approval_decided_by_id == offer.owner_id or not offer.owner.is_active
            or not _sees(offer.owner, offer)):
        return
    with translation.override(offer.owner.language or None):
        if offer.approval_status == ApprovalStatus.APPROVED:
            title = _("Discount approved: %(offer)s for %(company)s")
        else:
            title = _("Discount declined: %(offer)s for %(company)s")
        notify(user=offer.owner, kind="offer_approval_decided",
               title=title % {"offer": str(offer), "company": offer.company.legal_name},
               body=offer.approval_comment[:500], url=_offer_url(offer),
               key=f"offer-approval-decided:{offer.pk}:{offer.approval_decided_at.timestamp():.6f}")


# --- the decision --------------------------------------------------------------------------------

def _decide(*, actor, offer: Offer, status: str, comment, expected_version: int | None) -> Offer:
    offer = locked(actor, offer, change=False)
    if not may_approve(actor, offer):
        if actor.role == Role.HEAD_OF_SALES and actor.pk == offer.owner_id:
            raise PermissionDenied(_("This offer is yours: another head of sales or an "
                                     "administrator decides its discount."))
        raise PermissionDenied(_("Only the head of sales over this offer or an administrator "
                                 "decides its discount."))
    if offer.status != OfferStatus.DRAFT or offer.approval_status != ApprovalStatus.PENDING:
        raise OfferStateError(_("This offer is not waiting for a discount approval."))
    if expected_version is not None and offer.version != expected_version:
        raise VersionConflict(_("The offer changed since you opened it. Look at its lines again, "
                                "then decide."))
    try:
        text = cleaning.bounded_text(2000)(comment)
    except ValidationError as exc:
        raise ValidationFailed(fields={"comment": exc.messages}) from None
    if status == ApprovalStatus.DECLINED and not text:
        raise ValidationFailed(fields={"comment": [_("Say why the discount is declined.")]})
    before = offer.approval_status
    offer.approval_status = status
    offer.approval_decided_by = actor
    offer.approval_decided_at = timezone.now()
    offer.approval_comment = text
    bump_version(offer, expected_version=None, fields=DECISION_FIELDS)
    audit(actor, AuditEntry.Action.UPDATE, offer,
          {"approval_status": [before, status], **({"approval_comment": [None, text]} if text else {})})
    transaction.on_commit(functools.partial(_tell_owner, offer.pk))
    return offer


@transaction.atomic
def offer_approve(*, actor, offer: Offer, comment: str = "",
                  expected_version: int | None = None) -> Offer:
    """Approve the discount of a draft waiting for it, as of the `expected_version` the approver
    read (a newer one answers VersionConflict: the lines changed meanwhile); the owner is told."""
    return _decide(actor=actor, offer=offer, status=ApprovalStatus.APPROVED, comment=comment,
                   expected_version=expected_version)


@transaction.atomic
def offer_decline(*, actor, offer: Offer, comment: str,
                  expected_version: int | None = None) -> Offer:
    """Decline the discount (a comment says why); the owner changes the lines and asks again."""
    return _decide(actor=actor, offer=offer, status=ApprovalStatus.DECLINED, comment=comment,
                   expected_version=expected_version)
