"""Reads of the client base: filters, search, sorting, pages and query counts.

(Who sees what is the matrix in core/tests/test_visibility.py; here the user sees everything
relevant, so each test is about what the selector itself does.)
"""

from __future__ import annotations

import functools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from partnera.clients import selectors, services
from partnera.clients.models import Stage, Tier
from partnera.clients.selectors import CompanyFilters, ContactFilters
from partnera.clients.tests.factories import (
    CompanyFactory,
    ContactFactory,
    NoteFactory,
    TagFactory,
)
from partnera.core.pagination import Walk
from partnera.core.roles import Role
from partnera.core.search import global_search

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def names(qs) -> list[str]:
    return sorted(c.legal_name for c in qs)


@pytest.fixture
def base(manager, admin_user, team):
    """A small client base, created through the services so the search column is the real one."""
    make = services.company_create
    alpha = make(actor=admin_user, data={
        "legal_name": "АЛФА Трейд", "eik": "175074752", "phones": "0888 123 456",
        "emails": "Office@Alfa.bg", "city": "Пловдив", "region": "Пловдив", "industry": "Логистика",
        "stage": Stage.ACTIVE, "tier": Tier.KEY_ACCOUNT, "owner": manager.pk, "team": team.pk,
        "tags": "склад, vip",
    })
    beta = make(actor=admin_user, data={
        "legal_name": "Бета Строй", "eik": "121817309", "phones": "(02) 981 11 11",
        "city": "София", "region": "София-град", "industry": "Строителство",
        "stage": Stage.PROSPECT, "tier": Tier.STANDARD, "owner": admin_user.pk, "tags": "vip",
    })
    gamma = make(actor=admin_user, data={
        "legal_name": "Gamma Ltd", "country": "DE", "vat_number": "DE136695976",
        "phones": "+44 20 7946 0958", "city": "Berlin", "stage": Stage.LOST,
    })
    return {"alpha": alpha, "beta": beta, "gamma": gamma}


@pytest.mark.parametrize(("query", "expected"), [
    ("алфа", ["АЛФА Трейд"]),             # Cyrillic, different case
    ("АЛФА трейд", ["АЛФА Трейд"]),        # every word must match
    ("трейд алфа", ["АЛФА Трейд"]),        # in any order
    ("алфа строй", []),
    ("gamma", ["Gamma Ltd"]),
    ("GAMMA", ["Gamma Ltd"]),
    ("175074752", ["АЛФА Трейд"]),         # EIK
    ("DE136695976", ["Gamma Ltd"]),        # VAT number
    ("office@alfa.bg", ["АЛФА Трейд"]),    # e-mail
    ("пловдив", ["АЛФА Трейд"]),           # city
    ("0888 123 456", ["АЛФА Трейд"]),      # phone, national format
    ("+359 88 812 3456", ["АЛФА Трейд"]),  # phone, international format
    ("00359888123456", ["АЛФА Трейд"]),    # phone, 00 prefix
    ("0888123456", ["АЛФА Трейд"]),
    ("(02) 981 11 11", ["Бета Строй"]),    # landline with area code
    ("+35929811111", ["Бета Строй"]),
    ("020 7946 0958", ["Gamma Ltd"]),      # a foreign number in its own national format
    ("+44 20 7946 0958", ["Gamma Ltd"]),
    ("%", []),                             # LIKE wildcards are literal
    ("алфа\x00", ["АЛФА Трейд"]),          # a NUL byte is dropped, never an error
    ("_", []),
    ("", ["Gamma Ltd", "АЛФА Трейд", "Бета Строй"]),
])
def test_company_search(admin_user, base, query, expected):
    assert names(selectors.company_list(user=admin_user, filters=CompanyFilters(q=query))) == expected


@pytest.mark.parametrize(("filters", "expected"), [
    (CompanyFilters(stage=[Stage.ACTIVE, Stage.LOST]), ["Gamma Ltd", "АЛФА Трейд"]),
    (CompanyFilters(tier=[Tier.KEY_ACCOUNT]), ["АЛФА Трейд"]),
    (CompanyFilters(region="Пловдив"), ["АЛФА Трейд"]),
    (CompanyFilters(region="пловдив"), ["АЛФА Трейд"]),   # typed in lower case
    (CompanyFilters(region="ПЛОВДИВ"), ["АЛФА Трейд"]),
    (CompanyFilters(city="софия"), ["Бета Строй"]),
    (CompanyFilters(city="berlin"), ["Gamma Ltd"]),
    (CompanyFilters(industry="логистика"), ["АЛФА Трейд"]),
    (CompanyFilters(industry="Лог"), []),                # exact, not a prefix
    (CompanyFilters(city="%"), []),
    (CompanyFilters(city="соф.я"), []),                  # regex characters are literal
    (CompanyFilters(city="софия\x00"), ["Бета Строй"]),  # a NUL byte is dropped, never an error
    (CompanyFilters(stage=["bogus"]), []),
    (CompanyFilters(q="vip", stage=[Stage.PROSPECT]), []),  # tags are not in the search text
])
def test_company_filters(admin_user, base, filters, expected):
    assert names(selectors.company_list(user=admin_user, filters=filters)) == expected


def test_company_filters_by_owner_team_and_tag(admin_user, manager, team, base):
    vip = selectors.tag_list().get(name="vip")
    store = selectors.tag_list().get(name="склад")

    def listed(**kw):
        return names(selectors.company_list(user=admin_user, filters=CompanyFilters(**kw)))

    assert listed(owner=[manager.pk]) == ["АЛФА Трейд"]
    assert listed(owner=[manager.pk, admin_user.pk]) == ["Gamma Ltd", "АЛФА Трейд", "Бета Строй"]
    assert listed(team=[team.pk]) == ["АЛФА Трейд"]
    assert listed(tag=[vip.pk]) == ["АЛФА Трейд", "Бета Строй"]
    assert listed(tag=[store.pk]) == ["АЛФА Трейд"]
    assert listed(tag=[vip.pk, store.pk]) == ["АЛФА Трейд", "Бета Строй"]  # any of them
    assert listed(tag=[987654]) == []
    assert [t.name for t in selectors.tag_list()] == ["vip", "склад"]


def test_the_search_follows_an_update(admin_user, base):
    services.company_update(actor=admin_user, company=base["beta"], expected_version=1,
                            data={"legal_name": "Омега Строй", "phones": "052 600 000"})

    assert names(selectors.company_list(user=admin_user, filters=CompanyFilters(q="омега"))) == [
        "Омега Строй"]
    assert names(selectors.company_list(user=admin_user, filters=CompanyFilters(q="бета"))) == []
    assert names(selectors.company_list(user=admin_user,
                                        filters=CompanyFilters(q="052 600 000"))) == ["Омега Строй"]
    assert names(selectors.company_list(user=admin_user,
                                        filters=CompanyFilters(q="02 981 11 11"))) == []


def test_company_count_counts_the_filtered_list(admin_user, base):
    assert selectors.company_count(user=admin_user) == (3, False)
    assert selectors.company_count(user=admin_user,
                                   filters=CompanyFilters(tier=[Tier.KEY_ACCOUNT])) == (1, False)


@pytest.mark.parametrize(("sort", "expected"), [
    ("name", ["Ана", "Бор", "Вяра"]),
    ("-name", ["Вяра", "Бор", "Ана"]),
    ("city", ["Вяра", "Бор", "Ана"]),   # equal cities keep the order they were added in
    ("bogus", ["Ана", "Бор", "Вяра"]),  # an unknown sort falls back to the name
])
def test_company_page_sorts(admin_user, sort, expected):
    CompanyFactory(legal_name="Вяра", city="Бургас", owner=admin_user)
    CompanyFactory(legal_name="Ана", city="Русе", owner=admin_user)
    CompanyFactory(legal_name="Бор", city="Бургас", owner=admin_user)

    page = selectors.company_page(user=admin_user, sort=sort)

    assert [c.legal_name for c in page.items] == expected


def test_company_page_recently_changed_first(admin_user):
    first = CompanyFactory(legal_name="Първа", owner=admin_user)
    second = CompanyFactory(legal_name="Втора", owner=admin_user)
    services.company_update(actor=admin_user, company=first, data={"city": "Враца"},
                            expected_version=1)

    assert [c.pk for c in selectors.company_page(user=admin_user, sort="updated").items] == [
        first.pk, second.pk]
    assert [c.pk for c in selectors.company_page(user=admin_user, sort="created").items] == [
        second.pk, first.pk]


def _queries(func) -> int:
    with CaptureQueriesContext(connection) as ctx:
        func()
    return len(ctx.captured_queries)


def test_company_page_query_count_does_not_grow_with_rows(manager, team):
    def page():
        fresh = type(manager).objects.get(pk=manager.pk)  # a new request: no memoised scope
        return [(c.owner, c.team, list(c.tags.all()))
                for c in selectors.company_page(user=fresh, size=50).items]

    for company in CompanyFactory.create_batch(2, owner=manager):
        company.tags.add(TagFactory())
    few = _queries(page)
    for company in CompanyFactory.create_batch(30, owner=manager):
        company.tags.add(TagFactory(), TagFactory())
    assert len(page()) == 32
    assert _queries(page) == few


def test_contact_page_query_count_does_not_grow_with_rows(manager):
    company = CompanyFactory(owner=manager)
    ContactFactory.create_batch(2, company=company)

    def page():
        fresh = type(manager).objects.get(pk=manager.pk)
        return [c.company.legal_name for c in selectors.contact_page(user=fresh, size=50).items]

    few = _queries(page)
    for _ in range(20):
        ContactFactory(company=CompanyFactory(owner=manager))
    assert _queries(page) == few


def test_contact_filters(manager):
    company = CompanyFactory(owner=manager)
    other = CompanyFactory(owner=manager)
    maria = services.contact_create(actor=manager, data={
        "company": company.pk, "first_name": "Мария", "last_name": "Петрова",
        "phones": "0899 111 222", "marketing_consent": True, "consent_source": "форма",
        "preferred_channel": "email", "position": "Управител"})
    ivan = services.contact_create(actor=manager, data={
        "company": other.pk, "first_name": "Иван", "last_name": "Петров",
        "preferred_channel": "phone"})

    def listed(**kw):
        return sorted(c.pk for c in selectors.contact_list(user=manager,
                                                          filters=ContactFilters(**kw)))

    assert listed(q="петров") == sorted([maria.pk, ivan.pk])   # prefix of both
    assert listed(q="МАРИЯ") == [maria.pk]
    assert listed(q="управител") == [maria.pk]
    assert listed(q="+359 899 111 222") == [maria.pk]
    assert listed(company=other.pk) == [ivan.pk]
    assert listed(consent=True) == [maria.pk]
    assert listed(consent=False) == [ivan.pk]
    assert listed(channel="phone") == [ivan.pk]
    assert [c.pk for c in selectors.contact_page(user=manager, sort="name").items] == [
        ivan.pk, maria.pk]
    assert [c.pk for c in selectors.contact_page(user=manager, sort="-name").items] == [
        maria.pk, ivan.pk]


def test_subsidiaries_are_visible_ones_only(manager, other_manager):
    holding = CompanyFactory(owner=manager, legal_name="Холдинг")
    mine = CompanyFactory(owner=manager, legal_name="Моя дъщерна", parent=holding)
    CompanyFactory(owner=other_manager, legal_name="Чужда дъщерна", parent=holding)

    assert selectors.company_subsidiaries(user=manager, company=holding) == [mine]


def test_notes_newest_first_for_one_company(manager):
    company = CompanyFactory(owner=manager)
    older = NoteFactory(company=company)
    newer = NoteFactory(company=company)
    NoteFactory(company=CompanyFactory(owner=manager))

    assert list(selectors.note_list(user=manager, company_id=company.pk)) == [newer, older]


def test_autocomplete_limits_and_orders(manager):
    for name in ["Делта 3", "Делта 1", "Делта 2", "Епсилон"]:
        CompanyFactory(owner=manager, legal_name=name)

    found = selectors.company_autocomplete(user=manager, query="делта", limit=2)

    assert [c.legal_name for c in found] == ["Делта 1", "Делта 2"]
    assert selectors.company_autocomplete(user=manager, query="  ") == []


def test_global_search_needs_two_characters_and_collapses_spaces(manager):
    CompanyFactory(owner=manager, legal_name="Зета Инвест")

    assert global_search(user=manager, query="з") == []
    assert global_search(user=manager, query="   ") == []
    hits = global_search(user=manager, query="  зета    инвест ")
    assert [(h.kind, h.label) for h in hits] == [("company", "Зета Инвест")]
    assert hits[0].url == reverse("clients:company_detail", args=[hits[0].pk])


def test_saved_views_belong_to_their_user(manager, other_manager):
    services.saved_view_create(actor=manager, list_name="companies", name="Б", query="stage=lost")
    services.saved_view_create(actor=manager, list_name="companies", name="А", query="")
    services.saved_view_create(actor=manager, list_name="contacts", name="В", query="")
    services.saved_view_create(actor=other_manager, list_name="companies", name="Г", query="")

    assert [v.name for v in selectors.saved_view_list(user=manager)] == ["А", "Б"]
    assert [v.name for v in selectors.saved_view_list(user=manager, list_name="contacts")] == ["В"]


def test_search_q_helper_matches_company_list(admin_user, base):
    from partnera.clients.models import Company

    assert names(Company.objects.filter(selectors.company_search_q("0888 123 456"))) == [
        "АЛФА Трейд"]


def test_the_region_filter_offers_bulgarias_28_regions_in_order(make_user):
    manager = make_user(Role.ACCOUNT_MANAGER)

    regions = selectors.filter_choices_regions(user=manager)

    assert len(regions) == 28 == len(set(regions))
    assert regions == sorted(regions)
    assert {"София-град", "Пловдив", "Варна", "Бургас"} <= set(regions)


def _contact_walk(user, **kwargs) -> list[str]:
    seen, cursor = [], None
    while True:
        page = selectors.contact_page(user=user, cursor=cursor, **kwargs)
        seen.extend(f"{c.last_name} {c.first_name} @ {c.company.legal_name}" for c in page.items)
        if not page.has_next:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize("sort", ["name", "-name", "updated", "created"])
def test_contact_pages_hold_exactly_the_visible_contacts_in_order(manager, make_user, sort):
    """The contact list walks all contacts in the sort's order and keeps those of companies the
    user may see; many hidden ones in between (another manager's, a deleted company's) change
    nothing: every page is what the visibility-filtered query gives."""
    stranger = make_user(Role.ACCOUNT_MANAGER, username="stranger")
    mine = CompanyFactory(owner=manager, legal_name="Моя")
    hidden = CompanyFactory(owner=stranger, legal_name="Чужда")
    gone = CompanyFactory(owner=manager, legal_name="Изтрита")
    for n in range(70):
        ContactFactory(company=hidden, last_name=f"Андреев{n:02d}", first_name="Скрит")
    for n in range(9):
        ContactFactory(company=mine, last_name=f"Андреев{n * 8:02d}", first_name="Видим")
        ContactFactory(company=gone, last_name=f"Андреев{n * 8 + 1:02d}", first_name="Изтрит")
    services.company_delete(actor=manager, company=gone)

    field, descending = selectors.CONTACT_SORTS[sort]
    expected = [f"{c.last_name} {c.first_name} @ {c.company.legal_name}" for c in
                selectors.contact_list(user=manager).select_related("company")
                .order_by(*([f"-{field}", "-pk"] if descending else [field, "pk"]))]

    assert len(expected) == 9
    assert _contact_walk(manager, sort=sort, size=2) == expected
    assert _contact_walk(manager, sort=sort, size=50) == expected


def test_contact_page_for_a_user_who_sees_few_companies_falls_back_to_the_query(
        manager, make_user, monkeypatch):
    stranger = make_user(Role.ACCOUNT_MANAGER, username="stranger")
    hidden = CompanyFactory(owner=stranger)
    ContactFactory.create_batch(12, company=hidden)
    visible = ContactFactory.create_batch(3, company=CompanyFactory(owner=manager))
    monkeypatch.setattr(selectors, "Walk", functools.partial(Walk, max_rows=2))

    page = selectors.contact_page(user=manager, size=2)
    rest = selectors.contact_page(user=manager, size=2, cursor=page.next_cursor)

    expected = sorted(visible, key=lambda c: (c.last_name, c.pk))
    assert [c.pk for c in page.items + rest.items] == [c.pk for c in expected]
    assert not rest.has_next


@pytest.mark.parametrize("sort", ["updated", "created", "city", "name"])
def test_company_pages_in_every_order_hold_exactly_the_visible_companies(manager, make_user, sort):
    """Orders without an index per grant walk the order's own index and keep the visible
    companies: other managers' companies in between change nothing, forward or back."""
    stranger = make_user(Role.ACCOUNT_MANAGER, username="stranger")
    cities = ["Варна", "Русе", "Бургас"]
    for n in range(60):
        CompanyFactory(owner=stranger, city=cities[n % 3], legal_name=f"Чужда {n:02d}")
        if n % 7 == 0:
            CompanyFactory(owner=manager, city=cities[n % 3], legal_name=f"Моя {n:02d}")
    field, descending = selectors.COMPANY_SORTS[sort]
    expected = list(selectors.company_list(user=manager)
                    .order_by(*([f"-{field}", "-pk"] if descending else [field, "pk"]))
                    .values_list("pk", flat=True))
    assert len(expected) == 9

    seen, cursor, pages = [], None, []
    while True:
        page = selectors.company_page(user=manager, sort=sort, size=2, cursor=cursor)
        pages.append(page)
        seen.extend(c.pk for c in page.items)
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert seen == expected
    back = selectors.company_page(user=manager, sort=sort, size=2, cursor=pages[-1].prev_cursor)
    assert [c.pk for c in back.items] == [c.pk for c in pages[-2].items]


@pytest.mark.parametrize("sort", ["updated", "city"])
def test_a_walked_company_page_loads_owners_teams_and_tags_in_constant_queries(manager, sort):
    def page():
        fresh = type(manager).objects.get(pk=manager.pk)
        return [(c.owner, c.team, list(c.tags.all()))
                for c in selectors.company_page(user=fresh, sort=sort, size=50).items]

    for company in CompanyFactory.create_batch(2, owner=manager):
        company.tags.add(TagFactory())
    few = _queries(page)
    for company in CompanyFactory.create_batch(30, owner=manager):
        company.tags.add(TagFactory(), TagFactory())
    many = _queries(page)

    assert few == many
    assert len(page()) == 32
