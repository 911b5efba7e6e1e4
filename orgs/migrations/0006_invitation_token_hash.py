"""Invitations keep a SHA-256 digest of their token, not the token (core.tokens).

Links already emailed keep working: each stored token is replaced by its digest, and a
link is looked up by the digest of the token it carries. The column is dropped in 0007,
in a transaction of its own (PostgreSQL refuses to alter a table with updates pending).
"""

from django.db import migrations, models


def hash_tokens(apps, schema_editor):
    from core.tokens import token_digest

    Invitation = apps.get_model("orgs", "Invitation")
    for invitation in Invitation.objects.only("pk", "token").iterator():
        Invitation.objects.filter(pk=invitation.pk).update(
            token_hash=token_digest(invitation.token)
        )


class Migration(migrations.Migration):
    dependencies = [("orgs", "0005_user_session_generation")]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="token_hash",
            field=models.CharField(max_length=64, null=True),
        ),
        migrations.RunPython(hash_tokens, migrations.RunPython.noop),
    ]
