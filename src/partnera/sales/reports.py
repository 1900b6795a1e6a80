"""The pipeline report: per stage, how many deals entered it, how many moved on to a later stage
(conversion), how long they stayed (median and average, from the kept stage history), and what
is in it now. Scoped by the one visibility rule: a manager reads their deals, a head of sales
their team's, an administrator everything.

Medians are computed in Python over one bounded query of the stage history (`MAX_MOVES` rows,
the most recent), so the same code answers on SQLite and PostgreSQL.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from partnera.core.money import round_cents
from partnera.sales.models import DealStageChange, Pipeline, Stage, StageOutcome
from partnera.sales.selectors import deal_queryset

MAX_MOVES = 200_000
DAY = 86400


@dataclass(frozen=True)
class StageFigures:
    stage: Stage
    entered: int
    moved_on: int
    conversion: float | None  # percent; None for won and lost stages, or when none entered
    median_days: float | None
    average_days: float | None
    open_count: int
    open_value: Decimal  # in euro
    weighted_value: Decimal  # open value × the stage's probability


@dataclass(frozen=True)
class PipelineReport:
    pipeline: Pipeline
    stages: list[StageFigures]
    truncated: bool  # more history than MAX_MOVES: the figures read the most recent moves
    open_count: int
    open_value: Decimal
    weighted_value: Decimal


def _days(seconds: list[int]) -> tuple[float | None, float | None]:
    if not seconds:
        return None, None
    return (round(statistics.median(seconds) / DAY, 1), round(sum(seconds) / len(seconds) / DAY, 1))


def pipeline_report(*, user, pipeline: Pipeline, max_moves: int = MAX_MOVES) -> PipelineReport:
    stages = list(pipeline.stages.order_by("position", "id"))
    by_id = {s.pk: s for s in stages}
    visible = deal_queryset(user=user)
    in_pipeline = Q(to_stage__pipeline=pipeline) | Q(from_stage__pipeline=pipeline)
    rows = list(
        DealStageChange.objects.filter(in_pipeline, deal__in=visible.values("pk"))
        .order_by("-at", "-id")
        .values_list("deal_id", "from_stage_id", "to_stage_id", "seconds_in_from", "at")[: max_moves + 1])
    truncated = len(rows) > max_moves
    rows = rows[:max_moves]
    rows.reverse()  # oldest first

    entered: dict[int, set[int]] = defaultdict(set)
    moved_on: dict[int, set[int]] = defaultdict(set)
    durations: dict[int, list[int]] = defaultdict(list)
    # Per deal, the stages of this pipeline it has entered so far (to see what it moved on from).
    entered_so_far: dict[int, set[int]] = defaultdict(set)
    for deal_id, from_id, to_id, seconds, _at in rows:
        if from_id in by_id and seconds is not None:
            durations[from_id].append(seconds)
        target = by_id.get(to_id)
        if target is None:
            continue
        if target.outcome != StageOutcome.LOST:
            for earlier_id in entered_so_far[deal_id]:
                if by_id[earlier_id].position < target.position:
                    moved_on[earlier_id].add(deal_id)
        entered[to_id].add(deal_id)
        entered_so_far[deal_id].add(to_id)

    now = {row["stage_id"]: row for row in
           visible.filter(pipeline=pipeline).order_by().values("stage_id")
           .annotate(n=Count("id"), value=Sum("amount_eur"))}
    figures = []
    for stage in stages:
        n_entered = len(entered[stage.pk])
        n_moved = len(moved_on[stage.pk])
        conversion = (round(100 * n_moved / n_entered, 1)
                      if n_entered and stage.outcome == StageOutcome.OPEN else None)
        median, average = _days(durations[stage.pk])
        current = now.get(stage.pk, {})
        value = current.get("value") or Decimal("0.00")
        figures.append(StageFigures(
            stage=stage, entered=n_entered, moved_on=n_moved, conversion=conversion,
            median_days=median, average_days=average, open_count=current.get("n", 0),
            open_value=value,
            weighted_value=round_cents(value * stage.probability / 100)))
    open_figures = [f for f in figures if f.stage.outcome == StageOutcome.OPEN]
    return PipelineReport(
        pipeline=pipeline, stages=figures, truncated=truncated,
        open_count=sum(f.open_count for f in open_figures),
        open_value=sum((f.open_value for f in open_figures), Decimal("0.00")),
        weighted_value=sum((f.weighted_value for f in open_figures), Decimal("0.00")))
