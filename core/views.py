"""HTTP endpoints: parse the request, call one service, render the answer."""

from __future__ import annotations

import json
from functools import wraps

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import serializers as s
from core.direct import allow_header, direct_json_get, direct_json_post
from core.idempotency import idempotent
from core.permissions import MetricsScraper
from core.renderers import SplicingJSONRenderer, plainly_accepted, representation
from core.services import (
    customers,
    decisions,
    eligibility,
    health,
    loans,
    monitoring,
    repayments,
)

_ERRORS = {
    400: OpenApiResponse(s.ErrorSerializer, description="Invalid or malformed input."),
    413: OpenApiResponse(s.ErrorSerializer, description="The body is over the size limit."),
    415: OpenApiResponse(s.ErrorSerializer, description="The body is not JSON."),
    503: OpenApiResponse(s.ErrorSerializer, description="The database is unreachable."),
}
_NOT_FOUND = {404: OpenApiResponse(s.ErrorSerializer, description="Unknown id.")}


def _id_parameter(name: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.INT64, OpenApiParameter.PATH)


def _caller(request: Request) -> dict:
    """Who asked, for the decision log: the request id (core.middleware) and, when API keys are
    required, the verified key's name (core.permissions)."""
    return {
        "request_id": getattr(request, "request_id", None),
        "api_key_name": getattr(request, "api_key_name", None),
    }


class RegisterView(APIView):
    """Registers a customer. The approved limit is 36 × the monthly income, rounded to the
    nearest lakh (100,000). A phone number already registered is answered 409."""

    @extend_schema(
        operation_id="register",
        request=s.RegisterRequestSerializer,
        responses={
            201: s.RegisterResponseSerializer,
            409: OpenApiResponse(s.ErrorSerializer, description="Phone number taken."),
            **_ERRORS,
        },
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = s.RegisterRequestSerializer.to_new_customer(request.data)
        customer = customers.register_customer(data)
        return Response(representation(s.RegisterResponseSerializer)(customer), status=201)


class CheckEligibilityView(APIView):
    """Decides on a loan without making it: the credit score, the rate it allows
    (corrected_interest_rate), the monthly installment and, on a decline, the reasons and a
    counter-offer. Each answered check is kept in the decision log (decision_id)."""

    @extend_schema(
        operation_id="check_eligibility",
        request=s.LoanRequestSerializer,
        responses={200: s.EligibilityResponseSerializer, **_NOT_FOUND, **_ERRORS},
    )
    def post(self, request: Request) -> Response:
        loan_request = s.LoanRequestSerializer.to_loan_request(request.data)
        return Response(self.answer(loan_request, request))

    @staticmethod
    def answer(loan_request, request) -> dict:
        outcome = decisions.check_eligibility(loan_request, **_caller(request))
        return representation(s.EligibilityResponseSerializer)(outcome)

    @classmethod
    def direct_view(cls):
        return direct_json_post(cls, s.LoanRequestSerializer.to_loan_request, cls.answer)


class CreateLoanView(APIView):
    """Decides on a loan as check-eligibility does and, when approved, makes it: 201 with its
    loan_id. A decline is 200 with loan_id null, its reasons and a counter-offer. Each decision
    is kept in the decision log (decision_id)."""

    @extend_schema(
        operation_id="create_loan",
        request=s.LoanRequestSerializer,
        responses={
            201: OpenApiResponse(s.CreateLoanResponseSerializer, description="Approved."),
            200: OpenApiResponse(s.CreateLoanResponseSerializer, description="Declined."),
            **_NOT_FOUND,
            **_ERRORS,
        },
    )
    @idempotent
    def post(self, request: Request) -> Response:
        loan_request = s.LoanRequestSerializer.to_loan_request(request.data)
        outcome = loans.create_loan(loan_request, **_caller(request))
        status = 201 if outcome.loan_id is not None else 200
        return Response(representation(s.CreateLoanResponseSerializer)(outcome), status=status)


class _ReadView(APIView):
    # A GET of one resource by the route's ids: answer(**ids) is the body, rendered by DRF
    # (get) or, for a plain request, without it (direct_view: core/direct.py). (A comment, not
    # a docstring: drf-spectacular would describe every subclass's operation by it.)

    @classmethod
    def direct_view(cls):
        return direct_json_get(cls, cls.answer)


class ViewLoanView(_ReadView):
    """One loan, with its customer."""

    @extend_schema(
        operation_id="view_loan",
        parameters=[_id_parameter("loan_id")],
        responses={200: s.LoanDetailSerializer, **_NOT_FOUND, 503: _ERRORS[503]},
    )
    def get(self, request: Request, loan_id: int) -> Response:
        return Response(self.answer(loan_id))

    @staticmethod
    def answer(loan_id: int) -> dict:
        return representation(s.LoanDetailSerializer)(loans.get_loan(loan_id))


class ViewLoansView(_ReadView):
    """The customer's active loans in loan_id order, each with its repayments left; an empty
    list when there are none."""

    @extend_schema(
        operation_id="view_loans",
        parameters=[_id_parameter("customer_id")],
        responses={200: s.LoanListItemSerializer(many=True), **_NOT_FOUND, 503: _ERRORS[503]},
    )
    def get(self, request: Request, customer_id: int) -> Response:
        return Response(self.answer(customer_id))

    @staticmethod
    def answer(customer_id: int) -> list:
        rows = loans.active_loans_of(customer_id)
        return representation(s.LoanListItemSerializer, many=True)(rows)


class MakePaymentView(APIView):
    """Records a payment of the loan's next unpaid installment: interest first, the rest
    lowers the balance. An amount below the installment's interest or above the payoff amount
    is refused (400, the answer names the payoff amount); a closed loan (paid off, or closed
    at its end date) takes no payment (409)."""

    @extend_schema(
        operation_id="make_payment",
        parameters=[_id_parameter("customer_id"), _id_parameter("loan_id")],
        request=s.MakePaymentRequestSerializer,
        responses={
            201: OpenApiResponse(s.PaymentResponseSerializer, description="Recorded."),
            409: OpenApiResponse(s.ErrorSerializer, description="The loan is closed."),
            **_NOT_FOUND,
            **_ERRORS,
        },
    )
    @idempotent
    def post(self, request: Request, customer_id: int, loan_id: int) -> Response:
        data = s.MakePaymentRequestSerializer.parse(request.data)
        result = repayments.make_payment(
            customer_id,
            loan_id,
            data["amount"],
            data.get("paid_on"),
            getattr(request, "request_id", None),
        )
        return Response(representation(s.PaymentResponseSerializer)(result), status=201)


class ViewStatementView(APIView):
    """The loan's statement: what was paid, what is owed, the payoff amount and every
    installment of its schedule with its status."""

    renderer_classes = [SplicingJSONRenderer]

    @extend_schema(
        operation_id="view_statement",
        parameters=[_id_parameter("customer_id"), _id_parameter("loan_id")],
        responses={200: s.StatementSerializer, **_NOT_FOUND, 503: _ERRORS[503]},
    )
    def get(self, request: Request, customer_id: int, loan_id: int) -> Response:
        statement = repayments.get_statement(customer_id, loan_id)
        return Response(representation(s.StatementSerializer)(statement))


class ViewDecisionView(_ReadView):
    """One decision of the decision log, as it was stored."""

    @extend_schema(
        operation_id="view_decision",
        parameters=[_id_parameter("decision_id")],
        responses={200: s.StoredDecisionSerializer, **_NOT_FOUND, 503: _ERRORS[503]},
    )
    def get(self, request: Request, decision_id: int) -> Response:
        return Response(self.answer(decision_id))

    @staticmethod
    def answer(decision_id: int) -> dict:
        return representation(s.StoredDecisionSerializer)(decisions.get_decision(decision_id))


class CreditScoreView(_ReadView):
    """The customer's credit score explained: the points of each component, the facts they
    come from, and the slab that sets the lowest rate allowed."""

    @extend_schema(
        operation_id="credit_score",
        parameters=[_id_parameter("customer_id")],
        responses={200: s.CreditScoreSerializer, **_NOT_FOUND, 503: _ERRORS[503]},
    )
    def get(self, request: Request, customer_id: int) -> Response:
        return Response(self.answer(customer_id))

    @staticmethod
    def answer(customer_id: int) -> dict:
        return representation(s.CreditScoreSerializer)(eligibility.explain_score(customer_id))


class _Probe(APIView):
    # A probe: no key, never throttled, and a plain GET answered without the REST framework's
    # request machinery (direct_view), in the bytes and headers its JSONRenderer would give.
    # (A comment: a docstring would describe every probe's operation in the schema.)

    permission_classes = [AllowAny]
    throttle_classes = []

    @classmethod
    def answer(cls) -> tuple[dict, int]:
        raise NotImplementedError

    def get(self, request: Request) -> Response:
        body, status = self.answer()
        return Response(body, status=status)

    @classmethod
    def direct_view(cls):
        """as_view(), except that a GET without a query string that accepts JSON (no Accept,
        */* or application/json) is answered here; anything else goes through DRF (HEAD,
        OPTIONS, 405, 406, ?format=)."""
        drf_view, allow = cls.as_view(), allow_header(cls)

        def view(request, *args, **kwargs):
            if request.method == "GET" and plainly_accepted(request.META, "application/json"):
                body, status = cls.answer()
                text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
                response = HttpResponse(
                    text.encode(), status=status, content_type="application/json"
                )
                response["Allow"] = allow
                return response
            return drf_view(request, *args, **kwargs)

        return wraps(drf_view)(view)


class HealthView(_Probe):
    """Whether the database and the broker answer: 200 when both do, 503 (degraded) when one
    does not. Each web process reuses its last probe for up to HEALTH_CACHE_SECONDS (a setting
    of the service), so the answer may be that old. No API key needed."""

    @extend_schema(
        operation_id="health",
        responses={200: s.HealthSerializer, 503: s.HealthSerializer},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    @classmethod
    def answer(cls) -> tuple[dict, int]:
        report = health.check_health()
        body = {
            "status": "ok" if report.ok else "degraded",
            "database": "ok" if report.database else "down",
            "broker": "ok" if report.broker else "down",
        }
        return body, 200 if report.ok else 503


class LiveView(_Probe):
    """Liveness: the process answers. No dependency is checked, so a database or broker outage
    never makes an orchestrator restart a healthy web process."""

    @extend_schema(operation_id="health_live", responses={200: s.LiveSerializer})
    def get(self, request: Request) -> Response:
        return super().get(request)

    @classmethod
    def answer(cls) -> tuple[dict, int]:
        return {"status": "ok"}, 200


class ReadyView(_Probe):
    """Readiness: this process can serve requests now (database reachable, every migration
    applied, broker reachable); 503 otherwise, so a load balancer sends traffic elsewhere."""

    @extend_schema(
        operation_id="health_ready",
        responses={200: s.ReadySerializer, 503: s.ReadySerializer},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    @classmethod
    def answer(cls) -> tuple[dict, int]:
        report = health.check_readiness()
        migrations = {True: "ok", False: "pending", None: "unknown"}[report.migrations]
        body = {
            "status": "ready" if report.ready else "not_ready",
            "database": "ok" if report.database else "down",
            "migrations": migrations,
            "broker": "ok" if report.broker else "down",
        }
        return body, 200 if report.ready else 503


class MetricsView(APIView):
    """Prometheus metrics, for the local and internal networks (no API key, not throttled)."""

    permission_classes = [MetricsScraper]
    throttle_classes = []

    @extend_schema(
        operation_id="metrics",
        responses={
            (200, "text/plain"): OpenApiResponse(
                OpenApiTypes.STR, description="Prometheus text exposition format 0.0.4."
            ),
            403: OpenApiResponse(
                s.ErrorSerializer, description="Not from an allowed network, or proxied."
            ),
        },
    )
    def get(self, request: Request) -> HttpResponse:
        return HttpResponse(monitoring.scrape(), content_type=monitoring.CONTENT_TYPE)
