"""What this domain adds to the core registries (timeline, "My day", record panels, search,
visibility). Called once from the app's ready()."""

from __future__ import annotations


def register() -> None:
    pass
