"""Board selectors: columns and their order, totals (plain and weighted, in euro, over every
matching deal), cards in close-date order page by page, won/lost recently closed only, filters,
and the visibility rule in cards, counts and totals alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from partnera.clients.tests.factories import CompanyFactory
from partnera.core.roles import Role
from partnera.sales import board as sel
from partnera.sales.models import StageOutcome
from partnera.sales.tests.factories import DealFactory, default_pipeline, stage_at

pytestmark = pytest.mark.django_db

NOTHING = sel.BoardFilters()


def columns_by_stage(user, filters=NOTHING, **kwargs):
    return {c.stage.pk: c for c in sel.board_columns(user=user, pipeline=default_pipeline(),
                                                     filters=filters, **kwargs)}


def test_columns_are_the_open_stages_in_order_then_won_then_lost(admin_user):
    stages = list(default_pipeline().stages.order_by("position"))
    open_ids = [s.pk for s in stages if s.outcome == StageOutcome.OPEN]
    won = next(s for s in stages if s.outcome == StageOutcome.WON)
    lost = next(s for s in stages if s.outcome == StageOutcome.LOST)
    # An administrator puts "won" first by position: the board still shows it after the open ones.
    won.position = 0
    won.save()

    columns = sel.board_columns(user=admin_user, pipeline=default_pipeline(), filters=NOTHING)

    assert [c.stage.pk for c in columns] == [*open_ids, won.pk, lost.pk]


def test_totals_in_euro_plain_and_weighted_by_the_stage_probability(manager):
    # Given "meeting arranged" (20 %) with deals in euro, in lev, and one without an amount,
    # and "offer presented" (50 %) with one deal
    meeting, offer = stage_at(1), stage_at(3)
    DealFactory(owner=manager, stage=meeting, amount=Decimal("1000.00"), currency="EUR")
    DealFactory(owner=manager, stage=meeting, amount=Decimal("1955.83"), currency="BGN")  # 1000.00 €
    DealFactory(owner=manager, stage=meeting, amount=Decimal("500.50"), currency="EUR")
    DealFactory(owner=manager, stage=meeting, amount=None, currency="EUR")
    DealFactory(owner=manager, stage=offer, amount=Decimal("333.33"), currency="EUR")

    columns = columns_by_stage(manager)

    assert columns[meeting.pk].totals == sel.Totals(count=4, total=Decimal("2500.50"),
                                                    weighted=Decimal("500.10"))
    # 333.33 × 50 % = 166.665 → 166.67 (half up, as money is rounded everywhere)
    assert columns[offer.pk].totals == sel.Totals(count=1, total=Decimal("333.33"),
                                                  weighted=Decimal("166.67"))
    assert columns[stage_at(0).pk].totals == sel.Totals()
    assert len(columns[meeting.pk].cards) == 4


def test_totals_count_every_deal_of_the_column_not_only_the_cards_shown(manager):
    for _ in range(5):
        DealFactory(owner=manager, stage=stage_at(0), amount=Decimal("100.00"))

    column = columns_by_stage(manager, size=2)[stage_at(0).pk]

    assert len(column.cards) == 2 and column.next_cursor
    assert column.totals.count == 5 and column.totals.total == Decimal("500.00")
    assert column.more_count == 3


def test_hidden_deals_are_in_no_card_no_count_and_no_total(manager, other_manager, admin_user):
    mine = DealFactory(owner=manager, stage=stage_at(0), amount=Decimal("100.00"))
    hidden = DealFactory(owner=other_manager, stage=stage_at(0), amount=Decimal("7000.00"))
    # A deal run by someone else on a client the manager owns is theirs to follow.
    on_my_client = DealFactory(owner=other_manager, company=CompanyFactory(owner=manager),
                               stage=stage_at(0), amount=Decimal("10.00"))

    column = columns_by_stage(manager)[stage_at(0).pk]
    everything = columns_by_stage(admin_user)[stage_at(0).pk]

    assert {d.pk for d in column.cards} == {mine.pk, on_my_client.pk}
    assert column.totals.count == 2 and column.totals.total == Decimal("110.00")
    assert hidden.pk in {d.pk for d in everything.cards}
    assert everything.totals.count == 3 and everything.totals.total == Decimal("7110.00")


def test_a_user_who_sees_nothing_gets_empty_columns(make_user, manager):
    DealFactory(owner=manager, stage=stage_at(0))
    stranger = make_user(Role.DEPARTMENT)

    columns = columns_by_stage(stranger)

    assert all(c.totals.count == 0 and not c.cards for c in columns.values())


def test_deleted_deals_are_left_out(manager):
    gone = DealFactory(owner=manager, stage=stage_at(0))
    gone.deleted_at = timezone.now()
    gone.save()

    assert columns_by_stage(manager)[stage_at(0).pk].totals.count == 0


def test_won_and_lost_columns_show_only_the_recently_closed(manager):
    now = timezone.now()
    won, lost = stage_at(6), stage_at(7)
    recent = DealFactory(owner=manager, stage=won, closed_at=now - dt.timedelta(days=3),
                         amount=Decimal("900.00"))
    older = DealFactory(owner=manager, stage=won, closed_at=now - dt.timedelta(days=10))
    DealFactory(owner=manager, stage=won, closed_at=now - dt.timedelta(days=sel.RECENT_CLOSED_DAYS + 1))
    lost_recent = DealFactory(owner=manager, stage=lost, closed_at=now - dt.timedelta(days=1))

    columns = columns_by_stage(manager)

    assert [d.pk for d in columns[won.pk].cards] == [recent.pk, older.pk]  # latest closed first
    assert columns[won.pk].totals.count == 2
    assert columns[won.pk].totals.total == Decimal("900.00") + older.amount_eur
    assert columns[won.pk].totals.weighted == columns[won.pk].totals.total  # 100 %
    assert [d.pk for d in columns[lost.pk].cards] == [lost_recent.pk]
    assert columns[lost.pk].totals.weighted == Decimal("0.00")  # 0 %


def test_cards_in_close_date_order_undated_last_page_after_page(manager):
    today = timezone.localdate()
    dates = [today + dt.timedelta(days=d) for d in (5, 1, 1, 9, 3)] + [None, None]
    deals = [DealFactory(owner=manager, stage=stage_at(0), expected_close_date=d) for d in dates]
    expected = sorted(deals, key=lambda d: (d.expected_close_date is None,
                                            d.expected_close_date or today, d.pk))

    seen, cursor, pages = [], None, 0
    while True:
        cards, cursor = sel.stage_cards(user=manager, stage=stage_at(0), filters=NOTHING,
                                        cursor=cursor, size=2)
        seen += cards
        pages += 1
        if cursor is None:
            break

    assert [d.pk for d in seen] == [d.pk for d in expected]
    assert pages == 4


def test_closed_columns_page_by_closing_time(manager):
    now = timezone.now()
    deals = [DealFactory(owner=manager, stage=stage_at(6), closed_at=now - dt.timedelta(hours=h))
             for h in (5, 1, 3)]

    first, cursor = sel.stage_cards(user=manager, stage=stage_at(6), filters=NOTHING, size=2)
    rest, end = sel.stage_cards(user=manager, stage=stage_at(6), filters=NOTHING, cursor=cursor,
                                size=2)

    assert [d.pk for d in first + rest] == [deals[1].pk, deals[2].pk, deals[0].pk]
    assert end is None


@pytest.mark.parametrize("cursor", ["", "garbage", "W251bGwsIC0xXQ", "WyJ4IiwgMV0", "x" * 500,
                                    "WyIyMDI2LTAxLTAxIiwgMTAwMDAwMDAwMDAwMDAwMDAwMDAwMF0"])
def test_a_bad_cursor_starts_from_the_first_page(manager, cursor):
    deal = DealFactory(owner=manager, stage=stage_at(0))

    cards, _ = sel.stage_cards(user=manager, stage=stage_at(0), filters=NOTHING, cursor=cursor)

    assert [d.pk for d in cards] == [deal.pk]


def test_filters_owner_team_tier_amount_month_and_mine(manager, other_manager, head_of_sales, team):
    month = timezone.localdate().replace(day=1) + dt.timedelta(days=62)
    month = month.replace(day=1)
    key_client = CompanyFactory(owner=manager, tier="key_account")
    a = DealFactory(owner=manager, stage=stage_at(0), amount=Decimal("1000.00"),
                    expected_close_date=month + dt.timedelta(days=3), company=key_client)
    b = DealFactory(owner=manager, stage=stage_at(0), amount=Decimal("3911.66"), currency="BGN",
                    expected_close_date=month - dt.timedelta(days=1))  # 2000.00 €
    c = DealFactory(owner=other_manager, stage=stage_at(0), amount=Decimal("5000.00"), team=team)
    stage = stage_at(0)

    def shown(user=head_of_sales, **filters):
        cards, _ = sel.stage_cards(user=user, stage=stage, filters=sel.BoardFilters(**filters))
        return {d.pk for d in cards}

    # The head of sales sees the team's deals (a and b by owner, c by team).
    assert shown() == {a.pk, b.pk, c.pk}
    assert shown(owner=manager.pk) == {a.pk, b.pk}
    assert shown(team=team.pk) == {a.pk, b.pk, c.pk}
    assert shown(team=other_manager.team.pk) == set()
    assert shown(tier="key_account") == {a.pk}
    assert shown(amount_min=Decimal("1500")) == {b.pk, c.pk}  # the lev deal compares in euro
    assert shown(amount_max=Decimal("2000")) == {a.pk, b.pk}
    assert shown(amount_min=Decimal("1500"), amount_max=Decimal("2000")) == {b.pk}
    assert shown(close_month=month) == {a.pk}
    assert shown(user=manager, mine=True) == {a.pk, b.pk}
    assert shown(mine=True) == set()
    totals = sel.board_totals(user=head_of_sales, stages=[stage],
                              filters=sel.BoardFilters(amount_min=Decimal("1500")))
    assert totals[stage.pk].count == 2 and totals[stage.pk].total == Decimal("7000.00")


def test_a_card_says_overdue_stuck_no_next_activity_and_whose_it_is(make_user):
    owner = make_user(Role.ACCOUNT_MANAGER, first_name="Мария", last_name="Петрова")
    now = timezone.now()
    stage = stage_at(0)  # usual time: 7 days
    stuck = DealFactory(owner=owner, stage=stage, stage_entered_at=now - dt.timedelta(days=9),
                        expected_close_date=timezone.localdate() - dt.timedelta(days=1))
    fresh = DealFactory(owner=owner, stage=stage, stage_entered_at=now - dt.timedelta(days=2),
                        next_activity_at=now + dt.timedelta(days=1))

    cards = {c.deal.pk: c for c in sel.decorate(
        sel.stage_cards(user=owner, stage=stage, filters=NOTHING)[0], stage,
        today=timezone.localdate(), now=now)}

    assert (cards[stuck.pk].days_in_stage, cards[stuck.pk].is_stuck) == (9, True)
    assert cards[stuck.pk].days_label == "9 days"
    assert cards[stuck.pk].is_overdue and cards[stuck.pk].no_next_activity
    assert (cards[fresh.pk].days_in_stage, cards[fresh.pk].is_stuck) == (2, False)
    assert not cards[fresh.pk].is_overdue and not cards[fresh.pk].no_next_activity
    assert cards[fresh.pk].owner_initials == "МП" and cards[fresh.pk].owner_name == "Мария Петрова"


def test_a_closed_card_shows_the_day_it_closed_and_no_flags(manager):
    closed_at = timezone.now() - dt.timedelta(days=3)
    deal = DealFactory(owner=manager, stage=stage_at(6), closed_at=closed_at,
                       expected_close_date=timezone.localdate() - dt.timedelta(days=40))

    [card] = sel.decorate([deal], stage_at(6), today=timezone.localdate(), now=timezone.now())

    assert card.date_label == timezone.localtime(closed_at).strftime("%d/%m/%Y")
    assert not card.is_overdue and not card.no_next_activity and card.days_in_stage is None


def test_money_reads_as_the_language_writes_it():
    from django.utils import translation

    with translation.override("en"):
        assert sel.money_label(Decimal("12500.4")) == "€12,500"
        assert sel.money_label(Decimal("12500.5")) == "€12,501"  # rounded half up, not cut
        assert sel.money_label(Decimal("0.5"), decimals=2) == "€0.50"
        assert sel.money_label(Decimal("3000"), "BGN") == "BGN\xa03,000"
    with translation.override("bg"):
        assert sel.money_label(Decimal("12500.4")) == "12\xa0500\xa0€"


def test_the_pipeline_falls_back_to_the_default_one():
    assert sel.board_pipeline("nonsense") == default_pipeline()
    assert sel.board_pipeline("999999") == default_pipeline()
    assert sel.board_pipeline(str(2**70)) == default_pipeline()
