"""ingest_date_problem declared STABLE (migrations_sql/0015_date_rule_stable.up.sql), so that a
database migrated before sql/ingestion_cells_v2.sql said so inlines the date rule too."""

from django.db import migrations

from core.sqlfiles import run_sql_files


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0014_ingestion_cells_v2"),
    ]

    operations = [
        run_sql_files(
            forward=["migrations_sql/0015_date_rule_stable.up.sql"],
            reverse=["migrations_sql/0015_date_rule_stable.down.sql"],
        ),
    ]
