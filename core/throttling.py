"""Per-client request throttling with a limit from the environment (API_THROTTLE_RATE)."""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from core.permissions import VERIFIED_KEY_ATTRIBUTE

logger = logging.getLogger(__name__)

# While the cache is down every request would warn: warn at most once per this many seconds
# (per process), counting the requests let through in between.
CACHE_WARNING_INTERVAL_SECONDS = 60.0


class _RateLimitedWarning:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._last: float | None = None  # monotonic time of the last warning
        self._suppressed = 0

    def warn(self, exc: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            if self._last is not None and now - self._last < self.interval:
                self._suppressed += 1
                return
            suppressed, self._suppressed, self._last = self._suppressed, 0, now
        logger.warning(
            "throttle cache unavailable, requests let through (%d more since the last "
            "warning; next warning in %ds at the earliest): %s",
            suppressed,
            int(self.interval),
            exc,
        )


cache_unavailable = _RateLimitedWarning(CACHE_WARNING_INTERVAL_SECONDS)


class ClientRateThrottle(SimpleRateThrottle):
    """At most API_THROTTLE_RATE requests (e.g. "100/minute") per client: per API key when the
    permission verified one, else per client address (an Authorization header that was not
    verified, e.g. with API keys off, never opens a bucket of its own). Empty rate = no limit.
    A cache outage lets requests through: throttling protects the service, it must not take
    it down."""

    scope = "client"

    def __init__(self) -> None:  # the rate is read per request, so settings may change
        pass

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATE or None

    def get_cache_key(self, request, view) -> str:
        prefix = getattr(request, VERIFIED_KEY_ATTRIBUTE, None)
        ident = f"key:{prefix}" if prefix else "addr:" + self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view) -> bool:
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except Exception as exc:
            cache_unavailable.warn(exc)
            return True
