"""The service's own ids from 1,000,000,000 on (migrations_sql/0007_service_ids.up.sql), and
the digest of the files a run read (ingestion_runs.files_digest)."""

from django.db import migrations, models

from core.sqlfiles import run_sql_files


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_current_debt_guard_when"),
    ]

    operations = [
        migrations.AddField(
            model_name="ingestionrun",
            name="files_digest",
            field=models.CharField(
                blank=True,
                db_comment="SHA-256 of the customer file's bytes followed by the loan file's, taken when the run was enqueued (null for runs started without manage.py ingest_data): tells a rerun of the same files from one of changed files.",
                max_length=64,
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="ingestionrun",
            name="error_report",
            field=models.JSONField(
                blank=True,
                db_comment="Why a failed run failed: message, total problem count, the first 100 problems (file, row as Excel shows it, column, value, reason) and refused (true when the files themselves were refused, so the same files fail again).",
                null=True,
            ),
        ),
        # The comments of the two primary keys are set by the SQL file (COMMENT ON COLUMN):
        # Django's own AlterField would also re-declare their type, taking both tables'
        # ACCESS EXCLUSIVE locks and re-checking the foreign key for nothing.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="customer",
                    name="customer_id",
                    field=models.BigAutoField(
                        db_comment="Customer number: a file's Customer ID (1-999999999) as given, or from the identity sequence (from 1000000000 on) for customers registered through the API.",
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                migrations.AlterField(
                    model_name="loan",
                    name="loan_id",
                    field=models.BigAutoField(
                        db_comment="Loan number: a file's Loan ID (1-999999999) when free, else from the identity sequence (from 1000000000 on), as for loans made through the API.",
                        primary_key=True,
                        serialize=False,
                    ),
                ),
            ],
        ),
        run_sql_files(
            forward=["migrations_sql/0007_service_ids.up.sql"],
            reverse=["migrations_sql/0007_service_ids.down.sql"],
        ),
    ]
