"""Framework hooks into the audit log: logins, logouts and failed logins happen inside Django's
auth machinery, which announces them only through signals."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from partnera.core.audit import audit_record
from partnera.core.models import AuditEntry


@receiver(user_logged_in, dispatch_uid="partnera_audit_login")
def _logged_in(sender, request, user, **kwargs) -> None:
    audit_record(actor=user, action=AuditEntry.Action.LOGIN, obj=user)


@receiver(user_logged_out, dispatch_uid="partnera_audit_logout")
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit_record(actor=user, action=AuditEntry.Action.LOGOUT, obj=user)


@receiver(user_login_failed, dispatch_uid="partnera_audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username", ""))[:150]
    user = get_user_model().objects.filter(username=username).first()
    audit_record(
        actor=None,
        action=AuditEntry.Action.LOGIN_FAILED,
        object_type="people.user",
        object_id=str(user.pk) if user else "",
        object_repr=username,
    )
