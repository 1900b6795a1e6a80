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
