"""Demo data: a realistic Bulgarian client base to try Partnera on, from 20 to a million companies.

`build_demo(companies=N)` makes (once) the teams, departments and one user for each role with a
known password, then adds N companies with Cyrillic names, valid EIK/BULSTAT and VAT numbers,
+359 phones, regions and cities, stages, tiers, sources, tags, parent/subsidiary links and
referrals, their contacts (positions, consent) and notes.

People are created through the people services (validated and audited). Companies, contacts
and notes are generated as plain rows and written in batches of a few thousand companies (COPY
on PostgreSQL, executemany on SQLite), because the demo must reach a million companies in
minutes with bounded memory; their values are built valid by construction (check digits
computed by python-stdnum, phones in E.164) and their derived columns (the name key) are filled
as the services fill them (`company_derived`; test_demo compares them). Each
company and contact also gets its "created" audit entry, so its timeline is not empty. Running
the demo again adds more companies and never duplicates people.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import operator
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache, partial
from typing import Any

from django.db import connections, router, transaction
from django.db.models import QuerySet
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone
from stdnum.bg import vat as bg_vat

from partnera.clients import duplicates
from partnera.clients.models import (
    Channel,
    Company,
    CompanyKey,
    CompanySize,
    Contact,
    ContactKey,
    LegalForm,
    Note,
    Source,
    Stage,
    Tag,
    Tier,
)
from partnera.core.context import current
from partnera.core.models import AuditEntry
from partnera.core.roles import DepartmentKind, Role
from partnera.people import services as people_services
from partnera.people.models import Department, Team, User

DEMO_PASSWORD = "Partnera-demo-2026"
HISTORY = dt.timedelta(days=3 * 365)  # how far back the demo's clients go
BATCH_SIZE = 5000
# The first companies are written in a small batch of their own, so that the companies after
# them can already name a parent company or a referrer.
FIRST_BATCH = 40

TEAM_SOFIA_KEY = "София – ключови клиенти"
TEAM_SOFIA = "София – малък и среден бизнес"
TEAM_PLOVDIV = "Пловдив"
TEAM_VARNA = "Варна"
TEAMS = [TEAM_SOFIA_KEY, TEAM_SOFIA, TEAM_PLOVDIV, TEAM_VARNA]

DEPARTMENTS = [
    ("Логистика", DepartmentKind.LOGISTICS),
    ("Финанси", DepartmentKind.FINANCE),
    ("Качество", DepartmentKind.QUALITY),
    ("Маркетинг", DepartmentKind.MARKETING),
]


@dataclass(frozen=True)
class DemoPerson:
    username: str
    role: str
    first_name: str
    last_name: str
    team: str = ""
    department: str = ""
    heads_teams: bool = False
    shown: bool = False  # printed in the table of logins (one per role)


DEMO_PEOPLE = [
    DemoPerson("admin", Role.ADMINISTRATOR, "Радослав", "Стефанов", shown=True),
    DemoPerson("head", Role.HEAD_OF_SALES, "Десислава", "Маринова", heads_teams=True, shown=True),
    DemoPerson("kam", Role.KEY_ACCOUNT_MANAGER, "Николай", "Тодоров", team=TEAM_SOFIA_KEY,
               shown=True),
    DemoPerson("manager", Role.ACCOUNT_MANAGER, "Мария", "Георгиева", team=TEAM_SOFIA, shown=True),
    DemoPerson("marketing", Role.MARKETING, "Виктория", "Петкова", department="Маркетинг",
               shown=True),
    DemoPerson("logistics", Role.DEPARTMENT, "Стоян", "Колев", department="Логистика", shown=True),
    DemoPerson("finance", Role.DEPARTMENT, "Ирина", "Александрова", department="Финанси",
               shown=True),
    DemoPerson("quality", Role.DEPARTMENT, "Петър", "Илиев", department="Качество", shown=True),
    # More of the sales force, so that clients are spread over several owners and teams.
    DemoPerson("elena.dimitrova", Role.KEY_ACCOUNT_MANAGER, "Елена", "Димитрова",
               team=TEAM_SOFIA_KEY),
    DemoPerson("georgi.ivanov", Role.ACCOUNT_MANAGER, "Георги", "Иванов", team=TEAM_SOFIA),
    DemoPerson("ivan.petrov", Role.ACCOUNT_MANAGER, "Иван", "Петров", team=TEAM_PLOVDIV),
    DemoPerson("teodora.vasileva", Role.ACCOUNT_MANAGER, "Теодора", "Василева", team=TEAM_PLOVDIV),
    DemoPerson("kaloyan.nikolov", Role.ACCOUNT_MANAGER, "Калоян", "Николов", team=TEAM_VARNA),
    DemoPerson("svetla.hristova", Role.ACCOUNT_MANAGER, "Светла", "Христова", team=TEAM_VARNA),
]


@dataclass
class DemoResult:
    users_created: list[str] = field(default_factory=list)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role label, username, pw)
    companies: int = 0
    contacts: int = 0
    notes: int = 0
    seconds: float = 0.0
    extra: dict[str, int] = field(default_factory=dict)  # what other domains' hooks added


# --- word lists ---------------------------------------------------------------------------------

# (region, city, postal code, telephone area code, weight)
PLACES = [
    ("София-град", "София", "1000", "2", 30),
    ("Пловдив", "Пловдив", "4000", "32", 12),
    ("Варна", "Варна", "9000", "52", 10),
    ("Бургас", "Бургас", "8000", "56", 7),
    ("Русе", "Русе", "7000", "82", 5),
    ("Стара Загора", "Стара Загора", "6000", "42", 5),
    ("Плевен", "Плевен", "5800", "64", 4),
    ("Сливен", "Сливен", "8800", "44", 3),
    ("Добрич", "Добрич", "9300", "58", 3),
    ("Шумен", "Шумен", "9700", "54", 3),
    ("Перник", "Перник", "2300", "76", 2),
    ("Хасково", "Хасково", "6300", "38", 2),
    ("Ямбол", "Ямбол", "8600", "46", 2),
    ("Пазарджик", "Пазарджик", "4400", "34", 2),
    ("Благоевград", "Благоевград", "2700", "73", 2),
    ("Велико Търново", "Велико Търново", "5000", "62", 3),
    ("Враца", "Враца", "3000", "92", 1),
    ("Габрово", "Габрово", "5300", "66", 1),
    ("Кърджали", "Кърджали", "6600", "361", 1),
    ("Кюстендил", "Кюстендил", "2500", "78", 1),
    ("София", "Ботевград", "2140", "723", 1),
    ("Пловдив", "Асеновград", "4230", "331", 1),
]
_PLACE_WEIGHTS = [p[4] for p in PLACES]
MOBILE_PREFIXES = ["87", "88", "89", "98"]  # A1, Yettel, Vivacom: +359 8x/98 and seven digits

STREETS = [
    "ул. „Васил Левски“", "бул. „България“", "ул. „Христо Ботев“", "ул. „Иван Вазов“",
    "ул. „Цар Симеон“", "бул. „Княз Борис I“", "ул. „Александър Стамболийски“", "ул. „Раковски“",
    "ул. „Шипка“", "бул. „Цариградско шосе“", "ул. „Граф Игнатиев“", "бул. „Македония“",
    "ул. „Славянска“", "ул. „Съединение“", "бул. „Освобождение“", "ул. „Хан Аспарух“",
    "ул. „Отец Паисий“", "ул. „Индустриална“", "ул. „Гео Милев“", "бул. „Априлско въстание“",
]

NAME_FIRST = [
    "Балкан", "Тракия", "Родопа", "Пирин", "Рила", "Витоша", "Странджа", "Мизия", "Дунав",
    "Черноморие", "Марица", "Струма", "Янтра", "Искър", "Огоста", "Хемус", "Сердика", "Одесос",
    "Филипополис", "Евмолпия", "Агро", "Вита", "Бон", "Еко", "Мега", "Нова", "Стил", "Прима",
    "Алфа", "Орбита", "Хоризонт", "Зора", "Слънце", "Здравец", "Божур", "Кремък", "Гранит",
    "Кристал", "Сигма", "Полет",
]
# The second word of a name says the trade: word → industry.
NAME_SECOND = {
    "Логистик": "Логистика и транспорт", "Транс": "Логистика и транспорт",
    "Трейд": "Търговия на едро", "Дистрибюшън": "Търговия на едро",
    "Маркет": "Търговски вериги", "Хоум": "Търговия на дребно",
    "Фарма": "Фармация", "Медикъл": "Медицинско оборудване",
    "Строй": "Строителство", "Бетон": "Строителство",
    "Инвест": "Финансови услуги", "Консулт": "Консултантски услуги",
    "Фууд": "Производство на храни", "Хляб": "Производство на храни",
    "Млечни продукти": "Производство на храни", "Вин": "Производство на напитки",
    "Текс": "Текстил и облекло", "Мебел": "Мебелно производство",
    "Електрик": "Електротехника", "Енерджи": "Енергетика",
    "Софт": "ИТ услуги", "Пак": "Опаковки", "Пласт": "Опаковки",
    "Агрохим": "Земеделие", "Металик": "Машиностроене",
    "Тур": "Туризъм и хотелиерство", "Принт": "Реклама и печат",
    "Авто": "Автомобили и резервни части", "Козметикс": "Козметика",
    "Сървис": "Сервизни услуги",
}
_NAME_SECOND_WORDS = list(NAME_SECOND)
NAME_THIRD = ["", "", "", "", "Груп", "Холдинг", "България", "Интернешънъл", "2000", "97", "Плюс",
              "Про", "Юг", "Север"]

MALE_FIRST = ["Иван", "Георги", "Димитър", "Петър", "Николай", "Христо", "Стоян", "Тодор",
              "Атанас", "Васил", "Йордан", "Кирил", "Александър", "Мартин", "Калоян", "Борислав",
              "Светослав", "Пламен", "Веселин", "Емил"]
FEMALE_FIRST = ["Мария", "Елена", "Иванка", "Десислава", "Гергана", "Милена", "Радост", "Силвия",
                "Таня", "Надежда", "Виктория", "Теодора", "Ралица", "Петя", "Йоана", "Красимира",
                "Антония", "Цветелина", "Благовеста", "Катерина"]
# Surnames in the male form; the female form adds "а" (Петров → Петрова).
SURNAMES = ["Петров", "Иванов", "Георгиев", "Димитров", "Николов", "Стоянов", "Христов", "Тодоров",
            "Илиев", "Атанасов", "Василев", "Маринов", "Колев", "Стефанов", "Александров",
            "Костов", "Попов", "Ангелов", "Йорданов", "Михайлов", "Кирилов", "Павлов",
            "Симеонов", "Цветков", "Енчев", "Бонев", "Янков", "Радев", "Каменов", "Славов"]

POSITIONS = [
    ("Управител", "Управление"), ("Изпълнителен директор", "Управление"),
    ("Търговски директор", "Продажби"), ("Мениджър продажби", "Продажби"),
    ("Финансов директор", "Финанси"), ("Главен счетоводител", "Финанси"),
    ("Мениджър снабдяване", "Снабдяване"), ("Специалист доставки", "Снабдяване"),
    ("Ръководител логистика", "Логистика"), ("Маркетинг мениджър", "Маркетинг"),
    ("Мениджър качество", "Качество"), ("Офис мениджър", "Администрация"),
    ("Категориен мениджър", "Търговия"), ("Юрисконсулт", "Правен отдел"),
]

CONSENT_SOURCES = [
    "Формуляр на уебсайта", "Среща в офиса на клиента", "Изложение „Пловдивски панаир“ 2025",
    "Писмено съгласие към договора", "Отговор на имейл кампания", "Изложение „Булпек“ 2025",
]

TAGS = ["верига магазини", "дистрибутор", "износител", "вносител", "обществени поръчки",
        "изложение 2025", "VIP", "сезонен клиент", "нов пазар", "HoReCa", "онлайн търговия",
        "франчайз"]

NOTE_TEXTS = [
    "Обсъдихме годишния договор. Клиентът иска {pct}% отстъпка при обем над {amount} €.",
    "Телефонен разговор с {person}: интерес към новата продуктова линия, да изпратим оферта.",
    "Среща в офиса им в {city}. Договорихме пробна доставка до края на месеца.",
    "Клиентът се оплака от закъсняла доставка; уведомен е отдел Логистика.",
    "Изпратена е оферта за {amount} €, срок за отговор две седмици.",
    "Поканихме ги на изложението в Пловдив — потвърдиха участие на {person}.",
    "Препоръчаха ни свой партньор от {city}; да се свържем с тях до петък.",
    "Плащанията са редовни, кредитният лимит може да се увеличи след прегледа на тримесечието.",
    "Искат условия като на конкурент: {pct}% бонус при изпълнение на годишния план.",
    "Проведохме презентация на продуктите пред екипа им по снабдяване.",
]

CREDIT_TERMS = [
    "Плащане по банков път в {days} дни от датата на фактурата.",
    "Авансово плащане 30%, остатъкът при доставка.",
    "Отложено плащане {days} дни; при забава — неустойка 0,1% на ден.",
]
FINANCIAL_NOTES = [
    "Две забавени плащания през последната година.",
    "Стабилни финансови резултати; годишен оборот над 2 млн. €.",
    "Банкова гаранция до края на годината.",
]

# Foreign partners: (country, legal-form suffix, cities, name stems, (activity word, industry)).
FOREIGN = [
    ("DE", "GmbH", ["München", "Hamburg", "Nürnberg"], ["Danube", "Rhein", "Alpen", "Nordwerk"],
     [("Logistics", "Логистика и транспорт"), ("Handel", "Търговия на едро"),
      ("Technik", "Машиностроене")]),
    ("RO", "SRL", ["București", "Constanța", "Cluj-Napoca"], ["Carpathia", "Dacia", "Olt"],
     [("Trading", "Търговия на едро"), ("Agro", "Земеделие")]),
    ("GR", "S.A.", ["Thessaloniki", "Athens", "Kavala"], ["Hellas", "Aegean", "Olympus"],
     [("Foods", "Производство на храни"), ("Marine", "Логистика и транспорт")]),
    ("MK", "DOOEL", ["Skopje", "Bitola"], ["Vardar", "Ohrid"],
     [("Pack", "Опаковки"), ("Build", "Строителство")]),
    ("TR", "A.Ş.", ["Edirne", "İstanbul", "Bursa"], ["Bosphorus", "Anadolu", "Marmara"],
     [("Tekstil", "Текстил и облекло"), ("Gıda", "Производство на храни")]),
    ("RS", "d.o.o.", ["Beograd", "Niš", "Novi Sad"], ["Adriatic", "Morava", "Sava"],
     [("Pharma", "Фармация"), ("Trade", "Търговия на едро")]),
]

_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sht",
    "ъ": "a", "ь": "y", "ю": "yu", "я": "ya",
}


@lru_cache(maxsize=1 << 16)  # names and company names repeat: a million rows, few thousand words
def transliterate(text: str) -> str:
    """Bulgarian Cyrillic → Latin (the streamlined system of the 2009 Transliteration Act)."""
    return "".join(_LATIN.get(ch, ch) for ch in text.lower())


@lru_cache(maxsize=1 << 16)
def _slug(text: str) -> str:
    latin = transliterate(text)
    return "-".join("".join(ch if ch.isascii() and ch.isalnum() else " " for ch in latin).split())


def demo_eik(n: int) -> str:
    """The n-th demo EIK: nine digits with a valid check digit (python-stdnum), distinct for
    every n below 20 million (the eight base digits are a bijection of n)."""
    prefix, rest = divmod(n, 10_000_000)
    base = f"{2 - prefix % 2}{(rest * 48271 + 1234567) % 10_000_000:07d}"
    return base + bg_vat.calc_check_digit_legal(base)


# --- people ---------------------------------------------------------------------------------------

def ensure_people(result: DemoResult) -> dict[str, User]:
    """Teams, departments and the demo users, each created once (through the people services)."""
    departments = {d.name: d for d in Department.objects.filter(name__in=[n for n, _k in DEPARTMENTS])}
    for name, kind in DEPARTMENTS:
        if name not in departments:
            departments[name] = people_services.department_create(
                actor=None, data={"name": name, "kind": kind})
    teams = {t.name: t for t in Team.objects.filter(name__in=TEAMS)}
    for name in TEAMS:
        if name not in teams:
            teams[name] = people_services.team_create(actor=None, data={"name": name})
    users = {u.username: u for u in User.objects.filter(username__in=[p.username for p in DEMO_PEOPLE])}
    for person in DEMO_PEOPLE:
        if person.username not in users:
            users[person.username] = people_services.user_create(
                actor=None,
                data={
                    "username": person.username, "first_name": person.first_name,
                    "last_name": person.last_name, "role": person.role,
                    "email": f"{person.username}@partnera.example",
                    "team": teams.get(person.team), "department": departments.get(person.department),
                    "language": "bg",
                },
                password=DEMO_PASSWORD,
            )
            result.users_created.append(person.username)
        if person.shown:
            result.logins.append((str(Role(person.role).label), person.username, DEMO_PASSWORD))
    for person in DEMO_PEOPLE:
        if person.heads_teams:
            head = users[person.username]
            for team in teams.values():
                if team.head_id is None:
                    people_services.team_update(actor=None, team=team,  # type: ignore[arg-type]
                                                data={"head": head})  # None: the system
    return users


def demo_logins() -> list[tuple[str, str, str]]:
    """The table of demo logins (role, username, password) for the demo users that exist."""
    shown = [p for p in DEMO_PEOPLE if p.shown]
    existing = set(User.objects.filter(username__in=[p.username for p in shown], is_active=True)
                   .values_list("username", flat=True))
    return [(str(Role(p.role).label), p.username, DEMO_PASSWORD) for p in shown
            if p.username in existing]


# --- companies ------------------------------------------------------------------------------------

class _Generator:
    """Builds unsaved companies, contacts and notes from one seeded random source."""

    def __init__(self, rng: random.Random, users: dict[str, User], today: dt.date,
                 now: dt.datetime | None = None) -> None:
        self.rng = rng
        self.today = today
        self.now = now or timezone.now()
        self.key_owners = [u for u in users.values() if u.role == Role.KEY_ACCOUNT_MANAGER]
        self.regional = {
            "Пловдив": [u for u in users.values()
                        if u.role == Role.ACCOUNT_MANAGER and u.team and u.team.name == TEAM_PLOVDIV],
            "Варна": [u for u in users.values()
                      if u.role == Role.ACCOUNT_MANAGER and u.team and u.team.name == TEAM_VARNA],
        }
        self.sofia = [u for u in users.values()
                      if u.role == Role.ACCOUNT_MANAGER and u.team and u.team.name == TEAM_SOFIA]
        self.slugs: dict[str, int] = {}

    # -- pieces
    def mobile(self) -> str:
        return f"+359{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**7):07d}"

    def landline(self, code: str) -> str:
        digits = 8 - len(code)  # national numbers are 8 digits after the leading 0 outside Sofia
        if code == "2":
            digits = 7
        first = self.rng.choice("23456789")
        return f"+359{code}{first}{self.rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"

    def company_name(self, legal_form: str) -> tuple[str, str]:
        """A Cyrillic company name and the industry its trade word names."""
        rng = self.rng
        if legal_form == LegalForm.ET:
            first, surname = rng.choice(MALE_FIRST), rng.choice(SURNAMES)
            trade = rng.choice(_NAME_SECOND_WORDS)
            return f"{first} {surname} – {first[0]}{surname[0]} {trade}", NAME_SECOND[trade]
        trade = rng.choice(_NAME_SECOND_WORDS)
        name = f"{rng.choice(NAME_FIRST)} {trade} {rng.choice(NAME_THIRD)}".strip()
        return name, NAME_SECOND[trade]

    def domain(self, name: str) -> str:
        slug = _slug(name.split(" – ")[-1])[:40].strip("-") or "firma"
        seen = self.slugs.get(slug, 0)
        self.slugs[slug] = seen + 1
        return f"{slug}{'-' + str(seen + 1) if seen else ''}.bg"

    def person(self) -> tuple[str, str]:
        if self.rng.random() < 0.5:
            return self.rng.choice(MALE_FIRST), self.rng.choice(SURNAMES)
        return self.rng.choice(FEMALE_FIRST), self.rng.choice(SURNAMES) + "а"

    def owner_for(self, tier: str, city: str) -> User:
        if tier == Tier.KEY_ACCOUNT and self.key_owners:
            return self.rng.choice(self.key_owners)
        pool = self.regional.get(city) or self.sofia
        if self.rng.random() < 0.15:  # some clients outside the big cities are served regionally
            pool = self.regional["Пловдив"] if self.rng.random() < 0.5 else self.regional["Варна"]
        return self.rng.choice(pool or self.key_owners)

    def since(self, start: dt.datetime, *, within: dt.timedelta | None = None) -> dt.datetime:
        """A moment between `start` and now (or `start + within`, if sooner)."""
        span = self.now - start
        if within is not None and within < span:
            span = within
        return start + span * self.rng.random()

    # -- records: plain dicts (attribute name → value); a million model instances would cost
    #    more than writing the rows.
    def company(self, n: int, parents: list[int], referrers: list[int]) -> dict[str, Any]:
        rng = self.rng
        foreign = rng.random() < 0.02
        if foreign:
            country, suffix, cities, stems, activities = rng.choice(FOREIGN)
            activity, industry = rng.choice(activities)
            legal_name = f"{rng.choice(stems)} {activity} {suffix}"
            legal_form, eik, vat = LegalForm.FOREIGN, "", ""
            region, city, postal, code = "", rng.choice(cities), "", "2"
        else:
            country = "BG"
            legal_form = rng.choices(_LEGAL_FORMS, cum_weights=_LEGAL_FORM_CUM)[0]
            legal_name, industry = self.company_name(legal_form)
            eik = demo_eik(n)
            vat = f"BG{eik}" if rng.random() < 0.8 else ""
            region, city, postal, code, _w = rng.choices(PLACES, cum_weights=_PLACE_CUM)[0]
        tier = rng.choices(_TIERS, cum_weights=_TIER_CUM)[0]
        stage = rng.choices(_STAGES, cum_weights=_STAGE_CUM)[0]
        if tier == Tier.KEY_ACCOUNT:
            stage = Stage.ACTIVE
        size = {Tier.STANDARD: rng.choice([CompanySize.MICRO, CompanySize.SMALL, CompanySize.SMALL]),
                Tier.CORPORATE: rng.choice([CompanySize.MEDIUM, CompanySize.LARGE]),
                Tier.KEY_ACCOUNT: CompanySize.LARGE}[tier]
        owner = self.owner_for(tier, city)
        domain = self.domain(legal_name)
        street = f"{rng.choice(STREETS)} {rng.randint(1, 180)}"
        address = f"гр. {city} {postal}, {street}" if city else f"{street}, {country}"
        phones = [self.landline(code) if not foreign else self.mobile()]
        if rng.random() < 0.6:
            phones.append(self.mobile())
        emails = [f"office@{domain}"]
        if rng.random() < 0.4:
            emails.append(f"{rng.choice(['sales', 'orders', 'info', 'accounting'])}@{domain}")
        source = rng.choice(_SOURCES)
        row: dict[str, Any] = {
            "legal_name": legal_name, "legal_form": legal_form, "eik": eik, "vat_number": vat,
            "industry": industry, "size": size, "country": country, "region": region,
            "city": city, "registered_address": address,
            "postal_address": (address if rng.random() < 0.7
                               else f"гр. {city or 'София'}, п.к. {rng.randint(1, 90)}"),
            "website": f"https://www.{domain}", "phones": phones, "emails": emails,
            "stage": stage, "tier": tier, "owner_id": owner.pk, "team_id": owner.team_id,
            "source": source, "created_by_id": owner.pk,
        }
        # Clients came in over the last three years, more of them recently; some changed since.
        row["created_at"] = self.now - HISTORY * rng.random() ** 1.5
        row["updated_at"] = self.since(row["created_at"]) if rng.random() < 0.6 else row["created_at"]
        if source == Source.REFERRAL and referrers:
            row["referred_by_id"] = rng.choice(referrers)
        if parents and rng.random() < 0.06:
            row["parent_id"] = rng.choice(parents)
        if stage == Stage.ACTIVE:
            days = rng.choice([15, 30, 30, 45, 60, 90])
            row["payment_terms_days"] = days
            row["credit_limit"] = Decimal(rng.choice([5, 10, 20, 50, 100, 250])) * 1000
            if rng.random() < 0.3:
                row["credit_terms"] = rng.choice(CREDIT_TERMS).format(days=days)
            if rng.random() < 0.15:
                row["financial_notes"] = rng.choice(FINANCIAL_NOTES)
        company_derived(row)
        return row

    def contacts(self, company: dict[str, Any]) -> list[dict[str, Any]]:
        """One to four people (1.9 on average) of a company that already has its id."""
        rng = self.rng
        count = rng.choices((1, 2, 3, 4), cum_weights=(40, 75, 95, 100))[0]
        domain = company["emails"][0].split("@", 1)[1]
        result = []
        for _i in range(count):
            first, last = self.person()
            position, department = rng.choice(POSITIONS)
            consent = rng.random() < 0.6
            contact: dict[str, Any] = {
                "company_id": company["id"], "first_name": first, "last_name": last,
                "position": position, "department": department,
                "emails": [f"{transliterate(first)}.{transliterate(last)}@{domain}"],
                "phones": [self.mobile()],
                "preferred_channel": rng.choice(_CHANNELS),
                "marketing_consent": consent,
                "consent_date": (self.today - dt.timedelta(days=rng.randint(1, 720))
                                 if consent else None),
                "consent_source": rng.choice(CONSENT_SOURCES) if consent else "",
                "created_by_id": company["owner_id"],
            }
            contact["created_at"] = contact["updated_at"] = self.since(
                company["created_at"], within=dt.timedelta(days=60))
            result.append(contact)
        return result

    def notes(self, company: dict[str, Any], contacts: list[dict[str, Any]]) -> list[dict]:
        rng = self.rng
        count = rng.choices((0, 1, 2, 3), cum_weights=(30, 65, 90, 100))[0]
        notes = []
        for _i in range(count):
            person = rng.choice(contacts) if contacts else None
            body = rng.choice(NOTE_TEXTS).format(
                pct=rng.choice([2, 3, 5, 7, 10]),
                amount=f"{rng.choice([5, 10, 25, 50, 120]) * 1000:,}".replace(",", " "),
                person=_person_name(person) if person else "управителя",
                city=company["city"] or "София",
            )
            at = self.since(company["created_at"])
            notes.append({"company_id": company["id"], "body": body,
                          "created_by_id": company["owner_id"], "created_at": at, "updated_at": at})
        return notes


_LEGAL_FORMS = [LegalForm.EOOD, LegalForm.OOD, LegalForm.AD, LegalForm.EAD, LegalForm.ET,
                LegalForm.SD, LegalForm.KD]
_LEGAL_FORM_CUM = list(itertools.accumulate([38, 30, 8, 6, 14, 2, 2]))
_PLACE_CUM = list(itertools.accumulate(_PLACE_WEIGHTS))
_TIERS = [Tier.STANDARD, Tier.CORPORATE, Tier.KEY_ACCOUNT]
_TIER_CUM = list(itertools.accumulate([70, 22, 8]))
_STAGES = [Stage.ACTIVE, Stage.PROSPECT, Stage.DORMANT, Stage.LOST]
_STAGE_CUM = list(itertools.accumulate([45, 30, 15, 10]))
_SOURCES = list(Source.values)
_CHANNELS = [Channel.EMAIL, Channel.EMAIL, Channel.PHONE, Channel.MOBILE, Channel.MEETING,
             Channel.CHAT]


def _person_name(contact: dict[str, Any]) -> str:
    return f"{contact['first_name']} {contact['last_name']}".strip()  # as str(Contact)


# --- derived data -----------------------------------------------------------------------------
# Columns the services derive from a record's fields, filled here the way the services fill them
# (test_demo compares each with the services' own function). Another derived column goes here.

def company_derived(row: dict[str, Any]) -> None:
    row["name_key"] = duplicates.company_name_key(row["legal_name"])


def after_batch(companies: list[dict[str, Any]], contacts: list[dict[str, Any]]) -> None:
    """Side tables kept by the services for the records of one batch (with their ids), in the
    batch's transaction: the identity keys duplicates are found by (clients.duplicates)."""
    insert_rows(CompanyKey, duplicates.company_key_rows(companies))
    insert_rows(ContactKey, duplicates.contact_key_rows(contacts))


@dataclass
class DemoRun:
    """What one run of the demo hands to other domains' hooks (`register_demo_hook`)."""

    seed: int | None
    users: dict[str, User]
    now: dt.datetime
    channel: str
    result: DemoResult
    state: dict[str, Any] = field(default_factory=dict)  # the hooks' own, for the whole run


# Other domains add their demo records to every batch of companies, in the batch's transaction
# (e.g. the sales cycle: deals and activities, activities/demo.py). Registered from their
# registry modules; called as hook(companies, contacts, run) with the batch's written rows.
DemoHook = Callable[[list[dict[str, Any]], list[dict[str, Any]], DemoRun], None]
_demo_hooks: dict[str, DemoHook] = {}


def register_demo_hook(name: str, hook: DemoHook) -> None:
    _demo_hooks[name] = hook


@contextlib.contextmanager
def happened_at(moment: dt.datetime) -> Iterator[None]:
    """Date the audit entries the services write inside the block at `moment`: the demo calls the
    services today for things that happened months ago (an order received in spring, its
    deliveries, a contract signed last year), and the timelines read those entries' times.

    The audit log is append-only for the application (AuditQuerySet refuses updates); the demo is
    the one exception, like its bulk writer that inserts entries dated when the record was made:
    only the entries just written in this block, by this run, in its still uncommitted
    transaction, get their time — nothing another process wrote, nothing already committed."""
    channel = current().channel
    last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        yield
    finally:  # a refused step rolled its own entries back; the steps before it keep theirs
        QuerySet(model=AuditEntry).filter(pk__gt=last, channel=channel).update(at=moment)


def after_all(connection: Any) -> None:
    """Once, after the last batch: rebuilds of derived structures, then fresh planner
    statistics after the bulk load, so the query planner picks the right indexes."""
    from partnera.core.search import search_index_rebuild

    search_index_rebuild()  # the global search's documents, in bulk
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- writing ------------------------------------------------------------------------------------

_PASS_THROUGH = {"CharField", "TextField", "IntegerField", "BigIntegerField", "SmallIntegerField",
                 "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField",
                 "BooleanField", "ForeignKey", "AutoField", "BigAutoField", "SmallAutoField"}


def insert_rows(model, rows: list[dict[str, Any]], *, with_pk: bool = False) -> None:
    """INSERT rows (dicts of attribute name → value) in bulk, without Django compiling SQL per
    row: COPY on PostgreSQL, one executemany on SQLite. Every column is written; a value not
    given takes the field's default, and auto_now / auto_now_add fields the current time, as
    `save()` would. The database numbers the rows unless `with_pk` (ids from `reserve_ids`)."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    now = timezone.now()
    # (attribute, the database value when the row has none, converter to the database's form)
    columns: list[tuple[str, Any, Callable[..., Any] | None]] = []
    for f in model._meta.concrete_fields:
        if isinstance(f, AutoFieldMixin) and not with_pk:
            continue
        kind = f.get_internal_type()
        convert: Callable[..., Any] | None
        if kind in _PASS_THROUGH:
            convert = None
        elif kind == "JSONField" and f.encoder is None:
            convert = _json_text  # what JSONField stores, without a wrapper object per value
        elif kind == "DateTimeField":  # aware datetimes, as the backend adapts them
            convert = (partial(_sqlite_datetime, connection.timezone)
                       if connection.vendor == "sqlite" else None)
        else:
            convert = partial(_prep, f, connection)
        auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        default = now if auto else f.get_default()  # the declared default, "" for text, else None
        if convert is not None and default is not None:
            default = convert(default)
        columns.append((f.attname, default, convert))
    defaults = {attname: default for attname, default, _convert in columns}
    names_in_order = [attname for attname, _default, _convert in columns]
    pick = operator.itemgetter(*names_in_order, names_in_order[0])  # always a tuple
    converted = [(i, attname, convert) for i, (attname, _default, convert) in enumerate(columns)
                 if convert is not None]
    params = []
    for row in rows:
        values = list(pick({**defaults, **row}))[:-1]
        for i, attname, convert in converted:
            value = row.get(attname)
            if value is not None:
                values[i] = convert(value)
        params.append(values)
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    names = ", ".join(qn(model._meta.get_field(c[0]).column) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for values in params:
                    copy.write_row(values)
            return
        placeholders = ", ".join(["%s"] * len(columns))
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({placeholders})",  # noqa: S608  (model's names)
            params)


def _prep(field: Any, connection: Any, value: Any) -> Any:
    return field.get_db_prep_save(value, connection)


_JSON = json.JSONEncoder(ensure_ascii=False)


def _json_text(value: Any) -> str:
    return _JSON.encode(value)


def _sqlite_datetime(tz: Any, value: dt.datetime) -> str:
    """What Django's SQLite backend stores for an aware datetime (naive, in the connection's
    time zone), without its per-value checks."""
    return str(value.astimezone(tz).replace(tzinfo=None))


def reserve_ids(model, count: int) -> list[int]:
    """`count` new ids for rows of `model`, for `insert_rows(..., with_pk=True)`, so that the
    ids need not be read back. PostgreSQL draws them from the table's sequence; SQLite (whose
    writers hold the database lock from BEGIN, see settings) continues after the highest id
    ever given (AUTOINCREMENT's counter), which inserting them advances."""
    if count <= 0:
        return []
    connection = connections[router.db_for_write(model)]
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                           "FROM generate_series(1, %s)",
                           [table, model._meta.pk.column, count])
            return [row[0] for row in cursor.fetchall()]
        qn = connection.ops.quote_name
        cursor.execute(f"SELECT MAX({qn(model._meta.pk.column)}) FROM {qn(table)}")  # noqa: S608
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(highest, row[0] if row else 0) + 1
        return list(range(start, start + count))


def reserve_id_block(model, count: int) -> int:
    """The first of `count` consecutive new ids for rows of `model` (the whole run's companies,
    so batches can be generated ahead without asking the database). Later ordinary inserts get
    ids after the block; ids of the block left unused stay unused."""
    connection = connections[router.db_for_write(model)]
    table, column = model._meta.db_table, model._meta.pk.column
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        qn = connection.ops.quote_name
        if connection.vendor == "postgresql":
            # The lock keeps inserts (which draw from the sequence) out while the block is taken.
            cursor.execute(f"LOCK TABLE {qn(table)} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, %s), "
                           "nextval(pg_get_serial_sequence(%s, %s)) + %s - 1)",
                           [table, column, table, column, max(count, 1)])
            return cursor.fetchone()[0] - max(count, 1) + 1
        first = reserve_ids(model, 1)[0]
        last = first + max(count, 1) - 1
        # AUTOINCREMENT continues after the highest of sqlite_sequence and the table's ids.
        cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [last, table])
        if cursor.rowcount == 0:
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, last])
        return first


def _batches(total: int) -> list[int]:
    sizes = [min(FIRST_BATCH, total)] if total else []
    remaining = total - sum(sizes)
    while remaining > 0:
        sizes.append(min(BATCH_SIZE, remaining))
        remaining -= sizes[-1]
    return sizes


@dataclass
class _Batch:
    companies: list[dict[str, Any]]
    contacts: list[dict[str, Any]]  # without ids yet
    notes: list[dict[str, Any]]
    links: list[dict[str, Any]]


def _generate(gen: _Generator, sizes: list[int], *, first_id: int, number: int,
              parents: list[int], referrers: list[int], tag_ids: list[int]) -> Iterator[_Batch]:
    """The demo's batches, one after the other; pure Python (no database), so that they can be
    generated ahead while the previous batch is written."""
    rng = gen.rng
    pk = first_id
    for size in sizes:
        batch = _Batch([], [], [], [])
        for _i in range(size):
            company = gen.company(number, parents, referrers)
            company["id"] = pk
            number += 1
            pk += 1
            people = gen.contacts(company)
            batch.companies.append(company)
            batch.contacts.extend(people)
            batch.notes.extend(gen.notes(company, people))
            for tag_id in rng.sample(tag_ids, rng.choices((0, 1, 2, 3),
                                                          cum_weights=(40, 75, 93, 100))[0]):
                batch.links.append({"company_id": company["id"], "tag_id": tag_id})
        for company in batch.companies:
            if company["tier"] != Tier.STANDARD and len(parents) < 20000:
                parents.append(company["id"])
            if company["stage"] == Stage.ACTIVE and len(referrers) < 20000:
                referrers.append(company["id"])
        yield batch


def _ahead(batches: Iterator[_Batch], depth: int = 2) -> Iterator[_Batch]:
    """The batches, generated in a thread up to `depth` ahead of the one being written: the
    generator's Python runs while the database works (SQLite's steps and PostgreSQL's COPY
    release the GIL). Memory stays bounded by `depth` batches."""
    done = object()
    out: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():  # the writer stopped (an error): give up instead of blocking
            try:
                out.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in batches:
                if not put(item):
                    return
            put(done)
        except BaseException as exc:  # handed to the writing thread, raised there
            put(exc)

    thread = threading.Thread(target=produce, name="demo-generator", daemon=True)
    thread.start()
    try:
        while (item := out.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def build_demo(*, companies: int = 300, seed: int | None = None,
               progress: Callable[[int, int], None] | None = None) -> DemoResult:
    """Create the demo people once and add `companies` demo companies with contacts and notes.

    The companies are generated (in a thread, a batch ahead) and written in batches, each batch
    one transaction, so memory stays the same whatever the number."""
    started = time.monotonic()
    result = DemoResult()
    with transaction.atomic():
        users = ensure_people(result)
    users = {u.username: u for u in User.objects.select_related("team").filter(username__in=users)}
    # Demo EIKs continue from the number of companies already there, so a second run adds new ones.
    offset = Company.all_objects.count()
    rng = random.Random(seed if seed is not None else 2026 + offset)  # noqa: S311  (demo data)
    gen = _Generator(rng, users, timezone.localdate())
    channel = current().channel
    tags = {t.name: t for t in Tag.objects.filter(name__in=TAGS)}
    for name in TAGS:
        if name not in tags:
            tags[name] = Tag.objects.create(name=name)
    parents = list(Company.objects.filter(tier__in=[Tier.CORPORATE, Tier.KEY_ACCOUNT])
                   .order_by("-id").values_list("pk", flat=True)[:5000])
    referrers = list(Company.objects.filter(stage=Stage.ACTIVE).order_by("-id")
                     .values_list("pk", flat=True)[:5000])
    sizes = _batches(companies)
    batches = _generate(gen, sizes, first_id=reserve_id_block(Company, companies) if companies else 0,
                        number=offset, parents=parents, referrers=referrers,
                        tag_ids=[t.pk for t in tags.values()])
    dropped: set[int] = set()  # companies left out (their EIK was taken): nothing may link to them
    run = DemoRun(seed=seed, users=users, now=gen.now, channel=channel, result=result)
    for batch in _ahead(batches) if len(sizes) > 1 else batches:
        with transaction.atomic():
            _write_batch(batch, dropped, channel)
            for hook in _demo_hooks.values():
                hook(batch.companies, batch.contacts, run)
        result.companies += len(batch.companies)
        result.contacts += len(batch.contacts)
        result.notes += len(batch.notes)
        if progress:
            progress(result.companies, companies)
    if companies:
        after_all(connections[router.db_for_write(Company)])
    result.seconds = time.monotonic() - started
    return result


def _write_batch(batch: _Batch, dropped: set[int], channel: str) -> None:
    _drop_taken_eiks(batch, dropped)
    insert_rows(Company, batch.companies, with_pk=True)
    for row, pk in zip(batch.contacts, reserve_ids(Contact, len(batch.contacts)), strict=True):
        row["id"] = pk
    insert_rows(Contact, batch.contacts, with_pk=True)
    insert_rows(Note, batch.notes)
    insert_rows(Company.tags.through, batch.links)
    created = AuditEntry.Action.CREATE
    audit = [
        {"action": created, "channel": channel, "object_type": "clients.company",
         "object_id": str(c["id"]), "object_repr": c["legal_name"][:300],
         "company_id": c["id"], "at": c["created_at"],
         "changes": {"legal_name": [None, c["legal_name"]], "eik": [None, c["eik"]],
                     "stage": [None, c["stage"]], "tier": [None, c["tier"]]}}
        for c in batch.companies
    ]
    audit += [
        {"action": created, "channel": channel, "object_type": "clients.contact",
         "object_id": str(c["id"]), "object_repr": _person_name(c)[:300],
         "company_id": c["company_id"], "at": c["created_at"],
         "changes": {"first_name": [None, c["first_name"]],
                     "last_name": [None, c["last_name"]],
                     "position": [None, c["position"]]}}
        for c in batch.contacts
    ]
    insert_rows(AuditEntry, audit)
    after_batch(batch.companies, batch.contacts)


def _drop_taken_eiks(batch: _Batch, dropped: set[int]) -> None:
    """Leave out the companies whose EIK a live company has already (a user may have typed one
    in), with their people, notes and tags, and every link to them."""
    eiks = [c["eik"] for c in batch.companies if c["eik"]]
    taken = set(Company.objects.filter(eik__in=eiks).values_list("eik", flat=True)) if eiks else set()
    if taken:
        dropped.update(c["id"] for c in batch.companies if c["eik"] in taken)
        batch.companies[:] = [c for c in batch.companies if c["id"] not in dropped]
        batch.contacts[:] = [c for c in batch.contacts if c["company_id"] not in dropped]
        batch.notes[:] = [n for n in batch.notes if n["company_id"] not in dropped]
        batch.links[:] = [link for link in batch.links if link["company_id"] not in dropped]
    if dropped:
        for company in batch.companies:
            if company.get("parent_id") in dropped:
                company["parent_id"] = None
            if company.get("referred_by_id") in dropped:
                company["referred_by_id"] = None
