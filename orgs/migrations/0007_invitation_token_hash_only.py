import core.tokens
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("orgs", "0006_invitation_token_hash")]

    operations = [
        migrations.RemoveField(model_name="invitation", name="token"),
        migrations.AlterField(
            model_name="invitation",
            name="token_hash",
            field=models.CharField(
                default=core.tokens.unknown_token_digest, max_length=64, unique=True
            ),
        ),
    ]
