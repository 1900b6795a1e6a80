from __future__ import annotations

from django.conf import settings

from partnera.core.visibility import can_see_confidential, is_administrator


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    return {
        "is_administrator": is_administrator(user),
        "sees_confidential": can_see_confidential(user),
        "LANGUAGES_AVAILABLE": settings.LANGUAGES,
    }
