"""Domain errors of contracts, with stable codes (the API's `code`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from partnera.core.errors import ValidationFailed


class TransitionRefused(ValidationFailed):
    """The contract cannot move to that status (not allowed from its status, or a condition is
    not met: a missing signing date, a required document, an open obligation …)."""

    code = "transition_refused"
    default_message = _("The contract cannot change to this status.")


class TermsLocked(ValidationFailed):
    """The contract's terms may not change in its status (it ended), or only with an annex."""

    code = "terms_locked"
    default_message = _("The terms of this contract can no longer change.")


class OfferNotAccepted(ValidationFailed):
    code = "offer_not_accepted"
    default_message = _("A contract is made from an accepted offer only.")


class ApprovalRequired(ValidationFailed):
    """A pricing condition beyond the pricing policy's limit, asked for by someone who may not
    grant it (contracts.services.conditions): the message names who may."""

    code = "approval_required"
    status = 403
    default_message = _("Only the head of sales over this contract or an administrator may grant "
                        "this condition.")
