"""Writes of price lists and their prices, pricing rules and the pricing policy.

A price list or rule for one client is written only by who may see that client (else NotFound,
as for one that does not exist); one for a tier names a client tier.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from partnera.catalog.models import (
    Category,
    PriceList,
    PriceListItem,
    PriceListScope,
    PricingPolicy,
    PricingRule,
    Product,
    ProductLine,
    RuleKind,
)
from partnera.catalog.services import common
from partnera.clients.models import Company, Tier
from partnera.core import cleaning
from partnera.core.audit import diff, snapshot
from partnera.core.errors import NotFound, ValidationFailed, VersionConflict
from partnera.core.models import AuditEntry
from partnera.core.money import Currency
from partnera.core.visibility import visible_q

PRICE_LIST_FIELDS = ["name", "currency", "scope", "tier", "company", "valid_from", "valid_to",
                     "active"]
MAX_ITEMS_PER_SAVE = 2000


def _company_cleaner(actor):
    return cleaning.visible_ref(Company, visible_q(actor), _("Choose a client you can see."))


def _require_company_visible(actor, company_id: int | None) -> None:
    if company_id is not None and not Company.objects.filter(visible_q(actor), pk=company_id).exists():
        raise NotFound()


def _price_list_cleaners(actor) -> dict:
    return {
        "name": common.name(120),
        "currency": common.choice(Currency),
        "scope": common.choice(PriceListScope),
        "tier": common.choice(Tier, blank=True),
        "company": _company_cleaner(actor),
        "valid_from": common.date,
        "valid_to": common.date,
        "active": cleaning.boolean,
    }


def _check_scope(obj, errors: dict[str, list[str]]) -> None:
    """A list (or rule) for a tier names the tier and no client; for a client, the client."""
    if "scope" in errors:
        return
    if obj.scope == PriceListScope.TIER:
        obj.company = None
        if not obj.tier and "tier" not in errors:
            errors["tier"] = [_("Choose the client tier this list is for.")]
    elif obj.scope == PriceListScope.CLIENT:
        obj.tier = ""
        if obj.company_id is None and "company" not in errors:
            errors["company"] = [_("Choose the client this list is for.")]
    else:
        obj.tier, obj.company = "", None
        errors.pop("tier", None)
        errors.pop("company", None)


@transaction.atomic
def price_list_create(*, actor, data: dict) -> PriceList:
    """A new price list for everyone, a client tier or one client, in EUR or BGN."""
    common.require_catalog_manager(actor)
    price_list = PriceList()
    data = {"currency": Currency.EUR, "scope": PriceListScope.GENERAL, **data}
    errors = common.apply(price_list, data, PRICE_LIST_FIELDS, _price_list_cleaners(actor))
    if "name" not in data:
        errors["name"] = [_("This field is required.")]
    _check_scope(price_list, errors)
    common.check_dates(price_list, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    price_list.save()
    common.audit(actor, AuditEntry.Action.CREATE, price_list,
                 diff({}, snapshot(price_list, PRICE_LIST_FIELDS)), company_id=price_list.company_id)
    return price_list


@transaction.atomic
def price_list_update(*, actor, price_list: PriceList, data: dict,
                      expected_version: int | None = None) -> PriceList:
    """Change a price list's name, currency, scope, validity or active flag."""
    common.require_catalog_manager(actor)
    _require_company_visible(actor, price_list.company_id)
    before = snapshot(price_list, PRICE_LIST_FIELDS)
    errors = common.apply(price_list, data, PRICE_LIST_FIELDS, _price_list_cleaners(actor))
    _check_scope(price_list, errors)
    common.check_dates(price_list, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    common.save_changes(actor, price_list, before, PRICE_LIST_FIELDS,
                        expected_version=expected_version, company_id=price_list.company_id)
    return price_list


# --- prices in a list ----------------------------------------------------------------------------

def _item_label(item: PriceListItem) -> str:
    return f"price {item.product.code}"


@transaction.atomic
def price_list_item_add(*, actor, price_list: PriceList, data: dict) -> PriceListItem:
    """Price an active product in the list (once per list)."""
    common.require_catalog_manager(actor)
    _require_company_visible(actor, price_list.company_id)
    item = PriceListItem(price_list=price_list)
    cleaners = {"product": common.ref(Product, _("Choose an active product from the catalog."),
                                      active=True),
                "price": common.unit_price()}
    errors = common.apply(item, data, ["product", "price"], cleaners)
    for field in ("product", "price"):
        if field not in errors and getattr(item, f"{field}_id" if field == "product" else field,
                                           None) is None:
            errors[field] = [_("This field is required.")]
    if "product" not in errors and PriceListItem.objects.filter(
            price_list=price_list, product_id=item.product_id).exists():
        errors["product"] = [_("This product already has a price in this list.")]
    if errors:
        raise ValidationFailed(fields=errors)
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        raise ValidationFailed(fields={"product": [
            _("This product already has a price in this list.")]}) from None
    common.audit(actor, AuditEntry.Action.UPDATE, price_list,
                 {_item_label(item): [None, str(item.price)]}, company_id=price_list.company_id)
    return item


def _expected_matches(item: PriceListItem, expected: Any) -> bool:
    if expected in (None, ""):
        return True
    try:
        return Decimal(str(expected)) == item.price
    except ArithmeticError:
        return False


@transaction.atomic
def price_list_item_change(*, actor, item: PriceListItem, data: dict,
                           expected_price: Any = None) -> PriceListItem:
    """A new price for a product in a list. With `expected_price` (the price as it was read), a
    price someone changed meanwhile answers VersionConflict instead of being overwritten."""
    return price_list_items_change(actor=actor, price_list=item.price_list,
                                   prices={item.pk: data.get("price")},
                                   expected={item.pk: expected_price})[0]


@transaction.atomic
def price_list_items_change(*, actor, price_list: PriceList, prices: Mapping[int, Any],
                            expected: Mapping[int, Any] | None = None) -> list[PriceListItem]:
    """New prices for several products of a list at once (the list's price table): all or none.
    Errors name the item (`items.<id>.price`)."""
    common.require_catalog_manager(actor)
    _require_company_visible(actor, price_list.company_id)
    if len(prices) > MAX_ITEMS_PER_SAVE:
        raise ValidationFailed(_("Change at most %(n)d prices at once.") % {"n": MAX_ITEMS_PER_SAVE})
    expected = expected or {}
    items = {i.pk: i for i in PriceListItem.objects.select_for_update().select_related("product")
             .filter(price_list=price_list, pk__in=list(prices))}
    if len(items) != len(prices):
        raise NotFound()
    errors: dict[str, list[str]] = {}
    changes: dict[str, list] = {}
    changed: list[PriceListItem] = []
    clean = common.unit_price()
    for pk, raw in prices.items():
        item = items[pk]
        if not _expected_matches(item, expected.get(pk)):
            raise VersionConflict()
        try:
            price = clean(raw)
        except ValidationError as exc:
            errors[f"items.{pk}.price"] = exc.messages
            continue
        if price != item.price:
            changes[_item_label(item)] = [str(item.price), str(price)]
            item.price = price
            changed.append(item)
    if errors:
        raise ValidationFailed(fields=errors)
    if changed:
        PriceListItem.objects.bulk_update(changed, ["price"])
        common.audit(actor, AuditEntry.Action.UPDATE, price_list, changes,
                     company_id=price_list.company_id)
    return [items[pk] for pk in prices]


@transaction.atomic
def price_list_item_remove(*, actor, item: PriceListItem) -> None:
    """Take a product out of a list (documents already priced keep their prices)."""
    price_list = item.price_list
    common.require_catalog_manager(actor)
    _require_company_visible(actor, price_list.company_id)
    label, price = _item_label(item), str(item.price)
    if PriceListItem.objects.filter(pk=item.pk).delete()[0]:
        common.audit(actor, AuditEntry.Action.UPDATE, price_list, {label: [price, None]},
                     company_id=price_list.company_id)


# --- pricing rules -------------------------------------------------------------------------------

RULE_FIELDS = ["name", "kind", "company", "tier", "product", "line", "category",
               "discount_percent", "fixed_price", "currency", "min_quantity", "free_units",
               "period_volume", "valid_from", "valid_to", "active"]
VALUE_FIELDS = ["discount_percent", "fixed_price", "min_quantity", "free_units", "period_volume"]
# The value fields each kind of rule uses; the others are cleared.
KIND_FIELDS = {
    RuleKind.SPECIAL_CONDITION: {"discount_percent", "fixed_price"},
    RuleKind.VOLUME_DISCOUNT: {"discount_percent", "min_quantity"},
    RuleKind.PROMOTION: {"discount_percent"},
    RuleKind.FREE_UNITS: {"min_quantity", "free_units"},
    RuleKind.REBATE: {"discount_percent", "period_volume"},
}


def _rule_cleaners(actor) -> dict:
    return {
        "name": common.name(150),
        "kind": common.choice(RuleKind),
        "company": _company_cleaner(actor),
        "tier": common.choice(Tier, blank=True),
        "product": common.ref(Product, _("Choose a product from the catalog.")),
        "line": common.ref(ProductLine, _("Choose a product line.")),
        "category": common.ref(Category, _("Choose a category.")),
        "discount_percent": common.percent(),
        "fixed_price": common.unit_price(required=False),
        "currency": common.choice(Currency),
        "min_quantity": common.quantity(),
        "free_units": common.quantity(),
        "period_volume": common.quantity(),
        "valid_from": common.date,
        "valid_to": common.date,
        "active": cleaning.boolean,
    }


def _required(rule: PricingRule, errors: dict[str, list[str]], *fields: str) -> None:
    for field in fields:
        if field not in errors and getattr(rule, field) in (None, ""):
            errors[field] = [_("This kind of rule needs it.")]


def _check_rule(rule: PricingRule, errors: dict[str, list[str]]) -> None:
    """What each kind needs (see PricingRule); the value fields a kind does not use are cleared."""
    if "kind" in errors or not rule.kind:
        return
    used = KIND_FIELDS[RuleKind(rule.kind)]
    for field in VALUE_FIELDS:
        if field not in used:
            setattr(rule, field, None)
            errors.pop(field, None)
    kind = rule.kind
    if kind == RuleKind.SPECIAL_CONDITION:
        both_missing = rule.discount_percent is None and rule.fixed_price is None
        if both_missing and "discount_percent" not in errors and "fixed_price" not in errors:
            message = _("Give either a discount or a fixed unit price.")
            errors["discount_percent"] = [message]
            errors["fixed_price"] = [message]
        elif rule.discount_percent is not None and rule.fixed_price is not None:
            errors["fixed_price"] = [_("Give either a discount or a fixed unit price, not both.")]
        if rule.company_id is None and not rule.tier and "company" not in errors:
            errors["company"] = [_("A special condition is for a client or a client tier.")]
    elif kind == RuleKind.VOLUME_DISCOUNT:
        _required(rule, errors, "min_quantity", "discount_percent")
    elif kind == RuleKind.PROMOTION:
        _required(rule, errors, "discount_percent", "valid_from", "valid_to")
    elif kind == RuleKind.FREE_UNITS:
        _required(rule, errors, "min_quantity", "free_units")
    elif kind == RuleKind.REBATE:
        _required(rule, errors, "period_volume", "discount_percent", "valid_from", "valid_to")
    common.check_dates(rule, errors)


def _contract_of(data: dict):
    """A rule written by a contract's special conditions names it (a Contract from the contracts
    services, never an id typed in a form)."""
    contract = data.get("contract")
    if contract is not None and getattr(getattr(contract, "_meta", None), "label",
                                        "") != "contracts.Contract":
        raise ValidationFailed(fields={"contract": [_("Unknown contract.")]})
    return contract


@transaction.atomic
def pricing_rule_create(*, actor, data: dict) -> PricingRule:
    """A new pricing rule; what it needs depends on its kind (see PricingRule)."""
    common.require_catalog_manager(actor)
    rule = PricingRule(created_by=actor)
    data = {"currency": Currency.EUR, **data}
    errors = common.apply(rule, data, RULE_FIELDS, _rule_cleaners(actor))
    for field in ("name", "kind"):
        if field not in data:
            errors[field] = [_("This field is required.")]
    _check_rule(rule, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    if "contract" in data:
        rule.contract = _contract_of(data)
    rule.save()
    common.audit(actor, AuditEntry.Action.CREATE, rule, diff({}, snapshot(rule, RULE_FIELDS)),
                 company_id=rule.company_id)
    return rule


@transaction.atomic
def pricing_rule_update(*, actor, rule: PricingRule, data: dict,
                        expected_version: int | None = None) -> PricingRule:
    """Change a rule (also its kind: the values the new kind does not use are cleared)."""
    common.require_catalog_manager(actor)
    _require_company_visible(actor, rule.company_id)
    before = snapshot(rule, RULE_FIELDS)
    errors = common.apply(rule, data, RULE_FIELDS, _rule_cleaners(actor))
    _check_rule(rule, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    common.save_changes(actor, rule, before, RULE_FIELDS, expected_version=expected_version,
                        company_id=rule.company_id)
    return rule


def pricing_rule_set_active(*, actor, rule: PricingRule, active: bool,
                            expected_version: int | None = None) -> PricingRule:
    return pricing_rule_update(actor=actor, rule=rule, data={"active": active},
                               expected_version=expected_version)


# --- the pricing policy --------------------------------------------------------------------------

@transaction.atomic
def pricing_policy_update(*, actor, data: dict) -> PricingPolicy:
    """How far a manager may discount by hand before the head of sales must approve (0–100 %)."""
    common.require_settings_manager(actor)
    policy = PricingPolicy.objects.select_for_update().order_by("pk").first() or PricingPolicy()
    before = snapshot(policy, ["max_manual_discount"]) if policy.pk else {}
    clean = common.number(places=2, minimum=Decimal(0), maximum=common.HUNDRED, required=True,
                          message=_("Enter a percentage from 0 to 100 with up to two decimals."))
    errors = common.apply(policy, data, ["max_manual_discount"], {"max_manual_discount": clean})
    if "max_manual_discount" not in data:
        errors["max_manual_discount"] = [_("This field is required.")]
    if errors:
        raise ValidationFailed(fields=errors)
    changes = diff(before, snapshot(policy, ["max_manual_discount"]))
    if changes:
        policy.save()
        common.audit(actor, AuditEntry.Action.UPDATE, policy, changes)
    return policy
