#!/usr/bin/env python3
"""End-to-end PromQL benchmark: query latency and memory, opsight vs Prometheus 2.42.

1. Data: the node-exporter-like workload of run_vs_prometheus.py (opsight_e2e_gen, default
   10,000 series x 24.5 h at 15 s ending now, so a 24 h range query has a full 5 m window at its
   first step), plus a classic histogram of an application on every host
   (`http_request_duration_seconds_bucket{le}` + _sum/_count, 14 series per host) over the last
   --hist-hours (default 2), written here as one more queue-manager "shard" of request files.
2. Both servers start (each on its own temp dir and a free 127.0.0.1 port) and receive every
   request file at once, through prom_e2e.Sender (one connection per shard, shards kept within
   30 min of data of each other). Then opsight compacts its head into blocks
   (POST /api/v1/admin/compact; --no-compact skips it); Prometheus keeps its own layout (2 h
   blocks cut during ingest plus the head).
3. A fixed set of dashboard queries (QUERIES) runs against both HTTP APIs over 127.0.0.1: one
   warm-up run each, whose answers must agree (same series, values within 1e-9 relative, the
   differential test's comparison), then --repeats runs alternating between the servers (who
   goes first alternates too). Latency is the client's wall time of the whole request (query +
   JSON encoding + transfer), one keep-alive connection per server.
4. Memory per query, per server: before the query's runs the peak-RSS counter is reset
   (`echo 5 > /proc/<pid>/clear_refs`) and VmRSS read; after them, VmHWM - that VmRSS is the
   query's peak RSS growth. VmRSS before the first query is reported too.
5. Prints a table (median and p99 latency, peak growth, ratios opsight/prometheus) and writes
   everything as JSON to bench/out/promql-vs-prometheus-<timestamp>.json. Exit code 1 when a
   server rejected data or the answers differ.

Stdlib only. See docs/benchmarks.md ("PromQL: opsight vs Prometheus").
"""

import argparse
import datetime
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from prom_e2e import (ROOT, OpsightBenchServer, PrometheusServer, Sender,  # noqa: E402
                      generate_requests, load_manifest, tl)
import test_promql_vs_prometheus as diff_test  # noqa: E402  (tests/integration, via prom_e2e)

# (name, kind, query, range seconds, step seconds). Range queries end at the data's end;
# instant queries are evaluated there.
QUERIES = [
    # rate() drops the metric name, so a rate over all 10k series ({job="node"}) is an error
    # (different metrics of a host collide); the largest counter family is 32 of 100 per host.
    ("rate_sum_by", "range", "sum by (instance) (rate(node_cpu_seconds_total[5m]))", 3600, 15),
    ("histogram_quantile_1h", "instant",
     "histogram_quantile(0.99, sum by (le, instance) "
     "(rate(http_request_duration_seconds_bucket[1h])))", 0, 0),
    ("topk", "range", "topk(10, rate(node_network_receive_bytes_total[5m]))", 3600, 15),
    ("regex_matcher", "range",
     'sum by (mode) (rate(node_cpu_seconds_total{instance=~"host-00[0-4][0-9]:9100", '
     'mode=~"user|system|iowait"}[5m]))', 3600, 15),
    ("range_24h", "range", "sum by (mode) (rate(node_cpu_seconds_total[5m]))", 86400, 60),
    ("subquery", "instant",
     'max_over_time(sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))'
     "[1h:1m])", 0, 0),
]

HIST_LES = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
            "+Inf"]


# --- the histogram shard ------------------------------------------------------------------------

def add_histogram_shard(req_dir, manifest, hours, seed, max_samples_per_send):
    """Writes shard-hist/*.rw (an application histogram on every host of the workload over the
    last `hours`) and adds it to the manifest (file list, sample totals). Idempotent: a manifest
    that already has it is returned unchanged."""
    if manifest.get("hist_shard"):
        return manifest
    rng = random.Random(seed)
    interval = manifest["interval_ms"]
    end = manifest["end_ms"]
    steps = int(hours * 3_600_000) // interval
    start = end - steps * interval
    hosts = manifest["hosts"]
    offsets = [rng.randrange(10, interval - 10) for _ in range(hosts)]
    state = [{"b": [0] * len(HIST_LES), "sum": 0.0, "count": 0} for _ in range(hosts)]
    base = [{"__name__": "", "job": "app", "instance": f"host-{h:04d}:8080",
             "handler": "/api/v1/orders"} for h in range(hosts)]
    mu = [rng.uniform(-4.0, -1.5) for _ in range(hosts)]
    dname = "shard-hist"
    os.makedirs(os.path.join(req_dir, dname), exist_ok=True)
    files, pending, nsamples = [], [], 0

    def flush():
        nonlocal pending
        if not pending:
            return
        body = tl.snappy_literal_block(tl.encode_write_request(pending))
        name = f"{dname}/{len(files):06d}.rw"
        with open(os.path.join(req_dir, name), "wb") as f:
            f.write(body)
        ts = [s[1][0][0] for s in pending]
        files.append({"name": name, "samples": len(pending), "min_t": min(ts),
                      "max_t": max(ts), "bytes": len(body)})
        pending = []

    order = sorted(range(hosts), key=lambda h: offsets[h])
    for k in range(steps):
        for h in order:
            t = start + offsets[h] + k * interval
            st = state[h]
            for _ in range(rng.randint(20, 60)):
                x = rng.lognormvariate(mu[h], 1.0)
                st["sum"] += x
                st["count"] += 1
                for j, le in enumerate(HIST_LES):
                    if x <= float(le):
                        st["b"][j] += 1
            for j, le in enumerate(HIST_LES):
                pending.append((dict(base[h], __name__="http_request_duration_seconds_bucket",
                                     le=le), [(t, float(st["b"][j]))]))
            pending.append((dict(base[h], __name__="http_request_duration_seconds_sum"),
                            [(t, round(st["sum"], 6))]))
            pending.append((dict(base[h], __name__="http_request_duration_seconds_count"),
                            [(t, float(st["count"]))]))
            nsamples += len(HIST_LES) + 2
            if len(pending) >= max_samples_per_send:
                flush()
    flush()
    manifest["shards"].append(files)
    manifest["hist_shard"] = {"series": hosts * (len(HIST_LES) + 2), "samples": nsamples,
                              "hours": hours, "start_ms": start}
    manifest["samples"] += nsamples
    manifest["files"] = manifest.get("files", 0) + len(files)
    with open(os.path.join(req_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    return manifest


# --- loading -----------------------------------------------------------------------------------

def load_both(servers, req_dir, manifest, skew_min):
    """Sends every request file to every server at once; returns {name: Sender}."""
    senders = {name: Sender(srv.port, req_dir, manifest, skew_min * 60_000)
               for name, srv in servers.items()}
    threads = [threading.Thread(target=s.run, daemon=True) for s in senders.values()]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name, s in senders.items():
        print(f"[{name}] {s.acked_samples:,} samples acknowledged "
              f"({time.monotonic() - t0:.0f}s); HTTP {s.status_counts}", flush=True)
        for e in s.first_errors:
            print(f"[{name}]   {e}", flush=True)
    return senders


# --- queries -----------------------------------------------------------------------------------

class QueryClient:
    def __init__(self, port):
        self.client = tl.KeepAliveClient("127.0.0.1", port, timeout=600)

    def run(self, kind, query, end_s, range_s, step_s):
        """(seconds, parsed response)."""
        if kind == "instant":
            params = {"query": query, "time": f"{end_s:.3f}"}
            path = "/api/v1/query"
        else:
            params = {"query": query, "start": f"{end_s - range_s:.3f}", "end": f"{end_s:.3f}",
                      "step": str(step_s)}
            path = "/api/v1/query_range"
        body = urllib.parse.urlencode(params).encode()
        t0 = time.perf_counter()
        status, data = self.client.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})
        dt = time.perf_counter() - t0
        try:
            doc = json.loads(data)
        except ValueError:
            doc = {"status": "error", "error": f"HTTP {status}: {data[:200]!r}"}
        return dt, doc

    def close(self):
        self.client.close()


def reset_peak(pid):
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def percentile(xs, p):
    s = sorted(xs)
    if not s:
        return None
    k = min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def bench_queries(servers, end_s, repeats):
    clients = {name: QueryClient(srv.port) for name, srv in servers.items()}
    out, problems = [], []
    try:
        for name, kind, query, range_s, step_s in QUERIES:
            row = {"name": name, "kind": kind, "query": query, "range_s": range_s,
                   "step_s": step_s, "servers": {}}
            first = {}
            for who, c in clients.items():  # warm-up, and the answers to compare
                dt, doc = c.run(kind, query, end_s, range_s, step_s)
                first[who] = doc
                if doc.get("status") != "success":
                    problems.append(f"{name}: {who} failed: {doc.get('error')}")
            if len(first) == 2:
                d = diff_test.diff(first["prometheus"], first["opsight"])
                if d:
                    problems.append(f"{name}: answers differ: {d}")
            res = first.get("opsight") or first.get("prometheus")
            data = res.get("data", {}).get("result") or []
            row["result_series"] = len(data) if isinstance(data, list) else 1
            times = {who: [] for who in clients}
            mem = {}
            for who, srv in servers.items():
                reset_peak(srv.pid)
                mem[who] = tl.proc_status_kb(srv.pid, "VmRSS")
            names = list(clients)
            for i in range(repeats):
                for who in (names if i % 2 == 0 else names[::-1]):
                    dt, doc = clients[who].run(kind, query, end_s, range_s, step_s)
                    if doc.get("status") != "success":
                        problems.append(f"{name}: {who} failed on run {i}: {doc.get('error')}")
                    times[who].append(dt)
            for who, srv in servers.items():
                hwm = tl.proc_status_kb(srv.pid, "VmHWM")
                row["servers"][who] = {
                    "median_s": statistics.median(times[who]),
                    "p99_s": percentile(times[who], 99),
                    "min_s": min(times[who]),
                    "runs_s": [round(x, 6) for x in times[who]],
                    "rss_before_bytes": mem[who],
                    "peak_rss_bytes": hwm,
                    "peak_growth_bytes": max(0, hwm - mem[who]),
                }
            o, p = row["servers"].get("opsight"), row["servers"].get("prometheus")
            if o and p:
                row["ratios_opsight_over_prometheus"] = {
                    "median": ratio(o["median_s"], p["median_s"]),
                    "p99": ratio(o["p99_s"], p["p99_s"]),
                    "peak_growth": ratio(o["peak_growth_bytes"], p["peak_growth_bytes"]),
                    "peak_rss": ratio(o["peak_rss_bytes"], p["peak_rss_bytes"]),
                }
            print(f"  {name:22} " + "  ".join(
                f"{who} {s['median_s'] * 1000:8.1f} ms (p99 {s['p99_s'] * 1000:8.1f}) "
                f"+{s['peak_growth_bytes'] / 2**20:6.1f} MiB" for who, s in row["servers"].items()),
                flush=True)
            out.append(row)
    finally:
        for c in clients.values():
            c.close()
    return out, problems


def ratio(a, b):
    return round(a / b, 3) if a and b else None


def print_table(rows):
    print()
    print(f"{'query':22} {'median ms':>19} {'ratio':>6} {'p99 ms':>19} {'ratio':>6} "
          f"{'peak growth MiB':>17} {'ratio':>6}")
    print(f"{'':22} {'opsight':>9} {'prom':>9} {'':>6} {'opsight':>9} {'prom':>9} {'':>6} "
          f"{'opsight':>8} {'prom':>8} {'':>6}")
    for r in rows:
        o, p = r["servers"].get("opsight"), r["servers"].get("prometheus")
        rr = r.get("ratios_opsight_over_prometheus", {})

        def f(s, k, scale, fmt="{:9.1f}"):
            return fmt.format(s[k] * scale) if s else f"{'-':>9}"

        def rt(k):
            return f"{rr[k]:6.2f}" if rr.get(k) else f"{'-':>6}"
        print(f"{r['name']:22} {f(o, 'median_s', 1000)} {f(p, 'median_s', 1000)} {rt('median')} "
              f"{f(o, 'p99_s', 1000)} {f(p, 'p99_s', 1000)} {rt('p99')} "
              f"{f(o, 'peak_growth_bytes', 2**-20, '{:8.1f}')} "
              f"{f(p, 'peak_growth_bytes', 2**-20, '{:8.1f}')} {rt('peak_growth')}")
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--series", type=int, default=10_000)
    ap.add_argument("--hours", type=float, default=24.5)
    ap.add_argument("--hist-hours", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shards", type=int, default=4, help="connections per server")
    ap.add_argument("--max-samples-per-send", type=int, default=2000)
    ap.add_argument("--shard-skew-min", type=float, default=30.0)
    ap.add_argument("--repeats", type=int, default=10, help="measured runs per query and server")
    ap.add_argument("--requests-dir", help="reuse (or create) request files in this directory")
    ap.add_argument("--no-compact", action="store_true",
                    help="query opsight's head as ingested, without compacting it into blocks")
    ap.add_argument("--only", help="comma-separated query names to run")
    ap.add_argument("--opsight-bin", default=os.environ.get("OPSIGHT_BIN") or
                    os.path.join(ROOT, "build-bench", "src", "opsight"))
    ap.add_argument("--gen-bin", default=os.path.join(ROOT, "build-bench", "bench", "e2e",
                                                       "opsight_e2e_gen"))
    ap.add_argument("--prometheus-bin", default="/usr/bin/prometheus")
    ap.add_argument("--servers", default="opsight,prometheus",
                    help="comma-separated subset of opsight,prometheus")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out"))
    ap.add_argument("--keep", action="store_true", help="keep the servers' data directories")
    args = ap.parse_args()
    names = [s for s in args.servers.split(",") if s]
    if args.only:
        wanted = set(args.only.split(","))
        QUERIES[:] = [q for q in QUERIES if q[0] in wanted]

    work = tempfile.mkdtemp(prefix="opsight-bench-promql-")
    servers = {}
    try:
        req_dir = args.requests_dir or os.path.join(work, "requests")
        if os.path.isfile(os.path.join(req_dir, "manifest.json")):
            manifest = load_manifest(req_dir)
        else:
            manifest = generate_requests(args.gen_bin, req_dir, args.series, args.hours,
                                         args.seed, args.shards, args.max_samples_per_send)
        manifest = add_histogram_shard(req_dir, manifest, args.hist_hours, args.seed,
                                       args.max_samples_per_send)
        res = {
            "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "host": {"cpus": os.cpu_count(), "kernel": platform.release(),
                     "python": platform.python_version()},
            "workload": {k: manifest.get(k) for k in ("generator", "series", "hosts", "samples",
                                                      "start_ms", "end_ms", "interval_ms",
                                                      "hours", "seed", "hist_shard")},
            "repeats": args.repeats,
            "opsight_compacted": not args.no_compact,
        }
        try:
            res["prometheus_version"] = subprocess.run(
                [args.prometheus_bin, "--version"], capture_output=True, text=True,
                timeout=30).stdout.splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            res["prometheus_version"] = None
        for name in names:
            servers[name] = OpsightBenchServer(args.opsight_bin) if name == "opsight" else \
                PrometheusServer(args.prometheus_bin)
            servers[name].start()
        senders = load_both(servers, req_dir, manifest, args.shard_skew_min)
        problems = [f"{n}: acknowledged {s.acked_samples} of {manifest['samples']} samples"
                    for n, s in senders.items() if s.acked_samples != manifest["samples"]]
        if "opsight" in servers and not args.no_compact:
            t0 = time.monotonic()
            disk = servers["opsight"].persist()
            print(f"[opsight] compacted: {disk['samples']:,} samples in {disk['blocks']} blocks "
                  f"({time.monotonic() - t0:.0f}s)", flush=True)
        res["rss_after_load_bytes"] = {n: tl.proc_status_kb(s.pid, "VmRSS")
                                       for n, s in servers.items()}
        end_s = manifest["end_ms"] // 1000
        print(f"queries at end {end_s} ({args.repeats} runs each, alternating):", flush=True)
        rows, qproblems = bench_queries(servers, end_s, args.repeats)
        problems += qproblems
        res["queries"] = rows
        res["problems"] = problems
        print_table(rows)
        os.makedirs(args.out, exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = os.path.join(args.out, f"promql-vs-prometheus-{stamp}.json")
        with open(out, "w") as f:
            json.dump(res, f, indent=2)
            f.write("\n")
        print(f"wrote {out}")
        if problems:
            print("PROBLEMS:\n  " + "\n  ".join(problems), file=sys.stderr)
            return 1
        return 0
    except tl.TestFailure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    finally:
        for s in servers.values():
            s.cleanup(keep=args.keep)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
