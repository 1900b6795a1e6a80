"""Review 2, findings 1, 2, 5 and 6: amounts typed with thousands separators are stored as
written (deal form, API, board quick add, lead qualification) or refused with nothing stored;
cents round half up in the list, the API, the board and the report alike; a deleted open deal is
not restored into a stage or pipeline deactivated meanwhile; PATCH of a pipeline is all or nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnera.clients.tests.factories import CompanyFactory
from partnera.core.models import AuditEntry
from partnera.core.tests.api_client import ApiClient
from partnera.sales import board as sel
from partnera.sales import deal_list as listing
from partnera.sales import pipelines, services
from partnera.sales.models import Deal, Pipeline
from partnera.sales.reports import pipeline_report
from partnera.sales.tests.factories import DealFactory, LeadFactory, default_pipeline, stage_at
from partnera.sales.tests.test_deal_pages import state
from partnera.sales.tests.test_pipelines import settings_state

pytestmark = pytest.mark.django_db

FORMAT = "Enter an amount, e.g. 12500, 12,500.50 or 12 500,50."
DECIMALS = "Enter at most two decimals (cents), e.g. 1955.83 or 1 955,83."
HTMX = {"HTTP_HX_REQUEST": "true"}
TYPED = [("1 955,83", "1955.83"), ("1.955,83", "1955.83"), ("1,955.83", "1955.83"),
         ("12,500", "12500.00"), ("12 500", "12500.00"), ("12500", "12500.00"), ("0,5", "0.50"),
         ("1.955", "1955.00")]
REFUSED = [("1,5,0", FORMAT), ("12,5000", DECIMALS), ("1.955,831", DECIMALS)]


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def api(client):
    return lambda user: ApiClient(client, user)


# --- finding 1: one strict amount parser behind every money input ---------------------------------

@pytest.mark.parametrize(("typed", "amount"), TYPED)
def test_the_deal_form_stores_the_amount_as_typed(logged_in, manager, typed, amount):
    company = CompanyFactory(owner=manager)

    response = logged_in(manager).post(reverse("sales:deal_create"), {
        "company": company.pk, "title": "Доставка", "stage": stage_at(0).pk, "amount": typed,
        "currency": "EUR"})

    assert response.status_code == 302
    assert Deal.objects.get().amount == Decimal(amount)


@pytest.mark.parametrize(("typed", "message"), REFUSED)
def test_the_deal_form_refuses_an_ambiguous_amount_next_to_the_field(logged_in, manager, typed,
                                                                     message):
    company = CompanyFactory(owner=manager)
    deal = DealFactory(owner=manager, amount=Decimal("100.00"))
    client = logged_in(manager)
    before = state()

    created = client.post(reverse("sales:deal_create"), {
        "company": company.pk, "title": "Доставка", "stage": stage_at(0).pk, "amount": typed,
        "currency": "EUR"})
    edited = client.post(reverse("sales:deal_edit", args=[deal.pk]), {
        "title": deal.title, "amount": typed, "currency": "EUR", "version": deal.version})

    for response in (created, edited):
        assert response.status_code == 400
        assert message in response.content.decode()
    assert state() == before


@pytest.mark.parametrize(("typed", "amount"), TYPED)
def test_the_api_reads_text_amounts_like_the_form(api, manager, typed, amount):
    company = CompanyFactory(owner=manager)

    response = api(manager).post("/deals", {"title": "Доставка", "company": company.pk,
                                            "amount": typed})

    assert response.status_code == 201, response.content
    assert response.json()["amount"] == amount
    assert Deal.objects.get().amount == Decimal(amount)


def test_the_api_keeps_json_numbers_and_refuses_more_than_cents(api, manager):
    company = CompanyFactory(owner=manager)
    client = api(manager)

    assert client.post("/deals", {"title": "A", "company": company.pk, "amount": 12500}
                       ).json()["amount"] == "12500.00"
    assert client.post("/deals", {"title": "B", "company": company.pk, "amount": 0.25}
                       ).json()["amount"] == "0.25"
    deal = Deal.objects.get(title="A")
    before = state()
    for value, message in [*REFUSED, (0.125, DECIMALS), ("1e3", FORMAT)]:
        created = client.post("/deals", {"title": "C", "company": company.pk, "amount": value})
        patched = client.patch(f"/deals/{deal.pk}", {"amount": value, "version": deal.version})
        for response in (created, patched):
            assert response.status_code == 400, value
            assert response.json()["fields"] == {"amount": [message]}, value
    assert state() == before


@pytest.mark.parametrize(("typed", "amount"), [("12,500", "12500.00"), ("1 955,83", "1955.83")])
def test_board_quick_add_reads_the_amount_as_typed(logged_in, manager, typed, amount):
    company = CompanyFactory(owner=manager)

    response = logged_in(manager).post(reverse("sales:board_quick_add"), {
        "title": "Бърза", "company": company.pk, "amount": typed, "currency": "EUR",
        "query": f"pipeline={default_pipeline().pk}"}, **HTMX)

    assert response.status_code == 200
    assert Deal.objects.get(title="Бърза").amount == Decimal(amount)


def test_board_quick_add_refuses_an_ambiguous_amount(logged_in, manager):
    company = CompanyFactory(owner=manager)
    before = state()

    response = logged_in(manager).post(reverse("sales:board_quick_add"), {
        "title": "Бърза", "company": company.pk, "amount": "12,5000", "currency": "EUR",
        "query": f"pipeline={default_pipeline().pk}"}, **HTMX)

    assert response.status_code == 400 and DECIMALS in response.content.decode()
    assert 'value="12,5000"' in response.content.decode()
    assert state() == before


def test_lead_qualification_reads_the_deal_amount_like_the_form(api, manager):
    lead = LeadFactory(owner=manager)
    refused_lead = LeadFactory(owner=manager)
    client = api(manager)

    done = client.post(f"/leads/{lead.pk}/qualify", {"deal_data": {"amount": "12,500"}})
    before = state()
    refused = client.post(f"/leads/{refused_lead.pk}/qualify", {"deal_data": {"amount": "1,5,0"}})

    assert done.status_code == 200, done.content
    assert Deal.objects.get(pk=done.json()["deal"]).amount == Decimal("12500.00")
    assert refused.status_code == 400
    assert refused.json()["fields"]["deal_amount"] == [FORMAT]
    assert state() == before


def test_amount_filters_read_thousands_separators(logged_in, api, manager):
    small = DealFactory(owner=manager, amount=Decimal("12.50"))
    big = DealFactory(owner=manager, amount=Decimal("12500.00"))

    page = logged_in(manager).get(reverse("sales:deal_list"), {"amount_min": "12,500"})
    board = sel.board_deals(user=manager, filters=_board_filters(manager, "12,500"))

    html = page.content.decode()
    assert big.title in html and small.title not in html
    assert list(board.values_list("pk", flat=True)) == [big.pk]


def _board_filters(manager, amount_min: str) -> sel.BoardFilters:
    from django.http import QueryDict

    from partnera.sales.views.board import _filters_from
    return _filters_from(QueryDict(f"amount_min={amount_min}"), users=[manager], teams=[])[1]


# --- finding 2: half up to the cent everywhere ----------------------------------------------------

def test_a_weighted_amount_rounds_half_up_in_the_list_the_api_the_board_and_the_report(
        api, manager):
    deal = DealFactory(owner=manager, stage=stage_at(3), amount=Decimal("0.25"))  # 50 %
    assert stage_at(3).probability == 50

    listed = listing.weighted_amount(deal)
    from_api = api(manager).get(f"/deals/{deal.pk}").json()["weighted_amount"]
    board = sel.board_totals(user=manager, stages=[stage_at(3)], filters=sel.BoardFilters())
    report = pipeline_report(user=manager, pipeline=default_pipeline())

    assert listed == Decimal("0.13") and from_api == "0.13"
    assert board[stage_at(3).pk].weighted == Decimal("0.13")
    assert next(f for f in report.stages if f.stage == stage_at(3)).weighted_value == Decimal("0.13")


# --- finding 5: no restore into a deactivated stage or pipeline ------------------------------------

def test_an_open_deal_is_not_restored_into_a_deactivated_stage(api, manager, admin_user):
    deal = DealFactory(owner=manager, stage=stage_at(1))
    services.deal_delete(actor=manager, deal=deal)
    pipelines.stage_update(actor=admin_user, stage=stage_at(1), data={"active": False})
    before = state()

    response = api(manager).post(f"/deals/{deal.pk}/restore")

    assert response.status_code == 400
    assert response.json()["message"] == (
        f"The stage “{stage_at(1).name}” is no longer active. Reactivate it first, "
        "then restore the deal.")
    assert state() == before
    pipelines.stage_update(actor=admin_user, stage=stage_at(1), data={"active": True})
    assert api(manager).post(f"/deals/{deal.pk}/restore").status_code == 200
    columns = sel.board_columns(user=manager, pipeline=default_pipeline(), filters=sel.BoardFilters())
    assert [c.stage for c in columns if deal in c.cards] == [stage_at(1)]


def test_an_open_deal_is_not_restored_into_a_deactivated_pipeline(logged_in, manager, admin_user):
    renewals = Pipeline.objects.get(kind="renewal")
    deal = DealFactory(owner=manager, pipeline=renewals)
    services.deal_delete(actor=manager, deal=deal)
    pipelines.pipeline_set_active(actor=admin_user, pipeline=renewals, active=False)
    before = state()

    with pytest.raises(services.ValidationFailed) as caught:
        services.deal_restore(actor=manager, deal=Deal.all_objects.get(pk=deal.pk))

    assert str(caught.value.message) == (
        f"The pipeline “{renewals.name}” is no longer active. Reactivate it first, "
        "then restore the deal.")
    assert state() == before


def test_a_closed_deal_is_restored_even_if_its_stage_was_deactivated(manager, admin_user):
    renewals = Pipeline.objects.get(kind="renewal")
    won = renewals.stages.get(outcome="won")
    deal = DealFactory(owner=manager, pipeline=renewals, stage=won)
    services.deal_delete(actor=manager, deal=deal)
    pipelines.pipeline_set_active(actor=admin_user, pipeline=renewals, active=False)

    services.deal_restore(actor=manager, deal=Deal.all_objects.get(pk=deal.pk))

    assert Deal.objects.filter(pk=deal.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_a_move_locks_the_target_pipeline_stage_and_deal(manager):
    deal = DealFactory(owner=manager)

    with CaptureQueriesContext(connection) as queries:
        services.deal_move_stage(actor=manager, deal=deal, stage=stage_at(1).pk)

    locks = [q["sql"] for q in queries.captured_queries if "FOR " in q["sql"] and "UPDATE" in q["sql"]]
    assert [sql.split(" FROM ")[1].split()[0] for sql in locks] == [
        '"sales_pipeline"', '"sales_stage"', '"sales_deal"']


# --- finding 6: PATCH /pipelines/{id} is all or nothing --------------------------------------------

def test_a_refused_pipeline_patch_leaves_the_rename_undone(api, admin_user):
    pipeline = default_pipeline()
    client = api(admin_user)
    before = settings_state()
    audits = AuditEntry.objects.filter(object_type="sales.pipeline").count()

    response = client.patch(f"/pipelines/{pipeline.pk}", {"name": "Renamed", "active": False})

    assert response.status_code == 400
    assert response.json()["fields"] == {"active": ["Make another pipeline the default first."]}
    assert settings_state() == before
    assert AuditEntry.objects.filter(object_type="sales.pipeline").count() == audits
