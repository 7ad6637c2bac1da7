"""JSON rendering: fragments PostgreSQL already rendered (a statement's lines), and serializers'
representations without DRF's per-answer field copies."""

from __future__ import annotations

import json
from functools import cache

from rest_framework.negotiation import DefaultContentNegotiation
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


@cache
def representation(serializer_class, *, many: bool = False):
    """serializer_class(instance, many=many).data, as a function of the instance that skips
    what DRF repeats for every serializer it makes: one serializer, made and bound once per
    process, keeps its (nested) fields, and only its to_representation runs per answer. Its
    fields read the instance and keep no state of their own, so threads may share it."""
    serializer = serializer_class(many=many)
    (serializer.child if many else serializer).fields  # bind every field now  # noqa: B018
    return serializer.to_representation


class DirectContentNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation, answered at once in the common case: one renderer, no
    ?format= and an Accept header that is absent, */* or the renderer's own media type, which
    DRF would settle on too. Everything else goes through DRF's matching (406 included)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if len(renderers) == 1 and format_suffix is None:
            renderer = renderers[0]
            if plainly_accepted(request.META, renderer.media_type):
                return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)


def plainly_accepted(meta: dict, media_type: str) -> bool:
    """No query string (so no ?format=) and an Accept header that is absent, */* or exactly
    media_type: the request DRF's negotiation would answer in media_type without a doubt."""
    return not meta.get("QUERY_STRING") and meta.get("HTTP_ACCEPT", "*/*") in ("*/*", media_type)
