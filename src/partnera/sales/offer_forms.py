"""Forms of the offer pages. They parse what the browser sent; the offer services and the pricing
engine hold every rule, and their errors are placed next to the fields they name (a line's error
`lines.<n>.<field>` next to that field of the n-th line sent).

The line editor is a list of rows named `lines-<i>-<field>` (product, product_label, quantity,
manual_discount, description, remove). Any number of rows may be posted, in any numbering: the
browser script (sales/offer_lines.js) adds and removes rows; without it the page offers a few
blank rows and an "add rows" button that posts the form back without saving. A blank row is
ignored; a row whose product was typed (its code) instead of picked is matched to the product.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.db.models import Q
from django.http import QueryDict
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnera.catalog.models import Product
from partnera.catalog.pricing import MAX_LINES, LineRequest
from partnera.catalog.widgets import ProductPicker
from partnera.core.errors import DomainError
from partnera.core.money import Currency
from partnera.sales.models import OfferStatus

ROW_FIELDS = ("product", "product_label", "quantity", "manual_discount", "description", "remove")
_ROW_KEY = re.compile(r"^lines-(\d{1,4})-([a-z_]+)$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
BLANK_ROWS = 3


class OfferForm(forms.Form):
    """The offer's header: what the client reads above and below the lines."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    contact = forms.ChoiceField(label=gettext_lazy("Addressed to"), required=False)
    language = forms.ChoiceField(label=gettext_lazy("Language of the document"),
                                 choices=settings.LANGUAGES)
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=Currency.choices)
    valid_until = forms.DateField(label=gettext_lazy("Valid until"),
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                  input_formats=["%Y-%m-%d", *settings.DATE_INPUT_FORMATS])
    introduction = forms.CharField(label=gettext_lazy("Introduction"), required=False,
                                   max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    terms = forms.CharField(label=gettext_lazy("Payment and delivery terms"), required=False,
                            max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        field_ = self.fields["contact"]
        assert isinstance(field_, forms.ChoiceField)
        field_.choices = [("", "—"), *[(str(c.pk), str(c)) for c in contacts]]

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        data["contact"] = data.get("contact") or None
        return data


class RejectForm(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("Why did the client reject it?"))
    comment = forms.CharField(label=gettext_lazy("What the client said"), required=False,
                              max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, reasons=(), **kwargs):
        super().__init__(*args, **kwargs)
        field_ = self.fields["reason"]
        assert isinstance(field_, forms.ChoiceField)
        field_.choices = [("", "—"), *[(str(r.pk), r.name) for r in reasons]]


class DecisionForm(forms.Form):
    """The head of sales' decision on a discount, on the offer `version` they read (a newer one
    is refused: the lines changed since)."""

    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


# --- the line rows -------------------------------------------------------------------------------

@dataclass
class LineRow:
    """One row of the line editor as the user filled it (kept as typed when shown again)."""

    index: int | str  # "__i__" in the row template the browser script copies
    product: str = ""
    product_label: str = ""
    quantity: str = ""
    manual_discount: str = ""
    description: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def blank(self) -> bool:
        return not any((self.product, self.product_label, self.quantity, self.manual_discount,
                        self.description))

    def picker(self) -> SafeString:
        widget = ProductPicker(attrs={"id": f"id_lines-{self.index}-product",
                                      "data-label": self.product_label})
        return widget.render(f"lines-{self.index}-product", self.product)

    def error_list(self) -> list[str]:
        return [m for messages in self.errors.values() for m in messages]


def _text(value: str | None, limit: int) -> str:
    return (value or "").replace("\x00", "").strip()[:limit]


def rows_from_post(data: QueryDict) -> list[LineRow]:
    """The rows posted, in their order, without the ones marked for removal."""
    found: dict[int, dict[str, str]] = {}
    for key in data:
        match = _ROW_KEY.match(key)
        if match and match.group(2) in ROW_FIELDS:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = data.get(key, "")
    rows = []
    for index in sorted(found)[: MAX_LINES + 50]:
        values = found[index]
        if values.get("remove"):
            continue
        rows.append(LineRow(index=index, product=_text(values.get("product"), 20),
                            product_label=_text(values.get("product_label"), 300),
                            quantity=_text(values.get("quantity"), 40),
                            manual_discount=_text(values.get("manual_discount"), 40),
                            description=_text(values.get("description"), 400)))
    return rows


def rows_from_lines(lines) -> list[LineRow]:
    """The rows of an offer's stored lines (the editor's starting point)."""
    return [LineRow(index=i, product=str(line.product_id),
                    product_label=f"{line.product.code} {line.product.name}",
                    quantity=_plain(line.quantity),
                    manual_discount=_plain(line.manual_discount) if line.manual_discount else "",
                    description=line.description)
            for i, line in enumerate(lines)]


def with_blank_rows(rows: list[LineRow], count: int = BLANK_ROWS) -> list[LineRow]:
    start = max((int(r.index) for r in rows), default=-1) + 1
    return [*rows, *[LineRow(index=start + i) for i in range(count)]]


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", ",") if _decimal_comma() else text


def _decimal_comma() -> bool:
    from django.utils.formats import get_format

    return get_format("DECIMAL_SEPARATOR") == ","


def parse_number(raw: str) -> Decimal | None:
    """A number as a person types it: 12, 2.5 or 2,5 (no thousands separators); None if not."""
    value = raw.replace(" ", "").replace("\xa0", "").replace(",", ".")
    if not _NUMBER.match(value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def _typed_products(rows: list[LineRow]) -> dict[str, int]:
    """Product codes typed into rows without a picked product → the active product's id."""
    codes = {r.product_label.split()[0].casefold() for r in rows if not r.product and r.product_label}
    if not codes:
        return {}
    condition = Q()
    for code in codes:
        condition |= Q(code__iexact=code)
    return {p.code.casefold(): p.pk for p in Product.objects.filter(condition, active=True)}


def line_requests(rows: list[LineRow]) -> tuple[list[LineRequest], list[LineRow]]:
    """The non-blank rows as the pricing engine's requests, and those rows (same order). Rows
    that cannot be read get their errors and no request; the caller shows them."""
    wanted = [r for r in rows if not r.blank]
    typed = _typed_products(wanted)
    requests: list[LineRequest] = []
    for row in wanted:
        product_id = None
        if row.product.isascii() and row.product.isdigit():  # "²" is a digit, not a number
            product_id = int(row.product)
        elif row.product_label:
            product_id = typed.get(row.product_label.split()[0].casefold())
        if product_id is None:
            row.errors["product"] = [_("Choose a product from the list, or type its exact code.")]
        quantity = parse_number(row.quantity)
        if quantity is None:
            row.errors["quantity"] = [_("Enter a quantity such as 12 or 2,5.")]
        discount = parse_number(row.manual_discount) if row.manual_discount else Decimal("0")
        if discount is None:
            row.errors["manual_discount"] = [_("Enter a discount in percent, e.g. 5 or 7,5.")]
        if not row.errors:
            requests.append(LineRequest(product_id=product_id, quantity=quantity,  # type: ignore[arg-type]
                                        manual_discount=discount,  # type: ignore[arg-type]
                                        description=row.description))
    return requests, wanted


def place_line_errors(error: DomainError, rows: list[LineRow]) -> list[str]:
    """Put a service's `lines.<n>.<field>` errors on the n-th row; return the others' messages."""
    rest: list[str] = []
    for key, messages in error.fields.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit() and 1 <= int(parts[1]) <= len(rows):
            row = rows[int(parts[1]) - 1]
            name = parts[2] if parts[2] in ROW_FIELDS else "product"
            row.errors.setdefault(name, []).extend(messages)
        elif key == "lines" or key.startswith("lines."):
            rest.extend(messages)
    return rest


# --- list filters --------------------------------------------------------------------------------

def approval_filter_choices() -> list[tuple[str, str]]:
    return [("", _("Any")), ("mine", _("Awaiting my approval")), ("pending", _("Awaiting approval"))]


def status_choices() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in OfferStatus.choices]

