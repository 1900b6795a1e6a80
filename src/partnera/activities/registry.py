"""What this domain contributes to core's registries (timeline, "My day", search)."""

from __future__ import annotations


def register() -> None:
    """Called once from AppConfig.ready()."""
