"""The pipeline report on a hand-computed case: entered, moved on, conversion, median and
average days in stage, what is in each stage now — only over the deals the reader may see."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from partnera.sales.models import DealStageChange
from partnera.sales.reports import pipeline_report
from partnera.sales.tests.factories import DealFactory, default_pipeline, stage_at

pytestmark = pytest.mark.django_db

DAY = 86400
T0 = timezone.now() - dt.timedelta(days=60)


def history(owner, path: list[tuple[int, int]], amount: str = "12000") -> None:
    """A deal that entered stage path[0][0] at T0, then moved to each next stage after the
    given days in the stage before."""
    first = path[0][0]
    last = path[-1][0]
    deal = DealFactory(owner=owner, stage=stage_at(last), status=stage_at(last).outcome,
                       amount=Decimal(amount), amount_eur=Decimal(amount), stage_entered_at=T0)
    DealStageChange.objects.filter(deal=deal).update(to_stage=stage_at(first))
    at, previous = T0, first
    for position, days_before in path[1:]:
        at += dt.timedelta(days=days_before)
        DealStageChange.objects.create(deal=deal, from_stage=stage_at(previous),
                                       to_stage=stage_at(position), at=at,
                                       seconds_in_from=days_before * DAY)
        previous = position


@pytest.fixture
def case(manager, other_manager):
    # A: 0 → 1 (2 days in 0) → 3 (4 days in 1), open in "offer presented" with 10,000 EUR
    history(manager, [(0, 0), (1, 2), (3, 4)], amount="10000")
    # B: 0 → 1 (4 days) → lost (6 days in 1)
    history(manager, [(0, 0), (1, 4), (7, 6)])
    # C: 0 → lost (1 day)
    history(manager, [(0, 0), (7, 1)])
    # D: opened in 1 → won (10 days)
    history(manager, [(1, 0), (6, 10)])
    # E: another team's deal, 0 → 1 after 100 days: never counted for the manager
    history(other_manager, [(0, 0), (1, 100)])


def row(report, position: int):
    return report.stages[position]


def test_the_figures_per_stage_match_the_hand_computed_case(case, manager):
    report = pipeline_report(user=manager, pipeline=default_pipeline())

    first, meeting, offer = row(report, 0), row(report, 1), row(report, 3)
    assert (first.entered, first.moved_on, first.conversion) == (3, 2, 66.7)
    assert (first.median_days, first.average_days) == (2.0, 2.3)  # 2, 4, 1 days
    assert (meeting.entered, meeting.moved_on, meeting.conversion) == (3, 2, 66.7)  # A on, D won
    assert (meeting.median_days, meeting.average_days) == (6.0, 6.7)  # 4, 6, 10 days
    assert (offer.entered, offer.moved_on, offer.conversion) == (1, 0, 0.0)
    assert (offer.median_days, offer.average_days) == (None, None)  # nobody left it yet
    assert (offer.open_count, offer.open_value, offer.weighted_value) == (
        1, Decimal("10000.00"), Decimal("5000.00"))  # "offer presented" weighs 50 %
    won, lost = row(report, 6), row(report, 7)
    assert (won.entered, won.conversion, won.open_count) == (1, None, 1)
    assert (lost.entered, lost.conversion, lost.open_count) == (2, None, 2)
    assert (report.open_count, report.open_value, report.weighted_value) == (
        1, Decimal("10000.00"), Decimal("5000.00"))
    assert not report.truncated


def test_an_administrator_reads_every_deal(case, admin_user):
    report = pipeline_report(user=admin_user, pipeline=default_pipeline())

    assert row(report, 0).entered == 4
    assert row(report, 0).median_days == 3.0  # 2, 4, 1, 100 days


def test_a_head_of_sales_reads_the_team_and_a_department_member_nothing(case, head_of_sales,
                                                                       make_user):
    from partnera.core.roles import Role

    assert row(pipeline_report(user=head_of_sales, pipeline=default_pipeline()), 0).entered == 3
    nothing = pipeline_report(user=make_user(Role.DEPARTMENT), pipeline=default_pipeline())
    assert all(r.entered == 0 and r.open_count == 0 for r in nothing.stages)


def test_a_bounded_history_reads_the_most_recent_moves_and_says_so(case, manager):
    report = pipeline_report(user=manager, pipeline=default_pipeline(), max_moves=3)

    assert report.truncated


def test_the_report_page_shows_the_figures(case, logged_in, manager):
    page = logged_in(manager).get(reverse("sales:report_pipeline"),
                                  {"pipeline": default_pipeline().pk}, HTTP_ACCEPT_LANGUAGE="en")

    html = page.content.decode()
    assert page.status_code == 200
    assert "66.7%" in html or "66,7%" in html
    assert stage_at(3).name in html


def test_the_report_page_ignores_a_bad_pipeline_and_shows_the_default(logged_in, manager):
    page = logged_in(manager).get(reverse("sales:report_pipeline"), {"pipeline": "x"})

    assert page.status_code == 200
    assert default_pipeline().name in page.content.decode()
