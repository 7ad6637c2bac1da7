"""JSON parsing that keeps numbers exact and every key unique.

Floats become Decimal; NaN, Infinity and -Infinity become Decimal NaN/Infinity so that the
field that holds one names it in its own error (core.serializers.NumberField refuses them, and
every other field type refuses a Decimal); a key given twice in one object is refused.
"""

from __future__ import annotations

import json
from decimal import Decimal

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

_CONSTANTS = {
    "NaN": Decimal("NaN"),
    "Infinity": Decimal("Infinity"),
    "-Infinity": Decimal("-Infinity"),
}


def _constant(name: str) -> Decimal:
    return _CONSTANTS[name]


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    obj: dict = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"the key {key!r} appears more than once in one object")
        obj[key] = value
    return obj


class DecimalJSONParser(JSONParser):
    """Like DRF's JSONParser, but 12.34 arrives as Decimal("12.34"), never as a float, and
    {"a": 1, "a": 2} is malformed instead of silently meaning {"a": 2}."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            # The body is bounded (API_MAX_BODY_BYTES): read and decode it whole, which costs
            # less than a codec stream reader feeding json.load.
            text = stream.read().decode(encoding) if stream is not None else ""
            return json.loads(
                text,
                parse_float=Decimal,
                parse_constant=_constant,
                object_pairs_hook=_unique_keys,
            )
        except (ValueError, LookupError, RecursionError) as exc:
            raise ParseError(f"The request body is not valid JSON: {exc}") from exc
