"""How the web role serves HTTP: gunicorn's asyncio worker reads every request whole, then a
fixed pool of threads runs Django's WSGI application on it.

    gunicorn --config config/gunicorn.conf.py          (docker/entrypoint.sh, bench/, tests/)

Why: a slow or stalled client must not hold what other clients need. The asyncio front reads
request heads and bodies for every connection at once and costs a stalled client nothing but
a socket; a thread is taken only by a request that has fully arrived. A head that has not
arrived within WEB_HEADER_TIMEOUT seconds, or a body within WEB_BODY_TIMEOUT, is answered 408;
a body over API_MAX_BODY_BYTES is answered 413 before it is read.

Why threads that live as long as the worker: Django keeps one database connection per thread
(CONN_MAX_AGE), so a fixed pool keeps WEB_THREADS persistent connections per worker process.
(Django's own ASGI handler would give each request a context of its own, and so a connection
of its own; gevent-style workers would do the same per greenlet.)

Every answer the server writes itself (malformed HTTP, time-outs, limits) is the service's
JSON error body, like every answer of the application.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

from gunicorn.asgi import protocol as gunicorn_protocol
from gunicorn.workers import gasgi

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# The answers the server itself gives: code and message of the JSON error body.
SERVER_ERRORS = {
    400: ("bad_request", "The request is not valid HTTP."),
    408: ("request_timeout", "The request did not arrive in time."),
    413: ("payload_too_large", "The request body is over the limit."),
    414: ("uri_too_long", "The request line is too long."),
    431: ("header_fields_too_large", "The request headers are too large."),
    500: ("server_error", "Internal server error."),
    501: ("not_implemented", "The request uses an HTTP feature this server does not implement."),
}


def error_body_bytes(status: int) -> bytes:
    """The JSON error body of an answer the server gives itself, compact like the application's."""
    code, message = SERVER_ERRORS.get(status, ("error", HTTPStatus(status).phrase))
    body = {"status": status, "code": code, "message": message}
    return json.dumps(body, separators=(",", ":")).encode()


def error_response_bytes(status: int, extra_headers=()) -> bytes:
    """A complete HTTP/1.1 response carrying the JSON error body, closing the connection."""
    body = error_body_bytes(status)
    head = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Cache-Control: no-store",
        *(f"{name}: {value}" for name, value in extra_headers),
        "Connection: close",
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def _seconds(name: str, default: float) -> float:
    value = float(os.environ.get(name, default))
    if value <= 0:
        raise ValueError(f"{name} must be a positive number of seconds")
    return value


HEADER_TIMEOUT = _seconds("WEB_HEADER_TIMEOUT", 10)
BODY_TIMEOUT = _seconds("WEB_BODY_TIMEOUT", 10)
THREADS = int(os.environ.get("WEB_THREADS", "4"))


class JsonErrorProtocol(gunicorn_protocol.ASGIProtocol):
    """gunicorn's HTTP/1 protocol, with JSON error answers and a deadline for request heads."""

    def connection_made(self, transport):
        self._head_timer = None
        super().connection_made(transport)
        self._arm_head_timer()

    def _arm_head_timer(self) -> None:
        if self._head_timer is None and not self._closed:
            self._head_timer = self.worker.loop.call_later(HEADER_TIMEOUT, self._head_too_slow)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if not self._closed and self._current_request is None:
            self._send_error_response(408, "")
            self._close_transport()

    def data_received(self, data):
        # A new request head starts (the first one, or the next on a kept-alive connection).
        if self._current_request is None:
            self._arm_head_timer()
        super().data_received(data)

    def _on_headers_complete(self):
        self._cancel_head_timer()
        return super()._on_headers_complete()

    def connection_lost(self, exc):
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _send_error_response(self, status, message, extra_headers=()):
        # `message` may quote the request; it is not echoed back.
        self._safe_write(error_response_bytes(status, extra_headers))


class Worker(gasgi.ASGIWorker):
    """gunicorn's ASGI worker serving with JsonErrorProtocol (worker_class in gunicorn.conf)."""

    def init_process(self):
        # The worker creates its servers with the module's ASGIProtocol name.
        gasgi.ASGIProtocol = JsonErrorProtocol
        super().init_process()


# --- the ASGI application: whole requests, handed to Django on a fixed thread pool -----------


def _environ(scope: dict, body: bytes) -> dict:
    """The WSGI environ (PEP 3333) of an ASGI HTTP scope and its complete body."""
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    environ = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": scope.get("root_path", ""),
        # As every WSGI server: the percent-decoded bytes of the path, as latin-1 text.
        "PATH_INFO": unquote_to_bytes(raw_path.split(b"?", 1)[0]).decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": str(client[0]),
        "REMOTE_PORT": str(client[1]),
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").upper()
        if "_" in name:
            continue  # X_Forwarded_For must not pass for X-Forwarded-For
        value = raw_value.decode("latin-1")
        if name == "CONTENT_LENGTH":
            continue  # the body's real length, set above
        key = "CONTENT_TYPE" if name == "CONTENT-TYPE" else "HTTP_" + name.replace("-", "_")
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


class _BodyOverLimit(Exception):
    pass


class WsgiOnThreads:
    """ASGI application that reads each request whole (within BODY_TIMEOUT and the body
    limit) and then runs the WSGI application on one of `threads` long-lived threads."""

    def __init__(self, wsgi_app, threads: int, max_body: int, body_timeout: float) -> None:
        self.wsgi_app = wsgi_app
        self.max_body = max_body
        self.body_timeout = body_timeout
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="django")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1003})
            return
        try:
            body = await asyncio.wait_for(self._read_body(scope, receive), self.body_timeout)
        except _BodyOverLimit:
            await self._error(send, 413)
            return
        except TimeoutError:
            await self._error(send, 408)
            return
        if body is None:
            return  # the client went away
        environ = _environ(scope, body)
        # run_in_executor runs the call in the pool thread's own context (not a copy of this
        # task's), so Django's per-thread connection outlives the request (CONN_MAX_AGE).
        loop = asyncio.get_running_loop()
        status, headers, chunks = await loop.run_in_executor(self.pool, self._call, environ)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"".join(chunks)})

    async def _read_body(self, scope, receive) -> bytes | None:
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body:
                raise _BodyOverLimit
        parts, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _BodyOverLimit
            parts.append(chunk)
            if not message.get("more_body", False):
                return b"".join(parts)

    def _call(self, environ: dict):
        answer: list = []

        def start_response(status, headers, exc_info=None):
            answer[:] = [int(status.split(" ", 1)[0]), headers]
            return lambda data: chunks.append(data)

        chunks: list[bytes] = []
        iterable = self.wsgi_app(environ, start_response)
        try:
            chunks.extend(iterable)
        finally:
            if hasattr(iterable, "close"):
                iterable.close()
        status, headers = answer
        return (
            status,
            [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers],
            chunks,
        )

    async def _error(self, send, status: int) -> None:
        body = error_body_bytes(status)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.pool.shutdown(wait=True)
                await send({"type": "lifespan.shutdown.complete"})
                return


def _application() -> WsgiOnThreads:
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    from config import dbtimeouts

    wsgi_app = get_wsgi_application()
    dbtimeouts.install()
    return WsgiOnThreads(wsgi_app, THREADS, settings.API_MAX_BODY_BYTES, BODY_TIMEOUT)


application = _application()
