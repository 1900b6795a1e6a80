"""The home page registry: each domain contributes panels to the user's start page ("My day").

A panel is registered once (from its app's registry, in AppConfig.ready) with its order, its
template and a context function that receives the user. Panels of the morning briefing (today's
calls, overdue tasks, deals without a next step, late orders …) also declare `team_view=True`:
their context function then receives the `HomeView` as well — whose day (in the user's time
zone) and whose people it shows: the user alone ("Me"), or, for a head of sales, the members of
the teams they head ("My team"). Every such panel answers for the same people and the same day.

A panel's context may carry a `PanelList` under "list" (a bounded count, the first items, a
"see all" address): the page shows the count as a badge and in the summary at the top, and
`GET /api/v1/my-day` lists the items through the panel's `api_item`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils import timezone

from partnera.core.pagination import bounded_count
from partnera.core.roles import Role
from partnera.core.timezones import user_zone
from partnera.core.visibility import scope_for

# Items a panel shows on the page; its "see all" page shows up to SEE_ALL_ITEMS.
PANEL_ITEMS = 10
SEE_ALL_ITEMS = 100
# Counts stop here ("99+"): a briefing needs "many", not the exact size of a long backlog, and a
# bounded count costs the same whatever the size of the data.
COUNT_CAP = 99


@dataclass(frozen=True)
class HomeView:
    """Whose "My day" is shown, and which day: computed once per request for every panel."""

    user: Any
    team: bool  # "My team": the members of the teams the user heads (and the user)
    owner_ids: tuple[int, ...]
    now: dt.datetime  # aware, UTC
    zone: dt.tzinfo
    today: dt.date  # in the user's time zone
    day_start: dt.datetime  # today's bounds in the user's zone, [start, end)
    day_end: dt.datetime
    limit: int = PANEL_ITEMS

    @property
    def is_me(self) -> bool:
        return not self.team


@dataclass
class PanelList:
    """What a list panel shows: its first items, how many there are (bounded), and where to see
    them all."""

    items: list
    count: int
    capped: bool = False  # more than `count`
    see_all: str = ""

    @property
    def count_label(self) -> str:
        return f"{self.count}+" if self.capped else str(self.count)


@dataclass(frozen=True)
class HomePanel:
    name: str
    order: int
    template: str
    context: Callable[..., dict]
    # The panel can show the team view; its context function takes `view` (a HomeView).
    team_view: bool = False
    title: Any = ""  # shown in the summary and the API (a lazy translation)
    # One item of the panel's PanelList as JSON-able data (GET /api/v1/my-day); None: page only.
    api_item: Callable[[Any], dict] | None = None
    # Who gets the panel (None: everyone), e.g. the sales roles for deal panels.
    show_for: Callable[[Any], bool] | None = None
    extra: dict = field(default_factory=dict)


_panels: dict[str, HomePanel] = {}


def register_home_panel(panel: HomePanel) -> None:
    _panels[panel.name] = panel


def home_panel(name: str) -> HomePanel | None:
    return _panels.get(name)


def can_view_team(user) -> bool:
    """The team view is for a head of sales who heads at least one team."""
    if user is None or not user.is_authenticated or user.role != Role.HEAD_OF_SALES:
        return False
    return bool(scope_for(user).headed_team_ids)


def home_view(*, user, team: bool = False, now: dt.datetime | None = None,
              limit: int = PANEL_ITEMS) -> HomeView:
    """The view of "My day" for the user. Asking for the team view without heading a team gives
    the user's own."""
    team = bool(team) and can_view_team(user)
    owners = {user.pk}
    if team:
        # The members of the teams the user heads: one of the grants of the visibility rule.
        owners.update(scope_for(user).member_ids)
    now = now or timezone.now()
    zone = user_zone(user)
    today = now.astimezone(zone).date()
    start = dt.datetime.combine(today, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return HomeView(user=user, team=team, owner_ids=tuple(sorted(owners)), now=now, zone=zone,
                    today=today, day_start=start.astimezone(dt.UTC), day_end=end.astimezone(dt.UTC),
                    limit=limit)


def panel_context(panel: HomePanel, view: HomeView) -> dict:
    if panel.team_view:
        return panel.context(user=view.user, view=view)
    return panel.context(user=view.user)


def home_panels(*, user, view: HomeView | None = None,
                api: bool = False) -> list[tuple[HomePanel, dict]]:
    """The panels the user gets, in order, each with its context. `api`: only the panels with
    items for the API."""
    view = view or home_view(user=user)
    return [(p, panel_context(p, view)) for p in sorted(_panels.values(), key=lambda p: p.order)
            if (p.show_for is None or p.show_for(user)) and (not api or p.api_item is not None)]


def see_all_view(view: HomeView) -> HomeView:
    return replace(view, limit=SEE_ALL_ITEMS)


def first_rows(queryset, limit: int) -> list:
    """The first `limit` rows of an ordered queryset, with their related records.

    One statement in two steps: the rows are picked and sorted narrow (ids and sort keys only),
    then only those few are read whole and joined to their related records — rather than
    joining every candidate (a team's thousand open deals) to its company before sorting.
    """
    order = queryset.query.order_by
    picked = queryset.values("pk")[:limit]
    rows = queryset.model._base_manager.filter(pk__in=picked).order_by(*order)
    rows.query.select_related = queryset.query.select_related
    return list(rows)


def panel_list(queryset, *, view: HomeView, see_all: str = "", items: list | None = None) -> PanelList:
    """A PanelList from an ordered queryset: its first `view.limit` rows and a bounded count."""
    rows = first_rows(queryset, view.limit) if items is None else items
    count, capped = bounded_count(queryset, cap=max(COUNT_CAP, view.limit))
    return PanelList(items=rows, count=count, capped=capped, see_all=see_all)
