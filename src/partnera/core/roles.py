"""Roles and the rights each holds. Kept in core because the visibility rule reads them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    KEY_ACCOUNT_MANAGER = "key_account_manager", _("Key-account manager")
    HEAD_OF_SALES = "head_of_sales", _("Head of sales")
    MARKETING = "marketing", _("Marketing")
    DEPARTMENT = "department", _("Department member")
    ADMINISTRATOR = "administrator", _("Administrator")


class DepartmentKind(models.TextChoices):
    SALES = "sales", _("Sales")
    LOGISTICS = "logistics", _("Logistics")
    FINANCE = "finance", _("Finance")
    QUALITY = "quality", _("Quality")
    MARKETING = "marketing", _("Marketing")
    MANAGEMENT = "management", _("Management")


# Roles that work client records: they may change what they can see.
EDITOR_ROLES = frozenset(
    {Role.ACCOUNT_MANAGER, Role.KEY_ACCOUNT_MANAGER, Role.HEAD_OF_SALES, Role.ADMINISTRATOR}
)
# Roles that read the whole client base (segmentation, campaigns), without changing others' records.
READ_ALL_ROLES = frozenset({Role.ADMINISTRATOR, Role.MARKETING})
# Roles that hold the right to confidential fields (credit terms, financial notes).
CONFIDENTIAL_ROLES = frozenset(
    {Role.ADMINISTRATOR, Role.HEAD_OF_SALES, Role.KEY_ACCOUNT_MANAGER}
)
