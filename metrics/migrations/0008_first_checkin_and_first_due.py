"""A metric keeps its first check-in (its starting point while it has no baseline) and
the day its first check-in is due, if someone chose one.

The data step fills the first check-in of metrics that have readings, and moves the due
date of metrics nobody has checked in on to a cadence after they were added (it followed
the baseline's date, so a new metric was overdue at once). The figures that follow from
the starting point are recomputed by `manage.py recompute_figures`, which `make run` and
compose's migrate service run after migrating.
"""

from datetime import timedelta

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

# metrics.models.CADENCE_DAYS, as it was when this migration was written.
CADENCE_DAYS = {"weekly": 7, "fortnightly": 14, "monthly": 30, "quarterly": 91}


def fill(apps, schema_editor):
    Metric = apps.get_model("metrics", "Metric")
    CheckIn = apps.get_model("metrics", "CheckIn")
    first = CheckIn.objects.filter(metric=OuterRef("pk"), is_current=True).order_by(
        "for_date", "created_at"
    )
    Metric.objects.filter(latest_on__isnull=False).update(
        first_value=Subquery(first.values("value")[:1]),
        first_on=Subquery(first.values("for_date")[:1]),
    )
    unchecked = Metric.objects.filter(latest_on__isnull=True).only("pk", "cadence", "created_at")
    changed = []
    for metric in unchecked.iterator():
        metric.next_due_on = metric.created_at.date() + timedelta(
            days=CADENCE_DAYS.get(metric.cadence, 30)
        )
        changed.append(metric)
    Metric.objects.bulk_update(changed, ["next_due_on"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0007_metric_trend"),
    ]

    operations = [
        migrations.AddField(
            model_name="metric",
            name="first_due_on",
            field=models.DateField(blank=True, null=True, verbose_name="first check-in due"),
        ),
        migrations.AddField(
            model_name="metric",
            name="first_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="metric",
            name="first_value",
            field=models.DecimalField(blank=True, decimal_places=4, max_digits=16, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
