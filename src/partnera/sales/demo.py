"""Demo deals: each one generated as plain rows (the deal, its contacts and their roles, its whole
stage history), valid by the rules the services apply, so that the demo (and the benchmarks)
can write a hundred thousand of them in bulk.

A deal walks its pipeline from the first stage: open deals stopped in a stage (most of them
there for less than the stage's usual time, some stuck longer), won and lost deals closed at a
time in the past. Each stage it entered satisfied the stage's rules (an amount before the offer,
a close date before negotiation, a decision maker before the contract …). `amount_eur`,
`status`, `stage_entered_at` and `closed_at` are filled as the services fill them
(`deal_derived`); `next_activity_at` is filled by the activities demo, which plans the
activities (activities/demo.py).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from partnera.core.money import Currency, to_eur
from partnera.sales.models import (
    ContactRole,
    PipelineKind,
    Reason,
    Requirement,
    Stage,
    StageOutcome,
)

DEAL_SUBJECTS = [
    "Годишен договор за доставка", "Пробна доставка", "Разширяване на асортимента",
    "Нова продуктова линия", "Логистични услуги", "Рамково споразумение", "Сезонна поръчка",
    "Доставка за новия обект", "Централизирани покупки", "Частна марка", "Сервизен договор",
    "Поддръжка и резервни части", "Промоционална кампания", "Доставки за веригата",
]
RENEWAL_SUBJECTS = ["Подновяване на годишния договор", "Подновяване с нови условия",
                    "Удължаване на рамковото споразумение"]
GROWTH_SUBJECTS = ["Кръстосани продажби: нова категория", "Увеличаване на обема",
                   "Разширяване към нови обекти", "Допълнителна продуктова линия"]
PRODUCTS = ["Опаковки", "Стреч фолио", "Палети", "Етикети", "Хигиенни консумативи",
            "Офис консумативи", "Напитки", "Хранителни продукти", "Почистващи препарати",
            "Резервни части", "Работно облекло", "Логистични услуги", "Складови услуги",
            "Софтуерни лицензи", "Поддръжка"]
COMPETITORS = ["Балкан Трейд", "Тракия Дистрибюшън", "Мега Пак", "Евро Логистик", "Нова Фууд",
               "Сигма Сървис"]
NEXT_STEPS = ["Да изпратим ревизирана оферта", "Среща с финансовия директор",
              "Обаждане за обратна връзка по офертата", "Демонстрация на продукта",
              "Проект на договор към юристите им", "Мостри до края на седмицата",
              "Съгласуване на цените с търговския директор"]
LOST_COMMENTS = ["Избраха по-евтина оферта.", "Отложиха покупката за следващата година.",
                 "Решението е взето централно от майката компания.", ""]
# (amount low, high) in euro by client tier
AMOUNTS = {"standard": (1500, 25000), "corporate": (10000, 120000), "key_account": (40000, 600000)}


@dataclass(frozen=True)
class StageInfo:
    id: int
    position: int
    outcome: str
    usual_days: int | None
    requirements: frozenset[str]


@dataclass(frozen=True)
class PipelineInfo:
    id: int
    kind: str
    stages: tuple[StageInfo, ...]  # in position order

    @property
    def open_stages(self) -> list[StageInfo]:
        return [s for s in self.stages if s.outcome == StageOutcome.OPEN]

    def closing(self, outcome: str) -> StageInfo | None:
        return next((s for s in self.stages if s.outcome == outcome), None)


def load_pipelines() -> list[PipelineInfo]:
    """The active pipelines with their active stages and rules (read once per demo run)."""
    stages = (Stage.objects.filter(active=True, pipeline__active=True)
              .select_related("pipeline").prefetch_related("rules").order_by("position", "pk"))
    by_pipeline: dict[int, list[StageInfo]] = {}
    kinds: dict[int, str] = {}
    for s in stages:
        kinds[s.pipeline_id] = s.pipeline.kind
        by_pipeline.setdefault(s.pipeline_id, []).append(StageInfo(
            s.pk, s.position, s.outcome, s.usual_days,
            frozenset(r.requirement for r in s.rules.all())))
    return [PipelineInfo(pk, kinds[pk], tuple(rows)) for pk, rows in sorted(by_pipeline.items())
            if any(r.outcome == StageOutcome.OPEN for r in rows)]


def lost_reason_ids() -> list[int]:
    return list(Reason.objects.filter(kind=Reason.Kind.DEAL_LOST, active=True)
                .values_list("pk", flat=True))


@dataclass
class DealPlan:
    """One generated deal: its row and the rows that hang from it."""

    row: dict[str, Any]
    contacts: list[dict[str, Any]] = field(default_factory=list)  # DealContact rows (no deal id yet)
    changes: list[dict[str, Any]] = field(default_factory=list)  # DealStageChange rows
    # The moments the deal entered each stage it passed through (for its activities' dates).
    entered: list[dt.datetime] = field(default_factory=list)
    needs_next_activity: bool = False  # its stage's rules ask for a planned activity

    @property
    def is_open(self) -> bool:
        return self.row["status"] == StageOutcome.OPEN


def deal_derived(row: dict[str, Any]) -> None:
    """The columns the deal services derive (sales/services.py): the amount in euro."""
    amount = row.get("amount")
    row["amount_eur"] = to_eur(amount, row["currency"]) if amount is not None else None


class DealGenerator:
    def __init__(self, rng: random.Random, now: dt.datetime, pipelines: list[PipelineInfo],
                 reasons: list[int]) -> None:
        self.rng = rng
        self.now = now
        self.pipelines = pipelines
        self.by_kind: dict[str, PipelineInfo] = {p.kind: p for p in pipelines}
        self.default = next((p for p in pipelines if p.kind == PipelineKind.NEW_BUSINESS),
                            pipelines[0] if pipelines else None)
        self.reasons = reasons

    def pipeline_for(self, company: dict[str, Any], default: PipelineInfo) -> PipelineInfo:
        rng = self.rng
        if company.get("stage") == "active":
            roll = rng.random()
            if company.get("tier") in ("key_account", "corporate") and roll < 0.45:
                return self.by_kind.get(PipelineKind.KEY_ACCOUNT_GROWTH, default)
            if roll < 0.7:
                return self.by_kind.get(PipelineKind.RENEWAL, default)
        return default

    def deal(self, company: dict[str, Any], contacts: list[dict[str, Any]], *, owner_id: int,
             team_id: int | None, want: str = "") -> DealPlan | None:
        """A deal of the company, owned by `owner_id`. `want`: "open", "stuck" (open, longer in
        its stage than usual), "lost" or "" (any: open, won or lost as they come)."""
        if self.default is None:
            return None
        rng = self.rng
        pipeline = self.pipeline_for(company, self.default)
        open_stages = pipeline.open_stages
        # The furthest stage whose rules the company can meet (a contact needs contacts).
        reachable = [s for s in open_stages
                     if contacts or not s.requirements & {Requirement.CONTACT, Requirement.DECISION_MAKER}]
        if not reachable:
            return None
        roll = rng.random()
        won, lost = pipeline.closing(StageOutcome.WON), pipeline.closing(StageOutcome.LOST)
        if want == "lost" and lost is not None:
            outcome = StageOutcome.LOST
        elif want or roll < 0.62 or won is None or lost is None:
            outcome = StageOutcome.OPEN
        else:
            outcome = StageOutcome.WON if roll < 0.82 else StageOutcome.LOST
        if outcome == StageOutcome.WON and len(reachable) < len(open_stages):
            outcome = StageOutcome.OPEN  # cannot reach the contract stage without contacts
        if outcome == StageOutcome.OPEN:
            # Early stages hold more deals than late ones.
            weights = [max(1, 8 - i * 1.3) for i in range(len(reachable))]
            path = reachable[: rng.choices(range(len(reachable)), weights=weights)[0] + 1]
        elif outcome == StageOutcome.WON:
            assert won is not None
            path = [*open_stages, won]
        else:
            assert lost is not None
            path = [*reachable[: rng.randint(1, len(reachable))], lost]
        # Time in each stage passed through, from its usual days; then, backwards from now (or
        # from the close), when it entered each.
        spans = [dt.timedelta(days=(s.usual_days or 14) * rng.uniform(0.3, 1.3),
                              hours=rng.uniform(0, 8)) for s in path[:-1]]
        if outcome == StageOutcome.OPEN:
            usual = path[-1].usual_days or 14
            stuck = want == "stuck" or (want != "open" and rng.random() < 0.18)
            factor = rng.uniform(1.15, 3.0) if stuck else rng.uniform(0.02, 0.9)
            last_entered = self.now - dt.timedelta(days=usual * factor, hours=rng.uniform(0, 6))
        else:
            last_entered = self.now - dt.timedelta(days=rng.uniform(2, 540))
        created_at = last_entered - sum(spans, dt.timedelta())
        company_since = company.get("created_at")
        if company_since and created_at < company_since:
            # Not before the client was entered: squeeze the history into the time there is.
            room = max(last_entered - company_since, dt.timedelta(hours=1))
            total = sum(spans, dt.timedelta()) or dt.timedelta(hours=1)
            spans = [room * (s / total) * 0.95 for s in spans]
            created_at = last_entered - sum(spans, dt.timedelta())
        entered = [created_at]
        for span in spans:
            entered.append(entered[-1] + span)
        stage = path[-1]
        required = frozenset().union(*(s.requirements for s in path))
        tier = company.get("tier") or "standard"
        low, high = AMOUNTS.get(tier, AMOUNTS["standard"])
        currency = Currency.BGN if rng.random() < 0.3 else Currency.EUR
        amount = None
        if Requirement.AMOUNT in required or rng.random() < 0.6:
            euros = Decimal(round(rng.uniform(low, high) / 50) * 50)
            amount = euros if currency == Currency.EUR else (euros * Decimal("1.95583")).quantize(
                Decimal("1"))
        close = None
        if Requirement.CLOSE_DATE in required or rng.random() < 0.7:
            close = ((entered[-1] if outcome != StageOutcome.OPEN else self.now)
                     + dt.timedelta(days=rng.randint(5, 120) if outcome == StageOutcome.OPEN else 0)
                     ).date()
        subjects = {str(PipelineKind.RENEWAL): RENEWAL_SUBJECTS,
                    str(PipelineKind.KEY_ACCOUNT_GROWTH): GROWTH_SUBJECTS}.get(pipeline.kind,
                                                                               DEAL_SUBJECTS)
        products = rng.sample(PRODUCTS, rng.randint(1, 3)) if (
            Requirement.PRODUCTS in required or rng.random() < 0.8) else []
        row: dict[str, Any] = {
            "title": rng.choice(subjects), "company_id": company["id"], "pipeline_id": pipeline.id,
            "stage_id": stage.id, "owner_id": owner_id, "team_id": team_id, "amount": amount,
            "currency": currency, "expected_close_date": close, "products": products,
            "competitors": rng.sample(COMPETITORS, rng.choice((0, 0, 1, 1, 2))),
            "next_step": (rng.choice(NEXT_STEPS) if outcome == StageOutcome.OPEN and (
                Requirement.NEXT_STEP in required or rng.random() < 0.7) else ""),
            "status": outcome, "stage_entered_at": entered[-1],
            "closed_at": entered[-1] if outcome != StageOutcome.OPEN else None,
            "created_by_id": owner_id, "created_at": created_at,
            "updated_at": entered[-1], "next_activity_at": None,
        }
        if outcome == StageOutcome.LOST and self.reasons:
            row["lost_reason_id"] = rng.choice(self.reasons)
            row["lost_comment"] = rng.choice(LOST_COMMENTS)
        deal_derived(row)
        plan = DealPlan(row=row, entered=entered,
                        needs_next_activity=(outcome == StageOutcome.OPEN
                                             and Requirement.NEXT_ACTIVITY in stage.requirements))
        plan.contacts = self._contacts(contacts, required)
        previous: StageInfo | None = None
        for s, at in zip(path, entered, strict=True):
            plan.changes.append({
                "from_stage_id": previous.id if previous else None, "to_stage_id": s.id, "at": at,
                "by_id": owner_id,
                "seconds_in_from": (int((at - plan.changes[-1]["at"]).total_seconds())
                                    if previous else None),
            })
            previous = s
        return plan

    def _contacts(self, contacts: list[dict[str, Any]], required: frozenset[str]) -> list[dict]:
        if not contacts:
            return []
        rng = self.rng
        wanted = Requirement.CONTACT in required or Requirement.DECISION_MAKER in required
        if not wanted and rng.random() < 0.4:
            return []
        people = rng.sample(contacts, min(len(contacts), rng.randint(1, 3)))
        roles = [rng.choice([ContactRole.INFLUENCER, ContactRole.TECHNICAL, ContactRole.USER,
                             ContactRole.CHAMPION, ContactRole.ECONOMIC_BUYER,
                             ContactRole.GATEKEEPER, ""]) for _p in people]
        if Requirement.DECISION_MAKER in required or rng.random() < 0.5:
            roles[0] = ContactRole.DECISION_MAKER
        return [{"contact_id": p["id"], "role": role} for p, role in zip(people, roles, strict=True)]
