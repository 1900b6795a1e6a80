"""REST API of "My day" (mounted in config/api_urls.py): every registered panel's items, through
the same selectors as the home page."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Query, Router, Schema
from pydantic import Field

from partnera.core.api import QuerySchema
from partnera.core.home import home_panels, home_view

router = Router()


class MyDayQuery(QuerySchema):
    view: Literal["me", "team"] = Field(
        "me", description="`team`: a head of sales sees the members of the teams they head; "
                          "anyone else asking gets their own day.")


class PanelOut(Schema):
    name: str
    title: str
    count: int = Field(description="How many items there are, counted up to a cap.")
    count_capped: bool = Field(description="True when there are more than `count`.")
    see_all: str = Field(description="The web page listing the panel's items in full.")
    items: list[dict[str, Any]] = Field(description="The first items, in the page's order; "
                                                    "their fields depend on the panel.")


class MyDayOut(Schema):
    view: Literal["me", "team"]
    date: str = Field(description="Today in the user's time zone (ISO date).")
    time_zone: str
    panels: list[PanelOut]


@router.get("/my-day", response=MyDayOut, tags=["my day"])
def my_day(request, query: Query[MyDayQuery]):
    """Today's calls and meetings, overdue tasks, deals without a next step, stuck deals, clients
    not contacted … — each panel of the home page with its count and first items."""
    user = request.auth
    view = home_view(user=user, team=query.view == "team")
    panels = []
    for panel, ctx in home_panels(user=user, view=view, api=True):
        result = ctx.get("list")
        if panel.api_item is None or result is None:
            continue
        panels.append({
            "name": panel.name, "title": str(panel.title), "count": result.count,
            "count_capped": result.capped, "see_all": result.see_all,
            "items": [panel.api_item(item) for item in result.items],
        })
    return {"view": "team" if view.team else "me", "date": view.today.isoformat(),
            "time_zone": str(view.zone), "panels": panels}
