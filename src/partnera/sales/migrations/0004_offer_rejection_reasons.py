from django.conf import settings
from django.db import migrations


def forwards(apps, schema_editor):
    # The offer-rejection reasons (install_defaults seeds each list once, the others are kept).
    from partnera.sales.defaults import install_defaults

    install_defaults(apps, settings.LANGUAGE_CODE)


class Migration(migrations.Migration):
    dependencies = [("sales", "0003_offers")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
