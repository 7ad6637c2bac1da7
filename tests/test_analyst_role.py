"""The analyst role reads the two views and can neither read nor write the tables."""

import pytest
from django.db import ProgrammingError, connection, transaction

from tests.conftest import make_customer

pytestmark = pytest.mark.django_db


def as_analyst(sql: str):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE credit_analyst")
        cursor.execute(sql)
        return cursor.fetchall() if cursor.description else None


def test_analyst_reads_the_views():
    customer = make_customer()
    rows = as_analyst(
        "SELECT customer_id, credit_score FROM customer_credit_scores"
        f" JOIN customer_credit_features USING (customer_id) WHERE customer_id = {customer.pk}"
    )
    assert rows == [(customer.pk, 60)]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT phone_number FROM customers",
        "SELECT * FROM loans",
        "UPDATE customers SET first_name = 'x'",
        "INSERT INTO customers (first_name) VALUES ('x')",
        "DELETE FROM loans",
        "SELECT * FROM ingestion_runs",
    ],
)
def test_analyst_cannot_touch_the_tables(sql):
    make_customer()
    with pytest.raises(ProgrammingError, match="permission denied"):
        as_analyst(sql)
