"""Contact pages: list, detail with notes, create/edit, delete, restore."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnera.clients import selectors, services
from partnera.clients.duplicates import PossibleDuplicate
from partnera.clients.forms import ContactFilterForm, ContactForm, NoteForm
from partnera.clients.models import Channel
from partnera.clients.permissions import can_edit_note
from partnera.clients.views.common import (
    PAGE_SIZE,
    clean_query,
    is_htmx,
    partial_for,
    restore_then_redirect,
    save_versioned,
)
from partnera.core.errors import PermissionDenied, ValidationFailed
from partnera.core.visibility import can_change
from partnera.core.web import add_errors_to_form, web_errors

FILTER_KEYS = {"q", "consent", "channel", "company", "sort"}


@login_required
@require_GET
@web_errors
def contact_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ContactFilterForm(request.GET)
    filters, sort = form.filters(), form.sort_key()
    company = None
    if filters.company:
        company = selectors.company_get(user=user, pk=filters.company)
    page = selectors.contact_page(user=user, filters=filters, sort=sort,
                                  cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    count, count_more = selectors.contact_count(user=user, filters=filters)
    context = {
        "form": form, "filters": filters, "sort": sort, "page": page, "count": count,
        "count_more": count_more, "channels": Channel.choices, "company": company,
        "current_query": clean_query(request.GET.urlencode(), FILTER_KEYS),
        "consent": request.GET.get("consent", ""),
        "sort_choices": [("name", _("Name A–Z")), ("-name", _("Name Z–A")),
                         ("updated", _("Recently changed")), ("created", _("Recently added"))],
        "oob": partial_for(request, "contact-results"),
    }
    if context["oob"]:
        return render(request, "clients/contact_list.html#results", context)
    return render(request, "clients/contact_list.html", context)


def _contact_context(request, contact, *, note_form=None) -> dict:
    user = request.user
    notes = list(selectors.contact_notes(user=user, contact=contact)[:100])
    return {
        "contact": contact, "company": contact.company, "notes": notes,
        "note_editable": {n.pk for n in notes if can_edit_note(user, n)},
        "note_form": note_form or NoteForm(),
        "can_change": can_change(user, contact.company),
    }


@login_required
@require_GET
@web_errors
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, pk=pk)
    return render(request, "clients/contact_detail.html", _contact_context(request, contact))


@login_required
@require_POST
@web_errors
def contact_note_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contact = selectors.contact_get(user=user, pk=pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.note_create(actor=user, company=contact.company,
                                 data={"body": form.cleaned_data["body"], "contact": contact.pk})
        except ValidationFailed as exc:
            add_errors_to_form(form, exc)
        else:
            if is_htmx(request):
                return render(request, "clients/partials/contact_notes.html",
                              _contact_context(request, contact))
            messages.success(request, _("Note added."))
            return redirect(reverse("clients:contact_detail", args=[contact.pk]) + "#notes")
    context = _contact_context(request, contact, note_form=form)
    if is_htmx(request):
        return render(request, "clients/partials/contact_notes.html", context)
    return render(request, "clients/contact_detail.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def contact_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    company = None
    if request.GET.get("company"):
        company = selectors.company_get(user=user, pk=request.GET["company"])
    if request.method == "POST":
        form = ContactForm(request.POST)
        matches: list = []
        if form.is_valid():
            try:
                contact = services.contact_create(
                    actor=user, data=form.service_data(),
                    allow_duplicate=form.cleaned_data.get("allow_duplicate", False))
            except ValidationFailed as exc:
                add_errors_to_form(form, exc)
            except PossibleDuplicate as exc:
                matches = exc.matches  # the form again, input kept, with "save anyway"
            else:
                messages.success(request, _("Contact “%(name)s” added.") % {"name": contact})
                return redirect("clients:contact_detail", pk=contact.pk)
        status = 409 if matches else 400
    else:
        form = ContactForm(company=company)
        matches, status = [], 200
    return render(request, "clients/contact_form.html",
                  {"form": form, "contact": None, "company": company, "duplicates": matches},
                  status=status)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contact = selectors.contact_get(user=user, pk=pk)
    if not can_change(user, contact.company):
        raise PermissionDenied()
    if request.method == "POST":
        form = ContactForm(request.POST, contact=contact)
        outcome = save_versioned(
            request, form,
            lambda: services.contact_update(actor=user, contact=contact, data=form.service_data(),
                                            expected_version=form.cleaned_data.get("version")),
            success_url=reverse("clients:contact_detail", args=[contact.pk]))
        if isinstance(outcome, HttpResponse):
            return outcome
        contact, status = selectors.contact_get(user=user, pk=pk), outcome
    else:
        form = ContactForm(contact=contact)
        status = 200
    return render(request, "clients/contact_form.html",
                  {"form": form, "contact": contact, "company": contact.company,
                   "conflict": status == 409}, status=status)


@login_required
@require_POST
@web_errors
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, pk=pk)
    services.contact_delete(actor=request.user, contact=contact)
    messages.success(request, _("Contact “%(name)s” deleted.") % {"name": contact})
    return redirect("clients:company_detail", pk=contact.company_id)


@login_required
@require_POST
@web_errors
def contact_restore(request: HttpRequest, pk: int) -> HttpResponse:
    """Bring back a deleted contact (the company page's "Recently deleted")."""
    contact = selectors.contact_get_deleted(user=request.user, pk=pk)
    return restore_then_redirect(
        request, lambda: services.contact_restore(actor=request.user, contact=contact),
        message=_("Contact “%(name)s” restored.") % {"name": contact},
        url=reverse("clients:company_detail", args=[contact.company_id]) + "#contacts")
