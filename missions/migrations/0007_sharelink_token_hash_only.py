import core.tokens
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("missions", "0006_sharelink_token_hash")]

    operations = [
        migrations.RemoveField(model_name="sharelink", name="token"),
        migrations.AlterField(
            model_name="sharelink",
            name="token_hash",
            field=models.CharField(
                default=core.tokens.unknown_token_digest, max_length=64, unique=True
            ),
        ),
    ]
