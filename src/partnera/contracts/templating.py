"""The contract text template of a contract type: plain text with {placeholders}.

Filling is a plain substitution of known names (never `str.format`, which reaches into
attributes, and never a template language an administrator could program): an unknown
{name} stays as it is written, and the settings page refuses a template that uses one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PLACEHOLDER = re.compile(r"\{([a-z_]{1,40})\}")

PLACEHOLDERS = {
    "number": gettext_lazy("the contract's number"),
    "title": gettext_lazy("its title"),
    "client": gettext_lazy("the client's legal name"),
    "client_eik": gettext_lazy("the client's EIK/BULSTAT"),
    "client_address": gettext_lazy("the client's registered address"),
    "signatory": gettext_lazy("who signs for the client"),
    "our_company": gettext_lazy("our legal name"),
    "our_eik": gettext_lazy("our EIK/BULSTAT"),
    "our_address": gettext_lazy("our registered address"),
    "our_representative": gettext_lazy("who signs for us"),
    "start_date": gettext_lazy("the start"),
    "end_date": gettext_lazy("the end"),
    "notice_days": gettext_lazy("the notice period in days"),
    "value": gettext_lazy("the value"),
    "currency": gettext_lazy("its currency"),
    "payment_days": gettext_lazy("the payment term in days"),
    "payment_terms": gettext_lazy("the payment terms"),
    "special_conditions": gettext_lazy("the special conditions"),
    "signed_on": gettext_lazy("the signing date"),
}


def fill(template: str, values: Mapping[str, str]) -> str:
    """The template with every known placeholder replaced by its value (an empty one by "—")."""

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            return match.group(0)
        value = values.get(name)
        return str(value) if value not in (None, "") else "—"

    return PLACEHOLDER.sub(replace, template or "")


def unknown_placeholders(template: str) -> list[str]:
    return sorted({name for name in PLACEHOLDER.findall(template or "") if name not in PLACEHOLDERS})


def template_problems(template: str) -> list[str]:
    unknown = unknown_placeholders(template)
    if not unknown:
        return []
    return [_("Unknown placeholders: %(unknown)s. Use only: %(known)s.") % {
        "unknown": ", ".join(f"{{{name}}}" for name in unknown),
        "known": ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)}]
