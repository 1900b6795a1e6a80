"""Forms of the activities UI. They parse what the browser sent; the services validate it
(times typed in a form are read in the user's time zone there).

Fields are deliberately lax (text and choices): the services hold every business rule, and
their errors are placed next to the fields by `core.web.add_errors_to_form`.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from partnera.activities.models import Activity, ActivityKind, ActivityStatus
from partnera.clients.forms import CompanyPicker

BLANK = [("", "—")]
LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def local_input(moment: dt.datetime | None, zone=None) -> str:
    """A stored time as a `datetime-local` input shows it, in the user's zone."""
    if moment is None:
        return ""
    return timezone.localtime(moment, zone).strftime(LOCAL_INPUT)


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """A select of `form` (declared a ChoiceField) whose choices are set once the data is known;
    `form.fields` is typed as holding any Field."""
    return cast(forms.ChoiceField, form.fields[name])


class MomentInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value):
        if isinstance(value, dt.datetime):
            return local_input(value)
        return value or ""


def moment_field(label, required: bool = False, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=40,
                           widget=MomentInput(attrs={"step": 60}), **kwargs)


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    starts_at = moment_field(_("Date and time"), required=True)
    duration_minutes = forms.CharField(label=_("Duration (minutes)"), max_length=10, required=False,
                                       widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[(ActivityStatus.PLANNED, _("Planned")),
                 (ActivityStatus.DONE, _("Already done: log it with its outcome"))])
    company = forms.CharField(label=_("Company"), required=False, widget=CompanyPicker())
    deal = forms.ChoiceField(label=_("Deal"), required=False)
    lead = forms.CharField(required=False, widget=forms.HiddenInput)
    participant_contacts = forms.MultipleChoiceField(
        label=_("Client contacts"), required=False,
        help_text=_("People of the company who take part."))
    participant_users = forms.MultipleChoiceField(
        label=_("Colleagues"), required=False, help_text=_("They see the activity too."))
    place = forms.CharField(label=_("Place"), max_length=300, required=False)
    online_link = forms.CharField(label=_("Online link"), max_length=500, required=False,
                                  widget=forms.URLInput(attrs={"placeholder": "https://"}))
    agenda = forms.CharField(label=_("Agenda"), max_length=5000, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))
    outcome = forms.CharField(label=_("Outcome"), max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    private = forms.BooleanField(
        label=_("Private: only you and the colleagues taking part see it"), required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    WIDE = ("agenda", "outcome", "private", "participant_users", "participant_contacts")

    def __init__(self, *args, activity: Activity | None = None, users=(), contacts=(), deals=(),
                 may_assign: bool = False, company_label: str = "", owner_id: int | None = None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.activity = activity
        # The owner takes part anyway: the colleagues are the others.
        owner_id = activity.owner_id if activity is not None else owner_id
        choice_field(self, "participant_users").choices = [(str(u.pk), str(u)) for u in users
                                                            if u.pk != owner_id]
        choice_field(self, "participant_contacts").choices = [
            (str(c.pk), f"{c}{' · ' + c.position if c.position else ''}") for c in contacts]
        choice_field(self, "deal").choices = BLANK + [(str(d.pk), str(d)) for d in deals]
        if may_assign:
            choice_field(self, "owner").choices = [(str(u.pk), str(u)) for u in users]
        else:
            del self.fields["owner"]
        if activity is not None:
            del self.fields["status"]
        else:
            del self.fields["version"]
        if self.is_bound:
            company_label = self.data.get("company_label", company_label)
        self.fields["company"].widget.attrs["data-label"] = company_label
        if not contacts:
            del self.fields["participant_contacts"]

    @staticmethod
    def initial_from(activity: Activity) -> dict:
        return {
            "kind": activity.kind, "subject": activity.subject,
            "starts_at": local_input(activity.starts_at),
            "duration_minutes": "" if activity.duration_minutes is None
            else str(activity.duration_minutes),
            "company": str(activity.company_id or ""), "deal": str(activity.deal_id or ""),
            "lead": str(activity.lead_id or ""),
            "participant_users": [str(pk) for pk in
                                  activity.participant_users.values_list("pk", flat=True)],
            "participant_contacts": [str(pk) for pk in
                                     activity.participant_contacts.values_list("pk", flat=True)],
            "place": activity.place, "online_link": activity.online_link,
            "agenda": activity.agenda, "outcome": activity.outcome, "private": activity.private,
            "owner": str(activity.owner_id), "version": activity.version,
        }

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        if "participant_contacts" not in self.fields:
            data.pop("participant_contacts", None)
        if self.activity is None and not data.get("status"):
            data["status"] = ActivityStatus.PLANNED
        return data


class FollowUpMixin(forms.Form):
    """"Schedule the follow-up" beside an outcome: a time (it is scheduled when one is given),
    a kind, and a subject."""

    follow_up_at = moment_field(_("Follow-up on"))
    follow_up_kind = forms.ChoiceField(label=_("Follow-up kind"), choices=ActivityKind.choices,
                                       initial=ActivityKind.CALL, required=False)
    follow_up_subject = forms.CharField(label=_("Follow-up subject"), max_length=200,
                                        required=False)

    FOLLOW_UP_FIELDS = {"follow_up.starts_at": "follow_up_at", "follow_up.kind": "follow_up_kind",
                        "follow_up.subject": "follow_up_subject", "follow_up": "follow_up_at"}

    def follow_up(self) -> dict | None:
        if not self.cleaned_data.get("follow_up_at"):
            return None
        return {"starts_at": self.cleaned_data["follow_up_at"],
                "kind": self.cleaned_data.get("follow_up_kind") or "",
                "subject": self.cleaned_data.get("follow_up_subject") or ""}


class CompleteForm(FollowUpMixin):
    outcome = forms.CharField(label=_("Outcome"), max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class LogCallForm(FollowUpMixin):
    """The company page's "Log a call": a few seconds, one POST."""

    subject = forms.CharField(label=_("Subject"), max_length=200, initial=_("Call"))
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices,
                             initial=ActivityKind.CALL)
    contact = forms.ChoiceField(label=_("With"), required=False)
    outcome = forms.CharField(label=_("Outcome"), max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    deal = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].choices = BLANK + [(str(c.pk), str(c)) for c in contacts]

    def service_data(self, *, company, now: dt.datetime) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"], "subject": data["subject"], "starts_at": now,
            "status": ActivityStatus.DONE, "company": company, "outcome": data.get("outcome", ""),
            "participant_contacts": [data["contact"]] if data.get("contact") else [],
            **({"deal": data["deal"]} if data.get("deal") else {}),
        }


REMINDER_CHOICES = [
    ("", _("No reminder")),
    ("0", _("When it starts")),
    ("15", _("15 minutes before")),
    ("60", _("1 hour before")),
    ("1440", _("1 day before")),
    ("exact", _("At an exact time")),
]


class ReminderForm(forms.Form):
    when = forms.ChoiceField(label=_("Remind me"), choices=REMINDER_CHOICES, required=False)
    remind_at = moment_field(_("Exact time"))
    by_email = forms.BooleanField(label=_("Also by e-mail"), required=False, initial=True)

    def reminders(self) -> list[dict]:
        when = self.cleaned_data.get("when") or ""
        by_email = bool(self.cleaned_data.get("by_email"))
        if when == "":
            return []
        if when == "exact":
            return [{"remind_at": self.cleaned_data.get("remind_at") or "", "by_email": by_email}]
        return [{"minutes_before": int(when), "by_email": by_email}]


class ActivityFilterForm(forms.Form):
    view = forms.ChoiceField(choices=[("upcoming", _("Upcoming")), ("overdue", _("Overdue")),
                                      ("done", _("Done")), ("cancelled", _("Cancelled")),
                                      ("all", _("All")),
                                      ("deleted", pgettext_lazy("activity list tab", "Deleted"))],
                             required=False)
    kind = forms.MultipleChoiceField(choices=ActivityKind.choices, required=False)
    status = forms.MultipleChoiceField(choices=ActivityStatus.choices, required=False)
    owner = forms.MultipleChoiceField(required=False)
    everyone = forms.BooleanField(required=False)
    company = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    date_from = forms.DateField(required=False)
    date_to = forms.DateField(required=False)

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [(str(u.pk), str(u)) for u in users]

    def _clean_day(self, name: str) -> dt.date | None:
        """A day the list can filter by: within the years times.parse_moment accepts (a year 1
        or 9999 would overflow once turned into a time in the user's zone)."""
        day = self.cleaned_data.get(name)
        if day is not None and not 1900 < day.year < 2200:
            raise forms.ValidationError(_("Enter a date between 1901 and 2199."), code="range")
        return day

    def clean_date_from(self) -> dt.date | None:
        return self._clean_day("date_from")

    def clean_date_to(self) -> dt.date | None:
        return self._clean_day("date_to")

    def value(self, name, default=None):
        if not self.is_valid() and name in self.errors:
            return default
        return self.cleaned_data.get(name, default)
