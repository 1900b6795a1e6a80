"""Who sees which order: owner and team by the rule, the owner of the client, department members
only the orders naming their department (and nothing else of the client), nobody once the client
is deleted. And the order and company timelines."""

from __future__ import annotations

import pytest
from django.utils import timezone

from partnera.clients.models import Company, Contact
from partnera.clients.tests.factories import ContactFactory
from partnera.core.errors import NotFound
from partnera.core.roles import Role
from partnera.core.timeline import company_timeline
from partnera.core.visibility import visible_q
from partnera.orders import selectors, services
from partnera.orders.models import Order
from partnera.orders.tests.builders import (
    client_of,
    confirmed,
    days,
    finance,
    line,
    logistics,
    order_for,
    products,
)
from partnera.orders.timeline import order_timeline
from partnera.sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db


def _seen(user) -> set[int]:
    return set(selectors.order_queryset(user=user).values_list("pk", flat=True))


def test_visibility_by_owner_team_client_owner_and_role(make_user, manager, other_manager,
                                                        head_of_sales, admin_user):
    (a,) = products("10.00")
    mine = order_for(manager, client_of(manager), [line(a)])
    theirs = order_for(other_manager, client_of(other_manager), [line(a)])
    teammate = make_user(Role.ACCOUNT_MANAGER, team=manager.team)
    marketing = make_user(Role.MARKETING)
    assert _seen(manager) == {mine.pk}
    assert _seen(teammate) == {mine.pk}  # the team shares its clients
    assert _seen(head_of_sales) == {mine.pk}
    assert _seen(other_manager) == {theirs.pk}
    assert _seen(admin_user) == _seen(marketing) == {mine.pk, theirs.pk}


def test_the_client_owner_sees_orders_someone_else_took(manager, head_of_sales, other_manager):
    (a,) = products("10.00")
    company = client_of(manager)
    order = order_for(head_of_sales, company, [line(a)], owner=other_manager.pk,
                      team=other_manager.team_id)
    assert order.owner == other_manager
    assert order.pk in _seen(manager)


def test_department_members_see_their_orders_and_nothing_else_of_the_client(make_user, manager):
    dept, other = logistics(), finance()
    member = make_user(Role.DEPARTMENT, department=dept)
    company = client_of(manager)
    ContactFactory(company=company)
    DealFactory(company=company, owner=manager)
    (a,) = products("10.00")
    ours = order_for(manager, company, [line(a)], departments=[dept.pk, other.pk])
    order_for(manager, company, [line(a)], departments=[other.pk])
    # One row per order, however many departments it names.
    assert list(selectors.order_queryset(user=member).values_list("pk", flat=True)) == [ours.pk]
    assert selectors.order_count(user=member) == (1, False)
    assert [o.pk for o in selectors.order_page(user=member).items] == [ours.pk]
    assert not Company.objects.filter(visible_q(member)).exists()
    assert not Contact.objects.filter(visible_q(member, root="company__")).exists()
    from partnera.sales.selectors import deal_queryset

    assert not deal_queryset(user=member).exists()


def test_a_deleted_client_takes_its_orders_along(manager):
    (a,) = products("10.00")
    company = client_of(manager)
    order = order_for(manager, company, [line(a)])
    Company.objects.filter(pk=company.pk).update(deleted_at=timezone.now())
    assert _seen(manager) == set()
    with pytest.raises(NotFound):
        selectors.order_get(user=manager, pk=order.pk)


def test_order_timeline_tells_the_whole_story(manager):
    (a,) = products("10.00")
    order = confirmed(manager, client_of(manager), [line(a, "4")], received_on=days(-3))
    services.delivery_record(actor=manager, order=order, delivered_on=days(-2),
                             lines=[(order.lines.get(), "1")], document_number="ЕН-5")
    delivery = services.delivery_record(actor=manager, order=order, delivered_on=days(-1),
                                        lines=[(order.lines.get(), "3")])
    services.delivery_delete(actor=manager, order=order, delivery=delivery)
    titles = [e.title for e in order_timeline(user=manager, order=order)]
    n = order.number
    assert titles == [f"Delivery removed from order {n}",
                      f"Delivery recorded: order {n} delivered in full",
                      f"Delivery recorded for order {n}",
                      f"Order {n}: Confirmed",
                      f"Order {n} received"]


def test_company_timeline_has_received_delivered_cancelled_for_visible_orders(
        make_user, manager):
    dept = logistics()
    (a,) = products("10.00")
    company = client_of(manager)
    order = confirmed(manager, company, [line(a, "2")], received_on=days(-3),
                      departments=[finance().pk])
    services.delivery_record(actor=manager, order=order, delivered_on=days(-1),
                             lines=[(order.lines.get(), "2")])
    other = order_for(manager, company, [line(a)], departments=[dept.pk])
    services.order_cancel(actor=manager, order=other, reason="Грешка")
    entries = company_timeline(user=manager, company_id=company.pk, kinds={"orders"})
    titles = [e.title for e in entries]
    assert titles == [f"Order {other.number} cancelled", f"Order {other.number} received",
                      f"Delivery recorded: order {order.number} delivered in full",
                      f"Order {order.number} received"]
    assert entries[0].body == "Грешка"
    # A department member's timeline holds only the orders of its department.
    member = make_user(Role.DEPARTMENT, department=dept)
    titles = [e.title for e in company_timeline(user=member, company_id=company.pk,
                                                kinds={"orders"})]
    assert titles == [f"Order {other.number} cancelled", f"Order {other.number} received"]
    assert Order.objects.count() == 2
