"""The hand-written floors of bench/api.py: plain Django views (no REST framework, no
serializers) that send the same SQL as the service's endpoints on one cursor and answer with
json.dumps, in the service's process, settings and middleware.

Only the benchmark's server routes them (gunicorn bench.floor:application() or :shipped(),
whose URLconf is this module: the floors, then the service's own routes); config.urls never
does (tests/test_hot_path.py).
"""

from __future__ import annotations

import json
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

# Paths of the floors, each beside the endpoint whose SQL it sends.
PATHS = {
    "check-eligibility": "bench-floor/check-eligibility",
    "view-loan": "bench-floor/view-loan/<int:loan_id>",
    "view-loans": "bench-floor/view-loans/<int:customer_id>",
}


def statements() -> dict:
    """The service's own compiled queries (core/services/compiled.py), one id each."""
    from core.services.credit_score import report_query
    from core.services.loans import compiled_queries

    return {"report": report_query(), **compiled_queries()}


def _rows(cursor, query, value: int) -> list[dict]:
    cursor.execute(query.sql, query.bind(value))
    names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _answer(body, status: int = 200):
    from django.http import HttpResponse

    text = json.dumps(body, default=str)
    return HttpResponse(text, status=status, content_type="application/json")


def check_eligibility(request):
    from django.db import connection

    customer_id = json.loads(request.body)["customer_id"]
    with connection.cursor() as cursor:
        report = statements()["report"]
        cursor.execute(report.sql, report.bind(customer_id))
        row = cursor.fetchone()
    if row is None:
        return _answer({"error": "no such customer"}, 404)
    return _answer({"customer_id": customer_id, "report": list(row)})


def view_loan(request, loan_id: int):
    from django.db import connection

    with connection.cursor() as cursor:
        rows = _rows(cursor, statements()["loan"], loan_id)
    return _answer(rows[0]) if rows else _answer({"error": "no such loan"}, 404)


def view_loans(request, customer_id: int):
    from django.db import connection

    with connection.cursor() as cursor:
        if not _rows(cursor, statements()["customer_exists"], customer_id):
            return _answer({"error": "no such customer"}, 404)
        return _answer(_rows(cursor, statements()["active_loans"], customer_id))


def _urlpatterns() -> list:
    from django.urls import include, path
    from django.views.decorators.csrf import csrf_exempt

    views = {"check-eligibility": check_eligibility, "view-loan": view_loan}
    views["view-loans"] = view_loans
    return [
        *(path(route, csrf_exempt(views[name])) for name, route in PATHS.items()),
        path("", include("config.urls")),
    ]


def __getattr__(name: str):
    # The URL resolver asks for urlpatterns after Django is set up (the service's routes
    # import its models).
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


def application():
    """gunicorn's application factory: the service's, with this module as its URLconf."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    settings.ROOT_URLCONF = __name__
    return get_wsgi_application()


def shipped():
    """The same, served as the web role is shipped (config/serving.py: whole requests handed
    to a fixed pool of threads), for gunicorn --config config/gunicorn.conf.py."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    settings.ROOT_URLCONF = __name__
    from config.serving import application as served

    return served
