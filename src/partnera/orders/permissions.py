"""Who may do what with an order they can see (seeing it is the selectors' rule).

- Taking orders (create, change the header and lines, confirm, start, close, cancel) is for the
  roles that work client records (account managers, key-account managers, heads of sales,
  administrators) on orders they may change (core.visibility.can_change).
- Recording and correcting deliveries is also logistics' work: a member of a logistics
  department records deliveries on the orders it sees (and may start their fulfilment). Nobody
  outside sales changes prices.
"""

from __future__ import annotations

from partnera.core.roles import DepartmentKind, Role
from partnera.core.visibility import can_change


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def may_take_orders(user) -> bool:
    """May the user enter new orders (for clients they see)?"""
    return _active(user) and (user.is_superuser
                              or user.role not in (Role.DEPARTMENT, Role.MARKETING))


def may_manage(user, order) -> bool:
    """May the user change the order (its header, lines, status)? `order` is one they see."""
    return may_take_orders(user) and can_change(user, order)


def is_logistics(user) -> bool:
    if not _active(user):  # an anonymous user has no role
        return False
    department = getattr(user, "department", None)
    return bool(user.role == Role.DEPARTMENT and department is not None
                and department.kind == DepartmentKind.LOGISTICS)


def may_fulfil(user, order) -> bool:
    """May the user record (or correct) deliveries of the order and start its fulfilment?"""
    return may_manage(user, order) or is_logistics(user)
