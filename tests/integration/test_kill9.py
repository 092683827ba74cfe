#!/usr/bin/env python3
"""kill -9 durability test: a 2xx from POST /api/v1/import means the samples are durable.

Several writer threads POST JSON-lines batches continuously (each writer owns its series; every
sample has a distinct timestamp and a value derived from (series, timestamp)) and record exactly
which samples got a 2xx. At >= 20 seeded random moments the server is SIGKILLed (some of them a
few ms after a compaction was started), restarted on the same data directory, checked, and the
writers continue; a batch whose outcome is unknown is retried unchanged (as Prometheus would) or
abandoned, by a seeded coin. Checks, after every restart (one writer's series) and at the end
(everything, after a last kill and after a clean SIGTERM restart):
  - every acknowledged sample is present with its exact value;
  - no (series, timestamp) appears twice;
  - nothing is present that was never sent, and a sample that was sent but not acknowledged, if
    present, has the value that was sent.
Exit code 0 on success, 1 with a message naming the first violations otherwise.
"""

import hashlib
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402

SEED = int(os.environ.get("OPSIGHT_KILL9_SEED", "20251121"))
KILLS = int(os.environ.get("OPSIGHT_KILL9_KILLS", "20"))
WRITERS = 4
SERIES_PER_WRITER = 6
SAMPLES_PER_SERIES = 3  # per batch, so a batch is 18 samples in 6 lines
TIME_BUDGET_S = 160.0   # ctest must see us finish in < 3 minutes
REQUEST_TIMEOUT_S = 15.0
METRIC = "kill9_sample"


def value_of(w, j, t):
    """The value of series (w, j) at t: deterministic, and of several kinds (fractions, integers,
    tiny and huge magnitudes, zero) so an encoder that loses precision is caught."""
    h = int.from_bytes(hashlib.blake2b(f"{SEED}/{w}/{j}/{t}".encode(), digest_size=8).digest(),
                       "little")
    kind = h & 3
    frac = (h >> 11) * 2.0 ** -53
    if kind == 0:
        return frac * 1e6 - 5e5
    if kind == 1:
        return float((h >> 20) - (1 << 43))
    if kind == 2:
        return frac * (1e-300 if (h >> 2) & 1 else 1e300)
    return 0.0 if (h >> 2) & 1 else -float(h >> 40) - 0.25


def metric_of(w, j):
    return {"__name__": METRIC, "writer": str(w), "series": str(j)}


class State:
    """What was sent and acknowledged, shared by the writers and the checker."""

    def __init__(self, base_ms):
        self.base_ms = base_ms
        self.lock = threading.Lock()
        self.acked = {}  # series key -> set of timestamps acknowledged with a 2xx
        self.sent = {}   # series key -> set of timestamps ever sent
        self.keys = {}   # series key -> (w, j)
        for w in range(WRITERS):
            for j in range(SERIES_PER_WRITER):
                k = tl.series_key(metric_of(w, j))
                self.acked[k], self.sent[k], self.keys[k] = set(), set(), (w, j)
        self.acked_batches = 0
        self.unknown_batches = 0
        self.retries = 0
        self.errors = []
        self.compactions = 0


def writer(w, server, state, pause):
    rng = random.Random(SEED * 1000 + w)
    batch_no = 0
    retry = None
    while pause.checkpoint():
        if retry is None:
            b = batch_no
            batch_no += 1
        else:
            b = retry
            with state.lock:
                state.retries += 1
        lines, samples = [], []
        for j in range(SERIES_PER_WRITER):
            first = state.base_ms + b * SAMPLES_PER_SERIES * 3
            ts = [first + k * 3 for k in range(SAMPLES_PER_SERIES)]
            lines.append(tl.import_line(metric_of(w, j), ts, [value_of(w, j, t) for t in ts]))
            samples.append((tl.series_key(metric_of(w, j)), ts))
        with state.lock:
            for key, ts in samples:
                state.sent[key].update(ts)
        body = ("\n".join(lines) + "\n").encode()
        try:
            status, resp = tl.http_request("POST", server.base + "/api/v1/import", body,
                                           {"Content-Type": "application/json"},
                                           timeout=REQUEST_TIMEOUT_S)
        except OSError:
            status, resp = None, b""
        if status is not None and 200 <= status < 300:
            with state.lock:
                for key, ts in samples:
                    state.acked[key].update(ts)
                state.acked_batches += 1
            retry = None
        elif status is None or status >= 500 or status == 429:
            with state.lock:
                state.unknown_batches += 1
            retry = b if rng.random() < 0.5 else None
        else:
            with state.lock:
                state.errors.append(f"writer {w} batch {b}: HTTP {status}: {resp[:300]!r}")
            pause.finish()
            return


def compactor(server, state, pause, rng):
    while pause.checkpoint():
        try:
            status, resp = tl.http_request("POST", server.base + "/api/v1/admin/compact", b"",
                                           timeout=REQUEST_TIMEOUT_S)
        except OSError:
            status = None
        if status == 200:
            with state.lock:
                state.compactions += 1
        elif status is not None and status < 500:
            with state.lock:
                state.errors.append(f"compact: HTTP {status}: {resp[:300]!r}")
            pause.finish()
            return
        # Spread compactions over the run (a pacing interval, not a wait for a condition).
        time.sleep(rng.uniform(0.2, 1.0))


def check(server, state, writers, final):
    """Exports the series of `writers` and checks them against what was sent/acknowledged."""
    where = "final" if final else f"after restart #{server.starts - 1}"
    match = '{__name__="%s"}' % METRIC if writers is None else \
        '{__name__="%s",writer=~"%s"}' % (METRIC, "|".join(str(w) for w in writers))
    now_ms = int(time.time() * 1000)
    got, dups = tl.export(server.base, match, start=state.base_ms - 60_000,
                          end=now_ms + 3_600_000)
    problems = []
    for key, t in dups[:5]:
        problems.append(f"duplicate sample {tl.format_series(key)} @ {t}")
    if dups:
        problems.append(f"{len(dups)} duplicate (series, timestamp) pairs in total")
    with state.lock:
        for key, samples in got.items():
            if key not in state.keys:
                problems.append(f"unexpected series {tl.format_series(key)}")
                continue
            w, j = state.keys[key]
            for t, v in samples:
                if t not in state.sent[key]:
                    problems.append(f"{tl.format_series(key)} @ {t}: never sent, got {v!r}")
                elif v != value_of(w, j, t):
                    problems.append(f"{tl.format_series(key)} @ {t}: value {v!r}, sent "
                                    f"{value_of(w, j, t)!r}")
        expected_keys = [k for k, (w, _) in state.keys.items() if writers is None or w in writers]
        missing_total = 0
        acked_total = 0
        for key in expected_keys:
            present = {t for t, _ in got.get(key, [])}
            missing = sorted(state.acked[key] - present)
            acked_total += len(state.acked[key])
            missing_total += len(missing)
            if missing:
                problems.append(f"{tl.format_series(key)}: {len(missing)} acknowledged samples "
                                f"missing, first at {missing[:3]}")
    if problems:
        tl.fail(f"{where}: {len(problems)} problem(s):\n  " + "\n  ".join(problems[:20]))
    return acked_total


def run():
    t0 = time.monotonic()
    rng = random.Random(SEED)
    base_ms = (int(time.time() * 1000) - 3_600_000) // 1000 * 1000
    state = State(base_ms)
    server = tl.OpsightServer(log_name="kill9.log")
    workers = WRITERS + 1
    pause = tl.Pause(workers)
    threads = []
    try:
        server.start()
        for w in range(WRITERS):
            threads.append(threading.Thread(target=writer, args=(w, server, state, pause),
                                            daemon=True))
        threads.append(threading.Thread(target=compactor,
                                        args=(server, state, pause, random.Random(SEED + 1)),
                                        daemon=True))
        def before_kill(i):
            if i % 4 == 3:
                # Kill a few ms into a compaction (block writing / WAL truncation in flight).
                threading.Thread(target=lambda: _quiet_post(server.base + "/api/v1/admin/compact"),
                                 daemon=True).start()
                time.sleep(rng.uniform(0.0, 0.05))
            else:
                time.sleep(rng.uniform(0.05, 1.5))

        acked = tl.kill9_scenario(
            server, pause, threads, rng, KILLS, lambda: state.acked_batches, state.errors,
            lambda i, final: check(server, state, None if final else [i % WRITERS], final=final),
            deadline=t0 + TIME_BUDGET_S * 0.75, request_timeout_s=REQUEST_TIMEOUT_S,
            before_kill=before_kill)
        if acked == 0:
            tl.fail("no sample was ever acknowledged")
        tl.log(f"kill9: {KILLS + 1} kills, {server.starts} starts, {state.acked_batches} batches "
               f"acknowledged ({acked} samples), {state.unknown_batches} unknown, "
               f"{state.retries} retried, {state.compactions} compactions, "
               f"{time.monotonic() - t0:.1f}s")
    except tl.TestFailure:
        print(server.log_tail(), file=sys.stderr)
        raise
    finally:
        pause.finish()
        server.cleanup(keep=bool(os.environ.get("OPSIGHT_KEEP")))


def _quiet_post(url):
    try:
        tl.http_request("POST", url, b"", timeout=REQUEST_TIMEOUT_S)
    except OSError:
        pass


if __name__ == "__main__":
    tl.main_wrapper(run)
