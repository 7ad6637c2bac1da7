"""OpenAPI schema hooks (drf-spectacular)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from core.idempotency import KEY_HEADER, REPLAYED_HEADER
from core.models import IDEMPOTENCY_KEY_CHARACTERS, IDEMPOTENCY_KEY_MAX_LENGTH
from core.serializers import ErrorSerializer


def one_path_per_endpoint(endpoints, **_):
    """Each route is served with and without a trailing slash; list it once, without."""
    return [
        (path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if path == "/" or not path.endswith("/")
    ]


class NumberFieldSchema(OpenApiSerializerFieldExtension):
    """A money or rate field is a JSON number with at most `decimal_places` decimals."""

    target_class = "core.serializers.NumberField"

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        # JSON Schema wants a number here (0.01 for two places); the API itself parses Decimal.
        schema["multipleOf"] = 10**-self.target.decimal_places
        return schema


class ApiSchema(AutoSchema):
    """DRF-spectacular's AutoSchema, plus what `@idempotent` handlers (core/idempotency.py)
    add to their operation: the Idempotency-Key request header, the Idempotent-Replayed answer
    header and the 409 / 422 answers of the key."""

    def _is_idempotent(self) -> bool:
        handler = getattr(self.view, self.method.lower(), None)
        return bool(getattr(handler, "idempotent", False))

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if not self._is_idempotent():
            return parameters
        required = settings.IDEMPOTENCY_REQUIRED
        key = OpenApiParameter(
            KEY_HEADER,
            # A character class and length bounds: the fuzz test's generator mishandles a
            # bounded quantifier of 255.
            {
                "type": "string",
                "pattern": f"^[{IDEMPOTENCY_KEY_CHARACTERS}]+$",
                "minLength": 1,
                "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH,
            },
            OpenApiParameter.HEADER,
            required=required,
            description="A key of the client's choosing (1-255 visible ASCII characters, e.g. a "
            "UUID) that makes retries of this request safe: the first successful answer is "
            "stored and replayed to every retry with the same key and request "
            f"(for IDEMPOTENCY_TTL). {'Required.' if required else 'Optional.'}",
        )
        replayed = OpenApiParameter(
            REPLAYED_HEADER,
            {"type": "string", "enum": ["true"]},
            OpenApiParameter.HEADER,
            response=[200, 201],
            description="Present (true) when the answer is the stored answer of an earlier "
            "request with the same Idempotency-Key.",
        )
        return [*parameters, key, replayed]

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._is_idempotent():
            for code, description in _IDEMPOTENCY_ERRORS.items():
                responses.setdefault(
                    code,
                    self._get_response_for_code(
                        OpenApiResponse(ErrorSerializer, description=description), code
                    ),
                )
        return responses


_IDEMPOTENCY_ERRORS = {
    "409": "Another request with this Idempotency-Key is in progress (request_in_progress, "
    "with Retry-After), or the operation's own conflict.",
    "422": "This Idempotency-Key was used for a different request (idempotency_key_reused).",
}
