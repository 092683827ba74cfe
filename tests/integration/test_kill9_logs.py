#!/usr/bin/env python3
"""kill -9 durability test for log events: a 2xx from PutLogEvents means the events are durable.

Writer threads each own one log stream and PUT batches of uniquely numbered events continuously,
recording which batches got a 2xx. A flusher forces head flushes (block writing) now and then. At
>= 20 seeded random moments the server is SIGKILLed, restarted on the same data directory and
checked. A batch whose outcome is unknown (the connection died) is abandoned, never retried:
log events have no natural key, so a retry could store an event twice, as with CloudWatch.
Checks, after every restart (one writer's stream) and at the end (every stream, after a last kill
and after a clean SIGTERM restart):
  - every acknowledged event is present, with its timestamp;
  - no event appears twice;
  - nothing is present that was never sent.
Exit code 0 on success, 1 with a message naming the first violations otherwise.
"""

import json
import os
import random
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402

SEED = int(os.environ.get("OPSIGHT_KILL9_SEED", "20261121"))
KILLS = int(os.environ.get("OPSIGHT_KILL9_KILLS", "20"))
WRITERS = 4
EVENTS_PER_BATCH = 25
TIME_BUDGET_S = 160.0
REQUEST_TIMEOUT_S = 15.0
GROUP = "/kill9/logs"


class State:
    def __init__(self, base_ms):
        self.base_ms = base_ms
        self.lock = threading.Lock()
        self.sent = {w: {} for w in range(WRITERS)}   # writer -> message -> timestamp
        self.acked = {w: set() for w in range(WRITERS)}
        self.acked_batches = 0
        self.unknown_batches = 0
        self.flushes = 0
        self.errors = []


def stream_of(w):
    return f"writer-{w}"


def writer(w, server, state, pause):
    batch_no = 0
    while pause.checkpoint():
        b = batch_no
        batch_no += 1
        events = []
        for k in range(EVENTS_PER_BATCH):
            n = b * EVENTS_PER_BATCH + k
            # Timestamps advance 1 ms per event from an hour ago: always inside the 14-day window.
            events.append({"timestamp": state.base_ms + n, "message": f"w{w} event {n} payload"
                           + "x" * (n % 37)})
        with state.lock:
            for e in events:
                state.sent[w][e["message"]] = e["timestamp"]
        body = json.dumps({"logGroupName": GROUP, "logStreamName": stream_of(w),
                           "logEvents": events}).encode()
        try:
            status, resp = tl.http_request("POST", server.base + "/api/v1/logs/put", body,
                                           {"Content-Type": "application/json"},
                                           timeout=REQUEST_TIMEOUT_S)
        except OSError:
            status, resp = None, b""
        if status == 200:
            with state.lock:
                state.acked[w].update(e["message"] for e in events)
                state.acked_batches += 1
        elif status is None or status >= 500 or status == 429:
            with state.lock:
                state.unknown_batches += 1
        else:
            with state.lock:
                state.errors.append(f"writer {w} batch {b}: HTTP {status}: {resp[:300]!r}")
            pause.finish()
            return


def flusher(server, state, pause, rng):
    while pause.checkpoint():
        try:
            status, _ = tl.http_request("POST", server.base + "/api/v1/logs/admin/flush", b"",
                                        timeout=REQUEST_TIMEOUT_S)
        except OSError:
            status = None
        if status == 200:
            with state.lock:
                state.flushes += 1
        # Spread flushes over the run (a pacing interval, not a wait for a condition).
        time.sleep(rng.uniform(0.1, 0.8))


def read_stream(server, state, w):
    """Every (message, timestamp) of writer w's stream, through FilterLogEvents pages."""
    out, token = [], None
    for _ in range(1000):
        params = {"group": GROUP, "stream": stream_of(w), "limit": "10000",
                  "start": str(state.base_ms - 60_000), "end": str(int(time.time() * 1000) + 60_000)}
        if token:
            params["nextToken"] = token
        status, body = tl.http_get(server.base + "/api/v1/logs/filter?" +
                                   urllib.parse.urlencode(params))
        if status != 200:
            tl.fail(f"filter {stream_of(w)}: HTTP {status}: {body[:300]!r}")
        res = json.loads(body)
        out += [(e["message"], e["timestamp"]) for e in res["events"]]
        token = res.get("nextToken")
        if not token:
            return out
    tl.fail("filter pagination did not end")


def check(server, state, writers, where):
    problems, acked_total = [], 0
    for w in writers:
        got = read_stream(server, state, w)
        seen = set()
        with state.lock:
            for msg, ts in got:
                if msg in seen:
                    problems.append(f"{stream_of(w)}: event {msg!r} appears twice")
                seen.add(msg)
                if msg not in state.sent[w]:
                    problems.append(f"{stream_of(w)}: event {msg!r} was never sent")
                elif state.sent[w][msg] != ts:
                    problems.append(f"{stream_of(w)}: event {msg!r} at {ts}, sent at "
                                    f"{state.sent[w][msg]}")
            missing = state.acked[w] - seen
            acked_total += len(state.acked[w])
        if missing:
            problems.append(f"{stream_of(w)}: {len(missing)} acknowledged events missing, e.g. "
                            f"{sorted(missing)[:3]}")
    if problems:
        tl.fail(f"{where}: {len(problems)} problem(s):\n  " + "\n  ".join(problems[:20]))
    return acked_total


def run():
    t0 = time.monotonic()
    rng = random.Random(SEED)
    state = State(int(time.time() * 1000) - 3_600_000)
    server = tl.OpsightServer(log_name="kill9-logs.log")
    pause = tl.Pause(WRITERS + 1)
    threads = []
    try:
        server.start()
        status, body = tl.http_request("POST", server.base + "/api/v1/logs/groups?name=" + GROUP)
        if status != 200:
            tl.fail(f"create group: HTTP {status}: {body!r}")
        for w in range(WRITERS):
            status, body = tl.http_request("POST", server.base + "/api/v1/logs/streams?" +
                                           urllib.parse.urlencode({"group": GROUP,
                                                                   "name": stream_of(w)}))
            if status != 200:
                tl.fail(f"create stream: HTTP {status}: {body!r}")
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
            tl.fail("no event was ever acknowledged")
        tl.log(f"kill9 logs: {KILLS + 1} kills, {state.acked_batches} batches acknowledged "
               f"({acked} events), {state.unknown_batches} unknown, {state.flushes} flushes, "
               f"{time.monotonic() - t0:.1f}s")
    except tl.TestFailure:
        print(server.log_tail(), file=sys.stderr)
        raise
    finally:
        pause.finish()
        server.cleanup(keep=bool(os.environ.get("OPSIGHT_KEEP")))


if __name__ == "__main__":
    tl.main_wrapper(run)
