"""REST API for people: /me, personal API tokens, and the administrators' lists of users and teams."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnera.clients.tests.test_api import ApiClient, assert_error
from partnera.core.models import AuditEntry
from partnera.core.roles import DepartmentKind, Role
from partnera.people.models import ApiToken, User
from partnera.people.services import token_create, token_revoke
from partnera.people.tests.factories import DepartmentFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_as(client):
    return lambda user: ApiClient(client, user)


def token_rows() -> list[dict]:
    """Tokens as stored, without `last_used_at` (every authenticated call may touch it)."""
    return [{k: v for k, v in row.items() if k != "last_used_at"}
            for row in ApiToken.objects.order_by("pk").values()]


def people_rows() -> dict:
    return {"users": list(User.objects.order_by("pk").values()), "tokens": token_rows()}


# --- /me -------------------------------------------------------------------------------------------

def test_me_describes_the_caller(api_as, manager):
    body = api_as(manager).get("/me").json()

    assert body == {
        "id": manager.pk, "username": "manager", "first_name": manager.first_name,
        "last_name": manager.last_name, "email": "manager@partnera.test",
        "role": "account_manager", "team": {"id": manager.team_id, "name": manager.team.name},
        "department": None, "language": "en", "time_zone": "Europe/Sofia",
        "is_active": True, "is_administrator": False, "can_see_confidential": False,
    }


def test_me_tells_a_finance_clerk_they_see_credit_terms(api_as, make_user):
    finance = DepartmentFactory(kind=DepartmentKind.FINANCE)
    clerk = make_user(Role.DEPARTMENT, department=finance)

    body = api_as(clerk).get("/me").json()

    assert body["department"] == {"id": finance.pk, "name": finance.name, "kind": "finance"}
    assert body["can_see_confidential"] is True


# --- tokens ------------------------------------------------------------------------------------------

def test_create_token_returns_the_secret_once_and_stores_only_its_hash(api_as, manager):
    api = api_as(manager)

    response = api.post("/tokens", {"name": "ERP синхронизация"})

    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["secret"]
    assert secret.startswith("pa_") and len(secret) > 40
    assert body["name"] == "ERP синхронизация"
    assert body["prefix"] == secret[:10]
    assert body["is_active"] is True and body["revoked_at"] is None
    token = ApiToken.objects.get(pk=body["id"])
    assert token.user == manager
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = " ".join(str(v) for row in ApiToken.objects.values() for v in row.values())
    assert secret not in stored
    assert secret[10:] not in stored
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.TOKEN_CREATE).latest("id")
    assert (entry.channel, entry.actor) == ("api", manager)
    # The new secret works, and the list never shows a secret again.
    new_api = ApiClient(api.client, manager)
    new_api.secret = secret
    assert new_api.get("/me").status_code == 200
    listing = api.get("/tokens").json()
    assert all("secret" not in t for t in listing)
    assert secret not in str(listing)


def test_list_tokens_shows_only_my_own_with_their_use(api_as, manager, other_manager):
    api = api_as(manager)  # makes the token "tests", used by the calls below
    old, _secret = token_create(actor=None, user=manager, name="стар")
    token_revoke(actor=None, token=old)
    token_create(actor=None, user=other_manager, name="чужд")
    api.get("/me")

    listing = api.get("/tokens").json()

    assert sorted(t["name"] for t in listing) == ["tests", "стар"]
    by_name = {t["name"]: t for t in listing}
    assert by_name["tests"]["last_used_at"] is not None
    assert by_name["tests"]["is_active"] is True
    assert by_name["стар"]["revoked_at"] is not None
    assert by_name["стар"]["is_active"] is False
    assert set(by_name["tests"]) == {"id", "name", "prefix", "created_at", "last_used_at",
                                     "revoked_at", "is_active"}


def test_revoked_token_is_refused_at_once(api_as, manager):
    api = api_as(manager)
    other, secret = token_create(actor=None, user=manager, name="скрипт")
    script = ApiClient(api.client, manager)
    script.secret = secret
    assert script.get("/me").status_code == 200

    response = api.delete(f"/tokens/{other.pk}")

    assert response.status_code == 204
    other.refresh_from_db()
    assert other.revoked_at is not None
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TOKEN_REVOKE).latest("id").channel \
        == "api"
    assert_error(script.get("/me"), 401, "not_authenticated", set())
    assert_error(script.get("/companies"), 401, "not_authenticated", set())


def test_a_token_of_a_deactivated_user_is_refused(api_as, manager):
    api = api_as(manager)
    User.objects.filter(pk=manager.pk).update(is_active=False)

    assert_error(api.get("/me"), 401, "not_authenticated")


def test_revoking_someone_elses_token_is_not_found_and_changes_nothing(api_as, manager,
                                                                       other_manager):
    theirs, _secret = token_create(actor=None, user=other_manager, name="чужд")
    api = api_as(manager)
    before = token_rows()

    assert_error(api.delete(f"/tokens/{theirs.pk}"), 404, "not_found")
    assert token_rows() == before


@pytest.mark.parametrize(("payload", "field"), [
    ({"name": "т" * 101}, "name"),
    ({"name": 7}, "name"),
    ({"name": "ok", "scope": "all"}, "scope"),
])
def test_create_token_rejects_bad_input(api_as, manager, payload, field):
    api = api_as(manager)
    before = token_rows()

    assert_error(api.post("/tokens", payload), 400, "validation_error", {field})
    assert token_rows() == before


def test_create_token_with_malformed_json(api_as, manager):
    api = api_as(manager)
    before = token_rows()

    assert_error(api.post("/tokens", raw='{"name": "x"'), 400, "malformed_json")
    assert token_rows() == before


# --- administrators: users and teams ----------------------------------------------------------------

def test_administrator_lists_users_page_by_page(api_as, admin_user, manager, other_manager):
    api = api_as(admin_user)

    first = api.get("/users", {"limit": 2}).json()
    second = api.get("/users", {"limit": 2, "cursor": first["next_cursor"]}).json()

    names = [u["username"] for u in first["items"] + second["items"]]
    assert names == ["admin", "manager", "other"]
    assert first["count"] == 3 and second["next_cursor"] is None
    manager_row = first["items"][1]
    assert manager_row["team"] == {"id": manager.team_id, "name": manager.team.name}
    assert manager_row["role"] == "account_manager" and manager_row["is_active"] is True


def test_administrator_searches_users_and_hides_inactive_ones(api_as, admin_user, manager,
                                                              make_user):
    make_user(Role.ACCOUNT_MANAGER, username="gone", is_active=False)
    api = api_as(admin_user)

    assert [u["username"] for u in api.get("/users", {"q": "manager"}).json()["items"]] \
        == ["manager"]
    assert "gone" not in [u["username"]
                          for u in api.get("/users", {"active_only": "true"}).json()["items"]]
    assert "gone" in [u["username"] for u in api.get("/users").json()["items"]]


def test_administrator_lists_teams(api_as, admin_user, head_of_sales, manager, team):
    TeamFactory(name="Празен екип", shares_clients=False)

    teams = api_as(admin_user).get("/teams").json()

    by_name = {t["name"]: t for t in teams}
    assert by_name[team.name] == {
        "id": team.pk, "name": team.name, "shares_clients": True, "member_count": 1,
        "head": {"id": head_of_sales.pk, "username": "head", "name": str(head_of_sales)},
    }
    assert by_name["Празен екип"]["member_count"] == 0
    assert by_name["Празен екип"]["head"] is None


@pytest.mark.parametrize("path", ["/users", "/teams"])
@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.HEAD_OF_SALES, Role.MARKETING,
                                  Role.DEPARTMENT])
def test_only_administrators_list_people(api_as, make_user, path, role):
    api = api_as(make_user(role))
    before = people_rows()

    assert_error(api.get(path), 403, "permission_denied")
    assert people_rows() == before


def test_user_list_rejects_bad_parameters(api_as, admin_user):
    api = api_as(admin_user)

    assert_error(api.get("/users", {"limit": 0}), 400, "validation_error", {"limit"})
    assert_error(api.get("/users", {"cursor": "@@"}), 400, "validation_error", {"cursor"})
    assert_error(api.get("/users", {"role": "x"}), 400, "validation_error", {"role"})


def test_user_list_uses_a_constant_number_of_queries(api_as, admin_user, make_user):
    api = api_as(admin_user)
    api.get("/me")  # the token's "last used" is written once a minute: leave it out of the count

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/users", {"limit": 200}).status_code == 200
        return len(ctx.captured_queries)

    def add(n: int) -> None:
        for _ in range(n):
            make_user(Role.ACCOUNT_MANAGER, team=TeamFactory(),
                      department=DepartmentFactory(kind=DepartmentKind.LOGISTICS))

    add(2)
    small = count()
    add(27)
    large = count()

    assert len(api.get("/users", {"limit": 200}).json()["items"]) == 30
    assert small == large
