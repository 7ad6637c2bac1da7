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


def _client(
    port: int,
    make: RequestMaker,
    seed: int,
    start_at: float,
    deadline: float,
    max_requests: int,
    ok_statuses: frozenset[int],
    out: dict,
) -> None:
    rng = random.Random(seed)
    latencies = array("d")
    statuses: dict[int, int] = {}
    errors = 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_SECONDS)
    pause = start_at - time.perf_counter()
    if pause > 0:
        time.sleep(pause)
    first = last = time.perf_counter()
    sent = 0
    while sent < max_requests:
        method, path, body, *extra = make(rng)
        headers = {**HEADERS, **extra[0]} if extra else HEADERS
        began = time.perf_counter()
        if began >= deadline:
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
        sent += 1
        latencies.append((last - began) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
        if status and status not in ok_statuses:
            errors += 1
    conn.close()
    out.update(latencies=latencies, statuses=statuses, errors=errors, first=first, last=last)


def _process(
    port: int,
    make: RequestMaker,
    seeds: list[int],
    start_at: float,
    deadline: float,
    per_client: int,
    ok_statuses: frozenset[int],
    queue,
) -> None:
    outs = [{} for _ in seeds]
    threads = [
        threading.Thread(
            target=_client,
            args=(port, make, seed, start_at, deadline, per_client, ok_statuses, out),
            daemon=True,
        )
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
    per_client = max(1, max_requests // clients)
    seeds = [seed * 1000 + i for i in range(clients)]
    groups = [seeds[i::processes] for i in range(processes)]
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    # Start together, after every process has forked and made its threads.
    start_at = time.perf_counter() + 0.3
    deadline = start_at + seconds
    workers = [
        ctx.Process(
            target=_process,
            args=(port, make, group, start_at, deadline, per_client, ok_statuses, queue),
        )
        for group in groups
    ]
    for worker in workers:
        worker.start()
    outs = []
    for _ in workers:
        outs.extend(queue.get(timeout=seconds + 4 * TIMEOUT_SECONDS + 30))
    for worker in workers:
        worker.join()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    for out in outs:
        latencies.extend(out["latencies"])
        errors += out["errors"]
        for status, count in out["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    first = min(out["first"] for out in outs)
    last = max(out["last"] for out in outs)
    latencies.sort()
    return LoadResult(len(latencies), errors, last - first, latencies, statuses)
