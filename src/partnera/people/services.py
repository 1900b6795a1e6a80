"""Writes for people, teams, departments and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnera.core.audit import audit_record, diff, snapshot
from partnera.core.errors import NotFound, PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.core.visibility import is_administrator
from partnera.people.models import ApiToken, Department, Team, User

USER_FIELDS = ["username", "first_name", "last_name", "email", "role", "team", "department",
               "phone", "language", "time_zone", "is_active"]
TOKEN_PREFIX = "pa_"


def _require_admin(actor) -> None:
    if actor is not None and not is_administrator(actor):
        raise PermissionDenied()


def _full_clean(obj, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ValidationFailed(fields=exc.message_dict) from exc


@transaction.atomic
def user_create(*, actor: User | None, data: dict, password: str | None = None) -> User:
    """Create a user. `actor=None` means the system itself (CLI set-up, demo data)."""
    _require_admin(actor)
    user = User(**{k: v for k, v in data.items() if k in USER_FIELDS})
    if user.role == Role.ADMINISTRATOR:
        user.is_staff = True
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed(fields={"password": exc.messages}) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    _full_clean(user, exclude=["password"])
    user.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=user,
                 changes={k: [None, v] for k, v in snapshot(user, USER_FIELDS).items()})
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, data: dict) -> User:
    _require_admin(actor)
    before = snapshot(user, USER_FIELDS)
    for key, value in data.items():
        if key in USER_FIELDS:
            setattr(user, key, value)
    user.is_staff = user.role == Role.ADMINISTRATOR or user.is_superuser
    _full_clean(user, exclude=["password"])
    user.save()
    changes = diff(before, snapshot(user, USER_FIELDS))
    if changes:
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=user, changes=changes)
    return user


@transaction.atomic
def user_set_password(*, actor: User | None, user: User, password: str) -> None:
    if actor is not None and actor.pk != user.pk:
        _require_admin(actor)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(fields={"password": exc.messages}) from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=user,
                 changes={"password": ["***", "***"]})


@transaction.atomic
def team_create(*, actor: User | None, data: dict) -> Team:
    _require_admin(actor)
    team = Team(name=data.get("name", ""), head=data.get("head"),
                shares_clients=data.get("shares_clients", True))
    _full_clean(team)
    team.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=team)
    return team


@transaction.atomic
def team_update(*, actor: User, team: Team, data: dict) -> Team:
    _require_admin(actor)
    fields = ["name", "head", "shares_clients"]
    before = snapshot(team, fields)
    for key in fields:
        if key in data:
            setattr(team, key, data[key])
    _full_clean(team)
    team.save()
    changes = diff(before, snapshot(team, fields))
    if changes:
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=team, changes=changes)
    return team


@transaction.atomic
def department_create(*, actor: User | None, data: dict) -> Department:
    _require_admin(actor)
    department = Department(name=data.get("name", ""), kind=data.get("kind", ""))
    _full_clean(department)
    department.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=department)
    return department


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_create(*, actor: User | None, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns it with the secret, which is never stored or shown again."""
    if actor is not None and actor.pk != user.pk:
        _require_admin(actor)
    name = (name or "").strip() or _("API token")
    if len(name) > 100:
        raise ValidationFailed(fields={"name": [_("At most 100 characters.")]})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=secret[:10], key_hash=_hash(secret))
    audit_record(actor=actor, action=AuditEntry.Action.TOKEN_CREATE, obj=token,
                 object_repr=f"{user.username}: {token}")
    return token, secret


@transaction.atomic
def token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    if actor is not None and actor.pk != token.user_id:
        _require_admin(actor)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action=AuditEntry.Action.TOKEN_REVOKE, obj=token,
                     object_repr=f"{token.user.username}: {token}")
    return token


def token_authenticate(secret: str) -> User | None:
    """The active user behind a bearer secret, or None. Marks the token as used (at most per minute)."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user", "user__department")
        .filter(key_hash=_hash(secret), revoked_at__isnull=True).first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def token_get_for_revoke(*, user: User, prefix: str) -> ApiToken:
    token = ApiToken.objects.filter(user=user, prefix=prefix[:10]).first()
    if token is None:
        raise NotFound()
    return token
