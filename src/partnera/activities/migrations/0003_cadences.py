from django.db import migrations

# Key accounts hear from their manager every two weeks, corporate clients monthly, the rest quarterly.
DEFAULT_DAYS = {"key_account": 14, "corporate": 30, "standard": 90}


def forwards(apps, schema_editor):
    cadence = apps.get_model("activities", "ContactCadence")
    for tier, days in DEFAULT_DAYS.items():
        cadence.objects.get_or_create(tier=tier, defaults={"days": days})


class Migration(migrations.Migration):
    dependencies = [("activities", "0002_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
