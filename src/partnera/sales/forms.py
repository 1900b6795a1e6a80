"""Forms of the deal pages and the pipeline settings. They parse what the browser sent; the
services hold every rule and their errors are placed next to the fields
(core.web.add_errors_to_form)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from partnera.clients.forms import CompanyPicker
from partnera.clients.models import Tier
from partnera.core.cleaning import optional_money
from partnera.core.money import Currency
from partnera.core.visibility import can_assign
from partnera.sales.deal_list import DEAL_SORTS, DealFilters, parse_month
from partnera.sales.models import PipelineKind, Requirement, StageOutcome

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

BLANK = [("", "—")]


def _ids(values) -> list[int]:
    out = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number < 2**63:
            out.append(number)
    return out


def _amount(value: str) -> Decimal | None:
    """An amount filter read by the one strict parser (core.cleaning); one it refuses is ignored."""
    try:
        return optional_money(value)
    except ValidationError:
        return None


class DealFilterForm(forms.Form):
    """The deal list's filters from the query string. Lax: a value that makes no sense is
    ignored (a list filter never answers an error)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    pipeline = forms.ChoiceField(label=_("Pipeline"), required=False)
    stage = forms.MultipleChoiceField(label=_("Stage"), required=False,
                                  widget=forms.CheckboxSelectMultiple)
    owner = forms.MultipleChoiceField(label=_("Owner"), required=False,
                                  widget=forms.CheckboxSelectMultiple)
    team = forms.MultipleChoiceField(label=_("Team"), required=False,
                                  widget=forms.CheckboxSelectMultiple)
    tier = forms.MultipleChoiceField(label=_("Tier"), required=False, choices=Tier.choices,
                                     widget=forms.CheckboxSelectMultiple)
    status = forms.MultipleChoiceField(label=_("Status"), required=False,
                                       choices=StageOutcome.choices,
                                       widget=forms.CheckboxSelectMultiple)
    amount_min = forms.CharField(label=_("Amount from (EUR)"), required=False, max_length=20)
    amount_max = forms.CharField(label=_("Amount to (EUR)"), required=False, max_length=20)
    close_month = forms.CharField(label=_("Expected close month"), required=False, max_length=7,
                                  widget=forms.TextInput(attrs={"type": "month"}))
    no_next_activity = forms.BooleanField(label=_("No next activity"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False)

    def __init__(self, *args, pipelines=(), stages=(), users=(), teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].choices = [("", _("All pipelines"))] + [
            (str(p.pk), p.name) for p in pipelines]
        self.fields["stage"].choices = [(str(s.pk), s.name) for s in stages]
        self.fields["owner"].choices = [(str(u.pk), str(u)) for u in users]
        self.fields["team"].choices = [(str(t.pk), str(t)) for t in teams]
        self.fields["sort"].choices = sort_choices()

    def _raw(self, name: str) -> list[str]:
        return [v for v in self.data.getlist(name) if v] if hasattr(self.data, "getlist") else []

    def filters(self) -> DealFilters:
        data = self.data
        tiers = set(Tier.values)
        statuses = set(StageOutcome.values)
        pipeline = _ids([data.get("pipeline", "")])
        return DealFilters(
            q=" ".join(str(data.get("q", "")).split())[:100],
            pipeline=pipeline[0] if pipeline else None,
            stage=_ids(self._raw("stage"))[:50],
            owner=_ids(self._raw("owner"))[:50],
            team=_ids(self._raw("team"))[:50],
            tier=[t for t in self._raw("tier") if t in tiers],
            status=[s for s in self._raw("status") if s in statuses],
            amount_min=_amount(data.get("amount_min", "")) if data.get("amount_min") else None,
            amount_max=_amount(data.get("amount_max", "")) if data.get("amount_max") else None,
            close_month=parse_month(data.get("close_month", "")),
            no_next_activity=data.get("no_next_activity") in ("1", "on", "true"),
            company=next(iter(_ids([data.get("company", "")])), None),
        )

    def sort_key(self) -> str:
        sort = self.data.get("sort", "")
        return sort if sort in DEAL_SORTS else "updated"


def sort_choices() -> list[tuple[str, StrOrPromise]]:
    return [("updated", _("Recently changed")), ("created", _("Recently opened")),
            ("title", _("Title A–Z"))]


def _lines(values) -> str:
    return "\n".join(values or [])


class DealForm(forms.Form):
    """Create or edit a deal. On create the company (a picker of the companies the user sees) and
    the pipeline with its stage are chosen; on edit they stay (a deal moves between stages on
    its page). Contacts and their roles come as `contact` (ids) and `role_<id>` (see the view)."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    company = forms.CharField(label=_("Company"), required=False, widget=forms.HiddenInput)
    stage = forms.ChoiceField(label=_("Pipeline and stage"), required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    team = forms.ChoiceField(label=_("Team"), required=False)
    amount = forms.CharField(label=_("Amount"), max_length=30, required=False,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices,
                                 initial=Currency.EUR)
    expected_close_date = forms.CharField(label=_("Expected close date"), required=False,
                                          max_length=10,
                                          widget=forms.DateInput(attrs={"type": "date"}))
    products = forms.CharField(label=_("Products or product lines of interest"), required=False,
                               max_length=4000, widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=_("One per line or separated by commas."))
    competitors = forms.CharField(label=_("Competitors involved"), required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text=_("One per line or separated by commas."))
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=300)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Not rendered: the contacts table posts `contact` and `role_<id>`; this field only carries
    # the services' errors about contacts to the table.
    contacts = forms.CharField(required=False, widget=forms.HiddenInput)

    WIDE = ("title", "stage", "products", "competitors", "next_step")

    def __init__(self, *args, user, deal=None, pipelines=(), users=(), teams=(), **kwargs):
        """`pipelines`: (pipeline, its open stages) pairs, the stage choices of a new deal."""
        self.deal = deal
        if deal is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(deal)
        super().__init__(*args, **kwargs)
        if deal is not None:
            del self.fields["company"]
            del self.fields["stage"]
        else:
            del self.fields["version"]
            self.fields["company"].required = True
            groups = []
            for pipeline, stages in pipelines:
                options = [(str(s.pk), s.name) for s in stages]
                if options:
                    groups.append((pipeline.name, options))
            self.fields["stage"].choices = groups
        if can_assign(user):
            owners = list(users)
            if deal is not None and deal.owner is not None and deal.owner not in owners:
                owners.append(deal.owner)
            self.fields["owner"].choices = BLANK + [(str(u.pk), str(u)) for u in owners]
            self.fields["team"].choices = BLANK + [(str(t.pk), str(t)) for t in teams]
        else:
            del self.fields["owner"]
            del self.fields["team"]

    @staticmethod
    def initial_from(deal) -> dict:
        return {
            "title": deal.title, "owner": str(deal.owner_id or ""), "team": str(deal.team_id or ""),
            "amount": "" if deal.amount is None else str(deal.amount),
            "currency": deal.currency,
            "expected_close_date": deal.expected_close_date.isoformat()
            if deal.expected_close_date else "",
            "products": _lines(deal.products), "competitors": _lines(deal.competitors),
            "next_step": deal.next_step, "version": deal.version,
        }

    def service_data(self, *, stage_pipeline: dict[str, int] | None = None) -> dict:
        """What the services take: the form's fields as typed (they clean them)."""
        data = {name: self.cleaned_data.get(name, "") for name in self.fields
                if name not in ("version", "stage", "contacts")}
        if "stage" in self.fields:
            stage = self.cleaned_data.get("stage") or ""
            data["stage"] = stage
            data["pipeline"] = (stage_pipeline or {}).get(stage, "")
        return data


class CompanyChoiceForm(forms.Form):
    """The first step of a new deal: which company (among those the user may see)."""

    company = forms.CharField(label=_("Company"), required=False, widget=CompanyPicker())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].widget.attrs["data-label"] = (
            self.data.get("company_label", "") if self.is_bound else "")


class MoveForm(forms.Form):
    stage = forms.CharField(required=True)
    lost_reason = forms.ChoiceField(label=_("Why was it lost?"), required=False)
    lost_comment = forms.CharField(label=_("Comment"), required=False, max_length=2000,
                                   widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, reasons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lost_reason"].choices = BLANK + [(str(r.pk), r.name) for r in reasons]


# --- pipeline settings ----------------------------------------------------------------------------

class PipelineForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=PipelineKind.choices,
                             initial=PipelineKind.OTHER)


class StageForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    probability = forms.CharField(label=_("Win probability (%)"), max_length=10,
                                  widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=StageOutcome.choices,
                                initial=StageOutcome.OPEN)
    usual_days = forms.CharField(label=_("Usual days in stage"), max_length=10, required=False,
                                 widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    rules = forms.MultipleChoiceField(label=_("Before a deal enters, it needs"), required=False,
                                      choices=Requirement.choices,
                                      widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, stage=None, **kwargs):
        if stage is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": stage.name, "probability": str(stage.probability), "outcome": stage.outcome,
                "usual_days": "" if stage.usual_days is None else str(stage.usual_days),
                "active": stage.active, "rules": [r.requirement for r in stage.rules.all()]}
        self.stage = stage
        super().__init__(*args, **kwargs)
        prefix = f"stage-{stage.pk}" if stage is not None else "new"
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"id_{prefix}_{name}")

    def service_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in
                ("name", "probability", "outcome", "usual_days", "active")}


class ReasonForm(forms.Form):
    name = forms.CharField(label=_("Reason"), max_length=200)
