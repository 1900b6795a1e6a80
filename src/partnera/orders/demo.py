"""Demo commercial cycle (`partnera demo`): for every batch of demo companies, after their deals
(activities/demo.py) and the catalog (catalog/demo.py), the offers of their deals
(sales/offers/demo.py), the contracts made from the accepted ones (contracts/demo.py) and here
the clients' orders over the last nine months with their deliveries.

Orders go through the order services (order_create → confirm → start → deliveries → close, or
cancel), so that numbers, prices, totals, delivered quantities, completion days and statuses are
exactly what the services keep; the services date their work today, and the demo moves the dates
back to when it happened (clients.demo.happened_at). Most orders came on time and in full, some
late, some in two deliveries, a few were cancelled or closed short, and the recent ones are still
open — a few of them already late, so that the account managers' and logistics' "My day" shows
them and the OTIF and repeat-order figures look like a real business's. Whatever the day of the
run, every account manager with a client of two days or more gets one open late order: the first
of their orders due in the last month, else one more order of such a client, due just before
today.

Everything is made one record at a time by the services, so each run makes at most a bounded
number of them (the quotas below), whatever `--companies` says: a million companies get the same
few hundred offers, contracts and orders as the first batches — the demo's speed stays the bulk
writer's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections import Counter
from decimal import Decimal
from typing import Any

from partnera.clients.demo import happened_at
from partnera.core.errors import DomainError
from partnera.orders import services
from partnera.orders.models import Delivery, Order
from partnera.people.models import User
from partnera.sales.offers.demo import CommercialContext, demo_offers

D = Decimal
HISTORY_DAYS = 270  # nine months of orders
ORDER_CLIENTS = 22  # clients with orders per run (beside those with a demo contract)
CLIENTS_PER_OWNER = 3
LATE_PER_OWNER = 1  # an open late order each account manager gets first ("My day")
LATE_DAYS = 30  # how far back that late order's promised date may be
LEADS = (3, 5, 5, 7, 7, 10, 14)  # days from receiving an order to the date asked for
# What became of an order already due, by weight.
OUTCOMES = {"otif": 84, "late": 5, "partial": 5, "short": 2, "cancelled": 3, "open_late": 1}
CANCEL_REASONS = ["Клиентът поръча от друг доставчик.", "Дублирана поръчка.",
                  "Проектът на клиента е отложен."]
SHORT_REASONS = ["Продуктът е спрян от производство; клиентът не желае заместител.",
                 "Клиентът се отказа от остатъка."]
NOTES = ["Доставка до склада, рампа 3.", "Разтоварване след 10:00 ч.", "", "", ""]


class OrderDemo:
    def __init__(self, ctx: CommercialContext) -> None:
        self.ctx = ctx
        self.owners: Counter = Counter()  # clients with orders per owner
        self.late: Counter = Counter()  # open late orders per owner
        self.clients = 0
        # The rare outcomes come first (then as they fall), so every run, whatever the day,
        # shows each state at least once.
        self.rare = ["cancelled", "short", "partial", "late"]

    def batch(self, companies: list[dict[str, Any]], in_force: list) -> None:
        ctx = self.ctx
        if not ctx.products:
            return
        contracts = {item.contract.company_id: item for item in in_force}
        for company in companies:
            owner = ctx.owner_of(company.get("owner_id"))
            if owner is None:
                continue
            item = contracts.get(company["id"])
            if item is None:
                if (company.get("stage") != "active" or self.clients >= ORDER_CLIENTS
                        or self.owners[owner.pk] >= CLIENTS_PER_OWNER):
                    continue
                self.clients += 1
                self.owners[owner.pk] += 1
            self._client(company, owner, item)

    # -- one client
    def _client(self, company: dict[str, Any], owner: User, item) -> None:
        ctx, rng = self.ctx, self.ctx.rng
        first = ctx.today - dt.timedelta(days=HISTORY_DAYS)
        created = company.get("created_at")
        if created is not None:
            first = max(first, created.astimezone(ctx.zone).date() + dt.timedelta(days=1))
        if item is not None:
            first = max(first, item.start)
            count = rng.randint(3, 7)
        else:
            count = rng.choices((1, 2, 3, 4, 6), weights=(30, 25, 20, 15, 10))[0]
        span = (ctx.today - first).days
        if span < 1:
            return
        count = min(count, span)
        days = sorted(first + dt.timedelta(days=rng.randint(0, span - 1)) for _i in range(count))
        favourites = ctx.products_for(None, rng.randint(3, 6))
        for number, received in enumerate(days):
            try:
                self._order(company, owner, item, received, favourites,
                            from_offer=item is not None and number == 0)
            except DomainError:
                continue
        if self.late[owner.pk] < LATE_PER_OWNER and span >= 2:
            # None of their orders so far fell due in the last month: one more, due before today.
            received = ctx.today - dt.timedelta(days=rng.randint(2, min(span, LATE_DAYS)))
            lead = min(rng.choice(LEADS), (ctx.today - received).days - 1)
            with contextlib.suppress(DomainError):
                self._order(company, owner, item, received, favourites, from_offer=False,
                            lead=lead)

    def _lines(self, favourites: list, requested: dt.date) -> list[dict[str, Any]]:
        rng = self.ctx.rng
        picked = rng.sample(favourites, min(len(favourites), rng.choice((1, 1, 2, 2, 3))))
        lines: list[dict[str, Any]] = []
        for product in picked:
            lines.append({"product": product.pk, "quantity": self.ctx.quantity(product),
                          "promised_date": requested})
        if len(lines) > 1 and rng.random() < 0.15:  # one line promised a week later
            lines[-1]["promised_date"] = requested + dt.timedelta(days=7)
        return lines

    def _order(self, company: dict[str, Any], owner: User, item, received: dt.date,
               favourites: list, *, from_offer: bool, lead: int | None = None) -> None:
        ctx, rng = self.ctx, self.ctx.rng
        requested = received + dt.timedelta(days=lead if lead is not None else rng.choice(LEADS))
        data: dict[str, Any] = {"company": company["id"], "received_on": received,
                                "requested_date": requested, "note": rng.choice(NOTES),
                                "client_reference": f"PO-{rng.randint(1000, 99999)}"}
        lines = self._lines(favourites, requested)
        if item is not None:
            data["contract"] = item.contract.pk
            if from_offer and item.offer_id:
                data["offer"] = item.offer_id
                lines = self._offer_lines(item.offer_id, requested)
        created = ctx.at(received)
        with happened_at(created):
            order = services.order_create(actor=owner, data=data, lines=lines)
        Order.objects.filter(pk=order.pk).update(created_at=created, updated_at=created)
        ctx.counts["orders"] += 1
        self._lifecycle(order, owner, received, requested)

    def _offer_lines(self, offer_id: int, requested: dt.date) -> list[dict[str, Any]]:
        """The accepted offer's lines, a first call-off of its volume."""
        from partnera.sales.models import OfferLine

        rng = self.ctx.rng
        return [{"offer_line": line.pk, "promised_date": requested,
                 "quantity": max(D(1), (line.quantity / rng.choice((4, 5, 6))).quantize(D(1)))}
                for line in OfferLine.objects.filter(offer_id=offer_id).order_by("position")]

    # -- what became of it
    def _outcome(self, owner: User, requested: dt.date) -> str:
        ctx = self.ctx
        if requested >= ctx.today:
            return "open"
        recent = requested >= ctx.today - dt.timedelta(days=LATE_DAYS)
        if recent and self.late[owner.pk] < LATE_PER_OWNER:
            return "open_late"
        outcome = ctx.rng.choices(list(OUTCOMES), weights=list(OUTCOMES.values()))[0]
        if self.rare and not recent:
            outcome = self.rare.pop(0)
        if outcome == "open_late" and not recent:
            outcome = "otif"
        return outcome

    def _lifecycle(self, order: Order, owner: User, received: dt.date, requested: dt.date) -> None:
        ctx, rng = self.ctx, self.ctx.rng
        outcome = self._outcome(owner, requested)
        if outcome == "open" and rng.random() < 0.2:
            return  # just received
        if outcome == "cancelled":
            self._cancel(order, owner, received)
            return
        confirmed = min(received + dt.timedelta(days=rng.choice((0, 0, 1))), ctx.today)
        with happened_at(ctx.at(confirmed, 9)):
            services.order_confirm(actor=owner, order=order)
        if outcome == "open" and rng.random() < 0.4:
            return
        fulfil = self.ctx.logistics or owner
        started = min(confirmed + dt.timedelta(days=rng.choice((0, 1))), ctx.today)
        if rng.random() < 0.5:  # logistics marks it in fulfilment (else the delivery does)
            with happened_at(ctx.at(started, 11)):
                services.order_start(actor=fulfil, order=order)
        lines = list(order.lines.order_by("position"))
        latest = max(line.promised_date for line in lines)
        part = self._part(lines)
        if outcome in ("partial", "short") and not part:
            outcome = "otif"  # lines of one unit each: it came whole
        if outcome == "open":
            if part and received + dt.timedelta(days=2) <= ctx.today and rng.random() < 0.3:
                self._deliver(order, fulfil, lines, part, received, ctx.today)
            return
        if outcome == "open_late":
            self.late[owner.pk] += 1
            if part and rng.random() < 0.5:
                self._deliver(order, fulfil, lines, part, started, requested)
            return
        if outcome == "otif":
            last = self._deliver(order, fulfil, lines, None, started,
                                 min(requested, ctx.today))
        elif outcome == "late":
            day = latest + dt.timedelta(days=rng.randint(1, 12))
            if day >= ctx.today:  # not delivered yet: late
                return
            last = self._deliver(order, fulfil, lines, None, day, day)
        else:  # partial, short: a first delivery on time with part of it
            first = self._deliver(order, fulfil, lines, part, started, requested)
            if outcome == "short":
                closed = min(first + dt.timedelta(days=rng.randint(5, 20)), ctx.today)
                with happened_at(ctx.at(closed, 16)):
                    services.order_close(actor=owner, order=order, reason=rng.choice(SHORT_REASONS))
                Order.objects.filter(pk=order.pk).update(closed_at=ctx.at(closed, 16))
                return
            day = latest + dt.timedelta(days=rng.randint(2, 15))
            if day >= ctx.today:  # not delivered yet: late
                return
            order.refresh_from_db(fields=["status", "version"])
            last = self._deliver(order, fulfil, list(order.lines.order_by("position")), None,
                                 day, day)
        if last <= ctx.today - dt.timedelta(days=14):
            closed = min(last + dt.timedelta(days=rng.randint(3, 10)), ctx.today)
            with happened_at(ctx.at(closed, 17)):
                services.order_close(actor=owner, order=order)
            Order.objects.filter(pk=order.pk).update(closed_at=ctx.at(closed, 17))

    def _part(self, lines: list) -> dict[int, Decimal]:
        """Part of the order: 40–80 % of each line (a line of one unit waits whole)."""
        rng = self.ctx.rng
        part = {}
        for line in lines:
            quantity = (line.quantity * D(rng.uniform(0.4, 0.8))).quantize(D(1))
            if D(1) <= quantity < line.quantity:
                part[line.pk] = quantity
        return part

    def _deliver(self, order: Order, actor: User, lines: list, part: dict[int, Decimal] | None,
                 earliest: dt.date, latest: dt.date) -> dt.date:
        """One delivery on a day between `earliest` and `latest` (not after today): the whole
        remainder of each line, or `part` of it. Returns the day."""
        ctx, rng = self.ctx, self.ctx.rng
        latest = min(max(latest, earliest), ctx.today)
        day = earliest + dt.timedelta(days=rng.randint(0, max((latest - earliest).days, 0)))
        day = min(day, ctx.today)
        if part is not None:
            carried = [(pk, quantity) for pk, quantity in part.items()]
        else:
            carried = [(line.pk, line.quantity - line.delivered_quantity) for line in lines
                       if line.quantity > line.delivered_quantity]
        if not carried:
            return day
        at = ctx.at(day, rng.randint(10, 16))
        with happened_at(at):
            delivery = services.delivery_record(
                actor=actor, order=order, delivered_on=day, lines=carried,
                document_number=f"ЕН-{rng.randint(100000, 999999)}")
        Delivery.objects.filter(pk=delivery.pk).update(created_at=at)
        ctx.counts["deliveries"] += 1
        return day

    def _cancel(self, order: Order, owner: User, received: dt.date) -> None:
        ctx = self.ctx
        day = min(received + dt.timedelta(days=ctx.rng.randint(0, 3)), ctx.today)
        at = ctx.at(day, 15)
        with happened_at(at):
            services.order_cancel(actor=owner, order=order, reason=ctx.rng.choice(CANCEL_REASONS))
        Order.objects.filter(pk=order.pk).update(closed_at=at)


def demo_batch(companies: list[dict[str, Any]], contacts: list[dict[str, Any]], run) -> None:
    """The hook clients/demo.py calls for every batch of demo companies (same transaction), after
    the sales cycle and the catalog hooks."""
    from partnera.contracts.demo import demo_contracts

    ctx = run.state.get("commercial")
    if ctx is None:
        from partnera.catalog.demo import ensure_catalog

        ensure_catalog(run)
        seed = run.seed if run.seed is not None else companies[0]["id"] if companies else 0
        ctx = CommercialContext.for_run(run, random.Random(f"commercial-{seed}"))  # noqa: S311
        ctx.state["orders"] = OrderDemo(ctx)
        run.state["commercial"] = ctx
    before = Counter(ctx.counts)
    accepted = demo_offers(ctx, [c["id"] for c in companies])
    in_force = demo_contracts(ctx, accepted)
    orders: OrderDemo = ctx.state["orders"]
    orders.batch(companies, in_force)
    for name, count in (ctx.counts - before).items():
        run.result.extra[name] = run.result.extra.get(name, 0) + count
