import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0002_initial'),
        ('sales', '0003_offers'),
    ]

    operations = [
        migrations.AddField(
            model_name='order',
            name='close_reason',
            field=models.TextField(blank=True, max_length=2000, verbose_name='reason for closing short'),
        ),
        migrations.AddField(
            model_name='order',
            name='requested_date',
            field=models.DateField(blank=True, null=True, verbose_name='requested delivery date'),
        ),
        migrations.AddField(
            model_name='orderline',
            name='offer_line',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='sales.offerline', verbose_name='offer line'),
        ),
    ]
