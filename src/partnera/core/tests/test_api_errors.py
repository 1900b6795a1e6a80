"""The API's one error mapping, its authentication, and its OpenAPI schema and docs page."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ninja import Router
from ninja.testing import TestClient

from partnera.clients.models import Company
from partnera.clients.tests.factories import CompanyFactory
from partnera.clients.tests.test_api import ApiClient, assert_error, db_rows
from partnera.core.api import NON_FIELD, _field_of, create_api, validation_fields
from partnera.core.errors import Conflict
from partnera.core.models import AuditEntry
from partnera.people.services import token_create

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def api_as(client):
    return lambda user: ApiClient(client, user)


# --- authentication ----------------------------------------------------------------------------------

@pytest.mark.parametrize("header", [
    None,
    "Bearer",
    "Bearer ",
    "Bearer pa_not-a-real-token",
    "Bearer not-even-our-prefix",
    "Bearer pa_" + "x" * 500,
    "Token pa_abc",
    "Basic dXNlcjpwYXNz",
])
def test_calls_without_a_valid_token_are_401_with_the_error_shape(client, manager, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    before = db_rows()

    for response in (
        client.get(f"{API}/companies", **extra),
        client.get(f"{API}/me", **extra),
        client.post(f"{API}/companies", json.dumps({"legal_name": "X"}),
                    content_type="application/json", **extra),
        client.delete(f"{API}/tokens/1", **extra),
    ):
        assert_error(response, 401, "not_authenticated", set())
    assert db_rows() == before


def test_authentication_is_checked_before_the_body(client):
    response = client.post(f"{API}/companies", "{not json", content_type="application/json")

    assert_error(response, 401, "not_authenticated")


def test_a_browser_session_reads_the_api(client, manager):
    company = CompanyFactory(owner=manager)
    client.force_login(manager)

    response = client.get(f"{API}/companies/{company.pk}")

    assert response.status_code == 200
    assert response.json()["id"] == company.pk


def test_a_browser_session_must_send_the_csrf_token_to_write(manager):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)
    before = db_rows()

    response = browser.post(f"{API}/companies", json.dumps({"legal_name": "Без токен"}),
                            content_type="application/json")

    assert_error(response, 403, "csrf_failed", set())
    assert db_rows() == before

    browser.get("/login/")  # any page sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    response = browser.post(f"{API}/companies", json.dumps({"legal_name": "С токен"}),
                            content_type="application/json", HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 201, response.content
    assert Company.objects.get(legal_name="С токен").owner == manager


def test_a_wrong_token_is_401_even_with_a_logged_in_session(client, manager):
    client.force_login(manager)

    response = client.get(f"{API}/me", HTTP_AUTHORIZATION="Bearer pa_revoked-or-wrong")

    assert_error(response, 401, "not_authenticated")


def test_a_token_answers_in_its_users_language_unless_the_client_asks(client, make_user):
    user = make_user(language="en")
    _token, secret = token_create(actor=None, user=user, name="t")

    response = client.post(f"{API}/companies", "{}", content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.json()["fields"]["legal_name"] == ["This field is required."]
    assert response["Content-Language"] == "en"


# --- request errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [b"{", b"\xff\xfe\x00", b"[1, 2", b"{'single': 'quotes'}",
                                  b"NaN-ish", b"\x00"])
def test_malformed_json_is_400_on_every_json_endpoint(api_as, manager, body):
    company = CompanyFactory(owner=manager)
    api = api_as(manager)
    before = db_rows()

    for method, path in [("post", "/companies"), ("patch", f"/companies/{company.pk}"),
                         ("post", "/contacts"), ("post", f"/companies/{company.pk}/notes"),
                         ("post", f"/companies/{company.pk}/shares"), ("post", "/tokens")]:
        response = getattr(api, method)(path, raw=body)
        assert_error(response, 400, "malformed_json", set())
    assert db_rows() == before


def test_validation_errors_name_their_fields(api_as, manager):
    before = db_rows()

    response = api_as(manager).post("/companies", {"legal_name": ["a"], "stage": 5,
                                                  "phones": "0888", "tags": [1], "nope": 1})

    body = assert_error(response, 400, "validation_error",
                        {"legal_name", "stage", "phones", "tags", "nope"})
    assert body["message"] == "Some fields are not valid."
    assert body["fields"]["nope"] == ["Unknown field."]
    assert body["fields"]["phones"] == ["Expected a list."]
    assert body["fields"]["legal_name"] == ["Expected text."]
    assert body["fields"]["stage"][0].startswith("Choose one of: 'prospect'")
    assert db_rows() == before


def test_unknown_endpoint_and_wrong_method_answer_in_json(api_as, manager):
    api = api_as(manager)

    assert_error(api.get("/no-such-thing"), 404, "not_found", set())
    assert_error(api.get("/companies/1/nothing/here"), 404, "not_found", set())
    response = api.client.put(f"{API}/companies", "{}", content_type="application/json",
                              **api.headers)
    assert_error(response, 405, "method_not_allowed", set())
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_a_non_numeric_id_is_a_validation_error(api_as, manager):
    assert_error(api_as(manager).get("/companies/abc"), 400, "validation_error", {"company_id"})


def test_api_root_points_to_the_docs(client):
    response = client.get(f"{API}/")

    assert response.status_code == 200
    assert response.json() == {"name": "Partnera API", "version": "1",
                               "docs": f"{API}/docs", "openapi": f"{API}/openapi.json"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=6,
)
company_fields = st.sampled_from(["legal_name", "eik", "vat_number", "phones", "emails", "stage",
                                  "tier", "owner", "team", "parent", "tags", "credit_limit",
                                  "payment_terms_days", "website", "country", "version", "zzz"])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(payload=st.dictionaries(company_fields, json_values, max_size=6))
def test_no_json_a_client_sends_turns_into_a_server_error(api_as, manager, payload):
    company = Company.objects.filter(owner=manager).first() or CompanyFactory(owner=manager)
    api = api_as(manager)

    for response in (api.post("/companies", payload),
                     api.patch(f"/companies/{company.pk}", payload)):
        assert response.status_code < 500, response.content
        if response.status_code >= 400:
            assert set(response.json()) == {"code", "message", "fields"}


# --- the mapping itself --------------------------------------------------------------------------------

@pytest.mark.parametrize(("loc", "field"), [
    (("body", "payload", "phones", 0), "phones"),
    (("body", "payload", "legal_name"), "legal_name"),
    (("body", "payload"), NON_FIELD),
    (("query", "limit"), "limit"),
    (("query", "query", "stage", 0), "stage"),
    (("path", "company_id"), "company_id"),
    (("file", "file"), "file"),
    (("form", "description"), "description"),
    ((), NON_FIELD),
])
def test_field_of_error_location(loc, field):
    assert _field_of(loc) == field


def test_validation_fields_groups_messages_by_field():
    errors = [
        {"type": "missing", "loc": ("body", "payload", "legal_name")},
        {"type": "string_too_long", "loc": ("body", "payload", "eik"), "ctx": {"max_length": 20}},
        {"type": "string_type", "loc": ("body", "payload", "emails", 0)},
        {"type": "string_type", "loc": ("body", "payload", "emails", 1)},
        {"type": "something_new", "loc": ("body", "payload", "x"), "msg": "Pydantic says no"},
    ]

    assert validation_fields(errors) == {
        "legal_name": ["This field is required."],
        "eik": ["At most 20 characters."],
        "emails": ["Expected text."],
        "x": ["Pydantic says no"],
    }


@pytest.fixture
def probe(manager):
    """A throw-away API with the same error handlers, whose endpoints raise one error each."""
    router = Router()

    @router.get("/http404")
    def raise_http404(request):
        raise Http404("secret detail")

    @router.get("/django-denied")
    def raise_denied(request):
        raise DjangoPermissionDenied("secret detail")

    @router.get("/django-invalid")
    def raise_invalid(request):
        raise DjangoValidationError({"eik": ["Bad EIK."]})

    @router.get("/conflict")
    def raise_conflict(request):
        raise Conflict("Already there.", fields={"eik": ["Taken."]})

    @router.get("/bug")
    def raise_bug(request):
        raise RuntimeError("secret detail")

    return TestClient(create_api([("/", router)]))


@pytest.mark.parametrize(("path", "status", "code", "fields"), [
    ("/http404", 404, "not_found", {}),
    ("/django-denied", 403, "permission_denied", {}),
    ("/django-invalid", 400, "validation_error", {"eik": ["Bad EIK."]}),
    ("/conflict", 409, "conflict", {"eik": ["Taken."]}),
    ("/bug", 500, "server_error", {}),
])
def test_every_kind_of_error_leaves_as_json(probe, manager, path, status, code, fields):
    response = probe.get(path, user=manager)

    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert body["fields"] == fields
    assert "secret detail" not in body["message"]


# --- audit -----------------------------------------------------------------------------------------------

def test_changes_through_the_api_are_audited_with_the_api_channel(api_as, manager):
    api = api_as(manager)

    created = api.post("/companies", {"legal_name": "Одит ООД"}).json()
    api.patch(f"/companies/{created['id']}", {"city": "Шумен", "version": 1})
    api.delete(f"/companies/{created['id']}")

    entries = AuditEntry.objects.filter(object_id=str(created["id"]),
                                        object_type="clients.company").order_by("id")
    assert [(e.action, e.channel, e.actor_id) for e in entries] == [
        ("create", "api", manager.pk), ("update", "api", manager.pk), ("delete", "api", manager.pk)]
    assert entries[1].changes["city"] == ["", "Шумен"]


# --- OpenAPI and docs -------------------------------------------------------------------------

def test_openapi_schema_lists_every_path_and_both_authentications(client):
    response = client.get(f"{API}/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    # Swagger UI reads the JSON as YAML and refuses a key given twice (e.g. 200 and "200").
    repeated: list[str] = []

    def no_repeats(pairs):
        keys = [key for key, _ in pairs]
        repeated.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(pairs)

    json.loads(response.content, object_pairs_hook=no_repeats)
    assert repeated == []
    assert schema["info"]["title"] == "Partnera API"
    assert schema["info"]["version"] == "1"
    assert set(schema["paths"]) >= {
        f"{API}/companies", f"{API}/companies/{{company_id}}",
        f"{API}/companies/{{company_id}}/restore", f"{API}/companies/{{company_id}}/shares",
        f"{API}/companies/{{company_id}}/shares/{{user_id}}",
        f"{API}/companies/{{company_id}}/notes", f"{API}/notes/{{note_id}}",
        f"{API}/companies/{{company_id}}/attachments", f"{API}/attachments/{{attachment_id}}",
        f"{API}/attachments/{{attachment_id}}/download", f"{API}/contacts",
        f"{API}/contacts/{{contact_id}}", f"{API}/me", f"{API}/tokens",
        f"{API}/tokens/{{token_id}}", f"{API}/users", f"{API}/teams",
    }
    assert set(schema["paths"][f"{API}/companies/{{company_id}}"]) == {"get", "patch", "delete"}
    schemes = schema["components"]["securitySchemes"]
    assert schemes["BearerToken"] == {"type": "http", "scheme": "bearer"}
    assert schemes["BrowserSession"]["in"] == "cookie"
    create = schema["components"]["schemas"]["CompanyCreateIn"]
    assert create["additionalProperties"] is False
    assert create["required"] == ["legal_name"]
    assert create["properties"]["allow_duplicate"]["default"] is False
    assert "version" in schema["components"]["schemas"]["CompanyUpdate"]["required"]


def test_docs_page_loads_swagger_from_our_own_static_files(client):
    response = client.get(f"{API}/docs")

    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
    links = re.findall(r'<link[^>]*\bhref="([^"]+)"', html)
    assert sources == ["/static/ninja/swagger-ui-bundle.js", "/static/ninja/swagger-ui-init.js"]
    assert all(url.startswith("/static/") for url in links)
    assert "cdn" not in html.lower()
    assert not re.search(r'(src|href)="(https?:)?//', html)
    for url in sources + links:
        assert finders.find(url.removeprefix("/static/")), url
    # No inline script to execute: the only <script> without src is a JSON data block.
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline == [' type="application/json" id="swagger-settings"']
    assert json.loads(re.search(r'id="swagger-settings">(.*?)</script>', html, re.S).group(1))[
        "url"] == f"{API}/openapi.json"


def test_docs_page_runs_under_the_sites_strict_csp(client):
    policy = client.get(f"{API}/docs")["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe" not in policy


def test_every_schema_of_the_api_has_its_own_name():
    # The OpenAPI document names each pydantic schema by its class name: two routers with a
    # class of the same name (say, an offer's and an order's `LineIn`) would publish one of
    # them for both, and the other's clients would read the wrong fields.
    from pydantic import BaseModel

    from partnera.config.api_urls import api

    seen: dict[str, set[str]] = {}

    def collect(model) -> None:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return
        qualified = f"{model.__module__}.{model.__qualname__}"
        names = seen.setdefault(model.__name__, set())
        if qualified in names:
            return
        names.add(qualified)
        for field in model.model_fields.values():
            for inner in _models_in(field.annotation):
                collect(inner)

    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.models:
                    for field in model.model_fields.values():
                        for inner in _models_in(field.annotation):
                            collect(inner)
                for response in operation.response_models.values():
                    for field in getattr(response, "model_fields", {}).values():
                        for inner in _models_in(field.annotation):
                            collect(inner)

    clashes = {name: sorted(paths) for name, paths in seen.items() if len(paths) > 1}
    assert clashes == {}


def _models_in(annotation) -> list:
    import typing

    found = [annotation]
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    return found
