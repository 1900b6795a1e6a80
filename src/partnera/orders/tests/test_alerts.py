"""Late or incomplete orders: the "My day" panel (the user's, a department's, a head's team) and the
one alert per lateness episode to its account manager and departments — by the job, run twice,
through the real `partnera worker`, scheduled at the end of the promised day (and again by the
services whose writes change whether or when the order is late), re-armed by the writes that end
the episode, and by `partnera orders alert-late`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult

from partnera.clients.tests.factories import CompanyFactory
from partnera.core.home import home_view
from partnera.core.models import AuditEntry, Notification
from partnera.core.roles import DepartmentKind, Role
from partnera.orders import late, myday, services
from partnera.orders.models import Order, OrderStatus
from partnera.orders.tasks import alert_late_orders_task, end_of_day, schedule_late_check
from partnera.orders.tests.builders import client_of, line, order_for, products
from partnera.orders.tests.factories import OrderFactory, OrderLineFactory
from partnera.people.services import token_create
from partnera.people.tests.factories import DepartmentFactory, TeamFactory

TODAY = late.installation_today()
YESTERDAY = TODAY - dt.timedelta(days=1)


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def late_order(owner, *, promised=YESTERDAY, status=OrderStatus.CONFIRMED, delivered="0",
               completed=None, **kwargs):
    order = OrderFactory(owner=owner, status=status, **kwargs)
    OrderLineFactory(order=order, promised_date=promised, delivered_quantity=Decimal(delivered),
                     completed_on=completed)
    return order


def numbers(result) -> list[str]:
    return [o.number for o in result.items]


@pytest.fixture
def logistics(db):
    return DepartmentFactory(kind=DepartmentKind.LOGISTICS)


# --- "My day" -----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_panel_lists_the_users_late_orders_longest_late_first(manager, other_manager):
    # Given the manager's orders: two late (one for a week), one with a later line still due, …
    week = late_order(manager, number="A-WEEK", promised=days(-7))
    OrderLineFactory(order=week, promised_date=days(-2))  # a second late line
    late_order(manager, number="A-YESTERDAY")
    late_order(manager, number="A-PARTLY", status=OrderStatus.PARTLY_DELIVERED, delivered="4")
    # … and orders that are not late
    late_order(manager, number="N-TODAY", promised=TODAY)
    late_order(manager, number="N-DONE", status=OrderStatus.DELIVERED, completed=YESTERDAY,
               delivered="10")
    late_order(manager, number="N-CANCELLED", status=OrderStatus.CANCELLED)
    late_order(manager, number="N-CLOSED", status=OrderStatus.CLOSED, delivered="8")
    complete_line = late_order(manager, number="N-LINE-DONE", status=OrderStatus.PARTLY_DELIVERED,
                               completed=days(-3), delivered="10")
    OrderLineFactory(order=complete_line, promised_date=days(3))
    late_order(manager, number="N-DELETED", deleted_at=timezone.now())
    late_order(other_manager, number="N-OTHERS")

    result = myday.late_orders(view=home_view(user=manager))

    # the longest late first (ties: the older order first)
    assert numbers(result) == ["A-WEEK", "A-YESTERDAY", "A-PARTLY"]
    assert result.count == 3 and not result.capped
    first = result.items[0]
    assert (first.late_since, first.days_late, first.late_lines) == (days(-7), 7, 2)
    assert first.url == f"/orders/{week.pk}/"
    item = myday.order_item(first)
    assert item["number"] == "A-WEEK" and item["days_late"] == 7 and item["late_lines"] == 2


@pytest.mark.django_db
def test_a_department_member_sees_the_late_orders_naming_their_department(make_user, manager,
                                                                          logistics):
    member = make_user(Role.DEPARTMENT, department=logistics)
    ours = late_order(manager, number="SHIP-ME")
    ours.departments.add(logistics)
    late_order(manager, number="NOT-OURS").departments.add(
        DepartmentFactory(kind=DepartmentKind.FINANCE))
    assert numbers(myday.late_orders(view=home_view(user=member))) == ["SHIP-ME"]


@pytest.mark.django_db
def test_a_head_of_sales_sees_the_late_orders_of_their_team(manager, head_of_sales, make_user):
    late_order(manager, number="TEAM")
    outsider = make_user(Role.ACCOUNT_MANAGER, team=TeamFactory())
    late_order(outsider, number="OUTSIDE")
    view = home_view(user=head_of_sales, team=True)
    assert view.team
    assert numbers(myday.late_orders(view=view)) == ["TEAM"]
    assert numbers(myday.late_orders(view=home_view(user=head_of_sales))) == []


@pytest.mark.django_db
def test_home_page_and_api_show_the_panel(client, manager):
    late_order(manager, number="HOME-LATE", company=CompanyFactory(owner=manager,
                                                                   legal_name="Гама <b>ЕООД</b>"))
    client.force_login(manager)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Late or incomplete orders" in html and "HOME-LATE" in html
    assert "Гама &lt;b&gt;ЕООД&lt;/b&gt;" in html and "<b>ЕООД" not in html
    assert "1 day late" in html
    see_all = client.get("/activities/my-day/orders.late/", HTTP_ACCEPT_LANGUAGE="en")
    assert see_all.status_code == 200 and "HOME-LATE" in see_all.content.decode()
    _token, secret = token_create(actor=manager, user=manager, name="test")
    client.logout()
    body = client.get("/api/v1/my-day", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    panel = next(p for p in body["panels"] if p["name"] == "orders.late")
    assert panel["count"] == 1 and [i["number"] for i in panel["items"]] == ["HOME-LATE"]


@pytest.mark.django_db
def test_marketing_gets_no_panel(make_user):
    from partnera.core.home import home_panels

    marketing = make_user(Role.MARKETING)
    assert "orders.late" not in [p.name for p, _ in home_panels(user=marketing)]


# --- the alert --------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_owner_and_the_departments_active_members_are_alerted_once(manager, make_user,
                                                                         logistics):
    # Given a late order of the manager for logistics, whose members are one active, one gone
    order = late_order(manager, number="ПР-2026-00042",
                       company=CompanyFactory(owner=manager, legal_name="Алфа ООД"))
    order.departments.add(logistics)
    shipper = make_user(Role.DEPARTMENT, department=logistics, language="bg")
    make_user(Role.DEPARTMENT, department=logistics, is_active=False)
    make_user(Role.DEPARTMENT, department=DepartmentFactory(kind=DepartmentKind.FINANCE))

    # When the job runs, then again (a retry, the nightly sweep)
    first = alert_late_orders_task.call([order.pk])
    again = alert_late_orders_task.call([order.pk])
    sweep = alert_late_orders_task.call()

    # Then the manager and the active logistics member got one notification each, keyed by the
    # order's lateness episode (the moment it was alerted)
    assert first == {"alerted": 1} and again == {"already_alerted": 1} and sweep == {}
    order.refresh_from_db()
    key = f"order-late:{order.pk}:{order.late_alerted_at.isoformat()}"
    notes = Notification.objects.order_by("user_id")
    assert [(n.user, n.kind, n.key, n.url) for n in notes] == sorted(
        [(manager, "order_late", key, f"/orders/{order.pk}/"),
         (shipper, "order_late", key, f"/orders/{order.pk}/")],
        key=lambda t: t[0].pk)
    mine = notes.get(user=manager)
    assert mine.title == "Order ПР-2026-00042 is late"
    assert mine.body.startswith("Алфа ООД: 1 line was promised for ")
    with translation.override("bg"):  # each in their own language
        assert notes.get(user=shipper).title == gettext("Order %(number)s is late") % {
            "number": "ПР-2026-00042"}
    order.refresh_from_db()
    assert order.late_alerted_at is not None


@pytest.mark.django_db
def test_orders_not_late_are_left_alone(manager):
    due_today = late_order(manager, promised=TODAY)
    delivered = late_order(manager, status=OrderStatus.DELIVERED, completed=YESTERDAY,
                           delivered="10")
    closed_short = late_order(manager, status=OrderStatus.CLOSED, delivered="5")
    cancelled = late_order(manager, status=OrderStatus.CANCELLED)
    outcome = alert_late_orders_task.call([due_today.pk, delivered.pk, closed_short.pk,
                                           cancelled.pk, 987654])
    assert outcome == {"not_late": 1, "not_open": 3, "gone": 1, "rescheduled": 1}
    assert not Notification.objects.exists()
    assert not Order.objects.filter(late_alerted_at__isnull=False).exists()


@pytest.mark.django_db
def test_the_sweep_alerts_every_late_order_and_the_command_says_how_many(manager, other_manager):
    late_order(manager)
    late_order(other_manager)
    late_order(manager, promised=days(2))
    out = StringIO()
    call_command("orders", "alert-late", stdout=out)
    assert out.getvalue().strip() == "2 late orders alerted."
    assert Notification.objects.count() == 2
    out = StringIO()
    call_command("orders", "alert-late", stdout=out)
    assert out.getvalue().strip() == "0 late orders alerted."
    assert Notification.objects.count() == 2


# --- scheduling -------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_schedule_late_check_enqueues_the_job_at_the_end_of_the_earliest_open_promise(manager):
    order = late_order(manager, promised=days(3))
    OrderLineFactory(order=order, promised_date=days(10))
    schedule_late_check(order)  # outside a transaction: enqueued at once
    job = DBTaskResult.objects.get()
    assert job.task_path == "partnera.orders.tasks.alert_late_orders_task"
    assert job.args_kwargs["args"] == [[order.pk]]
    assert job.run_after == end_of_day(days(3))
    assert end_of_day(days(3)).astimezone(late.user_zone(None)).time() == dt.time(0, 0)
    assert end_of_day(days(3)).astimezone(late.user_zone(None)).date() == days(4)


@pytest.mark.django_db(transaction=True)
def test_an_order_already_late_is_checked_at_once_and_a_finished_one_not_at_all(manager):
    overdue = late_order(manager, promised=days(-2))
    done = late_order(manager, status=OrderStatus.DELIVERED, completed=YESTERDAY, delivered="10")
    schedule_late_check(overdue)
    schedule_late_check(done)
    job = DBTaskResult.objects.get()
    assert job.args_kwargs["args"] == [[overdue.pk]]
    assert DBTaskResult.objects.ready().filter(pk=job.pk).exists()  # due now: no waiting


@pytest.mark.django_db(transaction=True)
def test_a_check_that_finds_the_order_on_time_waits_for_its_next_promise(manager):
    # Given an order whose first line was delivered on time and whose second is due in 5 days
    order = late_order(manager, promised=YESTERDAY, status=OrderStatus.PARTLY_DELIVERED,
                       completed=YESTERDAY, delivered="10")
    OrderLineFactory(order=order, promised_date=days(5))
    # When yesterday's check runs
    assert alert_late_orders_task.call([order.pk]) == {"not_late": 1, "rescheduled": 1}
    # Then the next check waits for the end of the second line's day
    assert DBTaskResult.objects.get().run_after == end_of_day(days(5))


# --- one alert per lateness episode: the writes that end it, and the checks they schedule --------

@pytest.fixture
def shipper(make_user, logistics):
    return make_user(Role.DEPARTMENT, department=logistics)


def taken(manager, logistics, *promised: dt.date):
    """An order of the manager for logistics, taken through the services ten days ago, one line
    per promised day; with its products."""
    items = products(*["10.00"] * len(promised))
    order = order_for(manager, client_of(manager),
                      [line(p, "10", promised=day) for p, day in zip(items, promised, strict=True)],
                      received_on=days(-10), departments=[logistics.pk])
    return order, items


def job_ids() -> set:
    return set(DBTaskResult.objects.values_list("pk", flat=True))


def new_jobs(known: set) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.exclude(pk__in=known).order_by("enqueued_at"))


def alerts(order) -> list[tuple[str, str]]:
    """(recipient, key) of the order's late alerts, oldest first."""
    return [(n.user.username, n.key) for n in Notification.objects.filter(
        kind="order_late", url=f"/orders/{order.pk}/").select_related("user").order_by("pk")]


def last_change(order) -> dict:
    return AuditEntry.objects.filter(object_id=str(order.pk)).latest("pk").changes


@pytest.mark.django_db(transaction=True)
def test_an_alerted_order_promised_later_is_re_armed_and_alerts_again_when_late_again(
        manager, logistics, shipper):
    # Given an order alerted as late: its line was due two days ago
    order, (product,) = taken(manager, logistics, days(-2))
    assert alert_late_orders_task.call([order.pk]) == {"alerted": 1}
    order.refresh_from_db()
    first = order.late_alerted_at
    first_key = f"order-late:{order.pk}:{first.isoformat()}"
    assert alerts(order) == [("manager", first_key), (shipper.username, first_key)]
    known = job_ids()

    # When the client agrees to a later date: the line is now due in three days
    services.order_set_lines(actor=manager, order=order, expected_version=order.version,
                             lines=[line(product, "10", promised=days(3))])

    # Then the order is re-armed in the same audited write, and checked at the end of that day
    order.refresh_from_db()
    assert order.late_alerted_at is None
    assert last_change(order)["late_alerted_at"] == [first.isoformat(), None]
    [job] = new_jobs(known)
    assert job.args_kwargs["args"] == [[order.pk]] and job.run_after == end_of_day(days(3))
    assert len(alerts(order)) == 2

    # When that check runs at its time and the line is still not delivered
    outcome = late.alert_late_orders(order_ids=job.args_kwargs["args"][0], now=job.run_after)

    # Then the owner and logistics are alerted again, once each, for the new episode
    assert outcome == {"alerted": 1}
    order.refresh_from_db()
    assert order.late_alerted_at == job.run_after
    second_key = f"order-late:{order.pk}:{job.run_after.isoformat()}"
    assert alerts(order) == [("manager", first_key), (shipper.username, first_key),
                             ("manager", second_key), (shipper.username, second_key)]
    # and a retry of that check alerts nobody
    assert late.alert_late_orders(order_ids=[order.pk], now=job.run_after) == {
        "already_alerted": 1}
    assert len(alerts(order)) == 4


@pytest.mark.django_db
def test_an_order_still_late_after_an_edit_or_a_delivery_keeps_its_single_alert(manager, logistics,
                                                                                  shipper):
    # Given an order alerted as late: two lines, due five and three days ago
    order, (a, b) = taken(manager, logistics, days(-5), days(-3))
    assert alert_late_orders_task.call([order.pk]) == {"alerted": 1}
    order.refresh_from_db()
    alerted_at = order.late_alerted_at

    # When the first line is promised later, but the second is still overdue
    services.order_set_lines(actor=manager, order=order, expected_version=order.version,
                             lines=[line(a, "10", promised=days(4)), line(b, "10", promised=days(-3))])
    # … and when the first is promised for yesterday (still past)
    services.order_set_lines(actor=manager, order=order, expected_version=order.version,
                             lines=[line(a, "10", promised=days(-1)), line(b, "10", promised=days(-3))])
    assert "late_alerted_at" not in last_change(order)
    # … and when the second line is delivered in full, the first still overdue
    services.order_confirm(actor=manager, order=order)
    second = order.lines.get(position=2)
    services.delivery_record(actor=manager, order=order, delivered_on=days(-1),
                             lines=[(second, "10")])

    # Then it is the same lateness episode: one alert each, and the check finds it alerted
    order.refresh_from_db()
    assert order.late_alerted_at == alerted_at
    assert "late_alerted_at" not in last_change(order)
    assert alert_late_orders_task.call([order.pk]) == {"already_alerted": 1}
    assert [who for who, _key in alerts(order)] == ["manager", shipper.username]


@pytest.mark.django_db(transaction=True)
def test_a_delivery_of_the_late_lines_re_arms_the_alert_for_the_lines_still_due(manager, logistics,
                                                                                shipper):
    # Given a confirmed order alerted as late (a line due two days ago) with a line due in 4 days
    order, _items = taken(manager, logistics, days(-2), days(4))
    order = services.order_confirm(actor=manager, order=order)
    assert alert_late_orders_task.call([order.pk]) == {"alerted": 1}
    order.refresh_from_db()
    alerted_at = order.late_alerted_at
    known = job_ids()

    # When the late line is delivered in full (late)
    overdue = order.lines.get(position=1)
    services.delivery_record(actor=manager, order=order, delivered_on=days(-1),
                             lines=[(overdue, "10")])

    # Then the order is on time again: re-armed (audited with the delivery), checked again at the
    # end of the other line's day, and alerted again if that line is late in its turn
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTLY_DELIVERED and order.late_alerted_at is None
    assert last_change(order)["late_alerted_at"] == [alerted_at.isoformat(), None]
    [job] = new_jobs(known)
    assert job.args_kwargs["args"] == [[order.pk]] and job.run_after == end_of_day(days(4))
    assert late.alert_late_orders(order_ids=[order.pk], now=job.run_after) == {"alerted": 1}
    assert [who for who, _key in alerts(order)] == ["manager", shipper.username] * 2


@pytest.mark.django_db(transaction=True)
def test_deleting_a_delivery_that_re_opens_an_overdue_line_makes_the_order_alert(manager, logistics,
                                                                                shipper, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # Given an order whose only line, due three days ago, was delivered yesterday in full, and
    # whose checks ran since (it was delivered: nothing to say)
    order, _items = taken(manager, logistics, days(-3))
    order = services.order_confirm(actor=manager, order=order)
    services.delivery_record(actor=manager, order=order, delivered_on=days(-1),
                             lines=[(order.lines.get(), "10")])
    run_worker()
    assert not Notification.objects.exists()
    known = job_ids()
    assert not DBTaskResult.objects.ready().exists()

    # When that delivery is deleted (recorded by mistake)
    services.delivery_delete(actor=manager, order=order, delivery=order.deliveries.get())

    # Then the order is open and late at once: its check is due now, and the worker alerts
    [job] = new_jobs(known)
    assert job.args_kwargs["args"] == [[order.pk]]
    assert DBTaskResult.objects.ready().filter(pk=job.pk).exists()
    run_worker()
    job.refresh_from_db()
    assert job.status == "SUCCESSFUL" and job.return_value == {"alerted": 1}
    assert Order.objects.get(pk=order.pk).status == OrderStatus.IN_FULFILMENT
    assert [who for who, _key in alerts(order)] == ["manager", shipper.username]


@pytest.mark.django_db(transaction=True)
def test_confirming_and_starting_schedule_the_check_and_ending_does_not(manager, logistics):
    # Given a received order whose line is due in five days
    order, _items = taken(manager, logistics, days(5))
    known = job_ids()
    # When it is confirmed, then goes into fulfilment
    order = services.order_confirm(actor=manager, order=order)
    confirmed = new_jobs(known)
    order = services.order_start(actor=manager, order=order)
    started = new_jobs(known)[len(confirmed):]
    # Then each move enqueued the order's check for the end of its promised day
    for jobs in (confirmed, started):
        assert [(j.args_kwargs["args"], j.run_after) for j in jobs] == [
            ([[order.pk]], end_of_day(days(5)))]
    # When another order is cancelled (it will never be late): no check
    other, _items = taken(manager, logistics, days(5))
    known = job_ids()
    services.order_cancel(actor=manager, order=other, reason="Дублирана поръчка.")
    assert new_jobs(known) == []


# --- for real: the worker ------------------------------------------------------------------------------

def run_worker() -> str:
    out = StringIO()
    call_command("worker", "--batch", "--no-startup-delay", "--interval", "0", stdout=out,
                 stderr=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_check_and_alerts_once(manager, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # Given a late order whose check was scheduled (its day has passed: it runs at once)
    order = late_order(manager, promised=days(-1))
    schedule_late_check(order)
    job = DBTaskResult.objects.get()
    assert DBTaskResult.objects.ready().filter(pk=job.pk).exists()
    # When the worker processes the queue
    run_worker()
    # Then the manager was notified, the order marked, the job's outcome recorded
    job.refresh_from_db()
    assert job.status == "SUCCESSFUL" and job.return_value == {"alerted": 1}
    assert Notification.objects.filter(user=manager, kind="order_late").count() == 1
    assert Order.objects.get(pk=order.pk).late_alerted_at is not None
    # When the same check runs again through the worker
    alert_late_orders_task.enqueue([order.pk])
    run_worker()
    # Then nobody is notified twice
    assert Notification.objects.filter(user=manager).count() == 1
    assert DBTaskResult.objects.order_by("-enqueued_at").first().return_value == {
        "already_alerted": 1}


@pytest.mark.django_db(transaction=True)
def test_a_future_check_waits_for_its_day(manager, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    order = late_order(manager, promised=days(2))
    schedule_late_check(order)
    run_worker()
    assert DBTaskResult.objects.get().status == "READY"
    assert not Notification.objects.exists()
