"""Forms of the client base UI. They parse what the browser sent; the services validate it.

Fields are deliberately lax (text and choices): the services hold every business rule, and
their errors are placed next to the fields by `core.web.add_errors_to_form`.
"""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from partnera.clients.models import Channel, CompanySize, LegalForm, Source, Stage, Tier
from partnera.clients.selectors import COMPANY_SORTS, CONTACT_SORTS, CompanyFilters, ContactFilters
from partnera.core.formatting import format_phone
from partnera.core.visibility import can_assign, can_see_confidential

BLANK = [("", "—")]


may_assign = can_assign  # the form shows owner and team to those the rule lets choose them


def _lines(values) -> str:
    return "\n".join(values or [])


def _phone_lines(values) -> str:
    return "\n".join(format_phone(v) for v in values or [])


class CompanyPicker(forms.HiddenInput):
    """A hidden company id with a search box beside it (see clients/partials/picker.html)."""

    template_name = "clients/widgets/company_picker.html"

    def __init__(self, attrs=None, label_field: str = ""):
        super().__init__(attrs)
        self.label_field = label_field

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["label_name"] = f"{name}_label"
        context["widget"]["label_value"] = self.attrs.get("data-label", "")
        context["widget"]["search_url"] = reverse("clients:company_autocomplete")
        return context


class CompanyForm(forms.Form):
    legal_name = forms.CharField(label=_("Legal name"), max_length=255)
    legal_form = forms.ChoiceField(label=_("Legal form"), choices=[*BLANK, *LegalForm.choices],
                                   required=False)
    eik = forms.CharField(label=_("EIK/BULSTAT"), max_length=30, required=False,
                          help_text=_("9 or 13 digits; checked as you leave the field."))
    vat_number = forms.CharField(label=_("VAT number"), max_length=30, required=False)
    industry = forms.CharField(label=_("Industry"), max_length=120, required=False)
    size = forms.ChoiceField(label=_("Size"), choices=[*BLANK, *CompanySize.choices], required=False)
    country = forms.CharField(label=_("Country (ISO code)"), max_length=2, required=False,
                              initial="BG")
    region = forms.CharField(label=_("Region"), max_length=100, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    registered_address = forms.CharField(label=_("Registered address"), max_length=500,
                                         required=False)
    postal_address = forms.CharField(label=_("Postal address"), max_length=500, required=False)
    website = forms.CharField(label=_("Website"), max_length=300, required=False)
    phones = forms.CharField(label=_("Phones"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("One per line, e.g. 02 981 1234 or +359 888 123 456."))
    emails = forms.CharField(label=_("E-mails"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("One per line."))
    stage = forms.ChoiceField(label=_("Relationship stage"), choices=Stage.choices,
                              initial=Stage.PROSPECT)
    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices, initial=Tier.STANDARD)
    source = forms.ChoiceField(label=_("Source"), choices=[*BLANK, *Source.choices], required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    team = forms.ChoiceField(label=_("Team"), required=False)
    referred_by = forms.CharField(label=_("Referred by"), required=False, widget=CompanyPicker())
    parent = forms.CharField(label=_("Parent company"), required=False, widget=CompanyPicker())
    tags = forms.CharField(label=_("Tags"), max_length=2000, required=False,
                           help_text=_("Separated by commas."))
    credit_limit = forms.CharField(label=_("Credit limit (EUR)"), max_length=30, required=False,
                                   widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    payment_terms_days = forms.CharField(label=_("Payment terms (days)"), max_length=10,
                                         required=False,
                                         widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    credit_terms = forms.CharField(label=_("Credit terms"), max_length=2000, required=False,
                                   widget=forms.Textarea(attrs={"rows": 3}))
    financial_notes = forms.CharField(label=_("Financial notes"), max_length=5000, required=False,
                                      widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput)  # required when editing: see __init__
    # Shown with the likely duplicates when a new company looks like one already there.
    allow_duplicate = forms.BooleanField(
        label=_("This is a new company, not one of those above: save it anyway"), required=False)

    CONFIDENTIAL = ("credit_limit", "payment_terms_days", "credit_terms", "financial_notes")
    SECTIONS = {
        "identity": ("legal_name", "legal_form", "eik", "vat_number", "industry", "size"),
        "address": ("country", "region", "city", "registered_address", "postal_address", "website"),
        "contact": ("phones", "emails"),
        "relationship": ("stage", "tier", "source", "owner", "team", "referred_by", "parent", "tags"),
        "confidential": CONFIDENTIAL,
    }
    WIDE = ("registered_address", "postal_address", "tags", "credit_terms", "financial_notes")
    DUPLICATE_CHECK = ("legal_name", "eik", "vat_number", "city", "phones", "emails")

    def __init__(self, *args, user, company=None, users=(), teams=(), labels=None, **kwargs):
        self.user = user
        self.company = company
        if company is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(company)
        super().__init__(*args, **kwargs)
        if company is None:
            del self.fields["version"]
        if may_assign(user):
            owners = list(users)
            if company is not None and company.owner is not None and company.owner not in owners:
                owners.append(company.owner)  # an inactive owner stays until someone is chosen
            self.fields["owner"].choices = BLANK + [(str(u.pk), str(u)) for u in owners]
            self.fields["team"].choices = BLANK + [(str(t.pk), str(t)) for t in teams]
        else:
            del self.fields["owner"]
            del self.fields["team"]
        if not can_see_confidential(user):
            for name in self.CONFIDENTIAL:
                del self.fields[name]
        # The picker shows the chosen company's name next to its hidden id.
        labels = dict(labels or {})
        for name in ("referred_by", "parent"):
            if self.is_bound:
                labels[name] = self.data.get(f"{name}_label", "")
            self.fields[name].widget.attrs["data-label"] = labels.get(name, "")
        check_url = reverse("clients:company_check")
        if company is not None:
            check_url += f"?pk={company.pk}"
        for name in ("eik", "vat_number", "phones", "emails"):
            self.fields[name].widget.attrs.update({
                "hx-get": check_url, "hx-trigger": "change", "hx-target": f"#field-{name}",
                "hx-swap": "outerHTML", "hx-sync": "closest form:abort",
            })
        # Leaving any field that identifies a company also looks for likely duplicates
        # (clients.duplicates): the check sends these fields, and answers a hint above the form.
        for name in self.DUPLICATE_CHECK:
            self.fields[name].widget.attrs.update({
                "data-duplicate-check": "", "hx-include": "[data-duplicate-check]"})
        for name in ("legal_name", "city"):
            self.fields[name].widget.attrs.update({
                "hx-get": check_url, "hx-trigger": "change", "hx-target": "#duplicate-hint",
                "hx-swap": "outerHTML", "hx-sync": "closest form:abort",
            })
        self.fields["legal_name"].widget.attrs["autofocus"] = True

    @staticmethod
    def initial_from(company) -> dict:
        return {
            **{name: getattr(company, name) for name in (
                "legal_name", "legal_form", "eik", "vat_number", "industry", "size", "country",
                "region", "city", "registered_address", "postal_address", "website", "stage",
                "tier", "source", "credit_terms", "financial_notes")},
            "phones": _phone_lines(company.phones),
            "emails": _lines(company.emails),
            "owner": str(company.owner_id or ""),
            "team": str(company.team_id or ""),
            "referred_by": str(company.referred_by_id or ""),
            "parent": str(company.parent_id or ""),
            "tags": ", ".join(t.name for t in company.tags.all()),
            "credit_limit": "" if company.credit_limit is None else str(company.credit_limit),
            "payment_terms_days": "" if company.payment_terms_days is None
            else str(company.payment_terms_days),
            "version": company.version,
        }

    def clean_website(self) -> str:
        value = self.cleaned_data["website"].strip()
        if value and "://" not in value:
            value = "https://" + value
        return value

    def sections(self):
        """(title, [bound fields]) for the template, skipping fields the user may not set."""
        titles = {
            "identity": _("Company"), "address": _("Address"), "contact": _("Phones and e-mails"),
            "relationship": _("Relationship"), "confidential": _("Credit and finance (confidential)"),
        }
        for key, names in self.SECTIONS.items():
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                yield titles[key], fields

    def service_data(self) -> dict:
        """What the services receive: every field the user may set (version aside)."""
        return {k: v for k, v in self.cleaned_data.items()
                if k not in ("version", "allow_duplicate")}


class ContactForm(forms.Form):
    company = forms.CharField(label=_("Company"), widget=CompanyPicker())
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    position = forms.CharField(label=_("Position"), max_length=150, required=False)
    department = forms.CharField(label=_("Department"), max_length=150, required=False)
    emails = forms.CharField(label=_("E-mails"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("One per line."))
    phones = forms.CharField(label=_("Phones"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("One per line, e.g. 0888 123 456."))
    preferred_channel = forms.ChoiceField(label=_("Preferred channel"), required=False,
                                          choices=[*BLANK, *Channel.choices])
    marketing_consent = forms.BooleanField(label=_("Agrees to receive marketing"), required=False)
    consent_date = forms.CharField(label=_("Consent date"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    consent_source = forms.CharField(label=_("Consent source"), max_length=200, required=False,
                                     help_text=_("Where the consent was given (form, meeting …)."))
    version = forms.IntegerField(widget=forms.HiddenInput)  # required when editing: see __init__
    allow_duplicate = forms.BooleanField(
        label=_("This is a different person: save anyway"), required=False)

    def __init__(self, *args, contact=None, company=None, **kwargs):
        initial = kwargs.pop("initial", None) or {}
        label = ""
        if contact is not None:
            initial = {
                **{n: getattr(contact, n) for n in ("first_name", "last_name", "position",
                                                    "department", "preferred_channel",
                                                    "marketing_consent", "consent_source")},
                "company": str(contact.company_id),
                "emails": _lines(contact.emails), "phones": _phone_lines(contact.phones),
                "consent_date": contact.consent_date.isoformat() if contact.consent_date else "",
                "version": contact.version,
            }
            label = contact.company.legal_name
        elif company is not None:
            initial["company"] = str(company.pk)
            label = company.legal_name
        super().__init__(*args, initial=initial, **kwargs)
        if contact is None:
            del self.fields["version"]
        if self.is_bound:
            label = self.data.get("company_label", "")
        self.fields["company"].widget.attrs["data-label"] = label
        self.fields["first_name"].widget.attrs["autofocus"] = True

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items()
                if k not in ("version", "allow_duplicate")}


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Write a note…")}))
    contact = forms.ChoiceField(label=_("About"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)  # required when editing: see __init__

    def __init__(self, *args, contacts=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if contacts:
            self.fields["contact"].choices = [("", _("the company"))] + [
                (str(c.pk), str(c)) for c in contacts]
        else:
            del self.fields["contact"]
        if not editing:
            del self.fields["version"]


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"), allow_empty_file=True, max_length=1000)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)


class ShareForm(forms.Form):
    user = forms.ChoiceField(label=_("Share with"))

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = BLANK + [(str(u.pk), str(u)) for u in users]


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name of this view"), max_length=200, required=False)
    query = forms.CharField(required=False, max_length=5000, widget=forms.HiddenInput)


def _ints(values) -> list[int]:
    out = []
    for v in values:
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            continue
    return out


class CompanyFilterForm(forms.Form):
    """The companies list's filters, parsed from the query string. Unknown values are ignored."""

    q = forms.CharField(required=False, max_length=100)
    stage = forms.MultipleChoiceField(required=False, choices=Stage.choices,
                                  widget=forms.CheckboxSelectMultiple)
    tier = forms.MultipleChoiceField(required=False, choices=Tier.choices,
                                  widget=forms.CheckboxSelectMultiple)
    owner = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    team = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    tag = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    region = forms.CharField(required=False, max_length=100)
    industry = forms.CharField(required=False, max_length=120)
    sort = forms.ChoiceField(required=False, choices=[(k, k) for k in COMPANY_SORTS])

    def __init__(self, *args, users=(), teams=(), tags=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [(str(u.pk), str(u)) for u in users]
        self.fields["team"].choices = [(str(t.pk), str(t)) for t in teams]
        self.fields["tag"].choices = [(str(t.pk), str(t)) for t in tags]

    def _value(self, name, default):
        self.is_valid()
        return self.cleaned_data.get(name) or default

    def filters(self) -> CompanyFilters:
        return CompanyFilters(
            q=self._value("q", "").strip(), stage=self._value("stage", []),
            tier=self._value("tier", []), owner=_ints(self._value("owner", [])),
            team=_ints(self._value("team", [])), tag=_ints(self._value("tag", [])),
            region=self._value("region", "").strip(), industry=self._value("industry", "").strip(),
        )

    def sort_key(self) -> str:
        return self._value("sort", "name")

    def active_count(self) -> int:
        f = self.filters()
        return sum(bool(v) for v in (f.stage, f.tier, f.owner, f.team, f.tag, f.region, f.industry))


class ContactFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    consent = forms.ChoiceField(required=False, choices=[("", ""), ("yes", "yes"), ("no", "no")])
    channel = forms.ChoiceField(required=False, choices=[*BLANK, *Channel.choices])
    company = forms.IntegerField(required=False, min_value=1)
    sort = forms.ChoiceField(required=False, choices=[(k, k) for k in CONTACT_SORTS])

    def _value(self, name, default):
        self.is_valid()
        return self.cleaned_data.get(name) or default

    def filters(self) -> ContactFilters:
        consent = {"yes": True, "no": False}.get(self._value("consent", ""))
        return ContactFilters(q=self._value("q", "").strip(), company=self._value("company", None),
                              consent=consent, channel=self._value("channel", ""))

    def sort_key(self) -> str:
        return self._value("sort", "name")
