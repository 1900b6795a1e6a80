"""Duplicates pages: the finder (likely pairs), "not duplicates", and merging two companies."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnera.clients import duplicates, merge, selectors
from partnera.clients.forms import CompanyPicker
from partnera.clients.models import Company
from partnera.clients.views.common import PAGE_SIZE
from partnera.core.errors import Conflict, PermissionDenied, ValidationFailed, VersionConflict
from partnera.core.visibility import can_change, can_delete
from partnera.core.web import web_errors


class MergePickForm(forms.Form):
    other = forms.CharField(label=gettext_lazy("Merge with"), required=False,
                            widget=CompanyPicker())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other"].widget.attrs["data-label"] = (self.data.get("other_label", "")
                                                           if self.is_bound else "")


@login_required
@require_GET
@web_errors
def duplicate_list(request: HttpRequest) -> HttpResponse:
    """Likely duplicate pairs among the companies the user may see, best first."""
    page, rows = duplicates.duplicate_pair_page(user=request.user, cursor=request.GET.get("cursor"),
                                                size=PAGE_SIZE)
    return render(request, "clients/duplicate_list.html", {"page": page, "rows": rows})


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


@login_required
@require_POST
@web_errors
def duplicate_dismiss(request: HttpRequest) -> HttpResponse:
    """"Not duplicates": the pair is no longer suggested."""
    company = selectors.company_get(user=request.user, pk=request.POST.get("company"))
    other = selectors.company_get(user=request.user, pk=request.POST.get("other"))
    try:
        merge.duplicate_dismiss(actor=request.user, company=company, other=other)
    except ValidationFailed as exc:
        messages.error(request, " ".join(m for ms in exc.fields.values() for m in ms) or exc.message)
    else:
        messages.success(request, _("“%(a)s” and “%(b)s” will not be suggested as duplicates again.")
                         % {"a": company.legal_name, "b": other.legal_name})
    return redirect(_back(request, reverse("clients:duplicate_list")))


def _may_merge(user, survivor: Company, other: Company) -> bool:
    return can_change(user, survivor) and can_change(user, other) and can_delete(user, other)


def _version(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0  # no version read: treated as stale


def _moving(user, other: Company) -> dict[str, int]:
    """What the merge will move, as the user sees it (counts of visible records)."""
    return {
        "contacts": selectors.contact_visible(user=user).filter(company=other).count(),
        "notes": selectors.note_visible(user=user).filter(company=other).count(),
        "files": selectors.attachment_visible(user=user).filter(company=other).count(),
        "subsidiaries": selectors.company_visible(user=user).filter(parent=other).count(),
    }


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def company_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge another company into this one: pick it (company autocomplete), compare the two side
    by side, choose the surviving value of each differing field, merge."""
    user = request.user
    survivor = selectors.company_get(user=user, pk=pk)
    source = request.POST if request.method == "POST" else request.GET
    other_id = source.get("other", "").strip()
    if not other_id:
        if not can_change(user, survivor):
            raise PermissionDenied()
        return render(request, "clients/company_merge.html",
                      {"survivor": survivor, "other": None, "pick_form": MergePickForm()})
    other = duplicates.company_get_any(user=user, pk=other_id)
    if other.pk == survivor.pk:
        form = MergePickForm(source)
        form.add_error("other", _("Choose another company: a company cannot be merged with itself."))
        return render(request, "clients/company_merge.html",
                      {"survivor": survivor, "other": None, "pick_form": form}, status=400)
    if other.deleted_at is not None:
        raise Conflict(_("“%(name)s” was already merged into another company or deleted.")
                       % {"name": other.legal_name} if other.merged_into_id else
                       _("“%(name)s” is in the trash. Restore it first.") % {"name": other.legal_name})
    if not _may_merge(user, survivor, other):
        raise PermissionDenied(_("Merging needs the right to change both companies and to delete "
                                 "the one merged away."))
    error, status = "", 200
    if request.method == "POST":
        plan = merge.merge_plan(actor=user, survivor=survivor, other=other)
        choices = {f.name: request.POST[f"choice_{f.name}"] for f in plan
                   if request.POST.get(f"choice_{f.name}")}
        try:
            merge.company_merge(actor=user, survivor=survivor, other=other,
                                survivor_version=_version(request.POST.get("survivor_version")),
                                other_version=_version(request.POST.get("other_version")),
                                choices=choices)
        except VersionConflict as exc:
            error, status = exc.message, 409
            survivor = selectors.company_get(user=user, pk=pk)
            other = duplicates.company_get_any(user=user, pk=other.pk)
        except ValidationFailed as exc:
            problems = [m for ms in exc.fields.values() for m in ms]
            error, status = " ".join(problems) or exc.message, 400
        else:
            messages.success(request, _("“%(other)s” was merged into this company.")
                             % {"other": other.legal_name})
            return redirect("clients:company_detail", pk=survivor.pk)
    plan = merge.merge_plan(actor=user, survivor=survivor, other=other)
    pair = duplicates.duplicate_pair_get(user=user, a=survivor.pk, b=other.pk)
    reasons = [duplicates.Reason(r["code"], r["value"], r["points"]) for r in pair.reasons] if pair else []
    return render(request, "clients/company_merge.html", {
        "survivor": survivor, "other": other, "plan": plan, "error": error,
        "conflict": status == 409,
        "pair": pair, "reasons": reasons, "moving": _moving(user, other),
        "swap": can_change(user, other) and can_delete(user, survivor),
    }, status=status)
