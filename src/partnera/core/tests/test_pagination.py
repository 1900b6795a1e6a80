"""Keyset pages and bounded counts: every row exactly once, in both directions, whatever the ties;
a cursor from the outside world is never trusted."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.utils import timezone

from partnera.clients.models import Company
from partnera.clients.tests.factories import CompanyFactory
from partnera.core.pagination import Page, Walk, _encode, bounded_count, is_valid_cursor, keyset_page

pytestmark = pytest.mark.django_db

# Many ties in the sort value, so the id must break them.
NAMES = ["Б", "А", "Б", "В", "Б", "Г", "В", "А", "Б", "Д", "Б"]


@pytest.fixture
def companies() -> list[Company]:
    return [CompanyFactory(legal_name=name) for name in NAMES]


def ordered(field: str, descending: bool) -> list[int]:
    order = [f"-{field}", "-pk"] if descending else [field, "pk"]
    return list(Company.objects.order_by(*order).values_list("pk", flat=True))


def walk_forward(field, descending, size):
    pages, cursor = [], None
    while True:
        page = keyset_page(Company.objects.all(), field=field, descending=descending,
                           cursor=cursor, size=size)
        pages.append(page)
        if not page.has_next:
            return pages
        cursor = page.next_cursor
        assert len(pages) < 50


def ids(page: Page) -> list[int]:
    return [c.pk for c in page.items]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 11, 20])
def test_forward_walk_gives_every_row_once_in_order(companies, descending, size):
    pages = walk_forward("legal_name", descending, size)

    assert [pk for page in pages for pk in ids(page)] == ordered("legal_name", descending)
    assert all(len(ids(p)) == size for p in pages[:-1])
    assert pages[0].has_prev is False
    assert pages[0].prev_cursor is None
    assert pages[-1].has_next is False
    assert pages[-1].next_cursor is None
    assert all(p.has_prev and p.prev_cursor for p in pages[1:])


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_backward_walk_retraces_the_same_pages(companies, descending, size):
    forward = walk_forward("legal_name", descending, size)
    page = forward[-1]
    back = [ids(page)]
    while page.has_prev:
        page = keyset_page(Company.objects.all(), field="legal_name", descending=descending,
                           cursor=page.prev_cursor, size=size)
        back.append(ids(page))
        # A page reached backwards always offers the way forward again
        assert page.has_next is True
        assert page.next_cursor is not None

    assert list(reversed(back)) == [ids(p) for p in forward]
    assert page.prev_cursor is None


def test_forward_again_after_going_back(companies):
    first = keyset_page(Company.objects.all(), field="legal_name", descending=False, cursor=None,
                        size=3)
    second = keyset_page(Company.objects.all(), field="legal_name", descending=False,
                         cursor=first.next_cursor, size=3)
    back = keyset_page(Company.objects.all(), field="legal_name", descending=False,
                       cursor=second.prev_cursor, size=3)
    again = keyset_page(Company.objects.all(), field="legal_name", descending=False,
                        cursor=back.next_cursor, size=3)

    assert ids(back) == ids(first)
    assert ids(again) == ids(second)


@pytest.mark.parametrize("descending", [False, True])
def test_datetime_sort_with_ties(companies, descending):
    # Given rows that share their timestamp, to the microsecond
    moment = timezone.now().replace(microsecond=123456)
    Company.objects.filter(legal_name__in=["Б", "В"]).update(updated_at=moment)
    Company.objects.filter(legal_name="А").update(updated_at=moment - dt.timedelta(days=1))

    pages = walk_forward("updated_at", descending, 2)

    assert [pk for page in pages for pk in ids(page)] == ordered("updated_at", descending)


def test_filtered_queryset_pages_within_the_filter(companies):
    qs = Company.objects.filter(legal_name="Б")
    first = keyset_page(qs, field="legal_name", descending=False, cursor=None, size=3)
    rest = keyset_page(qs, field="legal_name", descending=False, cursor=first.next_cursor, size=3)

    assert ids(first) + ids(rest) == list(qs.order_by("pk").values_list("pk", flat=True))
    assert rest.has_next is False


def test_empty_list_is_one_empty_page():
    page = keyset_page(Company.objects.all(), field="legal_name", descending=False, cursor=None,
                       size=10)

    assert page == Page([], None, None, False, False)


def _raw(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


@pytest.mark.parametrize("field", ["legal_name", "updated_at"])
@pytest.mark.parametrize("cursor", [
    "garbage!!",
    "",
    "====",
    "%%%",
    base64.urlsafe_b64encode(b"not json").decode(),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    _raw(5),
    _raw([]),
    _raw(["x", 1]),
    _raw(["x", "1", False]),
    _raw(["x", 1, "yes"]),
    _raw([{"a": 1}, 1, False]),
    _raw([["x"], 1, False]),
    _raw([{"dt": "not a date"}, 1, False]),
    _raw([None, 1, False]),
    _raw(["x\x00y", 1, False]),
    _raw(["x", 2**70, False]),
    _raw(["x", -(2**70), True]),
    "x" * 5000,
])
def test_tampered_cursor_falls_back_to_the_first_page(companies, field, cursor):
    first = keyset_page(Company.objects.all(), field=field, descending=False, cursor=None, size=3)

    page = keyset_page(Company.objects.all(), field=field, descending=False, cursor=cursor, size=3)

    assert ids(page) == ids(first)
    assert page.has_prev is False
    assert page.prev_cursor is None


@pytest.mark.parametrize("value", ["not a date", 12, "2024-13-45"])
def test_cursor_value_that_does_not_fit_the_sort_field_falls_back(companies, value):
    first = keyset_page(Company.objects.all(), field="updated_at", descending=True, cursor=None,
                        size=3)

    page = keyset_page(Company.objects.all(), field="updated_at", descending=True,
                       cursor=_raw([value, 1, False]), size=3)

    assert ids(page) == ids(first)
    assert page.has_prev is False


def test_cursor_with_a_naive_datetime_is_read_as_utc(companies):
    moment = dt.datetime(2030, 1, 1, 12, 0, 0)
    cursor = _raw([{"dt": moment.isoformat()}, 0, False])

    page = keyset_page(Company.objects.all(), field="updated_at", descending=True, cursor=cursor,
                       size=50)

    # every row was updated before 2030, so all of them come after that position
    assert ids(page) == ordered("updated_at", True)


def test_cursor_round_trips_datetimes_exactly(companies):
    moment = timezone.now().replace(microsecond=654321)
    cursor = _encode(moment, 7)

    assert "dt" in base64.urlsafe_b64decode(cursor + "==").decode()
    page = keyset_page(Company.objects.filter(pk__in=[]), field="updated_at", descending=True,
                       cursor=cursor, size=1)
    assert page.has_prev is True


def test_bounded_count_caps(companies):
    qs = Company.objects.all()

    assert bounded_count(qs) == (11, False)
    assert bounded_count(qs, cap=11) == (11, False)
    assert bounded_count(qs, cap=10) == (10, True)
    assert bounded_count(qs, cap=3) == (3, True)
    assert bounded_count(qs.filter(legal_name="Б"), cap=3) == (3, True)
    assert bounded_count(qs.filter(legal_name="Д"), cap=3) == (1, False)
    assert bounded_count(Company.objects.none()) == (0, False)


def test_bounded_count_ignores_ordering_and_is_one_query(companies, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert bounded_count(Company.objects.order_by("-legal_name"), cap=5) == (5, True)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_branches_walk_the_same_pages_as_the_plain_or(make_user, descending, size):
    """Given rows granted by overlapping grants (owner, team), walking each grant's own index
    and merging gives exactly the pages of the single OR query, forward and back."""
    from django.db.models import Q

    from partnera.people.tests.factories import TeamFactory

    owner, other = make_user(), make_user()
    team, elsewhere = TeamFactory(), TeamFactory()
    for n, name in enumerate(NAMES * 2):
        CompanyFactory(legal_name=name, owner=owner if n % 3 == 0 else other,
                       team=team if n % 2 == 0 else elsewhere)
    branches = [Q(owner=owner), Q(team=team)]
    granted = Company.objects.filter(branches[0] | branches[1])
    expected = list(granted.order_by(*(["-legal_name", "-pk"] if descending
                                       else ["legal_name", "pk"])).values_list("pk", flat=True))
    assert 0 < len(expected) < Company.objects.count()

    seen, cursor, pages = [], None, []
    while True:
        page = keyset_page(granted, field="legal_name", descending=descending, cursor=cursor,
                           size=size, branches=branches)
        pages.append(page)
        seen.extend(ids(page))
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert seen == expected
    back = keyset_page(granted, field="legal_name", descending=descending,
                       cursor=pages[-1].prev_cursor, size=size, branches=branches)
    if len(pages) > 1:
        assert ids(back) == ids(pages[-2])


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("size", [1, 2, 3, 7])
@pytest.mark.parametrize("max_rows", [1, 5, 4000])
def test_a_walk_gives_exactly_the_pages_of_the_filtered_query(descending, size, max_rows):
    """Walking the unfiltered rows in order and keeping the wanted ones gives the same pages as
    the filtered query, forward and back — also when the walk gives up (max_rows) part-way and
    the filtered query takes over."""
    for n, name in enumerate(NAMES * 3):
        CompanyFactory(legal_name=name, city="Варна" if n % 3 == 1 or n > 25 else "Русе")
    wanted = Company.objects.filter(city="Варна")
    walk = Walk(Company.objects.all(), keep=lambda rows: [c for c in rows if c.city == "Варна"],
                max_rows=max_rows)
    expected = list(wanted.order_by(*(["-legal_name", "-pk"] if descending
                                      else ["legal_name", "pk"])).values_list("pk", flat=True))

    seen, cursor, pages = [], None, []
    while True:
        page = keyset_page(wanted, field="legal_name", descending=descending, cursor=cursor,
                           size=size, walk=walk)
        pages.append(page)
        seen.extend(ids(page))
        if not page.has_next:
            break
        cursor = page.next_cursor
        assert len(pages) < 60
    assert seen == expected
    assert all(len(ids(p)) == size for p in pages[:-1])
    if len(pages) > 1:
        back = keyset_page(wanted, field="legal_name", descending=descending,
                           cursor=pages[-1].prev_cursor, size=size, walk=walk)
        assert ids(back) == ids(pages[-2])


def test_a_walk_reads_chunks_until_the_page_is_full(django_assert_num_queries):
    # 40 rows not kept come first in the order: the first chunk (size + 1 = 3 rows) and the
    # next ones (12, then 48) are read until three kept rows are found: three queries.
    for n in range(40):
        CompanyFactory(legal_name=f"А {n:02d}", city="Русе")
    for n in range(5):
        CompanyFactory(legal_name=f"Б {n:02d}", city="Варна")
    walk = Walk(Company.objects.all(), keep=lambda rows: [c for c in rows if c.city == "Варна"])

    with django_assert_num_queries(3):
        page = keyset_page(Company.objects.filter(city="Варна"), field="legal_name",
                           descending=False, cursor=None, size=2, walk=walk)
    assert [c.legal_name for c in page.items] == ["Б 00", "Б 01"]
    assert page.has_next and not page.has_prev


@pytest.mark.parametrize("cap", [1, 5, 13, 1000])
def test_bounded_count_by_branches_counts_the_union_of_the_grants_once(make_user, cap):
    from django.db.models import Q

    from partnera.people.tests.factories import TeamFactory

    owner, other = make_user(), make_user()
    team, elsewhere = TeamFactory(), TeamFactory()
    for n in range(30):  # overlapping grants: owner's companies in the team count once
        CompanyFactory(owner=owner if n % 3 == 0 else other, team=team if n % 2 == 0 else elsewhere)
    branches = [Q(owner=owner), Q(team=team), Q(pk__in=[])]
    granted = Company.objects.filter(branches[0] | branches[1])
    total = granted.count()
    assert 0 < total < 30

    assert bounded_count(granted, cap=cap, branches=branches) == bounded_count(granted, cap=cap)
    assert bounded_count(granted, cap=cap, branches=branches) == (min(total, cap), total > cap)


# --- dates out of range: not from a page (year 1 with an offset overflows in the adapter) -----------

FAR_MOMENTS = ["0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59-05:00",
               "1899-12-31T23:59:59+00:00", "3000-01-01T00:00:00"]


def far_cursors() -> list[str]:
    """Datetime cursors (as `_encode` writes them, aware or naive) and plain ISO strings (what a
    date or datetime sort field reads) with a year outside 1900–2999."""
    return ([_raw([{"dt": m}, 1, False]) for m in FAR_MOMENTS]
            + [_raw([m, 1, False]) for m in FAR_MOMENTS]
            + [_raw([day, 1, False]) for day in ("0001-01-01", "9999-12-31")])


@pytest.mark.parametrize("cursor", far_cursors())
def test_a_date_out_of_range_makes_the_cursor_invalid_and_the_page_the_first(companies, cursor):
    first = keyset_page(Company.objects.all(), field="updated_at", descending=True, cursor=None,
                        size=3)

    page = keyset_page(Company.objects.all(), field="updated_at", descending=True, cursor=cursor,
                       size=3)

    assert is_valid_cursor(cursor) is False
    assert ids(page) == ids(first) and page.has_prev is False


@pytest.mark.parametrize("moment", ["1900-01-01T00:00:00+00:00", "2999-12-31T23:59:59",
                                    "2026-03-10T08:00:00+02:00"])
def test_a_date_in_range_keeps_the_cursor_valid(companies, moment):
    cursor = _raw([{"dt": moment}, 1, False])

    assert is_valid_cursor(cursor) is True
    assert is_valid_cursor(_encode(timezone.now(), 5)) is True
    assert is_valid_cursor(_raw(["Алфа", 1, False])) is True


@pytest.mark.parametrize("cursor", far_cursors())
def test_the_apis_answer_400_and_the_web_list_its_first_page(client, manager, cursor):
    from django.urls import reverse

    from partnera.people.services import token_create

    company = CompanyFactory(owner=manager)
    _token, secret = token_create(actor=None, user=manager, name="tests")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": "en"}

    for path in ("/api/v1/companies", "/api/v1/deals"):
        for sort in ("updated", "created"):
            response = client.get(path, {"cursor": cursor, "sort": sort}, **headers)
            assert response.status_code == 400, (path, response.content)
            assert response.json()["fields"] == {
                "cursor": ["This cursor is not valid; start again without one."]}
    client.force_login(manager)
    page = client.get(reverse("clients:company_list"), {"cursor": cursor, "sort": "updated"})
    assert page.status_code == 200
    assert [c.pk for c in page.context["page"].items] == [company.pk]


@pytest.mark.parametrize("descending", [False, True])
def test_a_page_after_a_tie_starts_at_the_cursor_in_one_row_comparison(descending):
    """Deep into a common surname the page must not read every namesake before the cursor: the
    position is one `(last_name, id) > (…)` comparison (qualified by table, as the list joins the
    company, whose id would be ambiguous), and paging still gives every person once, in order."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from partnera.clients.models import Contact
    from partnera.clients.tests.factories import ContactFactory

    for name in ["Петрова", "Иванова", "Петрова", "Петрова", "Георгиева", "Петрова"]:
        ContactFactory(last_name=name)
    qs = Contact.objects.filter(company__deleted_at__isnull=True)
    order = ["-last_name", "-pk"] if descending else ["last_name", "pk"]
    expected = list(qs.order_by(*order).values_list("pk", flat=True))

    seen, cursor = [], None
    with CaptureQueriesContext(connection) as queries:
        while True:
            page = keyset_page(qs, field="last_name", descending=descending, cursor=cursor, size=2)
            seen += [c.pk for c in page.items]
            if not page.has_next:
                break
            cursor = page.next_cursor

    assert seen == expected
    op = "<" if descending else ">"
    after = [q["sql"] for q in queries.captured_queries[1:]]  # the pages after the first
    assert len(after) == 2 and all(f'("clients_contact"."last_name", "clients_contact"."id") {op} ('
                         in sql for sql in after)
