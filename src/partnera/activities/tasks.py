"""Background jobs of activities (django-tasks; `partnera worker` runs them)."""

from __future__ import annotations

from django_tasks import task

from partnera.core.context import Channel, acting


@task()
def send_reminder_task(reminder_id: int) -> str:
    """Send one reminder (in the app, and by e-mail when asked) once its time has come.

    Enqueued on commit to run at the reminder's time (at once when that time has passed).
    Safe to run twice or late: a reminder is sent once, and not at all when its activity was
    deleted, cancelled or done, or when its time was moved later (a newer job sends it then).
    """
    from partnera.activities.reminders import reminder_deliver

    with acting(Channel.JOB):
        return reminder_deliver(reminder_id=reminder_id)
