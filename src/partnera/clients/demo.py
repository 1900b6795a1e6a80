"""Demo data: a realistic Bulgarian client base to try Partnera on, from 20 to a million companies.

`build_demo(companies=N)` makes (once) the teams, departments and one user for each role with a
known password, then adds N companies with Cyrillic names, valid EIK/BULSTAT and VAT numbers,
+359 phones, regions and cities, stages, tiers, sources, tags, parent/subsidiary links and
referrals, their contacts (positions, consent) and notes.

People are created through the people services (validated and audited). Companies, contacts
and notes are written with `bulk_create` in batches, because the demo must reach a million
companies in minutes; their values are built valid by construction (check digits computed by
python-stdnum, phones in E.164) and their search text is filled by the same functions the
services use. Each company and contact also gets its "created" audit entry, so its timeline is
not empty. Running the demo again adds more companies and never duplicates people.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connections, router, transaction
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone
from stdnum.bg import vat as bg_vat

from partnera.clients.models import (
    Channel,
    Company,
    CompanySize,
    Contact,
    LegalForm,
    Note,
    Source,
    Stage,
    Tag,
    Tier,
)
from partnera.clients.services import _company_search_text, _contact_search_text
from partnera.core.context import current
from partnera.core.models import AuditEntry
from partnera.core.roles import DepartmentKind, Role
from partnera.people import services as people_services
from partnera.people.models import Department, Team, User

DEMO_PASSWORD = "Partnera-demo-2026"
BATCH_SIZE = 2000
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


def transliterate(text: str) -> str:
    """Bulgarian Cyrillic → Latin (the streamlined system of the 2009 Transliteration Act)."""
    return "".join(_LATIN.get(ch, ch) for ch in text.lower())


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

    def __init__(self, rng: random.Random, users: dict[str, User], today: dt.date) -> None:
        self.rng = rng
        self.today = today
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

    # -- records
    def company(self, n: int, parents: list[int], referrers: list[int]) -> Company:
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
            legal_form = rng.choices(
                [LegalForm.EOOD, LegalForm.OOD, LegalForm.AD, LegalForm.EAD, LegalForm.ET,
                 LegalForm.SD, LegalForm.KD], weights=[38, 30, 8, 6, 14, 2, 2])[0]
            legal_name, industry = self.company_name(legal_form)
            eik = demo_eik(n)
            vat = f"BG{eik}" if rng.random() < 0.8 else ""
            region, city, postal, code, _w = rng.choices(PLACES, weights=_PLACE_WEIGHTS)[0]
        tier = rng.choices([Tier.STANDARD, Tier.CORPORATE, Tier.KEY_ACCOUNT], weights=[70, 22, 8])[0]
        stage = rng.choices([Stage.ACTIVE, Stage.PROSPECT, Stage.DORMANT, Stage.LOST],
                            weights=[45, 30, 15, 10])[0]
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
        source = rng.choice(Source.values)
        company = Company(
            legal_name=legal_name, legal_form=legal_form, eik=eik, vat_number=vat,
            industry=industry, size=size, country=country, region=region, city=city,
            registered_address=address,
            postal_address=(address if rng.random() < 0.7
                            else f"гр. {city or 'София'}, п.к. {rng.randint(1, 90)}"),
            website=f"https://www.{domain}", phones=phones, emails=emails,
            stage=stage, tier=tier, owner=owner, team_id=owner.team_id, source=source,
            created_by=owner,
        )
        if source == Source.REFERRAL and referrers:
            company.referred_by_id = rng.choice(referrers)
        if parents and rng.random() < 0.06:
            company.parent_id = rng.choice(parents)
        if stage == Stage.ACTIVE:
            days = rng.choice([15, 30, 30, 45, 60, 90])
            company.payment_terms_days = days
            company.credit_limit = Decimal(rng.choice([5, 10, 20, 50, 100, 250])) * 1000
            if rng.random() < 0.3:
                company.credit_terms = rng.choice(CREDIT_TERMS).format(days=days)
            if rng.random() < 0.15:
                company.financial_notes = rng.choice(FINANCIAL_NOTES)
        company.search_text = _company_search_text(company)
        return company

    def contacts(self, company: Company) -> list[Contact]:
        rng = self.rng
        count = rng.choices([1, 2, 3, 4], weights=[30, 35, 25, 10])[0]
        domain = company.emails[0].split("@", 1)[1]
        result = []
        for _i in range(count):
            first, last = self.person()
            position, department = rng.choice(POSITIONS)
            consent = rng.random() < 0.6
            contact = Contact(
                company_id=company.pk, first_name=first, last_name=last, position=position,
                department=department,
                emails=[f"{transliterate(first)}.{transliterate(last)}@{domain}"],
                phones=[self.mobile()],
                preferred_channel=rng.choice([Channel.EMAIL, Channel.EMAIL, Channel.PHONE,
                                              Channel.MOBILE, Channel.MEETING, Channel.CHAT]),
                marketing_consent=consent,
                consent_date=self.today - dt.timedelta(days=rng.randint(1, 720)) if consent else None,
                consent_source=rng.choice(CONSENT_SOURCES) if consent else "",
                created_by_id=company.owner_id,
            )
            contact.search_text = _contact_search_text(contact)
            result.append(contact)
        return result

    def notes(self, company: Company, contacts: list[Contact]) -> list[dict]:
        rng = self.rng
        count = rng.choices([0, 1, 2, 3], weights=[30, 35, 25, 10])[0]
        notes = []
        for _i in range(count):
            person = rng.choice(contacts) if contacts else None
            body = rng.choice(NOTE_TEXTS).format(
                pct=rng.choice([2, 3, 5, 7, 10]),
                amount=f"{rng.choice([5, 10, 25, 50, 120]) * 1000:,}".replace(",", " "),
                person=str(person) if person else "управителя", city=company.city or "София",
            )
            notes.append({"company_id": company.pk, "body": body, "created_by_id": company.owner_id})
        return notes


_PASS_THROUGH = {"CharField", "TextField", "IntegerField", "BigIntegerField", "SmallIntegerField",
                 "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField",
                 "BooleanField", "ForeignKey"}


def insert_rows(model, rows: list[dict[str, Any]] | list[Any]) -> None:
    """INSERT rows (dicts of attribute name → value, or unsaved instances) with one executemany:
    no SQL compiled per row, which makes it several times cheaper than bulk_create; the ids are
    not read back. Every column is written; a value not given takes the field's default, and
    auto_now / auto_now_add fields the current time, as `save()` would."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    now = timezone.now()
    # (field, value when the row has none, converter to the database's form or None, fixed)
    columns: list[tuple[Any, Any, Callable[..., Any] | None, bool]] = []
    for f in model._meta.concrete_fields:
        if isinstance(f, AutoFieldMixin):
            continue  # the database numbers the rows
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            columns.append((f, f.get_db_prep_save(now, connection), None, True))
            continue
        default = f.get_default()  # the declared default, "" for text, else None
        convert = None if f.get_internal_type() in _PASS_THROUGH else f.get_db_prep_save
        columns.append((f, default, convert, False))
    params = []
    for row in rows:
        values = []
        get = row.get if isinstance(row, dict) else row.__dict__.get
        for f, default, convert, fixed in columns:
            value = default if fixed else get(f.attname, default)
            values.append(value if convert is None or value is None else convert(value, connection))
        params.append(values)
    qn = connection.ops.quote_name
    head = "INSERT INTO {} ({}) VALUES ".format(  # noqa: S608  (quoted names from the model)
        qn(model._meta.db_table), ", ".join(qn(c[0].column) for c in columns))
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":  # in-process: executemany is the fastest path
            cursor.executemany(head + one, params)
            return
        # Over the network: a few hundred rows per statement, not one round trip per row.
        per_statement = max(1, min(500, 60000 // len(columns)))
        for start in range(0, len(params), per_statement):
            chunk = params[start:start + per_statement]
            cursor.execute(head + ", ".join([one] * len(chunk)),
                           [value for row in chunk for value in row])


def _batches(total: int) -> list[int]:
    sizes = [min(FIRST_BATCH, total)] if total else []
    remaining = total - sum(sizes)
    while remaining > 0:
        sizes.append(min(BATCH_SIZE, remaining))
        remaining -= sizes[-1]
    return sizes


def build_demo(*, companies: int = 300, seed: int | None = None,
               progress: Callable[[int, int], None] | None = None) -> DemoResult:
    """Create the demo people once and add `companies` demo companies with contacts and notes."""
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
    tag_ids = [t.pk for t in tags.values()]
    parents = list(Company.objects.filter(tier__in=[Tier.CORPORATE, Tier.KEY_ACCOUNT])
                   .order_by("-id").values_list("pk", flat=True)[:5000])
    referrers = list(Company.objects.filter(stage=Stage.ACTIVE).order_by("-id")
                     .values_list("pk", flat=True)[:5000])
    through = Company.tags.through
    number = offset
    for size in _batches(companies):
        batch = []
        for _i in range(size):
            batch.append(gen.company(number, parents, referrers))
            number += 1
        _drop_taken_eiks(batch)
        with transaction.atomic():
            Company.objects.bulk_create(batch)
            contacts: list[Contact] = []
            for company in batch:
                contacts.extend(gen.contacts(company))
            # Contacts go in with executemany; their ids, numbered in insertion order, are read
            # back for the audit entries (every contact of these new companies is one of them).
            insert_rows(Contact, contacts)
            ids = Contact.all_objects.filter(company_id__in=[c.pk for c in batch]).order_by("id")
            for contact, pk in zip(contacts, ids.values_list("id", flat=True), strict=True):
                contact.pk = pk
            by_company: dict[int, list[Contact]] = {}
            for contact in contacts:
                by_company.setdefault(contact.company_id, []).append(contact)
            notes: list[dict] = []
            links = []
            for company in batch:
                notes.extend(gen.notes(company, by_company.get(company.pk, [])))
                for tag_id in rng.sample(tag_ids, rng.choices([0, 1, 2, 3], weights=[40, 35, 18, 7])[0]):
                    links.append({"company_id": company.pk, "tag_id": tag_id})
            insert_rows(Note, notes)
            insert_rows(through, links)
            created = AuditEntry.Action.CREATE
            insert_rows(AuditEntry, [
                {"action": created, "channel": channel, "object_type": "clients.company",
                 "object_id": str(c.pk), "object_repr": c.legal_name[:300], "company_id": c.pk,
                 "changes": {"legal_name": [None, c.legal_name], "eik": [None, c.eik],
                             "stage": [None, c.stage], "tier": [None, c.tier]}}
                for c in batch
            ] + [
                {"action": created, "channel": channel, "object_type": "clients.contact",
                 "object_id": str(c.pk), "object_repr": str(c)[:300], "company_id": c.company_id,
                 "changes": {"first_name": [None, c.first_name], "last_name": [None, c.last_name],
                             "position": [None, c.position]}}
                for c in contacts
            ])
        for company in batch:
            if company.tier != Tier.STANDARD and len(parents) < 20000:
                parents.append(company.pk)
            if company.stage == Stage.ACTIVE and len(referrers) < 20000:
                referrers.append(company.pk)
        result.companies += len(batch)
        result.contacts += len(contacts)
        result.notes += len(notes)
        if progress:
            progress(result.companies, companies)
    if companies:
        # Fresh statistics after a bulk load, so the query planner picks the right indexes.
        with connections[router.db_for_write(Company)].cursor() as cursor:
            cursor.execute("ANALYZE")
    result.seconds = time.monotonic() - started
    return result


def _drop_taken_eiks(batch: list[Company]) -> None:
    """Keep only companies whose EIK no live company has yet (a user may have typed one in)."""
    eiks = [c.eik for c in batch if c.eik]
    taken = set(Company.objects.filter(eik__in=eiks).values_list("eik", flat=True)) if eiks else set()
    if taken:
        batch[:] = [c for c in batch if c.eik not in taken]
