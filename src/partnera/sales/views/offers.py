"""Offer pages: the list, the offer page (lines with how each price came about, totals, the
discount approval, versions, the client's decision, cross-sell), the editor of a draft (header and
lines), the rejection page and the PDF download.

Thin: parse → selector/service → render. A hidden offer answers 404 like a missing one; a refused
action shows the offer page again with the reason (its 4xx status), nothing changed.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnera.clients.views.common import active_users, clean_query, partial_for
from partnera.core.errors import (
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    VersionConflict,
)
from partnera.core.visibility import can_change, can_delete
from partnera.core.web import add_errors_to_form, download_response, web_errors
from partnera.sales import selectors as deal_selectors
from partnera.sales.models import ApprovalStatus, Deal, Offer, OfferStatus, StageOutcome
from partnera.sales.offer_forms import (
    DecisionForm,
    LineRow,
    OfferForm,
    RejectForm,
    approval_filter_choices,
    line_requests,
    place_line_errors,
    rows_from_lines,
    rows_from_post,
    status_choices,
    with_blank_rows,
)
from partnera.sales.offers import approval, document, flow, services
from partnera.sales.offers import selectors as offer_selectors
from partnera.sales.offers.document import vat_groups
from partnera.sales.offers.panels import may_make_offers

T = TypeVar("T")

PAGE_SIZE = 50
FILTER_KEYS = {"q", "status", "owner", "approval", "deal", "company"}


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


# --- list ----------------------------------------------------------------------------------------

@login_required
@require_GET
@web_errors
def offer_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    status_values = {v for v, _label in status_choices()}
    approval_filter = request.GET.get("approval", "")
    filters = offer_selectors.OfferFilters(
        status=[s for s in request.GET.getlist("status") if s in status_values],
        owner=[n for n in (_int(v) for v in request.GET.getlist("owner")) if n],
        deal=_int(request.GET.get("deal")), company=_int(request.GET.get("company")),
        approval=approval_filter if approval_filter in ("mine", "pending") else "",
        q=" ".join(request.GET.get("q", "").split())[:100].replace("\x00", ""))
    page = offer_selectors.offer_page(user=user, filters=filters, cursor=request.GET.get("cursor"),
                                      size=PAGE_SIZE)
    count, count_more = offer_selectors.offer_count(user=user, filters=filters)
    context = {
        "filters": filters, "page": page, "count": count, "count_more": count_more,
        "statuses": status_choices(), "approvals": approval_filter_choices(),
        "owners": active_users(), "active_filters": filters.active_count(),
        "current_query": clean_query(request.GET.urlencode(), FILTER_KEYS),
        "oob": partial_for(request, "offer-results"),
    }
    if context["oob"]:
        return render(request, "sales/offer_list.html#results", context)
    return render(request, "sales/offer_list.html", context)


# --- the offer page ------------------------------------------------------------------------------

def detail_context(request: HttpRequest, offer: Offer, *, action_error: DomainError | None = None,
                   decision_form: DecisionForm | None = None) -> dict:
    user = request.user
    lines = offer_selectors.offer_lines(offer)
    changeable = may_make_offers(user) and can_change(user, offer)
    draft = offer.status == OfferStatus.DRAFT
    settled = offer.approval_status in (ApprovalStatus.NOT_NEEDED, ApprovalStatus.APPROVED)
    decidable = offer.status == OfferStatus.SENT or (draft and settled)
    pending = draft and offer.approval_status == ApprovalStatus.PENDING
    return {
        "offer": offer,
        "lines": lines,
        "vat_groups": vat_groups(lines),
        "versions": offer_selectors.offer_versions(offer),
        "cross_sell": offer_selectors.cross_sell_lines(user=user, company_id=offer.company_id),
        "can_edit": changeable and draft,
        "can_send": changeable and draft and settled and bool(lines),
        "can_accept": changeable and decidable and bool(lines),
        "can_reject": changeable and decidable,
        "can_new_version": changeable and offer.status in (OfferStatus.SENT, OfferStatus.REJECTED)
        and offer.deal.status == StageOutcome.OPEN,
        "can_delete": draft and can_delete(user, offer),
        "may_approve": pending and approval.may_approve(user, offer),
        "approvers": approval.approvers(offer) if pending else [],
        "decision_form": decision_form or DecisionForm(initial={"version": offer.version}),
        "action_error": action_error,
        "expired": offer.status in (OfferStatus.DRAFT, OfferStatus.SENT)
        and offer.valid_until < timezone.localdate(),
    }


def _detail(request: HttpRequest, pk: int, *, error: DomainError | None = None,
            decision_form: DecisionForm | None = None, status: int = 200) -> HttpResponse:
    offer = offer_selectors.offer_get(user=request.user, pk=pk)
    return render(request, "sales/offer_detail.html",
                  detail_context(request, offer, action_error=error, decision_form=decision_form),
                  status=status)


@login_required
@require_GET
@web_errors
def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


def _refused(request: HttpRequest, pk: int, exc: DomainError) -> HttpResponse:
    """A refused action: the offer page again with the reason and its status. Not found and not
    allowed keep their own answers (404, 403)."""
    if isinstance(exc, NotFound | PermissionDenied):
        raise exc
    return _detail(request, pk, error=exc, status=exc.status)


def _act(request: HttpRequest, pk: int, service: Callable[..., T],
         done: Callable[[Offer, T], HttpResponse]) -> HttpResponse:
    """Run `service(actor=…, offer=…)` on the visible offer and answer with `done(offer, result)`;
    a refusal shows the offer page again (see _refused)."""
    offer = offer_selectors.offer_get(user=request.user, pk=pk)
    try:
        result = service(actor=request.user, offer=offer)
    except DomainError as exc:
        return _refused(request, pk, exc)
    return done(offer, result)


def _done(request: HttpRequest, message: str, to: str = "sales:offer_detail",
          **kwargs) -> HttpResponse:
    messages.success(request, message)
    return redirect(to, **kwargs)


@login_required
@require_POST
@web_errors
def offer_send(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, flow.offer_send, lambda _offer, _result: _done(
        request, _("Marked as sent to the client. The offer is now read-only."), pk=pk))


@login_required
@require_POST
@web_errors
def offer_accept(request: HttpRequest, pk: int) -> HttpResponse:
    def done(_offer: Offer, result: flow.Acceptance) -> HttpResponse:
        messages.success(request, _("The client accepted the offer."))
        if result.deal_move.moved:
            messages.success(request, result.deal_move.message)
        elif result.deal_move.message:
            messages.warning(request, result.deal_move.message)
        return redirect("sales:offer_detail", pk=pk)

    return _act(request, pk, flow.offer_accept, done)


@login_required
@require_POST
@web_errors
def offer_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.offer_new_version, lambda offer, new: _done(
        request, _("Version %(n)d made from version %(m)d, priced as of today. Change it, "
                   "then send it.") % {"n": new.version_number, "m": offer.version_number},
        pk=new.pk))


@login_required
@require_POST
@web_errors
def offer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    def done(offer: Offer, _deleted: Offer) -> HttpResponse:
        message = _("The draft %(offer)s was deleted.") % {"offer": str(offer)}
        if offer.previous_id:
            return _done(request, message, pk=offer.previous_id)
        return _done(request, message, "sales:deal_detail", pk=offer.deal_id)

    return _act(request, pk, services.offer_delete, done)


def _decision_form_again(request: HttpRequest, pk: int) -> DecisionForm:
    """The decision form as posted (the comment kept, its errors shown), on the offer's current
    version: after a refusal the head decides on the lines the page now shows."""
    data = request.POST.copy()
    data["version"] = str(offer_selectors.offer_get(user=request.user, pk=pk).version)
    form = DecisionForm(data)
    form.is_valid()
    return form


def _decide(request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
    offer = offer_selectors.offer_get(user=request.user, pk=pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    if "comment" in form.errors:
        error = ValidationFailed(fields={"comment": [str(m) for m in form.errors["comment"]]})
        return _detail(request, pk, error=error, decision_form=_decision_form_again(request, pk),
                       status=error.status)
    # No (or no valid) version: never the current one, so the service refuses it as out of date
    # (after checking who decides and whether the offer waits for a decision).
    version = form.cleaned_data.get("version") or 0
    service = approval.offer_approve if approve else approval.offer_decline
    try:
        service(actor=request.user, offer=offer, comment=form.cleaned_data.get("comment", ""),
                expected_version=version)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        form = _decision_form_again(request, pk)
        add_errors_to_form(form, exc)
        return _detail(request, pk, error=exc, decision_form=form, status=exc.status)
    messages.success(request, _("Discount approved.") if approve else _("Discount declined."))
    return redirect("sales:offer_detail", pk=pk)


@login_required
@require_POST
@web_errors
def offer_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=True)


@login_required
@require_POST
@web_errors
def offer_decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=False)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def offer_reject(request: HttpRequest, pk: int) -> HttpResponse:
    offer = offer_selectors.offer_get(user=request.user, pk=pk)
    if not (may_make_offers(request.user) and can_change(request.user, offer)):
        raise PermissionDenied()
    reasons = list(offer_selectors.rejection_reasons())
    status = 200
    if request.method == "POST":
        form = RejectForm(request.POST, reasons=reasons)
        if form.is_valid():
            try:
                flow.offer_reject(actor=request.user, offer=offer, reason=form.cleaned_data["reason"],
                                  comment=form.cleaned_data["comment"])
            except ValidationFailed as exc:
                add_errors_to_form(form, exc)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The client's rejection is recorded."))
                return redirect("sales:offer_detail", pk=pk)
        status = 400
    else:
        form = RejectForm(reasons=reasons)
    return render(request, "sales/offer_reject.html", {"offer": offer, "form": form}, status=status)


@login_required
@require_GET
@web_errors
def offer_pdf(request: HttpRequest, pk: int) -> HttpResponseBase:
    offer = offer_selectors.offer_get(user=request.user, pk=pk)
    name, content = document.offer_pdf(actor=request.user, offer=offer)
    response = download_response(io.BytesIO(content), filename=name, content_type="application/pdf")
    response["Cache-Control"] = "no-store, private"
    return response


# --- create and edit -----------------------------------------------------------------------------

def _contacts(company_id: int):
    from partnera.clients.models import Contact

    return list(Contact.objects.filter(company_id=company_id).order_by("last_name", "first_name"))


def _form_page(request: HttpRequest, *, form: OfferForm, rows: list[LineRow], deal: Deal,
               offer: Offer | None, line_errors: list[str], status: int) -> HttpResponse:
    return render(request, "sales/offer_form.html", {
        "form": form, "rows": rows, "deal": deal, "offer": offer, "line_errors": line_errors,
        "template_row": LineRow(index="__i__"),
    }, status=status)


def _more_rows(request: HttpRequest, form: OfferForm, rows: list[LineRow], *, deal: Deal,
               offer: Offer | None) -> HttpResponse:
    """The form again as typed, with blank rows added and no errors shown yet."""
    form.is_valid()
    form.errors.clear()
    return _form_page(request, form=form, rows=with_blank_rows(rows), deal=deal, offer=offer,
                      line_errors=[], status=200)


@dataclass
class Saved:
    result: object = None
    line_errors: list[str] = field(default_factory=list)
    conflict: bool = False


def _save(form: OfferForm, rows: list[LineRow], save) -> Saved:
    """Parse the rows and save through `save(data, requests)`; errors go next to their fields
    and rows (the errors of the lines as a whole are returned)."""
    form_ok = form.is_valid()
    requests, wanted = line_requests(rows)
    if not form_ok or any(r.errors for r in wanted):
        return Saved()
    try:
        return Saved(result=save(form.service_data(), requests))
    except VersionConflict as exc:
        form.add_error(None, exc.message)
        return Saved(conflict=True)
    except ValidationFailed as exc:
        rest = place_line_errors(exc, wanted)
        header = {k: v for k, v in exc.fields.items() if not k.startswith("lines")}
        if header:
            add_errors_to_form(form, ValidationFailed(exc.message, fields=header))
        elif not rest and not any(r.errors for r in wanted):
            form.add_error(None, exc.message)
        return Saved(line_errors=rest)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def offer_create(request: HttpRequest, deal_pk: int) -> HttpResponse:
    user = request.user
    deal = deal_selectors.deal_get(user=user, pk=deal_pk)
    if not (may_make_offers(user) and can_change(user, deal)):
        raise PermissionDenied()
    if deal.status != StageOutcome.OPEN:
        messages.info(request, _("This deal is closed; offers are made for open deals."))
        return redirect("sales:deal_detail", pk=deal.pk)
    contacts = _contacts(deal.company_id)
    if request.method == "POST":
        form = OfferForm(request.POST, contacts=contacts)
        rows = rows_from_post(request.POST)
        if "more_rows" in request.POST:
            return _more_rows(request, form, rows, deal=deal, offer=None)

        def save(data, requests):
            return services.offer_create(actor=user, deal=deal, data=data, lines=requests)

        saved = _save(form, rows, save)
        if isinstance(saved.result, Offer):
            messages.success(request, _("Offer %(offer)s made.") % {"offer": str(saved.result)})
            return redirect("sales:offer_detail", pk=saved.result.pk)
        return _form_page(request, form=form, rows=rows or with_blank_rows([]), deal=deal, offer=None,
                          line_errors=saved.line_errors, status=400)
    initial = services.offer_defaults(deal)
    initial["contact"] = str(initial["contact"].pk) if initial["contact"] else ""
    form = OfferForm(initial=initial, contacts=contacts)
    return _form_page(request, form=form, rows=with_blank_rows([]), deal=deal, offer=None,
                      line_errors=[], status=200)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def offer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    offer = offer_selectors.offer_get(user=user, pk=pk)
    if not (may_make_offers(user) and can_change(user, offer)):
        raise PermissionDenied()
    if offer.status != OfferStatus.DRAFT:
        messages.info(request, _("This version was sent and is read-only; make a new version to "
                                 "change it."))
        return redirect("sales:offer_detail", pk=pk)
    contacts = _contacts(offer.company_id)
    if request.method == "POST":
        form = OfferForm(request.POST, contacts=contacts)
        rows = rows_from_post(request.POST)
        if "more_rows" in request.POST:
            return _more_rows(request, form, rows, deal=offer.deal, offer=offer)

        def save(data, requests):
            # Header and lines together: a refused line leaves the header unchanged too.
            version = form.cleaned_data.get("version")
            with transaction.atomic():
                changed = services.offer_update(actor=user, offer=offer, data=data,
                                                expected_version=version)
                return services.offer_set_lines(actor=user, offer=changed, lines=requests)

        saved = _save(form, rows, save)
        if isinstance(saved.result, Offer):
            messages.success(request, _("Changes saved; the lines are priced as of today."))
            return redirect("sales:offer_detail", pk=pk)
        offer = offer_selectors.offer_get(user=user, pk=pk)
        return _form_page(request, form=form, rows=rows or with_blank_rows([]), deal=offer.deal,
                          offer=offer, line_errors=saved.line_errors,
                          status=409 if saved.conflict else 400)
    form = OfferForm(contacts=contacts, initial={
        "title": offer.title, "contact": str(offer.contact_id or ""), "language": offer.language,
        "currency": offer.currency, "valid_until": offer.valid_until, "introduction": offer.introduction,
        "terms": offer.terms, "version": offer.version})
    rows = with_blank_rows(rows_from_lines(offer_selectors.offer_lines(offer)), 1)
    return _form_page(request, form=form, rows=rows, deal=offer.deal, offer=offer, line_errors=[],
                      status=200)

