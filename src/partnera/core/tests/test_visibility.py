"""The one record-visibility rule, checked through every read that uses it.

A matrix: each role (and an inactive user) against one client base with records that are their
own, their team's (sharing or not), explicitly shared, owned by a headed team's member, someone
else's, unowned and deleted. For every user, every read (lists, counts, pages, detail, contacts,
notes, files, autocomplete, global search) shows exactly the expected records and nothing else;
reading an invisible record answers NotFound and records the denied access.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db.models import Q
from django.utils import timezone

from partnera.clients import selectors
from partnera.clients.models import Attachment, Company
from partnera.clients.regions import BG_REGIONS
from partnera.clients.tests.factories import CompanyFactory, ContactFactory, NoteFactory
from partnera.core import visibility
from partnera.core.errors import NotFound
from partnera.core.models import AuditEntry, RecordShare
from partnera.core.roles import DepartmentKind, Role
from partnera.core.search import global_search
from partnera.core.tests.dbstate import db_state
from partnera.people.tests.factories import DepartmentFactory, TeamFactory

pytestmark = pytest.mark.django_db

NAMES = ["own", "teammate", "member_elsewhere", "closed_team", "shared", "stranger", "orphan",
         "marketing_own"]


@dataclass
class World:
    users: dict
    companies: dict
    contacts: dict
    notes: dict
    files: dict
    deleted: Company


def _file(company) -> Attachment:
    return Attachment.objects.create(
        company=company, file=f"attachments/{company.pk}/k{company.pk}", storage_key=f"k{company.pk}",
        original_name=f"Матрица-{company.pk}.pdf", content_type="application/pdf", size=10,
        sha256="0" * 64,
    )


@pytest.fixture
def world(make_user) -> World:
    sharing = TeamFactory(name="Екип А", shares_clients=True)
    closed = TeamFactory(name="Екип Б", shares_clients=False)
    third = TeamFactory(name="Екип В", shares_clients=True)
    users = {
        "manager": make_user(Role.ACCOUNT_MANAGER, team=sharing, username="manager"),
        "key_account": make_user(Role.KEY_ACCOUNT_MANAGER, team=sharing, username="kam"),
        "teammate": make_user(Role.ACCOUNT_MANAGER, team=sharing, username="teammate"),
        "closed_manager": make_user(Role.ACCOUNT_MANAGER, team=closed, username="closed"),
        "closed_mate": make_user(Role.ACCOUNT_MANAGER, team=closed, username="closed_mate"),
        "other": make_user(Role.ACCOUNT_MANAGER, team=third, username="other"),
        "head": make_user(Role.HEAD_OF_SALES, username="head"),
        "marketing": make_user(Role.MARKETING, username="marketing"),
        "clerk": make_user(Role.DEPARTMENT, username="clerk"),
        "unshared_clerk": make_user(Role.DEPARTMENT, username="clerk2",
                                    department=DepartmentFactory(kind=DepartmentKind.QUALITY)),
        "admin": make_user(Role.ADMINISTRATOR, username="admin"),
        "superuser": make_user(Role.ACCOUNT_MANAGER, username="root", is_superuser=True),
        "inactive": make_user(Role.HEAD_OF_SALES, team=sharing, username="gone", is_active=False),
    }
    sharing.head = users["head"]
    sharing.save()
    closed.head = users["head"]
    closed.save()
    u = users
    companies = {
        "own": CompanyFactory(legal_name="Матрица Собствена", owner=u["manager"], team=sharing),
        "teammate": CompanyFactory(legal_name="Матрица Колега", owner=u["teammate"], team=sharing),
        # owned by a member of the head's team but filed under another team
        "member_elsewhere": CompanyFactory(legal_name="Матрица Другаде", owner=u["teammate"],
                                           team=third),
        "closed_team": CompanyFactory(legal_name="Матрица Затворен", owner=u["closed_mate"],
                                      team=closed),
        "shared": CompanyFactory(legal_name="Матрица Споделена", owner=u["other"], team=third),
        "stranger": CompanyFactory(legal_name="Матрица Чужда", owner=u["other"], team=third),
        "orphan": CompanyFactory(legal_name="Матрица Ничия", owner=None, team=None),
        "marketing_own": CompanyFactory(legal_name="Матрица Маркетинг", owner=u["marketing"],
                                        team=None),
    }
    deleted = CompanyFactory(legal_name="Матрица Изтрита", owner=u["manager"], team=sharing,
                             deleted_at=timezone.now())
    for who in ("manager", "closed_manager", "clerk"):
        RecordShare.objects.create(record_type="clients.company", record_id=companies["shared"].pk,
                                   user=u[who], granted_by=u["other"])
    # A share of the deleted company must not bring it back
    RecordShare.objects.create(record_type="clients.company", record_id=deleted.pk,
                               user=u["other"])
    contacts = {k: ContactFactory(company=c, last_name="Матричен") for k, c in companies.items()}
    notes = {k: NoteFactory(company=c, body=f"Матрична бележка {k}") for k, c in companies.items()}
    files = {k: _file(c) for k, c in companies.items()}
    ContactFactory(company=deleted, last_name="Матричен")
    NoteFactory(company=deleted)
    _file(deleted)
    return World(users, companies, contacts, notes, files, deleted)


EXPECTED = {
    # An account manager: own, the sharing team's, and what was shared with them.
    "manager": {"own", "teammate", "shared"},
    # A key-account manager in the same team: own (none) and the team's.
    "key_account": {"own", "teammate"},
    # Their teammate also owns a company filed under another team.
    "teammate": {"own", "teammate", "member_elsewhere"},
    # A team that does not share: each member sees only their own (and explicit shares).
    "closed_manager": {"shared"},
    "closed_mate": {"closed_team"},
    "other": {"member_elsewhere", "shared", "stranger"},
    # A head of sales: the headed teams' records (sharing or not) and records their members own.
    "head": {"own", "teammate", "member_elsewhere", "closed_team"},
    # Marketing and administrators read the whole base.
    "marketing": set(NAMES),
    "admin": set(NAMES),
    "superuser": set(NAMES),
    # Department members see nothing unless shared with them.
    "clerk": {"shared"},
    "unshared_clerk": set(),
    # An inactive user sees nothing at all.
    "inactive": set(),
}
USERS = sorted(EXPECTED)


def names_of(world: World, pks) -> set[str]:
    by_pk = {c.pk: name for name, c in world.companies.items()}
    by_pk[world.deleted.pk] = "DELETED"
    return {by_pk[pk] for pk in pks}


@pytest.mark.parametrize("who", USERS)
def test_company_reads_show_exactly_the_visible_companies(world, who):
    user = world.users[who]
    expected = EXPECTED[who]

    assert names_of(world, selectors.company_list(user=user).values_list("pk", flat=True)) == expected
    assert selectors.company_count(user=user) == (len(expected), False)
    page = selectors.company_page(user=user, size=100)
    assert names_of(world, [c.pk for c in page.items]) == expected
    assert names_of(world, [c.pk for c in selectors.company_autocomplete(
        user=user, query="матрица", limit=50)]) == expected
    # the region filter is the fixed list of Bulgaria's regions: it tells nobody anything
    assert selectors.filter_choices_regions(user=user) == BG_REGIONS


@pytest.mark.parametrize("who", USERS)
def test_company_detail_answers_not_found_for_invisible_and_records_the_denial(world, who):
    user = world.users[who]
    expected = EXPECTED[who]

    for name, company in world.companies.items():
        if name in expected:
            assert selectors.company_get(user=user, pk=company.pk) == company
            assert selectors.company_get(user=user, pk=str(company.pk)) == company
            continue
        before = AuditEntry.objects.count()
        with pytest.raises(NotFound) as exc:
            selectors.company_get(user=user, pk=company.pk)
        assert exc.value.code == "not_found"
        assert exc.value.status == 404
        assert AuditEntry.objects.count() == before + 1
        entry = AuditEntry.objects.order_by("-id").first()
        assert entry.action == AuditEntry.Action.ACCESS_DENIED
        assert entry.actor == user
        assert entry.object_type == "clients.company"
        assert entry.object_id == str(company.pk)
        assert entry.company_id == company.pk
        # The denial names the record by number only, never by its name
        assert entry.object_repr == f"#{company.pk}"


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_deleted_missing_and_garbage_ids_are_not_found_without_a_denial(world, who):
    user = world.users[who]
    before = db_state()

    for pk in [world.deleted.pk, 987654, "abc", None, "1 OR 1=1", -1]:
        with pytest.raises(NotFound):
            selectors.company_get(user=user, pk=pk)

    assert db_state() == before


@pytest.mark.parametrize("who", USERS)
def test_contacts_notes_and_files_follow_their_company(world, who):
    user = world.users[who]
    expected = EXPECTED[who]

    contact_names = names_of(world, selectors.contact_list(user=user).values_list("company_id",
                                                                               flat=True))
    assert contact_names == expected
    assert selectors.contact_count(user=user) == (len(expected), False)
    assert names_of(world, [c.company_id for c in selectors.contact_page(user=user, size=100).items]
                    ) == expected
    assert names_of(world, selectors.note_list(user=user).values_list("company_id", flat=True)
                    ) == expected
    for name, company in world.companies.items():
        files = list(selectors.attachment_list(user=user, company_id=company.pk))
        notes = list(selectors.note_list(user=user, company_id=company.pk))
        assert files == ([world.files[name]] if name in expected else [])
        assert notes == ([world.notes[name]] if name in expected else [])
        if name in expected:
            assert selectors.contact_get(user=user, pk=world.contacts[name].pk) == world.contacts[name]
            assert selectors.note_get(user=user, pk=world.notes[name].pk) == world.notes[name]
            assert selectors.attachment_get(user=user, pk=world.files[name].pk) == world.files[name]
            assert selectors.contacts_of_company(user=user, company=company) == [
                world.contacts[name]]
        else:
            for getter, record in [(selectors.contact_get, world.contacts[name]),
                                   (selectors.note_get, world.notes[name]),
                                   (selectors.attachment_get, world.files[name])]:
                before = AuditEntry.objects.count()
                with pytest.raises(NotFound):
                    getter(user=user, pk=record.pk)
                entry = AuditEntry.objects.order_by("-id").first()
                assert AuditEntry.objects.count() == before + 1
                assert entry.action == AuditEntry.Action.ACCESS_DENIED
                assert entry.object_id == str(record.pk)
                assert entry.company_id == company.pk
            assert selectors.contacts_of_company(user=user, company=company) == []


@pytest.mark.parametrize("who", USERS)
def test_global_search_finds_only_visible_records(world, who):
    user = world.users[who]
    expected = EXPECTED[who]

    hits = global_search(user=user, query="матрица", limit=50)
    assert names_of(world, [h.pk for h in hits if h.kind == "company"]) == expected
    contact_hits = global_search(user=user, query="Матричен", limit=50)
    visible_contacts = {world.contacts[n].pk for n in expected}
    assert {h.pk for h in contact_hits if h.kind == "contact"} == visible_contacts
    # A phone number and an EIK find the company only when it is visible
    for name, company in world.companies.items():
        for query in (company.eik, "0" + company.phones[0][4:], company.phones[0]):
            found = {h.pk for h in global_search(user=user, query=query, kinds={"company"})}
            assert found == ({company.pk} if name in expected else set()), (name, query)


@pytest.mark.parametrize("who", USERS)
def test_deleted_company_and_its_records_never_appear(world, who):
    user = world.users[who]
    deleted = world.deleted

    assert not selectors.company_list(user=user).filter(pk=deleted.pk).exists()
    assert not selectors.contact_list(user=user).filter(company_id=deleted.pk).exists()
    assert not selectors.note_list(user=user).filter(company_id=deleted.pk).exists()
    assert list(selectors.attachment_list(user=user, company_id=deleted.pk)) == []
    assert deleted.pk not in [h.pk for h in global_search(user=user, query="изтрита", limit=50)]
    assert deleted not in selectors.company_autocomplete(user=user, query="изтрита")


def test_deleted_list_shows_only_deleted_companies_the_user_may_see(world):
    u = world.users
    assert list(selectors.company_deleted_list(user=u["manager"])) == [world.deleted]
    assert list(selectors.company_deleted_list(user=u["head"])) == [world.deleted]
    assert list(selectors.company_deleted_list(user=u["admin"])) == [world.deleted]
    # An explicit share does not make a deleted company visible in the live lists ...
    assert list(selectors.company_deleted_list(user=u["closed_manager"])) == []
    with pytest.raises(NotFound):
        selectors.company_get_deleted(user=u["closed_manager"], pk=world.deleted.pk)
    assert selectors.company_get_deleted(user=u["manager"], pk=world.deleted.pk) == world.deleted


@pytest.mark.parametrize("who", USERS)
def test_who_may_change_and_delete(world, who):
    user = world.users[who]
    expected = EXPECTED[who]
    editor = who in {"manager", "key_account", "teammate", "closed_manager", "closed_mate",
                     "other", "head", "admin", "superuser"}

    for name, company in world.companies.items():
        visible = name in expected
        may_change = visibility.can_change(user, company, is_visible=visible)
        if not visible:
            assert may_change is False
        elif who == "marketing":
            # Marketing reads everything but changes only its own records
            assert may_change is (name == "marketing_own")
        else:
            assert may_change is editor, name


def test_confidential_right_per_role(world, make_user):
    u = world.users
    finance = make_user(Role.DEPARTMENT, username="finance",
                        department=DepartmentFactory(kind=DepartmentKind.FINANCE))
    holders = {"key_account", "head", "admin", "superuser"}
    for who, user in u.items():
        if who == "inactive":
            continue
        assert visibility.can_see_confidential(user) is (who in holders), who
    assert visibility.can_see_confidential(finance) is True
    assert visibility.can_see_confidential(None) is False


def test_team_that_stops_sharing_hides_teammates_companies(world):
    from partnera.people.models import Team, User

    Team.objects.filter(name="Екип А").update(shares_clients=False)
    manager = User.objects.get(username="manager")  # a fresh request: no memoised scope

    assert names_of(world, selectors.company_list(user=manager).values_list("pk", flat=True)) == {
        "own", "shared"}
    # The head still sees the team's records
    head = User.objects.get(username="head")
    assert {"own", "teammate"} <= names_of(
        world, selectors.company_list(user=head).values_list("pk", flat=True))


def test_department_rule_grants_only_department_members(world):
    def logistics_sees_orphans(user, root, record_type):
        if record_type != "clients.company":
            return visibility.NOTHING
        return Q(**{f"{root}owner__isnull": True})

    visibility.register_department_rule(logistics_sees_orphans)
    try:
        from partnera.people.models import User

        clerk = User.objects.get(username="clerk")
        manager = User.objects.get(username="manager")
        assert names_of(world, selectors.company_list(user=clerk).values_list("pk", flat=True)) == {
            "shared", "orphan"}
        assert names_of(world, selectors.note_list(user=clerk).values_list("company_id", flat=True)
                        ) == {"shared", "orphan"}
        assert "orphan" not in names_of(
            world, selectors.company_list(user=manager).values_list("pk", flat=True))
        # A rule for companies grants nothing of other kinds: no deal on the orphan is shown.
        from partnera.sales.selectors import deal_queryset
        from partnera.sales.tests.factories import DealFactory

        DealFactory(company=world.companies["orphan"], owner=None, team=None)
        assert not deal_queryset(user=clerk).exists()
    finally:
        visibility._department_rules.remove(logistics_sees_orphans)


def test_anonymous_and_missing_users_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    for user in (AnonymousUser(), None):
        assert visibility.visible_q(user) == visibility.NOTHING
        assert visibility.can_change(user, world.companies["own"]) is False
        assert visibility.can_delete(user, world.companies["own"]) is False
        assert visibility.is_administrator(user) is False
    assert selectors.company_list(user=AnonymousUser()).count() == 0
    assert global_search(user=AnonymousUser(), query="матрица") == []


def test_scope_is_computed_once_per_user_object(world, django_assert_num_queries):
    from partnera.people.models import User

    head = User.objects.get(username="head")
    visibility.scope_for(head)

    with django_assert_num_queries(0):
        visibility.scope_for(head)
        visibility.visible_q(head)
    visibility.forget_scope(head)
    with django_assert_num_queries(2):  # the teams they head, and those teams' members
        visibility.scope_for(head)
