"""The read-only analyst role (created when the migrating user may create roles)."""

from django.db import migrations

from core.sqlfiles import run_sql_files


class Migration(migrations.Migration):
    dependencies = [("core", "0004_ingestion_runs_and_cell_parsers")]

    operations = [
        run_sql_files(
            forward=["sql/analyst_role_v1.sql"],
            reverse=["migrations_sql/0005_analyst_role.down.sql"],
        ),
    ]
