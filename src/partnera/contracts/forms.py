"""Forms of the contract pages. They carry what the browser sent; the services hold every rule and
their errors are placed next to the fields (core.web.add_errors_to_form)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from partnera.clients.forms import CompanyPicker
from partnera.contracts.models import ContractStatus
from partnera.contracts.selectors import CONTRACT_SORTS, ContractFilters
from partnera.core.money import Currency
from partnera.core.visibility import can_assign

BLANK = [("", "—")]
DATE = {"type": "date"}


def ids(values) -> list[int]:
    out = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number < 2**63:
            out.append(number)
    return out


def service_data(form: forms.Form, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The form's fields as typed: the services clean them."""
    return {name: form.cleaned_data.get(name, "") for name in form.fields if name not in skip}


class ContractFilterForm(forms.Form):
    """The contract list's filters from the query string; a value that makes no sense is
    ignored (a list filter never answers an error)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.MultipleChoiceField(label=_("Status"), required=False,
                                       choices=ContractStatus.choices,
                                       widget=forms.CheckboxSelectMultiple)
    owner = forms.MultipleChoiceField(label=_("Owner"), required=False,
                                      widget=forms.CheckboxSelectMultiple)
    contract_type = forms.MultipleChoiceField(label=_("Type"), required=False,
                                              widget=forms.CheckboxSelectMultiple)
    ending = forms.ChoiceField(label=_("Ending"), required=False, choices=[
        ("", _("Any time")), ("30", _("within 30 days")), ("60", _("within 60 days")),
        ("90", _("within 90 days")), ("180", _("within 6 months"))])
    to_renew = forms.BooleanField(label=_("To renew (notice within 30 days or end within 60)"),
                                  required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=[
        ("updated", _("Recently changed")), ("created", _("Recently made")),
        ("number", _("Number"))])

    def __init__(self, *args, users=(), types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [(str(u.pk), str(u)) for u in users]
        self.fields["contract_type"].choices = [(str(t.pk), t.name) for t in types]

    def _raw(self, name: str) -> list[str]:
        return [v for v in self.data.getlist(name) if v] if hasattr(self.data, "getlist") else []

    def filters(self) -> ContractFilters:
        data = self.data
        ending = data.get("ending", "")
        company = ids([data.get("company", "")])
        return ContractFilters(
            q=" ".join(str(data.get("q", "")).split())[:100],
            status=[s for s in self._raw("status") if s in ContractStatus.values],
            owner=ids(self._raw("owner"))[:50],
            contract_type=ids(self._raw("contract_type"))[:50],
            company=company[0] if company else None,
            ending_within=int(ending) if ending in ("30", "60", "90", "180") else None,
            to_renew=data.get("to_renew") in ("1", "on", "true"),
        )

    def sort_key(self) -> str:
        sort = self.data.get("sort", "")
        return sort if sort in CONTRACT_SORTS else "updated"


class CompanyChoiceForm(forms.Form):
    """The first step of a contract from scratch: the client (among those the user may see)."""

    company = forms.CharField(label=_("Client"), required=False, widget=CompanyPicker())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].widget.attrs["data-label"] = (
            self.data.get("company_label", "") if self.is_bound else "")


class ContractForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    contract_type = forms.ChoiceField(label=_("Type"), required=False)
    signatory = forms.ChoiceField(label=_("Client's signatory"), required=False)
    deal = forms.ChoiceField(label=_("Deal"), required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    team = forms.ChoiceField(label=_("Team"), required=False)
    language = forms.ChoiceField(label=_("Language of the document"), choices=settings.LANGUAGES)
    start_date = forms.CharField(label=_("Start"), required=False, max_length=10,
                                 widget=forms.DateInput(attrs=DATE))
    end_date = forms.CharField(label=_("End"), required=False, max_length=10,
                               widget=forms.DateInput(attrs=DATE))
    notice_days = forms.CharField(label=_("Notice period (days)"), required=False, max_length=5,
                                  widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    auto_renew = forms.BooleanField(label=_("Renews automatically for another term"),
                                    required=False)
    value = forms.CharField(label=_("Value (without VAT)"), max_length=30, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices,
                                 initial=Currency.EUR)
    payment_days = forms.CharField(label=_("Payment term (days)"), required=False, max_length=5,
                                   widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    payment_terms = forms.CharField(label=_("Payment terms"), required=False, max_length=4000,
                                    widget=forms.Textarea(attrs={"rows": 3}))
    special_conditions = forms.CharField(
        label=_("Special conditions"), required=False, max_length=8000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("As agreed in words; the discounts that price the client's orders are added "
                    "as pricing conditions on the contract page."))
    note = forms.CharField(label=_("What changed"), required=False, max_length=300,
                           help_text=_("Kept with the new version of the terms. Required once the "
                                       "contract is signed: name the annex."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    WIDE = ("title", "payment_terms", "special_conditions", "note")

    def __init__(self, *args, user, contract=None, types=(), contacts=(), deals=(), users=(),
                 teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.fields["contract_type"].choices = BLANK + [(str(t.pk), t.name) for t in types]
        self.fields["signatory"].choices = BLANK + [(str(c.pk), str(c)) for c in contacts]
        self.fields["deal"].choices = BLANK + [(str(d.pk), d.title) for d in deals]
        if contract is None:
            del self.fields["version"]
            del self.fields["note"]
        if can_assign(user):
            self.fields["owner"].choices = BLANK + [(str(u.pk), str(u)) for u in users]
            self.fields["team"].choices = BLANK + [(str(t.pk), str(t)) for t in teams]
        else:
            del self.fields["owner"]
            del self.fields["team"]

    @staticmethod
    def initial_from(contract) -> dict:
        def day(value) -> str:
            return value.isoformat() if value else ""

        return {
            "title": contract.title, "contract_type": str(contract.contract_type_id),
            "signatory": str(contract.signatory_id or ""), "deal": str(contract.deal_id or ""),
            "owner": str(contract.owner_id or ""), "team": str(contract.team_id or ""),
            "language": contract.language, "start_date": day(contract.start_date),
            "end_date": day(contract.end_date), "notice_days": str(contract.notice_days),
            "auto_renew": contract.auto_renew,
            "value": "" if contract.value is None else str(contract.value),
            "currency": contract.currency,
            "payment_days": "" if contract.payment_days is None else str(contract.payment_days),
            "payment_terms": contract.payment_terms,
            "special_conditions": contract.special_conditions, "version": contract.version,
        }

    def service_data(self) -> dict[str, Any]:
        return service_data(self, skip=("version", "note"))


class TransitionForm(forms.Form):
    status = forms.ChoiceField(choices=ContractStatus.choices)
    signed_on = forms.CharField(label=_("Signed on"), required=False, max_length=10,
                                widget=forms.DateInput(attrs=DATE))
    ended_on = forms.CharField(label=_("Ended on"), required=False, max_length=10,
                               widget=forms.DateInput(attrs=DATE))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"))
    file = forms.FileField(label=_("File"), required=False)
    description = forms.CharField(label=_("Description"), required=False, max_length=300)
    signed_on = forms.CharField(label=_("Dated"), required=False, max_length=10,
                                widget=forms.DateInput(attrs=DATE))

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(str(k.pk), k.name) for k in kinds]


class ObligationForm(forms.Form):
    title = forms.CharField(label=_("What must be done"), required=False, max_length=200)
    due_date = forms.CharField(label=_("Due"), required=False, max_length=10,
                               widget=forms.DateInput(attrs=DATE))
    owner = forms.ChoiceField(label=_("Responsible"), required=False)
    department = forms.ChoiceField(label=_("Department"), required=False)
    is_milestone = forms.BooleanField(label=_("Milestone"), required=False)

    def __init__(self, *args, users=(), departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = BLANK + [(str(u.pk), str(u)) for u in users]
        self.fields["department"].choices = BLANK + [(str(d.pk), d.name) for d in departments]

    @staticmethod
    def initial_from(obligation) -> dict:
        return {"title": obligation.title, "due_date": obligation.due_date.isoformat(),
                "owner": str(obligation.owner_id or ""),
                "department": str(obligation.department_id or ""),
                "is_milestone": obligation.is_milestone}


class PricingConditionForm(forms.Form):
    name = forms.CharField(label=_("Name"), required=False, max_length=150,
                           help_text=_("Empty: named after what it grants."))
    product = forms.ChoiceField(label=_("Product"), required=False)
    line = forms.ChoiceField(label=_("Product line"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    discount_percent = forms.CharField(label=_("Discount (%)"), required=False, max_length=10,
                                       widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    fixed_price = forms.CharField(label=_("or a fixed unit price"), required=False, max_length=20,
                                  widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    currency = forms.ChoiceField(label=_("Currency of the fixed price"), choices=Currency.choices,
                                 initial=Currency.EUR)
    valid_from = forms.CharField(label=_("Valid from"), required=False, max_length=10,
                                 widget=forms.DateInput(attrs=DATE))
    valid_to = forms.CharField(label=_("Valid to"), required=False, max_length=10,
                               widget=forms.DateInput(attrs=DATE))
    note = forms.CharField(label=_("What changed"), required=False, max_length=300,
                           help_text=_("Once the contract is signed: the annex that changes the "
                                       "conditions (e.g. “Annex 2: new prices”)."))

    def __init__(self, *args, products=(), lines=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = BLANK + [(str(p.pk), str(p)) for p in products]
        self.fields["line"].choices = BLANK + [(str(line.pk), line.name) for line in lines]
        self.fields["category"].choices = BLANK + [(str(c.pk), c.name) for c in categories]


class ReferralForm(forms.Form):
    referrer_company = forms.CharField(label=_("Referred by (client)"), required=False,
                                       widget=CompanyPicker())
    referrer_contact = forms.ChoiceField(label=_("Referred by (contact)"), required=False)
    reward = forms.CharField(label=_("Agreed reward"), required=False, max_length=300)
    reward_amount = forms.CharField(label=_("Reward amount"), required=False, max_length=30,
                                    widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices,
                                 initial=Currency.EUR)

    def __init__(self, *args, contacts=(), company_label: str = "", hidden_contact=None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["referrer_contact"]).choices = BLANK + [
            (str(c.pk), f"{c} · {c.company.legal_name}") for c in contacts] + (
            [(str(hidden_contact), "—")] if hidden_contact else [])
        self.fields["referrer_company"].widget.attrs["data-label"] = (
            self.data.get("referrer_company_label", "") if self.is_bound else company_label)

    @staticmethod
    def initial_from(clause) -> dict:
        return {"referrer_company": str(clause.referrer_company_id or ""),
                "referrer_contact": str(clause.referrer_contact_id or ""),
                "reward": clause.reward,
                "reward_amount": "" if clause.reward_amount is None else str(clause.reward_amount),
                "currency": clause.currency}


class ContractTypeForm(forms.Form):
    name = forms.CharField(label=_("Name"), required=False, max_length=120)
    required_documents = forms.MultipleChoiceField(label=_("Required documents"), required=False,
                                                   widget=forms.CheckboxSelectMultiple)
    default_notice_days = forms.CharField(label=_("Usual notice period (days)"), required=False,
                                          max_length=5)
    template = forms.CharField(label=_("Contract text template"), required=False,
                               max_length=20000, widget=forms.Textarea(attrs={"rows": 14}))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["required_documents"].choices = [(str(k.pk), k.name) for k in kinds]

    @staticmethod
    def initial_from(contract_type) -> dict:
        return {"name": contract_type.name, "template": contract_type.template,
                "default_notice_days": str(contract_type.default_notice_days),
                "active": contract_type.active,
                "required_documents": [str(k.pk) for k in contract_type.required_documents.all()]}


class DocumentKindForm(forms.Form):
    name = forms.CharField(label=_("Name"), required=False, max_length=120)
    position = forms.CharField(label=_("Position"), required=False, max_length=5)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
