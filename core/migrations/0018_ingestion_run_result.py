"""ingestion_runs.result: the record of what a succeeded run did, so that the row alone tells
how a run ended (runs that succeeded before get their row's counts:
migrations_sql/0018_ingestion_run_result.up.sql)."""

from django.db import migrations, models

from core.sqlfiles import read_sql


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0017_ingestion_cells_v3"),
    ]

    operations = [
        migrations.AddField(
            model_name="ingestionrun",
            name="result",
            field=models.JSONField(
                blank=True,
                db_comment="What a succeeded run did (its task's result, as ingest_data --wait reports it): run_id, rows_read, customer_rows and loan_rows (data rows of each file), customers_ and loans_inserted and _updated, rows_inserted, rows_updated, ids_remapped; null unless succeeded.",
                null=True,
            ),
        ),
        migrations.RunSQL(
            read_sql("migrations_sql/0018_ingestion_run_result.up.sql"), migrations.RunSQL.noop
        ),
        migrations.AddConstraint(
            model_name="ingestionrun",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "succeeded"), _negated=True),
                    ("result__isnull", False),
                    _connector="OR",
                ),
                name="ingestion_runs_succeeded_has_result",
            ),
        ),
    ]
