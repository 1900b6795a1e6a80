"""What a new installation starts with: how often each tier of client should hear from its
manager (key accounts every two weeks, corporate clients monthly, the rest quarterly)."""

from __future__ import annotations

DEFAULT_DAYS = {"key_account": 14, "corporate": 30, "standard": 90}


def install_defaults(apps) -> None:
    """Create the cadences once (a migration calls it with historical models)."""
    cadence = apps.get_model("activities", "ContactCadence")
    for tier, days in DEFAULT_DAYS.items():
        cadence.objects.get_or_create(tier=tier, defaults={"days": days})
