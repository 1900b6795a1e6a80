"""Cross-cutting base models and the append-only audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext_lazy as _

from partnera.core.context import Channel


class LiveQuerySet(models.QuerySet):
    def alive(self) -> LiveQuerySet:
        return self.filter(deleted_at__isnull=True)

    def deleted(self) -> LiveQuerySet:
        return self.filter(deleted_at__isnull=False)


class LiveManager(models.Manager.from_queryset(LiveQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> LiveQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class BusinessRecord(models.Model):
    """A record that is versioned (optimistic locking) and soft-deleted, never lost.

    `objects` sees only live rows; `all_objects` sees deleted ones too (restore, audit, merge).
    """

    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("created by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("deleted by"),
    )

    objects = LiveManager()
    all_objects = models.Manager.from_queryset(LiveQuerySet)()

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def _get_FIELD_display(self, field):
        """As Django's, with the field's labels built once: Django rebuilds the dict of choices
        on every call (≈40 µs), and a list page asks for a label per row and column. The labels
        stay lazy, so each request still gets its own language."""
        labels = field.__dict__.get("_display_labels")
        if labels is None:
            labels = field._display_labels = dict(make_hashable(field.flatchoices))
        value = getattr(self, field.attname)
        return force_str(labels.get(make_hashable(value), value), strings_only=True)


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):  # type: ignore[override]
        raise TypeError("The audit log is append-only.")

    def delete(self):  # type: ignore[override]
        raise TypeError("The audit log is append-only.")


class AuditEntry(models.Model):
    """One attributable event: who did what to which record, when, through which channel."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")
        RESTORE = "restore", _("restored")
        LOGIN = "login", _("logged in")
        LOGOUT = "logout", _("logged out")
        LOGIN_FAILED = "login_failed", _("failed login")
        ACCESS_DENIED = "access_denied", _("access denied")
        TOKEN_CREATE = "token_create", _("API token created")
        TOKEN_REVOKE = "token_revoke", _("API token revoked")
        DOWNLOAD = "download", _("downloaded")
        SHARE = "share", _("shared")
        UNSHARE = "unshare", _("unshared")
        MERGE = "merge", _("merged")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="audit_entries", verbose_name=_("who"),
    )
    actor_repr = models.CharField(_("who"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices, db_index=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.CHOICES)
    object_type = models.CharField(_("record type"), max_length=100, blank=True)
    object_id = models.CharField(_("record"), max_length=64, blank=True)
    object_repr = models.CharField(_("record"), max_length=300, blank=True)
    # The company this event belongs to, so the company timeline reads one indexed range.
    company_id = models.BigIntegerField(null=True, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = models.Manager.from_queryset(AuditQuerySet)()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(fields=["object_type", "object_id", "-at"], name="audit_object_idx"),
            models.Index(fields=["company_id", "-at"], name="audit_company_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_repr} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        # Append-only is an invariant of the log itself, not business logic.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit log is append-only.")


class RecordShare(models.Model):
    """An explicit share of one record with one user (the visibility rule reads it)."""

    record_type = models.CharField(_("record type"), max_length=100)
    record_id = models.BigIntegerField(_("record"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="record_shares",
        verbose_name=_("shared with"),
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("shared by"),
    )
    created_at = models.DateTimeField(_("shared on"), auto_now_add=True)

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        constraints = [
            models.UniqueConstraint(
                fields=["record_type", "record_id", "user"], name="unique_record_share"
            )
        ]
        indexes = [models.Index(fields=["user", "record_type", "record_id"], name="share_user_idx")]

    def __str__(self) -> str:
        return f"{self.record_type}#{self.record_id} → {self.user_id}"


class SearchDocument(models.Model):
    """One record as the global search sees it: its words in the folded Latin search key.

    Kept by the services that write (partnera.core.search.search_index_update) and rebuilt in bulk
    by `search_index_rebuild`. Each database searches it its own way, set up by migration 0004:
    an FTS5 table kept by triggers on SQLite; a generated tsvector column with a GIN index on
    PostgreSQL (plus a vocabulary with a trigram index for typos). Only live records are indexed.
    """

    kind = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    document = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_document_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}#{self.object_id}"


class Notification(models.Model):
    """An in-app message for one user (a reminder, later a late order or an approval request).

    Written by `partnera.core.notifications.notify`; the bell in the top bar reads the unread ones.
    `key` makes a notification idempotent: a job that runs twice does not notify twice.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications", verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_user_idx")]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], condition=~models.Q(key=""),
                                    name="unique_notification_key")
        ]

    def __str__(self) -> str:
        return self.title


class NumberSequence(models.Model):
    """The last number given in a yearly series (contracts "2026-0001", offers, orders).

    Read and bumped under a row lock by partnera.core.sequences.next_number, so two people saving
    at the same moment never get the same number."""

    name = models.CharField(max_length=40)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "year"], name="unique_number_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.year}: {self.last}"


class OrganisationProfile(models.Model):
    """Our own company as documents present it (offers, contracts): one row, kept by the
    administrator. The logo is kept in the row (small, at most 512 KB) and printed as a data URL."""

    name = models.CharField(_("trading name"), max_length=200, blank=True)
    legal_name = models.CharField(_("legal name"), max_length=255, blank=True)
    legal_name_en = models.CharField(_("legal name in English"), max_length=255, blank=True)
    eik = models.CharField(_("EIK/BULSTAT"), max_length=13, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    address = models.CharField(_("registered address"), max_length=500, blank=True)
    address_en = models.CharField(_("address in English"), max_length=500, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    bank = models.CharField(_("bank"), max_length=200, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    representative = models.CharField(_("represented by"), max_length=200, blank=True)
    logo = models.BinaryField(_("logo"), null=True, blank=True, editable=False)
    logo_type = models.CharField(max_length=40, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("our company")
        verbose_name_plural = _("our company")

    def __str__(self) -> str:
        return self.legal_name or self.name
