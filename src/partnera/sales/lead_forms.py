"""Forms of the lead pages. They parse what the browser sent; the services (sales.leads) validate.

As in the client base, fields are lax (text and choices) and the services hold every rule; their
errors are placed next to the fields by `core.web.add_errors_to_form`.
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from partnera.clients.forms import CompanyPicker
from partnera.core.formatting import format_phone
from partnera.core.money import Currency
from partnera.core.visibility import can_assign
from partnera.sales.lead_selectors import LeadFilters
from partnera.sales.models import LeadSource, LeadStatus

BLANK = [("", "—")]
OPEN_STATUS_CHOICES = [(LeadStatus.NEW.value, LeadStatus.NEW.label),
                       (LeadStatus.WORKING.value, LeadStatus.WORKING.label)]


class ContactPicker(CompanyPicker):
    """A hidden contact id with a search box beside it (visible contacts only)."""

    template_name = "sales/lead_contact_picker.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["search_url"] = reverse("sales:lead_contact_autocomplete")
        return context


class LeadForm(forms.Form):
    company_name = forms.CharField(label=_("Company"), max_length=255, required=False)
    eik = forms.CharField(label=_("EIK/BULSTAT"), max_length=30, required=False,
                          help_text=_("9 or 13 digits, if known."))
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    position = forms.CharField(label=_("Position"), max_length=150, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False,
                            widget=forms.EmailInput)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False,
                            help_text=_("e.g. 0888 123 456 or +359 2 981 1234."))
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    message = forms.CharField(label=_("Request"), max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("What they asked for, in their words."))
    source = forms.ChoiceField(label=_("Source"), choices=[*BLANK, *LeadSource.choices])
    source_detail = forms.CharField(
        label=_("Which one"), max_length=200, required=False,
        help_text=_("Which fair, campaign, presentation or partner."))
    referred_by_company = forms.CharField(label=_("Referred by (client)"), required=False,
                                          widget=CompanyPicker())
    referred_by_contact = forms.CharField(label=_("Referred by (contact)"), required=False,
                                          widget=ContactPicker())
    status = forms.ChoiceField(label=_("Status"), choices=OPEN_STATUS_CHOICES, required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    team = forms.ChoiceField(label=_("Team"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)  # required when editing: see __init__

    SECTIONS = {
        "who": ("company_name", "eik", "first_name", "last_name", "position", "city"),
        "reach": ("email", "phone"),
        "request": ("message", "source", "source_detail", "referred_by_company",
                    "referred_by_contact"),
        "work": ("status", "owner", "team"),
    }
    WIDE = ("message",)

    def __init__(self, *args, user, lead=None, users=(), teams=(), **kwargs):
        self.user = user
        self.lead = lead
        if lead is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(lead)
        super().__init__(*args, **kwargs)
        if lead is None:
            del self.fields["version"]
            del self.fields["status"]
        if can_assign(user):
            owners = list(users)
            if lead is not None and lead.owner is not None and lead.owner not in owners:
                owners.append(lead.owner)
            self.fields["owner"].choices = BLANK + [(str(u.pk), str(u)) for u in owners]
            self.fields["team"].choices = BLANK + [(str(t.pk), str(t)) for t in teams]
        else:
            del self.fields["owner"]
            del self.fields["team"]
        labels = {
            "referred_by_company": lead.referred_by_company.legal_name
            if lead is not None and lead.referred_by_company_id else "",
            "referred_by_contact": str(lead.referred_by_contact)
            if lead is not None and lead.referred_by_contact_id else "",
        }
        for name in ("referred_by_company", "referred_by_contact"):
            if self.is_bound:
                labels[name] = self.data.get(f"{name}_label", "")
            self.fields[name].widget.attrs["data-label"] = labels[name]
        self.fields["company_name"].widget.attrs["autofocus"] = True

    @staticmethod
    def initial_from(lead) -> dict:
        return {
            **{name: getattr(lead, name) for name in (
                "company_name", "eik", "first_name", "last_name", "position", "email", "city",
                "message", "source", "source_detail", "status")},
            "phone": format_phone(lead.phone) if lead.phone else "",
            "referred_by_company": str(lead.referred_by_company_id or ""),
            "referred_by_contact": str(lead.referred_by_contact_id or ""),
            "owner": str(lead.owner_id or ""),
            "team": str(lead.team_id or ""),
            "version": lead.version,
        }

    def sections(self):
        titles = {"who": _("Who"), "reach": _("How to reach them"),
                  "request": _("Request and source"), "work": _("Who works it")}
        for key, names in self.SECTIONS.items():
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                yield titles[key], fields

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class LeadFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    status = forms.MultipleChoiceField(required=False, choices=LeadStatus.choices)
    source = forms.MultipleChoiceField(required=False, choices=LeadSource.choices)
    owner = forms.MultipleChoiceField(required=False)
    team = forms.MultipleChoiceField(required=False)

    def __init__(self, *args, users=(), teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.owner_ids = {str(u.pk) for u in users}
        self.team_ids = {str(t.pk) for t in teams}
        self.fields["owner"].choices = [(str(u.pk), str(u)) for u in users]
        self.fields["team"].choices = [(str(t.pk), str(t)) for t in teams]

    def filters(self) -> LeadFilters:
        """The filters the query string asks for; an unknown value is left out, not an error."""
        data = cast(QueryDict, self.data)
        status = [v for v in data.getlist("status") if v in LeadStatus.values]
        source = [v for v in data.getlist("source") if v in LeadSource.values]
        return LeadFilters(
            q=(data.get("q") or "").replace("\x00", "")[:200],
            status=status, source=source,
            owner=[int(v) for v in data.getlist("owner") if v in self.owner_ids],
            team=[int(v) for v in data.getlist("team") if v in self.team_ids])


class DisqualifyForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), required=False)
    comment = forms.CharField(label=_("Comment"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, reasons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = BLANK + [(str(r.pk), r.name) for r in reasons]


class QualifyForm(forms.Form):
    """Which company and contact the lead becomes (existing or new), and the deal to open."""

    company_choice = forms.ChoiceField(label=_("Company"), widget=forms.RadioSelect)
    company = forms.CharField(label=_("Find it by name or EIK"), required=False,
                              widget=CompanyPicker())
    company_legal_name = forms.CharField(label=_("Legal name"), max_length=255, required=False)
    company_eik = forms.CharField(label=_("EIK/BULSTAT"), max_length=30, required=False)
    company_vat_number = forms.CharField(label=_("VAT number"), max_length=30, required=False)
    company_city = forms.CharField(label=_("City"), max_length=100, required=False)
    contact_choice = forms.ChoiceField(label=_("Contact"), widget=forms.RadioSelect)
    contact_first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    contact_last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    contact_position = forms.CharField(label=_("Position"), max_length=150, required=False)
    contact_emails = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    contact_phones = forms.CharField(label=_("Phone"), max_length=40, required=False)
    deal_title = forms.CharField(label=_("Deal title"), max_length=200, required=False)
    deal_pipeline = forms.ChoiceField(label=_("Pipeline"), required=False)
    deal_amount = forms.CharField(label=_("Expected amount"), max_length=30, required=False,
                                  widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    deal_currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices,
                                      required=False)
    deal_expected_close_date = forms.CharField(
        label=_("Expected close date"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    COMPANY_FIELDS = ("company_legal_name", "company_eik", "company_vat_number", "company_city")
    CONTACT_FIELDS = ("contact_first_name", "contact_last_name", "contact_position",
                      "contact_emails", "contact_phones")
    DEAL_FIELDS = ("deal_title", "deal_pipeline", "deal_amount", "deal_currency",
                   "deal_expected_close_date")

    def __init__(self, *args, company_matches=(), contact_matches=(), pipelines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.company_matches = list(company_matches)
        self.contact_matches = list(contact_matches)
        self.fields["company_choice"].choices = [
            *[(str(m.company_id), m.legal_name) for m in self.company_matches],
            ("pick", _("Another company you can see")), ("new", _("A new company"))]
        self.fields["contact_choice"].choices = [
            *[(str(m.contact_id), m.name) for m in self.contact_matches],
            ("new", _("A new contact")), ("none", _("No contact for now"))]
        self.fields["deal_pipeline"].choices = [(str(p.pk), p.name) for p in pipelines]
        label = self.data.get("company_label", "") if self.is_bound else ""
        self.fields["company"].widget.attrs["data-label"] = label

    def parts(self) -> dict:
        """What the qualify service takes, from the cleaned form."""
        data = self.cleaned_data
        company_choice = data["company_choice"]
        company = data.get("company") if company_choice == "pick" else (
            None if company_choice == "new" else company_choice)
        company_data = None
        if company_choice == "new":
            company_data = {name.removeprefix("company_"): data.get(name, "")
                            for name in self.COMPANY_FIELDS}
        contact_choice = data["contact_choice"]
        contact = contact_choice if contact_choice not in ("new", "none") else None
        contact_data = None
        if contact_choice == "new":
            contact_data = {name.removeprefix("contact_"): data.get(name, "")
                            for name in self.CONTACT_FIELDS}
        deal_data = {name.removeprefix("deal_"): data.get(name, "") for name in self.DEAL_FIELDS}
        deal_data = {k: v for k, v in deal_data.items() if v not in (None, "")}
        return {"company": company or None, "company_data": company_data,
                "contact": contact, "contact_data": contact_data, "deal_data": deal_data}


class WebFormForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120,
                           help_text=_("For you: which website or page the form is on."))
    owner = forms.ChoiceField(label=_("Leads go to"), required=False)
    team = forms.ChoiceField(label=_("Team"), required=False)
    source_detail = forms.CharField(
        label=_("Which one"), max_length=200, required=False,
        help_text=_("Shown as the source of each lead, e.g. the campaign or page name."))
    redirect_url = forms.CharField(
        label=_("Thank-you page"), max_length=500, required=False,
        widget=forms.URLInput,
        help_text=_("Where visitors go after sending (https://…). Empty: a simple thank-you page."))
    active = forms.BooleanField(label=_("Active (accepts leads)"), required=False, initial=True)

    def __init__(self, *args, users=(), teams=(), webform=None, **kwargs):
        if webform is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": webform.name, "owner": str(webform.owner_id or ""),
                "team": str(webform.team_id or ""), "source_detail": webform.source_detail,
                "redirect_url": webform.redirect_url, "active": webform.active}
        super().__init__(*args, **kwargs)
        owners = list(users)
        if webform is not None and webform.owner is not None and webform.owner not in owners:
            owners.append(webform.owner)
        self.fields["owner"].choices = BLANK + [(str(u.pk), str(u)) for u in owners]
        self.fields["team"].choices = BLANK + [(str(t.pk), str(t)) for t in teams]

    def service_data(self) -> dict:
        return dict(self.cleaned_data)
