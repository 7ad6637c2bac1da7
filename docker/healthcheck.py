"""Container health checks of the web role.

    python docker/healthcheck.py          liveness (the image's HEALTHCHECK): GET /health/live
    python docker/healthcheck.py ready    readiness (compose's check of web): GET /health/ready

Liveness is healthy while gunicorn answers /health/live with 200. It checks no dependency: a
restart of the web container would not bring the database or the broker back, so their
outage must not make a runtime that restarts unhealthy containers restart this one.

Readiness is healthy while /health/ready answers 200: the database answers, every migration is
applied and the broker answers. It is what `docker compose up --wait` and `docker compose ps`
should show for web: whether it can serve requests now (compose never restarts on it).

No answer, a time-out or another status is unhealthy. Standard library only, so it starts fast
and never imports Django.
"""

from __future__ import annotations

import http.client
import os
import sys

PROBES = {"live": "/health/live", "ready": "/health/ready"}


def host_header() -> str:
    """A name the service accepts: the first DJANGO_ALLOWED_HOSTS entry when it is a plain
    host name, else localhost (the default)."""
    first = os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")[0].strip()
    if first and first != "*" and not first.startswith("."):
        return first
    return "localhost"


def main(argv: list[str]) -> int:
    probe = argv[0] if argv else "live"
    if probe not in PROBES:
        print(f"usage: healthcheck.py [{'|'.join(PROBES)}]")
        return 2
    path = PROBES[probe]
    port = int(os.environ.get("PORT", "8000"))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=8)
    try:
        conn.request("GET", path, headers={"Host": host_header()})
        response = conn.getresponse()
        status, body = response.status, response.read().decode("utf-8", "replace")
    except OSError as exc:
        print(f"unhealthy: no answer on :{port} ({exc})")
        return 1
    finally:
        conn.close()
    if status == 200:
        print(f"{probe}: GET {path} -> 200 {body}")
        return 0
    print(f"not {probe}: GET {path} -> {status} {body}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
