"""Demo offers for the demo deals (`partnera demo`), made through the offer services so that the
numbers, versions, prices, totals and discount approvals are exactly what a user would get:

- open deals at or past their "offer" stage (the stage that asks for an amount): drafts, sent
  offers, offers the client rejected (a reason from the managed list), a couple at version 2,
  one waiting for the head of sales to approve its discount (in their "My day"), one approved,
  and a few accepted — the deal moves on to its next stage, and a contract in negotiation follows
  (contracts/demo.py);
- won deals: the offer the client accepted months ago, which the contract is made from;
- lost deals: the offer the client rejected.

The services date what they do today; the demo then moves those dates back to when the offer was
made, sent and decided (and its audit entries, clients.demo.happened_at). The services make
offers for open deals only: for a deal closed since, the demo reopens it for the moment the offer
is made and closes it again as it was (stage and history untouched).

`CommercialContext` is what the commercial part of the demo (offers, contracts, orders) shares
for one run: the random source, the day, the people, the catalog and the quotas used.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from partnera.catalog.models import Product
from partnera.catalog.pricing import LineRequest, pricing_policy
from partnera.clients.demo import happened_at
from partnera.core.errors import DomainError
from partnera.core.roles import DepartmentKind, Role
from partnera.core.timezones import user_zone
from partnera.people.models import User
from partnera.sales.models import (
    Deal,
    DealStageChange,
    Offer,
    Reason,
    Requirement,
    StageOutcome,
)
from partnera.sales.offers import approval, flow, services

D = Decimal
# Typical quantities of one order line, by unit (an offer for a year's supply multiplies them).
QUANTITIES: dict[str, tuple[int, ...]] = {
    "piece": (50, 100, 200, 250, 300, 500, 600, 1000), "pack": (2, 4, 5, 10, 12, 20),
    "box": (2, 3, 5, 8, 10), "pallet": (1, 2, 4), "service": (1, 1, 2, 3), "hour": (2, 4, 6, 8),
    "day": (1, 1, 2), "month": (1, 3, 6),
}
INTRODUCTIONS = [
    "Благодарим за запитването. Предлагаме ви следните продукти при условията по-долу.",
    "След срещата ни предлагаме асортимент, съобразен с годишния ви обем.",
    "Представяме ви ревизирана оферта с отстъпки за обем.", "",
]
TERMS = [
    "Доставка до 5 работни дни от потвърждение на поръчката. Плащане по банков път до 30 дни "
    "след фактура.",
    "Франко склада на клиента в страната. Плащане до 15 дни след доставка.",
    "Цените са без ДДС. Доставка на части по график, съгласуван с логистиката ви.",
]
REJECTION_COMMENTS = ["Конкурентът предлага 6 % по-ниска цена.", "Бюджетът е замразен до пролетта.",
                      "Искат срок на плащане 60 дни.", ""]
APPROVAL_COMMENTS = ["Одобрявам — стратегически клиент с голям годишен обем.",
                     "Одобрено за първата поръчка; после по ценова листа."]
# The outcome of the offers on open deals, in the order the first ones of a run take them (so that
# even a small run shows every case), then at random by the weights.
SCRIPT = ["pending_approval", "accepted", "v2_sent", "rejected", "approved_sent", "draft", "sent",
          "accepted", "v2_rejected", "sent"]
WEIGHTS = {"draft": 22, "sent": 38, "rejected": 12, "v2_sent": 8, "v2_rejected": 4, "accepted": 10,
           "approved_sent": 3}
# At most this many offers of each kind per run, whatever the number of companies: the services
# make them one by one, and the demo's run time must stay short.
QUOTA = {"open": 28, "won": 14, "lost": 5, "accepted_open": 4}


@dataclass
class CommercialContext:
    rng: random.Random
    now: dt.datetime
    today: dt.date
    zone: Any
    users: dict[int, User]
    admin: User | None = None
    head: User | None = None
    logistics: User | None = None
    finance: User | None = None
    products: list[Product] = field(default_factory=list)
    by_line: dict[str, list[Product]] = field(default_factory=dict)
    given: Counter = field(default_factory=Counter)  # quotas used in this run
    counts: Counter = field(default_factory=Counter)  # what was made (for the demo's summary)
    state: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_run(cls, run, rng: random.Random) -> CommercialContext:
        users = {u.pk: u for u in run.users.values()}
        zone = user_zone(None)  # the installation's (Europe/Sofia unless configured)
        ctx = cls(rng=rng, now=run.now, today=run.now.astimezone(zone).date(), zone=zone,
                  users=users)
        for user in users.values():
            if user.role == Role.ADMINISTRATOR and ctx.admin is None:
                ctx.admin = user
            elif user.role == Role.HEAD_OF_SALES and ctx.head is None:
                ctx.head = user
            elif user.role == Role.DEPARTMENT and user.department is not None:
                if user.department.kind == DepartmentKind.LOGISTICS and ctx.logistics is None:
                    ctx.logistics = user
                elif user.department.kind == DepartmentKind.FINANCE and ctx.finance is None:
                    ctx.finance = user
        ctx.products = list(Product.objects.filter(active=True).select_related("line")
                            .order_by("code"))
        for product in ctx.products:
            ctx.by_line.setdefault(product.line.name if product.line else "", []).append(product)
        return ctx

    def owner_of(self, user_id: int | None) -> User | None:
        user = self.users.get(user_id) if user_id else None
        if user is None or not user.is_active or user.role not in (
                Role.ACCOUNT_MANAGER, Role.KEY_ACCOUNT_MANAGER, Role.HEAD_OF_SALES):
            return None
        return user

    def at(self, day: dt.date, hour: int | None = None) -> dt.datetime:
        """A moment of the working day `day` (local time), never after now."""
        hour = hour if hour is not None else self.rng.randint(9, 16)
        moment = dt.datetime.combine(day, dt.time(hour, self.rng.choice((0, 10, 20, 30, 45))),
                                     tzinfo=self.zone)
        return min(moment, self.now - dt.timedelta(minutes=5))

    def between(self, start: dt.datetime, end: dt.datetime, low: float = 0.1,
                high: float = 0.9) -> dt.datetime:
        return start + (end - start) * self.rng.uniform(low, high)

    # -- lines
    def products_for(self, deal: Deal | None, count: int) -> list[Product]:
        """Products of the lines the deal's client is interested in (else any)."""
        wanted: list[Product] = []
        for interest in (deal.products if deal is not None else []) or []:
            stem = str(interest).lower()[:5]
            for line, products in self.by_line.items():
                if stem and any(word.lower()[:5] == stem for word in line.split()):
                    wanted.extend(products)
        pool = wanted if len(wanted) >= count else self.products
        return self.rng.sample(pool, min(count, len(pool)))

    def quantity(self, product: Product, scale: int = 1) -> Decimal:
        return D(self.rng.choice(QUANTITIES.get(product.unit, (1, 2, 5))) * scale)

    def line_requests(self, deal: Deal | None, *, count: int | None = None, scale: int = 1,
                      discount: Decimal | None = None) -> list[LineRequest]:
        count = count or self.rng.choice((1, 2, 2, 3, 3, 4))
        lines = []
        for product in self.products_for(deal, count):
            manual = D(0)
            if self.rng.random() < 0.25:
                manual = D(self.rng.choice((2, 3, 5)))
            lines.append(LineRequest(product_id=product.pk, quantity=self.quantity(product, scale),
                                     manual_discount=manual))
        if discount is not None and lines:  # the first line's discount, above the limit
            first = lines[0]
            lines[0] = LineRequest(first.product_id, first.quantity, discount, first.description)
        return lines


@dataclass
class Accepted:
    """An offer the client accepted: a contract is made from it (contracts/demo.py)."""

    offer: Offer
    deal: Deal
    at: dt.datetime
    historical: bool  # a won deal's offer (months ago), else a current one of an open deal


class OfferDemo:
    def __init__(self, ctx: CommercialContext) -> None:
        self.ctx = ctx
        self.reasons = list(Reason.objects.filter(kind=Reason.Kind.OFFER_REJECTED, active=True))
        self.limit = pricing_policy().max_manual_discount
        # The day each offer was priced; its validity (30 days from then) is dated back once its
        # story is told (the services refuse to send or accept an expired offer).
        self.priced_on: dict[int, dt.date] = {}

    def batch(self, company_ids: list[int]) -> list[Accepted]:
        """Offers for the deals of these companies (within the run's quotas)."""
        ctx = self.ctx
        accepted: list[Accepted] = []
        if not ctx.products or not company_ids or all(
                ctx.given[kind] >= QUOTA[kind] for kind in ("open", "won", "lost")):
            return accepted
        deals = (Deal.objects.filter(company_id__in=company_ids)
                 .select_related("stage", "company", "owner", "pipeline")
                 .prefetch_related("stage__rules").order_by("pk"))
        for deal in deals:
            owner = ctx.owner_of(deal.owner_id)
            if owner is None:
                continue
            try:
                if deal.status == StageOutcome.OPEN:
                    rules = {r.requirement for r in deal.stage.rules.all()}
                    if Requirement.AMOUNT in rules and ctx.given["open"] < QUOTA["open"]:
                        ctx.given["open"] += 1
                        accepted += self._open(deal, owner)
                elif deal.status == StageOutcome.WON and ctx.given["won"] < QUOTA["won"]:
                    ctx.given["won"] += 1
                    accepted += self._won(deal, owner)
                elif deal.status == StageOutcome.LOST and ctx.given["lost"] < QUOTA["lost"] \
                        and ctx.rng.random() < 0.5:
                    ctx.given["lost"] += 1
                    self._lost(deal, owner)
            except DomainError:  # a deal the services refuse (e.g. a product since withdrawn)
                continue
        for pk, day in self.priced_on.items():
            Offer.objects.filter(pk=pk).update(pricing_date=day,
                                               valid_until=day + dt.timedelta(days=30))
        for item in accepted:
            item.offer.refresh_from_db()
        self.priced_on.clear()
        return accepted

    # -- the outcomes
    def _outcome(self, deal: Deal) -> str:
        ctx = self.ctx
        n = ctx.given["open"] - 1
        outcome = SCRIPT[n] if n < len(SCRIPT) else ctx.rng.choices(
            list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        if outcome == "accepted":
            usual = dt.timedelta(days=deal.stage.usual_days or 14)
            stuck = deal.stage_entered_at is not None and ctx.now - deal.stage_entered_at > usual
            if stuck or ctx.given["accepted_open"] >= QUOTA["accepted_open"]:
                outcome = "sent"  # a deal stuck in its stage stays stuck ("My day" shows it)
            else:
                ctx.given["accepted_open"] += 1
        return outcome

    def _open(self, deal: Deal, owner: User) -> list[Accepted]:
        ctx = self.ctx
        outcome = self._outcome(deal)
        since = max(deal.stage_entered_at or deal.created_at, ctx.now - dt.timedelta(days=24))
        created = ctx.between(since, ctx.now, 0.05, 0.4)
        discount = None
        if outcome in ("pending_approval", "approved_sent"):
            discount = self.limit + D(5)
        offer = self._create(deal, owner, created, ctx.line_requests(
            deal, discount=discount, scale=ctx.rng.choice((1, 2, 4, 6, 10))))
        if outcome == "draft":
            return []
        if outcome == "pending_approval":
            ctx.counts["offers waiting for approval"] += 1
            return []
        if outcome == "approved_sent":
            decided = ctx.between(created, ctx.now, 0.1, 0.3)
            with happened_at(decided):
                offer = approval.offer_approve(actor=self._approver(offer), offer=offer,
                                               comment=ctx.rng.choice(APPROVAL_COMMENTS))
            Offer.objects.filter(pk=offer.pk).update(approval_decided_at=decided)
        sent = ctx.between(created, ctx.now, 0.3, 0.6)
        offer = self._send(offer, owner, sent)
        if outcome in ("v2_sent", "v2_rejected"):
            offer = self._second_version(offer, deal, owner, sent)
            if outcome == "v2_rejected":
                self._reject(offer, owner, ctx.between(offer.sent_at or sent, ctx.now, 0.4, 0.9))
            return []
        if outcome == "rejected":
            self._reject(offer, owner, ctx.between(sent, ctx.now, 0.4, 0.9))
        elif outcome == "accepted":
            decided = ctx.between(sent, ctx.now, 0.4, 0.9)
            return [self._accept(offer, deal, owner, decided, historical=False)]
        return []

    def _won(self, deal: Deal, owner: User) -> list[Accepted]:
        """The offer accepted before the deal was won (v2 now and then)."""
        ctx = self.ctx
        closed = deal.closed_at or ctx.now
        decided = max(closed - dt.timedelta(days=ctx.rng.uniform(0.5, 3)), deal.created_at)
        created = max(decided - dt.timedelta(days=ctx.rng.uniform(6, 25)), deal.created_at)
        sent = ctx.between(created, decided, 0.1, 0.3)
        with _reopened(deal):
            offer = self._create(deal, owner, created, ctx.line_requests(
                deal, count=ctx.rng.choice((2, 3, 4)), scale=ctx.rng.choice((4, 6, 10))))
            offer = self._send(offer, owner, sent)
            if ctx.rng.random() < 0.25:
                offer = self._second_version(offer, deal, owner, sent, until=decided)
        return [self._accept(offer, deal, owner, decided, historical=True)]

    def _lost(self, deal: Deal, owner: User) -> None:
        ctx = self.ctx
        closed = deal.closed_at or ctx.now
        decided = max(closed - dt.timedelta(days=ctx.rng.uniform(0.5, 4)), deal.created_at)
        created = max(decided - dt.timedelta(days=ctx.rng.uniform(5, 20)), deal.created_at)
        with _reopened(deal):
            offer = self._create(deal, owner, created, ctx.line_requests(deal))
        offer = self._send(offer, owner, ctx.between(created, decided, 0.1, 0.4))
        self._reject(offer, owner, decided)

    # -- the steps, each through its service, then dated when it happened
    def _create(self, deal: Deal, owner: User, at: dt.datetime, lines: list[LineRequest]) -> Offer:
        ctx = self.ctx
        data = {"introduction": ctx.rng.choice(INTRODUCTIONS), "terms": ctx.rng.choice(TERMS)}
        with happened_at(at):
            offer = services.offer_create(actor=owner, deal=deal, data=data, lines=lines)
        Offer.objects.filter(pk=offer.pk).update(
            created_at=at, updated_at=at,
            approval_requested_at=at if offer.approval_requested_at else None)
        offer.refresh_from_db()
        self.priced_on[offer.pk] = at.astimezone(ctx.zone).date()
        ctx.counts["offers"] += 1
        return offer

    def _send(self, offer: Offer, owner: User, at: dt.datetime) -> Offer:
        with happened_at(at):
            offer = flow.offer_send(actor=owner, offer=offer)
        Offer.objects.filter(pk=offer.pk).update(sent_at=at, updated_at=at)
        offer.sent_at = at
        return offer

    def _second_version(self, offer: Offer, deal: Deal, owner: User, sent: dt.datetime, *,
                        until: dt.datetime | None = None) -> Offer:
        """The client asked for better terms: version 2 (a little more discount), sent."""
        ctx = self.ctx
        end = until or ctx.now
        made = ctx.between(sent, end, 0.2, 0.5)
        with happened_at(made):
            new = services.offer_new_version(actor=owner, offer=offer)
            lines = [LineRequest(r.product_id, r.quantity,
                                 min(r.manual_discount + D(2), self.limit), r.description)
                     for r in _requests(new)]
            new = services.offer_set_lines(actor=owner, offer=new, lines=lines)
        Offer.objects.filter(pk=new.pk).update(created_at=made, updated_at=made)
        new.refresh_from_db()
        self.priced_on[new.pk] = made.astimezone(ctx.zone).date()
        ctx.counts["offers"] += 1
        return self._send(new, owner, ctx.between(made, end, 0.1, 0.4))

    def _reject(self, offer: Offer, owner: User, at: dt.datetime) -> None:
        ctx = self.ctx
        if not self.reasons:
            return
        with happened_at(at):
            flow.offer_reject(actor=owner, offer=offer, reason=ctx.rng.choice(self.reasons),
                              comment=ctx.rng.choice(REJECTION_COMMENTS))
        Offer.objects.filter(pk=offer.pk).update(decided_at=at, updated_at=at)

    def _accept(self, offer: Offer, deal: Deal, owner: User, at: dt.datetime, *,
                historical: bool) -> Accepted:
        with happened_at(at):
            result = flow.offer_accept(actor=owner, offer=offer)
        Offer.objects.filter(pk=offer.pk).update(decided_at=at, updated_at=at)
        if result.deal_move.moved:
            _date_last_move(deal.pk, at)
        offer.refresh_from_db()
        self.ctx.counts["accepted offers"] += 1
        return Accepted(offer=offer, deal=deal, at=at, historical=historical)

    def _approver(self, offer: Offer) -> User:
        """Who decides the discount by the rule (a head of sales never decides their own)."""
        for user in approval.approvers(offer):
            if approval.may_approve(user, offer):
                return user
        approver = self.ctx.admin or self.ctx.head
        assert approver is not None
        return approver


def _requests(offer: Offer) -> list[LineRequest]:
    return [LineRequest(line.product_id, line.quantity, line.manual_discount, line.description)
            for line in offer.lines.order_by("position", "pk")]


class _reopened:
    """The deal open for the moment an offer is made for it (the services make offers for open
    deals only), then closed again exactly as it was."""

    def __init__(self, deal: Deal) -> None:
        self.deal = deal

    def __enter__(self) -> None:
        Deal.objects.filter(pk=self.deal.pk).update(status=StageOutcome.OPEN)

    def __exit__(self, *exc: object) -> None:
        Deal.objects.filter(pk=self.deal.pk).update(status=self.deal.status)


def _date_last_move(deal_id: int, at: dt.datetime) -> None:
    """Accepting moved the deal on today: date the move when the client accepted."""
    changes = list(DealStageChange.objects.filter(deal_id=deal_id).order_by("-at", "-pk")[:2])
    if len(changes) < 2 or changes[1].at >= at:
        return
    last, before = changes
    DealStageChange.objects.filter(pk=last.pk).update(
        at=at, seconds_in_from=int((at - before.at).total_seconds()))
    Deal.objects.filter(pk=deal_id).update(stage_entered_at=at)


def demo_offers(ctx: CommercialContext, company_ids: list[int]) -> list[Accepted]:
    demo = ctx.state.get("offers")
    if demo is None:
        demo = ctx.state["offers"] = OfferDemo(ctx)
    return demo.batch(company_ids)
