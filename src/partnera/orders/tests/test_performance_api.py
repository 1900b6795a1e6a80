"""GET /api/v1/orders/performance: the same figures as the page, for what the caller may see;
bad parameters answer 400 naming the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from partnera.clients.tests.factories import CompanyFactory
from partnera.core.models import AuditEntry, Notification
from partnera.core.timezones import user_zone
from partnera.orders.models import Order, OrderStatus
from partnera.orders.tests.factories import OrderFactory, OrderLineFactory
from partnera.people.services import token_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/performance"


def secret_of(user) -> str:
    return token_create(actor=user, user=user, name="test")[1]


def get(client, user, params: dict | None = None, *, secret: str = ""):
    return client.get(URL, params or {}, HTTP_AUTHORIZATION=f"Bearer {secret or secret_of(user)}",
                      HTTP_ACCEPT_LANGUAGE="en")


def today_of(user) -> dt.date:
    return timezone.now().astimezone(user_zone(user)).date()


def order(owner, company, *, promised, completed=None, got="10", status=OrderStatus.DELIVERED):
    o = OrderFactory(owner=owner, company=company, status=status,
                     received_on=promised - dt.timedelta(days=3))
    OrderLineFactory(order=o, promised_date=promised, delivered_quantity=Decimal(got),
                     completed_on=completed)
    return o


@pytest.fixture
def data(manager, other_manager):
    day = today_of(manager) - dt.timedelta(days=5)
    alfa = CompanyFactory(owner=manager, legal_name="Алфа")
    order(manager, alfa, promised=day, completed=day)
    order(manager, alfa, promised=day, completed=day + dt.timedelta(days=1))
    order(manager, alfa, promised=day, got="4", status=OrderStatus.PARTLY_DELIVERED)
    theirs = CompanyFactory(owner=other_manager, legal_name="Чужда")
    order(other_manager, theirs, promised=day, completed=day)
    return day, alfa, theirs


def test_the_figures_of_what_the_caller_sees(client, manager, data):
    day, alfa, _theirs = data
    response = get(client, manager)
    assert response.status_code == 200
    body = response.json()
    today = today_of(manager)
    assert (body["start"], body["end"], body["today"]) == (
        (today - dt.timedelta(days=89)).isoformat(), today.isoformat(), today.isoformat())
    assert body["delivery"] == {"orders": 3, "otif": 1, "on_time": 1, "in_full": 2,
                                "otif_rate": 33.3, "on_time_rate": 33.3, "in_full_rate": 66.7}
    assert body["repeat"] == {"clients": 1, "repeat_clients": 1, "rate": 100.0}
    assert [(m["manager"]["id"], m["delivery"]["orders"], m["repeat"]["clients"])
            for m in body["managers"]] == [(manager.pk, 3, 1)]
    assert body["clients"]["total"] == 1 and body["clients"]["sort"] == "otif"
    assert body["clients"]["items"] == [{"client": {"id": alfa.pk, "name": "Алфа"},
                                         "delivery": body["delivery"]}]
    first = (day - dt.timedelta(days=3)).isoformat()
    assert body["client_orders"]["items"] == [{
        "client": {"id": alfa.pk, "name": "Алфа"}, "orders": 3, "first_order": first,
        "last_order": first, "average_days_between": 0.0}]


def test_an_administrator_sees_everything_and_narrows_by_manager(client, admin_user, other_manager,
                                                                data):
    assert get(client, admin_user).json()["delivery"]["orders"] == 4
    body = get(client, admin_user, {"owner": other_manager.pk, "sort": "name",
                                    "limit": "1"}).json()
    assert body["owner"] == other_manager.pk and body["delivery"]["orders"] == 1
    assert [c["client"]["name"] for c in body["clients"]["items"]] == ["Чужда"]
    assert body["clients"]["limit"] == 1


@pytest.mark.parametrize(("params", "fields"), [
    ({"start": "2026-02-30"}, ["start"]),
    ({"start": "not a date", "end": "2026-01-01T10:00"}, ["end", "start"]),
    ({"start": "2026-05-01", "end": "2026-04-01"}, ["end"]),
    ({"start": "2015-01-01", "end": "2026-01-01"}, ["end"]),
    ({"team": "12345678"}, ["team"]),
    ({"owner": "x"}, ["owner"]),
    ({"sort": "best"}, ["sort"]),
    ({"limit": "0"}, ["limit"]),
    ({"limit": "201"}, ["limit"]),
    ({"repeat_offset": "-5"}, ["repeat_offset"]),
    ({"manager_sort": "age"}, ["manager_sort"]),
    ({"period": "last-year"}, ["period"]),
])
def test_bad_parameters_answer_400_naming_the_field(client, manager, data, params, fields):
    secret = secret_of(manager)
    before = (AuditEntry.objects.count(), Order.objects.count(), Notification.objects.count())
    response = get(client, manager, params, secret=secret)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert sorted(body["fields"]) == fields
    assert (AuditEntry.objects.count(), Order.objects.count(),
            Notification.objects.count()) == before


def test_anonymous_callers_are_refused(client):
    assert client.get(URL).status_code == 401
