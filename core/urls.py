"""API routes: each path answers with and without a trailing slash, never with a redirect."""

from __future__ import annotations

from django.urls import path, register_converter

from core import views


class IdConverter:
    """A positive id that fits PostgreSQL's bigint; anything else is not a route (404)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > 2**63 - 1:
            raise ValueError("id out of range")
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")


def _both(route: str, view, name: str) -> list:
    return [path(route, view, name=name), path(f"{route}/", view, name=f"{name}-slash")]


urlpatterns = [
    *_both("register", views.RegisterView.as_view(), "register"),
    *_both("check-eligibility", views.CheckEligibilityView.direct_view(), "check-eligibility"),
    *_both("create-loan", views.CreateLoanView.as_view(), "create-loan"),
    *_both("view-loan/<id:loan_id>", views.ViewLoanView.direct_view(), "view-loan"),
    *_both("view-loans/<id:customer_id>", views.ViewLoansView.direct_view(), "view-loans"),
    *_both(
        "make-payment/<id:customer_id>/<id:loan_id>",
        views.MakePaymentView.as_view(),
        "make-payment",
    ),
    *_both(
        "view-statement/<id:customer_id>/<id:loan_id>",
        views.ViewStatementView.as_view(),
        "view-statement",
    ),
    *_both("health", views.HealthView.direct_view(), "health"),
    *_both("health/live", views.LiveView.direct_view(), "health-live"),
    *_both("health/ready", views.ReadyView.direct_view(), "health-ready"),
    *_both("metrics", views.MetricsView.as_view(), "metrics"),
    *_both("view-decision/<id:decision_id>", views.ViewDecisionView.direct_view(), "view-decision"),
    *_both("credit-score/<id:customer_id>", views.CreditScoreView.direct_view(), "credit-score"),
]
