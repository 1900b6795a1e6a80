"""Helpers shared by Partnera's management commands (not a command: the name starts with _)."""

from __future__ import annotations

from django.core.management.base import CommandError

from partnera.core.errors import DomainError


def domain_error(exc: DomainError) -> CommandError:
    """A service's domain error as a one-line command error (exit code 1, no traceback)."""
    details = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.fields.items())
    return CommandError(f"{exc.message} {details}".strip())


def user_by_username(username: str):
    from partnera.people.selectors import user_get_by_username

    user = user_get_by_username(username=username)
    if user is None:
        raise CommandError(f"No user with the username “{username}”.")
    return user
