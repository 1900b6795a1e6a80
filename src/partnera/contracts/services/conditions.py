"""What a contract agrees beside its text: the pricing conditions that feed the pricing engine for
the client (catalog.PricingRule of kind "special", linked to the contract, in force only while the
contract is signed or active), and referral clauses (who referred the client, the agreed reward)
that the marketing domain settles.

The pricing conditions are part of the contract's terms, and follow the same two rules as the
money a manager may give away on an offer or an order:

- **The discount limit.** A condition beyond the pricing policy's limit
  (catalog.pricing.pricing_policy().max_manual_discount, 10 % by default) — a discount above
  it, or a fixed unit price more than that below the product's list price for the client — is
  granted only by the head of sales heading the contract (its team's or its owner's team's; any
  head of sales when nobody heads it) or an administrator. Anyone else who may change the
  contract gets ApprovalRequired (403, `approval_required`) naming who must do it, and nothing
  changes. A fixed price for a whole product line, category or the catalog, or for a product no
  price list prices, cannot be judged against one list price and counts as beyond the limit.
  Changing such a condition (anything but its name) needs the same person; removing one does
  not.
- **The annex.** Once the contract is signed or active, adding, changing or removing a condition
  changes the signed terms: like `contract_update`, it needs a `note` naming the annex
  ("Annex 2: new prices"), else TermsLocked (400, `terms_locked`) and nothing changes. While
  the contract is a draft or in negotiation the note is optional.

Every change of a condition (a rename aside) is kept as a new ContractVersion whose terms hold the
conditions (contracts.versions.CONDITIONS_KEY), so the differences between two versions show the
conditions added, changed and removed. An ended contract's conditions do not change. Every write
locks the contract's row first.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Field, Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from partnera.catalog.models import Category, PricingRule, Product, ProductLine, RuleKind
from partnera.catalog.pricing import LineRequest, PricingError, price_document, pricing_policy
from partnera.clients.models import Company, Contact
from partnera.contracts.errors import ApprovalRequired, TermsLocked
from partnera.contracts.models import Contract, ReferralClause
from partnera.contracts.permissions import condition_approvers, may_grant_beyond_limit
from partnera.contracts.selectors import IN_FORCE
from partnera.contracts.services.common import (
    audit,
    currency,
    lock,
    note_text,
    require_change,
    restored_on_error,
)
from partnera.contracts.services.contracts import ENDED
from partnera.contracts.versions import version_save
from partnera.core import cleaning
from partnera.core.audit import diff, snapshot
from partnera.core.errors import NotFound, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.visibility import visible_q

HUNDRED = Decimal("100")
CONDITION_FIELDS = ["name", "product", "line", "category", "discount_percent", "fixed_price",
                    "currency", "valid_from", "valid_to"]
# What a condition grants: changing any of these is judged against the limit again.
PRICING_FIELDS = [f for f in CONDITION_FIELDS if f != "name"]
REFERRAL_FIELDS = ["referrer_company", "referrer_contact", "reward", "reward_amount", "currency"]


def _ref(model, message: str, **conditions):
    def clean(value: Any):
        if value in (None, ""):
            return None
        try:
            return model.objects.get(pk=int(getattr(value, "pk", value)), **conditions)
        except (model.DoesNotExist, TypeError, ValueError, OverflowError):
            raise ValidationError(message, code="invalid_choice") from None
    return clean


def _percent(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ".")) if not isinstance(value, bool) \
            else None
    except ArithmeticError:
        number = None
    if (number is None or not number.is_finite() or number <= 0 or number > HUNDRED
            or number.as_tuple().exponent < -2):  # type: ignore[operator]
        raise ValidationError(_("A discount is a percentage above 0 and up to 100, with up to two "
                                "decimals."), code="invalid")
    return number


def _unit_price(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        price = Decimal(str(value).strip().replace(" ", "").replace(",", ".")) \
            if not isinstance(value, bool) else None
    except ArithmeticError:
        price = None
    if (price is None or not price.is_finite() or price < 0 or price >= Decimal("1e10")
            or price.as_tuple().exponent < -4):  # type: ignore[operator]
        raise ValidationError(_("Enter a unit price of 0 or more, with up to four decimals."),
                              code="invalid")
    return price


CONDITION_CLEANERS = {
    "name": cleaning.bounded_text(150),
    "product": _ref(Product, _("Choose an active product."), active=True, deleted_at__isnull=True),
    "line": _ref(ProductLine, _("Choose a product line."), active=True),
    "category": _ref(Category, _("Choose a category."), active=True),
    "discount_percent": _percent,
    "fixed_price": _unit_price,
    "currency": currency,
    "valid_from": cleaning.optional_date,
    "valid_to": cleaning.optional_date,
}


def _columns(obj: Model, names: list[str]) -> list[str]:
    return [cast(Field, obj._meta.get_field(name)).attname for name in names]


def _contract_of(rule: PricingRule) -> Contract:
    if rule.contract is None:  # a rule of the catalog, not of a contract
        raise NotFound()
    return rule.contract


def _refuse_ended(contract: Contract) -> None:
    if contract.status in ENDED:
        raise ValidationFailed(_("The contract has ended: its conditions do not change any more."))


def _default_name(contract: Contract, rule: PricingRule) -> str:
    scope = rule.product or rule.category or rule.line
    what = (f"{rule.discount_percent} %" if rule.discount_percent is not None
            else f"{rule.fixed_price} {rule.currency}")
    name = f"{contract.number} · {what}" + (f" · {scope}" if scope else "")
    return name[:150]


def _clean_condition(contract: Contract, rule: PricingRule, data: dict) -> None:
    named = bool(data.get("name")) if "name" in data else bool(rule.name)
    if not named:  # named after what it grants once that is known
        data = {**data, "name": "-"}
    errors = cleaning.clean_into(rule, data, CONDITION_FIELDS, CONDITION_CLEANERS)
    if not errors:
        if rule.discount_percent is None and rule.fixed_price is None:
            errors["discount_percent"] = [_("Give a discount or a fixed unit price.")]
        elif rule.discount_percent is not None and rule.fixed_price is not None:
            errors["fixed_price"] = [_("Give a discount or a fixed unit price, not both.")]
        if rule.valid_from and rule.valid_to and rule.valid_to < rule.valid_from:
            errors["valid_to"] = [_("The end cannot be before the start.")]
    if errors:
        raise ValidationFailed(fields=errors)
    if not named:
        rule.name = _default_name(contract, rule)


def _list_price(contract: Contract, rule: PricingRule) -> Decimal | None:
    """The product's list price for the client, in the condition's currency, on the day the
    condition starts (today when it started already); None when no price list prices it."""
    today = timezone.localdate()
    day: dt.date = rule.valid_from if rule.valid_from and rule.valid_from > today else today
    if rule.product_id is None:
        return None
    try:
        priced = price_document(company=contract.company, currency=rule.currency, on_date=day,
                                lines=[LineRequest(product_id=rule.product_id,
                                                   quantity=Decimal("1"))])
    except PricingError:
        return None
    return priced.lines[0].list_price


def _beyond_limit(contract: Contract, rule: PricingRule) -> tuple[str, str] | None:
    """(field, why) when the condition goes beyond the pricing policy's limit, else None."""
    limit = pricing_policy().max_manual_discount
    shown = f"{limit.normalize():f}"
    if rule.discount_percent is not None:
        if rule.discount_percent > limit:
            return "discount_percent", _("A discount above %(limit)s %%") % {"limit": shown}
        return None
    if rule.fixed_price is None:
        return None
    if rule.product_id is None:
        return "fixed_price", _("A fixed price for more than one product")
    list_price = _list_price(contract, rule)
    if list_price is None:
        return "fixed_price", _("A fixed price for a product no price list prices")
    if rule.fixed_price < list_price * (HUNDRED - limit) / HUNDRED:
        return "fixed_price", (_("A fixed price more than %(limit)s %% below the list price "
                                 "(%(price)s %(currency)s)")
                               % {"limit": shown, "price": f"{list_price:f}",
                                  "currency": rule.currency})
    return None


def _require_approval(actor, contract: Contract, rule: PricingRule) -> None:
    beyond = _beyond_limit(contract, rule)
    if beyond is None or may_grant_beyond_limit(actor, contract):
        return
    field, what = beyond
    heads = [str(head) for head in condition_approvers(contract)]
    if heads:
        message = _("%(what)s needs the approval of the head of sales over this contract: "
                    "%(heads)s or an administrator must add or change it.") % {
            "what": what, "heads": ", ".join(heads)}
    else:
        message = _("%(what)s needs the approval of a head of sales: a head of sales or an "
                    "administrator must add or change it.") % {"what": what}
    raise ApprovalRequired(message, fields={field: [message]})


def _require_annex(contract: Contract, note: str) -> None:
    if contract.status in IN_FORCE and not note:
        raise TermsLocked(
            _("The contract is signed: its pricing conditions change only by an annex. Say which "
              "annex in “what changed” (e.g. “Annex 2: new prices”) and upload it with the "
              "documents."),
            fields={"note": [_("Name the annex that changes the pricing conditions.")]})


def _keep_version(actor, contract: Contract, note: str, default: str) -> None:
    version_save(contract, actor=actor, note=note or default)


@transaction.atomic
def pricing_condition_create(*, actor, contract: Contract, data: dict,
                             note: Any = "") -> PricingRule:
    """A special condition for the contract's client (a discount or a fixed unit price, for the
    whole catalog or a product, line or category). It prices the client's offers and orders
    while the contract is signed or active. Beyond the discount limit: the head of sales or an
    administrator only; on a signed or active contract: with `note` naming the annex."""
    require_change(actor, contract)
    lock(contract)
    _refuse_ended(contract)
    note = note_text(note)
    rule = PricingRule(kind=RuleKind.SPECIAL_CONDITION, company=contract.company,
                       contract=contract, created_by=actor, active=contract.status in IN_FORCE)
    _clean_condition(contract, rule, data)
    _require_annex(contract, note)
    _require_approval(actor, contract, rule)
    rule.save()
    _keep_version(actor, contract, note, _("Pricing condition added: %(name)s")
                  % {"name": rule.name})
    audit(actor, AuditEntry.Action.CREATE, rule, contract,
          {k: [None, v] for k, v in snapshot(rule, CONDITION_FIELDS).items() if v not in (None, "")},
          object_repr=f"{contract.number}: {rule.name}")
    return rule


@transaction.atomic
def pricing_condition_update(*, actor, rule: PricingRule, data: dict,
                             note: Any = "") -> PricingRule:
    """Change the condition's fields in `data`, under the same rules as adding it (a rename
    alone needs no annex and keeps no version)."""
    contract = _contract_of(rule)
    require_change(actor, contract)
    lock(contract)
    _refuse_ended(contract)
    note = note_text(note)
    before = snapshot(rule, CONDITION_FIELDS)
    with restored_on_error(rule):
        _clean_condition(contract, rule, {k: v for k, v in data.items() if k in CONDITION_FIELDS})
        changes = diff(before, snapshot(rule, CONDITION_FIELDS))
        grants_changed = bool(set(changes) & set(PRICING_FIELDS))
        if grants_changed:
            _require_annex(contract, note)
            _require_approval(actor, contract, rule)
    if not changes:
        return rule
    rule.save(update_fields=_columns(rule, CONDITION_FIELDS))
    PricingRule.objects.filter(pk=rule.pk).update(version=F("version") + 1)
    if grants_changed:
        _keep_version(actor, contract, note, _("Pricing condition changed: %(name)s")
                      % {"name": rule.name})
    audit(actor, AuditEntry.Action.UPDATE, rule, contract, changes,
          object_repr=f"{contract.number}: {rule.name}")
    return rule


@transaction.atomic
def pricing_condition_delete(*, actor, rule: PricingRule, note: Any = "") -> None:
    """The condition stops pricing at once; the audit log and the contract's versions keep what
    it was. On a signed or active contract: with `note` naming the annex."""
    contract = _contract_of(rule)
    require_change(actor, contract)
    lock(contract)
    _refuse_ended(contract)
    note = note_text(note)
    _require_annex(contract, note)
    audit(actor, AuditEntry.Action.DELETE, rule, contract, {
        k: [v, None] for k, v in snapshot(rule, CONDITION_FIELDS).items() if v not in (None, "")},
        object_repr=f"{contract.number}: {rule.name}")
    name = rule.name
    rule.delete()
    _keep_version(actor, contract, note, _("Pricing condition removed: %(name)s") % {"name": name})


# --- referral clauses ------------------------------------------------------------------------------

def _referral_cleaners(actor) -> dict:
    contacts = Q(company__deleted_at__isnull=True) & visible_q(actor, root="company__")
    return {
        "referrer_company": cleaning.visible_ref(Company, visible_q(actor),
                                                 _("Choose a client you can see.")),
        "referrer_contact": cleaning.visible_ref(Contact, contacts,
                                                 _("Choose a contact you can see.")),
        "reward": cleaning.bounded_text(300),
        "reward_amount": cleaning.optional_money,
        "currency": currency,
    }


def _clean_referral(actor, contract: Contract, clause: ReferralClause, data: dict) -> None:
    errors = cleaning.clean_into(clause, data, REFERRAL_FIELDS, _referral_cleaners(actor))
    if "reward" not in errors and not clause.reward:
        errors["reward"] = [_("Say what reward was agreed.")]
    if not errors and clause.referrer_company_id is None and clause.referrer_contact_id is None:
        errors["referrer_company"] = [_("Choose who referred the client: a client or a contact.")]
    if not errors and clause.referrer_company_id == contract.company_id:
        errors["referrer_company"] = [_("A client does not refer itself.")]
    contact = clause.referrer_contact
    if (not errors and clause.referrer_company_id and contact is not None
            and contact.company_id != clause.referrer_company_id):
        errors["referrer_contact"] = [_("Choose a contact of the referring client.")]
    if errors:
        raise ValidationFailed(fields=errors)


def _refuse_settled(clause: ReferralClause) -> None:
    if clause.settled_at is not None:
        raise ValidationFailed(_("The reward was settled: the clause does not change any more."))


@transaction.atomic
def referral_create(*, actor, contract: Contract, data: dict) -> ReferralClause:
    require_change(actor, contract)
    clause = ReferralClause(contract=contract)
    _clean_referral(actor, contract, clause, data)
    clause.save()
    audit(actor, AuditEntry.Action.CREATE, clause, contract,
          {k: [None, v] for k, v in snapshot(clause, REFERRAL_FIELDS).items() if v not in (None, "")},
          object_repr=f"{contract.number}: {clause.reward}")
    return clause


@transaction.atomic
def referral_update(*, actor, clause: ReferralClause, data: dict) -> ReferralClause:
    contract = clause.contract
    require_change(actor, contract)
    _refuse_settled(clause)
    before = snapshot(clause, REFERRAL_FIELDS)
    with restored_on_error(clause):
        _clean_referral(actor, contract, clause, data)
    clause.save(update_fields=_columns(clause, REFERRAL_FIELDS))
    changes = diff(before, snapshot(clause, REFERRAL_FIELDS))
    if changes:
        audit(actor, AuditEntry.Action.UPDATE, clause, contract, changes,
              object_repr=f"{contract.number}: {clause.reward}")
    return clause


@transaction.atomic
def referral_delete(*, actor, clause: ReferralClause) -> None:
    contract = clause.contract
    require_change(actor, contract)
    _refuse_settled(clause)
    audit(actor, AuditEntry.Action.DELETE, clause, contract, {
        k: [v, None] for k, v in snapshot(clause, REFERRAL_FIELDS).items() if v not in (None, "")},
        object_repr=f"{contract.number}: {clause.reward}")
    clause.delete()
