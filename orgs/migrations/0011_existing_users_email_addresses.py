"""Every account from before django-allauth gets its address recorded as verified.

They signed up before verification existed and have used Waymark since: they keep
creating organisations and inviting people as before. New accounts verify first.
"""

from django.db import migrations


def record_existing_addresses(apps, schema_editor):
    User = apps.get_model("orgs", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    known = set(EmailAddress.objects.values_list("user_id", flat=True))
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user_id=user_id, email=email.lower(), primary=True, verified=True)
            for user_id, email in User.objects.values_list("id", "email").iterator()
            if user_id not in known
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0010_organisation_sso_and_two_factor"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(record_existing_addresses, migrations.RunPython.noop)]
