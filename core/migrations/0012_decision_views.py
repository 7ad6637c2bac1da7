"""Analysts' views of the decision log, version 2 of the score view (its over_limit column),
and version 2 of the analyst role (SELECT on the two new views, nothing on loan_decisions)."""

from django.db import migrations

from core.sqlfiles import run_sql_files


class Migration(migrations.Migration):
    dependencies = [("core", "0011_loan_decisions")]

    operations = [
        run_sql_files(
            forward=[
                "sql/customer_credit_scores_v2.sql",
                "sql/credit_day_v1.sql",
                "sql/decision_outcomes_daily_v1.sql",
                "sql/customer_latest_decision_v1.sql",
                "sql/analyst_role_v2.sql",
            ],
            reverse=[
                "migrations_sql/0012_decision_views.down.sql",
                "sql/customer_credit_scores_v1.sql",
                "sql/analyst_role_v1.sql",
            ],
        ),
    ]
