"""Deal pages: the list with filters, the deal page (stage progress, moves, timeline), create and
edit forms, delete, the trash and restore; the company page's "Deals" panel; the pipeline report.

Thin: parse → selector/service → render. Rules, visibility and the audit live in the services and
selectors; a hidden deal answers 404 like a missing one.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnera.clients import selectors as client_selectors
from partnera.clients.models import Company, Contact
from partnera.clients.views.common import active_users, all_teams, clean_query, partial_for
from partnera.core.errors import NotFound, PermissionDenied, ValidationFailed, VersionConflict
from partnera.core.panels import record_panels
from partnera.core.roles import Role
from partnera.core.visibility import can_assign, can_change, can_delete, visible_q
from partnera.core.web import AuthenticatedHttpRequest, add_errors_to_form, web_errors
from partnera.sales import deal_list as listing
from partnera.sales import reports, selectors, services
from partnera.sales.forms import CompanyChoiceForm, DealFilterForm, DealForm, MoveForm, sort_choices
from partnera.sales.models import ContactRole, Deal, Pipeline, Reason, Stage, StageOutcome
from partnera.sales.timeline import deal_timeline

PAGE_SIZE = 50
TIMELINE_SIZE = 30
FILTER_KEYS = {"q", "pipeline", "stage", "owner", "team", "tier", "status", "amount_min",
               "amount_max", "close_month", "no_next_activity", "sort", "company"}


def may_open_deals(user) -> bool:
    """Marketing and department members read deals but do not open them (sales.services)."""
    return bool(user.is_authenticated and user.role not in (Role.DEPARTMENT, Role.MARKETING))


# --- list ----------------------------------------------------------------------------------------

@login_required
@require_GET
@web_errors
def deal_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    pipelines = list(selectors.pipeline_list())
    stages = list(Stage.objects.filter(pipeline__active=True, active=True)
                  .select_related("pipeline").order_by("pipeline__position", "pipeline_id", "position"))
    users, teams = active_users(), all_teams()
    form = DealFilterForm(request.GET, pipelines=pipelines, stages=stages, users=users, teams=teams)
    filters, sort = form.filters(), form.sort_key()
    stage_field = cast(forms.ChoiceField, form.fields["stage"])
    if filters.pipeline:
        stage_field.choices = [(str(s.pk), s.name) for s in stages
                               if s.pipeline_id == filters.pipeline]
    else:
        stage_field.choices = [(str(s.pk), f"{s.pipeline.name} · {s.name}") for s in stages]
    page = listing.deal_page(user=user, filters=filters, sort=sort,
                             cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    count, count_more = listing.deal_count(user=user, filters=filters)
    rows = [(d, listing.weighted_amount(d)) for d in page.items]
    context = {
        "form": form, "filters": filters, "sort": sort, "page": page, "rows": rows,
        "count": count, "count_more": count_more, "sort_choices": sort_choices(),
        "active_filters": filters.active_count(),
        "current_query": clean_query(request.GET.urlencode(), FILTER_KEYS),
        "may_open": may_open_deals(user),
        "oob": partial_for(request, "deal-results"),
    }
    if context["oob"]:
        return render(request, "sales/deal_list.html#results", context)
    return render(request, "sales/deal_list.html", context)


# --- deal page -----------------------------------------------------------------------------------

def _timeline_before(raw: str) -> dt.datetime | None:
    """The "show older" position from the URL: an ISO date and time (a naive one read in the
    user's zone) between the years 1900 and 2200; anything else means "from the newest"."""
    try:
        before = dt.datetime.fromisoformat(raw[:64])
    except ValueError:
        return None
    if not 1900 <= before.year <= 2200:
        return None  # year 1 with an offset (or 9999) overflows in the database adapter
    if timezone.is_naive(before):
        before = timezone.make_aware(before, timezone.get_current_timezone())
    return before


def _older_cursor(entries) -> str:
    return entries[-1].at.isoformat() if len(entries) >= TIMELINE_SIZE else ""


def _timeline_rows(entries) -> list[tuple]:
    labels = {f.name: str(f.verbose_name) for f in Deal._meta.get_fields()
              if hasattr(f, "verbose_name")}
    labels["contacts"] = _("contacts")
    return [(e, [(labels.get(f, f.replace("_", " ")), before, after)
                 for f, before, after in e.details]) for e in entries]


def _progress(deal: Deal) -> list[dict]:
    """The pipeline's active stages, each marked done (behind the deal), current or ahead."""
    stages = list(selectors.stage_list(pipeline=deal.pipeline))
    if deal.stage_id not in {s.pk for s in stages}:
        stages.append(deal.stage)
        stages.sort(key=lambda s: (s.position, s.pk))
    current = deal.stage
    steps = []
    for stage in stages:
        if stage.pk == current.pk:
            state = "current"
        elif stage.outcome == StageOutcome.OPEN and current.outcome != StageOutcome.LOST and (
                stage.position < current.position):
            state = "done"
        else:
            state = "ahead"
        steps.append({"stage": stage, "state": state,
                      "rules": [r.get_requirement_display() for r in stage.rules.all()]})
    return steps


def _company_visible(user, deal: Deal) -> bool:
    return Company.objects.filter(visible_q(user), pk=deal.company_id).exists()


def detail_context(request: HttpRequest, deal: Deal, *, move_form: MoveForm | None = None,
                   move_error: ValidationFailed | None = None, move_stage: Stage | None = None,
                   conflict: str = "") -> dict:
    user = request.user
    entries = deal_timeline(user=user, deal=deal, limit=TIMELINE_SIZE)
    reasons = list(selectors.reason_list(kind=Reason.Kind.DEAL_LOST))
    deal_contacts = list(deal.deal_contacts.select_related("contact").order_by(
        "contact__last_name", "contact__first_name"))
    steps = _progress(deal)
    changeable = can_change(user, deal)
    return {
        "deal": deal,
        "weighted": listing.weighted_amount(deal),
        "deal_contacts": deal_contacts,
        "company_visible": _company_visible(user, deal),
        "steps": steps,
        "lost_stages": [s["stage"] for s in steps
                        if s["stage"].outcome == StageOutcome.LOST and s["state"] != "current"],
        "move_form": move_form or MoveForm(reasons=reasons, initial={"version": deal.version}),
        "move_error": move_error,
        "move_stage": move_stage,
        "conflict": conflict,
        "timeline": _timeline_rows(entries),
        "timeline_more": _older_cursor(entries),
        # Other domains' panels (activities …) through core's registry.
        "record_panels": record_panels("deal", user=user, record=deal),
        "can_change": changeable,
        "can_delete": can_delete(user, deal),
    }


@login_required
@require_GET
@web_errors
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deal = selectors.deal_get(user=request.user, pk=pk)
    return render(request, "sales/deal_detail.html", detail_context(request, deal))


@login_required
@require_GET
@web_errors
def deal_timeline_older(request: HttpRequest, pk: int) -> HttpResponse:
    """Older timeline entries (the "show older" button)."""
    deal = selectors.deal_get(user=request.user, pk=pk)
    before = _timeline_before(request.GET.get("before", ""))
    entries = deal_timeline(user=request.user, deal=deal, limit=TIMELINE_SIZE, before=before)
    return render(request, "sales/deal_timeline_items.html", {
        "deal": deal, "timeline": _timeline_rows(entries), "timeline_more": _older_cursor(entries)})


@login_required
@require_POST
@web_errors
def deal_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the deal to another stage. A refused move shows the deal page again with what is
    missing (400), or the conflict when someone changed the deal meanwhile (409)."""
    user = request.user
    deal = selectors.deal_get(user=user, pk=pk)
    if not can_change(user, deal):
        raise PermissionDenied()
    reasons = list(selectors.reason_list(kind=Reason.Kind.DEAL_LOST))
    form = MoveForm(request.POST, reasons=reasons)
    stage_id = _int(request.POST.get("stage"))
    target = None if stage_id is None else Stage.objects.filter(
        pk=stage_id, active=True).select_related("pipeline").first()
    if target is None or not form.is_valid():
        # A stage that is not there, a comment too long or with a character not allowed.
        error = ValidationFailed(_("Choose an active stage.")) if target is None else \
            ValidationFailed(fields={k: [str(m) for m in v] for k, v in form.errors.items()})
        return render(request, "sales/deal_detail.html",
                      detail_context(request, deal, move_form=form, move_error=error,
                                     move_stage=target), status=400)
    data = form.cleaned_data
    try:
        services.deal_move_stage(actor=user, deal=deal, stage=target,
                                 expected_version=data.get("version") or None,
                                 lost_reason=data.get("lost_reason") or None,
                                 lost_comment=data.get("lost_comment", ""))
    except VersionConflict as exc:
        deal = selectors.deal_get(user=user, pk=pk)
        return render(request, "sales/deal_detail.html",
                      detail_context(request, deal, move_form=form, conflict=exc.message),
                      status=409)
    except ValidationFailed as exc:
        deal = selectors.deal_get(user=user, pk=pk)
        for name in ("lost_reason", "lost_comment"):
            for message in exc.fields.get(name, []):
                form.add_error(name, message)
        return render(request, "sales/deal_detail.html",
                      detail_context(request, deal, move_form=form, move_error=exc,
                                     move_stage=target), status=400)
    if target.outcome == StageOutcome.WON:
        messages.success(request, _("Deal won. Well done!"))
    elif target.outcome == StageOutcome.LOST:
        messages.success(request, _("Deal marked as lost."))
    else:
        messages.success(request, _("Moved to “%(stage)s”.") % {"stage": target.name})
    return redirect("sales:deal_detail", pk=deal.pk)


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


# --- create and edit -----------------------------------------------------------------------------

def _pipelines_with_open_stages() -> list[tuple[Pipeline, list[Stage]]]:
    """The active pipelines, each with its active open stages (where a new deal may start)."""
    pipelines = list(selectors.pipeline_list())
    stages = Stage.objects.filter(pipeline__in=pipelines, active=True, outcome=StageOutcome.OPEN
                                  ).order_by("position", "pk")
    by_pipeline: dict[int, list[Stage]] = {}
    for stage in stages:
        by_pipeline.setdefault(stage.pipeline_id, []).append(stage)
    return [(pipeline, by_pipeline.get(pipeline.pk, [])) for pipeline in pipelines]


def _form_kwargs(user) -> dict:
    if can_assign(user):
        return {"users": active_users(), "teams": all_teams()}
    return {}


def _contact_choices(user, company: Company | None, deal: Deal | None = None) -> list[Contact]:
    """The contacts a deal may name: those of its company the user may see, and the ones the deal
    already names."""
    if company is None:
        return []
    contacts = client_selectors.contacts_of_company(user=user, company=company)
    if deal is not None:
        seen = {c.pk for c in contacts}
        contacts += [dc.contact for dc in deal.deal_contacts.select_related("contact")
                     if dc.contact_id not in seen]
    return contacts


def _posted_contacts(request: HttpRequest) -> list[tuple[int | str, str]]:
    """`contact` (ticked ids) with each one's `role_<id>`; unknown ids are left to the service."""
    picked: list[tuple[int | str, str]] = []
    for raw in request.POST.getlist("contact")[:100]:
        pk = _int(raw)
        if pk is None:
            picked.append((raw, ""))  # the service answers "choose contacts of the company"
            continue
        picked.append((pk, request.POST.get(f"role_{pk}", "")))
    return picked


def _contact_rows(contacts: list[Contact], chosen: dict[int, str]) -> list[dict]:
    return [{"contact": c, "checked": c.pk in chosen, "role": chosen.get(c.pk, "")}
            for c in contacts]


def _chosen_from_post(request: HttpRequest) -> dict[int, str]:
    return {pk: role for pk, role in _posted_contacts(request) if isinstance(pk, int)}


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def deal_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new deal: first the company (?company=<id>, e.g. from the company page), then the form."""
    user = request.user
    if not may_open_deals(user):
        raise PermissionDenied()
    raw_company = request.POST.get("company") if request.method == "POST" else request.GET.get("company")
    company = None
    if raw_company:
        company = client_selectors.company_get(user=user, pk=_int(raw_company) or 0)
    if company is None:
        return render(request, "sales/deal_company.html",
                      {"form": CompanyChoiceForm(request.GET or None)},
                      status=400 if request.method == "POST" else 200)
    pipelines = _pipelines_with_open_stages()
    stage_pipeline = {str(s.pk): p.pk for p, stages in pipelines for s in stages}
    contacts = _contact_choices(user, company)
    if request.method == "POST":
        form = DealForm(request.POST, user=user, pipelines=pipelines, **_form_kwargs(user))
        chosen = _chosen_from_post(request)
        if form.is_valid():
            try:
                deal = services.deal_create(
                    actor=user, data=form.service_data(stage_pipeline=stage_pipeline),
                    contacts=_posted_contacts(request))
            except ValidationFailed as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("Deal “%(title)s” opened.") % {"title": deal.title})
                return redirect("sales:deal_detail", pk=deal.pk)
        status = 400
    else:
        default = selectors.default_pipeline()
        first = selectors.first_open_stage(default) if default else None
        form = DealForm(user=user, pipelines=pipelines, initial={
            "company": str(company.pk), "stage": str(first.pk) if first else "",
            "owner": str(user.pk), "team": str(user.team_id or ""), "currency": "EUR"},
            **_form_kwargs(user))
        chosen, status = {}, 200
    return render(request, "sales/deal_form.html", {
        "form": form, "deal": None, "company": company,
        "contact_rows": _contact_rows(contacts, chosen), "roles": ContactRole.choices,
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    deal = selectors.deal_get(user=user, pk=pk)
    if not can_change(user, deal):
        raise PermissionDenied()
    contacts = _contact_choices(user, deal.company, deal)
    conflict = False
    if request.method == "POST":
        form = DealForm(request.POST, user=user, deal=deal, **_form_kwargs(user))
        chosen = _chosen_from_post(request)
        if form.is_valid():
            try:
                with transaction.atomic():
                    services.deal_update(actor=user, deal=deal, data=form.service_data(),
                                         expected_version=form.cleaned_data.get("version"))
                    services.deal_set_contacts(actor=user, deal=deal,
                                               contacts=_posted_contacts(request))
            except VersionConflict as exc:
                form.add_error(None, exc.message)
                conflict = True
            except ValidationFailed as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("sales:deal_detail", pk=deal.pk)
        # The page header from the stored deal, not from the refused input.
        deal = selectors.deal_get(user=user, pk=pk)
        status = 409 if conflict else 400
    else:
        form = DealForm(user=user, deal=deal, **_form_kwargs(user))
        chosen = {dc.contact_id: dc.role for dc in deal.deal_contacts.all()}
        status = 200
    return render(request, "sales/deal_form.html", {
        "form": form, "deal": deal, "company": deal.company, "conflict": conflict,
        "contact_rows": _contact_rows(contacts, chosen), "roles": ContactRole.choices,
    }, status=status)


# --- delete, trash, restore ----------------------------------------------------------------------

@login_required
@require_POST
@web_errors
def deal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    deal = selectors.deal_get(user=request.user, pk=pk)
    services.deal_delete(actor=request.user, deal=deal)
    messages.success(request, _("“%(title)s” moved to the trash. It can be restored from there.")
                     % {"title": deal.title})
    return redirect("sales:deal_list")


@login_required
@require_GET
@web_errors
def deal_trash(request: HttpRequest) -> HttpResponse:
    from partnera.core.pagination import keyset_page

    page = keyset_page(selectors.deal_deleted_list(user=request.user), field="deleted_at",
                       descending=True, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    rows = [(d, can_delete(request.user, d)) for d in page.items]
    return render(request, "sales/deal_trash.html", {"page": page, "rows": rows})


@login_required
@require_POST
@web_errors
def deal_restore(request: HttpRequest, pk: int) -> HttpResponse:
    deal = selectors.deal_get_deleted(user=request.user, pk=pk)
    services.deal_restore(actor=request.user, deal=deal)
    messages.success(request, _("“%(title)s” restored.") % {"title": deal.title})
    return redirect("sales:deal_detail", pk=deal.pk)


# --- report --------------------------------------------------------------------------------------

@login_required
@require_GET
@web_errors
def pipeline_report(request: HttpRequest) -> HttpResponse:
    pipelines = list(selectors.pipeline_list())
    chosen = _int(request.GET.get("pipeline"))
    pipeline = next((p for p in pipelines if p.pk == chosen), None) or selectors.default_pipeline()
    if pipeline is None:
        raise NotFound()
    report = reports.pipeline_report(user=request.user, pipeline=pipeline)
    return render(request, "sales/report_pipeline.html",
                  {"report": report, "pipelines": pipelines, "pipeline": pipeline})


# --- the company page's "Deals" panel (core.panels) ----------------------------------------------

PANEL_SIZE = 20


def company_deals_panel(*, user, record) -> dict | None:
    """Open deals of the company the user may see; None for a user who neither sees a deal of it
    nor may open one (department members, say)."""
    deals = list(selectors.deal_queryset(user=user).filter(company=record, status=StageOutcome.OPEN)
                 .select_related("stage", "owner").order_by("expected_close_date", "pk")[:PANEL_SIZE + 1])
    may_open = may_open_deals(user) and record.deleted_at is None
    if not deals and not may_open:
        return None
    return {"company": record, "deals": deals[:PANEL_SIZE], "more": len(deals) > PANEL_SIZE,
            "may_open": may_open}

