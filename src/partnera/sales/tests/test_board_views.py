"""The board page and its endpoints: columns and totals as the user may see them, moves (drag and
drop through HTMX, the no-JS form), stage rules, the lost reason, conflicts, rights, filters,
show more, quick add, CSRF, escaping and a number of queries that does not grow with the deals."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partnera.clients.tests.factories import CompanyFactory
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.people.tests.factories import TeamFactory
from partnera.sales import board as sel
from partnera.sales.models import Deal, DealStageChange, Reason
from partnera.sales.tests.factories import DealFactory, default_pipeline, stage_at

pytestmark = pytest.mark.django_db

BOARD = "/sales/board/"
HTMX = {"HTTP_HX_REQUEST": "true"}
SCRIPT = "<script>alert(1)</script>"
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def move_url(deal) -> str:
    return reverse("sales:board_move", args=[deal.pk])


def state() -> dict:
    """Everything a refused move or quick add must leave as it was."""
    return {
        "deals": list(Deal.all_objects.order_by("pk").values()),
        "moves": list(DealStageChange.objects.order_by("pk").values()),
        "changes": list(AuditEntry.objects.filter(object_type="sales.deal").exclude(
            action=AuditEntry.Action.ACCESS_DENIED).values_list("pk", flat=True)),
    }


def column_head(html: str, stage) -> str:
    match = re.search(rf'<header class="col-head" id="col-head-{stage.pk}"[^>]*>(.*?)</header>',
                      html, re.S)
    assert match, f"no header of stage {stage.pk}"
    return match.group(0)


def count_in(head: str) -> int:
    match = re.search(r'<span class="count"[^>]*>(\d+)</span>', head)
    assert match, "no count"
    return int(match.group(1))


def cards_of(html: str, stage) -> list[int]:
    match = re.search(rf'<div class="col-cards" id="col-cards-{stage.pk}"[^>]*>(.*?)\n</div>',
                      html, re.S)
    assert match, f"no cards of stage {stage.pk}"
    return [int(pk) for pk in re.findall(r'<article class="deal-card[^"]*" id="deal-(\d+)"',
                                         match.group(1))]


# --- the page -----------------------------------------------------------------------------------

def test_the_board_shows_each_stage_with_its_count_totals_and_cards(logged_in, manager):
    a = DealFactory(owner=manager, stage=stage_at(1), amount=Decimal("1000.00"), title="Алфа")
    DealFactory(owner=manager, stage=stage_at(1), amount=Decimal("1955.83"), currency="BGN")

    response = logged_in(manager).get(BOARD)

    assert response.status_code == 200
    html = response.content.decode()
    head = column_head(html, stage_at(1))
    assert count_in(head) == 2
    assert "€2,000" in head and "€400" in head  # plain, and weighted at 20 %
    assert cards_of(html, stage_at(1)) == sorted([a.pk, a.pk + 1])
    assert "BGN\xa01,956" in html and "Алфа" in html
    # Without JS, "Move to…" leads to the move page, which comes back to this board.
    assert f'href="/sales/board/deals/{a.pk}/move/?query=pipeline%3D{default_pipeline().pk}"' in html
    assert len(re.findall(r'<section class="board-col', html)) == 8


def test_a_deal_the_user_may_not_see_is_not_on_the_board(logged_in, manager, other_manager):
    DealFactory(owner=manager, stage=stage_at(0), amount=Decimal("10.00"))
    DealFactory(owner=other_manager, stage=stage_at(0), amount=Decimal("99999.00"),
                title="Чужда сделка")

    html = logged_in(manager).get(BOARD).content.decode()

    assert "Чужда сделка" not in html
    head = column_head(html, stage_at(0))
    assert count_in(head) == 1 and "€10" in head and "99,999" not in head


def test_a_card_flags_overdue_stuck_and_no_next_activity(logged_in, manager):
    DealFactory(owner=manager, stage=stage_at(0), stage_entered_at=timezone.now() - dt.timedelta(days=12),
                expected_close_date=timezone.localdate() - dt.timedelta(days=2))

    html = logged_in(manager).get(BOARD).content.decode()

    assert 'class="deal-card is-stuck can-move"' in html
    assert 'class="deal-date overdue"' in html
    assert "12 days" in html and "stuck" in html and "No next activity" in html


def test_the_number_of_queries_does_not_grow_with_the_deals(logged_in, manager):
    client = logged_in(manager)
    for i in range(2):
        DealFactory(owner=manager, stage=stage_at(i))
    client.get(BOARD)
    with CaptureQueriesContext(connection) as few:
        assert client.get(BOARD).status_code == 200
    for i in range(38):
        DealFactory(owner=manager, stage=stage_at(i % 6))
    with CaptureQueriesContext(connection) as many:
        response = client.get(BOARD)

    assert response.status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_another_pipeline_is_chosen_in_the_url(logged_in, admin_user):
    renewals = default_pipeline().__class__.objects.get(kind="renewal")
    deal = DealFactory(owner=admin_user, pipeline=renewals, stage=renewals.stages.order_by("position")[0])

    html = logged_in(admin_user).get(BOARD, {"pipeline": renewals.pk}).content.decode()
    default_html = logged_in(admin_user).get(BOARD, {"pipeline": "abc"}).content.decode()

    assert f'id="deal-{deal.pk}"' in html
    assert len(re.findall(r'<section class="board-col', html)) == renewals.stages.count()
    assert f'id="deal-{deal.pk}"' not in default_html


# --- filters ------------------------------------------------------------------------------------

def test_filters_are_read_from_the_url_and_kept_in_every_link(logged_in, manager, other_manager,
                                                               head_of_sales, team):
    mine = DealFactory(owner=manager, stage=stage_at(0), amount=Decimal("5000.00"))
    small = DealFactory(owner=manager, stage=stage_at(0), amount=Decimal("50.00"))
    theirs = DealFactory(owner=other_manager, stage=stage_at(0), team=team, amount=Decimal("7000.00"))

    html = logged_in(head_of_sales).get(BOARD, {"owner": manager.pk, "amount_min": "1 000"}).content.decode()

    assert cards_of(html, stage_at(0)) == [mine.pk]
    assert count_in(column_head(html, stage_at(0))) == 1
    assert f"owner={manager.pk}" in html and "amount_min=1000" in html  # in the move forms' query
    html = logged_in(head_of_sales).get(BOARD, {"team": team.pk}).content.decode()
    assert sorted(cards_of(html, stage_at(0))) == sorted([mine.pk, small.pk, theirs.pk])


def test_a_bad_filter_value_is_shown_next_to_its_field_and_left_out(logged_in, manager):
    deal = DealFactory(owner=manager, stage=stage_at(0))

    response = logged_in(manager).get(BOARD, {"amount_min": "много", "close_month": "2026-13",
                                              "owner": "x", "tier": "<b>"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter an amount" in html and "Choose a month" in html
    assert cards_of(html, stage_at(0)) == [deal.pk]


# --- show more ----------------------------------------------------------------------------------

def test_show_more_loads_the_next_cards_of_the_column(logged_in, manager, other_manager):
    deals = [DealFactory(owner=manager, stage=stage_at(0),
                         expected_close_date=timezone.localdate() + dt.timedelta(days=i))
             for i in range(sel.PAGE_SIZE + 3)]
    DealFactory(owner=other_manager, stage=stage_at(0))
    client = logged_in(manager)
    html = client.get(BOARD).content.decode()
    assert cards_of(html, stage_at(0)) == [d.pk for d in deals[: sel.PAGE_SIZE]]
    more = re.search(r'hx-get="([^"]+cursor=[^"]+)"', html).group(1).replace("&amp;", "&")

    response = client.get(more, **HTMX)

    assert response.status_code == 200
    page = response.content.decode()
    assert re.findall(r'id="deal-(\d+)"', page) == [str(d.pk) for d in deals[sel.PAGE_SIZE:]]
    assert "cursor=" not in page
    plain = client.get(more)
    assert plain.status_code == 200 and f'id="deal-{deals[-1].pk}"' in plain.content.decode()


def test_show_more_of_an_unknown_stage_answers_404(logged_in, manager):
    assert logged_in(manager).get(reverse("sales:board_column", args=[999999])).status_code == 404


# --- moving -------------------------------------------------------------------------------------

def test_a_move_by_drag_and_drop_saves_it_and_refreshes_both_columns(logged_in, manager):
    deal = DealFactory(owner=manager, stage=stage_at(0), amount=Decimal("1000.00"))

    response = logged_in(manager).post(move_url(deal), {
        "stage": stage_at(1).pk, "version": deal.version, "from": stage_at(0).pk,
        "query": f"pipeline={default_pipeline().pk}"}, **HTMX)

    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.stage == stage_at(1) and deal.version == 2
    assert DealStageChange.objects.filter(deal=deal, from_stage=stage_at(0), to_stage=stage_at(1)).exists()
    html = response.content.decode()
    assert f'id="col-head-{stage_at(0).pk}" hx-swap-oob="true"' in html
    assert count_in(column_head(html, stage_at(0))) == 0
    assert count_in(column_head(html, stage_at(1))) == 1 and "€200" in column_head(html, stage_at(1))
    assert cards_of(html, stage_at(1)) == [deal.pk]
    assert 'data-version="2"' in html
    assert 'id="board-status" hx-swap-oob="innerHTML"' in html and "moved to" in html


def test_every_board_answer_to_a_move_carries_the_marker_and_nothing_else_does(
        client, logged_in, manager, other_manager):
    """board.js counts a move as answered only with X-Partnera-Board: moved; a login page (the
    session ended) or an error page has no marker, and the card goes back."""
    deal = DealFactory(owner=manager, stage=stage_at(0), amount=None, amount_eur=None)
    hidden = DealFactory(owner=other_manager, stage=stage_at(0))
    logged = logged_in(manager)
    refused = logged.post(move_url(deal), {"stage": stage_at(3).pk, "version": 1}, **HTMX)
    conflict = logged.post(move_url(deal), {"stage": stage_at(1).pk, "version": 99}, **HTMX)
    moved = logged.post(move_url(deal), {"stage": stage_at(1).pk, "version": 1}, **HTMX)
    assert [r.status_code for r in (refused, conflict, moved)] == [400, 409, 200]
    assert all(r["X-Partnera-Board"] == "moved" for r in (refused, conflict, moved))
    not_found = logged.post(move_url(hidden), {"stage": stage_at(1).pk, "version": 1}, **HTMX)
    assert not_found.status_code == 404 and "X-Partnera-Board" not in not_found

    # When the session has ended, the move is answered by the login page: no marker, no move
    client.logout()
    before = state()
    gone = client.post(move_url(deal), {"stage": stage_at(2).pk, "version": 2}, follow=True, **HTMX)
    assert gone.status_code == 200 and gone.redirect_chain[-1][0].startswith(reverse("login"))
    assert "X-Partnera-Board" not in gone
    assert state() == before


def test_a_move_without_javascript_redirects_back_to_the_board_with_its_filters(logged_in, manager):
    deal = DealFactory(owner=manager, stage=stage_at(0))

    response = logged_in(manager).post(move_url(deal), {
        "stage": stage_at(1).pk, "version": deal.version,
        "query": f"pipeline={default_pipeline().pk}&mine=1&evil=1"})

    assert response.status_code == 302
    assert response["Location"] == f"{BOARD}?pipeline={default_pipeline().pk}&mine=1"
    deal.refresh_from_db()
    assert deal.stage == stage_at(1)


def test_a_move_the_stage_rules_refuse_changes_nothing_and_says_what_is_missing(logged_in, manager):
    deal = DealFactory(owner=manager, stage=stage_at(1), amount=None, amount_eur=None)
    before = state()

    response = logged_in(manager).post(move_url(deal), {
        "stage": stage_at(3).pk, "version": deal.version, "from": stage_at(1).pk}, **HTMX)

    assert response.status_code == 400
    assert state() == before
    html = response.content.decode()
    assert "needs an expected amount" in html
    assert f'href="/sales/deals/{deal.pk}/"' in html or f"/deals/{deal.pk}/" in html
    # The card goes back: both columns come back as they are.
    assert cards_of(html, stage_at(1)) == [deal.pk] and cards_of(html, stage_at(3)) == []


def test_the_same_refusal_without_javascript_shows_the_move_page(logged_in, manager):
    deal = DealFactory(owner=manager, stage=stage_at(1), amount=None, amount_eur=None)
    before = state()

    response = logged_in(manager).post(move_url(deal), {"stage": stage_at(3).pk,
                                                        "version": deal.version})

    assert response.status_code == 400
    assert state() == before
    html = response.content.decode()
    assert "needs an expected amount" in html and 'name="stage"' in html


def test_lost_needs_a_reason_then_moves_with_reason_and_comment(logged_in, manager):
    deal = DealFactory(owner=manager, stage=stage_at(2))
    reason = Reason.objects.filter(kind=Reason.Kind.DEAL_LOST).first()
    client = logged_in(manager)
    before = state()

    refused = client.post(move_url(deal), {"stage": stage_at(7).pk, "version": deal.version}, **HTMX)
    plain = client.post(move_url(deal), {"stage": stage_at(7).pk, "version": deal.version})

    assert refused.status_code == 400 and "Choose why the deal was lost" in refused.content.decode()
    assert plain.status_code == 400 and 'name="lost_reason"' in plain.content.decode()
    assert state() == before

    moved = client.post(move_url(deal), {"stage": stage_at(7).pk, "version": deal.version,
                                         "lost_reason": reason.pk, "lost_comment": "Избраха друг"},
                        **HTMX)

    assert moved.status_code == 200
    deal.refresh_from_db()
    assert deal.stage == stage_at(7) and deal.status == "lost"
    assert deal.lost_reason == reason and deal.lost_comment == "Избраха друг"
    assert cards_of(moved.content.decode(), stage_at(7)) == [deal.pk]


def test_a_reason_from_another_list_is_refused(logged_in, manager):
    deal = DealFactory(owner=manager, stage=stage_at(0))
    other = Reason.objects.filter(kind=Reason.Kind.LEAD_DISQUALIFIED).first()
    before = state()

    response = logged_in(manager).post(move_url(deal), {
        "stage": stage_at(7).pk, "version": deal.version, "lost_reason": other.pk}, **HTMX)

    assert response.status_code == 400 and "Choose a reason from the list" in response.content.decode()
    assert state() == before


def test_a_card_moved_by_someone_else_meanwhile_is_a_conflict(logged_in, manager, head_of_sales):
    deal = DealFactory(owner=manager, stage=stage_at(0))
    seen_version = deal.version
    # Someone else moves it first …
    logged_in(head_of_sales).post(move_url(deal), {"stage": stage_at(1).pk, "version": seen_version},
                                  **HTMX)
    deal.refresh_from_db()
    assert deal.stage == stage_at(1)
    before = state()

    # … then the manager drops the card they still see in "first contact" on "offer presented".
    response = logged_in(manager).post(move_url(deal), {
        "stage": stage_at(3).pk, "version": seen_version, "from": stage_at(0).pk}, **HTMX)

    assert response.status_code == 409
    assert state() == before
    html = response.content.decode()
    assert "changed" in html and "meanwhile" in html
    assert cards_of(html, stage_at(0)) == [] and cards_of(html, stage_at(3)) == []
    assert cards_of(html, stage_at(1)) == [deal.pk]  # where it is now, refreshed
    plain = logged_in(manager).post(move_url(deal), {"stage": stage_at(3).pk, "version": seen_version})
    assert plain.status_code == 409 and state() == before


def test_a_deal_the_user_may_not_see_cannot_be_moved_404(logged_in, manager, other_manager):
    hidden = DealFactory(owner=other_manager, stage=stage_at(0))
    before = state()
    client = logged_in(manager)

    assert client.post(move_url(hidden), {"stage": stage_at(1).pk, "version": 1}, **HTMX).status_code == 404
    assert client.post(move_url(hidden), {"stage": stage_at(1).pk, "version": 1}).status_code == 404
    assert client.get(move_url(hidden)).status_code == 404
    assert client.post(reverse("sales:board_move", args=[999999]), {"stage": 1}).status_code == 404
    assert state() == before


@pytest.mark.parametrize("role", [Role.MARKETING, Role.DEPARTMENT])
def test_marketing_and_departments_cannot_move_403(logged_in, make_user, manager, role):
    team = TeamFactory(shares_clients=True)
    viewer = make_user(role, team=team)
    deal = DealFactory(owner=manager, team=team, stage=stage_at(0))  # they see it (all / team)
    before = state()
    client = logged_in(viewer)

    html = client.get(BOARD).content.decode()
    response = client.post(move_url(deal), {"stage": stage_at(1).pk, "version": deal.version}, **HTMX)

    assert f'id="deal-{deal.pk}"' in html
    assert "data-move-link" not in html and 'draggable="true"' not in html
    assert 'id="quick-add"' not in html
    assert response.status_code == 403
    assert state() == before


def test_the_move_page_offers_the_stages_and_the_lost_reasons(logged_in, manager):
    deal = DealFactory(owner=manager, stage=stage_at(0))

    response = logged_in(manager).get(move_url(deal), {"stage": stage_at(7).pk, "query": "mine=1"})

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{stage_at(7).pk}" selected>' in html
    assert 'name="lost_reason"' in html and 'value="mine=1"' in html


def test_a_bad_stage_is_refused_and_changes_nothing(logged_in, manager):
    deal = DealFactory(owner=manager, stage=stage_at(0))
    before = state()
    client = logged_in(manager)

    for stage in ("", "abc", "999999", str(2**70)):
        response = client.post(move_url(deal), {"stage": stage, "version": deal.version}, **HTMX)
        assert response.status_code == 400, stage
    assert state() == before


# --- quick add ----------------------------------------------------------------------------------

def test_quick_add_opens_a_deal_in_the_first_stage_of_the_board_pipeline(logged_in, manager):
    company = CompanyFactory(owner=manager)
    renewals = default_pipeline().__class__.objects.get(kind="renewal")

    response = logged_in(manager).post(reverse("sales:board_quick_add"), {
        "title": "Нова доставка", "company": company.pk, "company_label": company.legal_name,
        "amount": "1 955,83", "currency": "BGN", "query": f"pipeline={renewals.pk}"}, **HTMX)

    assert response.status_code == 200
    deal = Deal.objects.get(title="Нова доставка")
    assert deal.pipeline == renewals and deal.stage == renewals.stages.order_by("position")[0]
    assert deal.owner == manager and deal.amount_eur == Decimal("1000.00")
    html = response.content.decode()
    assert cards_of(html, deal.stage) == [deal.pk]
    assert 'name="title"' in html and 'value="Нова доставка"' not in html  # a fresh form


def test_quick_add_without_javascript_redirects_to_the_board(logged_in, manager):
    company = CompanyFactory(owner=manager)

    response = logged_in(manager).post(reverse("sales:board_quick_add"), {
        "title": "Сделка", "company": company.pk, "currency": "EUR",
        "query": f"pipeline={default_pipeline().pk}"})

    assert response.status_code == 302 and response["Location"].startswith(BOARD)
    assert Deal.objects.filter(title="Сделка", stage=stage_at(0)).exists()


@pytest.mark.parametrize("htmx", [True, False])
def test_quick_add_errors_are_shown_next_to_the_fields_input_kept_nothing_stored(
        logged_in, manager, other_manager, htmx):
    hidden = CompanyFactory(owner=other_manager)
    client = logged_in(manager)
    before = state()
    extra = HTMX if htmx else {}

    empty = client.post(reverse("sales:board_quick_add"), {
        "title": "", "company": "", "company_label": "Алф", "currency": "EUR"}, **extra)
    bad = client.post(reverse("sales:board_quick_add"), {
        "title": "Моята сделка", "company": hidden.pk, "company_label": "Чужда",
        "amount": "много", "currency": "EUR"}, **extra)

    assert empty.status_code == 400 and bad.status_code == 400
    assert "Name the deal" in empty.content.decode()
    assert "Choose a company from the list" in empty.content.decode()
    assert 'value="Алф"' in empty.content.decode()
    html = bad.content.decode()
    assert "Choose a company you can see" in html and "Enter an amount" in html
    assert 'value="Моята сделка"' in html and 'value="много"' in html
    assert state() == before


def test_marketing_cannot_quick_add(logged_in, make_user, manager):
    company = CompanyFactory(owner=manager)
    before = state()

    response = logged_in(make_user(Role.MARKETING)).post(reverse("sales:board_quick_add"), {
        "title": "X", "company": company.pk, "currency": "EUR"})

    assert response.status_code == 403
    assert state() == before


# --- CSRF and escaping --------------------------------------------------------------------------

def browser(user) -> Client:
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    assert client.get(BOARD).status_code == 200
    return client


def test_a_move_without_the_csrf_token_is_refused(manager):
    deal = DealFactory(owner=manager, stage=stage_at(0))
    client = browser(manager)
    before = state()

    plain = client.post(move_url(deal), {"stage": stage_at(1).pk, "version": deal.version})
    htmx = client.post(move_url(deal), {"stage": stage_at(1).pk, "version": deal.version}, **HTMX)

    assert plain.status_code == 403 and htmx.status_code == 403
    assert state() == before
    token = client.cookies["csrftoken"].value
    ok = client.post(move_url(deal), {"stage": stage_at(1).pk, "version": deal.version},
                     HTTP_X_CSRFTOKEN=token, **HTMX)
    assert ok.status_code == 200 and state() != before


def test_quick_add_without_the_csrf_token_is_refused(manager):
    company = CompanyFactory(owner=manager)
    client = browser(manager)
    before = state()

    response = client.post(reverse("sales:board_quick_add"), {
        "title": "X", "company": company.pk, "currency": "EUR"}, **HTMX)

    assert response.status_code == 403
    assert state() == before


def test_a_script_in_a_deal_title_or_company_renders_as_text(logged_in, manager):
    company = CompanyFactory(owner=manager, legal_name=f"Фирма {SCRIPT}")
    deal = DealFactory(owner=manager, company=company, stage=stage_at(1), amount=None,
                       amount_eur=None, title=f"Сделка {SCRIPT}")
    client = logged_in(manager)

    pages = [
        client.get(BOARD).content.decode(),
        client.post(move_url(deal), {"stage": stage_at(3).pk, "version": deal.version},
                    **HTMX).content.decode(),
        client.post(move_url(deal), {"stage": stage_at(3).pk, "version": deal.version}).content.decode(),
        client.get(move_url(deal)).content.decode(),
    ]

    for html in pages:
        assert SCRIPT not in html
        assert SCRIPT_ESCAPED in html
