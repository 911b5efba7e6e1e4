import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("orgs", "0012_number_format_and_text_limits")]

    operations = [
        migrations.AddField(
            model_name="team",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
    ]
