"""Template helpers shared by every domain's pages."""

from __future__ import annotations

from django import template
from django.utils.http import urlencode

from partnera.core.formatting import format_phone as _format_phone

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    request = context["request"]
    params = request.GET.copy()
    for key, value in kwargs.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    if "cursor" not in kwargs:
        params.pop("cursor", None)
    return params.urlencode()


@register.filter
def phone(value: str) -> str:
    return _format_phone(value) if value else ""


@register.simple_tag
def qs(**kwargs) -> str:
    return urlencode({k: v for k, v in kwargs.items() if v not in (None, "")})
