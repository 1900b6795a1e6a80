"""/orders/performance/ (figures, sorting, paging, bad filters, what a manager may see, a constant
number of queries), its per-client download, and the company page's panel."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnera.clients.tests.factories import CompanyFactory
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.core.timezones import user_zone
from partnera.orders.models import OrderStatus
from partnera.orders.tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db

URL = "/orders/performance/"


def today_of(user) -> dt.date:
    return timezone.now().astimezone(user_zone(user)).date()


def delivered(owner, company, *, promised: dt.date, completed: dt.date | None, qty="10",
              got="10", status=OrderStatus.DELIVERED, received_on=None):
    order = OrderFactory(owner=owner, company=company, status=status,
                         received_on=received_on or promised - dt.timedelta(days=5))
    OrderLineFactory(order=order, promised_date=promised, quantity=Decimal(qty),
                     delivered_quantity=Decimal(got), completed_on=completed)
    return order


@pytest.fixture
def history(manager, other_manager):
    """The manager's clients Alfa (2 orders: one OTIF, one late) and Beta (1 OTIF, 1 short and
    late); a colleague of another team with a client of theirs."""
    today = today_of(manager)
    day = today - dt.timedelta(days=10)
    alfa = CompanyFactory(owner=manager, legal_name="Алфа")
    beta = CompanyFactory(owner=manager, legal_name="Бета")
    delivered(manager, alfa, promised=day, completed=day)
    delivered(manager, alfa, promised=day, completed=day + dt.timedelta(days=2))
    delivered(manager, beta, promised=day, completed=day - dt.timedelta(days=1))
    delivered(manager, beta, promised=day, completed=None, got="6",
              status=OrderStatus.PARTLY_DELIVERED)
    hidden = CompanyFactory(owner=other_manager, legal_name="Скрита")
    delivered(other_manager, hidden, promised=day, completed=day)
    return alfa, beta, hidden


def test_the_page_shows_the_headline_figures_and_both_tables(logged_in, manager, history):
    response = logged_in(manager).get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    # 4 orders counted: 2 OTIF, 3 in full; clients Alfa and Beta each ordered twice
    assert "On time in full: 2 of 4 orders" in html and "50.0 %" in html
    assert "In full: 3 of 4 orders" in html and "75.0 %" in html
    assert "Repeat orders: 2 of 2 clients ordered twice or more" in html and "100.0 %" in html
    assert "Алфа" in html and "Бета" in html
    assert "Скрита" not in html  # another team's client
    figures = response.context["figures"]
    assert [(r.name, r.figures.orders, r.figures.otif_rate) for r in figures.clients.rows] == [
        ("Алфа", 2, 50.0), ("Бета", 2, 50.0)]
    assert [(m.owner, m.otif.orders) for m in figures.managers] == [(manager, 4)]
    assert response.context["late"]["count"] == 1  # Beta's partly delivered order


def test_sorting_and_paging_the_client_tables(logged_in, manager):
    today = today_of(manager)
    day = today - dt.timedelta(days=3)
    for i, late_days in enumerate([0, 1, 0]):
        company = CompanyFactory(owner=manager, legal_name=f"Клиент {i}")
        delivered(manager, company, promised=day, completed=day + dt.timedelta(days=late_days))
    client = logged_in(manager)
    worst = client.get(URL, {"sort": "otif", "limit": "2"}).context["figures"].clients
    assert [r.name for r in worst.rows] == ["Клиент 1", "Клиент 0"] and worst.total == 3
    assert worst.has_next
    nxt = client.get(URL, {"sort": "otif", "limit": "2", "offset": "2"}).context["figures"].clients
    assert [r.name for r in nxt.rows] == ["Клиент 2"] and not nxt.has_next and nxt.has_prev
    best = client.get(URL, {"sort": "-otif"}).context["figures"].clients
    assert [r.name for r in best.rows][-1] == "Клиент 1"


@pytest.mark.parametrize(("query", "field"), [
    ({"start": "2026-02-30"}, "start"),
    ({"start": "2026-03-01", "end": "2026-01-01"}, "end"),
    ({"team": "999999"}, "team"),
    ({"sort": "fastest"}, "sort"),
    ({"offset": "-1"}, "offset"),
])
def test_bad_filters_are_shown_next_to_the_field_and_kept(logged_in, manager, query, field):
    client = logged_in(manager)
    before = AuditEntry.objects.count()
    response = client.get(URL, query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    form = response.context["form"]
    assert (field in form.errors) if field in form.fields else form.non_field_errors()
    assert "figures" not in response.context
    html = response.content.decode()
    if "start" in query:
        assert f'value="{query["start"]}"' in html  # the input is kept
    assert AuditEntry.objects.count() == before


def test_a_team_and_a_manager_narrow_the_figures(logged_in, admin_user, manager, other_manager,
                                                 history):
    client = logged_in(admin_user)
    everyone = client.get(URL).context["figures"]
    assert everyone.otif.orders == 5
    theirs = client.get(URL, {"owner": other_manager.pk}).context["figures"]
    assert (theirs.otif.orders, theirs.otif.otif) == (1, 1)
    team = client.get(URL, {"team": manager.team_id}).context["figures"]
    assert team.otif.orders == 4


def test_queries_do_not_grow_with_the_clients(client, admin_user, manager):
    today = today_of(admin_user)
    day = today - dt.timedelta(days=3)

    def fill(n: int) -> None:
        for _ in range(n):
            company = CompanyFactory(owner=manager)
            delivered(manager, company, promised=day, completed=day)
            OrderFactory(owner=manager, company=company, received_on=day,
                         status=OrderStatus.CONFIRMED)
            late = OrderFactory(owner=manager, company=company, status=OrderStatus.CONFIRMED)
            OrderLineFactory(order=late, promised_date=day)

    client.force_login(admin_user)
    fill(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    fill(10)
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL).status_code == 200
    assert len(many) == len(few), [q["sql"][:200] for q in many.captured_queries]


def test_the_page_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response["Location"]


# --- the download ---------------------------------------------------------------------------------

def test_csv_download_of_the_clients_neutralises_formulas(logged_in, manager):
    today = today_of(manager)
    day = today - dt.timedelta(days=3)
    evil = CompanyFactory(owner=manager, legal_name="=HYPERLINK(\"http://x\")")
    delivered(manager, evil, promised=day, completed=day)
    delivered(manager, evil, promised=day, completed=None, got="2",
              status=OrderStatus.PARTLY_DELIVERED)
    response = logged_in(manager).get("/orders/performance/export/",
                                      {"format": "csv", "sep": "comma"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Client", "Orders counted", "On time in full", "OTIF (%)"]
    assert rows[1][0] == "'=HYPERLINK(\"http://x\")"
    assert rows[1][1:7] == ["2", "1", "50.0", "50.0", "50.0", "2"]
    entry = AuditEntry.objects.get(object_type="orders.performance")
    assert entry.changes["rows"] == 1 and entry.changes["format"] == "csv"


def test_xlsx_download_reads_back(logged_in, manager):
    today = today_of(manager)
    day = today - dt.timedelta(days=3)
    alfa = CompanyFactory(owner=manager, legal_name="Алфа")
    delivered(manager, alfa, promised=day, completed=day, received_on=day - dt.timedelta(days=4))
    response = logged_in(manager).get("/orders/performance/export/", {"format": "xlsx"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    values = [c.value for c in sheet[2]]
    assert values[:4] == ["Алфа", 1, 1, 100]
    assert values[6] == 1 and values[7].date() == day - dt.timedelta(days=4)


def test_a_bad_download_format_is_refused(logged_in, manager):
    assert logged_in(manager).get("/orders/performance/export/",
                                  {"format": "pdf"}).status_code == 400
    assert not AuditEntry.objects.filter(object_type="orders.performance").exists()


# --- the company page ---------------------------------------------------------------------------

def test_the_company_page_shows_the_clients_figures(logged_in, manager, history):
    alfa, _beta, _hidden = history
    html = logged_in(manager).get(f"/clients/companies/{alfa.pk}/",
                                  HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Delivery and reorders" in html and "1 of 2 orders" in html


def test_the_panel_is_left_out_without_orders(manager, make_user):
    from partnera.orders.views.performance import company_performance_panel

    quiet = CompanyFactory(owner=manager)
    assert company_performance_panel(user=manager, record=quiet) is None
    marketing = make_user(Role.MARKETING)
    assert company_performance_panel(user=marketing, record=quiet) is None


def test_the_date_boxes_show_the_period_the_figures_are_for(logged_in, manager):
    # Given no period asked for, or only its start
    client = logged_in(manager)
    today = today_of(manager)
    html = client.get("/orders/performance/").content.decode()
    # Then the boxes hold the default 90 days, ending today
    start = today - dt.timedelta(days=89)
    assert f'name="start" value="{start.isoformat()}"' in html
    assert f'name="end" value="{today.isoformat()}"' in html
    # And a start alone is completed up to today
    html = client.get("/orders/performance/", {"start": "2026-01-01"}).content.decode()
    assert 'name="start" value="2026-01-01"' in html
    assert f'name="end" value="{max(today, dt.date(2026, 1, 1)).isoformat()}"' in html
