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


@register.filter
def checkbox_options(field) -> list[tuple[str, str, str, bool]]:
    """(value, label, id, checked) for each choice of a multiple-choice filter's bound field.

    The filter bars render these directly: going through the widget's templates costs a template
    render per option (≈0.25 ms each), and a list page's filters have dozens of options."""
    selected = {str(v) for v in (field.value() or [])}
    auto_id = field.auto_id
    options = []
    index = 0
    for value, label in field.field.choices:
        group = label if isinstance(label, list | tuple) else [(value, label)]
        for option_value, option_label in group:
            text = str(option_value)
            options.append((text, option_label, f"{auto_id}_{index}" if auto_id else "",
                            text in selected))
            index += 1
    return options
