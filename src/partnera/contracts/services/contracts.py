"""Writes to contracts: create (from scratch or from an accepted offer), change the terms (every
change kept as a version), delete and restore a draft."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from partnera.clients.models import Company, Contact
from partnera.contracts.errors import OfferNotAccepted, TermsLocked
from partnera.contracts.models import Contract, ContractStatus, ContractType
from partnera.contracts.permissions import (
    DELETABLE,
    may_create_contracts,
    may_delete_contract,
)
from partnera.contracts.selectors import contract_rule_q
from partnera.contracts.services.common import (
    audit,
    currency,
    days,
    lock,
    note_text,
    require_change,
    require_visible,
    restored_on_error,
)
from partnera.contracts.versions import TERMS_FIELDS, terms_of, version_save
from partnera.core import cleaning
from partnera.core.audit import diff, snapshot
from partnera.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.money import to_eur
from partnera.core.records import bump_version
from partnera.core.sequences import yearly_reference
from partnera.core.visibility import can_assign, visible_q
from partnera.sales.models import Deal, Offer, OfferStatus
from partnera.sales.selectors import deal_visible_q

# Terms first (what is negotiated), then who and what the contract is about.
CONTRACT_FIELDS = [
    *TERMS_FIELDS, "contract_type", "company", "signatory", "deal", "owner", "team", "language",
]
EDITABLE_FIELDS = [f for f in CONTRACT_FIELDS if f != "company"]
AUDITED_FIELDS = [*CONTRACT_FIELDS, "number", "offer", "status", "signed_on", "ended_on",
                  "termination_reason"]
# Still being negotiated: the terms and the type change freely, each change a new version.
NEGOTIABLE = (ContractStatus.DRAFT, ContractStatus.NEGOTIATION)
# In force: the terms change only by an annex, which the change must name.
IN_FORCE = (ContractStatus.SIGNED, ContractStatus.ACTIVE)
ENDED = (ContractStatus.FULFILLED, ContractStatus.TERMINATED, ContractStatus.EXPIRED)
NUMBER_SERIES = "contract"


def _type_ref(value: Any) -> ContractType:
    if isinstance(value, ContractType):
        if value.active:
            return value
        value = value.pk
    try:
        return ContractType.objects.get(pk=int(value), active=True)
    except (ContractType.DoesNotExist, TypeError, ValueError, OverflowError):
        raise ValidationError(_("Choose an active contract type."), code="invalid_choice") from None


def _cleaners(actor) -> dict:
    contacts = Q(company__deleted_at__isnull=True) & visible_q(actor, root="company__")
    return {
        "contract_type": _type_ref,
        "company": cleaning.visible_ref(Company, visible_q(actor), _("Choose a client you can see.")),
        "signatory": cleaning.visible_ref(Contact, contacts, _("Choose a contact of the client.")),
        "deal": cleaning.visible_ref(Deal, deal_visible_q(actor), _("Choose a deal you can see.")),
        "owner": cleaning.user_ref,
        "team": cleaning.team_ref,
        "start_date": cleaning.optional_date,
        "end_date": cleaning.optional_date,
        "notice_days": lambda v: days(v, default=30),
        "auto_renew": cleaning.boolean,
        "value": cleaning.optional_money,
        "currency": currency,
        "payment_days": cleaning.optional_int,
        "payment_terms": cleaning.bounded_text(4000),
        "special_conditions": cleaning.bounded_text(8000),
    }


def _check_consistency(contract: Contract, errors: dict[str, list[str]]) -> None:
    if (contract.start_date and contract.end_date and "end_date" not in errors
            and contract.end_date < contract.start_date):
        errors["end_date"] = [_("The end cannot be before the start.")]
    signatory, deal = contract.signatory, contract.deal
    if "signatory" not in errors and signatory is not None and contract.company_id and (
            signatory.company_id != contract.company_id):
        errors["signatory"] = [_("Choose a contact of the client.")]
    if "deal" not in errors and deal is not None and contract.company_id and (
            deal.company_id != contract.company_id):
        errors["deal"] = [_("Choose a deal with this client.")]
    if (contract.start_date and contract.end_date and not {"end_date", "notice_days"} & set(errors)
            and contract.notice_days > (contract.end_date - contract.start_date).days):
        errors["notice_days"] = [_("The notice period is longer than the contract runs.")]


def _keep_derived(contract: Contract) -> None:
    """The fields lists and panels read: the value in euro and the last day to give notice."""
    contract.value_eur = to_eur(contract.value, contract.currency) if contract.value is not None \
        else None
    contract.notice_date = (contract.end_date - dt.timedelta(days=contract.notice_days)
                            if contract.end_date else None)


def _check_assignment(actor, contract: Contract, errors: dict, *, owner_id, team_id) -> None:
    """Handing a contract to someone else (or another team) is for a head of sales or an admin."""
    if can_assign(actor):
        return
    if "owner" not in errors and contract.owner_id != owner_id:
        errors["owner"] = [_("Only a head of sales or an administrator assigns contracts to "
                             "someone else.")]
    if "team" not in errors and contract.team_id != team_id:
        errors["team"] = [_("Only a head of sales or an administrator moves contracts between "
                            "teams.")]


def offer_for_contract(*, actor, offer: Offer | int, lock_offer: bool = False) -> Offer:
    """The accepted offer a contract is made from: one whose deal the actor may see (else
    NotFound), accepted (else OfferNotAccepted with its status), with no live contract yet (else
    Conflict). `lock_offer` (inside the transaction that makes the contract): the offer's row is
    locked first, so two people making a contract from one offer at once get one contract."""
    pk = offer.pk if isinstance(offer, Offer) else offer
    try:
        found = (Offer.objects.select_related("company", "deal")
                 .filter(deal__in=Deal.objects.filter(deal_visible_q(actor)).values("pk"))
                 .get(pk=int(pk)))
    except (Offer.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None
    if lock_offer:
        found.status = (Offer.objects.select_for_update().filter(pk=found.pk)
                        .values_list("status", flat=True).first() or found.status)
    if found.status != OfferStatus.ACCEPTED:
        raise OfferNotAccepted(
            _("Offer %(offer)s is “%(status)s”: a contract is made from an accepted offer only. "
              "Record the client's acceptance on the offer first.")
            % {"offer": str(found), "status": found.get_status_display()},
            fields={"offer": [_("Choose an accepted offer.")]})
    existing = Contract.objects.filter(offer=found).first()
    if existing is not None:
        raise Conflict(_("Contract %(number)s was already made from offer %(offer)s.")
                       % {"number": existing.number, "offer": str(found)})
    return found


def prefill_from_offer(offer: Offer) -> dict[str, Any]:
    """What a contract made from the offer starts with (the form shows it; the service applies it
    under whatever the caller sends)."""
    return {"company": offer.company, "deal": offer.deal, "value": offer.net_total,
            "currency": offer.currency, "language": offer.language, "title": offer.title,
            "signatory": offer.contact}


@transaction.atomic
def contract_create(*, actor, data: dict, offer: Offer | int | None = None) -> Contract:
    """A new draft contract for a client the actor can see, numbered in this year's series
    ("2026-0001"). From an offer: its client, deal, value (the net total), currency, language and
    title, unless `data` says otherwise (the client stays the offer's). The first version of its
    terms is kept."""
    if not may_create_contracts(actor):
        raise PermissionDenied()
    payload: dict[str, Any] = {"owner": actor, "team": getattr(actor, "team", None), **data}
    source = None
    if offer is not None:
        source = offer_for_contract(actor=actor, offer=offer, lock_offer=True)
        company_given = payload.get("company")
        if company_given not in (None, "") and str(getattr(company_given, "pk", company_given)) \
                != str(source.company_id):
            raise ValidationFailed(fields={"company": [_("A contract from an offer is with the "
                                                         "offer's client.")]})
        prefill = prefill_from_offer(source)
        if source.contact_id and source.contact and source.contact.deleted_at is not None:
            prefill.pop("signatory")
        payload = {**prefill, **{k: v for k, v in payload.items() if v not in (None, "")},
                   "company": source.company}
    contract = Contract(created_by=actor, offer=source)
    type_given = payload.get("contract_type")
    if "notice_days" not in payload or payload["notice_days"] in (None, ""):
        with contextlib.suppress(ValidationError):  # the type's own error comes below
            payload["notice_days"] = _type_ref(type_given).default_notice_days
    errors = cleaning.clean_into(contract, {**payload, "number": "-"},
                                 [*CONTRACT_FIELDS, "number"], _cleaners(actor))
    if "company" not in payload or payload["company"] in (None, ""):
        errors.setdefault("company", [_("Choose a client you can see.")])
    if "contract_type" not in payload or payload["contract_type"] in (None, ""):
        errors.setdefault("contract_type", [_("Choose an active contract type.")])
    _check_consistency(contract, errors)
    _check_assignment(actor, contract, errors, owner_id=actor.pk,
                      team_id=getattr(actor, "team_id", None))
    if errors:
        raise ValidationFailed(fields=errors)
    _keep_derived(contract)
    contract.number = yearly_reference("", NUMBER_SERIES, timezone.localdate().year)
    contract.status = ContractStatus.DRAFT
    contract.save()
    version_save(contract, actor=actor,
                 note=_("Made from offer %(offer)s") % {"offer": str(source)} if source
                 else _("First version"))
    after = snapshot(contract, AUDITED_FIELDS)
    audit(actor, AuditEntry.Action.CREATE, contract, contract,
          {k: [None, v] for k, v in after.items() if v not in (None, "", False)})
    return contract


@transaction.atomic
def contract_update(*, actor, contract: Contract, data: dict, expected_version: int | None,
                    note: str = "") -> Contract:
    """Change the fields in `data` (not the client, the status or the number).

    While the contract is a draft or in negotiation its terms change freely; a signed or active
    contract's terms change only by an annex, which `note` must name ("Annex 2: new prices").
    Every change of the terms is kept as a new version. An ended contract does not change.
    """
    require_change(actor, contract)
    lock(contract, expected_version)
    with restored_on_error(contract):
        return _update(actor, contract, data, note)


def _update(actor, contract: Contract, data: dict, note: str) -> Contract:
    if contract.status in ENDED:
        raise TermsLocked(_("A contract that is %(status)s does not change any more.")
                          % {"status": contract.get_status_display().lower()})
    note = note_text(note)
    before = snapshot(contract, AUDITED_FIELDS)
    terms_before = terms_of(contract)
    owner_before, team_before, type_before = contract.owner_id, contract.team_id, \
        contract.contract_type_id
    errors = cleaning.clean_into(contract, data, EDITABLE_FIELDS, _cleaners(actor))
    if "company" in data and str(getattr(data["company"], "pk", data["company"])) != str(
            contract.company_id):
        errors["company"] = [_("The client of a contract does not change; make a new contract.")]
    if contract.contract_type_id != type_before and contract.status not in NEGOTIABLE:
        errors["contract_type"] = [_("The type of a signed contract does not change.")]
    _check_consistency(contract, errors)
    _check_assignment(actor, contract, errors, owner_id=owner_before, team_id=team_before)
    terms_changed = terms_of(contract) != terms_before
    if terms_changed and contract.status in IN_FORCE and not note and not errors:
        raise TermsLocked(
            _("The contract is signed: its terms change only by an annex. Say which annex in "
              "“what changed” (e.g. “Annex 2: new prices”) and upload it with the documents."),
            fields={"note": [_("Name the annex that changes the terms.")]})
    if errors:
        raise ValidationFailed(fields=errors)
    _keep_derived(contract)
    columns = {f.name: f.attname for f in contract._meta.concrete_fields}
    bump_version(contract, expected_version=None,
                 fields=[columns[f] for f in EDITABLE_FIELDS] + ["value_eur", "notice_date"])
    if terms_changed:
        version_save(contract, actor=actor, note=note)
    changes = diff(before, snapshot(contract, AUDITED_FIELDS))
    if changes:
        audit(actor, AuditEntry.Action.UPDATE, contract, contract, changes)
    return contract


@transaction.atomic
def contract_delete(*, actor, contract: Contract) -> Contract:
    """A draft or a contract in negotiation goes to the trash (restorable); a signed contract
    ends by termination instead."""
    require_visible(actor, contract)
    lock(contract)
    if contract.status not in DELETABLE:
        raise ValidationFailed(_("A signed contract is not deleted: terminate it instead."))
    if not may_delete_contract(actor, contract):
        raise PermissionDenied()
    if contract.deleted_at is None:
        contract.deleted_at = timezone.now()
        contract.deleted_by = actor
        bump_version(contract, expected_version=None, fields=["deleted_at", "deleted_by_id"])
        audit(actor, AuditEntry.Action.DELETE, contract, contract)
    return contract


@transaction.atomic
def contract_restore(*, actor, contract: Contract) -> Contract:
    if not Contract.all_objects.filter(contract_rule_q(actor), pk=contract.pk).exists():
        raise NotFound()
    if not may_delete_contract(actor, contract):
        raise PermissionDenied()
    if contract.company.deleted_at is not None:
        raise ValidationFailed(_("Restore the client first."))
    if contract.offer_id is not None:
        # One live contract per offer: the row lock makes a restore and a new contract from the
        # same offer run one after the other.
        Offer.objects.select_for_update().filter(pk=contract.offer_id).values_list("pk").first()
        other = Contract.objects.filter(offer_id=contract.offer_id).exclude(pk=contract.pk).first()
        if other is not None:
            raise Conflict(_("Contract %(number)s was made from the same offer since; only one "
                             "contract is made from an offer.") % {"number": other.number})
    if contract.deleted_at is not None:
        contract.deleted_at = None
        contract.deleted_by = None
        bump_version(contract, expected_version=None, fields=["deleted_at", "deleted_by_id"])
        audit(actor, AuditEntry.Action.RESTORE, contract, contract)
    return contract
