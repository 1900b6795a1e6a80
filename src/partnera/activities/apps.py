from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "partnera.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        # This domain's timeline sources and "My day" panels (core and sales registries).
        from partnera.activities import registry

        registry.register()
