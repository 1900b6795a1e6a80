from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "partnera.clients"
    label = "clients"
    verbose_name = _("Client base")

    def ready(self) -> None:
        # Register this domain's timeline sources and search provider with core's registries.
        from partnera.clients import registry

        registry.register()
