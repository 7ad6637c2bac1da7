"""The loans triggers that keep customers.current_debt fire ALWAYS, also in a session with
session_replication_role 'replica' (migrations_sql/0016_debt_triggers_always.up.sql)."""

from django.db import migrations

from core.sqlfiles import run_sql_files


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0015_date_rule_stable"),
    ]

    operations = [
        run_sql_files(
            forward=["migrations_sql/0016_debt_triggers_always.up.sql"],
            reverse=["migrations_sql/0016_debt_triggers_always.down.sql"],
        ),
    ]
