"""The deal timeline registry: built-in stage changes and field changes, sources registered by
other domains merged newest first, and nothing at all for a deal the reader may not see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from partnera.core.timeline import TimelineEntry
from partnera.sales import timeline
from partnera.sales.services import deal_move_stage, deal_update
from partnera.sales.tests.factories import DealFactory, stage_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def extra_source():
    calls = []

    def source(*, user, deal_id, limit, before):
        calls.append((user.pk, deal_id))
        return [TimelineEntry(at=timezone.now() + dt.timedelta(minutes=5), kind="call",
                              title="Обаждане <b>важно</b>")]

    timeline.register_deal_timeline_source("test-calls", source)
    yield calls
    timeline._sources.pop("test-calls", None)


def test_stage_changes_field_changes_and_registered_sources_merge_newest_first(manager,
                                                                               extra_source):
    deal = DealFactory(owner=manager, next_step="Обаждане")
    deal_move_stage(actor=manager, deal=deal, stage=stage_at(1))
    deal_update(actor=manager, deal=deal, data={"next_step": "Среща"}, expected_version=2)

    entries = timeline.deal_timeline(user=manager, deal=deal, limit=10)

    assert [e.kind for e in entries] == ["call", "change", "stage", "stage"]
    assert entries[1].details == [("next_step", "Обаждане", "Среща")]
    assert entries[2].title == f"Moved to “{stage_at(1).name}”"
    assert entries[3].title == f"Opened in “{stage_at(0).name}”"
    assert extra_source == [(manager.pk, deal.pk)]


def test_a_hidden_deal_has_no_timeline_and_sources_are_not_even_asked(manager, other_manager,
                                                                      extra_source):
    deal = DealFactory(owner=other_manager)

    assert timeline.deal_timeline(user=manager, deal=deal) == []
    assert extra_source == []


def test_older_entries_come_through_the_show_older_link_escaped(logged_in, manager, extra_source):
    deal = DealFactory(owner=manager)
    before = (timezone.now() + dt.timedelta(hours=1)).isoformat()

    page = logged_in(manager).get(reverse("sales:deal_timeline", args=[deal.pk]),
                                  {"before": before})

    html = page.content.decode()
    assert page.status_code == 200
    assert "Обаждане &lt;b&gt;важно&lt;/b&gt;" in html
    assert logged_in(manager).get(reverse("sales:deal_timeline", args=[deal.pk]),
                                  {"before": "вчера"}).status_code == 200
