from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "partnera.contracts"
    label = "contracts"
    verbose_name = _("Contracts")

    def ready(self) -> None:
        from partnera.contracts import registry

        registry.register()
