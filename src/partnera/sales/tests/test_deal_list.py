"""The deal list (page and selector), the company page's "Deals" panel and the deal events on the
company timeline: filters, weighted amounts, the no-next-activity flag, visibility (a hidden
deal is never listed, counted or shown) and a constant number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partnera.clients.models import Tier
from partnera.clients.tests.factories import CompanyFactory
from partnera.core.roles import Role
from partnera.core.timeline import company_timeline
from partnera.sales.deal_list import DealFilters, deal_count, deal_list, parse_month
from partnera.sales.models import Deal
from partnera.sales.services import deal_move_stage
from partnera.sales.tests.factories import DealFactory, stage_at

pytestmark = pytest.mark.django_db


def titles(user, **filters) -> set[str]:
    return set(deal_list(user=user, filters=DealFilters(**filters)).values_list("title", flat=True))


def test_each_filter_keeps_the_deals_it_names(manager, make_user, team):
    colleague = make_user(Role.ACCOUNT_MANAGER, team=team)
    key = CompanyFactory(owner=manager, tier=Tier.KEY_ACCOUNT, legal_name="Алфа Трейд")
    DealFactory(owner=manager, company=key, title="Алфа голяма", amount=Decimal("50000"),
                amount_eur=Decimal("50000"), expected_close_date=dt.date(2026, 3, 15),
                next_activity_at=timezone.now())
    DealFactory(owner=manager, title="Бета малка", amount=Decimal("1955.83"), currency="BGN",
                amount_eur=Decimal("1000.00"), expected_close_date=dt.date(2026, 4, 1),
                stage=stage_at(1))
    DealFactory(owner=colleague, title="Гама колеги", amount=None, amount_eur=None,
                expected_close_date=None)
    won = DealFactory(owner=manager, title="Делта спечелена", stage=stage_at(5))
    deal_move_stage(actor=manager, deal=won, stage=stage_at(6))

    assert titles(manager) == {"Алфа голяма", "Бета малка", "Гама колеги", "Делта спечелена"}
    assert titles(manager, q="алфа") == {"Алфа голяма"}
    assert titles(manager, q="трейд") == {"Алфа голяма"}  # the company's name, any case
    assert titles(manager, stage=[stage_at(1).pk]) == {"Бета малка"}
    assert titles(manager, owner=[colleague.pk]) == {"Гама колеги"}
    assert titles(manager, tier=[Tier.KEY_ACCOUNT]) == {"Алфа голяма"}
    assert titles(manager, status=["won"]) == {"Делта спечелена"}
    assert titles(manager, amount_min=Decimal("1000"), amount_max=Decimal("1000")) == {"Бета малка"}
    assert titles(manager, amount_min=Decimal("20000")) == {"Алфа голяма"}
    assert titles(manager, close_month=parse_month("2026-03")) == {"Алфа голяма"}
    assert titles(manager, no_next_activity=True) == {"Бета малка", "Гама колеги"}
    assert titles(manager, team=[team.pk], q="гама") == {"Гама колеги"}
    assert titles(manager, company=key.pk) == {"Алфа голяма"}


def test_month_parsing_accepts_only_real_months():
    assert parse_month("2026-12") == dt.date(2026, 12, 1)
    assert parse_month("2026-13") is None
    assert parse_month("март") is None
    assert parse_month("") is None


def test_the_list_page_shows_amount_weighted_amount_stage_and_the_flag(logged_in, manager):
    DealFactory(owner=manager, title="Оферта", stage=stage_at(3), amount=Decimal("12000"),
                amount_eur=Decimal("12000"))  # "offer presented": 50 %

    page = logged_in(manager).get(reverse("sales:deal_list"), HTTP_ACCEPT_LANGUAGE="en")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Оферта" in html and stage_at(3).name in html
    assert "12,000.00 EUR" in html or "12 000,00 EUR" in html
    assert "6,000.00 EUR" in html or "6 000,00 EUR" in html  # weighted: 12,000 × 50 %
    assert "flag-no-activity" in html


def test_the_list_page_filters_through_the_query_string_and_htmx(logged_in, manager):
    DealFactory(owner=manager, title="Първа")
    DealFactory(owner=manager, title="Втора", stage=stage_at(1))
    client = logged_in(manager)

    page = client.get(reverse("sales:deal_list"), {"stage": [stage_at(1).pk]},
                      HTTP_HX_REQUEST="true", HTTP_HX_TARGET="deal-results")
    of_company = client.get(reverse("sales:deal_list"),
                            {"company": Deal.objects.get(title="Първа").company_id})

    html = page.content.decode()
    assert "Втора" in html and "Първа" not in html
    assert "<html" not in html  # only the results partial
    assert "Първа" in of_company.content.decode() and "Втора" not in of_company.content.decode()


def test_bad_filter_values_are_ignored_never_an_error(logged_in, manager):
    DealFactory(owner=manager, title="Една")

    page = logged_in(manager).get(reverse("sales:deal_list"), {
        "amount_min": "много", "close_month": "2026-99", "stage": ["x", "99999999999999999999"],
        "pipeline": "abc", "cursor": "%%%", "status": "нещо", "sort": "drop"})

    assert page.status_code == 200 and "Една" in page.content.decode()


def test_a_hidden_deal_is_never_listed_counted_or_shown_in_the_panel(logged_in, manager,
                                                                    other_manager):
    company = CompanyFactory(owner=other_manager)
    DealFactory(owner=other_manager, company=company, title="Тайна сделка")
    DealFactory(owner=manager, title="Моя сделка")

    assert titles(manager) == {"Моя сделка"}
    assert deal_count(user=manager, filters=DealFilters()) == (1, False)
    client = logged_in(manager)
    html = client.get(reverse("sales:deal_list"), {"q": "Тайна"}).content.decode()
    assert "Тайна сделка" not in html
    entries = company_timeline(user=manager, company_id=company.pk, limit=50)
    assert not [e for e in entries if "Тайна" in e.title]


def test_a_head_of_sales_sees_the_team_deals_and_an_administrator_all(make_user, manager,
                                                                       other_manager,
                                                                       head_of_sales, admin_user):
    DealFactory(owner=manager, title="От екипа")
    DealFactory(owner=other_manager, title="От друг екип")

    assert titles(head_of_sales) == {"От екипа"}
    assert titles(admin_user) == {"От екипа", "От друг екип"}
    assert titles(make_user(Role.DEPARTMENT)) == set()


def test_the_list_page_and_its_count_take_a_constant_number_of_queries(logged_in, manager):
    client = logged_in(manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("sales:deal_list")).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        DealFactory(owner=manager)
    few = queries()
    for _ in range(18):
        DealFactory(owner=manager, stage=stage_at(2))
    many = queries()

    assert many == few


# --- the company page: the "Deals" panel and the timeline -----------------------------------------

def test_the_company_page_lists_its_open_deals_with_new_deal(logged_in, manager):
    company = CompanyFactory(owner=manager)
    DealFactory(owner=manager, company=company, title="Отворена", amount=Decimal("5000"))
    won = DealFactory(owner=manager, company=company, title="Приключена", stage=stage_at(5))
    deal_move_stage(actor=manager, deal=won, stage=stage_at(6))

    html = logged_in(manager).get(reverse("clients:company_detail", args=[company.pk])).content.decode()

    assert 'id="deals"' in html and "Отворена" in html
    assert "Приключена" not in html.split('id="deals"')[1].split("</section>")[0]
    assert f"{reverse('sales:deal_create')}?company={company.pk}" in html


def test_a_department_member_gets_no_deals_panel(logged_in, make_user):
    from partnera.core.models import RecordShare

    logistics = make_user(Role.DEPARTMENT)
    company = CompanyFactory()
    RecordShare.objects.create(user=logistics, record_type="clients.company", record_id=company.pk)

    html = logged_in(logistics).get(reverse("clients:company_detail", args=[company.pk]))

    assert html.status_code == 200
    assert 'id="deals"' not in html.content.decode()


def test_the_company_timeline_tells_deal_opened_moved_won_and_lost(manager):
    company = CompanyFactory(owner=manager)
    won = DealFactory(owner=manager, company=company, title="Спечелена", stage=stage_at(5))
    deal_move_stage(actor=manager, deal=won, stage=stage_at(6))
    lost = DealFactory(owner=manager, company=company, title="Загубена")
    from partnera.sales.models import Reason

    deal_move_stage(actor=manager, deal=lost, stage=stage_at(7),
                    lost_reason=Reason.objects.filter(kind="deal_lost").first())

    titles_ = [e.title for e in company_timeline(user=manager, company_id=company.pk, limit=50,
                                                 kinds={"deals"})]

    assert "Deal “Спечелена” won" in titles_
    assert "Deal “Загубена” lost" in titles_
    assert f"Deal “Спечелена” opened in “{stage_at(5).name}”" in titles_


# --- the global search ---------------------------------------------------------------------------

def test_the_global_search_finds_deals_by_title_and_company_only_for_who_may_see_them(
        manager, other_manager, admin_user):
    from partnera.core.search import global_search
    from partnera.sales.services import deal_create, deal_delete

    mine = deal_create(actor=manager, data={"title": "Доставка на тонери",
                                            "company": CompanyFactory(owner=manager,
                                                                      legal_name="Бета Принт").pk})
    theirs = deal_create(actor=other_manager, data={
        "title": "Доставка на тонери за склад",
        "company": CompanyFactory(owner=other_manager).pk})

    def found(user, query):
        return {h.pk for h in global_search(user=user, query=query, kinds={"deal"})}

    assert found(manager, "тонери") == {mine.pk}
    assert found(manager, "toneri") == {mine.pk}  # Latin letters find Cyrillic words
    assert found(manager, "бета") == {mine.pk}  # by the company's name
    assert found(admin_user, "тонери") == {mine.pk, theirs.pk}
    deal_delete(actor=manager, deal=mine)
    assert found(manager, "тонери") == set()
