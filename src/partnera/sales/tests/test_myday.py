""""My day": the sales panels — open deals without a scheduled next activity, and open deals
stuck in their stage longer than the stage's usual days — on hand-built data, for the user and
for a head of sales's team view."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from partnera.core.home import home_view
from partnera.core.roles import Role
from partnera.people.tests.factories import TeamFactory
from partnera.sales import myday
from partnera.sales.models import Stage
from partnera.sales.tests.factories import DealFactory, stage_at

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC)


def titles(result) -> list[str]:
    return [d.title for d in result.items]


@pytest.fixture
def colleague(make_user, team):
    return make_user(Role.ACCOUNT_MANAGER, team=team, username="colleague")


@pytest.fixture
def outsider(make_user):
    return make_user(Role.ACCOUNT_MANAGER, team=TeamFactory(), username="outsider")


def deal(owner, title, *, stage=0, days_in_stage=1.0, next_in_days=None, amount=Decimal("1000"),
         **kwargs):
    return DealFactory(owner=owner, title=title, stage=stage_at(stage), amount=amount,
                       stage_entered_at=NOW - dt.timedelta(days=days_in_stage),
                       next_activity_at=(NOW + dt.timedelta(days=next_in_days)
                                         if next_in_days is not None else None), **kwargs)


def test_open_deals_without_a_next_activity_largest_first(manager, outsider):
    deal(manager, "Small", amount=Decimal("500"))
    deal(manager, "No amount", amount=None)
    deal(manager, "Large", amount=Decimal("90000"))
    deal(manager, "In lev, 100000 BGN ≈ 51129 EUR", amount=Decimal("100000"), currency="BGN",
         amount_eur=Decimal("51129.19"))
    deal(manager, "Planned", next_in_days=2)
    deal(manager, "Overdue plan still counts as planned", next_in_days=-2)
    deal(manager, "Won", stage=6)
    deal(manager, "Lost", stage=7)
    deal(manager, "Deleted", deleted_at=timezone.now())
    deal(outsider, "Someone else's")

    result = myday.without_next_activity(view=home_view(user=manager, now=NOW))

    assert titles(result) == ["Large", "In lev, 100000 BGN ≈ 51129 EUR", "Small", "No amount"]
    assert result.count == 4
    assert result.items[0].url == f"/sales/deals/{result.items[0].pk}/"


def test_deals_stuck_longer_than_their_stages_usual_days_longest_first(manager, outsider):
    # First contact: usually 7 days; negotiation: 30; won and lost have none
    assert stage_at(0).usual_days == 7 and stage_at(4).usual_days == 30
    deal(manager, "First contact, 8 days", stage=0, days_in_stage=8)
    deal(manager, "First contact, 6 days", stage=0, days_in_stage=6)
    deal(manager, "Negotiation, 45 days", stage=4, days_in_stage=45, next_in_days=1)
    deal(manager, "Negotiation, 29 days", stage=4, days_in_stage=29)
    deal(manager, "Won 400 days ago", stage=6, days_in_stage=400)
    deal(outsider, "Someone else's, 100 days", stage=0, days_in_stage=100)
    deal(manager, "Deleted, 100 days", stage=0, days_in_stage=100, deleted_at=timezone.now())

    result = myday.stuck(view=home_view(user=manager, now=NOW))

    assert titles(result) == ["Negotiation, 45 days", "First contact, 8 days"]
    assert [d.days_in_stage for d in result.items] == [45, 8]


def test_a_stage_without_usual_days_never_holds_stuck_deals(manager):
    Stage.objects.filter(pk=stage_at(1).pk).update(usual_days=None)
    deal(manager, "Meeting arranged, a year", stage=1, days_in_stage=365)
    Stage.objects.filter(pk=stage_at(0).pk).update(usual_days=60)
    deal(manager, "First contact, 50 days", stage=0, days_in_stage=50)
    assert titles(myday.stuck(view=home_view(user=manager, now=NOW))) == []


def test_team_view_shows_the_members_deals_with_their_owners(manager, colleague, outsider,
                                                             head_of_sales):
    deal(manager, "Manager's", amount=Decimal("3000"), days_in_stage=20)
    deal(colleague, "Colleague's", amount=Decimal("2000"), days_in_stage=10)
    deal(outsider, "Other team's", amount=Decimal("9000"), days_in_stage=30)
    deal(None, "Nobody's, in the team", team=manager.team, amount=Decimal("8000"))

    view = home_view(user=head_of_sales, team=True, now=NOW)
    no_next = myday.without_next_activity(view=view)
    assert titles(no_next) == ["Manager's", "Colleague's"]
    assert [d.owner for d in no_next.items] == [manager, colleague]
    assert titles(myday.stuck(view=view)) == ["Manager's", "Colleague's"]

    # The manager's own view never shows a colleague's deal
    assert titles(myday.without_next_activity(view=home_view(user=manager, now=NOW))) == [
        "Manager's"]


def test_deal_panels_are_for_the_sales_roles(logged_in, make_user):
    html = logged_in(make_user(Role.DEPARTMENT)).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Deals without a next step" not in html
    assert "Today's calls and meetings" in html or "Today&#x27;s calls and meetings" in html


def test_deal_items_in_the_api(client, manager):
    from partnera.people.services import token_create

    d = deal(manager, "Offer for Алфа", stage=3, days_in_stage=40, amount=Decimal("12500.50"))
    _token, secret = token_create(actor=None, user=manager, name="t")
    body = client.get("/api/v1/my-day", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    stuck = next(p for p in body["panels"] if p["name"] == "sales.stuck")
    assert stuck["items"] == [{
        "id": d.pk, "title": "Offer for Алфа",
        "company": {"id": d.company_id, "name": d.company.legal_name},
        "stage": {"id": d.stage_id, "name": d.stage.name, "usual_days": 21},
        "amount": "12500.50", "currency": "EUR", "amount_eur": "12500.50",
        "expected_close_date": d.expected_close_date.isoformat(),
        "stage_entered_at": d.stage_entered_at.isoformat(),
        "days_in_stage": stuck["items"][0]["days_in_stage"], "next_activity_at": None,
        "owner": {"id": manager.pk, "username": "manager", "name": str(manager)},
        "url": f"/sales/deals/{d.pk}/",
    }]
    assert stuck["items"][0]["days_in_stage"] >= 40 - 1
