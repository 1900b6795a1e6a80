"""Company pages: list with filters and saved views, detail, create/edit, delete, trash, sharing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnera.clients import duplicates, identifiers, selectors, services
from partnera.clients.forms import (
    AttachmentForm,
    CompanyFilterForm,
    CompanyForm,
    NoteForm,
    SavedViewForm,
    ShareForm,
    may_assign,
)
from partnera.clients.permissions import can_edit_note
from partnera.clients.selectors import COMPANY_SORTS
from partnera.clients.views.common import (
    PAGE_SIZE,
    active_users,
    all_teams,
    clean_query,
    is_htmx,
    partial_for,
    restore_then_redirect,
    save_versioned,
    timeline_rows,
)
from partnera.core.errors import (
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from partnera.core.panels import record_panels
from partnera.core.timeline import company_timeline as timeline_of
from partnera.core.visibility import can_change, can_delete
from partnera.core.web import AuthenticatedHttpRequest, add_errors_to_form, web_errors
from partnera.people import selectors as people_selectors

FILTER_KEYS = {"q", "stage", "tier", "owner", "team", "tag", "region", "industry", "sort"}
TIMELINE_SIZE = 30
SORT_COLUMNS = {"name": ("name", "-name"), "city": ("city", None), "updated": ("updated", None),
                "created": ("created", None)}


# --- list ----------------------------------------------------------------------------------------

def _sort_links(current: str) -> dict[str, dict]:
    """Per column: the sort its header links to and whether the list is sorted by it now."""
    links = {}
    for column, (first, second) in SORT_COLUMNS.items():
        active = current in (first, second)
        target = second if (second and current == first) else first
        links[column] = {"sort": target, "active": active,
                         "descending": active and COMPANY_SORTS[current][1]}
    return links


def company_filter_form(request: HttpRequest, *, users=None, teams=None,
                        tags=None) -> CompanyFilterForm:
    """The companies list's filters from the query string (the list page and its export)."""
    users = active_users() if users is None else users
    teams = all_teams() if teams is None else teams
    tags = list(selectors.tag_list()[:300]) if tags is None else tags
    return CompanyFilterForm(request.GET, users=users, teams=teams, tags=tags)


@login_required
@require_GET
@web_errors
def company_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    users, teams = active_users(), all_teams()
    tags = list(selectors.tag_list()[:300])
    form = company_filter_form(request, users=users, teams=teams, tags=tags)
    filters, sort = form.filters(), form.sort_key()
    page = selectors.company_page(user=user, filters=filters, sort=sort,
                                  cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    count, count_more = selectors.company_count(user=user, filters=filters)
    current_query = clean_query(request.GET.urlencode(), FILTER_KEYS)
    saved = list(selectors.saved_view_list(user=user))
    context = {
        "form": form, "filters": filters, "sort": sort, "page": page, "count": count,
        "count_more": count_more, "users": users, "teams": teams, "tags": tags,
        "regions": selectors.filter_choices_regions(user=user),
        "saved_views": saved, "current_query": current_query,
        "active_view": next((v for v in saved if v.query == current_query), None),
        "save_form": SavedViewForm(initial={"query": current_query}),
        "sort_links": _sort_links(sort), "sort_choices": _sort_choices(),
        "active_filters": form.active_count(),
        "oob": partial_for(request, "company-results"),
    }
    if context["oob"]:
        return render(request, "clients/company_list.html#results", context)
    return render(request, "clients/company_list.html", context)


def _sort_choices() -> list[tuple[str, str]]:
    return [("name", _("Name A–Z")), ("-name", _("Name Z–A")), ("updated", _("Recently changed")),
            ("created", _("Recently added")), ("city", _("City"))]


@login_required
@require_POST
@web_errors
def saved_view_create(request: HttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST)
    form.is_valid()
    query = clean_query(form.cleaned_data.get("query", ""), FILTER_KEYS)
    try:
        view = services.saved_view_create(actor=request.user, list_name="companies",
                                          name=form.cleaned_data.get("name", ""), query=query)
    except ValidationFailed as exc:
        problems = [m for msgs in exc.fields.values() for m in msgs] or [exc.message]
        messages.error(request, " ".join(problems))
    else:
        messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(reverse("clients:company_list") + (f"?{query}" if query else ""))


@login_required
@require_POST
@web_errors
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    view = selectors.saved_view_get(user=request.user, pk=pk)
    services.saved_view_delete(actor=request.user, view=view)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect("clients:company_list")


# --- detail --------------------------------------------------------------------------------------

def detail_context(request: HttpRequest, company, *, note_form=None, file_form=None,
                   share_form=None) -> dict:
    user = request.user
    contacts = selectors.contacts_of_company(user=user, company=company)
    notes = list(selectors.note_list(user=user, company_id=company.pk)[:100])
    visible_ids = selectors.company_visible_ids(
        user=user, ids=[company.parent_id, company.referred_by_id])
    changeable = can_change(user, company)
    shares = selectors.company_shares(user=user, company=company) if changeable else []
    shared_ids = {s.user_id for s in shares}
    share_users = [u for u in active_users() if u.pk not in shared_ids
                   and u.pk != company.owner_id] if changeable else []
    entries = timeline_of(user=user, company_id=company.pk, limit=TIMELINE_SIZE)
    return {
        "company": company,
        "phones": company.phones, "emails": company.emails,
        "tags": list(company.tags.all()),
        "parent": company.parent if company.parent_id in visible_ids else None,
        "referred_by": company.referred_by if company.referred_by_id in visible_ids else None,
        "subsidiaries": selectors.company_subsidiaries(user=user, company=company),
        "referrals": selectors.company_referrals(user=user, company=company),
        "contacts": contacts,
        "notes": notes,
        "note_editable": _editable_note_ids(user, notes),
        "note_form": note_form or NoteForm(contacts=contacts),
        "attachments": list(selectors.attachment_list(user=user, company_id=company.pk)),
        "file_form": file_form or AttachmentForm(),
        "timeline": timeline_rows(entries),
        "timeline_more": _older_cursor(entries),
        # Other domains' panels (deals, activities …) through core's registry.
        "record_panels": record_panels("company", user=user, record=company),
        "can_change": changeable,
        "can_delete": can_delete(user, company),
        "shares": shares,
        "share_form": share_form or ShareForm(users=share_users),
        "recently_deleted": _recently_deleted(user, company, changeable=changeable),
    }


RECENTLY_DELETED = 20


def _recently_deleted(user, company, *, changeable: bool) -> list[dict]:
    """The deleted contacts, notes and files of the company that this user may restore (contacts
    and files: who may change the company; notes: who may delete them), newest first."""
    rows: list[dict] = []
    if changeable:
        for c in selectors.contact_deleted_list(user=user, company_id=company.pk)[:RECENTLY_DELETED]:
            rows.append({"kind": _("Contact"), "name": str(c), "record": c,
                         "url": reverse("clients:contact_restore", args=[c.pk])})
        for f in selectors.attachment_deleted_list(user=user, company_id=company.pk)[:RECENTLY_DELETED]:
            rows.append({"kind": _("File"), "name": f.original_name, "record": f,
                         "url": reverse("clients:attachment_restore", args=[f.pk])})
    for n in selectors.note_deleted_restorable(user=user, company=company)[:RECENTLY_DELETED]:
        rows.append({"kind": _("Note"), "name": n.body, "record": n,
                     "url": reverse("clients:note_restore", args=[n.pk])})
    rows.sort(key=lambda r: (r["record"].deleted_at, r["record"].pk), reverse=True)
    return rows[:RECENTLY_DELETED]


def _editable_note_ids(user, notes) -> set[int]:
    return {n.pk for n in notes if can_edit_note(user, n)}


def _older_cursor(entries) -> str:
    return entries[-1].at.isoformat() if len(entries) >= TIMELINE_SIZE else ""


@login_required
@require_GET
@web_errors
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        company = selectors.company_get(user=request.user, pk=pk)
    except NotFound:
        # A company merged into another: its old link leads there (when both may be seen).
        target = duplicates.company_merged_target(user=request.user, pk=pk)
        if target is None:
            raise
        messages.info(request, _("The company you opened was merged into “%(name)s”.")
                      % {"name": target.legal_name})
        return redirect("clients:company_detail", pk=target.pk)
    return render(request, "clients/company_detail.html", detail_context(request, company))


@login_required
@require_GET
@web_errors
def company_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """Older timeline entries (the "show older" button)."""
    company = selectors.company_get(user=request.user, pk=pk)
    try:
        before = dt.datetime.fromisoformat(request.GET.get("before", ""))
    except ValueError:
        before = None
    entries = timeline_of(user=request.user, company_id=company.pk, limit=TIMELINE_SIZE,
                          before=before)
    return render(request, "clients/partials/timeline_items.html", {
        "company": company, "timeline": timeline_rows(entries),
        "timeline_more": _older_cursor(entries)})


# --- create / edit -------------------------------------------------------------------------------

def _form_kwargs(user) -> dict:
    if may_assign(user):
        return {"users": active_users(), "teams": all_teams()}
    return {}


def _picker_labels(company) -> dict:
    return {"parent": company.parent.legal_name if company.parent_id else "",
            "referred_by": company.referred_by.legal_name if company.referred_by_id else ""}


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def company_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = CompanyForm(request.POST, user=user, **_form_kwargs(user))
        matches: list = []
        if form.is_valid():
            try:
                company = services.company_create(
                    actor=user, data=form.service_data(),
                    allow_duplicate=form.cleaned_data.get("allow_duplicate", False))
            except ValidationFailed as exc:
                add_errors_to_form(form, exc)
            except duplicates.PossibleDuplicate as exc:
                # The form again, the input kept, with the likely duplicates and a checkbox.
                matches = exc.matches
            else:
                messages.success(request, _("Company “%(name)s” created.") % {"name": company.legal_name})
                return redirect("clients:company_detail", pk=company.pk)
        status = 409 if matches else 400
    else:
        initial = {"owner": str(user.pk), "team": str(user.team_id or ""), "country": "BG"}
        form = CompanyForm(user=user, initial=initial, **_form_kwargs(user))
        matches, status = [], 200
    return render(request, "clients/company_form.html",
                  {"form": form, "company": None, "duplicates": matches}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def company_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    company = selectors.company_get(user=user, pk=pk)
    if not can_change(user, company):
        raise PermissionDenied()
    labels = _picker_labels(company)
    if request.method == "POST":
        form = CompanyForm(request.POST, user=user, company=company, **_form_kwargs(user))
        outcome = save_versioned(
            request, form,
            lambda: services.company_update(actor=user, company=company, data=form.service_data(),
                                            expected_version=form.cleaned_data.get("version")),
            success_url=reverse("clients:company_detail", args=[company.pk]))
        if isinstance(outcome, HttpResponse):
            return outcome
        # Show the page header from the stored record, not from the rejected input.
        company, status = selectors.company_get(user=user, pk=pk), outcome
    else:
        form = CompanyForm(user=user, company=company, labels=labels, **_form_kwargs(user))
        status = 200
    return render(request, "clients/company_form.html",
                  {"form": form, "company": company, "conflict": status == 409}, status=status)


CHECKS: dict[str, Callable[[str], Any]] = {
    "eik": identifiers.normalize_eik,
    "vat_number": identifiers.normalize_vat,
    "phones": identifiers.normalize_phones,
    "emails": identifiers.normalize_emails,
}


@login_required
@require_GET
@web_errors
def company_check(request: HttpRequest) -> HttpResponse:
    """Inline validation of one field as the user leaves it (HTMX); answers the field re-rendered."""
    trigger = getattr(getattr(request, "htmx", None), "trigger_name", None)
    if trigger in CHECKS or trigger in ("legal_name", "city"):
        name = trigger
    else:
        name = next((n for n in CHECKS if n in request.GET), None)
    if name is None:
        raise NotFound()
    company = None
    if request.GET.get("pk"):
        company = selectors.company_get(user=request.user, pk=request.GET["pk"])
    matches = _likely_duplicates(request, exclude_id=company.pk if company else None)
    if name not in CHECKS:
        return render(request, "clients/partials/duplicate_hint.html", {"matches": matches})
    form = CompanyForm(request.GET, user=request.user, company=company)
    problems: list[str] = [str(p) for p in form.errors.get(name, [])]
    raw = request.GET.get(name, "")
    if not problems:
        try:
            value = CHECKS[name](raw)
        except ValidationError as exc:
            problems = list(exc.messages)
        else:
            if name == "eik":
                taken, holder = selectors.company_eik_holder(
                    user=request.user, eik=value, exclude_pk=company.pk if company else None)
                if taken:
                    problems = [_("“%(name)s” already has this EIK.") % {"name": holder.legal_name}
                                if holder else services.EIK_TAKEN()]
    form.errors[name] = form.error_class(problems)
    if not problems:
        del form.errors[name]
    return render(request, "clients/partials/checked_field.html",
                  {"field": form[name], "wide": name in CompanyForm.WIDE, "matches": matches,
                   "duplicate_hint": "legal_name" in request.GET})


def _likely_duplicates(request: HttpRequest, *, exclude_id: int | None) -> list:
    """Likely duplicates of what the form holds so far (only companies the user may see)."""
    data = {k: request.GET.get(k, "") for k in CompanyForm.DUPLICATE_CHECK}
    if not any(data.values()):
        return []
    return duplicates.match_company(data, user=request.user, exclude_id=exclude_id)[:5]


@login_required
@require_GET
@web_errors
def company_autocomplete(request: HttpRequest) -> HttpResponse:
    """Visible companies matching what was typed (the company pickers; only what the user sees)."""
    query = request.GET.get("q", "")
    if not query:
        query = next((request.GET[k] for k in request.GET if k.endswith("_label")), "")
    companies = selectors.company_autocomplete(user=request.user, query=query[:100], limit=10)
    return render(request, "clients/partials/autocomplete.html",
                  {"companies": companies, "query": query})


# --- delete, restore, share ----------------------------------------------------------------------

@login_required
@require_POST
@web_errors
def company_delete(request: HttpRequest, pk: int) -> HttpResponse:
    company = selectors.company_get(user=request.user, pk=pk)
    services.company_delete(actor=request.user, company=company)
    messages.success(request, _("“%(name)s” moved to the trash. It can be restored from there.")
                     % {"name": company.legal_name})
    return redirect("clients:company_list")


@login_required
@require_GET
@web_errors
def company_trash(request: HttpRequest) -> HttpResponse:
    page = selectors.company_deleted_page(user=request.user, cursor=request.GET.get("cursor"),
                                          size=PAGE_SIZE)
    rows = [(c, can_delete(request.user, c)) for c in page.items]
    return render(request, "clients/company_trash.html", {"page": page, "rows": rows})


@login_required
@require_POST
@web_errors
def company_restore(request: HttpRequest, pk: int) -> HttpResponse:
    company = selectors.company_get_deleted(user=request.user, pk=pk)
    return restore_then_redirect(
        request, lambda: services.company_restore(actor=request.user, company=company),
        message=_("“%(name)s” restored.") % {"name": company.legal_name},
        url=reverse("clients:company_detail", args=[company.pk]))


@login_required
@require_POST
@web_errors
def company_share(request: HttpRequest, pk: int) -> HttpResponse:
    company = selectors.company_get(user=request.user, pk=pk)
    users = active_users()
    form = ShareForm(request.POST, users=users)
    if not form.is_valid():
        return render(request, "clients/company_detail.html",
                      detail_context(request, company, share_form=form), status=400)
    target = people_selectors.user_get(pk=form.cleaned_data["user"])
    services.company_share(actor=request.user, company=company, user=target)
    messages.success(request, _("Shared with %(user)s.") % {"user": target})
    return redirect(reverse("clients:company_detail", args=[company.pk]) + "#sharing")


@login_required
@require_POST
@web_errors
def company_unshare(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    company = selectors.company_get(user=request.user, pk=pk)
    target = people_selectors.user_get(pk=user_id)
    services.company_unshare(actor=request.user, company=company, user=target)
    messages.success(request, _("No longer shared with %(user)s.") % {"user": target})
    return redirect(reverse("clients:company_detail", args=[company.pk]) + "#sharing")


__all__ = ["detail_context", "is_htmx"]
