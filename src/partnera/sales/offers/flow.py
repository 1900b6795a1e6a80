"""An offer's way to the client and back: draft → sent → accepted | rejected.

Sending waits for the head of sales while a discount is pending (or was declined). The client
accepts a sent offer (or a draft handed over in person, its discount approved) while it is valid;
accepting moves the deal to the next open stage of its pipeline through the deal services, so
the stage's rules apply. A rule that refuses the move does not undo the acceptance: the caller
is told why the deal stayed where it is. A rejection needs a reason from the managed list.

A deal has at most one accepted offer. The offers of a closed deal are kept as they are: a lost
deal is reopened before an offer is sent or accepted; on a won deal the client's acceptance is
recorded (the contract is made from it) and the deal stays won.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from partnera.core import cleaning
from partnera.core.errors import DomainError, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.records import bump_version
from partnera.sales.models import (
    ApprovalStatus,
    Deal,
    Offer,
    OfferStatus,
    Reason,
    Stage,
    StageOutcome,
)
from partnera.sales.offers.common import (
    ApprovalRequired,
    OfferStateError,
    audit,
    check_not_expired,
    locked,
    require_open_deal_of,
)
from partnera.sales.services import deal_move_stage


def _require_approval_settled(offer: Offer, *, sending: bool) -> None:
    if offer.approval_status == ApprovalStatus.PENDING:
        raise ApprovalRequired(
            _("The discount waits for the head of sales; the offer can be sent once it is approved.")
            if sending else
            _("The discount waits for the head of sales; the offer can be accepted once it is "
              "approved."))
    if offer.approval_status == ApprovalStatus.DECLINED:
        raise ApprovalRequired(
            _("The head of sales declined the discount. Change the lines (a lower discount, or "
              "ask again) before sending the offer.")
            if sending else
            _("The head of sales declined the discount. Change the lines (a lower discount, or "
              "ask again) before the client accepts the offer."))


def _require_lines(offer: Offer) -> None:
    if not offer.lines.exists():
        raise ValidationFailed(fields={"lines": [_("An offer needs at least one line.")]})


@transaction.atomic
def offer_send(*, actor, offer: Offer) -> Offer:
    """Mark a draft as sent to the client: from now on it is read-only (a change is a new
    version). Refused while its discount waits for approval or was declined, and once expired."""
    offer = locked(actor, offer)
    if offer.status != OfferStatus.DRAFT:
        raise OfferStateError(_("Only a draft can be sent; this offer is “%(status)s”.")
                              % {"status": offer.get_status_display()})
    require_open_deal_of(offer)
    _require_approval_settled(offer, sending=True)
    check_not_expired(offer, _("This offer expired on %(date)s; change its validity before "
                               "sending it."))
    _require_lines(offer)
    offer.status = OfferStatus.SENT
    offer.sent_at = timezone.now()
    bump_version(offer, expected_version=None, fields=["status", "sent_at"])
    audit(actor, AuditEntry.Action.UPDATE, offer, {"status": [OfferStatus.DRAFT.value, offer.status]})
    return offer


@dataclass
class DealMove:
    """What accepting an offer did to its deal."""

    moved: bool
    stage: Stage | None = None  # where it moved (or where it was meant to move)
    message: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Acceptance:
    offer: Offer
    deal_move: DealMove


def next_open_stage(deal: Deal) -> Stage | None:
    """The active open stage after the deal's current one in its pipeline."""
    current = deal.stage
    return (Stage.objects.filter(pipeline_id=deal.pipeline_id, active=True, outcome=StageOutcome.OPEN)
            .filter(Q(position__gt=current.position) | Q(position=current.position, pk__gt=current.pk))
            .order_by("position", "pk").first())


def _move_deal_forward(actor, deal_id: int) -> DealMove:
    deal = Deal.objects.select_related("stage", "pipeline").filter(pk=deal_id).first()
    if deal is None:
        return DealMove(False, message=_("The deal is no longer there."))
    if deal.status != StageOutcome.OPEN:
        return DealMove(False, deal.stage, _("The deal is already closed (“%(stage)s”); it stays "
                                             "there.") % {"stage": deal.stage.name})
    target = next_open_stage(deal)
    if target is None:
        return DealMove(False, deal.stage, _("The deal is in the last open stage of its pipeline "
                                             "(“%(stage)s”); it stays there.") % {"stage": deal.stage.name})
    try:
        with transaction.atomic():  # a savepoint: a refused move leaves the acceptance standing
            deal_move_stage(actor=actor, deal=deal, stage=target)
    except DomainError as exc:
        reasons = [m for messages in exc.fields.values() for m in messages] or [exc.message]
        return DealMove(False, target, _("The deal could not move to “%(stage)s”: %(why)s")
                        % {"stage": target.name, "why": " ".join(reasons)}, exc.fields)
    return DealMove(True, target, _("The deal moved to “%(stage)s”.") % {"stage": target.name})


def _require_acceptable_deal(deal: Deal, offer: Offer) -> None:
    """One accepted offer per deal; a lost deal is reopened before an acceptance is recorded (a
    won deal records it and stays won)."""
    if deal.status == StageOutcome.LOST:
        raise OfferStateError(_("This deal was lost. Reopen it before recording that the client "
                                "accepted an offer."))
    accepted = (Offer.objects.filter(deal_id=deal.pk, status=OfferStatus.ACCEPTED)
                .exclude(pk=offer.pk).first())
    if accepted is not None:
        raise OfferStateError(_("The client already accepted %(offer)s of this deal; a deal has one "
                                "accepted offer. Make a new deal for more.") % {"offer": str(accepted)})


@transaction.atomic
def offer_accept(*, actor, offer: Offer) -> Acceptance:
    """Record the client's acceptance and move the deal forward (see the module's note). Refused
    while another offer of the deal stands accepted, and on a lost deal."""
    # The deal first (then the offer): acceptances of the deal's offers run one after the other,
    # in the order deal_update → offers_follow_deal takes the same rows.
    deal = Deal.all_objects.select_for_update().filter(pk=offer.deal_id).first()
    offer = locked(actor, offer)
    if offer.status not in (OfferStatus.SENT, OfferStatus.DRAFT):
        raise OfferStateError(_("This offer is “%(status)s”; only an offer sent to the client (or a "
                                "draft) can be accepted.") % {"status": offer.get_status_display()})
    if deal is not None:
        _require_acceptable_deal(deal, offer)
    if offer.status == OfferStatus.DRAFT:
        _require_approval_settled(offer, sending=False)
    check_not_expired(offer)
    _require_lines(offer)
    before = offer.status
    offer.status = OfferStatus.ACCEPTED
    offer.decided_at = timezone.now()
    bump_version(offer, expected_version=None, fields=["status", "decided_at"])
    audit(actor, AuditEntry.Action.UPDATE, offer, {"status": [before, offer.status]})
    return Acceptance(offer=offer, deal_move=_move_deal_forward(actor, offer.deal_id))


def _reason(value: Any) -> Reason | None:
    if value in (None, ""):
        return None
    if isinstance(value, Reason):
        value = value.pk
    try:
        return Reason.objects.get(pk=int(value), kind=Reason.Kind.OFFER_REJECTED, active=True)
    except (Reason.DoesNotExist, TypeError, ValueError, OverflowError):
        raise ValidationFailed(fields={"reason": [_("Choose a reason from the list.")]}) from None


@transaction.atomic
def offer_reject(*, actor, offer: Offer, reason: Reason | int | str | None, comment: str = "") -> Offer:
    """Record that the client rejected the offer, why (a reason from the managed list) and what
    they said."""
    offer = locked(actor, offer)
    if offer.status not in (OfferStatus.SENT, OfferStatus.DRAFT):
        raise OfferStateError(_("This offer is “%(status)s”; only an offer sent to the client (or a "
                                "draft) can be rejected.") % {"status": offer.get_status_display()})
    errors: dict[str, list[str]] = {}
    try:
        chosen = _reason(reason)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        chosen = None
    else:
        if chosen is None:
            errors["reason"] = [_("Choose why the client rejected the offer.")]
    try:
        text = cleaning.bounded_text(2000)(comment)
    except ValidationError as exc:
        errors["comment"] = exc.messages
        text = ""
    if errors:
        raise ValidationFailed(fields=errors)
    before = offer.status
    offer.status = OfferStatus.REJECTED
    offer.decided_at = timezone.now()
    offer.rejection_reason = chosen
    offer.decision_comment = text
    bump_version(offer, expected_version=None,
                 fields=["status", "decided_at", "rejection_reason_id", "decision_comment"])
    audit(actor, AuditEntry.Action.UPDATE, offer,
          {"status": [before, offer.status], "rejection_reason": [None, str(chosen)],
           **({"decision_comment": [None, text]} if text else {})})
    return offer
