"""The cell rules of ingestion, version 3 (sql/ingestion_cells_v3.sql): whole numbers are
staged as bigint and judged by ingest_integer_problem; each rule passes a valid cell first and
is IMMUTABLE (the date rule takes its range reason as text), so it can be a generated column."""

from django.db import migrations

from core.sqlfiles import run_sql_files


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0016_debt_triggers_always"),
    ]

    operations = [
        run_sql_files(
            forward=[
                "migrations_sql/0014_ingestion_cells_v2.down.sql",
                "sql/ingestion_cells_v3.sql",
            ],
            reverse=[
                "migrations_sql/0017_ingestion_cells_v3.down.sql",
                "sql/ingestion_cells_v2.sql",
            ],
        ),
    ]
