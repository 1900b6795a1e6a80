"""Demo sales cycle: for each batch of demo companies, their deals (sales/demo.py) and the
activities around them and around the clients — calls, meetings, visits, presentations, tasks and
e-mails in the past (done, with outcomes; a few cancelled) and ahead (today, this week, later),
a few overdue — written in bulk beside the companies (clients/demo.py calls `demo_batch` for
every batch, in the batch's transaction).

The derived values are filled as the activity services keep them (activities/services.py):
`Deal.next_activity_at` is the start of the deal's earliest planned activity, and
`CompanyContact.last_at` the start of the company's latest done call, meeting, visit,
presentation or e-mail (test_demo checks both against the activities).

So that the first login shows a lively "My day", each salesperson's first companies of a run
get what every panel shows: calls and meetings today (some already done), overdue tasks, deals
without a next activity, deals stuck in their stage, key accounts not contacted for a while.
After those, the rates are the steady ones (≈0.1 deal and ≈1 activity per company), so a million
companies give about a hundred thousand deals and a million activities.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from partnera.activities.models import (
    CONTACT_KINDS,
    Activity,
    ActivityKind,
    ActivityStatus,
    CompanyContact,
)
from partnera.clients.demo import insert_rows, reserve_ids
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.sales.demo import DealGenerator, DealPlan, load_pipelines, lost_reason_ids
from partnera.sales.models import Deal, DealContact, DealStageChange

SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")

SUBJECTS: dict[str, list[str]] = {
    ActivityKind.CALL: ["Обаждане за обратна връзка по офертата", "Уточняване на поръчката",
                        "Покана за изложението в Пловдив", "Проверка на удовлетвореността",
                        "Уговаряне на среща", "Обаждане до снабдяването", "Въпроси по доставката",
                        "Обаждане след презентацията"],
    ActivityKind.MEETING: ["Среща за годишния договор", "Преговори по цените",
                           "Среща с търговския директор", "Обсъждане на проекта на договор",
                           "Тримесечен преглед на сътрудничеството", "Среща за нуждите им"],
    ActivityKind.VISIT: ["Посещение на обекта", "Посещение в склада им",
                         "Посещение в централата"],
    ActivityKind.PRESENTATION: ["Презентация на продуктовата гама",
                                "Демонстрация пред екипа по снабдяване",
                                "Представяне на новата колекция"],
    ActivityKind.TASK: ["Подготвяне на оферта", "Изпращане на мостри", "Проект на договор",
                        "Актуализиране на ценовата листа", "Справка за просрочените плащания",
                        "Подготовка за срещата", "Изпращане на каталога"],
    ActivityKind.EMAIL: ["Изпратена оферта", "Потвърждение на поръчката",
                         "Отговор на запитването", "Изпратени условия за отстъпки"],
}
OUTCOMES = [
    "Клиентът потвърди интерес; изпращаме оферта до петък.",
    "Договорихме пробна доставка до края на месеца.",
    "Искат по-дълъг срок на плащане — да се съгласува с финансите.",
    "Решението се отлага за следващото тримесечие.",
    "Приеха офертата по принцип, остава договорът.",
    "Поискаха мостри и каталог.",
    "Оплакаха се от закъсняла доставка; уведомихме логистиката.",
    "Положителна обратна връзка, да се обадим след две седмици.",
]
AGENDAS = ["1. Обем и цени\n2. Срокове на доставка\n3. Следващи стъпки",
           "Представяне на новите продукти и условията за отстъпки.",
           "Обсъждане на проекта на договор и спорните клаузи.", ""]
PLACES = ["В офиса на клиента", "Нашият офис, зала „Витоша“", "Склад на клиента", ""]
DURATIONS: dict[str, tuple[int | None, ...]] = {
    ActivityKind.CALL: (10, 15, 20, 30), ActivityKind.MEETING: (45, 60, 90),
    ActivityKind.VISIT: (60, 90, 120), ActivityKind.PRESENTATION: (60, 90),
    ActivityKind.TASK: (None, 30, 60), ActivityKind.EMAIL: (None,)}
# Steady rates per company (after the lively first companies of each salesperson).
DEAL_RATE = {"standard": 0.07, "corporate": 0.15, "key_account": 0.35}
CLIENT_ACTIVITIES = {"standard": (0, 0, 0, 1, 1), "corporate": (0, 1, 1, 2, 3),
                     "key_account": (2, 3, 3, 4, 5)}
# The lively start: what each salesperson's first companies of a run get.
QUOTA = {"deals": 12, "open_deals": 7, "today": 4, "overdue": 3, "no_next": 2, "stuck": 2, "silent_key": 2,
         "lost": 1}
TODAY_SLOTS = [(9, 0), (10, 30), (12, 0), (14, 0), (15, 30), (17, 0)]


@dataclass
class Person:
    id: int
    team_id: int | None
    role: str
    zone: dt.tzinfo = SOFIA


@dataclass
class _Rows:
    deals: list[DealPlan] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)  # participant colleagues
    contacts: list[dict[str, Any]] = field(default_factory=list)  # participant client contacts


class SalesCycleDemo:
    """Generates and writes the sales cycle of batches of companies (plain dicts with id,
    owner_id, team_id, tier, stage, created_at; contacts with id and company_id)."""

    def __init__(self, *, rng: random.Random, now: dt.datetime | None = None,
                 people: Iterable[Person] = (), channel: str = "system") -> None:
        self.rng = rng
        self.now = now or timezone.now()
        self.people = {p.id: p for p in people}
        self.heads = [p for p in self.people.values() if p.role == Role.HEAD_OF_SALES]
        self.by_team: dict[int | None, list[Person]] = defaultdict(list)
        for p in self.people.values():
            if p.role in (Role.ACCOUNT_MANAGER, Role.KEY_ACCOUNT_MANAGER):
                self.by_team[p.team_id].append(p)
        self.deals = DealGenerator(rng, self.now, load_pipelines(), lost_reason_ids())
        self.given: dict[int, Counter] = defaultdict(Counter)  # per owner: quota used
        self.channel = channel
        self.counts: Counter = Counter()

    # -- times
    def _zone(self, owner_id: int) -> dt.tzinfo:
        person = self.people.get(owner_id)
        return person.zone if person else SOFIA

    def _work_time(self, day: dt.date, zone: dt.tzinfo) -> dt.datetime:
        hour, minute = self.rng.choice(TODAY_SLOTS)
        minute += self.rng.choice((0, 0, 15, 30)) if minute == 0 else 0
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone).astimezone(dt.UTC)

    def _workday(self, moment: dt.datetime, zone: dt.tzinfo) -> dt.date:
        day = moment.astimezone(zone).date()
        while day.weekday() >= 5:
            day -= dt.timedelta(days=1)
        return day

    def _past(self, since: dt.datetime | None, zone: dt.tzinfo, *, within_days: float = 720
              ) -> dt.datetime:
        start = max(since or self.now - dt.timedelta(days=within_days),
                    self.now - dt.timedelta(days=within_days))
        span = max((self.now - start).total_seconds(), 3600)
        moment = self.now - dt.timedelta(seconds=span * self.rng.random() ** 1.6)
        at = self._work_time(self._workday(moment, zone), zone)
        if at >= self.now:  # later today: the working day before
            at = self._work_time(self._workday(moment - dt.timedelta(days=1), zone), zone)
        return at

    def _ahead(self, zone: dt.tzinfo, *, days: int) -> dt.datetime:
        moment = self.now + dt.timedelta(days=self.rng.uniform(1, days))
        day = moment.astimezone(zone).date()
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        return self._work_time(day, zone)

    # -- one activity
    def _activity(self, *, kind: str, owner_id: int, company: dict[str, Any], at: dt.datetime,
                  status: str, deal: DealPlan | None = None,
                  contacts: list[dict] | None = None) -> dict:
        rng = self.rng
        duration = rng.choice(DURATIONS[kind])
        person = self.people.get(owner_id)
        row: dict[str, Any] = {
            "kind": kind, "subject": rng.choice(SUBJECTS[kind]), "starts_at": at,
            "duration_minutes": duration, "status": status, "owner_id": owner_id,
            "team_id": person.team_id if person else company.get("team_id"),
            "company_id": company["id"], "deal_id": None, "created_by_id": owner_id,
            "private": kind in (ActivityKind.CALL, ActivityKind.MEETING) and rng.random() < 0.03,
            "place": rng.choice(PLACES) if kind in (ActivityKind.MEETING, ActivityKind.VISIT,
                                                    ActivityKind.PRESENTATION) else "",
            "agenda": rng.choice(AGENDAS) if kind != ActivityKind.EMAIL else "",
            "created_at": min(at, self.now) - dt.timedelta(days=rng.uniform(0.2, 10)),
        }
        if row["place"] == "" and kind == ActivityKind.MEETING and rng.random() < 0.5:
            row["online_link"] = f"https://meet.partnera.example/{rng.randrange(16**8):08x}"
        if status == ActivityStatus.DONE:
            row["completed_at"] = at + dt.timedelta(minutes=duration or 5)
            row["outcome"] = rng.choice(OUTCOMES) if kind != ActivityKind.TASK or rng.random() < 0.3 \
                else ""
            row["updated_at"] = min(row["completed_at"], self.now)
        else:
            row["updated_at"] = row["created_at"]
        if deal is not None:
            row["deal"] = deal  # its id once the deals have theirs
        row["_contacts"] = contacts or []
        return row

    def _event_kind(self, *, with_deal: bool) -> str:
        kinds: list[str] = [ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.EMAIL, ActivityKind.VISIT,
                 ActivityKind.PRESENTATION, ActivityKind.TASK]
        weights = (40, 22, 12, 8, 6, 12) if with_deal else (45, 15, 15, 10, 3, 12)
        return self.rng.choices(kinds, weights=weights)[0]

    def _people_of(self, company_contacts: list[dict], kind: str) -> list[dict]:
        if not company_contacts or kind in (ActivityKind.TASK,):
            return []
        return self.rng.sample(company_contacts, min(len(company_contacts), self.rng.randint(1, 2)))

    # -- one company
    def company(self, company: dict[str, Any], contacts: list[dict[str, Any]], rows: _Rows) -> None:
        rng = self.rng
        owner_id = company.get("owner_id")
        if owner_id is None:
            return
        zone = self._zone(owner_id)
        given = self.given[owner_id]
        tier = company.get("tier") or "standard"
        lively = given["deals"] < QUOTA["deals"]
        n_deals = (1 + (rng.random() < 0.25)) if lively else int(rng.random() < DEAL_RATE.get(tier, 0.07))
        if company.get("stage") == "lost":
            n_deals = 0
        for _i in range(n_deals):
            want = ""
            if given["stuck"] < QUOTA["stuck"]:
                want = "stuck"
            elif given["deals"] < QUOTA["open_deals"]:
                want = "open"
            elif given["lost"] < QUOTA["lost"]:
                want = "lost"  # every manager has lost one (the lost reasons report needs some)
            # the rest of the lively start comes as it comes: open, won, lost …
            plan = self.deals.deal(company, contacts, owner_id=owner_id,
                                   team_id=company.get("team_id"), want=want)
            if plan is None:
                continue
            given["deals"] += 1
            if want == "stuck":
                given["stuck"] += 1
            if plan.row["status"] == "lost":
                given["lost"] += 1
            rows.deals.append(plan)
            self._deal_activities(plan, company, contacts, rows, zone)
        self._client_activities(company, contacts, rows, zone)

    def _deal_activities(self, plan: DealPlan, company: dict, contacts: list[dict], rows: _Rows,
                         zone: dt.tzinfo) -> None:
        rng = self.rng
        owner_id = plan.row["owner_id"]
        given = self.given[owner_id]
        # The work done in the stages it passed: a call, a meeting or an e-mail in each (some).
        moments = plan.entered if plan.is_open else [*plan.entered[:-1], plan.row["closed_at"]]
        for i, entered in enumerate(moments):
            if i and rng.random() < 0.45:
                continue
            kind = self._event_kind(with_deal=True)
            at = entered + dt.timedelta(hours=rng.uniform(1, 72))
            if at >= self.now:
                at = entered + (self.now - entered) * rng.uniform(0.1, 0.9)
            at = self._work_time(self._workday(at, zone), zone)
            at = min(at, self.now - dt.timedelta(minutes=30))
            status = ActivityStatus.CANCELLED if rng.random() < 0.04 else ActivityStatus.DONE
            rows.activities.append(self._activity(kind=kind, owner_id=owner_id, company=company,
                                                  at=at, status=status, deal=plan,
                                                  contacts=self._people_of(contacts, kind)))
        if not plan.is_open:
            return
        # What comes next: a planned activity, except for the deals left without one.
        no_next = (not plan.needs_next_activity
                   and (given["no_next"] < QUOTA["no_next"] or rng.random() < 0.28))
        if no_next:
            given["no_next"] += 1
            return
        kind = self._event_kind(with_deal=True)
        if given["today"] < QUOTA["today"] and kind != ActivityKind.TASK:
            given["today"] += 1
            at = self._today(zone)
        elif rng.random() < 0.05:  # a follow-up that slipped
            kind = ActivityKind.TASK
            at = self._work_time(self._workday(self.now - dt.timedelta(days=rng.uniform(1, 9)),
                                               zone), zone)
        else:
            at = self._ahead(zone, days=rng.choice((5, 14, 30)))
        status = ActivityStatus.PLANNED
        if at < self.now and at.astimezone(zone).date() == self.now.astimezone(zone).date():
            status = ActivityStatus.DONE  # earlier today: done already (ticked in "My day")
        activity = self._activity(kind=kind, owner_id=owner_id, company=company, at=at,
                                  status=status, deal=plan, contacts=self._people_of(contacts, kind))
        self._invite(activity, rows, today=at.astimezone(zone).date() == self.now.astimezone(zone).date())
        rows.activities.append(activity)
        if status == ActivityStatus.DONE:  # still needs a next one: the follow-up
            rows.activities.append(self._activity(
                kind=ActivityKind.CALL, owner_id=owner_id, company=company,
                at=self._ahead(zone, days=10), status=ActivityStatus.PLANNED, deal=plan,
                contacts=self._people_of(contacts, ActivityKind.CALL)))

    def _today(self, zone: dt.tzinfo) -> dt.datetime:
        today = self.now.astimezone(zone).date()
        return self._work_time(today, zone)

    def _invite(self, activity: dict, rows: _Rows, *, today: bool) -> None:
        """A colleague joins some meetings: the head of sales the first ones of the day."""
        if activity["kind"] not in (ActivityKind.MEETING, ActivityKind.VISIT,
                                    ActivityKind.PRESENTATION):
            return
        if today and self.heads and self.given[self.heads[0].id]["today"] < 3:
            self.given[self.heads[0].id]["today"] += 1
            activity["_users"] = [self.heads[0].id]
        elif self.rng.random() < 0.15:
            owner = self.people.get(activity["owner_id"])
            mates = [p.id for p in self.by_team.get(owner.team_id if owner else None, [])
                     if p.id != activity["owner_id"]]
            if mates:
                activity["_users"] = [self.rng.choice(mates)]

    def _client_activities(self, company: dict, contacts: list[dict], rows: _Rows,
                           zone: dt.tzinfo) -> None:
        """Contact with the client outside any deal: past calls and visits, the odd one ahead."""
        rng = self.rng
        owner_id = company["owner_id"]
        given = self.given[owner_id]
        tier = company.get("tier") or "standard"
        count = rng.choice(CLIENT_ACTIVITIES.get(tier, CLIENT_ACTIVITIES["standard"]))
        silent = tier == "key_account" and given["silent_key"] < QUOTA["silent_key"]
        if silent:
            given["silent_key"] += 1
        elif tier == "key_account" and rng.random() < 0.75:
            # Most key accounts hear from their manager within the cadence: one recent contact.
            kind: str = rng.choice([ActivityKind.CALL, ActivityKind.CALL, ActivityKind.MEETING,
                               ActivityKind.VISIT])
            rows.activities.append(self._activity(
                kind=kind, owner_id=owner_id, company=company,
                at=self._past(None, zone, within_days=12), status=ActivityStatus.DONE,
                contacts=self._people_of(contacts, kind)))
        for _i in range(count):
            kind = self._event_kind(with_deal=False)
            since = company.get("created_at")
            # The silent key accounts: their last contact weeks ago (or never).
            at = self._past(since, zone, within_days=720)
            if silent:
                at = min(at, self.now - dt.timedelta(days=rng.uniform(20, 60)))
            status = ActivityStatus.CANCELLED if rng.random() < 0.04 else ActivityStatus.DONE
            rows.activities.append(self._activity(kind=kind, owner_id=owner_id, company=company,
                                                  at=at, status=status,
                                                  contacts=self._people_of(contacts, kind)))
        roll = rng.random()
        if given["overdue"] < QUOTA["overdue"]:
            given["overdue"] += 1
            roll = 0.09  # the lively start: a task that slipped
        if roll < 0.08 and not silent:  # something planned ahead with the client
            kind = rng.choice([ActivityKind.CALL, ActivityKind.VISIT, ActivityKind.TASK])
            rows.activities.append(self._activity(
                kind=kind, owner_id=owner_id, company=company, at=self._ahead(zone, days=21),
                status=ActivityStatus.PLANNED, contacts=self._people_of(contacts, kind)))
        elif roll < 0.1:  # a task that slipped
            rows.activities.append(self._activity(
                kind=ActivityKind.TASK, owner_id=owner_id, company=company,
                at=self._past(None, zone, within_days=21), status=ActivityStatus.PLANNED))

    # -- a batch
    def batch(self, companies: list[dict[str, Any]], contacts: list[dict[str, Any]]) -> Counter:
        """Generate and write the sales cycle of these companies (already written, with ids)."""
        by_company: dict[int, list[dict]] = defaultdict(list)
        for c in contacts:
            by_company[c["company_id"]].append(c)
        rows = _Rows()
        for company in companies:
            self.company(company, by_company.get(company["id"], []), rows)
        counts = self.write(rows)
        self.counts.update(counts)
        return counts

    def write(self, rows: _Rows) -> Counter:
        deal_ids = reserve_ids(Deal, len(rows.deals))
        for plan, pk in zip(rows.deals, deal_ids, strict=True):
            plan.row["id"] = pk
        activity_ids = reserve_ids(Activity, len(rows.activities))
        earliest: dict[int, dt.datetime] = {}
        last_contact: dict[int, dt.datetime] = {}
        participants_users, participants_contacts = [], []
        for row, pk in zip(rows.activities, activity_ids, strict=True):
            row["id"] = pk
            plan = row.pop("deal", None)
            if plan is not None:
                row["deal_id"] = plan.row["id"]
            for contact in row.pop("_contacts", ()):
                participants_contacts.append({"activity_id": pk, "contact_id": contact["id"]})
            for user_id in row.pop("_users", ()):
                participants_users.append({"activity_id": pk, "user_id": user_id})
            at = row["starts_at"]
            deal_id = row["deal_id"]
            if row["status"] == ActivityStatus.PLANNED and deal_id is not None and (
                    deal_id not in earliest or at < earliest[deal_id]):
                earliest[deal_id] = at
            if row["status"] == ActivityStatus.DONE and row["kind"] in CONTACT_KINDS:
                company_id = row["company_id"]
                if company_id not in last_contact or at > last_contact[company_id]:
                    last_contact[company_id] = at
        for plan in rows.deals:
            plan.row["next_activity_at"] = earliest.get(plan.row["id"])
        insert_rows(Deal, [p.row for p in rows.deals], with_pk=True)
        insert_rows(DealContact, [{**c, "deal_id": p.row["id"]} for p in rows.deals
                                  for c in p.contacts])
        insert_rows(DealStageChange, [{**c, "deal_id": p.row["id"]} for p in rows.deals
                                      for c in p.changes])
        insert_rows(Activity, rows.activities, with_pk=True)
        insert_rows(Activity.participant_users.through, participants_users)
        insert_rows(Activity.participant_contacts.through, participants_contacts)
        # A company of an earlier run may have been in touch already: keep the later moment.
        known = dict(CompanyContact.objects.filter(company_id__in=list(last_contact))
                     .values_list("company_id", "last_at")) if last_contact else {}
        fresh = [{"company_id": c, "last_at": at} for c, at in last_contact.items() if c not in known]
        insert_rows(CompanyContact, fresh)
        for company_id, at in last_contact.items():
            if company_id in known and at > known[company_id]:
                CompanyContact.objects.filter(company_id=company_id).update(last_at=at)
        self._audit(rows)
        return Counter(deals=len(rows.deals), activities=len(rows.activities))

    def _audit(self, rows: _Rows) -> None:
        created = AuditEntry.Action.CREATE
        entries = [
            {"action": created, "channel": self.channel, "object_type": "sales.deal",
             "object_id": str(p.row["id"]), "object_repr": p.row["title"][:300],
             "company_id": p.row["company_id"], "at": p.row["created_at"],
             "changes": {"title": [None, p.row["title"]],
                         "amount": [None, str(p.row["amount"]) if p.row["amount"] else None],
                         "currency": [None, p.row["currency"]]}}
            for p in rows.deals
        ]
        entries += [
            {"action": created, "channel": self.channel, "object_type": "activities.activity",
             "object_id": str(a["id"]), "object_repr": a["subject"][:300],
             "company_id": a["company_id"], "at": a["created_at"],
             "changes": {"kind": [None, a["kind"]], "subject": [None, a["subject"]]}}
            for a in rows.activities
        ]
        insert_rows(AuditEntry, entries)


def people_of(users: Iterable[Any]) -> list[Person]:
    people = []
    for u in users:
        try:
            zone: dt.tzinfo = zoneinfo.ZoneInfo(u.time_zone or "Europe/Sofia")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = SOFIA
        people.append(Person(u.pk, u.team_id, u.role, zone))
    return people


def demo_batch(companies: list[dict[str, Any]], contacts: list[dict[str, Any]], run: Any) -> None:
    """The hook clients/demo.py calls for every batch it has written (same transaction)."""
    cycle = run.state.get("sales_cycle")
    if cycle is None:
        seed = run.seed if run.seed is not None else companies[0]["id"] if companies else 0
        cycle = SalesCycleDemo(rng=random.Random(f"sales-cycle-{seed}"), now=run.now,  # noqa: S311
                               people=people_of(run.users.values()), channel=run.channel)
        run.state["sales_cycle"] = cycle
    counts = cycle.batch(companies, contacts)
    for key, value in counts.items():
        run.result.extra[key] = run.result.extra.get(key, 0) + value


def add_sales_cycle(*, after_company_id: int = 0, batch_size: int = 5000, seed: int = 7,
                    progress=None) -> Counter:
    """The sales cycle for companies already in the database (id > `after_company_id`), in
    batches of their own transaction — for benchmarks that load companies by other means."""
    from django.db import transaction

    from partnera.clients.models import Company, Contact
    from partnera.people.models import User

    users = User.objects.filter(is_active=True)
    cycle = SalesCycleDemo(rng=random.Random(seed), people=people_of(users))  # noqa: S311
    last = after_company_id
    fields = ["id", "owner_id", "team_id", "tier", "stage", "created_at"]
    while True:
        companies = list(Company.objects.filter(pk__gt=last).order_by("pk").values(*fields)
                         [:batch_size])
        if not companies:
            break
        last = companies[-1]["id"]
        contacts = list(Contact.objects.filter(company_id__in=[c["id"] for c in companies])
                        .values("id", "company_id"))
        with transaction.atomic():
            cycle.batch(companies, contacts)
        if progress:
            progress(last, cycle.counts)
    return cycle.counts
