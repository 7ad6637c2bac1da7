"""JSON rendering that can carry a fragment PostgreSQL already rendered (a statement's lines)."""

from __future__ import annotations

import json

from rest_framework.renderers import JSONRenderer


class RawJSON(str):
    """Text that is already valid JSON: rendered as is, not as a string."""


class SplicingJSONRenderer(JSONRenderer):
    """DRF's JSONRenderer, except that top-level RawJSON values of an object are written as
    they are (after the other keys), so a fragment built in SQL is never parsed and re-encoded.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if not isinstance(data, dict) or not any(isinstance(v, RawJSON) for v in data.values()):
            return super().render(data, accepted_media_type, renderer_context)
        plain = {k: v for k, v in data.items() if not isinstance(v, RawJSON)}
        head = super().render(plain, accepted_media_type, renderer_context)
        raw = b",".join(
            json.dumps(k).encode() + b":" + v.encode()
            for k, v in data.items()
            if isinstance(v, RawJSON)
        )
        return (head[:-1] + b"," if plain else b"{") + raw + b"}"
