"""Every address an organisation has had: its current one, from now on kept when it
changes, so that no other organisation can take it."""

import django.db.models.deletion
from django.db import migrations, models


def record_current_slugs(apps, schema_editor):
    Organisation = apps.get_model("orgs", "Organisation")
    OrganisationSlug = apps.get_model("orgs", "OrganisationSlug")
    OrganisationSlug.objects.bulk_create(
        OrganisationSlug(organisation_id=pk, slug=slug)
        for pk, slug in Organisation.objects.values_list("pk", "slug").iterator()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0007_invitation_token_hash_only"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrganisationSlug",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("slug", models.SlugField(max_length=60, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="slugs",
                        to="orgs.organisation",
                    ),
                ),
            ],
            options={
                "ordering": ["slug"],
            },
        ),
        migrations.RunPython(record_current_slugs, migrations.RunPython.noop),
    ]
