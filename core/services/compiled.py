"""Queries the ORM writes once per process and then runs with one value (an id) on a cursor.

For the hot read paths (a decision's score, view-loan, view-loans): building a queryset costs
more CPU than PostgreSQL spends answering it (bench/RESULTS.md, section 2). The SQL is still the
ORM's own, from the same queryset the code would otherwise run, so it follows the models.
"""

from __future__ import annotations

from dataclasses import dataclass

# Stands for the id while a query is compiled: build the queryset with ANY_ID where the id goes.
ANY_ID = 987_654_321


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: tuple[object, ...]  # the query's own parameters; the id's place holds ANY_ID
    slot: int  # where the id goes among them

    def bind(self, value: int) -> list[object]:
        """The query's parameters with value in the id's place."""
        params = list(self.params)
        params[self.slot] = value
        return params


def compile_query(query) -> CompiledQuery:
    """The SQL and parameters of a django.db.models.sql.Query built with ANY_ID once."""
    sql, params = query.sql_with_params()
    slots = [i for i, p in enumerate(params) if type(p) is int and p == ANY_ID]
    if len(slots) != 1:
        raise RuntimeError(f"expected the id once among the parameters {params!r}")
    return CompiledQuery(sql, tuple(params), slots[0])
