from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "partnera.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Connects the auth signals that feed the audit log (failed logins, logins, logouts).
        from partnera.core import audit_hooks  # noqa: F401
