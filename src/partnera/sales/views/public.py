"""The public web-to-lead endpoint a company website posts to: /forms/<key>/.

No login and no CSRF token (a plain HTML form on another site posts here; this is the ONLY
CSRF-exempt view). In their place, in this order:
- an unknown, rotated or inactive key answers 404;
- a rate limit per form and client address (an IPv6 address counts by its /64, the block one
  subscriber gets; a request without an address shares one "unknown" bucket with the same limit),
  and one per form for everyone that counts only requests within their address's limit, so one
  client over its own limit cannot shut the form for everybody (django.core.cache: Redis when
  PARTNERA_CACHE_URL is set, so it holds across web processes) → 429;
- a small body only (→ 413), form encodings only, no files, few fields, each once (→ 400);
- a honeypot field (`website`, hidden from people by CSS): when filled, the answer is the same
  as for a stored lead, and nothing is stored;
- the lead service validates every value (lengths, e-mail, phone, no control characters; a name
  or company and an e-mail or phone) → 400 with the errors, nothing stored.
A stored lead goes to the form's owner and team, who is notified; the visitor is sent to the
form's thank-you page (303) or shown a thank-you page.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from partnera.core.errors import NotFound, ValidationFailed
from partnera.core.middleware import client_ip
from partnera.sales import lead_selectors as selectors
from partnera.sales import leads as services

MAX_BODY_BYTES = 16 * 1024
MAX_FIELDS = 30
WINDOW_SECONDS = 60
HONEYPOT = "website"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
KNOWN_FIELDS = (*services.PUBLIC_FIELDS, "name", HONEYPOT)


def _rate_per_address() -> int:
    return int(getattr(settings, "PARTNERA_WEBFORM_RATE_PER_IP", 5))


def _rate_per_form() -> int:
    return int(getattr(settings, "PARTNERA_WEBFORM_RATE_PER_FORM", 60))


def _counted(key: str, limit: int) -> bool:
    """Count one more request in this minute's window; False when over `limit`."""
    if cache.add(key, 1, timeout=WINDOW_SECONDS):
        return limit >= 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS)
        count = 1
    return count <= limit


def _address_bucket(ip: str | None) -> str:
    """The per-address counter's key part: an IPv4 address as is, an IPv6 one by its /64 prefix
    (an IPv4-mapped one as the IPv4 address), and "unknown" when there is none."""
    if not ip:
        return "unknown"
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _within_rate(webform, ip: str | None) -> bool:
    """The address's limit first; only a request within it counts against the form's limit."""
    if not _counted(f"partnera:webform:{webform.pk}:ip:{_address_bucket(ip)}", _rate_per_address()):
        return False
    return _counted(f"partnera:webform:{webform.pk}:all", _rate_per_form())


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _problem(request: HttpRequest, status: int, code: str, message: str,
             fields: dict | None = None) -> HttpResponse:
    if _wants_json(request):
        response: HttpResponse = JsonResponse(
            {"code": code, "message": message, "fields": fields or {}}, status=status,
            json_dumps_params={"ensure_ascii": False})
    else:
        response = render(request, "sales/public_error.html",
                          {"message": message, "fields": fields or {}, "status": status},
                          status=status)
    return _no_store(response)


def _not_found(request: HttpRequest) -> HttpResponse:
    return _problem(request, 404, "not_found",
                    _("This form does not exist or no longer accepts requests."))


def _received(request: HttpRequest, webform) -> HttpResponse:
    if _wants_json(request):
        return _no_store(JsonResponse({"status": "received"}, status=201))
    if webform.redirect_url:
        response = HttpResponseRedirect(webform.redirect_url)
        response.status_code = 303
        return _no_store(response)
    return _no_store(render(request, "sales/public_thanks.html", {"webform": webform}))


def _form_data(request: HttpRequest) -> tuple[dict[str, str] | None, HttpResponse | None]:
    """The posted fields as single strings, or the answer that refuses the request."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    too_big = _problem(request, 413, "too_large",
                       _("The request is too large. Shorten the message and send it again."))
    if length > MAX_BODY_BYTES:
        return None, too_big
    try:
        body = request.body
    except RequestDataTooBig:
        return None, too_big
    if len(body) > MAX_BODY_BYTES:
        return None, too_big
    if request.content_type not in FORM_TYPES:
        return None, _problem(request, 400, "validation_error",
                              _("Send the form as an HTML form (application/x-www-form-urlencoded "
                                "or multipart/form-data)."))
    try:
        posted, files = request.POST, request.FILES
    except (MultiPartParserError, SuspiciousOperation):
        return None, _problem(request, 400, "validation_error", _("The form could not be read."))
    if files:
        return None, _problem(request, 400, "validation_error", _("Files are not accepted."))
    if len(posted) > MAX_FIELDS:
        return None, _problem(request, 400, "validation_error", _("The form has too many fields."))
    data: dict[str, str] = {}
    repeated: dict[str, list[str]] = {}
    for name in KNOWN_FIELDS:
        values = posted.getlist(name)
        if len(values) > 1:
            repeated[name] = [_("Send this field once.")]
        elif values:
            data[name] = values[0]
    if repeated:
        return None, _problem(request, 400, "validation_error", _("Some fields are not valid."),
                              repeated)
    return data, None


@csrf_exempt  # posted from another site's plain HTML form: see the module's docstring
@require_http_methods(["GET", "POST"])
def webform_submit(request: HttpRequest, key: str) -> HttpResponse:
    webform = selectors.webform_by_key(key)
    if webform is None:
        return _not_found(request)
    if request.method == "GET":
        return _no_store(render(request, "sales/public_form.html",
                                {"webform": webform, "values": {}, "errors": {}}))
    if not _within_rate(webform, client_ip(request)):
        response = _problem(request, 429, "throttled",
                            _("Too many requests from your address. Please wait a minute and "
                              "send the form again."))
        response["Retry-After"] = str(WINDOW_SECONDS)
        return response
    data, refusal = _form_data(request)
    if refusal is not None or data is None:
        return refusal or _not_found(request)
    if data.get(HONEYPOT, "").strip():
        return _received(request, webform)  # a bot: answered as if stored, nothing stored
    try:
        services.lead_submit(webform=webform, data=data)
    except NotFound:
        return _not_found(request)
    except ValidationFailed as exc:
        if _wants_json(request):
            return _problem(request, 400, exc.code, exc.message, exc.fields)
        return _no_store(render(request, "sales/public_form.html", {
            "webform": webform, "values": data, "errors": exc.fields,
            "message": _("Please correct the fields marked below.")}, status=400))
    return _received(request, webform)
