from django.conf import settings
from django.db import migrations


def forwards(apps, schema_editor):
    from partnera.contracts.defaults import install_defaults

    install_defaults(apps, settings.LANGUAGE_CODE)


class Migration(migrations.Migration):
    dependencies = [("contracts", "0002_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
