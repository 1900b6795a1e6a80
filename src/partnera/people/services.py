"""Writes for people, teams, departments and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import zoneinfo
from functools import cache
from typing import TypeVar

import phonenumbers
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
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
# What a user may change about themselves on their profile page.
PROFILE_FIELDS = ["first_name", "last_name", "email", "phone", "language", "time_zone"]
TEAM_FIELDS = ["name", "head", "shares_clients"]
DEPARTMENT_FIELDS = ["name", "kind"]
TOKEN_PREFIX = "pa_"


@cache
def time_zone_names() -> frozenset[str]:
    """Every IANA time zone name this machine knows (zoneinfo / tzdata)."""
    return frozenset(zoneinfo.available_timezones())


def normalize_user_phone(raw: str) -> str:
    """A phone number in E.164 (+359…), Bulgarian numbers accepted without the country code."""
    value = (raw or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "BG")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(_("“%(value)s” is not a valid phone number.") % {"value": value[:40]})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _validate_user(user: User, *, password: str | None = None) -> None:
    """Every check at once, so the form shows all problems together: the model's own rules
    (unique username, e-mail, lengths), a real time zone, a known language, a valid phone, and
    the strength of a new password."""
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if user.time_zone not in time_zone_names():
        errors.setdefault("time_zone", []).append(
            _("“%(value)s” is not a known time zone.") % {"value": str(user.time_zone)[:64]})
    if user.language not in dict(settings.LANGUAGES):
        errors["language"] = [_("Choose one of the available languages.")]
    if "phone" not in errors:
        try:
            user.phone = normalize_user_phone(user.phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = exc.messages
    if errors:
        raise ValidationFailed(fields=errors)


def _is_active_admin(user: User) -> bool:
    return bool(user.is_active and (user.is_superuser or user.role == Role.ADMINISTRATOR))


def _ensure_an_administrator_remains(user: User, *, was_admin: bool) -> None:
    """Nobody may remove the last active administrator: the product would have no one to run it."""
    if not was_admin or _is_active_admin(user):
        return
    others = User.objects.filter(is_active=True).exclude(pk=user.pk).filter(
        models.Q(role=Role.ADMINISTRATOR) | models.Q(is_superuser=True))
    if not others.exists():
        raise ValidationFailed(
            _("At least one active administrator must remain."),
            fields={"role": [_("At least one active administrator must remain.")]},
        )


def _require_admin(actor) -> None:
    if actor is not None and not is_administrator(actor):
        raise PermissionDenied()


T = TypeVar("T", Team, Department)


def _locked(obj):
    """The row of `obj` read afresh under a row lock: concurrent writes queue, and a stale or
    half-edited instance in the caller's hands never leaks into what is saved."""
    return obj._meta.model._default_manager.select_for_update().get(pk=obj.pk)


def _synced(original, saved):
    """Bring the caller's instance up to date with what was saved, and return the saved one."""
    if original is not saved:
        original.refresh_from_db()
    return saved


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
    _validate_user(user, password=password or None)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=user,
                 changes={k: [None, v] for k, v in snapshot(user, USER_FIELDS).items()})
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, data: dict) -> User:
    _require_admin(actor)
    original, user = user, _locked(user)
    was_admin = _is_active_admin(user)
    before = snapshot(user, USER_FIELDS)
    for key, value in data.items():
        if key in USER_FIELDS:
            setattr(user, key, value)
    user.is_staff = user.role == Role.ADMINISTRATOR or user.is_superuser
    _validate_user(user)
    _ensure_an_administrator_remains(user, was_admin=was_admin)
    user.save()
    changes = diff(before, snapshot(user, USER_FIELDS))
    if changes:
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=user, changes=changes)
    return _synced(original, user)


@transaction.atomic
def user_update_profile(*, actor: User, user: User, data: dict) -> User:
    """A user changes their own name, e-mail, phone, language and time zone (an admin may too)."""
    if actor is not None and actor.pk != user.pk:
        _require_admin(actor)
    original, user = user, _locked(user)
    before = snapshot(user, PROFILE_FIELDS)
    for key in PROFILE_FIELDS:
        if key in data:
            value = data[key]
            setattr(user, key, value.strip() if isinstance(value, str) else value)
    _validate_user(user)
    user.save(update_fields=PROFILE_FIELDS)
    changes = diff(before, snapshot(user, PROFILE_FIELDS))
    if changes:
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=user, changes=changes)
    return _synced(original, user)


@transaction.atomic
def user_set_language(*, actor: User, user: User, language: str) -> User:
    """Remember the language a user chose in the language switch."""
    return user_update_profile(actor=actor, user=user, data={"language": language})


@transaction.atomic
def user_deactivate(*, actor: User, user: User) -> User:
    """Stop a user from logging in (browser and API). Their records and history stay."""
    _require_admin(actor)
    if actor is not None and actor.pk == user.pk:
        raise ValidationFailed(_("You cannot deactivate your own account."))
    original, user = user, _locked(user)
    if not user.is_active:
        return _synced(original, user)
    was_admin = _is_active_admin(user)
    user.is_active = False
    _ensure_an_administrator_remains(user, was_admin=was_admin)
    user.save(update_fields=["is_active"])
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=user,
                 changes={"is_active": [True, False]})
    return _synced(original, user)


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
    team = Team(name=(data.get("name") or "").strip(), head=data.get("head"),
                shares_clients=data.get("shares_clients", True))
    _full_clean(team)
    team.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=team,
                 changes={k: [None, v] for k, v in snapshot(team, TEAM_FIELDS).items()})
    return team


def _update_audited(*, actor: User, record: T, fields: list[str], data: dict) -> T:
    """Set `fields` from `data` on a locked copy of `record` (text trimmed), validate, save, and
    audit what changed; the caller's object is brought up to date."""
    original, record = record, _locked(record)
    before = snapshot(record, fields)
    for key in fields:
        if key in data:
            value = data[key]
            setattr(record, key, value.strip() if isinstance(value, str) else value)
    _full_clean(record)
    record.save()
    changes = diff(before, snapshot(record, fields))
    if changes:
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=record, changes=changes)
    return _synced(original, record)


@transaction.atomic
def team_update(*, actor: User, team: Team, data: dict) -> Team:
    _require_admin(actor)
    return _update_audited(actor=actor, record=team, fields=TEAM_FIELDS, data=data)


@transaction.atomic
def department_create(*, actor: User | None, data: dict) -> Department:
    _require_admin(actor)
    department = Department(name=(data.get("name") or "").strip(), kind=data.get("kind", ""))
    _full_clean(department)
    department.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=department,
                 changes={k: [None, v] for k, v in snapshot(department, DEPARTMENT_FIELDS).items()})
    return department


@transaction.atomic
def department_update(*, actor: User, department: Department, data: dict) -> Department:
    _require_admin(actor)
    return _update_audited(actor=actor, record=department, fields=DEPARTMENT_FIELDS, data=data)


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
