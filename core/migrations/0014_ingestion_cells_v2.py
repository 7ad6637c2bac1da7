"""The cell rules of ingestion, version 2 (sql/ingestion_cells_v2.sql): the staging reads each
cell as its column's type in Python, so the text parsers of version 1 go, and one rule function
per kind of column takes the column's bounds."""

from django.db import migrations

from core.sqlfiles import run_sql_files


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0013_ingestion_attempts_and_loan_is_active"),
    ]

    operations = [
        run_sql_files(
            forward=["migrations_sql/0004_ingestion_cells.down.sql", "sql/ingestion_cells_v2.sql"],
            reverse=[
                "migrations_sql/0014_ingestion_cells_v2.down.sql",
                "migrations_sql/0004_ingestion_cells.up.sql",
            ],
        ),
    ]
