"""Lead pages: the list, a lead, create/edit, qualification into company + contact + deal,
disqualification, delete/restore; and the administrators' web forms.

Thin: parse → selector/service → render. Visibility lives in the selectors, rights and rules in
the services (sales.leads); a lead the user may not see answers 404 everywhere.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnera.clients.views.common import PAGE_SIZE, active_users, all_teams, partial_for
from partnera.core.errors import PermissionDenied, ValidationFailed, VersionConflict
from partnera.core.formatting import format_phone
from partnera.core.roles import Role
from partnera.core.visibility import can_assign, can_change, can_delete, is_administrator
from partnera.core.web import AuthenticatedHttpRequest, add_errors_to_form, web_errors
from partnera.sales import lead_selectors as selectors
from partnera.sales import leads as services
from partnera.sales.lead_forms import (
    DisqualifyForm,
    LeadFilterForm,
    LeadForm,
    QualifyForm,
    WebFormForm,
)
from partnera.sales.models import Lead, LeadSource, LeadStatus
from partnera.sales.selectors import default_pipeline, pipeline_list


def works_leads(user) -> bool:
    """Who creates, changes and qualifies leads: the sales roles."""
    return bool(user.is_authenticated and user.role not in (Role.DEPARTMENT, Role.MARKETING))


def _require_worker(user) -> None:
    if not works_leads(user):
        raise PermissionDenied()


def _require_changeable(user, lead: Lead) -> None:
    if not works_leads(user) or not can_change(user, lead):
        raise PermissionDenied()


def _form_kwargs(user) -> dict:
    if can_assign(user):
        return {"users": active_users(), "teams": all_teams()}
    return {}


# --- list ------------------------------------------------------------------------------------------

@login_required
@require_GET
@web_errors
def lead_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    users, teams = active_users(), all_teams()
    form = LeadFilterForm(request.GET, users=users, teams=teams)
    filters = form.filters()
    page = selectors.lead_page(user=user, filters=filters, cursor=request.GET.get("cursor"),
                               size=PAGE_SIZE)
    count, count_more = selectors.lead_count(user=user, filters=filters)
    context = {
        "form": form, "filters": filters, "page": page, "count": count, "count_more": count_more,
        "users": users, "teams": teams, "statuses": LeadStatus.choices,
        "sources": LeadSource.choices, "can_create": works_leads(user),
        "is_administrator": is_administrator(user),
    }
    if partial_for(request, "lead-results"):
        return render(request, "sales/lead_list.html#results", context)
    return render(request, "sales/lead_list.html", context)


@login_required
@require_GET
@web_errors
def lead_trash(request: HttpRequest) -> HttpResponse:
    rows = [lead for lead in selectors.lead_deleted_list(user=request.user)[:200]
            if can_delete(request.user, lead)]
    return render(request, "sales/lead_trash.html", {"leads": rows})


@login_required
@require_GET
@web_errors
def lead_contact_autocomplete(request: HttpRequest) -> HttpResponse:
    """Visible contacts matching what was typed (the "referred by (contact)" picker)."""
    query = request.GET.get("q", "")
    if not query:
        query = next((request.GET[k] for k in request.GET if k.endswith("_label")), "")
    contacts = selectors.contact_autocomplete(user=request.user, query=query[:100])
    return render(request, "sales/lead_contact_options.html",
                  {"contacts": contacts, "query": query})


# --- one lead --------------------------------------------------------------------------------------

def _deal_url(deal_id: int | None) -> str:
    if not deal_id:
        return ""
    return reverse("sales:deal_detail", args=[deal_id])


@login_required
@require_GET
@web_errors
def lead_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    # A company in the trash (with its contact and deal) is not linked from the lead's page.
    lead = selectors.without_deleted_company(selectors.lead_get(user=user, pk=pk))
    is_open = lead.status in services.OPEN_STATUSES
    changeable = works_leads(user) and can_change(user, lead)
    # What the lead links to is named only to who may see it.
    seen = selectors.lead_links_seen(user=user, lead=lead)
    return render(request, "sales/lead_detail.html", {
        "lead": lead, "is_open": is_open, "seen": seen,
        "can_change": changeable and is_open,
        "can_delete": can_delete(user, lead),
        "deal_url": _deal_url(lead.deal_id) if seen.get("deal_seen") else "",
        "company_matches": selectors.lead_company_matches(user=user, lead=lead)[:3]
        if is_open and changeable else [],
    })


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def lead_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    _require_worker(user)
    if request.method == "POST":
        form = LeadForm(request.POST, user=user, **_form_kwargs(user))
        if form.is_valid():
            try:
                lead = services.lead_create(actor=user, data=form.service_data())
            except ValidationFailed as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("Lead “%(lead)s” created.") % {"lead": str(lead)})
                return redirect("sales:lead_detail", pk=lead.pk)
        status = 400
    else:
        initial = {"owner": str(user.pk), "team": str(user.team_id or "")}
        form = LeadForm(user=user, initial=initial, **_form_kwargs(user))
        status = 200
    return render(request, "sales/lead_form.html", {"form": form, "lead": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def lead_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = selectors.lead_get(user=user, pk=pk)
    _require_changeable(user, lead)
    if lead.status not in services.OPEN_STATUSES:
        messages.info(request, _("This lead is closed; it can no longer be changed."))
        return redirect("sales:lead_detail", pk=lead.pk)
    conflict = False
    if request.method == "POST":
        form = LeadForm(request.POST, user=user, lead=lead, **_form_kwargs(user))
        if form.is_valid():
            try:
                services.lead_update(actor=user, lead=lead, data=form.service_data(),
                                     expected_version=form.cleaned_data["version"])
            except VersionConflict as exc:
                form.add_error(None, exc.message)
                conflict = True
            except ValidationFailed as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("sales:lead_detail", pk=lead.pk)
        status = 409 if conflict else 400
        lead.refresh_from_db()  # the page around the form shows the stored lead
    else:
        form = LeadForm(user=user, lead=lead, **_form_kwargs(user))
        status = 200
    return render(request, "sales/lead_form.html",
                  {"form": form, "lead": lead, "conflict": conflict}, status=status)


@login_required
@require_POST
@web_errors
def lead_delete(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, pk=pk)
    services.lead_delete(actor=request.user, lead=lead)
    messages.success(request, _("Lead “%(lead)s” moved to the trash.") % {"lead": str(lead)})
    return redirect("sales:lead_list")


@login_required
@require_POST
@web_errors
def lead_restore(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get_deleted(user=request.user, pk=pk)
    services.lead_restore(actor=request.user, lead=lead)
    messages.success(request, _("Lead “%(lead)s” restored.") % {"lead": str(lead)})
    return redirect("sales:lead_detail", pk=lead.pk)


# --- qualify / disqualify --------------------------------------------------------------------------

def _qualify_initial(user, lead: Lead, company_matches, contact_matches) -> dict:
    pipeline = default_pipeline()
    # The best company; the person already at that company, else a new contact (if named).
    company_id = company_matches[0].company_id if company_matches else None
    there = [m for m in contact_matches if m.company_id == company_id]
    contact_choice = (str(there[0].contact_id) if there
                      else "new" if (lead.first_name or lead.last_name) else "none")
    return {
        "company_choice": str(company_matches[0].company_id) if company_matches else "new",
        "company_legal_name": lead.company_name, "company_eik": lead.eik,
        "company_city": lead.city,
        "contact_choice": contact_choice,
        "contact_first_name": lead.first_name, "contact_last_name": lead.last_name,
        "contact_position": lead.position, "contact_emails": lead.email,
        "contact_phones": format_phone(lead.phone) if lead.phone else "",
        "deal_title": services.deal_defaults(user, lead)["title"],
        "deal_pipeline": str(pipeline.pk) if pipeline else "",
        "deal_currency": "EUR", "version": lead.version,
    }


def _placed(error: ValidationFailed, company_choice: str) -> ValidationFailed:
    """The chosen company's and contact's errors next to the choices on the page."""
    fields = dict(error.fields)
    if "contact" in fields:
        fields["contact_choice"] = fields.pop("contact")
    if "company" in fields and company_choice != "pick":
        fields["company_choice"] = fields.pop("company")
    return ValidationFailed(error.message, fields=fields)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def lead_qualify(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = selectors.lead_get(user=user, pk=pk)
    _require_changeable(user, lead)
    if lead.status not in services.OPEN_STATUSES:
        messages.info(request, _("This lead is already closed."))
        return redirect("sales:lead_detail", pk=lead.pk)
    company_matches = selectors.lead_company_matches(user=user, lead=lead)
    contact_matches = selectors.lead_contact_matches(user=user, lead=lead)
    kwargs = {"company_matches": company_matches, "contact_matches": contact_matches,
              "pipelines": list(pipeline_list())}
    if request.method == "POST":
        form = QualifyForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                # The page showed the likely existing records; choosing "new" is deliberate.
                lead = services.lead_qualify(actor=user, lead=lead, allow_duplicate=True,
                                             expected_version=form.cleaned_data.get("version"),
                                             **form.parts())
            except VersionConflict as exc:
                form.add_error(None, exc.message)
            except ValidationFailed as exc:
                add_errors_to_form(form, _placed(exc, form.cleaned_data["company_choice"]))
            else:
                messages.success(request, _("Lead qualified: the company, contact and deal are "
                                            "ready."))
                return redirect(_deal_url(lead.deal_id) or reverse("sales:lead_detail",
                                                                   args=[lead.pk]))
        status = 400
    else:
        form = QualifyForm(initial=_qualify_initial(user, lead, company_matches, contact_matches),
                           **kwargs)
        status = 200
    return render(request, "sales/lead_qualify.html", {
        "form": form, "lead": lead, "company_matches": company_matches,
        "contact_matches": contact_matches}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def lead_disqualify(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = selectors.lead_get(user=user, pk=pk)
    _require_changeable(user, lead)
    if lead.status not in services.OPEN_STATUSES:
        messages.info(request, _("This lead is already closed."))
        return redirect("sales:lead_detail", pk=lead.pk)
    reasons = list(selectors.lead_reasons())
    if request.method == "POST":
        form = DisqualifyForm(request.POST, reasons=reasons)
        if form.is_valid():
            try:
                services.lead_disqualify(actor=user, lead=lead,
                                         reason=form.cleaned_data["reason"] or None,
                                         comment=form.cleaned_data["comment"],
                                         expected_version=form.cleaned_data.get("version"))
            except VersionConflict as exc:
                form.add_error(None, exc.message)
            except ValidationFailed as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("Lead disqualified."))
                return redirect("sales:lead_detail", pk=lead.pk)
        status = 400
    else:
        form = DisqualifyForm(reasons=reasons, initial={"version": lead.version})
        status = 200
    return render(request, "sales/lead_disqualify.html", {"form": form, "lead": lead},
                  status=status)


# --- web forms (administrators) ----------------------------------------------------------------------

def _require_administrator(user) -> None:
    if not is_administrator(user):
        raise PermissionDenied(_("Web forms are managed by administrators."))


@login_required
@require_GET
@web_errors
def webform_list(request: HttpRequest) -> HttpResponse:
    _require_administrator(request.user)
    return render(request, "sales/webform_list.html", {"webforms": selectors.webform_list()})


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def webform_create(request: HttpRequest) -> HttpResponse:
    _require_administrator(request.user)
    kwargs = {"users": active_users(), "teams": all_teams()}
    if request.method == "POST":
        form = WebFormForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                webform = services.webform_create(actor=request.user, data=form.service_data())
            except ValidationFailed as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("Web form “%(name)s” created. Copy its HTML below "
                                            "into your website.") % {"name": webform.name})
                return redirect("sales:webform_edit", pk=webform.pk)
        status = 400
    else:
        form = WebFormForm(**kwargs)
        status = 200
    return render(request, "sales/webform_form.html", {"form": form, "webform": None},
                  status=status)


def _public_url(request: HttpRequest, webform) -> str:
    return request.build_absolute_uri(reverse("webforms:submit", args=[webform.key]))


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def webform_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_administrator(request.user)
    webform = selectors.webform_get(pk=pk)
    kwargs = {"users": active_users(), "teams": all_teams(), "webform": webform}
    if request.method == "POST":
        form = WebFormForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                services.webform_update(actor=request.user, webform=webform,
                                        data=form.service_data())
            except ValidationFailed as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("sales:webform_edit", pk=webform.pk)
        status = 400
        webform.refresh_from_db()
    else:
        form = WebFormForm(**kwargs)
        status = 200
    return render(request, "sales/webform_form.html", {
        "form": form, "webform": webform, "public_url": _public_url(request, webform)},
        status=status)


@login_required
@require_POST
@web_errors
def webform_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    _require_administrator(request.user)
    webform = selectors.webform_get(pk=pk)
    services.webform_rotate_key(actor=request.user, webform=webform)
    messages.success(request, _("New address made. The old one no longer accepts leads: update "
                                "the form on your website."))
    return redirect("sales:webform_edit", pk=webform.pk)
