"""REST API of orders and deliveries: the same services as the pages, the same refusals (400 with
the problem per field, nothing changed), visibility (a hidden order is 404 and never listed),
stale versions (409), cursor pages with a constant number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnera.core.roles import Role
from partnera.core.tests.api_client import ApiClient
from partnera.orders.models import Delivery, Order, OrderChannel, OrderLine, OrderStatus
from partnera.orders.tests.builders import client_of, days, line, logistics, order_for, products, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    return lambda user: ApiClient(client, user)


def _line(product, quantity="5", promised=None) -> dict:
    return {"product": product.pk, "quantity": quantity,
            "promised_date": (promised or days(7)).isoformat()}


def test_create_get_and_list(api, manager):
    logistics()
    company = client_of(manager)
    a, b = products("10.00", "3.00")
    client = api(manager)
    response = client.post("/orders", {"company": company.pk, "client_reference": "PO-API",
                                       "lines": [_line(a, "2"), _line(b, "1.5")]})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == f"ORD-{today().year}-0001"
    assert (body["status"], body["channel"], body["net_total"]) == ("received", "api", "24.50")
    assert [ln["quantity"] for ln in body["lines"]] == ["2.000", "1.500"]
    assert body["lines"][0]["explanation"][0]["code"] == "list_price"
    assert body["lines"][0]["state"] == "open" and body["lines"][0]["remaining_quantity"] == "2.000"
    assert [d["name"] for d in body["departments"]] == ["Логистика"]
    assert Order.objects.get().channel == OrderChannel.API

    got = client.get(f"/orders/{body['id']}").json()
    assert got["id"] == body["id"] and got["version"] == 1
    listed = client.get("/orders").json()
    assert [o["number"] for o in listed["items"]] == [body["number"]]
    assert (listed["count"], listed["count_is_lower_bound"]) == (1, False)


def test_bad_input_answers_400_per_line_and_creates_nothing(api, manager):
    company = client_of(manager)
    (a,) = products("10.00")
    client = api(manager)
    response = client.post("/orders", {"company": company.pk,
                                       "lines": [_line(a, "-1"), {"product": 987654, "quantity": 1,
                                                                   "promised_date": days(1).isoformat()}]})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["fields"] == {"lines.1.quantity": ["The quantity must be more than zero."],
                              "lines.2.product": ["Choose an active product from the catalog."]}
    response = client.post("/orders", {"company": company.pk, "lines": [_line(a)],
                                       "colour": "red"})
    assert response.status_code == 400 and response.json()["fields"] == {"colour": ["Unknown field."]}
    assert Order.all_objects.count() == 0 and OrderLine.objects.count() == 0


def test_hidden_orders_are_404_and_not_listed(api, manager, other_manager):
    (a,) = products("10.00")
    hidden = order_for(other_manager, client_of(other_manager), [line(a)])
    client = api(manager)
    assert client.get(f"/orders/{hidden.pk}").status_code == 404
    assert client.post(f"/orders/{hidden.pk}/confirm").status_code == 404
    assert client.post(f"/orders/{hidden.pk}/deliveries",
                       {"delivered_on": today().isoformat(), "lines": []}).status_code == 404
    assert client.get("/orders").json()["items"] == []
    hidden.refresh_from_db()
    assert hidden.status == OrderStatus.RECEIVED


def test_status_moves_and_deliveries(api, manager):
    company = client_of(manager)
    (a,) = products("10.00")
    client = api(manager)
    order = client.post("/orders", {"company": company.pk, "received_on": days(-5).isoformat(),
                                    "lines": [_line(a, "10")]}).json()
    oid, line_id = order["id"], order["lines"][0]["id"]
    # Not confirmed yet: no deliveries.
    refused = client.post(f"/orders/{oid}/deliveries", {
        "delivered_on": days(-1).isoformat(), "lines": [{"order_line": line_id, "quantity": 1}]})
    assert refused.status_code == 400 and refused.json()["fields"]["status"]
    assert client.post(f"/orders/{oid}/confirm", {"version": 1}).json()["status"] == "confirmed"
    assert client.post(f"/orders/{oid}/start").json()["status"] == "in_fulfilment"
    first = client.post(f"/orders/{oid}/deliveries", {
        "delivered_on": days(-2).isoformat(), "document_number": "ЕН-1",
        "lines": [{"order_line": line_id, "quantity": "4"}]})
    assert first.status_code == 201
    assert first.json()["lines"][0]["quantity"] == "4.000"
    over = client.post(f"/orders/{oid}/deliveries", {
        "delivered_on": days(-1).isoformat(), "lines": [{"order_line": line_id, "quantity": 7}]})
    assert over.status_code == 400
    assert "at most 6" in over.json()["fields"]["lines.1.quantity"][0]
    second = client.post(f"/orders/{oid}/deliveries", {
        "delivered_on": days(-1).isoformat(), "lines": [{"order_line": line_id, "quantity": 6}]})
    assert second.status_code == 201
    got = client.get(f"/orders/{oid}").json()
    assert got["status"] == "delivered"
    assert got["lines"][0]["completed_on"] == days(-1).isoformat()
    assert got["lines"][0]["state"] == "complete"
    assert [d["id"] for d in client.get(f"/orders/{oid}/deliveries").json()] == [
        second.json()["id"], first.json()["id"]]
    # A correction: the order is computed again.
    assert client.delete(f"/orders/{oid}/deliveries/{second.json()['id']}").status_code == 204
    got = client.get(f"/orders/{oid}").json()
    assert (got["status"], got["lines"][0]["delivered_quantity"]) == ("partly_delivered", "4.000")
    closed = client.post(f"/orders/{oid}/close", {"reason": ""})
    assert closed.status_code == 400 and "close_reason" in closed.json()["fields"]
    closed = client.post(f"/orders/{oid}/close", {"reason": "Артикулът е спрян"})
    assert (closed.json()["status"], closed.json()["close_reason"]) == ("closed", "Артикулът е спрян")
    assert Delivery.objects.count() == 1


def test_cancel_needs_a_reason_and_refused_moves_change_nothing(api, manager):
    company = client_of(manager)
    (a,) = products("10.00")
    client = api(manager)
    oid = client.post("/orders", {"company": company.pk, "lines": [_line(a)]}).json()["id"]
    assert client.post(f"/orders/{oid}/cancel", {}).status_code == 400
    assert client.post(f"/orders/{oid}/start").status_code == 400
    assert client.post(f"/orders/{oid}/close").status_code == 400
    assert Order.objects.get().status == OrderStatus.RECEIVED
    cancelled = client.post(f"/orders/{oid}/cancel", {"reason": "Дубликат"})
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == ("cancelled", "Дубликат")


def test_patch_and_put_lines_with_versions(api, manager):
    company = client_of(manager)
    a, b = products("10.00", "1.00")
    client = api(manager)
    oid = client.post("/orders", {"company": company.pk, "lines": [_line(a)]}).json()["id"]
    patched = client.patch(f"/orders/{oid}", {"note": "Спешно", "version": 1})
    assert (patched.json()["note"], patched.json()["version"]) == ("Спешно", 2)
    stale = client.patch(f"/orders/{oid}", {"note": "Старо", "version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"
    put = client.put(f"/orders/{oid}/lines", {"version": 2, "lines": [_line(a, "1"), _line(b, "3")]})
    assert put.status_code == 200 and put.json()["net_total"] == "13.00"
    client.post(f"/orders/{oid}/confirm")
    refused = client.put(f"/orders/{oid}/lines", {"version": 4, "lines": [_line(a, "9")]})
    assert refused.status_code == 400
    assert Order.objects.get().note == "Спешно"
    assert OrderLine.objects.filter(order_id=oid).count() == 2


def test_list_filters_and_cursor_pages(api, manager):
    company = client_of(manager)
    other = client_of(manager)
    (a,) = products("10.00")
    for i in range(5):
        order_for(manager, company, [line(a)], received_on=days(-i))
    order_for(manager, other, [line(a)])
    client = api(manager)
    page = client.get("/orders", {"company": company.pk, "limit": 2}).json()
    assert len(page["items"]) == 2 and page["count"] == 5
    seen = [o["id"] for o in page["items"]]
    while page["next_cursor"]:
        page = client.get("/orders", {"company": company.pk, "limit": 2,
                                      "cursor": page["next_cursor"]}).json()
        seen += [o["id"] for o in page["items"]]
    assert len(seen) == len(set(seen)) == 5
    assert client.get("/orders", {"cursor": "nonsense"}).status_code == 400
    assert client.get("/orders", {"colour": "red"}).status_code == 400
    assert client.get("/orders", {"status": "received", "late": "true"}).json()["count"] == 0


def test_list_runs_a_constant_number_of_queries(api, manager):
    company = client_of(manager)
    (a,) = products("10.00")
    client = api(manager)
    order_for(manager, company, [line(a)])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/orders").status_code == 200
        return len(ctx.captured_queries)

    count()  # the token's first use is written down once
    few = count()
    for _ in range(10):
        order_for(manager, client_of(manager), [line(a)])
    assert count() == few


def test_logistics_records_deliveries_but_may_not_change_prices(api, make_user, manager):
    dept = logistics()
    member = make_user(Role.DEPARTMENT, department=dept)
    company = client_of(manager)
    (a,) = products("10.00")
    order = order_for(manager, company, [line(a, "3")], departments=[dept.pk],
                      received_on=days(-3))
    client = api(member)
    assert client.post(f"/orders/{order.pk}/confirm").status_code == 403
    api(manager).post(f"/orders/{order.pk}/confirm")
    ln = order.lines.get()
    created = client.post(f"/orders/{order.pk}/deliveries", {
        "delivered_on": today().isoformat(), "lines": [{"order_line": ln.pk, "quantity": "3"}]})
    assert created.status_code == 201
    assert client.put(f"/orders/{order.pk}/lines",
                      {"version": 3, "lines": [_line(a, "1")]}).status_code == 403
    assert client.post("/orders", {"company": company.pk, "lines": [_line(a)]}).status_code == 403
    ln.refresh_from_db()
    assert (ln.quantity, ln.delivered_quantity, ln.unit_price) == (
        Decimal("3.000"), Decimal("3.000"), Decimal("10.0000"))
