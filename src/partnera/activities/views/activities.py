"""Activity pages: the list ("mine" by default), an activity's page (complete with the outcome and
the follow-up, reminders, edit, cancel, delete and restore), the create form, and the "Log a call"
panel on the company and deal pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnera.activities import selectors, services
from partnera.activities.activity_list import (
    ActivityFilters,
    activity_count,
    activity_page,
)
from partnera.activities.forms import (
    ActivityFilterForm,
    ActivityForm,
    CompleteForm,
    FollowUpMixin,
    LogCallForm,
    ReminderForm,
    choice_field,
)
from partnera.activities.models import Activity, ActivityKind, ActivityStatus
from partnera.activities.reminders import reminder_list, reminder_set
from partnera.clients import selectors as client_selectors
from partnera.clients.models import Company, Contact
from partnera.clients.views.common import active_users, is_htmx, partial_for, timeline_rows
from partnera.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    VersionConflict,
)
from partnera.core.timeline import company_timeline
from partnera.core.visibility import can_assign, can_change
from partnera.core.web import add_errors_to_form, web_errors
from partnera.sales.models import Deal
from partnera.sales.selectors import deal_get, deal_queryset, lead_get

PAGE_SIZE = getattr(settings, "PARTNERA_PAGE_SIZE", 50)
PANEL_SIZE = 5
TIMELINE_SIZE = 30


# --- list ----------------------------------------------------------------------------------------

def _day_start(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def list_filters(request: HttpRequest, form: ActivityFilterForm) -> ActivityFilters:
    user = request.user
    heads = can_assign(user)
    owners = [int(pk) for pk in form.value("owner", [])] if heads else []
    date_to = form.value("date_to")
    return ActivityFilters(
        view=form.value("view") or "upcoming",
        # "Mine" unless looking at one company (all of its activities one may see), or a head
        # of sales or an administrator chose owners or everyone.
        mine=not (form.value("company") or (heads and (owners or form.value("everyone")))),
        kind=list(form.value("kind", [])), status=list(form.value("status", [])),
        owner=owners, company=form.value("company"),
        starts_from=_day_start(form.value("date_from")),
        starts_before=_day_start(date_to + dt.timedelta(days=1)) if date_to else None,
    )


@login_required
@require_GET
@web_errors
def activity_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    heads = can_assign(user)
    users = active_users() if heads else []
    form = ActivityFilterForm(request.GET, users=users)
    form.is_valid()
    filters = list_filters(request, form)
    page = activity_page(user=user, filters=filters, cursor=request.GET.get("cursor"),
                         size=PAGE_SIZE)
    count, count_more = activity_count(user=user, filters=filters)
    overdue = activity_count(user=user, filters=ActivityFilters(view="overdue", mine=True))
    company = None
    if filters.company:
        company = client_selectors.company_visible(user=user).filter(pk=filters.company).first()
    restorable = {a.pk for a in page.items if can_change(user, a)} if filters.view == "deleted" else set()
    context = {
        "form": form, "filters": filters, "page": page, "count": count, "count_more": count_more,
        "overdue": overdue[0], "users": users, "heads": heads, "kinds": ActivityKind.choices,
        "statuses": ActivityStatus.choices, "company": company, "restorable": restorable,
        "views": choice_field(form, "view").choices, "now": timezone.now(),
        "selected_kinds": set(filters.kind), "selected_statuses": set(filters.status),
        "selected_owners": {str(pk) for pk in filters.owner},
    }
    if partial_for(request, "activity-results"):
        # Only the results are swapped: a date's error goes above them (the full page shows it
        # next to the field).
        context["date_errors"] = [str(e) for name in ("date_from", "date_to")
                                  for e in form.errors.get(name, [])]
        return render(request, "activities/activity_list.html#results", context)
    return render(request, "activities/activity_list.html", context)


# --- create / edit -------------------------------------------------------------------------------

def _visible_or_none(getter, *, user, pk):
    if not pk:
        return None
    try:
        return getter(user=user, pk=pk)
    except NotFound:
        return None


def _company_choices(user, company_id) -> tuple[Company | None, list[Contact], list[Deal]]:
    """The company (if visible), its contacts and its open deals, for the form's selects."""
    company = None
    if company_id:
        company = _visible_or_none(client_selectors.company_get, user=user, pk=company_id)
    if company is None:
        return None, [], []
    contacts = client_selectors.contacts_of_company(user=user, company=company)
    deals = list(deal_queryset(user=user).filter(company=company, status="open")
                 .order_by("title")[:100])
    return company, contacts, deals


@dataclass(frozen=True)
class _HiddenChoice:
    """The current link to a record the editor may not see: kept by its id, shown neutrally."""

    pk: int
    label: str

    def __str__(self) -> str:
        return self.label


def _form_kwargs(user, company_id, *, activity: Activity | None = None) -> dict:
    company, contacts, deals = _company_choices(user, company_id)
    choices: list[Any] = list(deals)
    if activity is not None and activity.deal_id is not None and activity.deal not in deals:
        # The deal it links to, unless the editor may not see it (or it was deleted): then only
        # its place in the list, which keeps the link when the form is saved unchanged.
        choices.append(activity.deal if getattr(activity, "deal_visible", False)
                       else _HiddenChoice(activity.deal_id, _("a deal you cannot see")))
    deals = choices
    return {"users": active_users(), "contacts": contacts, "deals": deals,
            "may_assign": can_assign(user),
            "company_label": company.legal_name if company else "", "activity": activity,
            "owner_id": user.pk}


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def activity_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = ActivityForm(request.POST, **_form_kwargs(user, request.POST.get("company")))
        if form.is_valid():
            try:
                activity = services.activity_create(actor=user, data=form.service_data())
            except ValidationFailed as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("Activity “%(subject)s” saved.")
                                 % {"subject": activity.subject})
                return redirect("activities:activity_detail", pk=activity.pk)
        return render(request, "activities/activity_form.html",
                      {"form": form, "activity": None}, status=400)
    initial = _prefill(request)
    form = ActivityForm(initial=initial, **_form_kwargs(user, initial.get("company")))
    return render(request, "activities/activity_form.html", {"form": form, "activity": None})


def _prefill(request: HttpRequest) -> dict:
    """The create form's start from ?company=, ?deal=, ?lead=, ?kind=: a time an hour from now."""
    user = request.user
    start = (timezone.localtime() + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    initial: dict = {"kind": ActivityKind.CALL, "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                     "duration_minutes": "30", "status": ActivityStatus.PLANNED,
                     "owner": str(user.pk)}
    kind = request.GET.get("kind", "")
    if kind in ActivityKind.values:
        initial["kind"] = kind
    company = _visible_or_none(client_selectors.company_get, user=user,
                               pk=request.GET.get("company"))
    deal = _visible_or_none(deal_get, user=user, pk=request.GET.get("deal"))
    lead = _visible_or_none(lead_get, user=user, pk=request.GET.get("lead"))
    if deal is not None:
        initial["deal"] = str(deal.pk)
        company = company or deal.company
    if lead is not None:
        initial["lead"] = str(lead.pk)
        if company is None and lead.company_id:
            company = _visible_or_none(client_selectors.company_get, user=user, pk=lead.company_id)
        initial["subject"] = str(lead)
    if company is not None:
        initial["company"] = str(company.pk)
    return initial


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    activity = selectors.activity_get(user=user, pk=pk)
    if not can_change(user, activity):
        raise PermissionDenied()
    status, conflict = 200, False
    if request.method == "POST":
        form = ActivityForm(request.POST, **_form_kwargs(
            user, request.POST.get("company"), activity=activity))
        if form.is_valid():
            try:
                services.activity_update(actor=user, activity=activity, data=form.service_data(),
                                         expected_version=form.cleaned_data.get("version"))
            except VersionConflict as exc:
                form.add_error(None, exc.message)
                status, conflict = 409, True
            except ValidationFailed as exc:
                add_errors_to_form(form, exc)
                status = 400
            else:
                messages.success(request, _("Changes saved."))
                return redirect("activities:activity_detail", pk=activity.pk)
        else:
            status = 400
    else:
        form = ActivityForm(initial=ActivityForm.initial_from(activity),
                            **_form_kwargs(user, activity.company_id, activity=activity))
    return render(request, "activities/activity_form.html",
                  {"form": form, "activity": activity, "conflict": conflict}, status=status)


# --- the activity's page -------------------------------------------------------------------------

def _detail_context(request: HttpRequest, activity: Activity, *, complete_form=None,
                    reminder_form=None) -> dict:
    user = request.user
    visible = selectors.activity_queryset(user=user)
    follow_ups = list(visible.filter(follow_up_of=activity).order_by("starts_at"))
    previous = (visible.filter(pk=activity.follow_up_of_id).first()
                if activity.follow_up_of_id else None)
    reminders = list(reminder_list(user=user, activity=activity))
    pending = [r for r in reminders if r.sent_at is None]
    if reminder_form is None:
        initial = {"by_email": True, "when": ""}
        if pending:
            minutes = int((activity.starts_at - pending[0].remind_at).total_seconds() // 60)
            initial["when"] = str(minutes) if str(minutes) in {"0", "15", "60", "1440"} else "exact"
            initial["remind_at"] = timezone.localtime(pending[0].remind_at).strftime("%Y-%m-%dT%H:%M")
            initial["by_email"] = pending[0].by_email
        reminder_form = ReminderForm(initial=initial)
    return {
        "activity": activity,
        "colleagues": list(activity.participant_users.all()),
        "contacts": selectors.contacts_seen(activity, user=user),
        "follow_ups": follow_ups, "previous": previous,
        "reminders": reminders,
        "can_change": can_change(user, activity),
        "complete_form": complete_form or CompleteForm(initial={
            "version": activity.version, "follow_up_kind": activity.kind}),
        "reminder_form": reminder_form,
        "is_planned": activity.status == ActivityStatus.PLANNED,
        "is_overdue": activity.status == ActivityStatus.PLANNED
        and activity.starts_at < timezone.now(),
    }


@login_required
@require_GET
@web_errors
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get(user=request.user, pk=pk)
    return render(request, "activities/activity_detail.html", _detail_context(request, activity))


def _follow_up_errors(form: FollowUpMixin, exc: ValidationFailed) -> None:
    """A service's errors on the form, the follow-up's next to the follow-up fields."""
    fields = {}
    for name, msgs in exc.fields.items():
        target = form.FOLLOW_UP_FIELDS.get(name)
        if target is None and name.startswith("follow_up."):
            target = "follow_up_at"
        fields[target or name] = msgs
    add_errors_to_form(form, ValidationFailed(exc.message, fields=fields))


@login_required
@require_POST
@web_errors
def activity_complete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    activity = selectors.activity_get(user=user, pk=pk)
    form = CompleteForm(request.POST)
    if form.is_valid():
        try:
            services.activity_complete(actor=user, activity=activity,
                                       outcome=form.cleaned_data.get("outcome", ""),
                                       follow_up=form.follow_up(),
                                       expected_version=form.cleaned_data.get("version"))
        except (ValidationFailed, VersionConflict) as exc:
            if isinstance(exc, ValidationFailed):
                _follow_up_errors(form, exc)
            else:
                form.add_error(None, exc.message)
        else:
            if form.follow_up():
                messages.success(request, _("Done. The follow-up is scheduled."))
            else:
                messages.success(request, _("Done."))
            return redirect("activities:activity_detail", pk=activity.pk)
    activity = selectors.activity_get(user=user, pk=pk)
    return render(request, "activities/activity_detail.html",
                  _detail_context(request, activity, complete_form=form), status=400)


@login_required
@require_POST
@web_errors
def activity_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get(user=request.user, pk=pk)
    services.activity_cancel(actor=request.user, activity=activity)
    messages.success(request, _("Activity cancelled."))
    return redirect("activities:activity_detail", pk=activity.pk)


@login_required
@require_POST
@web_errors
def activity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get(user=request.user, pk=pk)
    services.activity_delete(actor=request.user, activity=activity)
    messages.success(request, _("Activity “%(subject)s” deleted. You find it under “Deleted” "
                                "and can restore it there.") % {"subject": activity.subject})
    return redirect(reverse("activities:activity_list") + "?view=deleted")


@login_required
@require_POST
@web_errors
def activity_restore(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get_deleted(user=request.user, pk=pk)
    try:
        services.activity_restore(actor=request.user, activity=activity)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(reverse("activities:activity_list") + "?view=deleted")
    messages.success(request, _("Activity restored."))
    return redirect("activities:activity_detail", pk=activity.pk)


@login_required
@require_POST
@web_errors
def activity_reminder(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    activity = selectors.activity_get(user=user, pk=pk)
    form = ReminderForm(request.POST)
    if form.is_valid():
        try:
            reminder_set(actor=user, activity=activity, reminders=form.reminders())
        except ValidationFailed as exc:
            fields = {("remind_at" if k in ("remind_at", "reminders") else
                       "when" if k == "minutes_before" else k): v for k, v in exc.fields.items()}
            add_errors_to_form(form, ValidationFailed(exc.message, fields=fields))
        else:
            messages.success(request, _("Reminder saved.") if form.reminders()
                             else _("Reminder removed."))
            return redirect(reverse("activities:activity_detail", args=[activity.pk]) + "#reminders")
    return render(request, "activities/activity_detail.html",
                  _detail_context(request, activity, reminder_form=form), status=400)


def deal_url(deal) -> str:
    """The deal's page."""
    return reverse("sales:deal_detail", args=[deal.pk])


# --- "Log a call" panel (company and deal pages) ---------------------------------------------------

def panel_context(*, user, company=None, deal=None, form: LogCallForm | None = None,
                  saved: str = "") -> dict:
    """The activities panel of a company (or a deal) page: what is planned, what was done, and
    the compact "Log a call" form."""
    if deal is not None:
        company = deal.company
        listed = selectors.deal_activities(user=user, deal_id=deal.pk, limit=PANEL_SIZE)
        post_url = reverse("activities:activity_log_deal", args=[deal.pk])
        new_url = reverse("activities:activity_create") + f"?deal={deal.pk}"
    else:
        listed = selectors.company_activities(user=user, company_id=company.pk, limit=PANEL_SIZE)
        post_url = reverse("activities:activity_log", args=[company.pk])
        new_url = reverse("activities:activity_create") + f"?company={company.pk}"
    contacts = client_selectors.contacts_of_company(user=user, company=company)
    if form is None:
        form = LogCallForm(contacts=contacts, initial={
            "subject": _("Call"), "kind": ActivityKind.CALL, "follow_up_kind": ActivityKind.CALL,
            "deal": str(deal.pk) if deal is not None else ""})
    return {"company": company, "deal": deal, "planned": listed["planned"], "done": listed["done"],
            "form": form, "post_url": post_url, "new_url": new_url, "saved": saved,
            "now": timezone.now(),
            "list_url": reverse("activities:activity_list") + f"?view=all&company={company.pk}"}


def _log(request: HttpRequest, *, company, deal=None) -> HttpResponse:
    user = request.user
    contacts = client_selectors.contacts_of_company(user=user, company=company)
    form = LogCallForm(request.POST, contacts=contacts)
    saved = False
    if form.is_valid():
        data = form.service_data(company=company, now=timezone.now())
        if deal is not None:
            data["deal"] = deal
        try:
            services.activity_create(actor=user, data=data, follow_up=form.follow_up())
        except ValidationFailed as exc:
            _follow_up_errors(form, exc)
        else:
            saved = True
    back = (deal_url(deal) if deal is not None
            else reverse("clients:company_detail", args=[company.pk])) + "#activities-panel"
    if is_htmx(request) and saved and deal is not None:
        # The deal page shows what the new activity changes beyond this panel (the next activity,
        # the "No next activity" flag, the timeline): reload the page, the message comes along.
        messages.success(request, _("Logged; the follow-up is scheduled.") if form.follow_up()
                         else _("Logged."))
        response = HttpResponse()
        response["HX-Refresh"] = "true"
        return response
    if is_htmx(request):
        said = "" if not saved else (_("Logged; the follow-up is scheduled.") if form.follow_up()
                                     else _("Logged."))
        context: dict[str, Any] = {"panel_context": panel_context(
            user=user, company=company, deal=deal, form=None if saved else form, saved=said)}
        if saved and deal is None:
            entries = company_timeline(user=user, company_id=company.pk, limit=TIMELINE_SIZE)
            context.update(company=company, timeline_oob=True, timeline=timeline_rows(entries),
                           timeline_more=entries[-1].at.isoformat()
                           if len(entries) >= TIMELINE_SIZE else "")
        return render(request, "activities/panels/company_activities.html", context)
    if saved:
        messages.success(request, _("Call logged.") if not form.follow_up()
                         else _("Call logged; the follow-up is scheduled."))
    else:
        problems = [str(m) for field in form.errors.values() for m in field]
        messages.error(request, " ".join(problems) or _("Some fields are not valid."))
    return redirect(back)


@login_required
@require_POST
@web_errors
def activity_log(request: HttpRequest, company_pk: int) -> HttpResponse:
    company = client_selectors.company_get(user=request.user, pk=company_pk)
    return _log(request, company=company)


@login_required
@require_POST
@web_errors
def activity_log_deal(request: HttpRequest, deal_pk: int) -> HttpResponse:
    deal = deal_get(user=request.user, pk=deal_pk)
    return _log(request, company=deal.company, deal=deal)


def company_activities_panel(*, user, record) -> dict | None:
    """The record panel on the company page (core.panels); none on a deleted company."""
    if record.deleted_at is not None:
        return None
    return panel_context(user=user, company=record)


def deal_activities_panel(*, user, record) -> dict | None:
    """The record panel on the deal page (core.panels); none on a deleted deal."""
    if record.deleted_at is not None:
        return None
    return panel_context(user=user, deal=record)
