"""Settings → Our company: the administrator keeps the details and the logo that offers and
contracts print (core.organisation)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from partnera.core.errors import PermissionDenied, ValidationFailed
from partnera.core.organisation import (
    MAX_LOGO_BYTES,
    TEXT_FIELDS,
    logo_data_url,
    organisation_get,
    organisation_update,
)
from partnera.core.visibility import is_administrator
from partnera.core.web import add_errors_to_form, web_errors


class OrganisationForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Trading name"), max_length=200, required=False)
    legal_name = forms.CharField(label=gettext_lazy("Legal name"), max_length=255, required=False)
    legal_name_en = forms.CharField(label=gettext_lazy("Legal name in English"), max_length=255,
                                    required=False)
    eik = forms.CharField(label=gettext_lazy("EIK/BULSTAT"), max_length=20, required=False)
    vat_number = forms.CharField(label=gettext_lazy("VAT number"), max_length=20, required=False)
    address = forms.CharField(label=gettext_lazy("Registered address"), max_length=500, required=False)
    address_en = forms.CharField(label=gettext_lazy("Address in English"), max_length=500,
                                 required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254, required=False)
    website = forms.CharField(label=gettext_lazy("Website"), max_length=200, required=False)
    bank = forms.CharField(label=gettext_lazy("Bank"), max_length=200, required=False)
    iban = forms.CharField(label=gettext_lazy("IBAN"), max_length=40, required=False)
    representative = forms.CharField(label=gettext_lazy("Represented by"), max_length=200,
                                     required=False)
    logo = forms.FileField(label=gettext_lazy("Logo"), required=False,
                           help_text=gettext_lazy("PNG or JPEG, at most 512 KB."),
                           widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}))
    remove_logo = forms.BooleanField(label=gettext_lazy("Remove the logo"), required=False)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def organisation(request: HttpRequest) -> HttpResponse:
    if not is_administrator(request.user):
        raise PermissionDenied(_("Our company's details are kept by administrators."))
    profile = organisation_get()
    if request.method == "POST":
        form = OrganisationForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data.get("logo")
            # At most one byte more than allowed is read: the service refuses the rest unread.
            logo = upload.read(MAX_LOGO_BYTES + 1) if upload else None
            data = {name: form.cleaned_data[name] for name in TEXT_FIELDS}
            try:
                organisation_update(actor=request.user, data=data, logo=logo,
                                    remove_logo=form.cleaned_data["remove_logo"])
            except ValidationFailed as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("Our company's details saved."))
                return redirect("core:organisation")
        status = 400
    else:
        form = OrganisationForm(initial={name: getattr(profile, name) for name in TEXT_FIELDS})
        status = 200
    return render(request, "core/organisation.html",
                  {"form": form, "profile": profile, "logo": logo_data_url(profile)}, status=status)
