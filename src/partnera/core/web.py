"""How the web UI turns domain errors into what the user sees."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header

from partnera.core.errors import DomainError, NotFound, PermissionDenied

if TYPE_CHECKING:
    from partnera.people.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """For type checking only: the request of a view behind login_required, whose `user` is an
    account (never AnonymousUser). Annotate such a view's `request` with it."""

    user: User


def add_errors_to_form(form, error: DomainError) -> None:
    """Show a service's field errors next to the fields; the rest at the top of the form."""
    placed = False
    for name, messages in error.fields.items():
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def web_errors(view):
    """NotFound answers 404, PermissionDenied 403, and any other domain error its own status with
    its message on an error page (never a traceback). Views that can show an error next to a
    field catch ValidationFailed themselves first."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404() from None
        except PermissionDenied as exc:
            return render(request, "403.html", {"message": exc.message}, status=403)
        except DomainError as exc:
            return render(request, "core/error.html", {"error": exc}, status=exc.status)

    return wrapper


def download_response(handle, *, filename: str, content_type: str) -> FileResponse:
    """A stored file sent as a download, never rendered by the browser: the type fixed at upload,
    no sniffing, and a sandbox policy should anything open it inline anyway."""
    response = FileResponse(handle, as_attachment=True, filename=filename,
                            content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def export_response(export) -> HttpResponseBase:
    """An export (core.spreadsheet.Export) sent as a download: streamed chunks (CSV, vCard) or
    a built temporary file (XLSX, deleted once sent). Never cached: it is client data."""
    response: HttpResponseBase
    if export.file is not None:
        response = FileResponse(export.file, as_attachment=True, filename=export.filename,
                                content_type=export.content_type)
    else:
        response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
        response["Content-Disposition"] = (content_disposition_header(True, export.filename)
                                           or "attachment")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "no-store, private"
    return response


def is_htmx(request) -> bool:
    return bool(getattr(request, "htmx", False))
