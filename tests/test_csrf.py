"""CSRF: every state-changing web POST needs the token; the API needs it for browser sessions only.

A browser that holds a session and a CSRF cookie but posts without the token (a forged request
from another site) is refused with 403 and nothing changes; with the token the same request
succeeds. API writes authenticated by the session cookie need the X-CSRFToken header; writes
authenticated by a bearer token do not (no cookie is involved).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from partnera.core.roles import Role
from partnera.people.models import ApiToken, Department, Team, User
from partnera.people.services import token_create
from partnera.people.tests.factories import PASSWORD, DepartmentFactory, TeamFactory
from partnera.people.tests.factories import make_user as new_user
from tests.test_permission_matrix import API_OPS, WEB_OPS, Op, World, build_world, send, state

pytestmark = pytest.mark.django_db

CLIENT_POSTS = [op for op in WEB_OPS if op.method == "post"]
API_WRITES = [op for op in API_OPS if op.writes]


def everything() -> dict:
    """The client base (see test_permission_matrix.state) plus people, tokens and sessions."""
    return {
        **state(),
        "users": list(User.objects.order_by("pk").values()),
        "teams": list(Team.objects.order_by("pk").values()),
        "departments": list(Department.objects.order_by("pk").values()),
        "tokens": list(ApiToken.objects.order_by("pk").values()),
        "sessions": sorted(Session.objects.values_list("session_key", flat=True)),
    }


def browser(user=None) -> Client:
    """A browser that checks CSRF like a real one, logged in, holding the CSRF cookie."""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
        page = client.get(reverse("home"))
    else:
        page = client.get(reverse("login"))
    assert page.status_code == 200
    assert client.cookies["csrftoken"].value
    return client


def csrf_token(client: Client) -> str:
    return client.cookies["csrftoken"].value


# --- the client base: every POST of clients/urls.py ------------------------------------------------

def _post_with(client: Client, op: Op, world: World, token: str | None, **headers):
    data = op.data(world, world.ids) if op.data else {}
    if token is not None:
        data["csrfmiddlewaretoken"] = token
    return client.post(op.path(world.ids), data, **headers)


@pytest.mark.parametrize("op", CLIENT_POSTS, ids=str)
def test_client_base_post_without_token_is_refused_and_changes_nothing(op):
    world = build_world("owner", company_deleted=op.deleted,
                        records_deleted=op.records_deleted, twin=op.twin,
                        imports=op.imports)
    client = browser(world.owner)
    before = everything()

    response = _post_with(client, op, world, token=None)

    assert response.status_code == 403
    assert [t.name for t in response.templates if t.name][:1] == ["403_csrf.html"]
    assert everything() == before


@pytest.mark.parametrize("op", CLIENT_POSTS, ids=str)
def test_client_base_post_with_a_wrong_token_is_refused(op):
    world = build_world("owner", company_deleted=op.deleted,
                        records_deleted=op.records_deleted, twin=op.twin,
                        imports=op.imports)
    client = browser(world.owner)
    before = everything()

    response = _post_with(client, op, world, token="x" * 64)

    assert response.status_code == 403
    assert everything() == before


@pytest.mark.parametrize("op", CLIENT_POSTS, ids=str)
def test_client_base_post_with_token_succeeds(op):
    world = build_world("owner", company_deleted=op.deleted,
                        records_deleted=op.records_deleted, twin=op.twin,
                        imports=op.imports)
    client = browser(world.owner)
    before = everything()

    response = _post_with(client, op, world, token=csrf_token(client))

    assert response.status_code == op.ok, response.content[:300]
    assert everything() != before


def test_htmx_post_carries_the_token_in_the_header():
    """HTMX sends the token as X-CSRFToken (set on <body hx-headers> in base.html)."""
    world = build_world("owner")
    client = browser(world.owner)
    page = client.get(reverse("clients:company_detail", args=[world.company.pk]))
    assert f'"X-CSRFToken": "{page.context["csrf_token"]}"' in page.content.decode()
    url = reverse("clients:note_create", args=[world.company.pk])
    before = everything()

    refused = client.post(url, {"body": "Без токен"}, HTTP_HX_REQUEST="true")
    unchanged = everything()
    accepted = client.post(url, {"body": "С токен"}, HTTP_HX_REQUEST="true",
                           HTTP_X_CSRFTOKEN=csrf_token(client))

    assert refused.status_code == 403
    assert unchanged == before
    assert accepted.status_code == 200
    assert "С токен" in accepted.content.decode()


# --- people: log in/out, language, profile, tokens, administration ---------------------------------

@dataclass(frozen=True)
class PeoplePost:
    name: str
    url: Callable[[dict], str]
    data: Callable[[dict], dict]
    ok: int
    as_admin: bool = True
    anonymous: bool = False

    def __str__(self) -> str:
        return self.name


def people_world() -> dict:
    admin = new_user(Role.ADMINISTRATOR, username="admin", language="en")
    team = TeamFactory(name="Екип Север")
    department = DepartmentFactory()
    subject = new_user(Role.ACCOUNT_MANAGER, username="subject", team=team)
    token, _secret = token_create(actor=None, user=admin, name="стар")
    return {"admin": admin, "team": team, "department": department, "subject": subject,
            "token": token}


NEW_PASSWORD = "Another-Correct-Horse-77"

PEOPLE_POSTS = [
    PeoplePost("login", lambda w: reverse("login"),
               lambda w: {"username": "subject", "password": PASSWORD}, 302, anonymous=True),
    PeoplePost("logout", lambda w: reverse("logout"), lambda w: {}, 302),
    PeoplePost("set_language", lambda w: reverse("set_language"),
               lambda w: {"language": "bg", "next": "/"}, 302),
    PeoplePost("profile", lambda w: reverse("people:profile"),
               lambda w: {"first_name": "Нов", "last_name": "Админ", "email": "a@partnera.test",
                          "phone": "", "language": "en", "time_zone": "Europe/Sofia"}, 302),
    PeoplePost("password_change", lambda w: reverse("people:password_change"),
               lambda w: {"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
                          "new_password2": NEW_PASSWORD}, 302),
    PeoplePost("token_create", lambda w: reverse("people:token_create"),
               lambda w: {"name": "ERP"}, 200),
    PeoplePost("token_revoke", lambda w: reverse("people:token_revoke", args=[w["token"].pk]),
               lambda w: {}, 302),
    PeoplePost("user_create", lambda w: reverse("people:user_create"),
               lambda w: {"username": "newbie", "first_name": "Нов", "role": "account_manager",
                          "language": "bg", "password": NEW_PASSWORD,
                          "password_confirm": NEW_PASSWORD}, 302),
    PeoplePost("user_edit", lambda w: reverse("people:user_edit", args=[w["subject"].pk]),
               lambda w: {"first_name": "Сменен", "last_name": "", "email": "", "phone": "",
                          "role": "account_manager", "team": str(w["team"].pk),
                          "is_active": "on"}, 302),
    PeoplePost("user_password", lambda w: reverse("people:user_password", args=[w["subject"].pk]),
               lambda w: {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}, 302),
    PeoplePost("user_deactivate",
               lambda w: reverse("people:user_deactivate", args=[w["subject"].pk]),
               lambda w: {}, 302),
    PeoplePost("team_create", lambda w: reverse("people:team_create"),
               lambda w: {"name": "Екип Юг", "shares_clients": "on"}, 302),
    PeoplePost("team_edit", lambda w: reverse("people:team_edit", args=[w["team"].pk]),
               lambda w: {"name": "Екип Север-2"}, 302),
    PeoplePost("department_create", lambda w: reverse("people:department_create"),
               lambda w: {"name": "Финанси", "kind": "finance"}, 302),
    PeoplePost("department_edit",
               lambda w: reverse("people:department_edit", args=[w["department"].pk]),
               lambda w: {"name": "Склад", "kind": "logistics"}, 302),
]


@pytest.mark.parametrize("op", PEOPLE_POSTS, ids=str)
def test_people_post_without_token_is_refused_and_changes_nothing(op):
    world = people_world()
    client = browser(None if op.anonymous else world["admin"])
    before = everything()

    response = client.post(op.url(world), op.data(world))

    assert response.status_code == 403
    assert [t.name for t in response.templates if t.name][:1] == ["403_csrf.html"]
    assert everything() == before


@pytest.mark.parametrize("op", PEOPLE_POSTS, ids=str)
def test_people_post_with_token_succeeds(op):
    world = people_world()
    client = browser(None if op.anonymous else world["admin"])
    before = everything()

    response = client.post(op.url(world), {**op.data(world),
                                           "csrfmiddlewaretoken": csrf_token(client)})

    assert response.status_code == op.ok, response.content[:300]
    assert everything() != before


def test_every_state_changing_url_is_covered():
    from django.urls import resolve

    from partnera.clients.urls import urlpatterns as client_patterns
    from partnera.imports.urls import urlpatterns as import_patterns
    from partnera.people.urls import people_patterns
    from partnera.people.urls import urlpatterns as root_patterns

    ids = dict.fromkeys(("company", "contact", "note", "attachment", "view", "bystander",
                         "target", "import", "mapping"), 1)
    covered = {resolve(op.path(ids).split("?")[0]).url_name for op in CLIENT_POSTS}
    covered |= {op.name for op in PEOPLE_POSTS}
    read_only = {"company_list", "company_check", "company_autocomplete", "company_trash",
                 "company_detail", "company_timeline", "note_item", "attachment_download",
                 "contact_list", "contact_detail", "user_list", "team_list",
                 "company_export", "contact_export", "contact_vcard", "company_contacts_vcard",
                 "duplicate_list", "import_list", "import_detail", "import_progress",
                 "import_report"}
    every = {p.name for p in [*client_patterns, *people_patterns, *root_patterns,
                              *import_patterns]}
    assert every - read_only <= covered


# --- the API ----------------------------------------------------------------------------------------

def _api_send(client: Client, op: Op, world: World, **headers):
    return send(client, op, world, world.ids, headers)


@pytest.mark.parametrize("op", API_WRITES, ids=str)
def test_api_write_with_session_and_no_csrf_header_is_refused(op):
    world = build_world("owner", company_deleted=op.deleted,
                        records_deleted=op.records_deleted, twin=op.twin,
                        imports=op.imports)
    client = browser(world.owner)
    before = everything()

    response = _api_send(client, op, world)

    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert everything() == before


@pytest.mark.parametrize("op", API_WRITES, ids=str)
def test_api_write_with_session_and_csrf_header_succeeds(op):
    world = build_world("owner", company_deleted=op.deleted,
                        records_deleted=op.records_deleted, twin=op.twin,
                        imports=op.imports)
    client = browser(world.owner)
    before = everything()

    response = _api_send(client, op, world, HTTP_X_CSRFTOKEN=csrf_token(client))

    assert response.status_code == op.ok, response.content[:300]
    assert everything() != before


@pytest.mark.parametrize("op", API_WRITES, ids=str)
def test_api_write_with_bearer_token_needs_no_csrf(op):
    world = build_world("owner", company_deleted=op.deleted,
                        records_deleted=op.records_deleted, twin=op.twin,
                        imports=op.imports)
    _token, secret = token_create(actor=None, user=world.owner, name="script")
    client = Client(enforce_csrf_checks=True)
    before = everything()

    response = _api_send(client, op, world, HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == op.ok, response.content[:300]
    assert everything() != before


def test_api_read_with_session_needs_no_csrf_header():
    world = build_world("owner")
    client = browser(world.owner)

    response = client.get(f"/api/v1/companies/{world.company.pk}")

    assert response.status_code == 200
    assert response.json()["id"] == world.company.pk


def test_a_wrong_bearer_token_is_not_rescued_by_the_session():
    """A request with an Authorization header is judged by it alone (no CSRF bypass by mixing)."""
    world = build_world("owner")
    client = browser(world.owner)
    before = everything()

    response = client.post("/api/v1/companies", json.dumps({"legal_name": "Чужда"}),
                           content_type="application/json", HTTP_AUTHORIZATION="Bearer pa_wrong",
                           HTTP_X_CSRFTOKEN=csrf_token(client))

    assert response.status_code == 401
    assert everything() == before
