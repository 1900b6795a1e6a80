from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "partnera.clients"
    label = "clients"
    verbose_name = _("Client base")

    def ready(self) -> None:
        # Register this domain's timeline sources and search provider with core's registries.
        from partnera.clients import importing, registry

        registry.register()
        # The kinds of import this domain offers (partnera.imports), and the vCard reader.
        importing.register()
