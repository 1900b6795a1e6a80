"""What taking an order sets going and what an order shows: its late check is scheduled when its
lines are written; the contract and offer it names are named only to who may see them; late
alerts reach department members only; a cancel without a reason says so; anonymous users are no
logistics."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from partnera.contracts.models import ContractStatus
from partnera.contracts.tests.factories import ContractFactory
from partnera.core.roles import DepartmentKind, Role
from partnera.core.tests.api_client import ApiClient
from partnera.orders import late, permissions, services
from partnera.orders.models import Order, OrderStatus
from partnera.orders.tasks import end_of_day
from partnera.orders.tests.builders import client_of, days, line, order_for, products
from partnera.people.tests.factories import DepartmentFactory
from partnera.sales.models import OfferStatus
from partnera.sales.tests.factories import DealFactory, OfferFactory

pytestmark = pytest.mark.django_db
TASK = "partnera.orders.tasks.alert_late_orders_task"


def late_checks() -> list[tuple[list, object]]:
    return [(job.args_kwargs["args"], job.run_after)
            for job in DBTaskResult.objects.filter(task_path=TASK).order_by("enqueued_at", "pk")]


# --- the late check -------------------------------------------------------------------------------------

def test_taking_an_order_schedules_its_late_check_once_committed(manager,
                                                                 django_capture_on_commit_callbacks):
    company = client_of(manager)
    a, b = products("10.00", "2.00")

    with django_capture_on_commit_callbacks(execute=False) as pending:
        order = order_for(manager, company, [line(a, promised=days(9)), line(b, promised=days(4))])
    assert late_checks() == []  # nothing before the commit
    for callback in pending:
        callback()

    assert late_checks() == [([[order.pk]], end_of_day(days(4)))]


def test_new_lines_schedule_the_check_for_their_promised_day(manager,
                                                             django_capture_on_commit_callbacks):
    company = client_of(manager)
    (a,) = products("10.00")
    order = order_for(manager, company, [line(a, promised=days(9))])
    DBTaskResult.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        services.order_set_lines(actor=manager, order=order, lines=[line(a, promised=days(2))],
                                 expected_version=order.version)

    assert late_checks() == [([[order.pk]], end_of_day(days(2)))]


# --- what an order names ------------------------------------------------------------------------------

def test_an_order_names_its_contract_and_offer_only_to_who_may_see_them(client, logged_in, manager,
                                                                        make_user):
    # Given an order taken under the manager's contract and offer, and a logistics member who
    # sees the order (through its department) but neither the contract nor the offer
    member = make_user(Role.DEPARTMENT, department=DepartmentFactory(
        kind=DepartmentKind.LOGISTICS, name="Логистика"))
    company = client_of(manager)
    contract = ContractFactory(owner=manager, company=company, status=ContractStatus.ACTIVE,
                               number="2026-0042", title="Таен договор")
    offer = OfferFactory(deal=DealFactory(owner=manager, company=company), company=company,
                         status=OfferStatus.ACCEPTED, title="Тайна оферта")
    order = order_for(manager, company, [line(products("1.00")[0])], contract=contract.pk,
                      offer=offer.pk, departments=[member.department_id])

    seen_by_manager = ApiClient(client, manager).get(f"/orders/{order.pk}").json()
    seen_by_member = ApiClient(client, member).get(f"/orders/{order.pk}").json()
    page = logged_in(member).get(reverse("orders:order_detail", args=[order.pk]))

    assert (seen_by_manager["contract"], seen_by_manager["offer"]) == (
        {"id": contract.pk, "name": "2026-0042"}, {"id": offer.pk, "name": str(offer)})
    assert (seen_by_member["contract"], seen_by_member["offer"]) == (
        {"id": contract.pk, "name": None}, {"id": offer.pk, "name": None})
    html = page.content.decode()
    assert page.status_code == 200
    assert "2026-0042" not in html and "Тайна оферта" not in html and "Таен договор" not in html


# --- who is alerted -----------------------------------------------------------------------------------

def test_late_alerts_go_to_the_department_members_not_to_others_naming_the_department(
        manager, make_user):
    logistics = DepartmentFactory(kind=DepartmentKind.LOGISTICS, name="Логистика")
    member = make_user(Role.DEPARTMENT, department=logistics)
    make_user(Role.DEPARTMENT, department=logistics, is_active=False)
    salesperson = make_user(Role.ACCOUNT_MANAGER, department=logistics)
    marketer = make_user(Role.MARKETING, department=logistics)
    order = Order.objects.get(pk=order_for(manager, client_of(manager), [
        line(products("1.00")[0])], departments=[logistics.pk]).pk)

    people = late.recipients(order)

    assert people == sorted([manager, member], key=lambda u: u.pk)
    assert salesperson not in people and marketer not in people


# --- small things ---------------------------------------------------------------------------------------

def test_an_anonymous_user_is_no_logistics():
    assert permissions.is_logistics(AnonymousUser()) is False
    assert permissions.is_logistics(None) is False


def test_a_cancel_without_a_body_names_the_missing_reason(client, manager):
    order = order_for(manager, client_of(manager), [line(products("1.00")[0])])
    api = ApiClient(client, manager)

    answer = api.post(f"/orders/{order.pk}/cancel", raw="")  # JSON, but no body at all

    assert answer.status_code == 400, answer.json()
    assert answer.json()["fields"] == {"cancel_reason": ["Say why the order is cancelled."]}
    order.refresh_from_db()
    assert (order.status, order.version) == (OrderStatus.RECEIVED, 1)
