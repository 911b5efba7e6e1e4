import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("metrics", "0011_invited_owner")]

    operations = [
        migrations.AddField(
            model_name="metric",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
    ]
