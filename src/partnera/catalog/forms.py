"""Forms of the catalog pages. Thin: they carry what was typed (numbers as text, so `12,5` and
`1 234,50` arrive as the person wrote them) and the services validate; their errors are shown next
to the fields with the input kept."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from partnera.catalog.models import (
    PriceListScope,
    ProductKind,
    RuleKind,
    Unit,
)
from partnera.catalog.widgets import ProductPicker
from partnera.clients.forms import CompanyPicker
from partnera.clients.models import Tier
from partnera.core.money import Currency

BLANK: list[tuple[str, Any]] = [("", "—")]


def _choices(rows) -> list[tuple[str, str]]:
    return [(str(row.pk), str(row)) for row in rows]


def _number(label, *, help_text="", required=False) -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=40, help_text=help_text,
                           widget=forms.TextInput(attrs={"inputmode": "decimal"}))


def _date(label) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=10,
                           widget=forms.DateInput(attrs={"type": "date"}))


class ServiceForm(forms.Form):
    """A form whose cleaned text goes to a service as it is."""

    def service_data(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


class ProductFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    line = forms.ChoiceField(required=False)
    category = forms.ChoiceField(required=False)
    kind = forms.ChoiceField(required=False, choices=[("", _("Any kind")), *ProductKind.choices])
    active = forms.ChoiceField(required=False, choices=[
        ("active", _("Active")), ("inactive", _("Inactive")), ("all", _("All"))])
    sort = forms.ChoiceField(required=False, choices=[("name", _("Name")), ("code", _("Code"))])

    def __init__(self, *args, lines=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["line"]).choices = [("", _("Every line")), *_choices(lines)]
        cast(forms.ChoiceField, self.fields["category"]).choices = [
            ("", _("Every category")), *_choices(categories)]

    def value(self, name: str) -> str:
        """The field's value when valid (an unknown line or category is ignored, not an error)."""
        if not self.is_bound:
            return ""
        self.is_valid()
        return self.cleaned_data.get(name) or ""


class ProductForm(ServiceForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200)
    name_en = forms.CharField(label=_("Name in English"), max_length=200, required=False,
                              help_text=_("Printed on English offers and contracts."))
    kind = forms.ChoiceField(label=_("Kind"), choices=ProductKind.choices)
    line = forms.ChoiceField(label=_("Product line"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    unit = forms.ChoiceField(label=_("Unit"), choices=Unit.choices)
    vat_rate = forms.ChoiceField(label=_("VAT rate"))
    description = forms.CharField(label=_("Description"), required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    active = forms.BooleanField(label=_("Active (offered and priced)"), required=False,
                                initial=True)

    def __init__(self, *args, lines=(), categories=(), vat_rates=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["line"]).choices = BLANK + _choices(lines)
        cast(forms.ChoiceField, self.fields["category"]).choices = BLANK + _choices(categories)
        cast(forms.ChoiceField, self.fields["vat_rate"]).choices = [(str(r.pk), f"{r.name} ({r.rate:g} %)")
                                           for r in vat_rates]


class ProductLineForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    position = forms.IntegerField(label=_("Position"), required=False, min_value=0,
                                  max_value=10000)


class CategoryForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    line = forms.ChoiceField(label=_("Product line"), required=False)

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["line"]).choices = BLANK + _choices(lines)


class PriceListForm(ServiceForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Name"), max_length=120)
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    scope = forms.ChoiceField(label=_("For"), choices=PriceListScope.choices)
    tier = forms.ChoiceField(label=_("Client tier"), required=False, choices=BLANK + Tier.choices,
                             help_text=_("For a list for a client tier."))
    company = forms.CharField(label=_("Client"), required=False,
                              widget=CompanyPicker(label_field="company_label"),
                              help_text=_("For a list for one client."))
    valid_from = _date(_("Valid from"))
    valid_to = _date(_("Valid to"))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, company_label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        label = self.data.get("company_label", "") if self.is_bound else company_label
        self.fields["company"].widget.attrs["data-label"] = label


class PriceItemAddForm(ServiceForm):
    product = forms.CharField(label=_("Product"), widget=ProductPicker)
    price = _number(_("Unit price"), required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        label = self.data.get("product_label", "") if self.is_bound else ""
        self.fields["product"].widget.attrs["data-label"] = label


class PricingRuleForm(ServiceForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Name"), max_length=150)
    kind = forms.ChoiceField(label=_("Kind"), choices=RuleKind.choices)
    company = forms.CharField(label=_("Client"), required=False,
                              widget=CompanyPicker(label_field="company_label"),
                              help_text=_("Only for this client (empty: every client)."))
    tier = forms.ChoiceField(label=_("Client tier"), required=False,
                             choices=[("", _("Every tier")), *Tier.choices])
    product = forms.CharField(label=_("Product"), required=False, widget=ProductPicker,
                              help_text=_("Only this product (empty: every product)."))
    line = forms.ChoiceField(label=_("Product line"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    discount_percent = _number(_("Discount (%)"))
    fixed_price = _number(_("Fixed unit price"))
    currency = forms.ChoiceField(label=_("Currency of the fixed price"), choices=Currency.choices)
    min_quantity = _number(_("From quantity"), help_text=_(
        "Volume discount: from this many units on a line. Free units: for every this many bought."))
    free_units = _number(_("Free units"))
    period_volume = _number(_("Volume in the period"),
                            help_text=_("Units the client buys between the dates to earn the rebate."))
    valid_from = _date(_("Valid from"))
    valid_to = _date(_("Valid to"))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    # Which value fields each kind shows (the others are hidden and cleared by the service).
    KIND_FIELDS = {
        RuleKind.SPECIAL_CONDITION: ["discount_percent", "fixed_price", "currency"],
        RuleKind.VOLUME_DISCOUNT: ["min_quantity", "discount_percent"],
        RuleKind.PROMOTION: ["discount_percent"],
        RuleKind.FREE_UNITS: ["min_quantity", "free_units"],
        RuleKind.REBATE: ["period_volume", "discount_percent"],
    }
    VALUE_FIELDS = ["discount_percent", "fixed_price", "currency", "min_quantity", "free_units",
                    "period_volume"]

    def __init__(self, *args, lines=(), categories=(), company_label: str = "",
                 product_label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["line"]).choices = [("", _("Every line")), *_choices(lines)]
        cast(forms.ChoiceField, self.fields["category"]).choices = [
            ("", _("Every category")), *_choices(categories)]
        for name, label in (("company", company_label), ("product", product_label)):
            value = self.data.get(f"{name}_label", "") if self.is_bound else label
            self.fields[name].widget.attrs["data-label"] = value

    def value_rows(self) -> list[tuple]:
        """(bound field, the kinds that use it, shown now) for each value field: the page shows
        the chosen kind's fields (partnera/catalog.js switches them when the kind changes)."""
        kind = self["kind"].value() or RuleKind.PROMOTION
        rows = []
        for name in self.VALUE_FIELDS:
            kinds = [str(k) for k, fields in self.KIND_FIELDS.items() if name in fields]
            rows.append((self[name], " ".join(kinds), kind in kinds))
        return rows


class VatRateForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=80)
    rate = _number(_("Rate (%)"), required=True)
    is_default = forms.BooleanField(label=_("Default rate"), required=False)


class PricingPolicyForm(ServiceForm):
    max_manual_discount = _number(_("Largest manual discount without approval (%)"),
                                  required=True, help_text=_(
                                      "A manager's manual discount above this needs the head of "
                                      "sales' approval."))


class PriceCheckForm(forms.Form):
    company = forms.CharField(label=_("Client"), widget=CompanyPicker(label_field="company_label"))
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    on_date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}),
                              input_formats=["%Y-%m-%d"])

    def __init__(self, *args, company_label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        label = self.data.get("company_label", "") if self.is_bound else company_label
        self.fields["company"].widget.attrs["data-label"] = label
