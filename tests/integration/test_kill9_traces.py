#!/usr/bin/env python3
"""kill -9 durability test for spans: a 200 from POST /v1/traces means the spans are durable.

Writer threads each send OTLP/JSON batches continuously; batch b of writer w is one trace of
SPANS_PER_TRACE spans (a tree) with ids derived from (w, b), and the writer records which batches
got a 200 without rejected spans. A flusher forces head flushes (block writing) now and then. At
>= 20 seeded random moments the server is SIGKILLed, restarted on the same data directory and
checked. A batch whose outcome is unknown (the connection died) is abandoned, never retried.
Checks, after every restart (one writer's traces) and at the end (every writer, after a last
kill and after a clean SIGTERM restart):
  - every acknowledged trace reads back with all its spans, parentage, names and times;
  - a trace id that was never sent is unknown (404).
Exit code 0 on success, 1 with a message naming the first violations otherwise.
"""

import json
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402

SEED = int(os.environ.get("OPSIGHT_KILL9_SEED", "20261122"))
KILLS = int(os.environ.get("OPSIGHT_KILL9_KILLS", "20"))
WRITERS = 4
SPANS_PER_TRACE = 8
TIME_BUDGET_S = 170.0
REQUEST_TIMEOUT_S = 15.0


def trace_id(w, b):
    return f"{0x7e57 + w:08x}{b:024x}"


def span_id(w, b, k):
    return f"{w + 1:04x}{b:08x}{k + 1:04x}"


class State:
    def __init__(self, base_ns):
        self.base_ns = base_ns
        self.lock = threading.Lock()
        self.acked = {w: set() for w in range(WRITERS)}  # batch numbers
        self.acked_batches = 0
        self.unknown_batches = 0
        self.flushes = 0
        self.errors = []


def expected_spans(state, w, b):
    """span id -> (parent id or "", name, start ns, end ns) of batch b of writer w."""
    out = {}
    start = state.base_ns + b * 1_000_000
    for k in range(SPANS_PER_TRACE):
        parent = "" if k == 0 else span_id(w, b, (k - 1) // 2)
        s = start + k * 1000
        out[span_id(w, b, k)] = (parent, f"op-{k}", s, s + 500_000 + k)
    return out


def batch_body(state, w, b):
    spans = []
    for sid, (parent, name, start, end) in expected_spans(state, w, b).items():
        span = {"traceId": trace_id(w, b), "spanId": sid, "name": name, "kind": 2,
                "startTimeUnixNano": str(start), "endTimeUnixNano": str(end),
                "attributes": [{"key": "writer", "value": {"intValue": str(w)}}]}
        if parent:
            span["parentSpanId"] = parent
        spans.append(span)
    return json.dumps({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name",
                                     "value": {"stringValue": f"writer-{w}"}}]},
        "scopeSpans": [{"spans": spans}]}]}).encode()


def writer(w, server, state, pause):
    b = 0
    while pause.checkpoint():
        body = batch_body(state, w, b)
        try:
            status, resp = tl.http_request("POST", server.base + "/v1/traces", body,
                                           {"Content-Type": "application/json"},
                                           timeout=REQUEST_TIMEOUT_S)
        except OSError:
            status, resp = None, b""
        if status == 200 and json.loads(resp) == {}:
            with state.lock:
                state.acked[w].add(b)
                state.acked_batches += 1
        elif status is None or status >= 500 or status == 429:
            with state.lock:
                state.unknown_batches += 1
        else:
            with state.lock:
                state.errors.append(f"writer {w} batch {b}: HTTP {status}: {resp[:300]!r}")
            pause.finish()
            return
        b += 1
        # Pacing (not a wait for a condition): bounds the traces the checks read back.
        time.sleep(0.02)


def flusher(server, state, pause, rng):
    while pause.checkpoint():
        try:
            status, _ = tl.http_request("POST", server.base + "/api/v1/traces/admin/flush", b"",
                                        timeout=REQUEST_TIMEOUT_S)
        except OSError:
            status = None
        if status == 200:
            with state.lock:
                state.flushes += 1
        # Spread flushes over the run (a pacing interval, not a wait for a condition).
        time.sleep(rng.uniform(0.1, 0.8))


def flatten(nodes, out):
    for n in nodes:
        out.append(n)
        flatten(n["children"], out)


def check(server, state, writers, where):
    problems, checked = [], 0
    port = int(server.base.rsplit(":", 1)[1])
    client = tl.KeepAliveClient("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    for w in writers:
        with state.lock:
            batches = sorted(state.acked[w])
        for b in batches:
            status, body = client.request("GET", "/api/v1/traces/" + trace_id(w, b))
            if status != 200:
                problems.append(f"writer {w} batch {b}: acknowledged trace {trace_id(w, b)}: "
                                f"HTTP {status}")
                continue
            spans = []
            flatten(json.loads(body)["roots"], spans)
            got = {s["spanId"]: (s.get("parentSpanId", ""), s["name"],
                                 int(s["startTimeUnixNano"]), int(s["endTimeUnixNano"]))
                   for s in spans}
            want = expected_spans(state, w, b)
            if len(spans) != len(want) or got != want:
                problems.append(f"writer {w} batch {b}: trace {trace_id(w, b)} reads back "
                                f"{len(spans)} spans, differing from what was sent")
            checked += 1
        status, _ = client.request("GET", "/api/v1/traces/" + trace_id(w, 10**9))
        if status != 404:
            problems.append(f"writer {w}: a never-sent trace answers HTTP {status}")
    client.close()
    if problems:
        tl.fail(f"{where}: {len(problems)} problem(s):\n  " + "\n  ".join(problems[:20]))
    return checked


def run():
    t0 = time.monotonic()
    rng = random.Random(SEED)
    state = State((int(time.time()) - 3600) * 1_000_000_000)
    server = tl.OpsightServer(log_name="kill9-traces.log")
    pause = tl.Pause(WRITERS + 1)
    threads = []
    try:
        server.start()
        for w in range(WRITERS):
            threads.append(threading.Thread(target=writer, args=(w, server, state, pause),
                                            daemon=True))
        threads.append(threading.Thread(target=flusher, args=(server, state, pause,
                                                              random.Random(SEED + 1)),
                                        daemon=True))
        acked = tl.kill9_scenario(
            server, pause, threads, rng, KILLS, lambda: state.acked_batches, state.errors,
            lambda i, final: check(server, state, range(WRITERS) if final else [i % WRITERS],
                                   "final" if final else f"after restart #{server.starts - 1}"),
            deadline=t0 + TIME_BUDGET_S * 0.75, request_timeout_s=REQUEST_TIMEOUT_S,
            before_kill=lambda i: time.sleep(rng.uniform(0.02, 1.0)))
        if acked == 0:
            tl.fail("no trace was ever acknowledged")
        tl.log(f"kill9 traces: {KILLS + 1} kills, {state.acked_batches} batches acknowledged "
               f"({acked * SPANS_PER_TRACE} spans), {state.unknown_batches} unknown, "
               f"{state.flushes} flushes, {time.monotonic() - t0:.1f}s")
    except tl.TestFailure:
        print(server.log_tail(), file=sys.stderr)
        raise
    finally:
        pause.finish()
        server.cleanup(keep=bool(os.environ.get("OPSIGHT_KEEP")))


if __name__ == "__main__":
    tl.main_wrapper(run)
