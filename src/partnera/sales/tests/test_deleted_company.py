"""Deals live below their company: while the company is in the trash its deals are gone with it —
from the deal list, the API, the board (cards, counts, totals), the pipeline report, "My day" and
the deal page (404) — and they come back when the company is restored. A lead qualified into such
a company stays (it is a record of its own) but no longer links to the company or its deal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partnera.clients.services import company_delete, company_restore
from partnera.clients.tests.factories import CompanyFactory
from partnera.core.home import home_view
from partnera.core.tests.api_client import ApiClient
from partnera.sales import board, myday
from partnera.sales.models import LeadStatus
from partnera.sales.reports import pipeline_report
from partnera.sales.tests.factories import DealFactory, LeadFactory, default_pipeline, stage_at
from partnera.sales.tests.test_deal_pages import state

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    return lambda user: ApiClient(client, user)


def open_deal(owner, title: str, company):
    """An open deal in the first stage, long in it (stuck) and with no next activity."""
    return DealFactory(owner=owner, title=title, company=company, stage=stage_at(0),
                       amount=Decimal("1000.00"),
                       stage_entered_at=timezone.now() - dt.timedelta(days=400))


def where_seen(client, api_client, user, deal) -> dict:
    """Where the deal shows, page by page."""
    columns = {c.stage.pk: c for c in board.board_columns(
        user=user, pipeline=default_pipeline(), filters=board.BoardFilters())}
    first = columns[stage_at(0).pk]
    report = pipeline_report(user=user, pipeline=default_pipeline())
    view = home_view(user=user)
    return {
        "deal list": deal.title in client.get(reverse("sales:deal_list")).content.decode(),
        "api list": deal.pk in [d["id"] for d in api_client.get("/deals").json()["items"]],
        "api count": api_client.get("/deals").json()["count"],
        "api deal": api_client.get(f"/deals/{deal.pk}").status_code,
        "deal page": client.get(reverse("sales:deal_detail", args=[deal.pk])).status_code,
        "board cards": deal.pk in [d.pk for d in first.cards],
        "board count": first.totals.count,
        "board total": first.totals.total,
        "board page": deal.title in client.get(reverse("sales:board")).content.decode(),
        "report": report.stages[0].open_count,
        "no next activity": deal.title in [d.title for d in myday.without_next_activity(view=view)
                                           .items],
        "stuck": deal.title in [d.title for d in myday.stuck(view=view).items],
    }


def test_deals_of_a_deleted_company_are_gone_everywhere_and_return_with_it(
        client, api, manager):
    client.force_login(manager)
    api_client = api(manager)
    open_deal(manager, "Остава", CompanyFactory(owner=manager))
    company = CompanyFactory(owner=manager)
    gone = open_deal(manager, "Изчезва с фирмата", company)
    present = {"deal list": True, "api list": True, "api count": 2, "api deal": 200,
               "deal page": 200, "board cards": True, "board count": 2,
               "board total": Decimal("2000.00"), "board page": True, "report": 2,
               "no next activity": True, "stuck": True}
    assert where_seen(client, api_client, manager, gone) == present

    company_delete(actor=manager, company=company)

    assert where_seen(client, api_client, manager, gone) == {
        "deal list": False, "api list": False, "api count": 1, "api deal": 404, "deal page": 404,
        "board cards": False, "board count": 1, "board total": Decimal("1000.00"),
        "board page": False, "report": 1, "no next activity": False, "stuck": False}

    company_restore(actor=manager, company=company)

    assert where_seen(client, api_client, manager, gone) == present


def test_a_deal_of_a_deleted_company_can_be_neither_moved_nor_edited(client, api, manager):
    company = CompanyFactory(owner=manager)
    deal = open_deal(manager, "Замразена", company)
    company_delete(actor=manager, company=company)
    client.force_login(manager)
    before = state()

    moved = client.post(reverse("sales:deal_move", args=[deal.pk]), {"stage": stage_at(1).pk})
    edited = client.post(reverse("sales:deal_edit", args=[deal.pk]), {
        "title": "Нова", "currency": "EUR", "version": deal.version})
    patched = api(manager).patch(f"/deals/{deal.pk}", {"title": "Нова", "version": deal.version})
    board_move = client.post(reverse("sales:board_move", args=[deal.pk]),
                             {"stage": stage_at(1).pk, "version": deal.version})

    assert [moved.status_code, edited.status_code, patched.status_code,
            board_move.status_code] == [404, 404, 404, 404]
    assert state() == before


def test_the_board_reads_the_same_number_of_queries_with_deleted_companies(client, manager):
    client.force_login(manager)
    for n in range(3):
        open_deal(manager, f"Сделка {n}", CompanyFactory(owner=manager))
    with CaptureQueriesContext(connection) as live:
        client.get(reverse("sales:board"))
    for n in range(20):
        company = CompanyFactory(owner=manager)
        open_deal(manager, f"Изтрита {n}", company)
        company_delete(actor=manager, company=company)

    with CaptureQueriesContext(connection) as with_deleted:
        page = client.get(reverse("sales:board")).content.decode()

    assert len(with_deleted) == len(live)
    assert "Изтрита" not in page


def test_a_lead_of_a_deleted_company_stays_but_does_not_link_to_it(client, manager):
    company = CompanyFactory(owner=manager, legal_name="Бета Трейд")
    deal = open_deal(manager, "От запитването", company)
    lead = LeadFactory(owner=manager, company_name="Бета", status=LeadStatus.QUALIFIED,
                       company=company, deal=deal, closed_at=timezone.now())
    client.force_login(manager)
    company_link = reverse("clients:company_detail", args=[company.pk])
    deal_link = reverse("sales:deal_detail", args=[deal.pk])
    shown = client.get(reverse("sales:lead_detail", args=[lead.pk])).content.decode()
    assert company_link in shown and deal_link in shown

    company_delete(actor=manager, company=company)
    response = client.get(reverse("sales:lead_detail", args=[lead.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Бета" in page
    assert company_link not in page and "Бета Трейд" not in page
    assert deal_link not in page
    lead.refresh_from_db()
    assert (lead.company_id, lead.deal_id) == (company.pk, deal.pk)  # nothing stored changed
    assert "Бета" in client.get(reverse("sales:lead_list")).content.decode()
