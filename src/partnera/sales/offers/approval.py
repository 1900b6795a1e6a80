"""The discount approval: a manual discount above the pricing policy's limit
(catalog.PricingPolicy) waits for the head of sales before the offer may be sent or accepted.

Who decides: the active head(s) of sales heading the offer's team or its owner's team
(core.visibility.heads_record); when no one heads it, every active head of sales who can see the
offer; when there is none, the administrators. An administrator may always decide. The approvers
are notified when a request opens (once per request) and the request shows in their "My day";
the owner is notified of the decision.
"""

from __future__ import annotations

import functools

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partnera.core import cleaning
from partnera.core.errors import PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.notifications import notify
from partnera.core.records import bump_version
from partnera.core.roles import Role
from partnera.core.visibility import heads_record, is_administrator
from partnera.people.models import User
from partnera.sales.models import ApprovalStatus, Offer, OfferStatus
from partnera.sales.offers.common import OfferStateError, audit, locked
from partnera.sales.offers.selectors import offer_visible_q

DECISION_FIELDS = ["approval_status", "approval_decided_by_id", "approval_decided_at",
                   "approval_comment"]


def _active_heads() -> Q:
    return Q(is_active=True, role=Role.HEAD_OF_SALES)


def heading_heads(offer: Offer) -> list[User]:
    """The active heads of sales heading the offer's team or its owner's team."""
    teams = {offer.team_id}
    if offer.owner_id:
        teams.add(User.objects.filter(pk=offer.owner_id).values_list("team_id", flat=True).first())
    teams.discard(None)
    if not teams:
        return []
    return list(User.objects.filter(_active_heads(), headed_teams__in=teams).distinct().order_by("pk"))


def approvers(offer: Offer) -> list[User]:
    """Who is asked to decide (and notified)."""
    heads = heading_heads(offer)
    if heads:
        return heads
    heads = [head for head in User.objects.filter(_active_heads()).order_by("pk")
             if Offer.objects.filter(offer_visible_q(head), pk=offer.pk).exists()]
    if heads:
        return heads
    return list(User.objects.filter(Q(role=Role.ADMINISTRATOR) | Q(is_superuser=True),
                                    is_active=True).order_by("pk"))


def may_approve(user, offer: Offer) -> bool:
    """May the user decide this offer's discount (seeing the offer is checked by the services)?"""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if is_administrator(user):
        return True
    if user.role != Role.HEAD_OF_SALES:
        return False
    return heads_record(user, offer) or not heading_heads(offer)


# --- the request ---------------------------------------------------------------------------------

def evaluate(offer: Offer, *, needs_approval: bool, lines_changed: bool) -> bool:
    """Set the offer's approval after (re)pricing; True when a new request opens (the caller
    notifies the approvers on commit). A discount that no longer exceeds the limit needs nothing;
    changed lines above the limit need a new decision, even after an approval."""
    if not needs_approval:
        offer.approval_status = ApprovalStatus.NOT_NEEDED
        offer.approval_requested_at = None
        offer.approval_decided_by = None
        offer.approval_decided_at = None
        offer.approval_comment = ""
        return False
    if offer.approval_status == ApprovalStatus.PENDING or not lines_changed:
        return False
    offer.approval_status = ApprovalStatus.PENDING
    offer.approval_requested_at = timezone.now()
    offer.approval_decided_by = None
    offer.approval_decided_at = None
    offer.approval_comment = ""
    return True


def notify_on_commit(offer: Offer) -> None:
    transaction.on_commit(functools.partial(_tell_approvers, offer.pk))


def _offer_url(offer: Offer) -> str:
    return reverse("sales:offer_detail", args=[offer.pk])


def _tell_approvers(offer_id: int) -> None:
    offer = Offer.objects.select_related("company", "owner").filter(pk=offer_id).first()
    if offer is None or offer.approval_status != ApprovalStatus.PENDING or not offer.approval_requested_at:
        return
    key = f"offer-approval:{offer.pk}:{offer.approval_requested_at.timestamp():.6f}"
    for user in approvers(offer):
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
    if offer.approval_decided_by_id == offer.owner_id or not offer.owner.is_active:
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

def _decide(*, actor, offer: Offer, status: str, comment) -> Offer:
    offer = locked(actor, offer, change=False)
    if not may_approve(actor, offer):
        raise PermissionDenied(_("Only the head of sales over this offer or an administrator "
                                 "decides its discount."))
    if offer.status != OfferStatus.DRAFT or offer.approval_status != ApprovalStatus.PENDING:
        raise OfferStateError(_("This offer is not waiting for a discount approval."))
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
def offer_approve(*, actor, offer: Offer, comment: str = "") -> Offer:
    """Approve the discount of a draft waiting for it; the owner is told."""
    return _decide(actor=actor, offer=offer, status=ApprovalStatus.APPROVED, comment=comment)


@transaction.atomic
def offer_decline(*, actor, offer: Offer, comment: str) -> Offer:
    """Decline the discount (a comment says why); the owner changes the lines and asks again."""
    return _decide(actor=actor, offer=offer, status=ApprovalStatus.DECLINED, comment=comment)
