"""Price check: what the pricing engine asks a client for some products on a day, each price
explained step by step, with totals and VAT groups. Reads only (GET): a check is a link one can
share; the client is one the user may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from partnera.catalog.forms import PriceCheckForm
from partnera.catalog.pricing import LineRequest, PricedDocument, PricingError, price_document
from partnera.catalog.services.common import as_decimal
from partnera.catalog.views.common import pk_or_none, reader
from partnera.catalog.widgets import ProductPicker
from partnera.clients.selectors import company_visible
from partnera.core.money import Currency

DEFAULT_ROWS = 5
MAX_ROWS = 50


@dataclass
class Row:
    number: int
    product: str = ""
    product_label: str = ""
    quantity: str = ""
    discount: str = ""
    errors: list[str] = field(default_factory=list)
    picker: str = ""

    @property
    def empty(self) -> bool:
        return not (self.product or self.product_label or self.quantity or self.discount)


def _rows(params, count: int) -> list[Row]:
    rows = []
    for n in range(1, count + 1):
        row = Row(n, product=params.get(f"product_{n}", "")[:20],
                  product_label=params.get(f"product_{n}_label", "")[:200],
                  quantity=params.get(f"quantity_{n}", "")[:40],
                  discount=params.get(f"discount_{n}", "")[:40])
        widget = ProductPicker(attrs={"id": f"id_product_{n}", "data-label": row.product_label})
        row.picker = widget.render(f"product_{n}", row.product)
        rows.append(row)
    return rows


def _number(raw: str, default: Decimal | None = None) -> Decimal | None:
    if not raw.strip():
        return default
    try:
        return as_decimal(raw)
    except (ValueError, InvalidOperation):
        return None


def _requests(rows: list[Row]) -> tuple[list[LineRequest], list[Row]]:
    """The engine's lines from the filled rows (and the rows they came from); parse errors are
    put on the rows."""
    lines, used = [], []
    for row in rows:
        if row.empty:
            continue
        product_id = pk_or_none(row.product)
        quantity = _number(row.quantity)
        discount = _number(row.discount, Decimal(0))
        if product_id is None:
            row.errors.append(_("Choose a product from the list that opens as you type."))
        if quantity is None:
            row.errors.append(_("Enter a quantity, e.g. 10 or 2,5."))
        if discount is None:
            row.errors.append(_("Enter the discount as a percentage, e.g. 5 or 12,5."))
        if row.errors:
            continue
        assert product_id is not None and quantity is not None and discount is not None
        lines.append(LineRequest(product_id, quantity, discount))
        used.append(row)
    return lines, used


@require_GET
@reader
def price_check(request: HttpRequest) -> HttpResponse:
    user = request.user
    params = request.GET
    count = min(max(pk_or_none(params.get("rows")) or DEFAULT_ROWS, DEFAULT_ROWS), MAX_ROWS)
    if "more" in params:
        count = min(count + DEFAULT_ROWS, MAX_ROWS)
    rows = _rows(params, count)
    checking = "check" in params
    form = PriceCheckForm(params if checking else None, initial={
        "currency": Currency.EUR, "on_date": timezone.localdate().isoformat()})
    document: PricedDocument | None = None
    problem = ""
    status = 200
    if checking:
        valid = form.is_valid()
        company = None
        if valid:
            company = company_visible(user=user).filter(
                pk=pk_or_none(form.cleaned_data["company"]) or 0).first()
            if company is None:
                form.add_error("company", _("Choose a client you can see."))
        lines, used = _requests(rows)
        if not lines and not any(row.errors for row in rows):
            problem = _("Add at least one product with its quantity.")
        if company is not None and lines and not any(row.errors for row in rows):
            try:
                document = price_document(company=company, currency=form.cleaned_data["currency"],
                                          on_date=form.cleaned_data["on_date"], lines=lines)
            except PricingError as exc:
                _place(exc, used, form)
                problem = exc.message if not exc.fields else ""
        if document is None:
            status = 400
    return render(request, "catalog/price_check.html", {
        "form": form, "rows": rows, "row_count": count, "document": document,
        "problem": problem, "checking": checking,
    }, status=status)


def _place(exc: PricingError, used: list[Row], form) -> None:
    """The engine's errors (`lines.<n>.<field>`, n from 1) onto the rows they came from."""
    for key, messages in exc.fields.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit():
            index = int(parts[1]) - 1
            if 0 <= index < len(used):
                used[index].errors.extend(messages)
                continue
        target = key if key in form.fields else None
        for message in messages:
            form.add_error(target, message)
