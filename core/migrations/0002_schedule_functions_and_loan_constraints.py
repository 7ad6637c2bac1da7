"""credit_today(), the loan calendar functions, and the loans constraints Django cannot express."""

from django.db import migrations

from core.sqlfiles import run_sql_files


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        run_sql_files(
            forward=["sql/credit_today_v1.sql", "sql/loan_schedule_v1.sql"],
            reverse=["migrations_sql/0002_schedule_functions.down.sql"],
        ),
        run_sql_files(
            forward=["migrations_sql/0002_loans_constraints.up.sql"],
            reverse=["migrations_sql/0002_loans_constraints.down.sql"],
        ),
    ]
