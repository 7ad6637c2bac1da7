"""Per-client request throttling with a limit from the environment (API_THROTTLE_RATE)."""

from __future__ import annotations

import logging

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)


class ClientRateThrottle(SimpleRateThrottle):
    """At most API_THROTTLE_RATE requests (e.g. "100/minute") per client: per API key when one is
    sent, else per client address. Empty rate = no limit. A cache outage lets requests through:
    throttling protects the service, it must not take it down."""

    scope = "client"

    def __init__(self) -> None:  # the rate is read per request, so settings may change
        pass

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATE or None

    def get_cache_key(self, request, view) -> str:
        authorization = request.META.get("HTTP_AUTHORIZATION", "")
        keyword, _, key = authorization.partition(" ")
        if keyword.lower() == "api-key" and "." in key:
            ident = "key:" + key.partition(".")[0]
        else:
            ident = "addr:" + self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view) -> bool:
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except Exception as exc:
            logger.warning("throttle cache unavailable, request let through: %s", exc)
            return True
