"""The REST API at /api/v1: the one NinjaAPI, its authentication, and the one place errors become HTTP.

Domain routers (clients, people, …) are added by `partnera.config.api_urls`, so core never imports
a domain app. Every error an API call can meet leaves here as JSON `{"code", "message", "fields"}`
with its 4xx status: domain errors, validation errors (wrong types, missing or unknown fields),
malformed JSON, not found, permission denied, not authenticated. Nothing a client sends turns
into a 500.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import pydantic
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import URLPattern, re_path, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import Swagger
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf
from pydantic import ConfigDict, ValidationInfo, model_validator

from partnera.core.errors import DomainError, NotFound, ValidationFailed
from partnera.core.errors import PermissionDenied as DomainPermissionDenied
from partnera.core.pagination import is_valid_cursor

logger = logging.getLogger("partnera.api")

NON_FIELD = "__all__"
PARAM_SOURCES = frozenset({"body", "query", "path", "form", "file", "header", "cookie"})
SCHEMA_PARAMS = frozenset({"payload", "query"})


# --- errors only the API meets -----------------------------------------------------------------

class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status = 401
    default_message = gettext_lazy(
        "Authentication required: send “Authorization: Bearer <token>” or log in."
    )


class MalformedJson(DomainError):
    code = "malformed_json"
    status = 400
    default_message = gettext_lazy("The request body is not valid JSON.")


class CsrfFailed(DomainError):
    code = "csrf_failed"
    status = 403
    default_message = gettext_lazy(
        "The CSRF check failed. Browser sessions must send the X-CSRFToken header; "
        "scripts should use a bearer token."
    )


class MethodNotAllowed(DomainError):
    code = "method_not_allowed"
    status = 405
    default_message = gettext_lazy("This endpoint does not accept this HTTP method.")


class EndpointNotFound(NotFound):
    default_message = gettext_lazy("No such API endpoint.")


class ServerError(DomainError):
    code = "server_error"
    status = 500
    default_message = gettext_lazy("Something went wrong on our side. The error has been logged.")


# --- authentication ------------------------------------------------------------------------------

def _activate_user_language(request: HttpRequest, user) -> None:
    """A script that does not say which language it wants gets messages in its user's language."""
    explicit = request.META.get("HTTP_ACCEPT_LANGUAGE") or request.COOKIES.get(
        settings.LANGUAGE_COOKIE_NAME)
    language = getattr(user, "language", "")
    if not explicit and language in dict(settings.LANGUAGES):
        translation.activate(language)
        request.LANGUAGE_CODE = language


class BearerToken(HttpBearer):
    """`Authorization: Bearer pa_…` — a personal API token (people.services.token_authenticate)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from partnera.people.services import token_authenticate

        user = token_authenticate(token.strip())
        if user is None:
            return None
        request.user = user
        _activate_user_language(request, user)
        return user


class BrowserSession(APIKeyCookie):
    """The browser's login session. Unsafe methods must carry the CSRF token (X-CSRFToken).

    A request that carries an Authorization header is judged by that header alone: a wrong or
    revoked token is 401 even when the same browser also holds a session.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if "HTTP_AUTHORIZATION" in request.META:
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            raise CsrfFailed()
        return user


# --- request parsing -----------------------------------------------------------------------------

class StrictJsonParser(Parser):
    """JSON bodies only; anything else is reported as malformed JSON (400), never a 500."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            return json.loads(request.body)
        except (ValueError, RecursionError) as exc:
            raise MalformedJson() from exc


# --- mapping errors to HTTP (the one place) --------------------------------------------------------

def _messages_for(error: Mapping[str, Any]) -> str:
    """A translatable message for one pydantic error (pydantic's own English is the fallback)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    simple = {
        "missing": _("This field is required."),
        "extra_forbidden": _("Unknown field."),
        "string_type": _("Expected text."),
        "list_type": _("Expected a list."),
        "int_type": _("Enter a whole number."),
        "int_parsing": _("Enter a whole number."),
        "int_from_float": _("Enter a whole number."),
        "bool_type": _("Expected true or false."),
        "bool_parsing": _("Expected true or false."),
        "decimal_type": _("Enter an amount, e.g. 15000.00."),
        "decimal_parsing": _("Enter an amount, e.g. 15000.00."),
        "date_type": _("Enter a date as YYYY-MM-DD."),
        "date_parsing": _("Enter a date as YYYY-MM-DD."),
        "date_from_datetime_parsing": _("Enter a date as YYYY-MM-DD."),
        "model_type": _("Expected a JSON object."),
        "model_attributes_type": _("Expected a JSON object."),
        "dict_type": _("Expected a JSON object."),
        "string_unicode": _("Expected text."),
        "string_pattern_mismatch": _("The value has the wrong format."),
    }
    if kind in simple:
        return simple[kind]
    if kind == "string_too_long":
        return _("At most %(n)s characters.") % {"n": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("At least %(n)s characters.") % {"n": ctx.get("min_length")}
    if kind == "too_long":
        return _("At most %(n)s values.") % {"n": ctx.get("max_length")}
    if kind in ("greater_than_equal", "greater_than"):
        return _("Enter a number of at least %(n)s.") % {"n": ctx.get("ge", ctx.get("gt"))}
    if kind in ("less_than_equal", "less_than"):
        return _("Enter a number of at most %(n)s.") % {"n": ctx.get("le", ctx.get("lt"))}
    if kind in ("literal_error", "enum"):
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    return str(error.get("msg", _("This value is not valid.")))


def _field_of(loc: tuple | list) -> str:
    """The request field an error belongs to: ("body", "payload", "phones", 0) → "phones".

    ninja prefixes the source ("body", "query", …) and, for a schema parameter, the handler's
    parameter name; handlers name their body schema `payload` and their query schema `query`.
    """
    parts = [p for p in loc if isinstance(p, str)]
    if parts and parts[0] in PARAM_SOURCES:
        source, parts = parts[0], parts[1:]
        if parts and parts[0] in SCHEMA_PARAMS and (source == "body" or len(parts) > 1):
            parts = parts[1:]
    return parts[0] if parts else NON_FIELD


def validation_fields(errors: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        message = _messages_for(error)
        bucket = fields.setdefault(_field_of(error.get("loc", ())), [])
        if message not in bucket:
            bucket.append(message)
    return fields


def _respond(api: NinjaAPI, request: HttpRequest, error: DomainError) -> HttpResponse:
    return api.create_response(request, error.as_dict(), status=error.status)


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        return _respond(api, request, exc)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc: NinjaValidationError):
        return _respond(api, request, ValidationFailed(fields=validation_fields(exc.errors)))

    @api.exception_handler(AuthenticationError)
    def not_authenticated(request, exc: AuthenticationError):
        return _respond(api, request, NotAuthenticated())

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        cause = exc.__cause__
        if isinstance(cause, DomainError):
            return _respond(api, request, cause)
        if exc.status_code == 404:
            return _respond(api, request, NotFound())
        if exc.status_code == 403:
            return _respond(api, request, DomainPermissionDenied())
        error = DomainError(exc.message)
        error.status = exc.status_code
        error.code = {405: "method_not_allowed", 429: "throttled"}.get(exc.status_code, "error")
        return _respond(api, request, error)

    @api.exception_handler(Http404)
    def not_found(request, exc: Http404):
        return _respond(api, request, NotFound())

    @api.exception_handler(DjangoPermissionDenied)
    def permission_denied(request, exc: DjangoPermissionDenied):
        return _respond(api, request, DomainPermissionDenied())

    @api.exception_handler(DjangoValidationError)
    def django_validation_error(request, exc: DjangoValidationError):
        fields = (exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages})
        return _respond(api, request, ValidationFailed(fields=fields))

    @api.exception_handler(pydantic.ValidationError)
    def pydantic_error(request, exc: pydantic.ValidationError):
        # Raised by a handler validating its own input (e.g. a schema built from a query string).
        return _respond(api, request, ValidationFailed(fields=validation_fields(exc.errors())))

    @api.exception_handler(Exception)
    def unexpected(request, exc: Exception):
        logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
        return _respond(api, request, ServerError())


# --- schemas and helpers the domain routers share ---------------------------------------------------

# The largest id a database row can have (a signed 64-bit key): larger ids are refused as invalid
# input (400), never passed to the database (where they would overflow).
MAX_ID = 2**63 - 1
RowId = Annotated[int, pydantic.Field(ge=1, le=MAX_ID)]


class Ref(Schema):
    """A related record named in an answer: its id and its name."""

    id: int
    name: str


class UserRef(Schema):
    id: int
    username: str
    name: str


class TeamRef(Ref):
    pass


class CompanyRef(Ref):
    pass


class StrictSchema(Schema):
    """A JSON body schema: unknown fields are an error (400), not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class QuerySchema(Schema):
    """A query-string schema: an unknown parameter (a misspelt filter) is an error (400).

    ninja passes only the schema's own keys on to validation, so the query string is compared
    with the fields here, through the request ninja hands over as validation context.
    """

    @model_validator(mode="before")
    @classmethod
    def _no_unknown_parameters(cls, data: Any, info: ValidationInfo) -> Any:
        request = (info.context or {}).get("request")
        if request is not None:
            unknown = sorted(set(request.GET) - set(cls.model_fields))
            if unknown:
                raise ValidationFailed(fields={name[:50]: [_("Unknown parameter.")]
                                               for name in unknown[:20]})
        return data


def check_cursor(cursor: str | None) -> str | None:
    """A list cursor as the client sent it, or a 400 when it was not one we handed out."""
    if cursor and not is_valid_cursor(cursor):
        raise ValidationFailed(
            fields={"cursor": [_("This cursor is not valid; start again without one.")]})
    return cursor or None


# --- the docs page ----------------------------------------------------------------------------------

class LocalSwagger(Swagger):
    """Swagger UI from our own static files (ninja's bundle, "ninja" in INSTALLED_APPS), no CDN.

    ninja's template loads the bundle and its start-up script from /static/ninja/ and keeps its
    settings in a JSON data block, so the page runs under the site's strict CSP unchanged
    (checked in chromium: no `securitypolicyviolation` while browsing and trying out calls).
    No CSP exemption is needed, so none is granted. The validator badge (an external image) is
    switched off.
    """

    default_settings = {**Swagger.default_settings, "validatorUrl": None}


class JsonRenderer(JSONRenderer):
    """UTF-8 JSON with Cyrillic as it is (not \\u escapes), readable in curl and logs."""

    json_dumps_params = {"ensure_ascii": False}


def _json_method_not_allowed(view):
    """ninja answers a wrong method with a plain-text 405; give it the API's JSON error shape."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            json_response = _json_error(MethodNotAllowed(
                _("This endpoint does not accept %(method)s.") % {"method": request.method}))
            json_response["Allow"] = response["Allow"]
            return json_response
        return response

    return wrapped


def api_urlpatterns(api: NinjaAPI) -> list:
    """The API's URL patterns (for `include`), with JSON 405s and a JSON 404 for unknown paths."""
    patterns, _app_name, _namespace = api.urls
    for pattern in patterns:
        if not isinstance(pattern, URLPattern):
            continue
        if pattern.name == "api-root":
            pattern.callback = functools.partial(api_root, api=api)
        elif pattern.name not in ("openapi-json", "openapi-view"):
            pattern.callback = _json_method_not_allowed(pattern.callback)
    return [*patterns, re_path(r"^.*$", unknown_endpoint, name="unknown-endpoint")]


def api_root(request, api: NinjaAPI, **kwargs) -> JsonResponse:
    """/api/v1/ itself: where the documentation and the OpenAPI schema are."""
    return JsonResponse({
        "name": api.title, "version": api.version,
        "docs": reverse(f"{api.urls_namespace}:openapi-view"),
        "openapi": reverse(f"{api.urls_namespace}:openapi-json"),
    })


def unknown_endpoint(request, *args, **kwargs) -> JsonResponse:
    """Anything under /api/v1/ that is no endpoint: the API's JSON 404, not the HTML page."""
    return _json_error(EndpointNotFound())


def _json_error(error: DomainError) -> JsonResponse:
    """The error shape for the few answers given outside ninja (unknown path, wrong method)."""
    return JsonResponse(error.as_dict(), status=error.status,
                        json_dumps_params={"ensure_ascii": False})


def create_api(routers: list[tuple[str, Router]]) -> NinjaAPI:
    api = NinjaAPI(
        title="Partnera API",
        version="1",
        description=(
            "The Partnera client base over HTTP: companies, contacts, notes, files, people and "
            "tokens. Authenticate with `Authorization: Bearer <token>` (create one with "
            "`partnera token create USER` or on your profile page). Errors are JSON "
            "`{code, message, fields}` with a 4xx status. See docs/api.md."
        ),
        urls_namespace="api",
        auth=[BearerToken(), BrowserSession()],
        parser=StrictJsonParser(),
        docs=LocalSwagger(),
        renderer=JsonRenderer(),
    )
    install_error_handlers(api)
    for prefix, router in routers:
        api.add_router(prefix, router)
    return api
