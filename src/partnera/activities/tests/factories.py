"""Test data for activities: a planned call tomorrow at 10:00 Sofia time unless told."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import factory
from django.utils import timezone

from partnera.activities.models import Activity, ActivityKind, ActivityStatus, Reminder

SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")


def sofia(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SOFIA)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity
        skip_postgeneration_save = True

    kind = ActivityKind.CALL
    subject = factory.Sequence(lambda n: f"Обаждане {n}")
    starts_at = factory.LazyFunction(
        lambda: sofia(timezone.localdate(timezone=SOFIA) + dt.timedelta(days=1), 10))
    duration_minutes = 30
    status = ActivityStatus.PLANNED
    owner = factory.SubFactory("partnera.people.tests.factories.UserFactory")
    team = factory.LazyAttribute(lambda o: o.owner.team)
    company = None
    deal = None


class ReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reminder

    activity = factory.SubFactory(ActivityFactory)
    user = factory.LazyAttribute(lambda o: o.activity.owner)
    remind_at = factory.LazyAttribute(lambda o: o.activity.starts_at - dt.timedelta(minutes=15))
    by_email = True
