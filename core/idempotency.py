"""The Idempotency-Key header on POSTs that change state: `@idempotent` on a view's handler.

    class CreateLoanView(APIView):
        @extend_schema(...)
        @idempotent
        def post(self, request): ...

With a key, the handler runs inside one transaction that holds the key
(core/services/idempotency.py); its first successful (2xx) answer is stored with the effect and
replayed byte for byte, with `Idempotent-Replayed: true`, to every retry with the same key and
request until the key expires. Without a key the handler runs as it would undecorated, unless
IDEMPOTENCY_REQUIRED (400). The OpenAPI schema documents the header and the 409/422 answers of
every decorated handler by itself (core/schema.py).
"""

from __future__ import annotations

import functools
import re

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from rest_framework.exceptions import ParseError

from core.models import IDEMPOTENCY_KEY_PATTERN
from core.permissions import idempotency_scope
from core.services import idempotency
from core.services.errors import IdempotencyKeyInvalid, IdempotencyKeyRequired

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


def _as_sent(answer: idempotency.Answer, *, replayed: bool) -> HttpResponse:
    response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    if replayed:
        response[REPLAYED_HEADER] = "true"
    return response


def _rendered(view, request, response) -> idempotency.Answer:
    """The handler's DRF Response rendered as DRF would send it (same renderer and context)."""
    response.accepted_renderer = request.accepted_renderer
    response.accepted_media_type = request.accepted_media_type
    response.renderer_context = view.get_renderer_context()
    response.render()
    return idempotency.Answer(response.status_code, response["Content-Type"], response.content)


def idempotent(handler):
    """Make an APIView handler that changes state honour the Idempotency-Key header."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(KEY_HEADER)
        if key is None:
            if settings.IDEMPOTENCY_REQUIRED:
                raise IdempotencyKeyRequired()
            return handler(view, request, *args, **kwargs)
        if not _KEY.fullmatch(key):
            raise IdempotencyKeyInvalid()
        body = request.data  # parsed first: a malformed body is refused before the key is held
        with transaction.atomic():
            try:
                claimed = idempotency.claim(
                    scope=idempotency_scope(request),
                    key=key,
                    method=request.method,
                    path=request.path.rstrip("/") or "/",
                    body=body,
                )
            except RecursionError as exc:  # the canonical form of a body nested near the limit
                raise ParseError("The request body is nested too deeply.") from exc
            if claimed.replay is not None:
                return _as_sent(claimed.replay, replayed=True)
            # An error raised by the handler rolls the whole transaction back: nothing stored.
            response = handler(view, request, *args, **kwargs)
            if not 200 <= response.status_code < 300:
                transaction.set_rollback(True)
                return response
            answer = _rendered(view, request, response)
            idempotency.store(claimed, answer)
        return _as_sent(answer, replayed=False)

    wrapper.idempotent = True
    return wrapper
