"""Writes of products, product lines, categories and VAT rates."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partnera.catalog.models import Category, Product, ProductKind, ProductLine, Unit, VatRate
from partnera.catalog.services import common
from partnera.core import cleaning
from partnera.core.audit import diff, snapshot
from partnera.core.errors import ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.records import bump_version
from partnera.core.translit import search_key

PRODUCT_FIELDS = ["code", "name", "name_en", "kind", "line", "category", "unit", "vat_rate",
                  "description", "active"]


def product_search_text(product: Product) -> str:
    """The folded key product lists and pickers match (code and both names, either script)."""
    return search_key(f"{product.code} {product.name} {product.name_en}")[:500]


def _product_cleaners() -> dict:
    return {
        "code": common.name(40),
        "name": common.name(200),
        "name_en": common.name(200, required=False),
        "kind": common.choice(ProductKind),
        "line": common.ref(ProductLine, _("Choose an active product line."), active=True),
        "category": common.ref(Category, _("Choose an active category."), active=True),
        "unit": common.choice(Unit),
        "vat_rate": common.ref(VatRate, _("Choose an active VAT rate."), active=True),
        "description": cleaning.bounded_text(4000),
        "active": cleaning.boolean,
    }


def _product_rules(product: Product, data: dict, errors: dict[str, list[str]]) -> None:
    """A live code is unique (compared without case); a category belongs to the product's line
    (a product without a line takes its category's)."""
    if "code" not in errors and product.code:
        taken = Product.objects.filter(code__iexact=product.code).exclude(pk=product.pk)
        if taken.exists():
            errors["code"] = [_("Another product already has this code.")]
    if "category" in errors or "line" in errors or product.category is None:
        return
    category_line = product.category.line_id
    if category_line is not None:
        if product.line_id is None and "line" not in data:
            product.line_id = category_line
        elif product.line_id != category_line:
            errors["category"] = [_("This category belongs to another product line.")]


def _save_new_product(product: Product) -> None:
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError:  # another product took the code between the check and the write
        raise ValidationFailed(fields={"code": [_("Another product already has this code.")]}) from None


@transaction.atomic
def product_create(*, actor, data: dict) -> Product:
    """A new product. Code, name and unit are needed; the VAT rate defaults to the default rate."""
    common.require_catalog_manager(actor)
    product = Product(created_by=actor)
    data = {"kind": ProductKind.PRODUCT, "unit": Unit.PIECE, **data}
    if data.get("vat_rate") in (None, ""):
        data["vat_rate"] = VatRate.objects.filter(active=True, is_default=True).first()
    errors = common.apply(product, data, PRODUCT_FIELDS, _product_cleaners())
    for field in ("code", "name", "vat_rate"):
        if field not in errors and not getattr(product, f"{field}_id" if field == "vat_rate"
                                               else field, None):
            errors[field] = [_("This field is required.")]
    _product_rules(product, data, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    product.search_text = product_search_text(product)
    _save_new_product(product)
    common.audit(actor, AuditEntry.Action.CREATE, product,
                 diff({}, snapshot(product, PRODUCT_FIELDS)))
    return product


@transaction.atomic
def product_update(*, actor, product: Product, data: dict,
                   expected_version: int | None = None) -> Product:
    """Change the fields `data` holds. With `expected_version`, a product someone changed since it
    was read answers VersionConflict."""
    common.require_catalog_manager(actor)
    before = snapshot(product, PRODUCT_FIELDS)
    errors = common.apply(product, data, PRODUCT_FIELDS, _product_cleaners())
    # An inactive line, category or VAT rate the product already has may stay.
    for field in ("line", "category", "vat_rate"):
        if field in errors and str(getattr(data[field], "pk", data[field])) == str(
                getattr(product, f"{field}_id")):
            del errors[field]
    if "vat_rate" in data and "vat_rate" not in errors and product.vat_rate_id is None:
        errors["vat_rate"] = [_("This field is required.")]
    _product_rules(product, data, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    product.search_text = product_search_text(product)
    columns = {f.name: f.attname for f in Product._meta.concrete_fields}
    try:
        with transaction.atomic():
            bump_version(product, expected_version=expected_version,
                         fields=[columns[f] for f in PRODUCT_FIELDS] + ["search_text"])
    except IntegrityError:
        raise ValidationFailed(fields={"code": [_("Another product already has this code.")]}) from None
    changes = diff(before, snapshot(product, PRODUCT_FIELDS))
    if changes:
        common.audit(actor, AuditEntry.Action.UPDATE, product, changes)
    return product


def product_set_active(*, actor, product: Product, active: bool,
                       expected_version: int | None = None) -> Product:
    """Deactivate a product (no longer offered or priced; kept on earlier documents) or bring it
    back."""
    return product_update(actor=actor, product=product, data={"active": active},
                          expected_version=expected_version)


# --- product lines -------------------------------------------------------------------------------

LINE_FIELDS = ["name", "position", "active"]


def _line_cleaners() -> dict:
    return {"name": common.name(120), "position": common.position, "active": cleaning.boolean}


def _unique_name(model, obj, errors: dict[str, list[str]], message: str) -> None:
    # Compared in Python: SQLite folds the case of ASCII letters only (these lists are short).
    if "name" in errors or not obj.name:
        return
    folded = obj.name.casefold()
    if any(other.name.casefold() == folded
           for other in model.objects.exclude(pk=obj.pk).only("name")):
        errors["name"] = [message]


@transaction.atomic
def product_line_create(*, actor, data: dict) -> ProductLine:
    common.require_catalog_manager(actor)
    line = ProductLine()
    errors = common.apply(line, data, LINE_FIELDS, _line_cleaners())
    if "name" not in data:
        errors["name"] = [_("This field is required.")]
    _unique_name(ProductLine, line, errors, _("Another product line already has this name."))
    if errors:
        raise ValidationFailed(fields=errors)
    line.save()
    common.audit(actor, AuditEntry.Action.CREATE, line, diff({}, snapshot(line, LINE_FIELDS)))
    return line


@transaction.atomic
def product_line_update(*, actor, line: ProductLine, data: dict) -> ProductLine:
    """Rename, reorder, deactivate (its products keep it) or bring back a product line."""
    common.require_catalog_manager(actor)
    line = ProductLine.objects.select_for_update().get(pk=line.pk)
    before = snapshot(line, LINE_FIELDS)
    errors = common.apply(line, data, LINE_FIELDS, _line_cleaners())
    _unique_name(ProductLine, line, errors, _("Another product line already has this name."))
    if errors:
        raise ValidationFailed(fields=errors)
    changes = diff(before, snapshot(line, LINE_FIELDS))
    if changes:
        line.save(update_fields=list(changes))
        common.audit(actor, AuditEntry.Action.UPDATE, line, changes)
    return line


# --- categories ----------------------------------------------------------------------------------

CATEGORY_FIELDS = ["name", "line", "active"]


def _category_cleaners() -> dict:
    return {"name": common.name(120),
            "line": common.ref(ProductLine, _("Choose an active product line."), active=True),
            "active": cleaning.boolean}


@transaction.atomic
def category_create(*, actor, data: dict) -> Category:
    common.require_catalog_manager(actor)
    category = Category()
    errors = common.apply(category, data, CATEGORY_FIELDS, _category_cleaners())
    if "name" not in data:
        errors["name"] = [_("This field is required.")]
    _unique_name(Category, category, errors, _("Another category already has this name."))
    if errors:
        raise ValidationFailed(fields=errors)
    category.save()
    common.audit(actor, AuditEntry.Action.CREATE, category,
                 diff({}, snapshot(category, CATEGORY_FIELDS)))
    return category


@transaction.atomic
def category_update(*, actor, category: Category, data: dict) -> Category:
    """Rename, move to another line, deactivate or bring back a category. Moving it to another
    line is refused while products of another line are in it."""
    common.require_catalog_manager(actor)
    category = Category.objects.select_for_update().get(pk=category.pk)
    before = snapshot(category, CATEGORY_FIELDS)
    line_before = category.line_id
    errors = common.apply(category, data, CATEGORY_FIELDS, _category_cleaners())
    if "line" in errors and str(getattr(data["line"], "pk", data["line"])) == str(line_before):
        del errors["line"]  # an inactive line the category already has may stay
        category.line_id = line_before
    _unique_name(Category, category, errors, _("Another category already has this name."))
    if "line" not in errors and category.line_id != line_before and category.line_id is not None:
        others = Product.objects.filter(category=category).exclude(line_id=category.line_id).count()
        if others:
            errors["line"] = [ngettext(
                "%(n)d product of this category is in another product line.",
                "%(n)d products of this category are in another product line.", others)
                % {"n": others}]
    if errors:
        raise ValidationFailed(fields=errors)
    changes = diff(before, snapshot(category, CATEGORY_FIELDS))
    if changes:
        category.save(update_fields=[f for f in CATEGORY_FIELDS if f in changes])
        common.audit(actor, AuditEntry.Action.UPDATE, category, changes)
    return category


# --- VAT rates -----------------------------------------------------------------------------------

VAT_FIELDS = ["name", "rate", "active"]


def _vat_cleaners() -> dict:
    return {
        "name": common.name(80),
        "rate": common.number(places=2, minimum=Decimal(0), maximum=common.HUNDRED,
                              required=True,
                              message=_("Enter a rate from 0 to 100 with up to two decimals.")),
        "active": cleaning.boolean,
    }


@transaction.atomic
def vat_rate_create(*, actor, data: dict) -> VatRate:
    """A new VAT rate; with `is_default` true it becomes the default (the previous one stops)."""
    common.require_settings_manager(actor)
    rate = VatRate()
    errors = common.apply(rate, data, VAT_FIELDS, _vat_cleaners())
    for field in ("name", "rate"):
        if field not in data:
            errors[field] = [_("This field is required.")]
    _unique_name(VatRate, rate, errors, _("Another VAT rate already has this name."))
    make_default = _flag(data, "is_default", errors)
    if make_default and not rate.active and "active" not in errors:
        errors["is_default"] = [_("An inactive rate cannot be the default.")]
    if errors:
        raise ValidationFailed(fields=errors)
    rate.save()
    common.audit(actor, AuditEntry.Action.CREATE, rate, diff({}, snapshot(rate, VAT_FIELDS)))
    if make_default:
        _make_default(actor, rate)
    return rate


def _flag(data: dict, field: str, errors: dict[str, list[str]]) -> bool:
    try:
        return cleaning.boolean(data.get(field, False))
    except ValidationError as exc:
        errors[field] = exc.messages
        return False


def _make_default(actor, rate: VatRate) -> None:
    previous = list(VatRate.objects.select_for_update().filter(is_default=True).exclude(pk=rate.pk))
    VatRate.objects.filter(pk__in=[p.pk for p in previous]).update(is_default=False)
    rate.is_default = True
    rate.save(update_fields=["is_default"])
    common.audit(actor, AuditEntry.Action.UPDATE, rate,
                 {"is_default": [False, True],
                  "previous_default": [", ".join(p.name for p in previous) or None, None]})


@transaction.atomic
def vat_rate_update(*, actor, vat_rate: VatRate, data: dict) -> VatRate:
    """Rename or change a rate (products priced from now on use the new rate; documents already
    priced keep theirs), make it the default, deactivate it or bring it back. Exactly one active
    rate is the default; a rate active products still use cannot be deactivated."""
    common.require_settings_manager(actor)
    rate = VatRate.objects.select_for_update().get(pk=vat_rate.pk)
    before = snapshot(rate, VAT_FIELDS)
    errors = common.apply(rate, data, VAT_FIELDS, _vat_cleaners())
    _unique_name(VatRate, rate, errors, _("Another VAT rate already has this name."))
    make_default = _flag(data, "is_default", errors) if "is_default" in data else None
    if make_default is False and rate.is_default:
        errors["is_default"] = [_("Make another rate the default instead.")]
    if not rate.active and "active" not in errors:
        if rate.is_default:
            errors["active"] = [_("The default rate stays active. Make another rate the default first.")]
        elif make_default:
            errors["is_default"] = [_("An inactive rate cannot be the default.")]
        else:
            users = Product.objects.filter(vat_rate=rate, active=True).count()
            if users:
                errors["active"] = [ngettext(
                    "%(n)d active product uses this rate. Give it another rate first.",
                    "%(n)d active products use this rate. Give them another rate first.", users)
                    % {"n": users}]
    if errors:
        raise ValidationFailed(fields=errors)
    changes = diff(before, snapshot(rate, VAT_FIELDS))
    if changes:
        rate.save(update_fields=list(changes))
        common.audit(actor, AuditEntry.Action.UPDATE, rate, changes)
    if make_default and not rate.is_default:
        _make_default(actor, rate)
    vat_rate.__dict__.update(rate.__dict__)
    return rate
