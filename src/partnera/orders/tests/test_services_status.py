"""An order's way through its statuses and its deliveries: allowed and refused moves, partial
deliveries with their completion dates, over-delivery, corrections, cancellation and closing short."""

from __future__ import annotations

from decimal import Decimal

import pytest

from partnera.core.errors import PermissionDenied, ValidationFailed, VersionConflict
from partnera.core.models import AuditEntry
from partnera.core.roles import DepartmentKind, Role
from partnera.orders import services
from partnera.orders.models import Delivery, DeliveryLine, Order, OrderStatus
from partnera.orders.tests.builders import client_of, days, line, logistics, order_for, products
from partnera.people.tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(manager):
    company = client_of(manager)
    a, b = products("10.00", "5.00")
    return order_for(manager, company, [line(a, "10", promised=days(5)),
                                        line(b, "4", promised=days(8))],
                     received_on=days(-10))


def _state(order: Order):
    order.refresh_from_db()
    return (order.status, [(ln.delivered_quantity, ln.completed_on)
                           for ln in order.lines.order_by("position")])


def _lines(order):
    return list(order.lines.order_by("position"))


def test_the_whole_way(manager, order):
    services.order_confirm(actor=manager, order=order)
    services.order_start(actor=manager, order=order)
    first, second = _lines(order)
    services.delivery_record(actor=manager, order=order, delivered_on=days(-3),
                             lines=[(first, "6")], document_number="ЕН-1")
    assert _state(order) == (OrderStatus.PARTLY_DELIVERED,
                             [(Decimal("6.000"), None), (Decimal("0.000"), None)])
    services.delivery_record(actor=manager, order=order, delivered_on=days(-2),
                             lines=[(first.pk, "4"), (second.pk, "4")])
    assert _state(order) == (OrderStatus.DELIVERED,
                             [(Decimal("10.000"), days(-2)), (Decimal("4.000"), days(-2))])
    services.order_close(actor=manager, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED and order.closed_at is not None
    assert order.close_reason == ""
    statuses = [e.changes.get("status") for e in AuditEntry.objects.filter(
        object_id=str(order.pk), object_type__startswith="orders.").exclude(
        action="create", object_type="orders.order").order_by("id")]
    assert [s[1] for s in statuses if s] == ["confirmed", "in_fulfilment", "partly_delivered",
                                            "delivered", "closed"]


def test_completion_date_is_the_day_the_total_was_reached_even_if_recorded_late(manager, order):
    services.order_confirm(actor=manager, order=order)
    first, _second = _lines(order)
    services.delivery_record(actor=manager, order=order, delivered_on=days(-1), lines=[(first, "5")])
    # Recorded afterwards, but delivered earlier: the line was complete on day -1 all the same.
    services.delivery_record(actor=manager, order=order, delivered_on=days(-4), lines=[(first, "5")])
    first.refresh_from_db()
    assert (first.delivered_quantity, first.completed_on) == (Decimal("10.000"), days(-1))


def test_over_delivery_is_refused_naming_the_line(manager, order):
    services.order_confirm(actor=manager, order=order)
    first, second = _lines(order)
    services.delivery_record(actor=manager, order=order, delivered_on=days(-1), lines=[(first, "8")])
    with pytest.raises(ValidationFailed) as exc:
        services.delivery_record(actor=manager, order=order, delivered_on=days(0),
                                 lines=[(second, "1"), (first, "3")])
    name = first.description
    assert exc.value.fields == {"lines.2.quantity": [
        f"“{name}”: at most 2 pcs remain to be delivered."]}
    assert Delivery.objects.count() == 1
    assert _state(order) == (OrderStatus.PARTLY_DELIVERED,
                             [(Decimal("8.000"), None), (Decimal("0.000"), None)])


@pytest.mark.parametrize(("quantity", "field_message"), [
    ("0", "The quantity must be more than zero."),
    ("-1", "The quantity must be more than zero."),
    ("x", "Enter a quantity, e.g. 12 or 12.5."),
])
def test_bad_delivery_quantities_are_refused(manager, order, quantity, field_message):
    services.order_confirm(actor=manager, order=order)
    first, _second = _lines(order)
    with pytest.raises(ValidationFailed) as exc:
        services.delivery_record(actor=manager, order=order, delivered_on=days(0),
                                 lines=[(first, quantity)])
    assert exc.value.fields == {"lines.1.quantity": [field_message]}
    assert Delivery.objects.count() == 0 and DeliveryLine.objects.count() == 0


def test_delivery_dates_are_checked(manager, order):
    services.order_confirm(actor=manager, order=order)
    first, _second = _lines(order)
    for day, message in ((days(1), "A delivery cannot be recorded ahead of time."),
                         (days(-11), f"The delivery cannot be before the order was received "
                                     f"({days(-10).isoformat()})."),
                         ("", "Give the day of the delivery."),
                         ("31.02.2026", "Enter a date as YYYY-MM-DD.")):
        with pytest.raises(ValidationFailed) as exc:
            services.delivery_record(actor=manager, order=order, delivered_on=day,
                                     lines=[(first, "1")])
        assert exc.value.fields == {"delivered_on": [message]}
    assert Delivery.objects.count() == 0
    assert _state(order)[0] == OrderStatus.CONFIRMED


def test_a_line_of_another_order_or_twice_is_refused(manager, order):
    services.order_confirm(actor=manager, order=order)
    other = order_for(manager, order.company, [line(_lines(order)[0].product)])
    first, _second = _lines(order)
    with pytest.raises(ValidationFailed) as exc:
        services.delivery_record(actor=manager, order=order, delivered_on=days(0),
                                 lines=[(other.lines.get(), "1"), (first, "1"), (first, "1")])
    assert exc.value.fields == {"lines.1.order_line": ["Choose a line of this order."],
                                "lines.3.order_line": ["Each line of the order once per delivery."]}
    with pytest.raises(ValidationFailed) as exc:
        services.delivery_record(actor=manager, order=order, delivered_on=days(0), lines=[])
    assert exc.value.fields == {"lines": ["Enter the quantity delivered of at least one line."]}
    assert Delivery.objects.count() == 0


def test_deliveries_need_a_confirmed_order(manager, order):
    first, _second = _lines(order)
    with pytest.raises(ValidationFailed) as exc:
        services.delivery_record(actor=manager, order=order, delivered_on=days(0),
                                 lines=[(first, "1")])
    assert exc.value.message == "Confirm the order before recording deliveries."
    assert Delivery.objects.count() == 0


def test_removing_a_delivery_recomputes(manager, order):
    services.order_confirm(actor=manager, order=order)
    first, second = _lines(order)
    d1 = services.delivery_record(actor=manager, order=order, delivered_on=days(-3),
                                  lines=[(first, "10")])
    d2 = services.delivery_record(actor=manager, order=order, delivered_on=days(-2),
                                  lines=[(second, "4")])
    assert _state(order)[0] == OrderStatus.DELIVERED
    services.delivery_delete(actor=manager, order=order, delivery=d2)
    assert _state(order) == (OrderStatus.PARTLY_DELIVERED,
                             [(Decimal("10.000"), days(-3)), (Decimal("0.000"), None)])
    services.delivery_delete(actor=manager, order=order, delivery=d1)
    assert _state(order) == (OrderStatus.IN_FULFILMENT,
                             [(Decimal("0.000"), None), (Decimal("0.000"), None)])
    assert Delivery.objects.count() == 0
    assert AuditEntry.objects.filter(object_type="orders.delivery", action="delete").count() == 2


@pytest.mark.parametrize("status", [OrderStatus.RECEIVED, OrderStatus.CONFIRMED,
                                    OrderStatus.IN_FULFILMENT])
def test_cancel_with_a_reason(manager, order, status):
    Order.objects.filter(pk=order.pk).update(status=status)
    with pytest.raises(ValidationFailed) as exc:
        services.order_cancel(actor=manager, order=order, reason="  ")
    assert exc.value.fields == {"cancel_reason": ["Say why the order is cancelled."]}
    assert _state(order)[0] == status
    services.order_cancel(actor=manager, order=order, reason="Клиентът се отказа")
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "Клиентът се отказа")
    assert order.closed_at is not None


def test_partly_delivered_cannot_be_cancelled_but_closed_short(manager, order):
    services.order_confirm(actor=manager, order=order)
    first, _second = _lines(order)
    services.delivery_record(actor=manager, order=order, delivered_on=days(0), lines=[(first, "2")])
    with pytest.raises(ValidationFailed) as exc:
        services.order_cancel(actor=manager, order=order, reason="x")
    assert exc.value.message == "Part of this order was delivered: close it instead of cancelling it."
    with pytest.raises(ValidationFailed) as exc:
        services.order_close(actor=manager, order=order)
    assert exc.value.fields == {"close_reason": [
        "Say why the rest of the order will not be delivered."]}
    assert _state(order)[0] == OrderStatus.PARTLY_DELIVERED
    services.order_close(actor=manager, order=order, reason="Спрян артикул")
    order.refresh_from_db()
    assert (order.status, order.close_reason) == (OrderStatus.CLOSED, "Спрян артикул")
    # A closed order's deliveries stay as they are.
    with pytest.raises(ValidationFailed):
        services.delivery_delete(actor=manager, order=order, delivery=order.deliveries.get())
    assert Delivery.objects.count() == 1


@pytest.mark.parametrize(("status", "service"), [
    (OrderStatus.CONFIRMED, "order_confirm"),
    (OrderStatus.RECEIVED, "order_start"),
    (OrderStatus.IN_FULFILMENT, "order_start"),
    (OrderStatus.RECEIVED, "order_close"),
    (OrderStatus.IN_FULFILMENT, "order_close"),
    (OrderStatus.CANCELLED, "order_confirm"),
    (OrderStatus.CLOSED, "order_start"),
])
def test_refused_moves_change_nothing(manager, order, status, service):
    Order.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()
    version = order.version
    with pytest.raises(ValidationFailed) as exc:
        getattr(services, service)(actor=manager, order=order)
    assert list(exc.value.fields) == ["status"]
    order.refresh_from_db()
    assert (order.status, order.version) == (status, version)
    assert not AuditEntry.objects.filter(object_type="orders.order", action="update").exists()


@pytest.mark.parametrize("status", [OrderStatus.CLOSED, OrderStatus.CANCELLED,
                                    OrderStatus.DELIVERED])
def test_no_cancel_after_the_end(manager, order, status):
    Order.objects.filter(pk=order.pk).update(status=status)
    with pytest.raises(ValidationFailed):
        services.order_cancel(actor=manager, order=order, reason="Късно")
    assert _state(order)[0] == status


def test_stale_version_is_a_conflict(manager, order):
    with pytest.raises(VersionConflict):
        services.order_confirm(actor=manager, order=order, expected_version=order.version + 5)
    assert _state(order)[0] == OrderStatus.RECEIVED


def test_lines_change_only_while_received(manager, order):
    a = _lines(order)[0].product
    services.order_set_lines(actor=manager, order=order, lines=[line(a, "3", promised=days(2))],
                             expected_version=order.version)
    order.refresh_from_db()
    assert [(ln.quantity, ln.net_amount) for ln in _lines(order)] == [(Decimal("3.000"), Decimal("30.00"))]
    assert order.net_total == Decimal("30.00")
    services.order_confirm(actor=manager, order=order)
    with pytest.raises(ValidationFailed) as exc:
        services.order_set_lines(actor=manager, order=order, lines=[line(a, "5")],
                                 expected_version=None)
    assert "only while the order is received" in exc.value.message
    assert [ln.quantity for ln in _lines(order)] == [Decimal("3.000")]


def test_bad_lines_on_edit_change_nothing(manager, order):
    before = [(ln.pk, ln.quantity) for ln in _lines(order)]
    with pytest.raises(ValidationFailed):
        services.order_set_lines(actor=manager, order=order,
                                 lines=[line(_lines(order)[0].product, "-2")], expected_version=None)
    assert [(ln.pk, ln.quantity) for ln in _lines(order)] == before


def test_header_update(manager, order):
    services.order_update(actor=manager, order=order, expected_version=order.version,
                          data={"client_reference": "PO-9", "note": "Спешно"})
    order.refresh_from_db()
    assert (order.client_reference, order.note, order.version) == ("PO-9", "Спешно", 2)
    with pytest.raises(VersionConflict):
        services.order_update(actor=manager, order=order, expected_version=1, data={"note": "x"})
    order.refresh_from_db()
    assert order.note == "Спешно"


def test_logistics_records_deliveries_but_does_not_manage(make_user, manager, order):
    dept = logistics()
    order.departments.set([dept])
    member = make_user(Role.DEPARTMENT, department=dept)
    services.order_confirm(actor=manager, order=order)
    services.order_start(actor=member, order=order)
    first, _second = _lines(order)
    services.delivery_record(actor=member, order=order, delivered_on=days(0), lines=[(first, "1")])
    for call in (lambda: services.order_close(actor=member, order=order, reason="x"),
                 lambda: services.order_cancel(actor=member, order=order, reason="x"),
                 lambda: services.order_update(actor=member, order=order, data={"note": "x"},
                                               expected_version=None)):
        with pytest.raises(PermissionDenied):
            call()
    order.refresh_from_db()
    assert (order.status, order.note) == (OrderStatus.PARTLY_DELIVERED, "")


def test_finance_sees_but_does_not_record_deliveries(make_user, manager, order):
    dept = DepartmentFactory(kind=DepartmentKind.FINANCE, name="Финанси")
    order.departments.set([dept])
    member = make_user(Role.DEPARTMENT, department=dept)
    services.order_confirm(actor=manager, order=order)
    with pytest.raises(PermissionDenied):
        services.delivery_record(actor=member, order=order, delivered_on=days(0),
                                 lines=[(_lines(order)[0], "1")])
    assert Delivery.objects.count() == 0
