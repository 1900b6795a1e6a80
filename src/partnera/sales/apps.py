from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "partnera.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        # This domain's timeline sources, "My day" panels and search documents (core registries).
        from partnera.sales import registry

        registry.register()
