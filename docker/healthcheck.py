"""Container health check of the web role (the image's HEALTHCHECK).

Healthy while gunicorn answers GET /health: 200, or 503 when the database or broker is down
(a restart of the web container would not bring them back, and /health itself says which one
is down). No answer, a time-out or another 5xx is unhealthy. Standard library only, so it
starts fast and never imports Django.
"""

from __future__ import annotations

import http.client
import os
import sys


def host_header() -> str:
    """A name the service accepts: the first DJANGO_ALLOWED_HOSTS entry when it is a plain
    host name, else localhost (the default)."""
    first = os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")[0].strip()
    if first and first != "*" and not first.startswith("."):
        return first
    return "localhost"


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=8)
    try:
        conn.request("GET", "/health", headers={"Host": host_header()})
        status = conn.getresponse().status
    except OSError as exc:
        print(f"unhealthy: no answer on :{port} ({exc})")
        return 1
    finally:
        conn.close()
    if status < 500 or status == 503:
        print(f"alive: GET /health -> {status}")
        return 0
    print(f"unhealthy: GET /health -> {status}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
