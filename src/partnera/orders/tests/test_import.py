"""Importing orders from a real CSV file (tests/data/orders_import.csv, Bulgarian headers, ";"):
rows grouped into orders by the client's order number, priced by the engine, every bad row
reported with its number and its whole order refused; dry run writes nothing; undo; the CLI."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from partnera.catalog.tests.factories import PriceListFactory, priced_product
from partnera.clients.tests.factories import CompanyFactory
from partnera.core.models import AuditEntry
from partnera.imports import services as import_services
from partnera.imports.tests.helpers import dry_run, issues, outcomes, run_import
from partnera.orders.models import Order, OrderChannel, OrderLine, OrderStatus

pytestmark = pytest.mark.django_db

FILE = Path(__file__).parent / "data" / "orders_import.csv"
ALFA, GAMA = "107998190", "108156575"


@pytest.fixture
def world(manager, other_manager):
    price_list = PriceListFactory()
    kash = priced_product("1.20", price_list=price_list, code="KASH-01", name="Кашон")
    etik = priced_product("0.05", price_list=price_list, code="ETIK-02", name="Етикет")
    alfa = CompanyFactory(legal_name="Алфа ООД", eik=ALFA, owner=manager)
    beta = CompanyFactory(legal_name="Бета АД", owner=manager)
    CompanyFactory(legal_name="Гама ЕООД", eik=GAMA, owner=other_manager)  # not visible
    return {"kash": kash, "etik": etik, "alfa": alfa, "beta": beta}


def _text() -> bytes:
    return FILE.read_bytes()


def test_dry_run_reports_every_bad_row_and_writes_nothing(manager, world):
    run = dry_run(manager, "orders", _text(), filename="orders_import.csv")

    assert run.counts == {"created": 4, "updated": 0, "unchanged": 0, "skipped": 0, "errors": 5}
    assert Order.all_objects.count() == 0 and OrderLine.objects.count() == 0
    found = issues(run)
    rows = {number for number, _column, _message in found}
    assert rows == {6, 7, 8, 9, 10}
    messages = {number: message for number, _column, message in found}
    assert messages[6] == "No client with this EIK that you can see."
    assert messages[7] == "No active product has the code “NOPE-99”."
    assert messages[8] == "Row 7 of this order has a problem; the order is not imported."
    assert messages[9] == "The quantity must be more than zero."
    assert "is not a date" in messages[10]
    columns = {number: column for number, column, _message in found}
    assert (columns[6], columns[7], columns[9], columns[10]) == (
        "ЕИК", "Код на артикул", "Количество", "Срок на доставка")


def test_import_creates_whole_orders_priced_by_the_engine(manager, world):
    run = run_import(manager, "orders", _text(), filename="orders_import.csv")

    assert run.counts == {"created": 4, "updated": 0, "unchanged": 0, "skipped": 0, "errors": 5}
    assert outcomes(run) == {2: "created", 3: "created", 4: "created", 5: "created",
                             6: "error", 7: "error", 8: "error", 9: "error", 10: "error"}
    orders = {o.client_reference: o for o in Order.objects.all()}
    assert set(orders) == {"PO-1001", "B-77", "PO-1002"}
    po = orders["PO-1001"]
    assert (po.company, po.channel, po.received_on, po.status, po.owner) == (
        world["alfa"], OrderChannel.IMPORT, dt.date(2025, 3, 3), OrderStatus.RECEIVED, manager)
    assert po.number.startswith("ORD-2025-")
    assert [(ln.product.code, ln.quantity, ln.unit_price, ln.net_amount, ln.promised_date)
            for ln in po.lines.order_by("position")] == [
        ("KASH-01", Decimal("120.000"), Decimal("1.2000"), Decimal("144.00"), dt.date(2025, 3, 12)),
        ("ETIK-02", Decimal("2500.000"), Decimal("0.0500"), Decimal("125.00"), dt.date(2025, 3, 14)),
    ]
    assert po.net_total == Decimal("269.00")
    assert orders["B-77"].company == world["beta"]
    assert orders["B-77"].lines.get().quantity == Decimal("40.500")
    entry = AuditEntry.objects.get(object_type="orders.order", object_id=str(po.pk), action="create")
    assert (entry.channel, entry.company_id) == ("import", world["alfa"].pk)


def test_the_same_file_again_is_refused_order_by_order(manager, world):
    run_import(manager, "orders", _text(), filename="orders_import.csv")
    before = Order.objects.count()
    again = dry_run(manager, "orders", _text(), filename="orders_import.csv")
    assert again.counts["created"] == 0
    messages = {number: message for number, _c, message in issues(again)}
    number = Order.objects.get(client_reference="PO-1001").number
    assert messages[2] == f"Order {number} already holds the client's order number “PO-1001”."
    assert Order.objects.count() == before


def test_rows_of_one_order_in_two_batches_make_one_order(manager, world, settings):
    settings.PARTNERA_IMPORT_BATCH_SIZE = 1
    run_import(manager, "orders", _text(), filename="orders_import.csv")
    po = Order.objects.get(client_reference="PO-1001")
    assert po.lines.count() == 2 and po.net_total == Decimal("269.00")
    assert Order.objects.count() == 3


def test_undo_deletes_the_orders_still_received(manager, world):
    from partnera.orders import services

    run = run_import(manager, "orders", _text(), filename="orders_import.csv")
    confirmed = Order.objects.get(client_reference="B-77")
    services.order_confirm(actor=manager, order=confirmed)
    result = import_services.import_undo(actor=manager, run=run)
    assert result.reverted == 2
    assert [label for label, _reason in result.kept] == [confirmed.number]
    assert list(Order.objects.values_list("client_reference", flat=True)) == ["B-77"]
    assert Order.all_objects.filter(deleted_at__isnull=False).count() == 2


def test_department_members_may_not_import_orders(make_user, world):
    from partnera.core.errors import DomainError
    from partnera.core.roles import Role

    with pytest.raises(DomainError):
        dry_run(make_user(Role.DEPARTMENT), "orders", _text(), filename="orders_import.csv")
    assert Order.all_objects.count() == 0


def test_the_command_line_imports_the_file(manager, world):
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import", "orders", str(FILE), user=manager.username, quiet=True,
                     stdout=out, stderr=err)
    assert exc.value.returncode == 2  # some rows had problems, the rest was imported
    assert Order.objects.count() == 3
    assert "NOPE-99" in out.getvalue()


# --- an order whose rows fall into two batches ---------------------------------------------------

HEADER = "ЕИК;Номер на поръчка;Код на артикул;Количество;Дата на поръчка;Срок на доставка\n"


def _two_batches(settings, rows: str) -> bytes:
    settings.PARTNERA_IMPORT_BATCH_SIZE = 1  # every row a batch of its own
    return (HEADER + rows).encode()


def test_a_refused_later_row_takes_back_the_order_made_from_the_earlier_rows(manager, world,
                                                                             settings):
    # Given an order of two rows in two batches, its second row naming an unknown product
    text = _two_batches(settings, f"{ALFA};PO-1;KASH-01;10;03.03.2025;20.03.2025\n"
                                  f"{ALFA};PO-1;NOPE-99;5;03.03.2025;20.03.2025\n"
                                  f"{ALFA};PO-2;ETIK-02;100;03.03.2025;20.03.2025\n")

    run = run_import(manager, "orders", text, filename="orders.csv")

    # Then no part of PO-1 is left; PO-2 (whole) is imported
    assert list(Order.objects.values_list("client_reference", flat=True)) == ["PO-2"]
    withdrawn = Order.all_objects.get(client_reference="PO-1")
    assert withdrawn.deleted_at is not None
    assert AuditEntry.objects.filter(object_type="orders.order", object_id=str(withdrawn.pk),
                                     action="delete", channel="import").count() == 1
    # And the report counts PO-1's rows as errors, each saying why
    assert outcomes(run) == {2: "error", 3: "error", 4: "created"}
    assert run.counts == {"created": 1, "updated": 0, "unchanged": 0, "skipped": 0, "errors": 2}
    messages = {number: message for number, _column, message in issues(run)}
    assert messages[2] == (f"Row 3 of this order has a problem; the order is not imported (order "
                           f"{withdrawn.number}, made from the rows before it, was deleted again).")
    assert messages[3] == "No active product has the code “NOPE-99”."
    # And undo has nothing of PO-1 to take back
    result = import_services.import_undo(actor=manager, run=run)
    assert (result.reverted, result.kept) == (1, [])


def test_a_later_row_refused_while_cleaned_takes_back_the_order_too(manager, world, settings):
    text = _two_batches(settings, f"{ALFA};PO-1;KASH-01;10;03.03.2025;20.03.2025\n"
                                  f"{ALFA};PO-1;ETIK-02;-5;03.03.2025;20.03.2025\n")

    run = run_import(manager, "orders", text, filename="orders.csv")

    assert not Order.objects.exists() and OrderLine.objects.filter(
        order__deleted_at__isnull=True).count() == 0
    assert outcomes(run) == {2: "error", 3: "error"}
    assert run.counts["created"] == 0 and run.counts["errors"] == 2


def test_a_bad_row_in_the_same_batch_refuses_its_whole_order(manager, world):
    # (one batch: a row refused while cleaned never reaches the planning, its order is refused)
    text = (HEADER + f"{ALFA};PO-1;KASH-01;10;03.03.2025;20.03.2025\n"
                     f"{ALFA};PO-1;ETIK-02;много;03.03.2025;20.03.2025\n").encode()

    run = run_import(manager, "orders", text, filename="orders.csv")

    assert Order.all_objects.count() == 0
    assert outcomes(run) == {2: "error", 3: "error"}
    assert {n: m for n, _c, m in issues(run)}[2] == (
        "Row 3 of this order has a problem; the order is not imported.")


def test_an_order_confirmed_between_the_batches_stays_and_says_so(manager, world, settings,
                                                                  monkeypatch):
    from partnera.orders import importing, services

    text = _two_batches(settings, f"{ALFA};PO-1;KASH-01;10;03.03.2025;20.03.2025\n"
                                  f"{ALFA};PO-1;NOPE-99;5;03.03.2025;20.03.2025\n")
    planned = importing.OrderImport.plan

    def plan_after_a_confirmation(self, rows):  # someone confirms PO-1 before row 3 is planned
        order = Order.objects.filter(client_reference="PO-1", status=OrderStatus.RECEIVED).first()
        if order is not None and rows[0].number == 3:
            services.order_confirm(actor=manager, order=order)
        return planned(self, rows)

    monkeypatch.setattr(importing.OrderImport, "plan", plan_after_a_confirmation)
    run = run_import(manager, "orders", text, filename="orders.csv")

    order = Order.objects.get(client_reference="PO-1")
    assert (order.status, order.lines.count()) == (OrderStatus.CONFIRMED, 1)
    messages = [m for n, _c, m in issues(run) if n == 2]
    assert messages == [f"Row 3 of this order has a problem, but order {order.number}, made from "
                        f"the rows before it, was confirmed meanwhile and keeps only those rows: "
                        f"add the rest by hand."]


# --- i18n ------------------------------------------------------------------------------------------

def test_the_import_labels_are_extracted_for_translation(tmp_path):
    """makemessages (xgettext with Django's keywords) finds the field labels and the help."""
    import shutil
    import subprocess

    import partnera.clients.importing.fields as client_fields
    import partnera.orders.importing as order_import

    if shutil.which("xgettext") is None:
        pytest.skip("xgettext is not installed")
    out = tmp_path / "django.po"
    subprocess.run(["xgettext", "--language=Python", "--from-code=UTF-8", "--keyword=gettext_noop",
                    "--keyword=gettext_lazy", "--keyword=ngettext_lazy:1,2",
                    "--keyword=pgettext:1c,2", "--keyword=pgettext_lazy:1c,2", "-o", str(out),
                    order_import.__file__, client_fields.__file__], check=True)
    catalog = out.read_text()
    for label in ("Client's EIK", "Client's order number", "Product code", "Promised date",
                  "Company name", "EIK/BULSTAT"):
        assert f'msgid "{label}"' in catalog, label
    assert "One order line per row" in catalog
