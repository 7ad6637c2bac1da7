"""A bounded closed-loop HTTP load generator in plain Python.

Each client is a thread holding one http.client connection (reconnected by http.client when
the server closes it), spread over up to 4 processes so one interpreter lock does not hold the
generator back. A run stops at its deadline or when every client has sent its share of
max_requests, whichever comes first.
"""

from __future__ import annotations

import http.client
import multiprocessing as mp
import os
import random
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

# (method, path, body or None[, extra headers]) for one request; given a seeded Random.
RequestMaker = Callable[[random.Random], tuple]
HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
TIMEOUT_SECONDS = 10


@dataclass
class LoadResult:
    requests: int
    errors: int  # transport errors and statuses outside ok_statuses
    seconds: float
    latencies_ms: list[float]  # sorted
    statuses: dict[int, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class _Plan:
    """What every client of one run shares."""

    port: int
    make: RequestMaker
    start_at: float  # perf_counter time at which every client starts
    deadline: float
    per_client: int  # requests at most
    ok_statuses: frozenset[int]


def _client(plan: _Plan, seed: int, out: dict) -> None:
    rng = random.Random(seed)
    latencies = array("d")
    statuses: Counter[int] = Counter()
    errors = 0
    conn = http.client.HTTPConnection("127.0.0.1", plan.port, timeout=TIMEOUT_SECONDS)
    time.sleep(max(0.0, plan.start_at - time.perf_counter()))
    first = last = time.perf_counter()
    for _ in range(plan.per_client):
        method, path, body, *extra = plan.make(rng)
        headers = {**HEADERS, **extra[0]} if extra else HEADERS
        began = time.perf_counter()
        if began >= plan.deadline:
            break
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            errors += 1
            status = 0
        last = time.perf_counter()
        latencies.append((last - began) * 1000)
        statuses[status] += 1
        if status and status not in plan.ok_statuses:
            errors += 1
    conn.close()
    out.update(latencies=latencies, statuses=statuses, errors=errors, first=first, last=last)


def _process(plan: _Plan, seeds: list[int], queue) -> None:
    outs = [{} for _ in seeds]
    threads = [
        threading.Thread(target=_client, args=(plan, seed, out), daemon=True)
        for seed, out in zip(seeds, outs, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(outs)


def run_load(
    port: int,
    make: RequestMaker,
    *,
    clients: int,
    seconds: float,
    max_requests: int,
    ok_statuses: frozenset[int] = frozenset({200, 201}),
    seed: int = 0,
) -> LoadResult:
    """Closed loop: `clients` connections each send a request as soon as the previous answer
    is read, for at most `seconds` and at most `max_requests` requests in all."""
    processes = max(1, min(clients, 4, os.cpu_count() or 1))
    seeds = [seed * 1000 + i for i in range(clients)]
    # Start together, after every process has forked and made its threads.
    start_at = time.perf_counter() + 0.3
    per_client = max(1, max_requests // clients)
    plan = _Plan(port, make, start_at, start_at + seconds, per_client, ok_statuses)
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    workers = [
        ctx.Process(target=_process, args=(plan, seeds[i::processes], queue))
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    outs = []
    for _ in workers:
        outs.extend(queue.get(timeout=seconds + 4 * TIMEOUT_SECONDS + 30))
    for worker in workers:
        worker.join()
    latencies = sorted(ms for out in outs for ms in out["latencies"])
    statuses = sum((out["statuses"] for out in outs), Counter())
    seconds_used = max(out["last"] for out in outs) - min(out["first"] for out in outs)
    errors = sum(out["errors"] for out in outs)
    return LoadResult(len(latencies), errors, seconds_used, latencies, dict(statuses))
