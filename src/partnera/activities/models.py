"""Calls, meetings, visits, presentations, tasks and e-mail logs; their reminders; calendar feeds;
and how often each tier of client should hear from its manager."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from partnera.core.models import BusinessRecord


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    VISIT = "visit", _("Visit")
    PRESENTATION = "presentation", _("Presentation")
    TASK = "task", _("Task")
    EMAIL = "email", _("E-mail")


# Kinds that put the manager in touch with the client (a task does not).
CONTACT_KINDS = frozenset({ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.VISIT,
                           ActivityKind.PRESENTATION, ActivityKind.EMAIL})
# Kinds that take place at a time with others, shown as events in the calendar.
EVENT_KINDS = frozenset({ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.VISIT,
                         ActivityKind.PRESENTATION})


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Activity(BusinessRecord):
    kind = models.CharField(_("kind"), max_length=14, choices=ActivityKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    # When it takes place (a task: when it is due). Stored in UTC, shown in the user's zone.
    starts_at = models.DateTimeField(_("date and time"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ActivityStatus.choices,
                              default=ActivityStatus.PLANNED)
    completed_at = models.DateTimeField(_("done at"), null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="activities", verbose_name=_("owner"))
    team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="activities", verbose_name=_("team"))
    company = models.ForeignKey("clients.Company", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="activities", verbose_name=_("company"))
    deal = models.ForeignKey("sales.Deal", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="activities", verbose_name=_("deal"))
    lead = models.ForeignKey("sales.Lead", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="activities", verbose_name=_("lead"))
    participant_users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True,
                                               related_name="activity_invitations",
                                               verbose_name=_("colleagues"))
    participant_contacts = models.ManyToManyField("clients.Contact", blank=True,
                                                  related_name="activities",
                                                  verbose_name=_("client contacts"))
    place = models.CharField(_("place"), max_length=300, blank=True)
    online_link = models.URLField(_("online link"), max_length=500, blank=True)
    agenda = models.TextField(_("agenda"), max_length=5000, blank=True)
    outcome = models.TextField(_("outcome"), max_length=5000, blank=True)
    # Private: only the owner and the colleagues taking part see it; others see nothing of it.
    private = models.BooleanField(_("private"), default=False)
    follow_up_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="follow_ups", verbose_name=_("follow-up of"))

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            # "My day" and the calendar: one owner's activities by status in time order.
            models.Index(fields=["owner", "status", "starts_at"], name="activity_owner_idx",
                         condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["team", "starts_at"], name="activity_team_idx",
                         condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["company", "-starts_at"], name="activity_company_idx"),
            models.Index(fields=["deal", "status", "starts_at"], name="activity_deal_idx"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def ends_at(self):
        import datetime as dt

        return self.starts_at + dt.timedelta(minutes=self.duration_minutes or 0)


class Reminder(models.Model):
    """Remind one user of an activity at the time they picked: in the app, and by e-mail if asked.
    A job enqueued to run at `remind_at` sends it; `sent_at` makes sending happen once."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="reminders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="reminders", verbose_name=_("user"))
    remind_at = models.DateTimeField(_("remind at"))
    by_email = models.BooleanField(_("also by e-mail"), default=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["remind_at", "id"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        indexes = [models.Index(fields=["sent_at", "remind_at"], name="reminder_due_idx")]

    def __str__(self) -> str:
        return f"{self.activity} @ {self.remind_at:%Y-%m-%d %H:%M}"


class CalendarFeed(models.Model):
    """A user's secret iCalendar address. Only the SHA-256 of the secret is stored."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="calendar_feed", verbose_name=_("user"))
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"{self.user}"


class ContactCadence(models.Model):
    """How many days a client of a tier may go without contact before "My day" raises it.
    Set by the head of sales."""

    tier = models.CharField(_("tier"), max_length=12, unique=True)
    days = models.PositiveIntegerField(_("days without contact"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["tier"]
        verbose_name = _("contact cadence")
        verbose_name_plural = _("contact cadences")

    def __str__(self) -> str:
        return f"{self.tier}: {self.days}"


class CompanyContact(models.Model):
    """When a company was last in touch with its manager (the latest done call, meeting, visit,
    presentation or e-mail), kept by the activity services so "My day" need not scan activities."""

    company = models.OneToOneField("clients.Company", primary_key=True, on_delete=models.CASCADE,
                                   related_name="last_contact")
    last_at = models.DateTimeField(_("last contact"))

    class Meta:
        verbose_name = _("last contact")
        verbose_name_plural = _("last contacts")
        indexes = [models.Index(fields=["last_at"], name="company_contact_last_idx")]

    def __str__(self) -> str:
        return f"{self.company_id}: {self.last_at:%Y-%m-%d}"
