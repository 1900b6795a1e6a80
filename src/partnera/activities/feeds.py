"""A user's secret calendar address (iCalendar feed): create, reset, revoke, and look it up.

The secret is `secrets.token_urlsafe(32)` (256 random bits). Only its SHA-256 is stored
(`CalendarFeed.token_hash`); the full address is shown once, right after it is created or reset,
like an API token. Looking a secret up hashes it and finds the row by the hash (an index lookup
on a value the caller cannot steer), then compares the hashes in constant time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnera.activities.models import CalendarFeed
from partnera.core.audit import audit_record
from partnera.core.errors import Conflict, NotFound, PermissionDenied
from partnera.core.models import AuditEntry
from partnera.core.visibility import is_administrator

SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{32,100}$")
USED_EVERY = dt.timedelta(minutes=5)  # how often "last used" is written at most


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def _require_self(actor, user) -> None:
    """Only the user may get a new secret for their feed: nobody else ever holds it."""
    if actor is None or actor.pk != user.pk:
        raise PermissionDenied(_("Only the person themselves can create their calendar address."))


def calendar_feed_get(*, user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user_id=user.pk).first()


@transaction.atomic
def calendar_feed_create(*, actor, user) -> tuple[CalendarFeed, str]:
    """A first secret address for `user`; Conflict when they already have one (reset it)."""
    _require_self(actor, user)
    if CalendarFeed.objects.filter(user_id=user.pk).exists():
        raise Conflict(_("You already have a calendar address. Reset it to get a new one."))
    secret = _new_secret()
    try:
        with transaction.atomic():
            feed = CalendarFeed.objects.create(user=user, token_hash=_hash(secret))
    except IntegrityError:  # created at the same moment by another request
        raise Conflict(_("You already have a calendar address. Reset it to get a new one.")) from None
    audit_record(actor=actor, action=AuditEntry.Action.TOKEN_CREATE, obj=feed,
                 object_repr=f"{user.get_username()}: {_('calendar address')}")
    return feed, secret


@transaction.atomic
def calendar_feed_reset(*, actor, user) -> tuple[CalendarFeed, str]:
    """A new secret address for `user` (created if they had none); the old one stops working."""
    _require_self(actor, user)
    secret = _new_secret()
    label = f"{user.get_username()}: {_('calendar address')}"
    feed = CalendarFeed.objects.select_for_update().filter(user_id=user.pk).first()
    if feed is None:
        try:
            with transaction.atomic():
                feed = CalendarFeed.objects.create(user=user, token_hash=_hash(secret))
        except IntegrityError:  # created at the same moment by another request
            raise Conflict() from None
    else:
        # The old secret is revoked (its hash is gone) and the new one takes its place.
        audit_record(actor=actor, action=AuditEntry.Action.TOKEN_REVOKE, obj=feed, object_repr=label)
        feed.token_hash = _hash(secret)
        feed.created_at = timezone.now()
        feed.last_used_at = None
        feed.save(update_fields=["token_hash", "created_at", "last_used_at"])
    audit_record(actor=actor, action=AuditEntry.Action.TOKEN_CREATE, obj=feed, object_repr=label)
    return feed, secret


@transaction.atomic
def calendar_feed_revoke(*, actor, user) -> None:
    """Stop the secret address working (the user, or an administrator). NotFound when none."""
    if actor is None or (actor.pk != user.pk and not is_administrator(actor)):
        raise PermissionDenied()
    feed = CalendarFeed.objects.select_for_update().filter(user_id=user.pk).first()
    if feed is None:
        raise NotFound(_("There is no calendar address to revoke."))
    audit_record(actor=actor, action=AuditEntry.Action.TOKEN_REVOKE, obj=feed,
                 object_repr=f"{user.get_username()}: {_('calendar address')}")
    feed.delete()


def calendar_feed_user(secret: str):
    """The active user whose feed this secret opens, or None. Marks the feed as used."""
    if not secret or not SECRET_RE.match(secret):
        return None
    digest = _hash(secret)
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=digest).first()
    if feed is None or not hmac.compare_digest(feed.token_hash, digest):
        return None
    if not feed.user.is_active:
        return None
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at > USED_EVERY:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return feed.user
