"""JSON endpoints answered without the REST framework's request and response machinery when
nothing about the request needs it (check-eligibility: DRF's dispatch, Request.data and
Response rendering were about 15 % of a worker's CPU; bench/RESULTS.md, section 2).

direct_json_post (a POST with a JSON body) and direct_json_get (a GET by the route's ids) wrap
an APIView: a plain, valid request is parsed, validated, answered and rendered by the same
project code DRF would call (DecimalJSONParser, the view's serializer, api_exception_handler,
JSONRenderer), into the same status, bytes and headers; every other request goes through DRF
itself. tests/test_hot_path.py holds the two paths equal.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.renderers import JSONRenderer

from core.exceptions import api_exception_handler
from core.parsers import DecimalJSONParser
from core.permissions import ApiKeyWhenRequired
from core.renderers import plainly_accepted
from core.throttling import ClientRateThrottle

# The view's policies a direct path stands in for: with any other, _Direct refuses the view.
_POLICIES = {
    "permission_classes": [ApiKeyWhenRequired],
    "throttle_classes": [ClientRateThrottle],
    "parser_classes": [DecimalJSONParser],
    "renderer_classes": [JSONRenderer],
}
_PARSER = DecimalJSONParser()
_RENDERER = JSONRenderer()


def _open() -> bool:
    """API keys off and no throttle rate: ApiKeyWhenRequired and ClientRateThrottle would let
    any request through without looking further."""
    return not settings.API_KEY_REQUIRED and ClientRateThrottle().get_rate() is None


def direct_post_allowed(request) -> bool:
    """A POST of a bare application/json body (no charset or other parameter) that accepts
    JSON, with the API open (_open): a request DRF would parse with DecimalJSONParser and
    answer with JSONRenderer, and that its key permission and throttle would let through."""
    return (
        request.method == "POST"
        and request.content_type == "application/json"
        and not request.content_params
        and plainly_accepted(request.META, "application/json")
        and _open()
    )


def direct_get_allowed(request) -> bool:
    """A GET without a query string that accepts JSON, with the API open (_open)."""
    return (
        request.method == "GET" and plainly_accepted(request.META, "application/json") and _open()
    )


def allow_header(view_class) -> str:
    """The Allow header DRF sends for view_class: its methods, HEAD wherever GET is (as Django's
    View.setup() adds it to every request's view)."""
    view = view_class()
    if hasattr(view, "get") and not hasattr(view, "head"):
        view.head = view.get
    return ", ".join(view.allowed_methods)


class _Direct:
    """What the direct paths of one view share: the view through DRF, and the rendering of an
    answer or an exception into what DRF would send."""

    def __init__(self, view_class) -> None:
        if any(getattr(view_class, name) != value for name, value in _POLICIES.items()):
            raise TypeError(f"{view_class.__name__}: a direct path assumes the default policies")
        self.drf_view = view_class.as_view()
        self.allow = allow_header(view_class)

    def rendered(self, body: Any, status: int = 200, headers=None) -> HttpResponse:
        response = HttpResponse(
            _RENDERER.render(body), status=status, content_type=_RENDERER.media_type
        )
        response["Allow"] = self.allow
        for name, value in (headers or {}).items():
            response[name] = value
        return response

    def error(self, exc: Exception, request) -> HttpResponse:
        """The exception answered by the API's exception handler, as DRF's handle_exception
        would hand it over."""
        error = api_exception_handler(exc, {"view": None, "request": request})
        headers = {k: v for k, v in error.items() if k != "Content-Type"}
        return self.rendered(error.data, error.status_code, headers)

    def wrap(self, view: Callable) -> Callable:
        return wraps(self.drf_view)(view)


def direct_json_post(
    view_class, read: Callable[[Any], Any], answer: Callable[[Any, Any], dict]
) -> Callable:
    """view_class.as_view(), except that a request of direct_post_allowed whose body `read`
    accepts is answered with `answer(read(data), request)` here. Anything else, and every body
    that is not JSON or that `read` refuses (nothing read or written yet), goes through DRF.
    An exception of `answer`, or a body over the size limit, is answered by the API's exception
    handler, as DRF would answer it."""
    direct = _Direct(view_class)

    def view(request, *args, **kwargs):
        if not direct_post_allowed(request):
            return direct.drf_view(request, *args, **kwargs)
        try:
            raw = request.body
        except RequestDataTooBig as exc:  # a chunked body over the limit
            return direct.error(exc, request)
        try:
            parsed = read(_PARSER.parse(BytesIO(raw)))
        except (ParseError, ValidationError):
            return direct.drf_view(request, *args, **kwargs)
        request.api_key_name = None  # what ApiKeyWhenRequired leaves with keys off
        try:
            return direct.rendered(answer(parsed, request))
        except Exception as exc:  # what DRF's handle_exception gives the exception handler
            return direct.error(exc, request)

    return direct.wrap(view)


def direct_json_get(view_class, answer: Callable[..., Any]) -> Callable:
    """view_class.as_view(), except that a request of direct_get_allowed is answered with
    `answer(**kwargs)` (the route's arguments) here; anything else goes through DRF (HEAD,
    OPTIONS, other methods, query strings, other Accepts, keys on, a throttle rate). An
    exception of `answer` is answered by the API's exception handler, as DRF would answer it."""
    direct = _Direct(view_class)

    def view(request, *args, **kwargs):
        if not direct_get_allowed(request):
            return direct.drf_view(request, *args, **kwargs)
        request.api_key_name = None  # what ApiKeyWhenRequired leaves with keys off
        try:
            return direct.rendered(answer(**kwargs))
        except Exception as exc:  # what DRF's handle_exception gives the exception handler
            return direct.error(exc, request)

    return direct.wrap(view)
