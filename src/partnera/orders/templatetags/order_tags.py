"""Template helpers of the order pages."""

from __future__ import annotations

from django import template

from partnera.catalog.models import Unit

register = template.Library()


@register.filter
def unit_label(value: str) -> str:
    """The unit's name in the user's language ("piece" → "бр."), or the code as stored."""
    return str(dict(Unit.choices).get(value, value))
