"""The ledger in SQL: repayments' foreign key, loan_schedule() and friends, loan_balances, and
customer_credit_features version 2 (repayment points fed by recorded payments)."""

from django.db import migrations

from core.sqlfiles import run_sql_files


class Migration(migrations.Migration):
    dependencies = [("core", "0008_repayments")]

    operations = [
        run_sql_files(
            forward=[
                "migrations_sql/0009_loan_ledger.up.sql",
                "sql/loan_ledger_v1.sql",
                "sql/loan_balances_v1.sql",
                "sql/customer_credit_features_v2.sql",
            ],
            reverse=[
                "migrations_sql/0009_loan_ledger.down.sql",
                "sql/customer_credit_features_v1.sql",
                "sql/customer_credit_scores_v1.sql",
                "sql/analyst_role_v1.sql",
            ],
        ),
    ]
