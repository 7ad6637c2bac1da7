"""loans without the partial index on end_date of active loans: it served only the daily
maturity sweep, which reads loans once a day (a scan of 1M loans takes a fraction of a second),
and every insert of an active loan paid for it (about 0.7 s of a 1M-loan load:
bench/RESULTS.md)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0018_ingestion_run_result"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="loan",
            name="loans_active_end_date_idx",
        ),
    ]
