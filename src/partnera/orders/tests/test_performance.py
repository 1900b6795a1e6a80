"""Delivery performance (OTIF, on time, in full) and repeat orders, on hand-computed cases: partial
deliveries, late completion, several lines, cancelled and not-yet-due orders left out; and who
sees which figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from partnera.clients.tests.factories import CompanyFactory
from partnera.core.errors import ValidationFailed
from partnera.core.roles import Role
from partnera.orders import performance as perf
from partnera.orders.models import Order, OrderStatus
from partnera.orders.tests.factories import OrderFactory, OrderLineFactory
from partnera.people.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 20)
PERIOD = perf.PerformanceFilters(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31), today=TODAY)


def d(month: int, day: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


def order(owner, company, status=OrderStatus.DELIVERED, received_on=d(1, 2), **kwargs):
    return OrderFactory(owner=owner, company=company, status=status, received_on=received_on,
                        **kwargs)


def line(o, promised, *, delivered="10", completed=None, quantity="10"):
    return OrderLineFactory(order=o, promised_date=promised, quantity=Decimal(quantity),
                            delivered_quantity=Decimal(delivered), completed_on=completed)


@pytest.fixture
def clients(manager):
    return (CompanyFactory(owner=manager, legal_name="Алфа"),
            CompanyFactory(owner=manager, legal_name="Бета"))


@pytest.fixture
def delivery_history(manager, clients):
    """Six orders counted in the period (three OTIF, four in full) and five that are not."""
    a, b = clients
    m = manager
    # Counted:
    line(order(m, a, number="O1"), d(2, 10), completed=d(2, 9))  # early: OTIF
    o2 = order(m, a, number="O2")  # one line on time, one completed late: in full, not OTIF
    line(o2, d(2, 15), completed=d(2, 15))
    line(o2, d(2, 20), completed=d(2, 25))
    line(order(m, a, OrderStatus.PARTLY_DELIVERED, number="O3"), d(3, 1), delivered="4")  # due, partial
    line(order(m, b, number="O6"), d(3, 25), completed=d(3, 18))  # not due yet, but complete
    o9 = order(m, b, number="O9")  # latest promise in the period (the other before it): OTIF
    line(o9, d(12, 28, 2025), completed=d(12, 27, 2025))
    line(o9, d(1, 5), completed=d(1, 4))
    line(order(m, a, OrderStatus.CLOSED, number="O10"), d(2, 1), delivered="8")  # closed short
    # Not counted:
    line(order(m, b, OrderStatus.CANCELLED, number="O4"), d(2, 1), completed=d(2, 1))
    line(order(m, b, OrderStatus.CONFIRMED, number="O5"), d(3, 25), delivered="0")  # not due
    o7 = order(m, b, OrderStatus.PARTLY_DELIVERED, number="O7")  # latest promise after the period
    line(o7, d(3, 5), completed=d(3, 5))
    line(o7, d(4, 10), delivered="0")
    line(order(m, b, number="O8"), d(12, 20, 2025), completed=d(12, 20, 2025))  # before it
    line(order(m, b, number="O11", deleted_at=timezone.now()), d(2, 1), completed=d(2, 1))
    order(m, b, OrderStatus.RECEIVED, number="O12")  # no lines


def test_otif_on_time_and_in_full_of_the_orders_counted(manager, delivery_history):
    totals = perf.otif_totals(user=manager, filters=PERIOD)
    assert (totals.orders, totals.otif, totals.on_time, totals.in_full) == (6, 3, 3, 4)
    assert (totals.otif_rate, totals.on_time_rate, totals.in_full_rate) == (50.0, 50.0, 66.7)
    counted = perf.counted_order_ids(user=manager, filters=PERIOD)
    assert sorted(Order.objects.filter(pk__in=counted).values_list("number", flat=True)) == [
        "O1", "O10", "O2", "O3", "O6", "O9"]


def test_per_client_sorted_by_rate(manager, delivery_history, clients):
    page = perf.otif_figures(user=manager, filters=PERIOD, sort="otif").clients
    assert [(r.name, r.figures.orders, r.figures.otif, r.figures.in_full, r.figures.otif_rate,
             r.figures.in_full_rate) for r in page.rows] == [
        ("Алфа", 4, 1, 2, 25.0, 50.0), ("Бета", 2, 2, 2, 100.0, 100.0)]
    assert page.total == 2 and not page.has_next
    best_first = perf.otif_figures(user=manager, filters=PERIOD, sort="-otif").clients
    assert [r.name for r in best_first.rows] == ["Бета", "Алфа"]
    paged = perf.otif_figures(user=manager, filters=PERIOD, sort="otif", offset=1, limit=1).clients
    assert [r.name for r in paged.rows] == ["Бета"] and paged.total == 2 and paged.has_prev


def test_per_manager(manager, other_manager, admin_user, clients):
    a, _b = clients
    line(order(manager, a), d(2, 1), completed=d(2, 1))
    line(order(manager, a), d(2, 1), completed=d(2, 3))
    other_client = CompanyFactory(owner=other_manager)
    line(order(other_manager, other_client), d(2, 1), completed=d(1, 30))
    line(order(None, other_client), d(2, 1), delivered="3")
    rows = perf.performance(user=admin_user, filters=PERIOD,
                            params=perf.PageParams(manager_sort="-otif")).managers
    assert [(r.owner, r.otif.orders, r.otif.otif_rate) for r in rows] == [
        (other_manager, 1, 100.0), (manager, 2, 50.0), (None, 1, 0.0)]


def test_a_period_that_ended_counts_every_order_due_in_it(manager, clients):
    a, _b = clients
    line(order(manager, a, OrderStatus.CONFIRMED), d(2, 1), delivered="0")  # late, nothing sent
    line(order(manager, a, OrderStatus.CONFIRMED), d(3, 19), delivered="0")  # due yesterday
    line(order(manager, a, OrderStatus.CONFIRMED), d(3, 20), delivered="0")  # due today: not yet
    february = perf.PerformanceFilters(start=d(2, 1), end=d(2, 28), today=TODAY)
    assert perf.otif_totals(user=manager, filters=february) == perf.Otif(1, 0, 0)
    march = perf.PerformanceFilters(start=d(3, 1), end=d(3, 31), today=TODAY)
    assert perf.otif_totals(user=manager, filters=march) == perf.Otif(1, 0, 0)


def test_nothing_counted_gives_no_rate(manager):
    totals = perf.otif_totals(user=manager, filters=PERIOD)
    assert totals == perf.Otif(0, 0, 0) and totals.otif_rate is None


@pytest.fixture
def ordering_history(manager, other_manager):
    """Clients A (3 orders in the period), B (1, and one cancelled), C (1, and one before the
    period), D (2 on consecutive days)."""
    a, b, c, dd = (CompanyFactory(owner=manager, legal_name=name) for name in "ABCD")
    n = other_manager
    order(manager, a, received_on=d(1, 10))
    order(manager, a, received_on=d(2, 10))
    order(n, a, received_on=d(3, 10))
    order(n, b, received_on=d(2, 1))
    order(n, b, OrderStatus.CANCELLED, received_on=d(2, 15))
    order(n, c, received_on=d(12, 1, 2025))
    order(n, c, received_on=d(3, 1))
    order(manager, dd, received_on=d(1, 5))
    order(manager, dd, received_on=d(1, 6))
    return a, b, c, dd


def test_repeat_order_rate(admin_user, ordering_history):
    assert perf.repeat_totals(user=admin_user, filters=PERIOD) == perf.Repeat(4, 2)
    assert perf.repeat_totals(user=admin_user, filters=PERIOD).rate == 50.0
    page = perf.repeat_figures(user=admin_user, filters=PERIOD).clients
    assert [(r.name, r.orders, r.first, r.last, r.average_days) for r in page.rows] == [
        ("A", 3, d(1, 10), d(3, 10), 29.5), ("D", 2, d(1, 5), d(1, 6), 1.0),
        ("C", 1, d(3, 1), d(3, 1), None), ("B", 1, d(2, 1), d(2, 1), None)]


def test_repeat_order_rate_per_manager(admin_user, manager, other_manager, ordering_history):
    rows = {r.owner: r.repeat for r in perf.performance(user=admin_user, filters=PERIOD).managers}
    # The manager's clients A (two of their orders) and D: both reordered. The colleague's
    # clients A (one of theirs), B and C (one each in the period): none did.
    assert rows == {manager: perf.Repeat(2, 2), other_manager: perf.Repeat(3, 0)}
    assert rows[manager].rate == 100.0 and rows[other_manager].rate == 0.0


def test_team_and_manager_filters(admin_user, manager, other_manager, ordering_history):
    only = perf.PerformanceFilters(start=PERIOD.start, end=PERIOD.end, today=TODAY,
                                   owner_id=manager.pk)
    assert perf.repeat_totals(user=admin_user, filters=only) == perf.Repeat(2, 2)
    team = perf.PerformanceFilters(start=PERIOD.start, end=PERIOD.end, today=TODAY,
                                   team_id=other_manager.team_id)
    assert perf.repeat_totals(user=admin_user, filters=team) == perf.Repeat(3, 0)


# --- who sees which figures --------------------------------------------------------------------------

def test_an_account_manager_reads_only_the_orders_they_may_see(manager, other_manager, head_of_sales,
                                                              admin_user, make_user):
    mine = CompanyFactory(owner=manager)
    theirs = CompanyFactory(owner=other_manager)
    line(order(manager, mine), d(2, 1), completed=d(2, 1))
    line(order(other_manager, theirs), d(2, 1), delivered="1")
    line(order(other_manager, theirs), d(2, 2), delivered="1")
    teammate = make_user(Role.ACCOUNT_MANAGER, team=manager.team)
    line(order(teammate, CompanyFactory(owner=teammate)), d(2, 3), completed=d(2, 9))

    assert perf.otif_totals(user=other_manager, filters=PERIOD) == perf.Otif(2, 0, 0)
    # The manager's team shares its clients: their own order and their teammate's.
    assert perf.otif_totals(user=manager, filters=PERIOD) == perf.Otif(2, 1, 2)
    managers = perf.performance(user=manager, filters=PERIOD,
                                params=perf.PageParams(manager_sort="name")).managers
    assert [r.owner for r in managers] == sorted(
        [manager, teammate], key=lambda u: str(u).casefold())
    # The head of sales heads the manager's team; the administrator sees everything.
    assert perf.otif_totals(user=head_of_sales, filters=PERIOD) == perf.Otif(2, 1, 2)
    assert perf.otif_totals(user=admin_user, filters=PERIOD) == perf.Otif(4, 1, 2)
    # Asking for another manager's figures gives nothing seen, not their figures.
    theirs_only = perf.PerformanceFilters(start=PERIOD.start, end=PERIOD.end, today=TODAY,
                                          owner_id=other_manager.pk)
    assert perf.otif_totals(user=manager, filters=theirs_only) == perf.Otif(0, 0, 0)
    assert perf.repeat_totals(user=manager, filters=theirs_only) == perf.Repeat(0, 0)


def test_a_client_in_the_trash_is_not_counted(admin_user, manager):
    gone = CompanyFactory(owner=manager, deleted_at=timezone.now())
    line(order(manager, gone), d(2, 1), completed=d(2, 1))
    assert perf.otif_totals(user=admin_user, filters=PERIOD) == perf.Otif(0, 0, 0)


# --- the filters ----------------------------------------------------------------------------------

def test_filters_default_to_the_last_90_days():
    f = perf.performance_filters({}, today=TODAY)
    assert (f.start, f.end, f.team_id, f.owner_id) == (d(12, 21, 2025), TODAY, None, None)
    assert (f.end - f.start).days == 89
    f = perf.performance_filters({"start": "2026-03-01"}, today=TODAY)
    assert (f.start, f.end) == (d(3, 1), TODAY)


@pytest.mark.parametrize(("data", "fields"), [
    ({"start": "2026-13-01"}, ["start"]),
    ({"start": "yesterday", "end": "x"}, ["end", "start"]),
    ({"start": "2026-03-01", "end": "2026-02-01"}, ["end"]),
    ({"start": "2010-01-01", "end": "2026-01-01"}, ["end"]),
    ({"start": "0900-01-01"}, ["start"]),
    ({"team": "999999"}, ["team"]),
    ({"team": "abc", "owner": "-1"}, ["owner", "team"]),
    ({"owner": "99999999999999999999999"}, ["owner"]),
])
def test_bad_filters_say_which_field(data, fields):
    with pytest.raises(ValidationFailed) as caught:
        perf.performance_filters(data, today=TODAY)
    assert sorted(caught.value.fields) == fields


def test_team_and_owner_filters_take_ids(manager):
    team = TeamFactory()
    f = perf.performance_filters({"team": str(team.pk), "owner": manager.pk}, today=TODAY)
    assert (f.team_id, f.owner_id) == (team.pk, manager.pk)
