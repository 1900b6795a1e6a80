"""The company page's "Orders" panel (core.panels)."""

from __future__ import annotations

from partnera.orders import permissions, selectors

PANEL_SIZE = 10


def company_orders_panel(*, user, record) -> dict | None:
    """The latest orders of the company the user may see; None for a user who neither sees an
    order of it nor may take one."""
    orders = selectors.company_orders(user=user, company_id=record.pk, limit=PANEL_SIZE + 1)
    may_take = permissions.may_take_orders(user) and record.deleted_at is None
    if not orders and not may_take:
        return None
    return {"company": record, "orders": orders[:PANEL_SIZE], "more": len(orders) > PANEL_SIZE,
            "may_take": may_take}
