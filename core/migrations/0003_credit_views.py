"""The analysts' views: customer_credit_features and customer_credit_scores, version 1."""

from django.db import migrations

from core.sqlfiles import run_sql_files


class Migration(migrations.Migration):
    dependencies = [("core", "0002_schedule_functions_and_loan_constraints")]

    operations = [
        run_sql_files(
            forward=["sql/customer_credit_features_v1.sql", "sql/customer_credit_scores_v1.sql"],
            reverse=["migrations_sql/0003_credit_views.down.sql"],
        ),
    ]
