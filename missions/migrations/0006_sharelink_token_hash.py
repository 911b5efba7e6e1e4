"""Share links keep a SHA-256 digest of their token, not the token (core.tokens).

Links already handed out keep working: each stored token is replaced by its digest, and
a link is looked up by the digest of the token in its address. The column is dropped in
0007, in a transaction of its own (PostgreSQL refuses to alter a table with updates
pending).
"""

from django.db import migrations, models


def hash_tokens(apps, schema_editor):
    from core.tokens import token_digest

    ShareLink = apps.get_model("missions", "ShareLink")
    for link in ShareLink.objects.only("pk", "token").iterator():
        ShareLink.objects.filter(pk=link.pk).update(token_hash=token_digest(link.token))


class Migration(migrations.Migration):
    dependencies = [("missions", "0005_stored_figures")]

    operations = [
        migrations.AddField(
            model_name="sharelink",
            name="token_hash",
            field=models.CharField(max_length=64, null=True),
        ),
        migrations.RunPython(hash_tokens, migrations.RunPython.noop),
    ]
