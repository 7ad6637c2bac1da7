"""A JSON POST endpoint answered without the REST framework's request and response machinery
when nothing about the request needs it (check-eligibility: DRF's dispatch, Request.data and
Response rendering were about 15 % of a worker's CPU; bench/RESULTS.md).

direct_json_post wraps an APIView: a plain, valid request is parsed, validated, answered and
rendered by the same project code DRF would call (DecimalJSONParser, the view's serializer,
api_exception_handler, JSONRenderer), into the same status, bytes and headers; every other
request goes through DRF itself. tests/test_hot_path.py holds the two paths equal.
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

# The view's policies the direct path stands in for: any other and direct_json_post refuses.
_POLICIES = {
    "permission_classes": [ApiKeyWhenRequired],
    "throttle_classes": [ClientRateThrottle],
    "parser_classes": [DecimalJSONParser],
    "renderer_classes": [JSONRenderer],
}
_PARSER = DecimalJSONParser()
_RENDERER = JSONRenderer()


def direct_post_allowed(request) -> bool:
    """A POST of a bare application/json body (no charset or other parameter) that accepts
    JSON, with API keys off and no throttle rate: a request DRF would parse with
    DecimalJSONParser and answer with JSONRenderer, and that its key permission and throttle
    would let through without looking further."""
    return (
        request.method == "POST"
        and request.content_type == "application/json"
        and not request.content_params
        and plainly_accepted(request.META, "application/json")
        and not settings.API_KEY_REQUIRED
        and ClientRateThrottle().get_rate() is None
    )


def direct_json_post(
    view_class, read: Callable[[Any], Any], answer: Callable[[Any, Any], dict]
) -> Callable:
    """view_class.as_view(), except that a request of direct_post_allowed whose body `read`
    accepts is answered with `answer(read(data), request)` here. Anything else, and every body
    that is not JSON or that `read` refuses (nothing read or written yet), goes through DRF.
    An exception of `answer`, or a body over the size limit, is answered by the API's exception
    handler, as DRF would answer it."""
    if any(getattr(view_class, name) != value for name, value in _POLICIES.items()):
        raise TypeError(f"{view_class.__name__}: direct_json_post assumes the default policies")
    drf_view = view_class.as_view()
    allow = ", ".join(view_class().allowed_methods)  # DRF's Allow header

    def rendered(body: Any, status: int, headers: dict[str, str]) -> HttpResponse:
        response = HttpResponse(
            _RENDERER.render(body), status=status, content_type=_RENDERER.media_type
        )
        response["Allow"] = allow
        for name, value in headers.items():
            response[name] = value
        return response

    def as_error(exc: Exception, request) -> HttpResponse:
        error = api_exception_handler(exc, {"view": None, "request": request})
        headers = {k: v for k, v in error.items() if k != "Content-Type"}
        return rendered(error.data, error.status_code, headers)

    def view(request, *args, **kwargs):
        if not direct_post_allowed(request):
            return drf_view(request, *args, **kwargs)
        try:
            raw = request.body
        except RequestDataTooBig as exc:  # a chunked body over the limit
            return as_error(exc, request)
        try:
            parsed = read(_PARSER.parse(BytesIO(raw)))
        except (ParseError, ValidationError):
            return drf_view(request, *args, **kwargs)
        request.api_key_name = None  # what ApiKeyWhenRequired leaves with keys off
        try:
            return rendered(answer(parsed, request), 200, {})
        except Exception as exc:  # what DRF's handle_exception gives the exception handler
            return as_error(exc, request)

    return wraps(drf_view)(view)
