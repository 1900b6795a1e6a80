"""What a contract agrees beside its text: the pricing conditions that feed the pricing engine for
the client (catalog.PricingRule of kind "special", linked to the contract, in force only while the
contract is signed or active), and referral clauses (who referred the client, the agreed reward)
that the marketing domain settles."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Field, Model, Q
from django.utils.translation import gettext as _

from partnera.catalog.models import Category, PricingRule, Product, ProductLine, RuleKind
from partnera.clients.models import Company, Contact
from partnera.contracts.models import Contract, ReferralClause
from partnera.contracts.selectors import IN_FORCE
from partnera.contracts.services.common import (
    audit,
    currency,
    require_change,
    restored_on_error,
)
from partnera.contracts.services.contracts import ENDED
from partnera.core import cleaning
from partnera.core.audit import diff, snapshot
from partnera.core.errors import NotFound, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.visibility import visible_q

HUNDRED = Decimal("100")
CONDITION_FIELDS = ["name", "product", "line", "category", "discount_percent", "fixed_price",
                    "currency", "valid_from", "valid_to"]
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


@transaction.atomic
def pricing_condition_create(*, actor, contract: Contract, data: dict) -> PricingRule:
    """A special condition for the contract's client (a discount or a fixed unit price, for the
    whole catalog or a product, line or category). It prices the client's offers and orders
    while the contract is signed or active."""
    require_change(actor, contract)
    _refuse_ended(contract)
    rule = PricingRule(kind=RuleKind.SPECIAL_CONDITION, company=contract.company,
                       contract=contract, created_by=actor, active=contract.status in IN_FORCE)
    _clean_condition(contract, rule, data)
    rule.save()
    audit(actor, AuditEntry.Action.CREATE, rule, contract,
          {k: [None, v] for k, v in snapshot(rule, CONDITION_FIELDS).items() if v not in (None, "")},
          object_repr=f"{contract.number}: {rule.name}")
    return rule


@transaction.atomic
def pricing_condition_update(*, actor, rule: PricingRule, data: dict) -> PricingRule:
    contract = _contract_of(rule)
    require_change(actor, contract)
    _refuse_ended(contract)
    before = snapshot(rule, CONDITION_FIELDS)
    with restored_on_error(rule):
        _clean_condition(contract, rule, {k: v for k, v in data.items() if k in CONDITION_FIELDS})
    rule.save(update_fields=_columns(rule, CONDITION_FIELDS))
    PricingRule.objects.filter(pk=rule.pk).update(version=F("version") + 1)
    changes = diff(before, snapshot(rule, CONDITION_FIELDS))
    if changes:
        audit(actor, AuditEntry.Action.UPDATE, rule, contract, changes,
              object_repr=f"{contract.number}: {rule.name}")
    return rule


@transaction.atomic
def pricing_condition_delete(*, actor, rule: PricingRule) -> None:
    """The condition stops pricing at once; the audit log keeps what it was."""
    contract = _contract_of(rule)
    require_change(actor, contract)
    _refuse_ended(contract)
    audit(actor, AuditEntry.Action.DELETE, rule, contract, {
        k: [v, None] for k, v in snapshot(rule, CONDITION_FIELDS).items() if v not in (None, "")},
        object_repr=f"{contract.number}: {rule.name}")
    rule.delete()


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
