"""The order pages: list with filters (constant queries), the order page, the new-order form
(with and without an offer; input kept on error), the lines and header forms, status moves and
deliveries from the page, the company page panel."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.orders import services
from partnera.orders.models import Delivery, Order, OrderLine, OrderStatus
from partnera.orders.tests.builders import (
    client_of,
    confirmed,
    days,
    finance,
    line,
    logistics,
    order_for,
    products,
    today,
)
from partnera.orders.tests.factories import OrderFactory, OrderLineFactory
from partnera.sales.models import OfferLine
from partnera.sales.tests.factories import OfferFactory

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    return response.content.decode()


# --- list ---------------------------------------------------------------------------------------

def test_list_shows_visible_orders_only_with_filters(logged_in, manager, other_manager):
    mine = client_of(manager, legal_name="Алфа ООД")
    (a,) = products("10.00")
    kept = order_for(manager, mine, [line(a)], client_reference="PO-ALFA")
    hidden = order_for(other_manager, client_of(other_manager), [line(a)])
    client = logged_in(manager)

    page = _html(client.get(reverse("orders:order_list")))
    assert kept.number in page and hidden.number not in page
    assert "PO-ALFA" in page

    services.order_cancel(actor=manager, order=kept, reason="x")
    assert kept.number not in _html(client.get(reverse("orders:order_list"), {"status": "received"}))
    assert kept.number in _html(client.get(reverse("orders:order_list"), {"status": "cancelled"}))
    assert kept.number in _html(client.get(reverse("orders:order_list"), {"q": "алфа"}))
    assert kept.number not in _html(client.get(reverse("orders:order_list"), {"q": "бета"}))


def test_late_filter_and_received_period(logged_in, manager):
    company = client_of(manager)
    late = OrderFactory(owner=manager, company=company, received_on=days(-20),
                        status=OrderStatus.CONFIRMED)
    OrderLineFactory(order=late, promised_date=days(-1))
    fine = OrderFactory(owner=manager, company=company, received_on=days(-2),
                        status=OrderStatus.CONFIRMED)
    OrderLineFactory(order=fine, promised_date=days(3))
    done = OrderFactory(owner=manager, company=company, received_on=days(-30),
                        status=OrderStatus.DELIVERED)
    OrderLineFactory(order=done, promised_date=days(-25), delivered_quantity=Decimal("10"),
                     completed_on=days(-26))
    client = logged_in(manager)

    page = _html(client.get(reverse("orders:order_list"), {"late": "1"}))
    assert late.number in page and fine.number not in page and done.number not in page
    page = _html(client.get(reverse("orders:order_list"),
                            {"received_from": days(-5).isoformat(), "received_to": today().isoformat()}))
    assert fine.number in page and late.number not in page


def test_list_runs_a_constant_number_of_queries(logged_in, manager):
    company = client_of(manager)
    client = logged_in(manager)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("orders:order_list")).status_code == 200
        return len(ctx.captured_queries)

    OrderLineFactory(order=OrderFactory(owner=manager, company=company))
    few = count()
    for _ in range(15):
        order = OrderFactory(owner=manager, company=client_of(manager))
        OrderLineFactory(order=order, promised_date=days(-2))
    assert count() == few


# --- the order page -------------------------------------------------------------------------------

def test_order_page_shows_lines_states_and_actions(logged_in, manager):
    company = client_of(manager)
    a, b = products("10.00", "4.00")
    order = order_for(manager, company, [line(a, "10", promised=days(-1)), line(b, "2")],
                      received_on=days(-5))
    client = logged_in(manager)
    page = _html(client.get(reverse("orders:order_detail", args=[order.pk])))
    assert order.number in page
    assert reverse("orders:order_confirm", args=[order.pk]) in page
    assert "line-late" in page  # promised yesterday, nothing delivered
    assert "price-steps" in page  # the explanation of each price
    assert reverse("orders:order_lines", args=[order.pk]) in page
    assert reverse("orders:delivery_create", args=[order.pk]) not in page  # not confirmed yet


def test_invisible_order_is_404_and_recorded(logged_in, manager, other_manager):
    (a,) = products("10.00")
    order = order_for(other_manager, client_of(other_manager), [line(a)])
    client = logged_in(manager)
    for name in ("order_detail", "order_edit", "order_lines"):
        assert client.get(reverse(f"orders:{name}", args=[order.pk])).status_code == 404
    assert client.post(reverse("orders:order_confirm", args=[order.pk])).status_code == 404
    assert client.post(reverse("orders:order_cancel", args=[order.pk]),
                       {"reason": "x"}).status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.RECEIVED
    assert AuditEntry.objects.filter(action="access_denied", object_id=str(order.pk)).exists()


# --- status moves and deliveries from the page ----------------------------------------------------

def test_confirm_start_deliver_close_from_the_page(logged_in, manager):
    company = client_of(manager)
    (a,) = products("10.00")
    order = order_for(manager, company, [line(a, "10")], received_on=days(-3))
    client = logged_in(manager)
    client.post(reverse("orders:order_confirm", args=[order.pk]), {"version": order.version})
    order.refresh_from_db()
    client.post(reverse("orders:order_start", args=[order.pk]), {"version": order.version})
    ln = order.lines.get()
    response = client.post(reverse("orders:delivery_create", args=[order.pk]), {
        "delivered_on": days(-1).isoformat(), "document_number": "ЕН-7", f"qty_{ln.pk}": "10"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    client.post(reverse("orders:order_close", args=[order.pk]), {"version": order.version})
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED


def test_over_delivery_shows_the_error_next_to_the_line_and_keeps_input(logged_in, manager):
    company = client_of(manager)
    (a,) = products("10.00")
    order = confirmed(manager, company, [line(a, "10")], received_on=days(-3))
    ln = order.lines.get()
    client = logged_in(manager)
    response = client.post(reverse("orders:delivery_create", args=[order.pk]), {
        "delivered_on": days(-1).isoformat(), "document_number": "ЕН-99", f"qty_{ln.pk}": "12"})
    assert response.status_code == 400
    page = _html(response)
    assert 'value="12"' in page and 'value="ЕН-99"' in page
    assert "has-error" in page
    assert Delivery.objects.count() == 0
    response = client.post(reverse("orders:delivery_create", args=[order.pk]), {
        "delivered_on": days(2).isoformat(), f"qty_{ln.pk}": "1"})
    assert response.status_code == 400
    assert Delivery.objects.count() == 0


def test_cancel_needs_a_reason_on_the_page(logged_in, manager):
    company = client_of(manager)
    (a,) = products("10.00")
    order = order_for(manager, company, [line(a)])
    client = logged_in(manager)
    response = client.post(reverse("orders:order_cancel", args=[order.pk]), {"reason": ""})
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == OrderStatus.RECEIVED
    response = client.post(reverse("orders:order_cancel", args=[order.pk]),
                           {"reason": "Клиентът се отказа"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "Клиентът се отказа")


def test_refused_move_from_a_stale_page_changes_nothing(logged_in, manager):
    company = client_of(manager)
    (a,) = products("10.00")
    order = confirmed(manager, company, [line(a)])
    client = logged_in(manager)
    response = client.post(reverse("orders:order_confirm", args=[order.pk]), {"version": 1})
    assert response.status_code == 409
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


# --- new order ------------------------------------------------------------------------------------

def test_new_order_asks_for_the_client_first(logged_in, manager):
    client_of(manager, legal_name="Гама ЕООД")
    client = logged_in(manager)
    page = _html(client.get(reverse("orders:order_create")))
    assert 'name="company"' in page
    # Without JavaScript the typed name lists the matching clients.
    page = _html(client.get(reverse("orders:order_create"), {"company_label": "Гама"}))
    assert "Гама ЕООД" in page


def test_new_order_posts_rows_and_is_priced(logged_in, manager):
    logistics()
    company = client_of(manager)
    a, b = products("10.00", "2.00")
    client = logged_in(manager)
    url = reverse("orders:order_create")
    assert client.get(url, {"company": company.pk}).status_code == 200
    response = client.post(url, {
        "company": company.pk, "received_on": today().isoformat(),
        "requested_date": days(5).isoformat(), "currency": "EUR", "client_reference": "PO-1",
        "line-0-product": a.pk, "line-0-quantity": "3",
        "line-1-product": "", "line-1-product_label": b.code, "line-1-quantity": "2,5",
        "line-1-promised_date": days(9).isoformat(),
        "line-2-product": "", "line-2-quantity": "",
    })
    assert response.status_code == 302
    order = Order.objects.get()
    assert response["Location"] == reverse("orders:order_detail", args=[order.pk])
    assert [(ln.product_id, ln.quantity, ln.promised_date) for ln in order.lines.order_by("position")] \
        == [(a.pk, Decimal("3.000"), days(5)), (b.pk, Decimal("2.500"), days(9))]
    assert order.net_total == Decimal("35.00")


def test_new_order_keeps_input_and_marks_the_bad_row(logged_in, manager):
    company = client_of(manager)
    (a,) = products("10.00")
    client = logged_in(manager)
    response = client.post(reverse("orders:order_create"), {
        "company": company.pk, "received_on": today().isoformat(), "currency": "EUR",
        "client_reference": "PO-KEEP",
        "line-0-product": a.pk, "line-0-product_label": f"{a.code} {a.name}",
        "line-0-quantity": "-4", "line-0-promised_date": days(3).isoformat(),
    })
    assert response.status_code == 400
    page = _html(response)
    assert 'value="PO-KEEP"' in page and 'value="-4"' in page
    assert "The quantity must be more than zero." in page or "по-голямо" in page
    assert Order.all_objects.count() == 0 and OrderLine.objects.count() == 0


def test_more_rows_without_javascript(logged_in, manager):
    company = client_of(manager)
    client = logged_in(manager)
    response = client.post(reverse("orders:order_create"), {
        "company": company.pk, "line-0-quantity": "4", "add_rows": "1"})
    assert response.status_code == 200
    page = _html(response)
    assert 'name="line-3-quantity"' in page and 'value="4"' in page
    assert Order.all_objects.count() == 0


def test_new_order_from_an_accepted_offer(logged_in, manager):
    company = client_of(manager)
    (a,) = products("50.00")
    offer = OfferFactory(deal__company=company, deal__owner=manager, status="accepted")
    ol = OfferLine.objects.create(
        offer=offer, position=1, product=a, quantity=Decimal("20"), unit="piece",
        list_price=Decimal("50"), unit_price=Decimal("45.5"), net_amount=Decimal("910.00"),
        vat_rate=Decimal("20"), vat_amount=Decimal("182.00"), gross_amount=Decimal("1092.00"))
    client = logged_in(manager)
    page = _html(client.get(reverse("orders:order_create"), {"offer": offer.pk}))
    assert f'name="line-0-offer_line" value="{ol.pk}"' in page
    response = client.post(reverse("orders:order_create"), {
        "company": company.pk, "offer": offer.pk, "currency": "EUR",
        "requested_date": days(4).isoformat(),
        "line-0-offer_line": ol.pk, "line-0-product": a.pk, "line-0-quantity": "20"})
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.offer == offer
    assert order.lines.get().unit_price == Decimal("45.5000")
    assert order.lines.get().offer_line == ol


def test_hidden_client_offer_or_contract_is_404(logged_in, manager, other_manager):
    hidden = client_of(other_manager)
    client = logged_in(manager)
    assert client.get(reverse("orders:order_create"), {"company": hidden.pk}).status_code == 404
    assert client.post(reverse("orders:order_create"), {"company": hidden.pk}).status_code == 404


def test_department_members_do_not_enter_orders(logged_in, make_user):
    member = make_user(Role.DEPARTMENT)
    assert logged_in(member).get(reverse("orders:order_create")).status_code == 403


# --- edit -----------------------------------------------------------------------------------------

def test_change_lines_while_received(logged_in, manager):
    company = client_of(manager)
    a, b = products("10.00", "1.00")
    order = order_for(manager, company, [line(a, "1")])
    client = logged_in(manager)
    page = _html(client.get(reverse("orders:order_lines", args=[order.pk])))
    assert 'name="line-0-quantity" value="1"' in page
    response = client.post(reverse("orders:order_lines", args=[order.pk]), {
        "version": order.version,
        "line-0-product": a.pk, "line-0-quantity": "2", "line-0-promised_date": days(2).isoformat(),
        "line-1-product": b.pk, "line-1-quantity": "5", "line-1-promised_date": days(3).isoformat()})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.net_total == Decimal("25.00")
    # A bad row keeps what was typed; nothing changes.
    response = client.post(reverse("orders:order_lines", args=[order.pk]), {
        "version": order.version, "line-0-product": a.pk, "line-0-quantity": "zero",
        "line-0-promised_date": days(2).isoformat()})
    assert response.status_code == 400
    assert 'value="zero"' in _html(response)
    assert order.lines.count() == 2


def test_edit_header_with_a_stale_version_is_a_conflict(logged_in, manager):
    company = client_of(manager)
    (a,) = products("10.00")
    order = order_for(manager, company, [line(a)])
    client = logged_in(manager)
    url = reverse("orders:order_edit", args=[order.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"client_reference": "PO-NEW", "version": order.version})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.client_reference == "PO-NEW"
    response = client.post(url, {"client_reference": "PO-OLD", "version": 1})
    assert response.status_code == 409
    assert 'value="PO-OLD"' in _html(response)
    order.refresh_from_db()
    assert order.client_reference == "PO-NEW"


# --- company page ---------------------------------------------------------------------------------

def test_company_page_has_the_orders_panel_and_timeline(logged_in, manager):
    company = client_of(manager)
    (a,) = products("10.00")
    order = confirmed(manager, company, [line(a, "4")], received_on=days(-2))
    services.delivery_record(actor=manager, order=order, delivered_on=days(-1),
                             lines=[(order.lines.get(), "4")])
    page = _html(logged_in(manager).get(reverse("clients:company_detail", args=[company.pk])))
    assert 'id="orders"' in page and order.number in page
    assert reverse("orders:order_create") + f"?company={company.pk}" in page


# --- department members -----------------------------------------------------------------------------

def test_logistics_sees_only_its_orders_and_not_the_company(logged_in, make_user, manager):
    dept, other_dept = logistics(), finance()
    member = make_user(Role.DEPARTMENT, department=dept)
    company = client_of(manager)
    (a,) = products("10.00")
    ours = confirmed(manager, company, [line(a, "5")], departments=[dept.pk], received_on=days(-2))
    theirs = order_for(manager, company, [line(a)], departments=[other_dept.pk])
    client = logged_in(member)

    page = _html(client.get(reverse("orders:order_list")))
    assert ours.number in page and theirs.number not in page
    assert client.get(reverse("orders:order_detail", args=[ours.pk])).status_code == 200
    assert client.get(reverse("orders:order_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("clients:company_detail", args=[company.pk])).status_code == 404
    # They record deliveries, but do not change prices or lines.
    ln = ours.lines.get()
    response = client.post(reverse("orders:delivery_create", args=[ours.pk]),
                           {"delivered_on": days(-1).isoformat(), f"qty_{ln.pk}": "2"})
    assert response.status_code == 302
    assert client.get(reverse("orders:order_lines", args=[ours.pk])).status_code == 403
    assert client.post(reverse("orders:order_cancel", args=[ours.pk]), {"reason": "x"}).status_code == 403
    ours.refresh_from_db()
    assert ours.status == OrderStatus.PARTLY_DELIVERED


def test_list_pages_through_by_received_date(logged_in, manager):
    from partnera.orders.views.orders import PAGE_SIZE

    company = client_of(manager)
    for i in range(PAGE_SIZE + 5):
        OrderFactory(owner=manager, company=company, received_on=days(-(i % 7)))
    client = logged_in(manager)
    first = client.get(reverse("orders:order_list"))
    page = first.context["page"]
    assert len(page.items) == PAGE_SIZE and page.next_cursor
    second = client.get(reverse("orders:order_list"), {"cursor": page.next_cursor})
    rest = second.context["page"].items
    assert len(rest) == 5
    assert not {o.pk for o in page.items} & {o.pk for o in rest}
