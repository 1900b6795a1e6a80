"""Reads of the kanban board: one column per active stage of a pipeline, with its count, plain and
weighted totals (one grouped query for every column) and the first cards of each column in
expected-close-date order (a keyset page per column, "show more" fetches the next).

Every read goes through the one visibility rule (`sales.selectors.deal_queryset`): a deal the
user may not see is in no card, no count and no total. Won and lost columns show the deals closed
in the last RECENT_CLOSED_DAYS days, most recently closed first.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import formats, timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from partnera.core.money import Currency, round_cents
from partnera.sales.deal_list import DealFilters, deal_filter
from partnera.sales.models import Deal, Pipeline, Stage, StageOutcome
from partnera.sales.selectors import deal_queryset, default_pipeline, pipeline_list, stage_list

PAGE_SIZE = 30
RECENT_CLOSED_DAYS = 30
AMOUNT_LIMIT = Decimal("1e12")
CURSOR_YEARS = (1900, 2999)  # a "show more" cursor's date outside these years is not ours
CARD_FIELDS = (
    "id", "title", "version", "stage_id", "pipeline_id", "owner_id", "team_id", "company_id",
    "amount", "currency", "amount_eur", "expected_close_date", "next_activity_at",
    "stage_entered_at", "closed_at", "status",
    "company__id", "company__legal_name", "company__tier",
    "owner__id", "owner__first_name", "owner__last_name", "owner__username",
)


# --- filters ------------------------------------------------------------------------------------

@dataclass
class BoardFilters:
    """What the board shows, read from the query string (unknown or bad values are left out)."""

    owner: int | None = None
    team: int | None = None
    tier: str = ""
    amount_min: Decimal | None = None  # in euro: deals in lev compare by their amount in euro
    amount_max: Decimal | None = None
    close_month: dt.date | None = None  # the first day of the month
    mine: bool = False

    def active_count(self) -> int:
        return sum(bool(v) for v in (self.owner, self.team, self.tier,
                                     self.amount_min is not None, self.amount_max is not None,
                                     self.close_month, self.mine))

    def as_query(self) -> dict[str, str]:
        """The filters as query-string values (the board's URL and every request it makes)."""
        values = {
            "owner": self.owner, "team": self.team, "tier": self.tier,
            "amount_min": self.amount_min, "amount_max": self.amount_max,
            "close_month": self.close_month.strftime("%Y-%m") if self.close_month else None,
            "mine": "1" if self.mine else None,
        }
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def board_pipeline(value: Any, pipelines: list[Pipeline] | None = None) -> Pipeline | None:
    """The active pipeline with this id, else the default one (from `pipelines` when given: the
    active pipelines the page lists anyway)."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        pk = None
    if pipelines is not None:
        return (next((p for p in pipelines if p.pk == pk), None)
                or next((p for p in pipelines if p.is_default), None)
                or (pipelines[0] if pipelines else None))
    if pk is not None and 0 < pk < 2**63:
        pipeline = pipeline_list().filter(pk=pk).first()
        if pipeline is not None:
            return pipeline
    return default_pipeline()


def board_stages(pipeline: Pipeline) -> list[Stage]:
    """The board's columns: open stages in their order, then won, then lost."""
    stages = list(stage_list(pipeline=pipeline).prefetch_related(None))
    rank: dict[str, int] = {StageOutcome.OPEN: 0, StageOutcome.WON: 1, StageOutcome.LOST: 2}
    return sorted(stages, key=lambda s: (rank.get(s.outcome, 0), s.position, s.pk))


def _filtered(qs: QuerySet[Deal], *, user, filters: BoardFilters) -> QuerySet[Deal]:
    """The deal list's filters (sales.deal_list), plus "only mine"."""
    qs = deal_filter(qs, DealFilters(
        owner=[filters.owner] if filters.owner else [], team=[filters.team] if filters.team else [],
        tier=[filters.tier] if filters.tier else [], amount_min=filters.amount_min,
        amount_max=filters.amount_max, close_month=filters.close_month))
    return qs.filter(owner_id=user.pk) if filters.mine else qs


def closed_since(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=RECENT_CLOSED_DAYS)


def board_deals(*, user, filters: BoardFilters, now: dt.datetime | None = None) -> QuerySet[Deal]:
    """The visible deals the board may show (any stage): open ones, and closed ones closed
    recently; filtered. Callers narrow it to a pipeline or a stage."""
    recent = Q(status=StageOutcome.OPEN) | Q(closed_at__gte=closed_since(now))
    return _filtered(deal_queryset(user=user), user=user, filters=filters).filter(recent)


# --- totals -------------------------------------------------------------------------------------

@dataclass
class Totals:
    count: int = 0
    total: Decimal = Decimal("0.00")  # euro
    weighted: Decimal = Decimal("0.00")  # euro, total × the stage's probability


def board_totals(*, user, stages: list[Stage], filters: BoardFilters,
                 now: dt.datetime | None = None) -> dict[int, Totals]:
    """Per stage: how many deals, their amounts in euro, and weighted by the stage's win
    probability — over every matching deal of the column (not only the cards shown), in one
    grouped query."""
    rows = (board_deals(user=user, filters=filters, now=now)
            .filter(stage_id__in=[s.pk for s in stages])
            .order_by().values("stage_id")
            .annotate(n=Count("id"), total=Sum("amount_eur")))
    by_stage = {row["stage_id"]: row for row in rows}
    totals: dict[int, Totals] = {}
    for stage in stages:
        row = by_stage.get(stage.pk)
        if row is None:
            totals[stage.pk] = Totals()
            continue
        total = Decimal(row["total"] or 0)
        totals[stage.pk] = Totals(
            count=row["n"], total=round_cents(total),
            weighted=round_cents(total * Decimal(stage.probability) / 100))
    return totals


# --- cards --------------------------------------------------------------------------------------

def _encode(value: Any, pk: int) -> str:
    if isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    raw = json.dumps([value, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str | None, *, closed: bool) -> tuple[Any, int] | None:
    """A cursor from a URL, checked; None (the first page) for anything not made by _encode."""
    if not cursor or len(cursor) > 200:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk < 2**63:
            return None
        if closed:
            parsed: Any = dt.datetime.fromisoformat(value)
            if not CURSOR_YEARS[0] <= parsed.year <= CURSOR_YEARS[1]:
                return None  # year 1 with an offset (or 9999) overflows in the database adapter
            if timezone.is_naive(parsed):
                parsed = timezone.make_aware(parsed, dt.UTC)
        else:
            parsed = None if value is None else dt.date.fromisoformat(value)
            if parsed is not None and not CURSOR_YEARS[0] <= parsed.year <= CURSOR_YEARS[1]:
                return None
        return parsed, pk
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError, OverflowError):
        return None


def _card_order(stage: Stage) -> list:
    if stage.is_closed:
        return ["-closed_at", "-id"]
    return [F("expected_close_date").asc(nulls_last=True), "id"]


def _after(qs: QuerySet[Deal], stage: Stage, position: tuple[Any, int]) -> QuerySet[Deal]:
    """The cards after `position` (the last card shown) in the column's order."""
    value, pk = position
    if stage.is_closed:
        return qs.filter(Q(closed_at__lt=value) | Q(closed_at=value, id__lt=pk))
    if value is None:  # among the deals without a close date, which come last
        return qs.filter(expected_close_date__isnull=True, id__gt=pk)
    return qs.filter(Q(expected_close_date__gt=value) | Q(expected_close_date=value, id__gt=pk)
                     | Q(expected_close_date__isnull=True))


def _cursor_of(stage: Stage, deal: Deal) -> str:
    return _encode(deal.closed_at if stage.is_closed else deal.expected_close_date, deal.pk)


def stage_cards(*, user, stage: Stage, filters: BoardFilters, cursor: str | None = None,
                size: int = PAGE_SIZE, now: dt.datetime | None = None) -> tuple[list[Deal], str | None]:
    """One page of a column's cards (one query) and the cursor of the next page, if any."""
    qs = board_deals(user=user, filters=filters, now=now).filter(stage_id=stage.pk)
    position = _decode(cursor, closed=stage.is_closed)
    if position is not None:
        qs = _after(qs, stage, position)
    qs = qs.select_related("company", "owner").only(*CARD_FIELDS).order_by(*_card_order(stage))
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (_cursor_of(stage, rows[-1]) if more and rows else None)


# --- the board ----------------------------------------------------------------------------------

@dataclass
class Column:
    stage: Stage
    totals: Totals
    cards: list[Deal] = field(default_factory=list)
    next_cursor: str | None = None
    # How the column reads, filled by the view (sales/views/board.py).
    total_label: str = ""
    weighted_label: str = ""
    move_query: str = ""
    more_url: str = ""
    more_label: str = ""
    cards_html: str = ""

    @property
    def closed(self) -> bool:
        return self.stage.is_closed

    @property
    def more_count(self) -> int:
        return max(0, self.totals.count - len(self.cards))


def board_columns(*, user, pipeline: Pipeline, filters: BoardFilters,
                  stages: list[Stage] | None = None, now: dt.datetime | None = None,
                  size: int = PAGE_SIZE) -> list[Column]:
    """The columns of the board (or of some of its stages): totals in one query, then the first
    `size` cards of each column (one query per column, through the stage index)."""
    now = now or timezone.now()
    stages = board_stages(pipeline) if stages is None else stages
    totals = board_totals(user=user, stages=stages, filters=filters, now=now)
    columns = []
    for stage in stages:
        # Every column reads its cards, even an empty one: the number of queries never depends
        # on the data.
        cards, next_cursor = stage_cards(user=user, stage=stage, filters=filters, now=now, size=size)
        columns.append(Column(stage=stage, totals=totals[stage.pk], cards=cards,
                              next_cursor=next_cursor))
    return columns


# --- how a card reads ---------------------------------------------------------------------------

def money_label(amount: Decimal | None, currency: str = Currency.EUR, *, decimals: int = 0) -> str:
    """An amount with its currency as the active language writes it: "€12,500" / "12 500 €",
    "BGN 3,000" / "3 000 лв." (the lev's sign is translated)."""
    if amount is None:
        return "—"
    # number_format cuts the decimals off: round half up first, as money is rounded everywhere.
    rounded = Decimal(amount).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    number = formats.number_format(rounded, decimals, use_l10n=True, force_grouping=True)
    symbol = "€" if currency == Currency.EUR else _("BGN")
    if (get_language() or "en").startswith("en"):
        return f"{symbol}{number}" if currency == Currency.EUR else f"{symbol}\xa0{number}"
    return f"{number}\xa0{symbol}"


def initials(user) -> str:
    if user is None:
        return ""
    first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
    if first or last:
        return (first[:1] + last[:1]).upper()
    return (user.username or "?")[:2].upper()


@dataclass
class Card:
    """How one deal reads on the board (the view adds its links and whether it may be moved)."""

    deal: Deal
    amount_label: str = ""
    date_label: str = ""  # the expected close date (open), the day it closed (won, lost)
    is_overdue: bool = False
    days_in_stage: int | None = None
    days_label: str = ""
    is_stuck: bool = False
    no_next_activity: bool = False
    owner_initials: str = ""
    owner_name: str = ""
    url: str = ""
    move_url: str = ""
    can_move: bool = False


def decorate(deals: list[Deal], stage: Stage, *, today: dt.date, now: dt.datetime) -> list[Card]:
    """What each card shows: amount, the close date (overdue or not), days in the stage and
    "stuck" past the stage's usual time, the owner's initials, the "no next activity" flag."""
    cards = []
    for deal in deals:
        card = Card(deal=deal, owner_initials=initials(deal.owner) if deal.owner_id else "",
                    owner_name=str(deal.owner) if deal.owner_id else "")
        if deal.amount is not None:
            card.amount_label = money_label(deal.amount, deal.currency, decimals=0)
        if stage.is_closed:
            # A closed deal's card shows when it closed instead of its days in the stage.
            day = timezone.localtime(deal.closed_at).date() if deal.closed_at else None
        else:
            day = deal.expected_close_date
            card.is_overdue = day is not None and day < today
            if deal.stage_entered_at:
                card.days_in_stage = max(0, (now - deal.stage_entered_at).days)
                card.days_label = ngettext("%(n)d day", "%(n)d days", card.days_in_stage) % {
                    "n": card.days_in_stage}
                card.is_stuck = bool(stage.usual_days and card.days_in_stage > stage.usual_days)
            card.no_next_activity = deal.next_activity_at is None
        card.date_label = formats.date_format(day, "SHORT_DATE_FORMAT") if day else ""
        cards.append(card)
    return cards
