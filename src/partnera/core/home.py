"""The home page registry: each domain contributes panels to the user's start page ("My day").

A panel is `(order, template_name, context_function)`; the context function receives the user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class HomePanel:
    name: str
    order: int
    template: str
    context: Callable[..., dict]


_panels: dict[str, HomePanel] = {}


def register_home_panel(panel: HomePanel) -> None:
    _panels[panel.name] = panel


def home_panels(*, user) -> list[tuple[HomePanel, dict]]:
    return [(p, p.context(user=user)) for p in sorted(_panels.values(), key=lambda p: p.order)]
