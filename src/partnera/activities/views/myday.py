""""My day" pages beside the home page: one panel in full ("see all"), and the contact cadences
a head of sales sets per client tier."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from partnera.activities import myday
from partnera.clients.models import Tier
from partnera.core.errors import PermissionDenied, ValidationFailed
from partnera.core.home import home_panel, home_view, panel_context, see_all_view
from partnera.core.web import AuthenticatedHttpRequest, add_errors_to_form, web_errors


@login_required
@require_GET
def panel_page(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    """Every item of one "My day" panel (up to the page's limit), for the user or their team."""
    user = request.user
    panel = home_panel(name)
    if panel is None or not panel.team_view or (panel.show_for and not panel.show_for(user)):
        raise Http404()
    view = see_all_view(home_view(user=user, team=request.GET.get("view") == "team"))
    return render(request, "activities/myday/see_all.html", {
        "panel": panel, "panel_context": {**panel_context(panel, view), "full": True},
        "view": view,
    })


class CadenceForm(forms.Form):
    """One number of days per client tier; empty means no reminder for the tier. The service
    validates (1–365); the form only carries the input back to the page."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for tier in myday.TIER_RANK:  # key accounts first
            self.fields[tier] = forms.CharField(
                label=Tier(tier).label, required=False, max_length=10,
                widget=forms.NumberInput(attrs={"min": myday.CADENCE_MIN_DAYS,
                                                "max": myday.CADENCE_MAX_DAYS, "step": 1,
                                                "inputmode": "numeric"}),
                help_text=gettext_lazy("Days without contact before “My day” raises the client. "
                                       "Empty: no reminder."))


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def cadence_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not myday.can_set_cadence(user):
        raise PermissionDenied(_("Only a head of sales or an administrator sets contact cadences."))
    status = 200
    if request.method == "POST":
        form = CadenceForm(request.POST)
        form.is_valid()  # only carries the input: the service validates
        try:
            myday.cadence_update(actor=user, data={tier: request.POST.get(tier, "")
                                                   for tier in Tier.values})
        except ValidationFailed as exc:
            add_errors_to_form(form, exc)
            status = 400
        else:
            messages.success(request, _("Contact cadences saved."))
            return redirect("activities:cadence")
    else:
        form = CadenceForm(initial={row["tier"]: row["days"] or "" for row in myday.cadence_rows()})
    return render(request, "activities/cadence.html", {"form": form}, status=status)
