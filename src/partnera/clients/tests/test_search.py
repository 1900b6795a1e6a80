"""The global search over the client base: what finds a company or a contact, who finds it, and
that the services keep the index in step with every write. Runs on SQLite (FTS5) and on
PostgreSQL (tsvector + pg_trgm); typo tolerance is PostgreSQL's.
"""

from __future__ import annotations

import io

import phonenumbers
import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnera.clients import selectors, services
from partnera.clients.search import phone_forms
from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.core import search as core_search
from partnera.core.models import SearchDocument
from partnera.core.roles import Role
from partnera.core.search import global_search, search_ids, search_index_rebuild
from partnera.people.services import token_create
from partnera.people.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

def found(user, query: str, kind: str = "company") -> list[str]:
    return [h.label for h in global_search(user=user, query=query, limit=20, kinds={kind})]


@pytest.fixture
def alfa(manager):
    """A company built through the service, with its contact, as a user would enter them."""
    company = services.company_create(actor=manager, data={
        "legal_name": "\"Алфа\"", "legal_form": "OOD", "eik": "175074752",
        "vat_number": "BG175074752", "city": "Пловдив", "phones": "+359 888 123 456\n02 981 11 11",
        "emails": "office@alfa-trade.bg",
    })
    contact = services.contact_create(actor=manager, data={
        "company": company.pk, "first_name": "Мария", "last_name": "Петрова",
        "position": "Търговски директор", "emails": "maria.petrova@alfa-trade.bg",
        "phones": "0899 765 432",
    })
    return company, contact


# --- what finds a record -------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "Алфа", "алфа", "АЛФА", "alfa", "ALFA", "Alfa OOD", "\"Алфа\" ООД", "алфа оод",  # both scripts
    "Ал", "alf", "Алф оо",                                                             # typing
    "175074752", "1750", "175 074 752", "BG175074752", "bg1750",                       # EIK, VAT
    "office@alfa-trade.bg", "office@alfa", "alfa-trade.bg",                            # e-mail
    "Пловдив", "Plovdiv", "plov",                                                      # city
    "+359 888 12-34-56", "+359888123456", "0888/123456", "0888 123 456", "00359888123456",
    "00359 888 123 456", "(0888) 123-456", "888123456", "0888 12", "02 981 11 11",     # phones
    "+35929811111", "029811111",
])
def test_a_company_is_found_by_what_a_person_types(manager, alfa, query):
    assert found(manager, query) == ["\"Алфа\""]


@pytest.mark.parametrize("query", [
    "Мария", "Maria", "Петрова", "Petrova", "petr", "Мария Петрова", "maria petrova",
    "Търговски", "targovski direktor", "maria.petrova@alfa-trade.bg", "maria.petrova@",
    "0899 765 432", "+359899765432", "00359899765432", "0899/765-432",
    "Алфа", "alfa",                                                   # the company's name
])
def test_a_contact_is_found_by_names_mails_phones_position_and_company(manager, alfa, query):
    assert found(manager, query, kind="contact") == ["Мария Петрова"]


def test_latin_names_are_found_in_cyrillic_and_back(manager):
    CompanyFactory(owner=manager, legal_name="Petrov Consult")
    CompanyFactory(owner=manager, legal_name="Петров Трейд")
    CompanyFactory(owner=manager, legal_name="България Агро")

    assert found(manager, "Петров") == ["Petrov Consult", "Петров Трейд"]
    assert found(manager, "petrov") == ["Petrov Consult", "Петров Трейд"]
    assert found(manager, "Balgaria") == ["България Агро"]  # ъ → a (core.translit)
    assert found(manager, "Балгариа") == ["България Агро"]


@pytest.mark.parametrize("query", ["иван петров", "Ivan Petrov", "петров иван", "ив петр"])
def test_every_word_must_match_the_start_of_a_word(manager, query):
    company = CompanyFactory(owner=manager, legal_name="Склад")
    ContactFactory(company=company, first_name="Иван", last_name="Петров", emails=[])
    ContactFactory(company=company, first_name="Иван", last_name="Георгиев", emails=[])
    ContactFactory(company=company, first_name="Петър", last_name="Иванов", emails=[])

    assert found(manager, query, kind="contact") == ["Иван Петров"]


@pytest.mark.parametrize("query", ["трейд", "ейд", "%", "_", "*", "'", "\"", "a", "  ", "x y",
                                   "(", "alfa OR", "NEAR(", "ал\x00фа"])
def test_inner_parts_of_words_and_punctuation_find_nothing_and_break_nothing(manager, alfa, query):
    expected = ["\"Алфа\""] if query == "ал\x00фа" else []
    assert found(manager, query) == expected


def test_whole_words_and_names_come_before_prefixes(manager):
    CompanyFactory(owner=manager, legal_name="Варнаинвест Мебел")
    CompanyFactory(owner=manager, legal_name="Мебели Варна")
    CompanyFactory(owner=manager, legal_name="Варна Мебел")
    CompanyFactory(owner=manager, legal_name="Аварна Мебел")

    assert found(manager, "варна") == ["Варна Мебел", "Мебели Варна", "Варнаинвест Мебел"]


@pytest.mark.parametrize("number", ["+359888123456", "+35929811111", "+35932123456",
                                    "+359700123456", "+359878555444", "+35956812345",
                                    "+442079460958", "+4930123456", "+12025550123"])
def test_phone_forms_hold_every_form_phonenumbers_gives(number):
    """The shortcut for Bulgarian numbers gives what a full parse gives (and the trunk 0 as it
    is dialled: 0700 12 345, which the library's national format leaves out)."""
    parsed = phonenumbers.parse(number)
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    forms = phone_forms(number)
    assert forms[0] == number[1:]
    assert "".join(filter(str.isdigit, national)) in forms
    assert str(parsed.national_number) in forms
    if number.startswith("+359"):
        assert forms[1] == "0" + number[4:]


# --- typos (PostgreSQL) ----------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["Petorv", "petorv consult", "Птеров", "petrvo", "Petrof"])
@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="typo tolerance needs pg_trgm")
def test_a_typo_is_forgiven_when_nothing_else_matches(manager, query):
    CompanyFactory(owner=manager, legal_name="Petrov Consult")
    CompanyFactory(owner=manager, legal_name="Pavlov Trade")

    assert found(manager, query) == ["Petrov Consult"]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="typo tolerance needs pg_trgm")
def test_an_exact_match_is_not_mixed_with_typo_guesses(manager):
    CompanyFactory(owner=manager, legal_name="Petrov Consult")
    CompanyFactory(owner=manager, legal_name="Petrof Trade")

    assert found(manager, "petrof") == ["Petrof Trade"]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="typo tolerance needs pg_trgm")
def test_no_guessing_when_any_kind_finds_the_words_as_typed(manager):
    company = CompanyFactory(owner=manager, legal_name="Petrov Consult", emails=[])
    ContactFactory(company=CompanyFactory(owner=manager, legal_name="Склад", emails=[]),
                   first_name="Иван", last_name="Petorv", emails=[])

    hits = global_search(user=manager, query="petorv")

    assert [(h.kind, h.label) for h in hits] == [("contact", "Иван Petorv")]
    assert selectors.company_autocomplete(user=manager, query="petorv") == [company]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="typo tolerance needs pg_trgm")
def test_a_typo_never_reveals_a_hidden_company(manager, other_manager):
    CompanyFactory(owner=other_manager, legal_name="Petrov Consult")

    assert found(manager, "petorv") == []
    assert found(other_manager, "petorv") == ["Petrov Consult"]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="typo tolerance needs pg_trgm")
def test_numbers_are_not_guessed(manager, alfa):
    assert found(manager, "175074753") == []
    assert found(manager, "0888 123 457") == []


# --- who finds what ---------------------------------------------------------------------------------

@pytest.fixture
def hidden(other_manager):
    """Another team's company with a contact, both matching "Скрита"."""
    company = CompanyFactory(owner=other_manager, team=TeamFactory(), legal_name="Скрита Фирма",
                             phones=["+359888000111"])
    contact = ContactFactory(company=company, first_name="Скрит", last_name="Скритов")
    return company, contact


def test_a_hidden_company_or_contact_is_never_found(manager, other_manager, hidden, logged_in):
    company, contact = hidden
    mine = CompanyFactory(owner=manager, legal_name="Скрита Моя")

    assert [(h.kind, h.pk) for h in global_search(user=manager, query="скрит")] == [
        ("company", mine.pk)]
    assert global_search(user=manager, query="0888 000 111") == []
    assert selectors.company_autocomplete(user=manager, query="скрита") == [mine]
    assert {h.pk for h in global_search(user=other_manager, query="скрит")} == {
        company.pk, contact.pk}

    client = logged_in(manager)
    page = client.get(reverse("core:search"), {"q": "скрит"})
    partial = client.get(reverse("core:search"), {"q": "скрит"}, HTTP_HX_REQUEST="true")
    for response in (page, partial):
        html = response.content.decode()
        assert response.status_code == 200
        assert "Скрита Моя" in html
        assert "Скрита Фирма" not in html and "Скритов" not in html
    assert [(h.kind, h.pk) for h in page.context["hits"]] == [("company", mine.pk)]

    _token, secret = token_create(actor=None, user=manager, name="t")
    api = client.get("/api/v1/search", {"q": "скрит"}, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.status_code == 200
    assert [(h["kind"], h["id"]) for h in api.json()["items"]] == [("company", mine.pk)]


def test_shared_team_and_headed_records_are_found(manager, head_of_sales, make_user, team,
                                                  other_manager):
    teammate = make_user(Role.ACCOUNT_MANAGER, team=team, username="mate")
    by_team = CompanyFactory(owner=teammate, legal_name="Екипна Фирма")
    shared = CompanyFactory(owner=other_manager, team=TeamFactory(), legal_name="Споделена Фирма")
    services.company_share(actor=other_manager, company=shared, user=manager)

    assert found(manager, "фирма") == ["Екипна Фирма", "Споделена Фирма"]
    assert found(head_of_sales, "фирма") == ["Екипна Фирма"]
    assert by_team.pk in search_ids(kind="company", user=head_of_sales, query="фирма")


@pytest.mark.parametrize("scan_limit", [0, 10_000])
def test_a_managers_few_companies_are_found_behind_many_matches(manager, other_manager,
                                                                monkeypatch, scan_limit):
    """The index is joined to what the user sees before the candidates are cut: a manager finds
    their one company even when a thousand others match first. (SQLite reads a small grant
    record by record and a large one through the index: both ways are tried.)"""
    monkeypatch.setattr(core_search._SQLite, "SCAN_LIMIT", scan_limit)
    others = [CompanyFactory.build(owner=other_manager, legal_name=f"Софияфарм {n}")
              for n in range(300)]
    for company in others:
        company.save()
    core_search.search_index_update("company", [c.pk for c in others])
    CompanyFactory(owner=manager, legal_name="Софияфарм Моя")

    assert found(manager, "софия") == ["Софияфарм Моя"]
    assert found(manager, "sofiyafarm") == ["Софияфарм Моя"]
    assert len(found(other_manager, "софия")) == 20


def test_deleted_records_are_not_found_and_nobody_sees_everything_by_accident(
        manager, admin_user, make_user, alfa):
    company, contact = alfa
    department = make_user(Role.DEPARTMENT, username="logistics")
    marketing = make_user(Role.MARKETING, username="marketer")

    assert found(department, "алфа") == []
    assert found(marketing, "алфа") == ["\"Алфа\""]
    services.contact_delete(actor=manager, contact=contact)
    assert found(admin_user, "мария", kind="contact") == []
    services.company_delete(actor=manager, company=company)
    assert found(admin_user, "алфа") == []
    assert found(manager, "алфа") == []


# --- the index follows every write -----------------------------------------------------------------

def documents() -> dict[tuple[str, int], str]:
    return {(d.kind, d.object_id): d.document for d in SearchDocument.objects.all()}


def test_the_services_keep_the_index_in_step(manager, alfa):
    company, contact = alfa
    assert documents() == {
        ("company", company.pk): "alfa ood 175074752 bg175074752 plovdiv office trade bg "
                                 "359888123456 0888123456 888123456 35929811111 029811111 29811111",
        ("contact", contact.pk): "maria petrova targovski direktor alfa trade bg "
                                 "359899765432 0899765432 899765432",
    }

    services.company_update(actor=manager, company=company, expected_version=company.version,
                            data={"legal_name": "Бета Инвест", "city": "Варна"})
    assert found(manager, "пловдив") == []
    assert found(manager, "бета варна") == ["Бета Инвест"]
    assert found(manager, "бета инвест", kind="contact") == ["Мария Петрова"]  # follows its company

    services.contact_update(actor=manager, contact=contact, expected_version=contact.version,
                            data={"last_name": "Георгиева", "phones": "0877 111 222"})
    assert found(manager, "0899 765 432", kind="contact") == []  # the old phone
    assert found(manager, "Georgieva 0877", kind="contact") == ["Мария Георгиева"]
    assert found(manager, "Georgieva", kind="contact") == ["Мария Георгиева"]
    assert found(manager, "0877 111 222", kind="contact") == ["Мария Георгиева"]

    services.contact_delete(actor=manager, contact=contact)
    assert found(manager, "мария", kind="contact") == []
    services.contact_restore(actor=manager, contact=contact)
    assert found(manager, "мария", kind="contact") == ["Мария Георгиева"]

    services.company_delete(actor=manager, company=company)
    assert documents() == {}
    services.company_restore(actor=manager, company=company)
    assert set(documents()) == {("company", company.pk), ("contact", contact.pk)}
    assert found(manager, "бета", kind="contact") == ["Мария Георгиева"]


def test_a_contact_who_moves_is_found_by_the_new_company(manager, alfa):
    _company, contact = alfa
    other = services.company_create(actor=manager, data={"legal_name": "Гама Строй"})
    contact = services.contact_update(actor=manager, contact=contact, data={"emails": ""},
                                      expected_version=contact.version)

    services.contact_update(actor=manager, contact=contact, expected_version=contact.version,
                            data={"company": other.pk})

    assert found(manager, "гама", kind="contact") == ["Мария Петрова"]
    assert found(manager, "алфа", kind="contact") == []


def test_a_write_that_fails_leaves_the_index_as_it_was(manager, alfa):
    company, _contact = alfa
    before = documents()

    with pytest.raises(RuntimeError), transaction.atomic():
        services.company_update(actor=manager, company=company, expected_version=company.version,
                                data={"legal_name": "Нещо Друго"})
        raise RuntimeError("the request fails after the service")

    assert documents() == before
    assert found(manager, "алфа") == ["\"Алфа\""]


def test_the_rebuild_gives_the_documents_the_services_keep(manager, alfa):
    company, _contact = alfa
    services.company_update(actor=manager, company=company, expected_version=company.version,
                            data={"legal_name": "Алфа Нова"})
    ContactFactory(company=CompanyFactory(owner=manager, legal_name="Делта",
                                          deleted_at="2026-01-01T00:00:00Z"))
    kept = documents()

    assert search_index_rebuild() == {"company": 1, "contact": 1, "deal": 0, "lead": 0}
    assert documents() == kept
    assert search_index_rebuild("contact") == {"contact": 1}
    assert documents() == kept
    assert found(manager, "нова") == ["Алфа Нова"]
    assert found(manager, "нова", kind="contact") == ["Мария Петрова"]


def test_search_reindex_command(manager, alfa):
    SearchDocument.objects.all().delete()
    out = io.StringIO()

    call_command("search_reindex", stdout=out)

    assert out.getvalue().startswith(
        "Search index rebuilt: 1 company, 1 contact, 0 deal, 0 lead documents in ")
    assert found(manager, "алфа") == ["\"Алфа\""]


# --- cost -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("user_fixture", ["manager", "admin_user"])
def test_the_number_of_queries_does_not_grow_with_the_hits(request, user_fixture, manager):
    user = request.getfixturevalue(user_fixture)

    def queries(query: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert global_search(user=user, query=query, limit=8)
        return len(captured)

    company = CompanyFactory(owner=manager, legal_name="Една Фирма")
    ContactFactory(company=company, last_name="Еднев")
    global_search(user=user, query="една")  # the user's scope is read once per request
    one = queries("една")
    for n in range(12):
        company = CompanyFactory(owner=manager, legal_name=f"Една {n}")
        ContactFactory(company=company, last_name="Еднев")
    assert queries("една") == one
    # A few queries per kind searched (companies, contacts, deals, leads …; PostgreSQL adds its
    # vocabulary look-up for typos), never per hit.
    assert one <= 4 * len(core_search.search_kinds())


@pytest.mark.parametrize("list_ids", [0, 2, 5000])
def test_lists_filter_through_the_index_however_many_match(manager, other_manager, monkeypatch,
                                                           list_ids):
    """Few matches become a list of ids; many, a check of each row's document: same result."""
    monkeypatch.setattr(core_search, "LIST_IDS", list_ids)
    for n, surname in enumerate(["Аров", "Беров", "Веров", "Геров"]):
        company = CompanyFactory(owner=manager, legal_name=f"Сердика {n}", emails=[])
        ContactFactory(company=company, first_name="Сердар", last_name=surname, emails=[])
    CompanyFactory(owner=other_manager, team=TeamFactory(), legal_name="Сердика Чужда")
    CompanyFactory(owner=manager, legal_name="Средец", emails=[])

    companies = selectors.company_list(user=manager, filters=selectors.CompanyFilters(q="serdika"))
    contacts = selectors.contact_list(user=manager, filters=selectors.ContactFilters(q="сердар беров"))

    assert sorted(c.legal_name for c in companies) == [f"Сердика {n}" for n in range(4)]
    assert [str(c) for c in contacts] == ["Сердар Беров"]
    assert selectors.company_count(user=manager,
                                   filters=selectors.CompanyFilters(q="сер")) == (4, False)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner settings of PostgreSQL")
def test_the_planner_settings_of_a_search_do_not_outlive_it(manager, alfa):
    def settings():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('enable_seqscan'), "
                           "current_setting('max_parallel_workers_per_gather')")
            return cursor.fetchone()

    before = settings()
    assert found(manager, "алфа") == ["\"Алфа\""]

    assert settings() == before
    assert before[0] == "on"
