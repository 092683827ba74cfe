#!/usr/bin/env python3
"""End-to-end trace benchmark (issue 4): ingest, disk and lookup over >= 5 million spans from
the demo system (`opsight demo`, docs/demo.md).

1. A Release opsight starts on a temp dir and a free 127.0.0.1 port.
2. `opsight demo --signals traces --backfill ... --duration 0` sends the shop's spans over
   OTLP/HTTP protobuf (about 6 spans per request, batches of up to ~20k spans), writing every
   Nth trace id to a file. The server's CPU time (utime + stime from /proc) is read before and
   after: spans per server CPU-second. The demo's own CPU is reported apart.
3. The trace head is flushed into blocks (POST /api/v1/traces/admin/flush); bytes on disk per
   span = the size of <data>/traces (blocks, indexes and what is left of the WAL) / spans.
4. Trace by id: GET /api/v1/traces/<id> for the sampled ids in random order over one keep-alive
   connection (client wall time per request: p50, p99, max); every answer must hold the trace.
5. Search (GET /api/v1/traces/search): a fixed set of X-Ray filter expressions
   over the whole range, p50/p99 latency and matched counts.
Prints a table and writes JSON to bench/out/traces-<timestamp>.json. Targets (issue 4):
>= 100,000 spans per CPU-second, <= 30 bytes per span, trace by id p99 < 10 ms.

Stdlib only. See docs/benchmarks.md ("Traces").
"""

import argparse
import datetime
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import opsight_testlib as tl  # noqa: E402

SEARCHES = [
    ("service", 'service("payment")'),
    ("fault", "fault"),
    ("slow", "responsetime > 1"),
    ("status", "http.status = 502"),
    ("url", 'http.url CONTAINS "/checkout"'),
]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def child_cpu():
    r = os.times()
    return r.children_user + r.children_system


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--opsight-bin", default=os.environ.get("OPSIGHT_BIN") or
                    os.path.join(ROOT, "build-bench", "src", "opsight"))
    ap.add_argument("--rps", type=float, default=400, help="demo requests per second")
    ap.add_argument("--backfill", default="36m", help="simulated time (~5.1 M spans at 400 rps)")
    ap.add_argument("--fault", action="append", default=["latency:payment@10m/5m",
                                                         "errors:inventory@15m/5m"])
    ap.add_argument("--lookups", type=int, default=2000)
    ap.add_argument("--search-repeats", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out"))
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="opsight-bench-traces-")
    ids_path = os.path.join(work, "trace-ids.txt")
    srv = tl.OpsightServer(binary=args.opsight_bin, log_name="opsight-traces-bench.log")
    result = {"host": {"cpus": os.cpu_count(), "kernel": platform.release()},
              "rps": args.rps, "backfill": args.backfill, "faults": args.fault}
    try:
        srv.start()
        cpu0, wall0, demo_cpu0 = tl.proc_cpu_seconds(srv.pid), time.time(), child_cpu()
        cmd = [args.opsight_bin, "demo", "--target", srv.base, "--signals", "traces",
               "--rps", str(args.rps), "--backfill", args.backfill, "--duration", "0",
               "--trace-ids", ids_path, "--trace-id-every", "500",
               "--ground-truth", os.path.join(work, "truth.json")]
        for f in args.fault:
            cmd += ["--fault", f]
        print("running: " + " ".join(cmd), flush=True)
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            tl.fail(f"demo exited {r.returncode}: {r.stderr[-2000:]}")
        stats = json.loads(r.stdout)
        cpu1, wall1, demo_cpu1 = tl.proc_cpu_seconds(srv.pid), time.time(), child_cpu()
        spans = stats["spans"]
        ingest = {"spans": spans, "traces": stats["requests"], "posts": stats["posts"],
                  "server_cpu_s": cpu1 - cpu0, "wall_s": wall1 - wall0,
                  "demo_cpu_s": demo_cpu1 - demo_cpu0,
                  "spans_per_cpu_s": spans / max(1e-9, cpu1 - cpu0),
                  "peak_rss_bytes": tl.proc_status_kb(srv.pid, "VmHWM")}
        result["ingest"] = ingest
        print(f"ingest: {spans:,} spans in {ingest['wall_s']:.1f} s, server CPU "
              f"{ingest['server_cpu_s']:.1f} s -> {ingest['spans_per_cpu_s']:,.0f} spans/CPU-s",
              flush=True)

        t = time.time()
        status, body = tl.http_request("POST", srv.base + "/api/v1/traces/admin/flush", b"",
                                       timeout=1800)
        if status // 100 != 2:
            tl.fail(f"flush: HTTP {status}: {body[:300]!r}")
        disk = tl.dir_bytes(os.path.join(srv.data_dir, "traces"))
        result["disk"] = {"bytes": disk, "bytes_per_span": disk / spans,
                          "flush_s": time.time() - t}
        print(f"disk: {disk:,} bytes = {disk / spans:.1f} bytes/span", flush=True)

        ids = [line.strip() for line in open(ids_path) if line.strip()]
        random.Random(1).shuffle(ids)
        ids = ids[:args.lookups]
        client = tl.KeepAliveClient("127.0.0.1", srv.port)
        lat = []
        for tid in ids:
            t = time.perf_counter()
            status, body = client.request("GET", "/api/v1/traces/" + tid)
            lat.append((time.perf_counter() - t) * 1000)
            if status != 200 or json.loads(body)["spanCount"] < 2:
                tl.fail(f"trace {tid}: HTTP {status}: {body[:300]!r}")
        result["trace_by_id_ms"] = {"n": len(lat), "p50": pct(lat, 50), "p99": pct(lat, 99),
                                    "max": max(lat), "mean": statistics.mean(lat)}
        print(f"trace by id ({len(lat)}): p50 {pct(lat, 50):.2f} ms, p99 {pct(lat, 99):.2f} ms, "
              f"max {max(lat):.2f} ms", flush=True)

        truth = json.load(open(os.path.join(work, "truth.json")))
        start_s = truth["origin_ms"] // 1000
        searches = {}
        for name, expr in SEARCHES:
            times, matched = [], None
            for _ in range(args.search_repeats):
                q = urllib.parse.urlencode({"start": start_s, "end": int(time.time()) + 60,
                                            "filter": expr, "limit": 100})
                t = time.perf_counter()
                status, body = client.request("GET", "/api/v1/traces/search?" + q)
                times.append((time.perf_counter() - t) * 1000)
                if status != 200:
                    tl.fail(f"search {expr!r}: HTTP {status}: {body[:300]!r}")
                doc = json.loads(body)
                matched = len(doc["traces"])
            searches[name] = {"filter": expr, "p50_ms": pct(times, 50),
                              "p99_ms": pct(times, 99), "returned": matched,
                              "complete": doc.get("complete"),
                              "stopped_by": doc.get("stoppedBy"),
                              "scanned": doc.get("scanned")}
            print(f"search {expr!r}: p50 {pct(times, 50):.1f} ms, returned {matched}",
                  flush=True)
        result["search"] = searches
        client.close()
        srv.stop(timeout_s=300)
    finally:
        srv.cleanup(keep=args.keep)

    targets = [("spans per CPU-second", result["ingest"]["spans_per_cpu_s"], ">= 100,000",
                result["ingest"]["spans_per_cpu_s"] >= 100_000),
               ("bytes per span on disk", result["disk"]["bytes_per_span"], "<= 30",
                result["disk"]["bytes_per_span"] <= 30),
               ("trace by id p99 (ms)", result["trace_by_id_ms"]["p99"], "< 10",
                result["trace_by_id_ms"]["p99"] < 10)]
    print("\n| measure | opsight | target | met |\n|---|---:|---:|---|")
    for name, v, target, met in targets:
        print(f"| {name} | {v:,.2f} | {target} | {'yes' if met else 'NO'} |")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "traces-" +
                        datetime.datetime.now().strftime("%Y%m%d-%H%M%S") + ".json")
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    tl.main_wrapper(main)
