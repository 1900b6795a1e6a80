from __future__ import annotations

import functools

from django.conf import settings

from partnera.core.roles import Role
from partnera.core.visibility import can_see_confidential, is_administrator


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    return {
        "is_administrator": is_administrator(user),
        "is_head_of_sales": bool(user and user.is_authenticated and user.role == Role.HEAD_OF_SALES),
        "sees_confidential": can_see_confidential(user),
        "LANGUAGES_AVAILABLE": settings.LANGUAGES,
        # The bell's count: one COUNT query, run only when a template shows it.
        "notifications_unread": _unread_counter(user),
    }


def _unread_counter(user):
    if user is None or not user.is_authenticated:
        return 0
    from partnera.core.notifications import unread_count

    return functools.partial(unread_count, user=user)
