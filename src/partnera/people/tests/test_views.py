"""The profile with API tokens, and the administrator's screens for users, teams, departments."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from partnera.core.models import AuditEntry
from partnera.core.roles import DepartmentKind, Role
from partnera.people.models import ApiToken, Department, Team, User
from partnera.people.services import token_authenticate, token_create
from partnera.people.tests.factories import PASSWORD, DepartmentFactory, TeamFactory

pytestmark = pytest.mark.django_db

STRONG = "Quiet-River-Stone-2026"


def people_state() -> tuple:
    """Everything the people screens can change, to assert that nothing did."""
    return (
        list(User.objects.order_by("pk").values()),
        list(Team.objects.order_by("pk").values()),
        list(Department.objects.order_by("pk").values()),
        list(ApiToken.objects.order_by("pk").values()),
        AuditEntry.objects.exclude(
            action__in=[AuditEntry.Action.LOGIN, AuditEntry.Action.ACCESS_DENIED]).count(),
    )


# --- profile ------------------------------------------------------------------------------

PROFILE = {"first_name": "Анна", "last_name": "Колева", "email": "anna@firma.bg",
           "phone": "0888 123 456", "language": "bg", "time_zone": "Europe/Sofia"}


def test_profile_page_shows_the_users_details(logged_in, manager):
    response = logged_in(manager).get("/people/me/")

    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="manager@partnera.test"' in body
    assert '<option value="Europe/Sofia"' in body
    assert response["Cache-Control"].startswith("max-age=0")


def test_profile_needs_login(client):
    response = client.get("/people/me/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/people/me/"


def test_profile_edit_saves_own_details_and_is_audited(logged_in, manager):
    client = logged_in(manager)

    response = client.post("/people/me/", {**PROFILE, "time_zone": "America/New_York"})

    assert response.status_code == 302
    manager.refresh_from_db()
    assert (manager.first_name, manager.last_name, manager.email) == ("Анна", "Колева",
                                                                       "anna@firma.bg")
    assert manager.phone == "+359888123456"
    assert manager.language == "bg"
    assert manager.time_zone == "America/New_York"
    assert response.cookies["partnera_language"].value == "bg"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE, object_id=str(manager.pk))
    assert entry.actor_id == manager.pk
    assert entry.changes["time_zone"] == ["Europe/Sofia", "America/New_York"]


@pytest.mark.parametrize("field, value", [
    ("time_zone", "Mars/Olympus_Mons"),
    ("time_zone", ""),
    ("email", "not-an-email"),
    ("phone", "12"),
    ("language", "de"),
    ("first_name", "x" * 151),
])
def test_profile_edit_with_bad_input_shows_error_and_changes_nothing(
        logged_in, manager, field, value):
    client = logged_in(manager)
    before = people_state()

    response = client.post("/people/me/", {**PROFILE, field: value})

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert f'id="field-{field}"' in response.content.decode()
    assert people_state() == before


def test_profile_edit_cannot_change_role_or_username(logged_in, manager):
    client = logged_in(manager)

    client.post("/people/me/", {**PROFILE, "role": Role.ADMINISTRATOR, "username": "boss",
                                "is_active": "", "team": ""})

    manager.refresh_from_db()
    assert manager.role == Role.ACCOUNT_MANAGER
    assert manager.username == "manager"
    assert manager.is_active and manager.team_id is not None


def test_profile_edit_without_csrf_token_is_rejected(manager):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)
    before = people_state()

    response = browser.post("/people/me/", PROFILE)

    assert response.status_code == 403
    assert people_state() == before


# --- API tokens ---------------------------------------------------------------------------

def test_token_create_shows_the_secret_once_and_stores_only_its_hash(logged_in, manager):
    client = logged_in(manager)

    response = client.post("/people/me/tokens/", {"name": "ERP sync"})

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    secret = response.context["new_secret"]
    assert secret.startswith("pa_")
    assert response.content.decode().count(secret) == 1
    token = ApiToken.objects.get(user=manager)
    assert token.name == "ERP sync"
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(list(ApiToken.objects.values()))
    assert token_authenticate(secret) == manager
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TOKEN_CREATE,
                                     actor=manager).count() == 1
    again = client.get("/people/me/").content.decode()
    assert secret not in again
    assert "ERP sync" in again and token.prefix in again


def test_token_create_with_too_long_name_changes_nothing(logged_in, manager):
    client = logged_in(manager)
    before = people_state()

    response = client.post("/people/me/tokens/", {"name": "x" * 101})

    assert response.status_code == 200
    assert "name" in response.context["token_form"].errors
    assert people_state() == before


def test_token_create_needs_post(logged_in, manager):
    assert logged_in(manager).get("/people/me/tokens/").status_code == 405
    assert not ApiToken.objects.exists()


def test_token_revoke_stops_the_token(logged_in, manager):
    token, secret = token_create(actor=manager, user=manager, name="Old")
    client = logged_in(manager)

    response = client.post(f"/people/me/tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token_authenticate(secret) is None
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TOKEN_REVOKE).count() == 1
    assert "revoked" in client.get("/people/me/").content.decode()


def test_token_revoke_of_someone_elses_token_is_404_and_changes_nothing(
        logged_in, manager, other_manager):
    token, secret = token_create(actor=other_manager, user=other_manager, name="Theirs")
    client = logged_in(manager)
    before = people_state()

    response = client.post(f"/people/me/tokens/{token.pk}/revoke/")

    assert response.status_code == 404
    assert people_state() == before
    assert token_authenticate(secret) == other_manager


def test_token_revoke_without_csrf_token_is_rejected(manager):
    token, secret = token_create(actor=manager, user=manager, name="Mine")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)

    assert browser.post(f"/people/me/tokens/{token.pk}/revoke/").status_code == 403
    assert token_authenticate(secret) == manager


# --- administration: who may ---------------------------------------------------------------

def _admin_requests(target: User, team: Team, department: Department) -> list[tuple[str, str, dict]]:
    return [
        ("get", "/people/admin/users/", {}),
        ("get", "/people/admin/users/new/", {}),
        ("post", "/people/admin/users/new/", {
            "username": "intruder", "role": Role.ADMINISTRATOR, "language": "bg",
            "password": STRONG, "password_confirm": STRONG}),
        ("get", f"/people/admin/users/{target.pk}/", {}),
        ("post", f"/people/admin/users/{target.pk}/", {
            "role": Role.ADMINISTRATOR, "is_active": "on", "email": "x@y.bg"}),
        ("get", f"/people/admin/users/{target.pk}/password/", {}),
        ("post", f"/people/admin/users/{target.pk}/password/", {
            "password": STRONG, "password_confirm": STRONG}),
        ("post", f"/people/admin/users/{target.pk}/deactivate/", {}),
        ("get", "/people/admin/teams/", {}),
        ("get", "/people/admin/teams/new/", {}),
        ("post", "/people/admin/teams/new/", {"name": "Hijack", "shares_clients": "on"}),
        ("get", f"/people/admin/teams/{team.pk}/", {}),
        ("post", f"/people/admin/teams/{team.pk}/", {"name": "Renamed"}),
        ("get", "/people/admin/departments/new/", {}),
        ("post", "/people/admin/departments/new/", {"name": "New", "kind": "finance"}),
        ("get", f"/people/admin/departments/{department.pk}/", {}),
        ("post", f"/people/admin/departments/{department.pk}/", {"name": "Renamed",
                                                                   "kind": "quality"}),
    ]


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ADMINISTRATOR])
def test_admin_screens_answer_403_to_everyone_else_and_change_nothing(make_user, role, team):
    actor = make_user(role, username=f"actor_{role}")
    target = make_user(Role.ACCOUNT_MANAGER, username="target", team=team)
    department = DepartmentFactory(kind=DepartmentKind.FINANCE)
    client = Client()
    client.force_login(actor)
    before = people_state()

    for method, url, data in _admin_requests(target, team, department):
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (method, url)
        assert people_state() == before, (method, url)


def test_admin_screens_send_anonymous_visitors_to_login(client, team, make_user):
    target = make_user(username="target")
    department = DepartmentFactory()
    before = people_state()

    for method, url, data in _admin_requests(target, team, department):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith("/login/")
    assert people_state() == before


def test_admin_screens_open_for_an_administrator(logged_in, admin_user, team, make_user):
    target = make_user(username="target")
    department = DepartmentFactory()
    client = logged_in(admin_user)

    for method, url, _data in _admin_requests(target, team, department):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_admin_navigation_shows_only_for_administrators(logged_in, admin_user, manager):
    assert "/people/admin/users/" in logged_in(admin_user).get("/people/me/").content.decode()
    assert "/people/admin/users/" not in logged_in(manager).get("/people/me/").content.decode()


def test_admin_post_without_csrf_token_is_rejected(admin_user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    before = people_state()

    response = browser.post("/people/admin/users/new/", {
        "username": "sneaky", "role": Role.ADMINISTRATOR, "language": "bg",
        "password": STRONG, "password_confirm": STRONG})

    assert response.status_code == 403
    assert people_state() == before


# --- administration: users ----------------------------------------------------------------

def test_user_list_shows_people_with_role_team_department_status(logged_in, admin_user, team,
                                                                 make_user):
    department = DepartmentFactory(kind=DepartmentKind.FINANCE, name="Финанси")
    make_user(Role.DEPARTMENT, username="finance1", first_name="Веселина", last_name="Русева",
              department=department)
    make_user(username="old_hand", first_name="Тодор", last_name="Тодоров", team=team,
              is_active=False)

    response = logged_in(admin_user).get("/people/admin/users/", HTTP_ACCEPT_LANGUAGE="en")

    body = response.content.decode()
    assert "Веселина Русева" in body and "Финанси" in body and "Department member" in body
    assert "Тодор Тодоров" in body and team.name in body and "inactive" in body
    assert "never" in body  # last login


@pytest.mark.parametrize("query, expected", [
    ("русева", {"finance1"}),
    ("Веселина", {"finance1"}),
    ("old_hand", {"old_hand"}),
    ("@partnera.test тодор", {"old_hand"}),
    ("nobody", set()),
])
def test_user_list_search(logged_in, admin_user, make_user, query, expected):
    make_user(username="finance1", first_name="Веселина", last_name="Русева")
    make_user(username="old_hand", first_name="Тодор", last_name="Тодоров")

    response = logged_in(admin_user).get("/people/admin/users/", {"q": query})

    assert {u.username for u in response.context["page"].items} == expected


def test_user_list_query_count_does_not_grow_with_rows(logged_in, admin_user, make_user):
    client = logged_in(admin_user)
    for i in range(3):
        make_user(username=f"few{i}", team=TeamFactory(), department=DepartmentFactory(
            kind=DepartmentKind.QUALITY, name=f"Q{i}"))
    client.get("/people/admin/users/")
    with CaptureQueriesContext(connection) as few:
        client.get("/people/admin/users/")
    for i in range(15):
        make_user(username=f"many{i}", team=TeamFactory(), department=DepartmentFactory(
            kind=DepartmentKind.QUALITY, name=f"M{i}"))
    with CaptureQueriesContext(connection) as many:
        response = client.get("/people/admin/users/")

    assert len(response.context["page"].items) == 19
    assert len(many) == len(few)


@pytest.mark.parametrize("cursor", ["garbage", "W251bGwsIDEsIGZhbHNlXQ",
                                    "WyJ4IiwgMTE4MDU5MTYyMDcxNzQxMTMwMzQyNCwgZmFsc2Vd"])
def test_user_list_with_a_tampered_cursor_still_answers(logged_in, admin_user, cursor):
    response = logged_in(admin_user).get("/people/admin/users/", {"cursor": cursor})

    assert response.status_code == 200


def test_user_list_escapes_names(logged_in, admin_user, make_user):
    make_user(username="xss", first_name="<script>alert(1)</script>", last_name="<b>x</b>")

    body = logged_in(admin_user).get("/people/admin/users/").content.decode()

    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def _new_user(**overrides):
    data = {"username": "nova", "first_name": "Нова", "last_name": "Колежка",
            "email": "nova@firma.bg", "phone": "+359 2 987 6543", "role": Role.ACCOUNT_MANAGER,
            "team": "", "department": "", "language": "bg", "password": STRONG,
            "password_confirm": STRONG}
    data.update(overrides)
    return data


def test_user_create_makes_a_user_who_can_log_in(logged_in, admin_user, team):
    client = logged_in(admin_user)

    response = client.post("/people/admin/users/new/", _new_user(team=team.pk))

    assert response.status_code == 302
    assert response["Location"] == "/people/admin/users/"
    user = User.objects.get(username="nova")
    assert (user.role, user.team, user.language, user.phone) == (
        Role.ACCOUNT_MANAGER, team, "bg", "+35929876543")
    assert user.password != STRONG and user.check_password(STRONG)
    assert Client().login(username="nova", password=STRONG)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CREATE, object_id=str(user.pk))
    assert entry.actor_id == admin_user.pk
    assert "password" not in entry.changes


@pytest.mark.parametrize("overrides, field", [
    ({"username": "manager"}, "username"),
    ({"username": ""}, "username"),
    ({"username": "bad name!"}, "username"),
    ({"email": "not-an-email"}, "email"),
    ({"password": "short", "password_confirm": "short"}, "password"),
    ({"password": "1234567890123", "password_confirm": "1234567890123"}, "password"),
    ({"password": "password123", "password_confirm": "password123"}, "password"),
    ({"password": STRONG, "password_confirm": STRONG + "!"}, "password_confirm"),
    ({"role": "emperor"}, "role"),
    ({"team": "999999"}, "team"),
    ({"phone": "abc"}, "phone"),
])
def test_user_create_with_bad_input_shows_error_and_changes_nothing(
        logged_in, admin_user, manager, overrides, field):
    client = logged_in(admin_user)
    before = people_state()

    response = client.post("/people/admin/users/new/", _new_user(**overrides))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert f'id="field-{field}"' in response.content.decode()
    assert 'class="error"' in response.content.decode()
    assert people_state() == before


def test_user_create_shows_every_problem_at_once(logged_in, admin_user, manager):
    client = logged_in(admin_user)
    before = people_state()

    response = client.post("/people/admin/users/new/", _new_user(
        username="manager", phone="12", password="short", password_confirm="short"))
    assert set(response.context["form"].errors) == {"username", "password", "phone"}
    assert people_state() == before


def test_user_create_keeps_what_was_typed_but_not_the_password(logged_in, admin_user, manager):
    response = logged_in(admin_user).post("/people/admin/users/new/", _new_user(username="manager"))

    body = response.content.decode()
    assert 'value="nova@firma.bg"' in body
    assert STRONG not in body


def test_user_edit_changes_role_team_department_and_active(logged_in, admin_user, manager,
                                                          make_user):
    new_team = TeamFactory(name="Север")
    department = DepartmentFactory(kind=DepartmentKind.LOGISTICS)
    client = logged_in(admin_user)

    response = client.post(f"/people/admin/users/{manager.pk}/", {
        "first_name": manager.first_name, "last_name": manager.last_name, "email": manager.email,
        "phone": "", "role": Role.KEY_ACCOUNT_MANAGER, "team": new_team.pk,
        "department": department.pk, "is_active": "on"})

    assert response.status_code == 302
    manager.refresh_from_db()
    assert (manager.role, manager.team, manager.department, manager.is_active) == (
        Role.KEY_ACCOUNT_MANAGER, new_team, department, True)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE, object_id=str(manager.pk))
    assert entry.changes["team"][1] == "Север"
    assert entry.changes["role"] == [Role.ACCOUNT_MANAGER, Role.KEY_ACCOUNT_MANAGER]


def test_user_edit_to_administrator_makes_staff(logged_in, admin_user, manager):
    logged_in(admin_user).post(f"/people/admin/users/{manager.pk}/", {
        "email": manager.email, "role": Role.ADMINISTRATOR, "is_active": "on"})

    manager.refresh_from_db()
    assert manager.role == Role.ADMINISTRATOR and manager.is_staff


@pytest.mark.parametrize("data, field", [
    ({"email": "nope", "role": Role.ACCOUNT_MANAGER, "is_active": "on"}, "email"),
    ({"email": "", "role": "", "is_active": "on"}, "role"),
    ({"email": "", "role": Role.ACCOUNT_MANAGER, "department": "abc"}, "department"),
])
def test_user_edit_with_bad_input_changes_nothing(logged_in, admin_user, manager, data, field):
    client = logged_in(admin_user)
    before = people_state()

    response = client.post(f"/people/admin/users/{manager.pk}/", data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert people_state() == before


def test_the_last_administrator_cannot_demote_themselves(logged_in, admin_user):
    client = logged_in(admin_user)
    before = people_state()

    response = client.post(f"/people/admin/users/{admin_user.pk}/", {
        "email": "", "role": Role.ACCOUNT_MANAGER, "is_active": "on"})

    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    assert people_state() == before


def test_user_edit_of_missing_user_is_404(logged_in, admin_user):
    assert logged_in(admin_user).get("/people/admin/users/999999/").status_code == 404


def test_admin_resets_a_users_password_and_ends_their_sessions(logged_in, admin_user, manager):
    their_browser = Client()
    their_browser.force_login(manager)
    client = logged_in(admin_user)

    response = client.post(f"/people/admin/users/{manager.pk}/password/", {
        "password": STRONG, "password_confirm": STRONG})

    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.check_password(STRONG)
    assert their_browser.get("/people/me/").status_code == 302
    assert client.get("/people/admin/users/").status_code == 200  # the admin stays logged in
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE, object_id=str(manager.pk))
    assert entry.actor_id == admin_user.pk and entry.changes == {"password": ["***", "***"]}


@pytest.mark.parametrize("password, confirm, field", [
    ("short", "short", "password"),
    ("manager-partnera", "manager-partnera", "password"),
    (STRONG, "different-one-2026", "password_confirm"),
    ("", "", "password"),
])
def test_password_reset_with_bad_password_changes_nothing(
        logged_in, admin_user, manager, password, confirm, field):
    client = logged_in(admin_user)
    before = people_state()

    response = client.post(f"/people/admin/users/{manager.pk}/password/", {
        "password": password, "password_confirm": confirm})

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert people_state() == before
    assert Client().login(username="manager", password=PASSWORD)


def test_deactivate_user_stops_login_and_api(logged_in, admin_user, manager):
    _, secret = token_create(actor=manager, user=manager, name="Sync")
    their_browser = Client()
    their_browser.force_login(manager)

    response = logged_in(admin_user).post(f"/people/admin/users/{manager.pk}/deactivate/")

    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.is_active is False
    assert their_browser.get("/people/me/").status_code == 302
    assert not Client().login(username="manager", password=PASSWORD)
    assert token_authenticate(secret) is None
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE, object_id=str(manager.pk))
    assert entry.changes == {"is_active": [True, False]}


def test_deactivate_needs_post(logged_in, admin_user, manager):
    response = logged_in(admin_user).get(f"/people/admin/users/{manager.pk}/deactivate/")
    assert response.status_code == 405
    manager.refresh_from_db()
    assert manager.is_active


def test_administrator_cannot_deactivate_themselves(logged_in, admin_user):
    client = logged_in(admin_user)
    before = people_state()

    response = client.post(f"/people/admin/users/{admin_user.pk}/deactivate/", follow=True,
                           HTTP_ACCEPT_LANGUAGE="en")

    assert people_state() == before
    assert "You cannot deactivate your own account." in response.content.decode()


# --- administration: teams and departments --------------------------------------------------

def test_team_list_shows_head_members_and_sharing(logged_in, admin_user, head_of_sales, manager,
                                                  team, make_user):
    make_user(username="gone", team=team, is_active=False)
    DepartmentFactory(kind=DepartmentKind.QUALITY, name="Качество")

    response = logged_in(admin_user).get("/people/admin/teams/")

    row = next(t for t in response.context["teams"] if t.pk == team.pk)
    assert row.member_count == 1  # the inactive one does not count
    body = response.content.decode()
    assert str(head_of_sales) in body and team.name in body and "Качество" in body


def test_team_create(logged_in, admin_user, head_of_sales):
    response = logged_in(admin_user).post("/people/admin/teams/new/", {
        "name": "Юг", "head": head_of_sales.pk})

    assert response.status_code == 302
    team = Team.objects.get(name="Юг")
    assert team.head == head_of_sales and team.shares_clients is False
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATE, object_id=str(team.pk),
                                     object_type="people.team").count() == 1


def test_team_edit(logged_in, admin_user, team, manager):
    response = logged_in(admin_user).post(f"/people/admin/teams/{team.pk}/", {
        "name": "Преименуван", "head": manager.pk, "shares_clients": "on"})

    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.name, team.head, team.shares_clients) == ("Преименуван", manager, True)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE, object_id=str(team.pk))
    assert entry.changes["head"] == [None, str(manager)]


def test_team_edit_page_lists_members(logged_in, admin_user, team, manager):
    body = logged_in(admin_user).get(f"/people/admin/teams/{team.pk}/").content.decode()
    assert f"/people/admin/users/{manager.pk}/" in body


@pytest.mark.parametrize("data, field", [
    ({"name": "Дубликат"}, "name"),
    ({"name": ""}, "name"),
    ({"name": "x" * 121}, "name"),
    ({"name": "Ok", "head": "999999"}, "head"),
])
def test_team_create_with_bad_input_changes_nothing(logged_in, admin_user, data, field):
    TeamFactory(name="Дубликат")
    client = logged_in(admin_user)
    before = people_state()

    response = client.post("/people/admin/teams/new/", data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert people_state() == before


def test_team_edit_to_a_taken_name_changes_nothing(logged_in, admin_user, team):
    TeamFactory(name="Заето")
    client = logged_in(admin_user)
    before = people_state()

    response = client.post(f"/people/admin/teams/{team.pk}/", {"name": "Заето"})

    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert people_state() == before


def test_department_create_and_edit(logged_in, admin_user):
    client = logged_in(admin_user)

    assert client.post("/people/admin/departments/new/", {
        "name": "Логистика Пловдив", "kind": DepartmentKind.LOGISTICS}).status_code == 302
    department = Department.objects.get(name="Логистика Пловдив")
    assert client.post(f"/people/admin/departments/{department.pk}/", {
        "name": "Логистика Юг", "kind": DepartmentKind.LOGISTICS}).status_code == 302

    department.refresh_from_db()
    assert department.name == "Логистика Юг"
    actions = list(AuditEntry.objects.filter(object_type="people.department")
                   .order_by("pk").values_list("action", flat=True))
    assert actions == [AuditEntry.Action.CREATE, AuditEntry.Action.UPDATE]


@pytest.mark.parametrize("data, field", [
    ({"name": "Финанси", "kind": DepartmentKind.FINANCE}, "name"),
    ({"name": "", "kind": DepartmentKind.FINANCE}, "name"),
    ({"name": "Нов", "kind": "astrology"}, "kind"),
])
def test_department_create_with_bad_input_changes_nothing(logged_in, admin_user, data, field):
    DepartmentFactory(kind=DepartmentKind.FINANCE, name="Финанси")
    client = logged_in(admin_user)
    before = people_state()

    response = client.post("/people/admin/departments/new/", data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert people_state() == before
