from django.conf import settings
from django.db import migrations


def forwards(apps, schema_editor):
    from partnera.catalog.defaults import install_defaults

    install_defaults(apps, settings.LANGUAGE_CODE)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_product_search_text")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
