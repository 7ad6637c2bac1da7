"""Test and benchmark support: the real web server (the command line the image runs), raw
HTTP over a socket, and a throw-away PostgreSQL cluster that can be frozen.

Used by tests/test_serving.py.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The web role's command line, as docker/entrypoint.sh runs it.
WEB_COMMAND = [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.conf.py"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebServer:
    """`gunicorn --config config/gunicorn.conf.py` on a free port, with the given environment."""

    def __init__(self, env: dict[str, str], log_path: Path, command=None) -> None:
        self.port = free_port()
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115
        full_env = {**env, "PORT": str(self.port)}
        self.process = subprocess.Popen(
            [arg.replace("{port}", str(self.port)) for arg in (command or WEB_COMMAND)],
            cwd=ROOT,
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, seconds: float = 60, path: str = "/schema") -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the web server exited:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the web server did not answer in time:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@contextmanager
def web_server(env: dict[str, str], log_path: Path, command=None, ready_path: str = "/schema"):
    server = WebServer(env, log_path, command)
    try:
        server.wait_ready(path=ready_path)
        yield server
    finally:
        server.stop()


# --- raw HTTP -----------------------------------------------------------------------------------


class Answer:
    def __init__(self, raw: bytes, seconds: float) -> None:
        self.raw = raw
        self.seconds = seconds
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2) if lines and lines[0] else ["", "0"]
        self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def __repr__(self) -> str:
        return f"Answer({self.status}, {self.raw[:300]!r}, {self.seconds:.2f}s)"


def exchange(port: int, data: bytes, timeout: float = 10.0, pause_after: float = 0.0) -> Answer:
    """Send `data` on a fresh connection and read until the server closes it (or the answer's
    Content-Length is complete)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if pause_after:
            time.sleep(pause_after)
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            received += chunk
            _, sep, body = received.partition(b"\r\n\r\n")
            if sep:
                length = Answer(received, 0).headers.get("content-length")
                if length is not None and len(body) >= int(length):
                    break
    return Answer(received, time.monotonic() - started)


def request(port: int, method: str, path: str, body: bytes = b"", timeout: float = 10.0) -> Answer:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return exchange(port, head.encode() + body, timeout=timeout)


# --- a throw-away PostgreSQL cluster ----------------------------------------------------------


def postgres_bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return candidates[-1].parent if candidates else None


class ThrowawayPostgres:
    """A PostgreSQL cluster of its own in a temporary directory, on a free port (never the
    machine's shared server), started with initdb/pg_ctl; `freeze()` SIGSTOPs its postmaster
    and every backend, `thaw()` SIGCONTs them."""

    def __init__(self) -> None:
        bindir = postgres_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL's initdb/pg_ctl are not installed")
        self.bindir = bindir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="credit-pg-"))
        self.data = self.dir / "data"
        # initdb refuses to run as root: run the cluster as the postgres account then.
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            account = pwd.getpwnam(self.user)
            os.chown(self.dir, account.pw_uid, account.pw_gid)

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> ThrowawayPostgres:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"),
                  "-w", "start")  # fmt: skip
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def processes(self) -> list[int]:
        postmaster = self.postmaster_pid()
        pids = [postmaster]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                pids.append(int(stat.parent.name))
        return pids

    def freeze(self) -> list[int]:
        pids = self.processes()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        return pids

    def thaw(self, pids: list[int] | None = None) -> None:
        for pid in pids or self.processes():
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def stop(self) -> None:
        try:
            self.thaw()
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except (OSError, subprocess.CalledProcessError, ValueError):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def service_env(database_url: str, **overrides: str) -> dict[str, str]:
    """The environment of a web server process of this repository against `database_url`."""
    import secrets

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "WEB_"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_DEBUG="false",
        DJANGO_LOG_LEVEL="WARNING",
        WEB_CONCURRENCY="1",
    )
    env.update(overrides)
    return env
