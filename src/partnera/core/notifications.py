"""In-app notifications: every domain tells a user something through `notify`."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from partnera.core.models import Notification


def notify(*, user, kind: str, title: str, body: str = "", url: str = "",
           key: str = "") -> Notification | None:
    """Tell `user` something. With a `key`, the same notification is written once however many
    times a job runs (None when it already was)."""
    if key and Notification.objects.filter(user=user, key=key).exists():
        return None
    try:
        with transaction.atomic():
            return Notification.objects.create(user=user, kind=kind, title=title[:300], body=body,
                                               url=url[:500], key=key[:120])
    except IntegrityError:  # a concurrent run wrote it first
        return None


def notification_list(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user=user)
    return notifications.filter(read_at__isnull=True) if unread_only else notifications


def unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the user's own notifications read (all of them when `ids` is None)."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
