"""Queries the ORM writes once per process and then runs with one value (an id), prepared
(core/statements.py), and model instances made from their rows as the ORM makes them.

For the hot read paths (a decision's score, view-loan, view-loans, view-decision): building a
queryset costs more CPU than PostgreSQL spends answering it (bench/RESULTS.md, section 2). The
SQL is still the ORM's own, from the same queryset the code would otherwise run, so it follows
the models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model

from core.statements import fetch_all, fetch_one

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

    def fetch_one(self, value: int) -> tuple | None:
        return fetch_one(self.sql, self.bind(value))

    def fetch_all(self, value: int) -> list[tuple]:
        return fetch_all(self.sql, self.bind(value))


def compile_query(query) -> CompiledQuery:
    """The SQL and parameters of a django.db.models.sql.Query built with ANY_ID once."""
    sql, params = query.sql_with_params()
    slots = [i for i, p in enumerate(params) if type(p) is int and p == ANY_ID]
    if len(slots) != 1:
        raise RuntimeError(f"expected the id once among the parameters {params!r}")
    return CompiledQuery(sql, tuple(params), slots[0])


@cache
def _concrete(model: type[Model]) -> tuple[list[str], list]:
    """The model's concrete field names in the ORM's column order, and (position, from_db_value)
    of the fields that convert what the database gives (a JSONField: jsonb text to a value)."""
    fields = model._meta.concrete_fields
    converters = [(i, f.from_db_value) for i, f in enumerate(fields) if hasattr(f, "from_db_value")]
    return [f.attname for f in fields], converters


def width(model: type[Model]) -> int:
    """How many columns of a row are the model's (its concrete fields)."""
    return len(_concrete(model)[0])


def from_row(model: type[Model], values: Sequence) -> Model:
    """The instance the ORM would make of values, a row of the model's concrete fields in
    their order: each converted by its field's from_db_value where it has one, then from_db."""
    names, converters = _concrete(model)
    if converters:
        values = list(values)
        for position, convert in converters:
            values[position] = convert(values[position], None, connection)
    return model.from_db(DEFAULT_DB_ALIAS, names, values)
