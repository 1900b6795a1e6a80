"""Importing orders from a spreadsheet (the import kind "orders", registered in orders.registry).

One row per order line: the client (EIK, else its exact name), the client's order number, the
product code, the quantity, the promised date and the day the order was received. Rows with the
same client and client's order number make one order; its lines are priced by the pricing engine
as of the day received (never by a price in the file), exactly as an order entered by hand —
through the same service (orders.services.order_create), with the channel "import".

An order is imported whole or not at all: a bad row (unknown product, a client the importer
cannot see, a bad quantity or date) refuses its whole order, and every other row of that order
says which row to fix. A client's order number already on an order of that client is refused
(the order was imported before). Undo deletes the orders the run created while they are still
only received.

The engine cuts a file into batches and writes each in its own transaction; the rows of one order
may fall into two batches. The later rows are then added to the order the earlier batch created
(the handler remembers it for the run; a resumed run finds it through the run's undo records).
Should a later row of that order be refused, the order made from the earlier rows is deleted
again in the same transaction (orders.import_withdrawal): no partial order is left behind, and
the earlier rows are reported as errors too (the report and the counts say so). Only when
someone confirmed that order meanwhile does it stay, with its earlier rows, and the report says
so. The dry run cannot take back what it already reported for an earlier batch: a group refused
in a later batch shows its earlier rows as "created" there (the real run's report is exact).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnera.catalog.models import Product
from partnera.clients.importing.common import chunks, clean_eik
from partnera.clients.models import Company
from partnera.core.errors import DomainError, ValidationFailed
from partnera.core.visibility import visible_q
from partnera.imports import cells
from partnera.imports.cells import CellError
from partnera.imports.registry import (
    ImportField,
    ImportHandler,
    Outcome,
    RecordChange,
    Row,
    UndoResult,
)
from partnera.orders import permissions, services
from partnera.orders.import_withdrawal import created_by_running_import, withdraw_order
from partnera.orders.models import Order, OrderChannel, OrderStatus
from partnera.orders.selectors import order_visible_q
from partnera.orders.services_lines import LineContext, build_lines, parse_quantity

ORDER_IMPORT_FIELDS = (
    ImportField("client_eik", gettext_lazy("Client's EIK"), (
        "eik", "еик", "булстат", "еик/булстат", "client eik", "company eik", "customer eik",
        "еик на клиента", "ЕИК клиент", "bulstat", "uic",
    )),
    ImportField("client_name", gettext_lazy("Client's name"), (
        "client", "customer", "company", "company name", "клиент", "фирма", "контрагент",
        "име на клиента", "наименование",
    )),
    ImportField("client_reference", gettext_lazy("Client's order number"), (
        "order", "order number", "order no", "client order", "client order number",
        "customer order", "po", "po number", "purchase order", "поръчка", "номер на поръчка",
        "№ поръчка", "поръчка №", "номер на поръчката на клиента", "заявка", "номер на заявка",
    ), required=True),
    ImportField("product_code", gettext_lazy("Product code"), (
        "code", "product", "product code", "sku", "item", "item code", "article", "код",
        "артикул", "код на артикул", "код на продукт", "продукт", "стока", "номенклатура",
    ), required=True),
    ImportField("quantity", gettext_lazy("Quantity"), (
        "qty", "quantity", "amount", "количество", "к-во", "брой", "бройки",
    ), required=True),
    ImportField("promised_date", gettext_lazy("Promised date"), (
        "promised", "promised date", "delivery date", "due date", "due", "срок",
        "срок на доставка", "дата на доставка", "обещана дата", "падеж на доставката",
    )),
    ImportField("received_on", gettext_lazy("Received on"), (
        "received", "received on", "order date", "date", "дата", "дата на поръчка",
        "получена", "дата на получаване",
    )),
    ImportField("description", gettext_lazy("Description"), ("description", "описание", "забележка")),
    ImportField("currency", gettext_lazy("Currency"), ("currency", "валута")),
)
ORDER_KEYS = (("auto", gettext_lazy("The client and the client's order number")),)
REQUIRED_ANY = (("client_eik", "client_name"),)
HELP = gettext_lazy("One order line per row: the client's EIK (or exact name), the client's order "
             "number, the product code, the quantity and the promised date. Rows with the same "
             "client and order number make one order, priced by the price lists as of the day "
             "received.")


def may_import(user) -> bool:
    return permissions.may_take_orders(user)


def _group_label(ref: str) -> str:
    return ref[:200]


class OrderImport(ImportHandler):
    object_type = "orders.order"

    def __init__(self, *, actor, options, dry_run: bool) -> None:
        super().__init__(actor=actor, options=options, dry_run=dry_run)
        # (company id, client's order number) → ("planned", None) | ("created", order id) |
        # ("failed", first row) across the batches of one pass.
        self.groups: dict[tuple[int, str], tuple[str, Any]] = {}
        # Orders an earlier batch created whose later rows were refused in this batch:
        # key → (order id, the refused row); apply() deletes them again.
        self.withdrawals: dict[tuple[int, str], tuple[int, int]] = {}
        # Rows refused while being cleaned, by (client as written, client's order number): the
        # first such row; `fresh_refusals` those of the batch being planned.
        self.refused: dict[tuple[str, str], int] = {}
        self.fresh_refusals: list[tuple[str, str]] = []
        self.planned_keys: set[tuple[int, str]] = set()  # the groups of the batch planned
        # (client as written, client's order number) → the group's key, once planned.
        self.group_keys: dict[tuple[str, str], tuple[int, str]] = {}

    # -- one row -----------------------------------------------------------------------------

    def clean(self, row: Row) -> None:
        data = row.data
        for key, limit in (("client_reference", 60), ("product_code", 40), ("client_name", 255),
                           ("description", 300)):
            raw = row.values.get(key, "")
            if raw:
                try:
                    value = cells.text(raw, limit)
                except CellError as exc:
                    row.error(key, exc.message)
                    continue
                if value:
                    data[key] = " ".join(value.split()) if key != "description" else value
        raw_eik = row.values.get("client_eik", "")
        if raw_eik:
            try:
                data["client_eik"] = clean_eik(raw_eik)
            except ValidationError as exc:
                row.error("client_eik", " ".join(exc.messages))
        if "client_eik" not in data and "client_name" not in data and not any(
                i.field == "client_eik" for i in row.issues):
            row.error("client_name" if "client_name" in row.columns else "client_eik",
                      _("Say which client placed the order (its EIK or name)."))
        if "client_reference" not in data and not any(i.field == "client_reference"
                                                      for i in row.issues):
            row.error("client_reference", _("The client's order number is missing."))
        if "product_code" not in data and not any(i.field == "product_code" for i in row.issues):
            row.error("product_code", _("The product code is missing."))
        raw_quantity = row.values.get("quantity", "")
        try:
            data["quantity"] = parse_quantity(raw_quantity)
        except ValidationError as exc:
            row.error("quantity", " ".join(exc.messages))
        for key in ("promised_date", "received_on"):
            raw = row.values.get(key, "")
            if raw:
                try:
                    day = cells.date(raw)
                except CellError as exc:
                    row.error(key, exc.message)
                    continue
                if day is not None:
                    data[key] = day
        currency = row.values.get("currency", "").strip().upper()
        if currency:
            if currency in ("EUR", "BGN"):
                data["currency"] = currency
            elif currency in ("ЛВ", "ЛВ.", "LEV", "BGL"):
                data["currency"] = "BGN"
            elif currency in ("€", "ЕВРО"):
                data["currency"] = "EUR"
            else:
                row.error("currency", _("Write EUR or BGN."))
        row.label = " · ".join(p for p in (data.get("client_reference"), data.get("product_code"))
                               if p)[:200]
        if row.has_errors and data.get("client_reference") and (
                data.get("client_eik") or data.get("client_name")):
            # The engine keeps this row from plan(): its order is refused there all the same.
            ref = (self._client_ref(row), data["client_reference"])
            self.refused.setdefault(ref, row.number)
            self.fresh_refusals.append(ref)

    def _client_ref(self, row: Row) -> str:
        data = row.data
        return ("eik:" + data["client_eik"]) if data.get("client_eik") else (
            "name:" + data.get("client_name", "").casefold())

    # -- a batch -----------------------------------------------------------------------------

    def _companies(self, rows: list[Row]) -> dict[str, Company | str]:
        eiks = sorted({r.data["client_eik"] for r in rows if r.data.get("client_eik")})
        names = sorted({r.data["client_name"] for r in rows
                        if r.data.get("client_name") and not r.data.get("client_eik")})
        visible = Company.objects.filter(visible_q(self.actor))
        refs: dict[str, Company | str] = {}
        for chunk in chunks(eiks):
            for company in visible.filter(eik__in=chunk):
                refs["eik:" + company.eik] = company
        by_name: dict[str, list[Company]] = defaultdict(list)
        for chunk in chunks(names):
            for company in visible.filter(legal_name__in=chunk):
                by_name[company.legal_name.casefold()].append(company)
        for name, found in by_name.items():
            refs["name:" + name] = found[0] if len(found) == 1 else "ambiguous"
        return refs

    def _products(self, rows: list[Row]) -> dict[str, Product]:
        codes = sorted({r.data["product_code"] for r in rows if r.data.get("product_code")})
        found: dict[str, Product] = {}
        for chunk in chunks(codes):
            for product in Product.objects.filter(code__in=chunk, active=True):
                found[product.code] = product
        return found

    def plan(self, rows: list[Row]) -> None:
        self.withdrawals = {}
        if self.dry_run:  # nothing to take back: the later rows are refused by `refused`
            self.fresh_refusals = []
        companies = self._companies(rows)
        products = self._products(rows)
        groups: dict[tuple[int, str], list[Row]] = defaultdict(list)
        for row in rows:
            ref = self._client_ref(row)
            company = companies.get(ref)
            field = "client_eik" if ref.startswith("eik:") else "client_name"
            if company is None:
                row.fail(field, _("No client with this EIK that you can see.")
                         if field == "client_eik" else
                         _("No client with this name that you can see; give its EIK."))
            elif company == "ambiguous":
                row.fail(field, _("Several clients you can see have this name; give the EIK."))
            product = products.get(row.data.get("product_code", ""))
            if product is None:
                row.fail("product_code", _("No active product has the code “%(code)s”.")
                         % {"code": row.data.get("product_code", "")})
            if isinstance(company, Company):
                row.data["_company"] = company
                row.data["_product"] = product
                groups[(company.pk, row.data["client_reference"])].append(row)
            elif product is not None:
                row.data["_product"] = product
        existing = self._existing(groups)
        for key, members in groups.items():
            for row in members:
                self.group_keys[(self._client_ref(row), key[1])] = key
            self._plan_group(key, members, existing.get(key))
        self.planned_keys = set(groups)

    def _refuse_groups_of_fresh_refusals(self) -> None:
        """A row of an order created in an earlier batch was refused while this batch was
        cleaned (the engine plans no such row): the order is refused too."""
        fresh, self.fresh_refusals = self.fresh_refusals, []
        for ref in fresh:
            key = self.group_keys.get(ref)
            if key is None or key in self.planned_keys:
                continue  # not seen yet (refused when it comes), or judged with this batch
            earlier = self.groups.get(key)
            if earlier is not None and earlier[0] != "failed":
                self._refuse_group(key, earlier, self.refused[ref])

    def _refused_row(self, key, members: list[Row]) -> int | None:
        found = [self.refused[ref] for ref in {(self._client_ref(r), key[1]) for r in members}
                 if ref in self.refused]
        return min(found) if found else None

    def _existing(self, groups) -> dict[tuple[int, str], Order]:
        """Orders already holding one of these client's order numbers (live, not cancelled)."""
        found: dict[tuple[int, str], Order] = {}
        by_company: dict[int, list[str]] = defaultdict(list)
        for company_id, ref in groups:
            by_company[company_id].append(ref)
        for company_id, refs in by_company.items():
            for chunk in chunks(sorted(set(refs))):
                for order in Order.objects.filter(company_id=company_id, client_reference__in=chunk
                                                  ).exclude(status=OrderStatus.CANCELLED):
                    found.setdefault((company_id, order.client_reference), order)
        return found

    def _plan_group(self, key, members: list[Row], existing: Order | None) -> None:
        first = members[0].number
        earlier = self.groups.get(key)
        if (earlier is None and existing is not None and not self.dry_run
                and created_by_running_import(self.actor, self.object_type, existing.pk)):
            # A resumed run: an earlier batch of this very run created the order.
            earlier = self.groups[key] = ("created", existing.pk)
        if earlier is not None and earlier[0] == "failed":
            self._fail_all(members, _("Row %(row)s of this order has a problem; the order is not "
                                      "imported.") % {"row": earlier[1]})
            return
        continuing = earlier is not None and earlier[0] in ("created", "planned")
        if existing is not None and not (continuing and earlier and earlier[1] == existing.pk):
            seen = Order.objects.filter(order_visible_q(self.actor), pk=existing.pk).exists()
            message = (_("Order %(number)s already holds the client's order number “%(ref)s”.")
                       % {"number": existing.number, "ref": key[1]} if seen else
                       _("An order of this client already holds the client's order number "
                         "“%(ref)s”.") % {"ref": key[1]})
            self._fail_all(members, message, field="client_reference")
            self.groups[key] = ("failed", first)
            return
        bad = next((r.number for r in members if r.has_errors), None)
        refused = self._refused_row(key, members)
        if bad is not None or refused is not None:
            bad = min(n for n in (bad, refused) if n is not None)
            self._fail_all([r for r in members if not r.has_errors],
                           _("Row %(row)s of this order has a problem; the order is not "
                             "imported.") % {"row": bad})
            self._refuse_group(key, earlier, bad)
            return
        received = self._received_on(members)
        if received is None:
            self._refuse_group(key, earlier, first)
            return
        currency = next((r.data["currency"] for r in members if r.data.get("currency")), "EUR")
        if not self._priced(members, received, currency):
            self._refuse_group(key, earlier, next(r.number for r in members if r.has_errors))
            return
        for row in members:
            row.outcome = Outcome.CREATED
            row.data["_received_on"] = received
            row.data["_currency"] = currency
        if not continuing:
            self.groups[key] = ("planned", None)

    def _refuse_group(self, key, earlier: tuple[str, Any] | None, bad_row: int) -> None:
        """The group's rows of this batch are refused: so is the order an earlier batch made."""
        self.groups[key] = ("failed", bad_row)
        if earlier is not None and earlier[0] == "created":
            self.withdrawals[key] = (earlier[1], bad_row)

    def _fail_all(self, rows: list[Row], message: str, field: str = "") -> None:
        for row in rows:
            if not row.has_errors:
                row.fail(field, message)
            row.outcome = Outcome.ERROR

    def _received_on(self, members: list[Row]) -> dt.date | None:
        days = {r.data["received_on"] for r in members if r.data.get("received_on")}
        if len(days) > 1:
            self._fail_all(members, _("The rows of one order give different days received."),
                           field="received_on")
            return None
        today = timezone.localdate()
        received = days.pop() if days else today
        if received > today:
            for row in members:
                if row.data.get("received_on"):
                    row.fail("received_on", _("An order cannot be received in the future."))
            self._fail_all(members, _("The order is received in the future."))
            return None
        return received

    def _priced(self, members: list[Row], received: dt.date, currency: str) -> bool:
        """Price the group's lines as the service will (no writes); errors onto their rows."""
        company = members[0].data["_company"]
        context = LineContext(company=company, currency=currency, received_on=received,
                              default_promised=None)
        try:
            build_lines(context, [self._line(r) for r in members])
        except ValidationFailed as exc:
            self._line_errors(members, exc)
            return False
        return True

    def _line(self, row: Row) -> dict:
        return {"product": row.data["_product"].pk, "quantity": row.data["quantity"],
                "promised_date": row.data.get("promised_date"),
                "description": row.data.get("description", "")}

    def _line_errors(self, members: list[Row], exc: DomainError) -> None:
        columns = {"product": "product_code", "quantity": "quantity",
                   "promised_date": "promised_date", "manual_discount": "product_code",
                   "description": "description"}
        placed = False
        for key, messages in exc.fields.items():
            parts = key.split(".")
            if len(parts) == 3 and parts[1].isdigit() and 1 <= int(parts[1]) <= len(members):
                row = members[int(parts[1]) - 1]
                field = columns.get(parts[2], "")
                for message in messages:
                    row.fail(field, message)
                placed = True
        if not placed:
            members[0].fail("", exc.message)
        bad = next(r.number for r in members if r.has_errors)
        self._fail_all(members, _("Row %(row)s of this order has a problem; the order is not "
                                  "imported.") % {"row": bad})

    def apply(self, rows: list[Row]) -> list[RecordChange]:
        groups: dict[tuple[int, str], list[Row]] = defaultdict(list)
        for row in rows:
            groups[(row.data["_company"].pk, row.data["client_reference"])].append(row)
        changes: list[RecordChange] = []
        self._refuse_groups_of_fresh_refusals()
        self.planned_keys = set()
        for order_id, bad_row in self.withdrawals.values():
            withdraw_order(self.actor, self.object_type, order_id, bad_row)
        self.withdrawals = {}
        for key, members in groups.items():
            earlier = self.groups.get(key)
            try:
                with transaction.atomic():
                    if earlier is not None and earlier[0] == "created":
                        order = self._add_lines(earlier[1], members)
                    else:
                        order = self._create(members)
                        changes.append(RecordChange(row=members[0].number, object_id=order.pk,
                                                    action="created", version=order.version))
            except DomainError as exc:
                self._line_errors(members, exc)
                self.groups[key] = ("failed", members[0].number)
                if earlier is not None and earlier[0] == "created":
                    withdraw_order(self.actor, self.object_type, earlier[1], members[0].number)
                continue
            self.groups[key] = ("created", order.pk)
            for row in members:
                row.record_id = order.pk
                row.label = f"{order.number} · {row.data.get('product_code', '')}"
        return changes

    def _create(self, members: list[Row]) -> Order:
        first = members[0].data
        return services.order_create(
            actor=self.actor, channel=OrderChannel.IMPORT,
            data={"company": first["_company"], "client_reference": first["client_reference"],
                  "received_on": first["_received_on"], "currency": first["_currency"]},
            lines=[self._line(r) for r in members])

    def _add_lines(self, order_id: int, members: list[Row]) -> Order:
        """The order's rows that fell into a later batch join the order the earlier one made."""
        order = Order.objects.select_related("company", "offer").get(pk=order_id)
        current = [{"product": ln.product_id, "quantity": ln.quantity,
                    "promised_date": ln.promised_date, "description": ln.description,
                    "manual_discount": ln.manual_discount}
                   for ln in order.lines.order_by("position", "pk")]
        services.order_set_lines(actor=self.actor, order=order,
                                 lines=current + [self._line(r) for r in members],
                                 expected_version=None)
        return order

    # -- undo --------------------------------------------------------------------------------

    def undo(self, records: list[Any]) -> UndoResult:
        result = UndoResult()
        ids = sorted({r.object_id for r in records if r.action == "created"})
        orders = {o.pk: o for o in Order.all_objects.filter(pk__in=ids).select_related("company")}
        for pk in ids:
            order = orders.get(pk)
            if order is None:
                result.kept.append((f"#{pk}", _("You can no longer see this record.")))
                continue
            if order.deleted_at is not None:
                result.kept.append((order.number, _("Already deleted.")))
                continue
            try:
                with transaction.atomic():
                    services.order_delete(actor=self.actor, order=order)
            except DomainError as exc:
                reason = (_("It was confirmed since the import; cancel it instead.")
                          if order.status != OrderStatus.RECEIVED else exc.message)
                result.kept.append((order.number, reason))
                continue
            result.reverted += 1
        return result

    def record_url(self, pk: int) -> str:
        return reverse("orders:order_detail", args=[pk])
