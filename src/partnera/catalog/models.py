"""The catalog: what the company sells, at which list prices, and the rules that price it for a
client (special conditions, volume discounts, promotions, bonuses).

Prices are `Decimal`. A list price carries up to four decimals (unit prices of bulk goods);
every amount a client pays is rounded to the cent, half up, by the pricing engine
(partnera.catalog.pricing), the one place that turns these rows into a price.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from partnera.core.models import BusinessRecord
from partnera.core.money import DEFAULT_CURRENCY, Currency

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class ProductLine(models.Model):
    """A product line (the unit of cross-selling: "the client buys packaging, not yet labels")."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    line = models.ForeignKey(ProductLine, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="categories", verbose_name=_("product line"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class VatRate(models.Model):
    """A VAT rate the administrator keeps (20 %, 9 %, 0 % in Bulgaria)."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    rate = models.DecimalField(_("rate (%)"), max_digits=5, decimal_places=2, validators=PERCENT)
    is_default = models.BooleanField(_("default rate"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-rate", "name"]
        verbose_name = _("VAT rate")
        verbose_name_plural = _("VAT rates")

    def __str__(self) -> str:
        return self.name


class Unit(models.TextChoices):
    """Units of measure, labelled as they are printed after a quantity ("100 pcs")."""

    PIECE = "piece", pgettext_lazy("unit", "pcs")
    PACK = "pack", pgettext_lazy("unit", "pk")
    BOX = "box", pgettext_lazy("unit", "box")
    PALLET = "pallet", pgettext_lazy("unit", "plt")
    KG = "kg", pgettext_lazy("unit", "kg")
    TONNE = "t", pgettext_lazy("unit", "t")
    LITRE = "l", pgettext_lazy("unit", "l")
    METRE = "m", pgettext_lazy("unit", "m")
    SQUARE_METRE = "m2", pgettext_lazy("unit", "m²")
    HOUR = "hour", pgettext_lazy("unit", "h")
    DAY = "day", pgettext_lazy("unit", "d")
    MONTH = "month", pgettext_lazy("unit", "mo")
    SERVICE = "service", pgettext_lazy("unit", "svc")


class ProductKind(models.TextChoices):
    PRODUCT = "product", _("Product")
    SERVICE = "service", _("Service")


class Product(BusinessRecord):
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    # The name an English offer or contract prints; the Bulgarian name stands in when empty.
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ProductKind.choices,
                            default=ProductKind.PRODUCT)
    line = models.ForeignKey(ProductLine, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="products", verbose_name=_("product line"))
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="products", verbose_name=_("category"))
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.PIECE)
    vat_rate = models.ForeignKey(VatRate, on_delete=models.PROTECT, related_name="products",
                                 verbose_name=_("VAT rate"))
    description = models.TextField(_("description"), max_length=4000, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # The code and both names folded to one Latin key (core.translit.search_key), kept by the
    # services: the product lists and pickers match what was typed in either script.
    search_text = models.CharField(max_length=500, blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=Q(deleted_at__isnull=True),
                                    name="unique_live_product_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def name_in(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name


class PriceListScope(models.TextChoices):
    GENERAL = "general", _("Everyone")
    TIER = "tier", _("A client tier")
    CLIENT = "client", _("One client")


class PriceList(models.Model):
    """List prices in one currency for everyone, for a tier of clients, or for one client, valid
    between two dates. The most specific list valid on the day prices a product."""

    name = models.CharField(_("name"), max_length=120)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices,
                                default=DEFAULT_CURRENCY)
    scope = models.CharField(_("for"), max_length=10, choices=PriceListScope.choices,
                             default=PriceListScope.GENERAL)
    tier = models.CharField(_("client tier"), max_length=12, blank=True)
    company = models.ForeignKey("clients.Company", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="price_lists", verbose_name=_("client"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["currency", "scope", "name"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"


class PriceListItem(models.Model):
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items",
                                   verbose_name=_("price list"))
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices",
                                verbose_name=_("product"))
    price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=4)

    class Meta:
        ordering = ["price_list", "product"]
        verbose_name = _("list price")
        verbose_name_plural = _("list prices")
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product"], name="unique_price_list_item"),
            models.CheckConstraint(condition=Q(price__gte=0), name="price_list_item_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} @ {self.price}"


class RuleKind(models.TextChoices):
    SPECIAL_CONDITION = "special", _("Special condition for a client")
    VOLUME_DISCOUNT = "volume", _("Volume discount")
    PROMOTION = "promotion", _("Promotion")
    FREE_UNITS = "free_units", _("Bonus: free units")
    REBATE = "rebate", _("Bonus: rebate after a volume")


class PricingRule(models.Model):
    """One rule of the pricing engine. What it applies to is narrowed by the optional client, tier,
    product, product line and category; when it applies by its validity dates and minimum quantity.

    - special: the client's agreed discount (`discount_percent`) or fixed unit price (`fixed_price`),
      often written by a contract's special conditions (`contract`);
    - volume: `discount_percent` from `min_quantity` units on one line (the best tier wins);
    - promotion: `discount_percent` between `valid_from` and `valid_to`;
    - free_units: `free_units` free for every `min_quantity` bought on one line;
    - rebate: `discount_percent` off once the client has bought `period_volume` units in the
      validity period (earlier orders plus this document).
    """

    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=12, choices=RuleKind.choices)
    company = models.ForeignKey("clients.Company", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="pricing_rules", verbose_name=_("client"))
    tier = models.CharField(_("client tier"), max_length=12, blank=True)
    contract = models.ForeignKey("contracts.Contract", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="pricing_rules", verbose_name=_("contract"))
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="pricing_rules", verbose_name=_("product"))
    line = models.ForeignKey(ProductLine, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="pricing_rules", verbose_name=_("product line"))
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="pricing_rules", verbose_name=_("category"))
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2,
                                           null=True, blank=True, validators=PERCENT)
    fixed_price = models.DecimalField(_("fixed unit price"), max_digits=14, decimal_places=4,
                                      null=True, blank=True)
    currency = models.CharField(_("currency of the fixed price"), max_length=3,
                                choices=Currency.choices, default=DEFAULT_CURRENCY)
    min_quantity = models.DecimalField(_("from quantity"), max_digits=14, decimal_places=3,
                                       null=True, blank=True)
    free_units = models.DecimalField(_("free units"), max_digits=14, decimal_places=3,
                                     null=True, blank=True)
    period_volume = models.DecimalField(_("volume in the period"), max_digits=14, decimal_places=3,
                                        null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["kind", "name", "id"]
        verbose_name = _("pricing rule")
        verbose_name_plural = _("pricing rules")
        indexes = [models.Index(fields=["active", "kind"], name="pricing_rule_active_idx")]

    def __str__(self) -> str:
        return self.name


class PricingPolicy(models.Model):
    """The administrator's pricing settings (one row): how far a manager may discount by hand
    before the head of sales must approve."""

    max_manual_discount = models.DecimalField(
        _("largest manual discount without approval (%)"), max_digits=5, decimal_places=2,
        default=Decimal("10"), validators=PERCENT)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("pricing policy")
        verbose_name_plural = _("pricing policy")

    def __str__(self) -> str:
        return str(self.max_manual_discount)


class PricedLine(models.Model):
    """The fields of a line the pricing engine priced (an offer's or an order's line): what was
    asked, each amount as the engine computed it, and the explanation of its unit price."""

    position = models.PositiveIntegerField(_("position"), default=0)
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("product"))
    description = models.CharField(_("description"), max_length=300, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=10)
    list_price = models.DecimalField(_("list price"), max_digits=14, decimal_places=4)
    manual_discount = models.DecimalField(_("manual discount (%)"), max_digits=5, decimal_places=2,
                                          default=0)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=4)
    free_units = models.DecimalField(_("free units"), max_digits=14, decimal_places=3, default=0)
    net_amount = models.DecimalField(_("amount without VAT"), max_digits=16, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    vat_amount = models.DecimalField(_("VAT"), max_digits=16, decimal_places=2)
    gross_amount = models.DecimalField(_("amount with VAT"), max_digits=16, decimal_places=2)
    explanation = models.JSONField(_("how the price came about"), default=list, blank=True)

    class Meta:
        abstract = True
