"""Notes and files on a company page (notes are added and edited in place with HTMX); restoring
the deleted ones."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from partnera.clients import selectors, services
from partnera.clients.forms import AttachmentForm, NoteForm
from partnera.clients.permissions import can_edit_note
from partnera.clients.views.common import is_htmx, restore_then_redirect, timeline_rows
from partnera.clients.views.companies import TIMELINE_SIZE, _older_cursor, detail_context
from partnera.core.errors import PermissionDenied, ValidationFailed, VersionConflict
from partnera.core.timeline import company_timeline
from partnera.core.visibility import can_change
from partnera.core.web import add_errors_to_form, download_response, web_errors


def _note_data(form) -> dict:
    data = {"body": form.cleaned_data.get("body", "")}
    if form.cleaned_data.get("contact"):
        data["contact"] = form.cleaned_data["contact"]
    return data


@login_required
@require_POST
@web_errors
def note_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    company = selectors.company_get(user=user, pk=pk)
    contacts = selectors.contacts_of_company(user=user, company=company)
    form = NoteForm(request.POST, contacts=contacts)
    saved = False
    if form.is_valid():
        try:
            services.note_create(actor=user, company=company, data=_note_data(form))
        except ValidationFailed as exc:
            add_errors_to_form(form, exc)
        else:
            saved = True
    if is_htmx(request):
        notes = list(selectors.note_list(user=user, company_id=company.pk)[:100])
        entries = company_timeline(user=user, company_id=company.pk, limit=TIMELINE_SIZE)
        return render(request, "clients/partials/notes_card.html", {
            "company": company, "notes": notes, "can_change": can_change(user, company),
            "note_editable": {n.pk for n in notes if can_edit_note(user, n)},
            "note_form": NoteForm(contacts=contacts) if saved else form,
            "timeline": timeline_rows(entries), "timeline_more": _older_cursor(entries),
            "timeline_oob": saved,
        })
    if saved:
        messages.success(request, _("Note added."))
        return redirect(reverse("clients:company_detail", args=[company.pk]) + "#notes")
    return render(request, "clients/company_detail.html",
                  detail_context(request, company, note_form=form), status=400)


def _back_to(note) -> str:
    if note.contact_id:
        return reverse("clients:contact_detail", args=[note.contact_id]) + f"#note-{note.pk}"
    return reverse("clients:company_detail", args=[note.company_id]) + f"#note-{note.pk}"


@login_required
@require_http_methods(["GET"])
@web_errors
def note_item(request: HttpRequest, pk: int) -> HttpResponse:
    """One note as shown in a list (HTMX: "cancel" of an in-place edit)."""
    note = selectors.note_get(user=request.user, pk=pk)
    if not is_htmx(request):
        return redirect(_back_to(note))
    return render(request, "clients/partials/note_item.html",
                  {"note": note, "editable": can_edit_note(request.user, note)})


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def note_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    note = selectors.note_get(user=user, pk=pk)
    if not can_edit_note(user, note):
        raise PermissionDenied(
            _("Only the author of a note (or a head of sales) may change it."))
    status = 200
    if request.method == "POST":
        form = NoteForm(request.POST, editing=True)
        if form.is_valid():
            try:
                services.note_update(actor=user, note=note, data={"body": form.cleaned_data["body"]},
                                     expected_version=form.cleaned_data.get("version"))
            except VersionConflict as exc:
                form.add_error(None, exc.message)
            except ValidationFailed as exc:
                add_errors_to_form(form, exc)
            else:
                if is_htmx(request):
                    return render(request, "clients/partials/note_item.html",
                                  {"note": note, "editable": True})
                messages.success(request, _("Note saved."))
                return redirect(_back_to(note))
        note = selectors.note_get(user=user, pk=pk)
        status = 200 if is_htmx(request) else 400
    else:
        form = NoteForm(initial={"body": note.body, "version": note.version}, editing=True)
    template = "clients/partials/note_edit.html" if is_htmx(request) else "clients/note_edit.html"
    return render(request, template, {"note": note, "form": form}, status=status)


@login_required
@require_POST
@web_errors
def note_delete(request: HttpRequest, pk: int) -> HttpResponse:
    note = selectors.note_get(user=request.user, pk=pk)
    services.note_delete(actor=request.user, note=note)
    if is_htmx(request):
        return HttpResponse("")
    messages.success(request, _("Note deleted."))
    return redirect(_back_to(note).split("#")[0] + "#notes")


@login_required
@require_POST
@web_errors
def note_restore(request: HttpRequest, pk: int) -> HttpResponse:
    """Bring back a deleted note (the company page's "Recently deleted")."""
    note = selectors.note_get_deleted(user=request.user, pk=pk)
    return restore_then_redirect(
        request, lambda: services.note_restore(actor=request.user, note=note),
        message=_("Note restored."),
        url=reverse("clients:company_detail", args=[note.company_id]) + f"#note-{note.pk}")


# --- files ---------------------------------------------------------------------------------------

@login_required
@require_POST
@web_errors
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    company = selectors.company_get(user=request.user, pk=pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = services.attachment_add(
                actor=request.user, company=company, upload=form.cleaned_data["file"],
                description=form.cleaned_data.get("description", ""))
        except ValidationFailed as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("File “%(name)s” added.") % {"name": attachment.original_name})
            return redirect(reverse("clients:company_detail", args=[company.pk]) + "#files")
    return render(request, "clients/company_detail.html",
                  detail_context(request, company, file_form=form), status=400)


@login_required
@require_http_methods(["GET"])
@web_errors
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = selectors.attachment_get(user=request.user, pk=pk)
    handle = services.attachment_open(actor=request.user, attachment=attachment)
    return download_response(handle, filename=attachment.original_name,
                             content_type=attachment.content_type)


@login_required
@require_POST
@web_errors
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = selectors.attachment_get(user=request.user, pk=pk)
    services.attachment_delete(actor=request.user, attachment=attachment)
    messages.success(request, _("File “%(name)s” deleted.") % {"name": attachment.original_name})
    return redirect(reverse("clients:company_detail", args=[attachment.company_id]) + "#files")


@login_required
@require_POST
@web_errors
def attachment_restore(request: HttpRequest, pk: int) -> HttpResponse:
    """Bring back a deleted file (the company page's "Recently deleted")."""
    attachment = selectors.attachment_get_deleted(user=request.user, pk=pk)
    return restore_then_redirect(
        request, lambda: services.attachment_restore(actor=request.user, attachment=attachment),
        message=_("File “%(name)s” restored.") % {"name": attachment.original_name},
        url=reverse("clients:company_detail", args=[attachment.company_id]) + "#files")
