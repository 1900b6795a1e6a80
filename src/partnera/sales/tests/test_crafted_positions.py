"""Positions taken from URLs — the deal timeline's `before=`, a board column's "show more" cursor,
a deal list's keyset cursor — with a date out of range (year 1 with an offset, year 9999) are
not ours: the page starts from the newest (the API says 400), never a server error."""

from __future__ import annotations

import base64
import datetime as dt
import json
import warnings

import pytest
from django.urls import reverse
from django.utils import timezone

from partnera.sales import board
from partnera.sales.tests.factories import DealFactory, stage_at
from partnera.sales.tests.test_api_deals import ApiClient

pytestmark = pytest.mark.django_db

OUT_OF_RANGE = ["0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59-05:00",
                "1899-12-31T23:00:00+00:00", "3000-01-01T00:00:00+00:00"]


def raw(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


# --- the deal timeline's "show older" (finding 7) ------------------------------------------------

@pytest.mark.parametrize("before", [*OUT_OF_RANGE, "2201-01-01T00:00:00+00:00"])
def test_a_crafted_timeline_position_shows_the_newest_entries(logged_in, manager, before):
    deal = DealFactory(owner=manager)
    client = logged_in(manager)
    newest = client.get(reverse("sales:deal_timeline", args=[deal.pk]))

    response = client.get(reverse("sales:deal_timeline", args=[deal.pk]), {"before": before})

    assert response.status_code == 200
    assert len(response.context["timeline"]) == len(newest.context["timeline"]) == 1


def test_a_naive_timeline_position_is_read_in_the_users_zone(logged_in, manager):
    manager.time_zone = "Europe/Sofia"  # UTC+2 in January
    manager.save(update_fields=["time_zone"])
    entered = dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)  # 12:00 in Sofia
    deal = DealFactory(owner=manager, stage_entered_at=entered)
    client = logged_in(manager)
    url = reverse("sales:deal_timeline", args=[deal.pk])

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no naive datetime reaches the database
        after = client.get(url, {"before": "2026-01-15T12:30"})
        before = client.get(url, {"before": "2026-01-15T11:30"})  # 11:30 Sofia: 09:30 UTC

    assert (after.status_code, before.status_code) == (200, 200)
    assert len(after.context["timeline"]) == 1
    assert len(before.context["timeline"]) == 0


# --- a board column's "show more" cursor (finding 8) ---------------------------------------------

@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_a_crafted_closed_column_cursor_gives_the_first_page(logged_in, manager, value):
    won = DealFactory(owner=manager, stage=stage_at(6),
                      closed_at=timezone.now() - dt.timedelta(hours=1))
    cursor = raw([value, won.pk])

    cards, _ = board.stage_cards(user=manager, stage=stage_at(6), filters=board.BoardFilters(),
                                 cursor=cursor)
    response = logged_in(manager).get(reverse("sales:board_column", args=[stage_at(6).pk]),
                                      {"cursor": cursor})

    assert [d.pk for d in cards] == [won.pk]
    assert response.status_code == 200
    assert won.title in response.content.decode()


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"])
def test_a_crafted_open_column_cursor_gives_the_first_page(logged_in, manager, value):
    deal = DealFactory(owner=manager, stage=stage_at(0))
    cursor = raw([value, deal.pk])

    cards, _ = board.stage_cards(user=manager, stage=stage_at(0), filters=board.BoardFilters(),
                                 cursor=cursor)
    response = logged_in(manager).get(reverse("sales:board_column", args=[stage_at(0).pk]),
                                      {"cursor": cursor})

    assert [d.pk for d in cards] == [deal.pk]
    assert response.status_code == 200 and deal.title in response.content.decode()


def test_a_real_closed_column_cursor_still_pages(manager):
    now = timezone.now()
    deals = [DealFactory(owner=manager, stage=stage_at(6), closed_at=now - dt.timedelta(hours=h))
             for h in (1, 2)]

    first, cursor = board.stage_cards(user=manager, stage=stage_at(6),
                                      filters=board.BoardFilters(), size=1)
    rest, _ = board.stage_cards(user=manager, stage=stage_at(6), filters=board.BoardFilters(),
                                cursor=cursor, size=1)

    assert [d.pk for d in first + rest] == [deals[0].pk, deals[1].pk]


# --- the deal list's keyset cursor (finding 9) ---------------------------------------------------

@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_a_crafted_deal_list_cursor_is_refused_by_the_api_and_restarts_the_page(
        client, logged_in, manager, value):
    deal = DealFactory(owner=manager)
    cursor = raw([{"dt": value}, deal.pk, False])
    as_string = raw([value, deal.pk, False])

    refused = [ApiClient(client, manager).get("/deals", {"cursor": c}) for c in (cursor, as_string)]
    page = logged_in(manager).get(reverse("sales:deal_list"), {"cursor": cursor})

    for response in refused:
        assert response.status_code == 400
        assert response.json()["fields"] == {
            "cursor": ["This cursor is not valid; start again without one."]}
    assert page.status_code == 200
    assert [d.pk for d in page.context["page"].items] == [deal.pk]


def test_a_real_deal_list_cursor_still_pages(client, manager):
    deals = [DealFactory(owner=manager) for _ in range(3)]
    api = ApiClient(client, manager)

    first = api.get("/deals", {"limit": 2}).json()
    rest = api.get("/deals", {"limit": 2, "cursor": first["next_cursor"]})

    assert rest.status_code == 200
    seen = [d["id"] for d in first["items"]] + [d["id"] for d in rest.json()["items"]]
    assert sorted(seen) == sorted(d.pk for d in deals)
