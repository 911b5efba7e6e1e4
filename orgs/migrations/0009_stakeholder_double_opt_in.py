"""Stakeholder digests after the stakeholder confirms by email (double opt-in), and who
added each stakeholder (for the limit on additions). Stakeholders who consented before
this wait for confirmation too: nobody had asked them."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orgs', '0008_organisation_slugs'),
    ]

    operations = [
        migrations.AddField(
            model_name='stakeholder',
            name='confirmation_sent_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='stakeholder',
            name='created_by',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='stakeholder',
            name='email_confirmed_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name='stakeholder',
            name='consent_to_email',
            field=models.BooleanField(default=False, help_text='Only stakeholders who have agreed are sent digests. Ticking this emails them to confirm; digests go once they have.', verbose_name='consents to email'),
        ),
    ]
