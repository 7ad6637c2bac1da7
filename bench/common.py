"""What the benchmarks share: throw-away databases (credit_bench_<run id>_<purpose>, dropped at
the end), the service's environment and processes (Gunicorn, a Celery worker), the cached sample
files, phases in child processes, memory and CPU from /proc, statistics, the machine."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"  # logs and raw JSON figures (git-ignored)
PYTHON = sys.executable
DATA_DIR = Path(os.environ.get("BENCH_DATA_DIR", "/tmp/credit-bench-data"))  # sample files
PGHOST = os.environ.get("PGHOST", "127.0.0.1")
PGPORT = os.environ.get("PGPORT", "5432")
PGUSER = os.environ.get("PGUSER", "postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
DB_PREFIX = "credit_bench_"
# One id per benchmark run, inherited by the processes it starts: names its databases and queue.
RUN_ID = os.environ.setdefault("BENCH_RUN_ID", str(os.getpid()))

# --- databases and the service's environment ----------------------------------------------------


def connect(name: str = "postgres"):
    """A psycopg2 connection in autocommit mode."""
    import psycopg2

    conn = psycopg2.connect(host=PGHOST, port=PGPORT, user=PGUSER, dbname=name)
    conn.autocommit = True
    return conn


def query(db: str, sql: str, params: dict | None = None) -> list[tuple]:
    """Run one statement on its own autocommit connection; its rows, if it returns any."""
    with contextlib.closing(connect(db)) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []


def bench_sql(name: str) -> str:
    """Text of bench/sql/<name>.sql."""
    return (ROOT / "bench" / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def bench_db_name(purpose: str) -> str:
    return f"{DB_PREFIX}{RUN_ID}_{purpose}"


def drop_database(name: str, *, create: bool = False) -> None:
    """Drop the benchmark database name, then make it anew when create."""
    if not name.startswith(DB_PREFIX):
        raise ValueError(f"benchmarks only make and drop databases named {DB_PREFIX}*")
    query("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if create:
        query("postgres", f'CREATE DATABASE "{name}"')
        query("postgres", "CHECKPOINT")  # (the previous phase's dirty pages written now, not later)


def service_env(db_name: str, **extra: str) -> dict[str, str]:
    """The environment of the service's processes: this database, a fresh secret, no debug,
    quiet logs, and a Celery queue of our own (other workers on the same Redis never see it)."""
    return dict(
        os.environ, DATABASE_URL=f"postgres://{PGUSER}@{PGHOST}:{PGPORT}/{db_name}",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50), DJANGO_DEBUG="false",
        DJANGO_LOG_LEVEL="WARNING", CELERY_BROKER_URL=REDIS_URL, CELERY_RESULT_BACKEND=REDIS_URL,
        CELERY_TASK_DEFAULT_QUEUE=f"credit-bench-{RUN_ID}", PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="config.settings",
    ) | extra  # fmt: skip


def migrate(db_name: str) -> None:
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput"], cwd=ROOT,
                   env=service_env(db_name), check=True, stdout=subprocess.DEVNULL)  # fmt: skip


@contextlib.contextmanager
def fresh_database(purpose: str, *, migrated: bool = True):
    """A new database (migrated unless told otherwise), dropped on exit."""
    name = bench_db_name(purpose)
    drop_database(name, create=True)
    try:
        if migrated:
            migrate(name)
        yield name
    finally:
        drop_database(name)


def ensure_sample_files(customers: int, loans: int) -> Path:
    """The generator's files for this size (seed 1), made once in a throw-away database (for
    loan_end_date()) and cached in DATA_DIR; meta.json, written last, marks them complete."""
    target = DATA_DIR / f"c{customers}_l{loans}_s1"
    if not (target / "meta.json").is_file():
        print(f"generating the sample files into {target} (once)", file=sys.stderr, flush=True)
        with fresh_database("gen") as db:
            subprocess.run(
                [PYTHON, "manage.py", "generate_sample_data", "--customers", str(customers),
                 "--loans", str(loans), "--seed", "1", "--out", str(target)],
                cwd=ROOT, env=service_env(db), check=True, stdout=sys.stderr,
            )  # fmt: skip
        (target / "meta.json").write_text(json.dumps({"customers": customers, "loans": loans}))
    return target


# --- phases: each measurement runs in a child process of its own --------------------------------
# The parent runs `<script> --phase NAME [--db DB] [--data DIR]` in the service's environment
# (spawn_phase); common.main runs the phase there and prints its result as one RESULT_MARK line.

RESULT_MARK = "BENCH_RESULT "


def spawn_phase(script: str, phase: str, db: str | None = None, data: Path | None = None) -> dict:
    """Run a phase in a child and return its result; its output goes to stderr when it fails."""
    command = [PYTHON, script, "--phase", phase, *(["--db", db] if db else [])]
    command += ["--data", str(data)] if data else []
    done = subprocess.run(command, env=service_env(db or "postgres"), cwd=ROOT,
                          capture_output=True, text=True)  # fmt: skip
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    sys.stderr.write(done.stdout + done.stderr)
    raise RuntimeError(f"phase {phase} failed (exit {done.returncode})")


def arguments(doc: str) -> argparse.ArgumentParser:
    """The options both benchmarks take; the description is the first paragraph of doc."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds (medians reported)")
    return parser


def main(parser: argparse.ArgumentParser, phases: dict[str, Callable[..., dict]],
         orchestrate: Callable[[argparse.Namespace], int]) -> int:  # fmt: skip
    """A benchmark's entry point: the whole run, or in a child one phase, phases[phase](data, db),
    whose result is printed with the child's peak RSS."""
    parser.add_argument("--phase", choices=sorted(phases), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        import django

        django.setup()
        result = phases[args.phase](Path(args.data) if args.data else None, args.db)
        result["peak_rss_mib"] = rss_mib()
        print(RESULT_MARK + json.dumps(result, default=str), flush=True)
        return 0
    # A terminated benchmark still stops its processes and drops its databases (finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return orchestrate(args)


# --- /proc --------------------------------------------------------------------------------------


def rss_mib(pid: int | str = "self", field: str = "VmHWM") -> float:
    """A kB field of /proc/<pid>/status (VmHWM: the peak, VmRSS: now) in MiB; 0 once it is gone."""
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status", encoding="ascii") as status:
        kib = next((int(ln.split()[1]) for ln in status if ln.startswith(field + ":")), 0)
        return round(kib / 1024, 1)
    return 0.0


def cpu_seconds(pids: Iterable[int]) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each of pids still alive."""
    used = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


# --- the service's processes --------------------------------------------------------------------


class _Service:
    """A process of the service, logging to bench/out/<log>, stopped by SIGTERM."""

    def start(self, command: list[str], env: dict[str, str], log: str) -> None:
        OUT.mkdir(exist_ok=True)
        self.log = open(OUT / log, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT)  # fmt: skip

    def wait_until(self, ready: Callable[[], object], seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"exited or not ready in time: see {self.log.name}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Gunicorn(_Service):
    """gunicorn on a free port of the loopback, metrics of all workers in files emptied at each
    start (as docker/entrypoint.sh does). By default the web role as shipped
    (config/gunicorn.conf.py, 2 workers x 4 threads); `args` replace the config file (the API
    benchmark's sync workers)."""

    def __init__(self, db: str, args: Sequence[str] = (), log: str = "gunicorn.log",
                 **env: str) -> None:  # fmt: skip
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.multiproc = tempfile.mkdtemp(prefix="credit-bench-prometheus-")
        env = service_env(db, PROMETHEUS_MULTIPROC_DIR=self.multiproc, PORT=str(self.port),
                          WEB_CONCURRENCY="2", WEB_THREADS="4", **env)  # fmt: skip
        (OUT / log).unlink(missing_ok=True)
        self.start([PYTHON, "-m", "gunicorn", *(args or ["--config", "config/gunicorn.conf.py"]),
                    "--bind", f"127.0.0.1:{self.port}"], env, log)  # fmt: skip

    def wait_ready(self, seconds: float = 60) -> None:
        def answers() -> bool:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health/live").close()
                return True
            except OSError:
                return False

        self.wait_until(answers, seconds)

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in children.read_text().split()]

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.multiproc, ignore_errors=True)


class CeleryWorker(_Service):
    """A Celery worker of the project on the benchmark's own queue. --pool=solo: tasks run in
    this very process, so its VmHWM is the task's peak memory."""

    def __init__(self, db: str) -> None:
        self.env = service_env(db)
        self.queue, self.name = self.env["CELERY_TASK_DEFAULT_QUEUE"], f"bench{RUN_ID}@localhost"
        self.start([PYTHON, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q",
                    self.queue, "-n", self.name, "--loglevel=WARNING", "--without-gossip",
                    "--without-mingle", "--without-heartbeat"], self.env, "worker.log")  # fmt: skip

    def wait_ready(self, seconds: float = 90) -> None:
        from celery import Celery

        app = Celery(broker=self.env["CELERY_BROKER_URL"])
        try:
            self.wait_until(lambda: app.control.ping(destination=[self.name], timeout=1.0), seconds)
        finally:
            app.close()

    def stop(self) -> None:
        super().stop()
        import redis

        client = redis.Redis.from_url(self.env["CELERY_BROKER_URL"])
        client.delete(self.queue)  # a message left by a failed run must not wait for the next
        client.close()


# --- statistics and the machine -----------------------------------------------------------------


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(q / 100 * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def verdict(ok: bool) -> str:
    return "HOLDS" if ok else "MISSED"


def save_figures(prefix: str, **figures) -> None:
    """The run's raw figures, as JSON in bench/out/<prefix>-<time>.json."""
    OUT.mkdir(exist_ok=True)
    out = OUT / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(figures, indent=1, default=str))
    print(f"\nraw figures: {out.relative_to(ROOT)}")


def print_machine() -> dict[str, str]:
    """Print (and return) the machine, the server's settings and the code measured: its commit,
    and whether the service's files had changes."""

    def first(path: str, key: str) -> str:
        lines = Path(path).read_text().splitlines()
        return next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith(key)), "?")

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout

    dirty = git("status", "--porcelain", "--", "core", "sql", "migrations_sql", "config").strip()
    code = git("rev-parse", "--short", "HEAD").strip() + " + uncommitted changes" * bool(dirty)
    settings = query("postgres", bench_sql("server_settings"))
    pg = ", ".join(f"{n}={s}{u or ''}" for n, s, u in settings)
    info = {
        "cpus": str(os.cpu_count()), "cpu": first("/proc/cpuinfo", "model name"),
        "memory": first("/proc/meminfo", "MemTotal"), "python": platform.python_version(),
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()), "postgresql": pg,
        "code": code,
    }  # fmt: skip
    for key, value in info.items():
        print(f"  {key:13} {value}")
    return info
