"""Forms of the order pages. They parse what the browser sent; the services hold every rule and
their errors are placed next to the fields (and next to the line they name).

Order lines travel as numbered rows (`line-<i>-product`, `line-<i>-quantity` …) so the form works
without JavaScript: the page posts as many rows as it shows, blank rows are ignored, and "more
rows" adds empty ones. With JavaScript (orders.js) rows are added in place and the product box
searches the catalog.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from partnera.catalog.models import Product
from partnera.clients.forms import CompanyPicker
from partnera.core.money import Currency
from partnera.orders.models import OrderStatus
from partnera.orders.selectors import ORDER_SORTS, OrderFilters

BLANK = [("", "—")]
ROW_KEY = re.compile(r"^line-(\d{1,4})-")
LINE_FIELDS = ("product", "product_label", "quantity", "manual_discount", "promised_date",
               "description", "offer_line")
MAX_ROWS = 1000
BLANK_ROWS = 3


def _ids(values) -> list[int]:
    out = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number < 2**63:
            out.append(number)
    return out


def _set_choices(form: forms.Form, name: str, choices: list) -> None:
    cast(forms.ChoiceField, form.fields[name]).choices = choices


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value or "").strip()[:10])
    except ValueError:
        return None


class OrderFilterForm(forms.Form):
    """The order list's filters from the query string. Lax: a value that makes no sense is
    ignored (a list filter never answers an error)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.MultipleChoiceField(label=_("Status"), required=False,
                                       choices=OrderStatus.choices,
                                       widget=forms.CheckboxSelectMultiple)
    owner = forms.MultipleChoiceField(label=_("Account manager"), required=False,
                                      widget=forms.CheckboxSelectMultiple)
    company = forms.CharField(label=_("Client"), required=False, widget=CompanyPicker())
    late = forms.BooleanField(label=_("Late"), required=False)
    received_from = forms.DateField(label=_("Received from"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    received_to = forms.DateField(label=_("Received to"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(label=_("Sort by"), required=False)

    def __init__(self, *args, users=(), company_label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        _set_choices(self, "owner", [(str(u.pk), str(u)) for u in users])
        _set_choices(self, "sort", sort_choices())
        self.fields["company"].widget.attrs["data-label"] = company_label

    def _raw(self, name: str) -> list[str]:
        return [v for v in self.data.getlist(name) if v] if hasattr(self.data, "getlist") else []

    def filters(self) -> OrderFilters:
        data = self.data
        statuses = set(OrderStatus.values)
        return OrderFilters(
            q=" ".join(str(data.get("q", "")).split())[:100],
            status=[s for s in self._raw("status") if s in statuses],
            owner=_ids(self._raw("owner"))[:50],
            company=next(iter(_ids([data.get("company", "")])), None),
            late=data.get("late") in ("1", "on", "true"),
            received_from=_date(data.get("received_from", "")),
            received_to=_date(data.get("received_to", "")),
        )

    def sort_key(self) -> str:
        sort = self.data.get("sort", "")
        return sort if sort in ORDER_SORTS else "received"


def sort_choices() -> list[tuple[str, Any]]:
    return [("received", _("Recently received")), ("created", _("Recently entered")),
            ("number", _("Number"))]


class ClientChoiceForm(forms.Form):
    """The first step of a new order: which client (among those the user may see)."""

    company = forms.CharField(label=_("Client"), required=False, widget=CompanyPicker())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].widget.attrs["data-label"] = (
            self.data.get("company_label", "") if self.is_bound else "")


class OrderHeaderForm(forms.Form):
    """The order's header. The client is chosen before (the first step) and stays."""

    contract = forms.ChoiceField(label=_("Contract"), required=False)
    offer = forms.ChoiceField(label=_("From offer"), required=False)
    received_on = forms.CharField(label=_("Received on"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    requested_date = forms.CharField(label=_("Requested delivery date"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}),
                                     help_text=_("Lines without their own promised date get it."))
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, required=False)
    client_reference = forms.CharField(label=_("Client's order number"), max_length=60,
                                       required=False)
    delivery_address = forms.CharField(label=_("Delivery address"), max_length=500, required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.ChoiceField(label=_("Account manager"), required=False)
    team = forms.ChoiceField(label=_("Team"), required=False)
    departments = forms.MultipleChoiceField(label=_("Departments that see it"), required=False,
                                            widget=forms.CheckboxSelectMultiple)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, contracts=(), offers=(), departments=(), users=None, teams=None,
                 editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        _set_choices(self, "contract", BLANK + [(str(c.pk), str(c)) for c in contracts])
        _set_choices(self, "offer", BLANK + [(str(o.pk), f"{o} · {o.title}") for o in offers])
        _set_choices(self, "departments", [(str(d.pk), str(d)) for d in departments])
        if users is None:
            del self.fields["owner"], self.fields["team"]
        else:
            _set_choices(self, "owner", BLANK + [(str(u.pk), str(u)) for u in users])
            _set_choices(self, "team", BLANK + [(str(t.pk), str(t)) for t in teams or ()])
        if editing:
            for name in ("offer", "received_on", "currency"):
                del self.fields[name]

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        data["departments"] = self.cleaned_data.get("departments") or []
        for name in ("contract", "offer", "owner", "team", "received_on", "requested_date",
                     "currency"):
            if name in data and data[name] == "":
                data[name] = None
        return data


@dataclass
class LineRow:
    """One posted line row: what the user typed (kept on error) and its errors."""

    index: int
    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    offer_line: Any = None  # the offer line shown read-only (price as offered)

    @property
    def is_blank(self) -> bool:
        return not any(self.values.get(k) for k in ("product", "product_label", "quantity",
                                                     "offer_line"))

    def get(self, name: str) -> str:
        return self.values.get(name, "")


def posted_rows(data) -> list[LineRow]:
    """Every `line-<i>-…` row the page posted, in order of `i`."""
    indices = sorted({int(m.group(1)) for key in data for m in [ROW_KEY.match(key)] if m})
    rows = []
    for index in indices[:MAX_ROWS]:
        values = {name: str(data.get(f"line-{index}-{name}", "")).strip()[:300]
                  for name in LINE_FIELDS}
        rows.append(LineRow(index=index, values=values))
    return rows


def resolve_products(rows: list[LineRow]) -> None:
    """A row whose box holds a product code but no chosen id (typed without JavaScript) gets the
    active product with that code."""
    codes = {row.get("product_label").split()[0].casefold(): row for row in rows
             if not row.get("product") and row.get("product_label")}
    if not codes:
        return
    found: dict[str, Product] = {}
    for product in Product.objects.filter(active=True).only("pk", "code", "name"):
        if product.code.casefold() in codes:
            found[product.code.casefold()] = product
    for row in rows:
        label = row.get("product_label")
        if not row.get("product") and label:
            product = found.get(label.split()[0].casefold())
            if product is not None:
                row.values["product"] = str(product.pk)
                row.values["product_label"] = f"{product.code} {product.name}"


def line_inputs(rows: list[LineRow]) -> tuple[list[dict], list[LineRow]]:
    """The non-blank rows as service line input, and the rows in the same order (the service
    numbers lines from 1 in this order)."""
    used = [row for row in rows if not row.is_blank]
    inputs = []
    for row in used:
        item: dict[str, Any] = {
            "quantity": row.get("quantity"), "manual_discount": row.get("manual_discount"),
            "promised_date": row.get("promised_date") or None,
            "description": row.get("description"),
        }
        if row.get("offer_line"):
            item["offer_line"] = row.get("offer_line")
        else:
            item["product"] = row.get("product") or None
        inputs.append(item)
    return inputs, used


def place_line_errors(error_fields: dict[str, list[str]], used: list[LineRow]) -> dict:
    """Put `lines.<n>.<field>` errors on their rows; return the other errors."""
    rest: dict[str, list[str]] = {}
    for key, messages in error_fields.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit() \
                and 1 <= int(parts[1]) <= len(used):
            name = "product" if parts[2] == "offer_line" else parts[2]
            used[int(parts[1]) - 1].errors.setdefault(name, []).extend(messages)
        else:
            rest[key] = messages
    return rest


def with_blank_rows(rows: list[LineRow], count: int = BLANK_ROWS) -> list[LineRow]:
    start = max((row.index for row in rows), default=-1) + 1
    return rows + [LineRow(index=start + i, values={}) for i in range(count)]


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why is the order cancelled?"), required=False,
                             max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CloseForm(forms.Form):
    reason = forms.CharField(label=_("Why will the rest not be delivered?"), required=False,
                             max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class DeliveryForm(forms.Form):
    """The delivery's day, document and note; the quantities are per line (`qty_<line id>`)."""

    delivered_on = forms.CharField(label=_("Delivered on"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    document_number = forms.CharField(label=_("Delivery note number"), required=False,
                                      max_length=60)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
