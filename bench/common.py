"""Shared helpers of the benchmarks: throw-away databases, the environment the service is run
with, the cached sample files, process memory, statistics and the machine description.

Every database a benchmark makes is named credit_bench_<pid>_<purpose> and dropped at the end;
nothing else on the server is touched.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_DATA_DIR = Path(os.environ.get("BENCH_DATA_DIR", "/tmp/credit-bench-data"))

PGHOST = os.environ.get("PGHOST", "127.0.0.1")
PGPORT = os.environ.get("PGPORT", "5432")
PGUSER = os.environ.get("PGUSER", "postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")

DB_PREFIX = "credit_bench_"
# One id per benchmark run, inherited by the processes it starts: names its databases and queue.
RUN_ID = os.environ.setdefault("BENCH_RUN_ID", str(os.getpid()))


# --- databases ----------------------------------------------------------------------------------


def database_url(name: str) -> str:
    return f"postgres://{PGUSER}@{PGHOST}:{PGPORT}/{name}"


def _admin_connection():
    import psycopg2

    conn = psycopg2.connect(host=PGHOST, port=PGPORT, user=PGUSER, dbname="postgres")
    conn.autocommit = True
    return conn


def bench_db_name(purpose: str) -> str:
    return f"{DB_PREFIX}{RUN_ID}_{purpose}"


def create_database(name: str) -> None:
    if not name.startswith(DB_PREFIX):
        raise ValueError(f"benchmarks only make databases named {DB_PREFIX}*")
    conn = _admin_connection()
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def drop_database(name: str) -> None:
    if not name.startswith(DB_PREFIX):
        raise ValueError(f"benchmarks only drop databases named {DB_PREFIX}*")
    conn = _admin_connection()
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def service_env(db_name: str, **extra: str) -> dict[str, str]:
    """The environment the service's processes get: this database, a fresh secret, no debug,
    quiet logs, and a Celery queue of our own (other workers on the same Redis never see it)."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(db_name),
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_DEBUG="false",
        DJANGO_LOG_LEVEL="WARNING",
        CELERY_BROKER_URL=REDIS_URL,
        CELERY_RESULT_BACKEND=REDIS_URL,
        CELERY_TASK_DEFAULT_QUEUE=f"credit-bench-{RUN_ID}",
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def migrate(db_name: str) -> None:
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=service_env(db_name),
        check=True,
        stdout=subprocess.DEVNULL,
    )


@contextmanager
def fresh_database(purpose: str, *, migrated: bool = True, keep: bool = False):
    """A new database (migrated unless told otherwise), dropped on exit unless keep."""
    name = bench_db_name(purpose)
    create_database(name)
    try:
        if migrated:
            migrate(name)
        yield name
    finally:
        if not keep:
            drop_database(name)


def setup_django(db_name: str) -> None:
    """Configure this process as the service would be for db_name (call once, before imports
    of project modules that touch settings)."""
    os.environ.update(service_env(db_name))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- sample files -------------------------------------------------------------------------------


def data_dir_for(base: Path, customers: int, loans: int, seed: int) -> Path:
    return base / f"c{customers}_l{loans}_s{seed}"


def ensure_sample_files(base: Path, customers: int, loans: int, seed: int = 1) -> Path:
    """The project's generator's files for this size, made once and reused (cached under base).

    Generation needs loan_end_date() from a migrated database: a throw-away one is made.
    """
    target = data_dir_for(base, customers, loans, seed)
    if (target / "meta.json").is_file():
        return target
    base.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + f".partial{RUN_ID}")
    shutil.rmtree(partial, ignore_errors=True)
    print(
        f"generating {customers:,} customers / {loans:,} loans into {target} "
        "(once; reused afterwards)",
        file=sys.stderr,
        flush=True,
    )
    started = time.perf_counter()
    with fresh_database("gen") as db:
        subprocess.run(
            [PYTHON, "manage.py", "generate_sample_data", "--customers", str(customers),
             "--loans", str(loans), "--seed", str(seed), "--out", str(partial)],
            cwd=ROOT, env=service_env(db), check=True, stdout=sys.stderr,
        )  # fmt: skip
    meta = {
        "customers": customers,
        "loans": loans,
        "seed": seed,
        "generated_seconds": round(time.perf_counter() - started, 1),
        "bytes": {p.name: p.stat().st_size for p in partial.glob("*.xlsx")},
    }
    (partial / "meta.json").write_text(json.dumps(meta, indent=2))
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


# --- processes ----------------------------------------------------------------------------------


def proc_status_kib(pid: int | str, field: str) -> int | None:
    """A kB field of /proc/<pid>/status (VmRSS, VmHWM), or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def peak_rss_mib(pid: int | str = "self") -> float:
    kib = proc_status_kib(pid, "VmHWM")
    return round((kib or 0) / 1024, 1)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- child processes: each phase of a benchmark runs in its own process ----------------------

RESULT_MARK = "BENCH_RESULT "
SQL_DIR = Path(__file__).resolve().parent / "sql"


def bench_sql(name: str) -> str:
    """Text of bench/sql/<name>.sql."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def print_result(result: dict) -> None:
    """What a child phase prints: one RESULT_MARK line of JSON, read by run_phase."""
    print(RESULT_MARK + json.dumps(result, default=str), flush=True)


def run_phase(command: list[str], env: dict[str, str], what: str) -> dict:
    """Run a child phase and return its result; its output goes to stderr when it fails."""
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    sys.stderr.write(done.stdout + done.stderr)
    raise RuntimeError(f"phase {what} failed (exit {done.returncode})")


# --- the API server ---------------------------------------------------------------------------


# The shipped serving setup (config/gunicorn.conf.py) as a Gunicorn worker class: "2xshippedx4"
# in bench/api.py is 2 workers x 4 threads of it.
SHIPPED = "shipped"


class Gunicorn:
    def __init__(self, db: str, workers: int, worker_class: str, threads: int) -> None:
        self.port = free_port()
        self.log = open(ROOT / "bench" / "out" / "gunicorn.log", "ab")  # noqa: SIM115
        # Metrics of all workers in files, emptied at each start, as docker/entrypoint.sh does.
        self.multiproc = tempfile.mkdtemp(prefix="credit-bench-prometheus-")
        env = service_env(db, PROMETHEUS_MULTIPROC_DIR=self.multiproc)
        if worker_class == SHIPPED:
            # The web role's own command line and configuration (docker/entrypoint.sh).
            command = [PYTHON, "-m", "gunicorn", "--config", "config/gunicorn.conf.py"]
            env.update(PORT=str(self.port), WEB_CONCURRENCY=str(workers), WEB_THREADS=str(threads))
        else:
            command = [
                PYTHON, "-m", "gunicorn", "config.wsgi:application",
                "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                "--worker-class", worker_class, "--threads", str(threads),
                "--log-level", "warning", "--worker-tmp-dir", "/dev/shm",
                "--no-control-socket", "--timeout", "30",
            ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited; see bench/out/gunicorn.log")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /health in time")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(p) for p in children.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.multiproc, ignore_errors=True)


# --- statistics ---------------------------------------------------------------------------------


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(q / 100 * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def verdict(ok: bool) -> str:
    return "HOLDS" if ok else "MISSED"


# --- the machine --------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    def first(path: str, key: str) -> str:
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "?"

    pg = "?"
    try:
        conn = _admin_connection()
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            pg = cur.fetchone()[0]
            cur.execute("SELECT name, setting, unit FROM pg_settings WHERE name IN "
                        "('shared_buffers','work_mem','maintenance_work_mem','max_wal_size',"
                        "'synchronous_commit')")  # fmt: skip
            settings = ", ".join(f"{n}={s}{u or ''}" for n, s, u in cur.fetchall())
        conn.close()
        pg = f"{pg} ({settings})"
    except Exception as exc:
        pg = f"unavailable: {exc}"
    return {
        "cpus": str(os.cpu_count()),
        "cpu": first("/proc/cpuinfo", "model name"),
        "memory": first("/proc/meminfo", "MemTotal"),
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "postgresql": pg,
        "kernel": platform.release(),
    }


def code_fingerprint() -> str:
    """Which version of the service was measured: the commit, whether the tree had changes, and
    a hash of the files that matter here (the service's Python and SQL, settings)."""
    import hashlib

    digest = hashlib.sha256()
    for pattern in ("core/**/*.py", "sql/**/*.sql", "migrations_sql/**/*.sql", "config/*.py"):
        for path in sorted(ROOT.glob(pattern)):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "core", "sql", "migrations_sql", "config"],
            cwd=ROOT, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
    except OSError:
        commit, dirty = "?", ""
    return f"{commit}{' + uncommitted changes' if dirty else ''}, files {digest.hexdigest()[:12]}"


def print_machine() -> dict[str, str]:
    info = machine()
    info["code"] = code_fingerprint()
    for key, value in info.items():
        print(f"  {key:13} {value}")
    return info
