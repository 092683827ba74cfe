#!/usr/bin/env python3
"""End-to-end benchmark: opsight vs Prometheus 2.42 on the same remote-write workload.

1. Generates (or reuses, --requests-dir) node-exporter-like remote-write request files with
   opsight_e2e_gen (bench/e2e/node_exporter_gen.h): default 10,000 series x 4 h at 15 s, ending
   now, sharded like Prometheus's queue manager, <= 2,000 samples per request.
2. For each server in turn (opsight, then prometheus, each on its own temp dir and a free
   127.0.0.1 port): start it, send every file (one connection per shard, shards kept within
   --shard-skew-min minutes of data of each other, like a live queue manager), and measure
   - CPU seconds consumed during ingest (utime+stime from /proc/<pid>/stat, before/after),
   - peak RSS (VmHWM from /proc/<pid>/status),
   - samples acknowledged (2xx) and wall time;
   then persist (opsight: POST /api/v1/admin/compact; prometheus: POST
   /api/v1/admin/tsdb/snapshot) and measure bytes on disk per sample (opsight: block_bytes /
   block_samples of the compaction stats; prometheus: chunks/ + index of the snapshot's blocks /
   numSamples of their meta.json).
3. Checks correctness: the manifest's check series exported from opsight equal the raw samples
   Prometheus returns for `<series>[<range>]` (and both hold every generated sample).
4. Prints a table with both servers and the ratios opsight/prometheus, and writes it as JSON to
   bench/out/ (gitignored). Exit code 1 if a server rejected samples or the check failed.

Stdlib only. See docs/benchmarks.md.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from prom_e2e import (ROOT, OpsightBenchServer, PrometheusServer, Sender,  # noqa: E402
                      generate_requests, load_manifest, tl)


# --- one server's run ---------------------------------------------------------------------------

def bench_server(name, server, req_dir, manifest, args):
    print(f"[{name}] starting", flush=True)
    server.start()
    pid = server.pid
    cpu0, wall0 = tl.proc_cpu_seconds(pid), time.monotonic()
    sender = Sender(server.port, req_dir, manifest, args.shard_skew_min * 60_000)
    sender.run()
    wall = time.monotonic() - wall0
    cpu = tl.proc_cpu_seconds(pid) - cpu0
    hwm_ingest = tl.proc_status_kb(pid, "VmHWM")
    rss_ingest = tl.proc_status_kb(pid, "VmRSS")
    print(f"[{name}] ingest: {sender.acked_samples} samples acknowledged in {wall:.1f}s, "
          f"{cpu:.1f} CPU-s, peak RSS {hwm_ingest / 2**20:.0f} MiB; HTTP {sender.status_counts}",
          flush=True)
    for e in sender.first_errors:
        print(f"[{name}]   {e}", flush=True)
    cpu1, wall1 = tl.proc_cpu_seconds(pid), time.monotonic()
    disk = server.persist()
    persist_wall = time.monotonic() - wall1
    persist_cpu = tl.proc_cpu_seconds(pid) - cpu1
    print(f"[{name}] persisted: {disk['bytes']} bytes for {disk['samples']} samples in "
          f"{disk['blocks']} blocks ({persist_wall:.1f}s, {persist_cpu:.1f} CPU-s)", flush=True)
    checks = {}
    for metric in manifest["check_series"]:
        checks[tl.series_key(metric)] = server.raw_samples(metric, manifest["start_ms"],
                                                           manifest["end_ms"])
    result = {
        "samples_sent": manifest["samples"],
        "samples_acked": sender.acked_samples,
        "samples_stored": disk["samples"],
        "rejected_requests": sender.rejected_requests,
        "failed_requests": sender.failed_requests,
        "http_status_counts": {str(k): v for k, v in sender.status_counts.items()},
        "first_errors": sender.first_errors,
        "ingest_wall_s": round(wall, 3),
        "ingest_cpu_s": round(cpu, 3),
        "samples_per_cpu_s": round(sender.acked_samples / cpu, 1) if cpu > 0 else None,
        "samples_per_wall_s": round(sender.acked_samples / wall, 1) if wall > 0 else None,
        "peak_rss_bytes": hwm_ingest,
        "rss_after_ingest_bytes": rss_ingest,
        "persist_wall_s": round(persist_wall, 3),
        "persist_cpu_s": round(persist_cpu, 3),
        "peak_rss_after_persist_bytes": tl.proc_status_kb(pid, "VmHWM"),
        "disk_bytes": disk["bytes"],
        "disk_blocks": disk["blocks"],
        "data_dir_bytes": disk["data_dir_bytes"],
        "bytes_per_sample": round(disk["bytes"] / disk["samples"], 4) if disk["samples"] else None,
    }
    rc = server.stop()
    result["exit_code"] = rc
    return result, checks


def compare_checks(manifest, ops, prom):
    """Both servers hold every generated sample of the check series, and the same ones."""
    steps = (manifest["end_ms"] - manifest["start_ms"]) // manifest["interval_ms"]
    problems, compared = [], 0
    for metric in manifest["check_series"]:
        key = tl.series_key(metric)
        a = ops.get(key, {}).get(key, []) if ops is not None else None
        b = prom.get(key, {}).get(key, []) if prom is not None else None
        for who, s in (("opsight", a), ("prometheus", b)):
            if s is not None and len(s) != steps:
                problems.append(f"{who}: {tl.format_series(key)} has {len(s)} samples, "
                                f"generated {steps}")
        if a is not None and b is not None:
            if a != b:
                diff = [(x, y) for x, y in zip(a, b) if x != y][:3]
                problems.append(f"{tl.format_series(key)}: opsight != prometheus; first "
                                f"differences (opsight, prometheus): {diff}")
            compared += len(a)
    return problems, compared


def ratio(a, b):
    return round(a / b, 3) if a and b else None


def print_table(res):
    o, p = res["servers"].get("opsight"), res["servers"].get("prometheus")
    rows = [
        ("samples acknowledged", "samples_acked", "{:,.0f}"),
        ("samples stored (blocks)", "samples_stored", "{:,.0f}"),
        ("ingest wall s", "ingest_wall_s", "{:.1f}"),
        ("ingest CPU s", "ingest_cpu_s", "{:.1f}"),
        ("samples / CPU-second", "samples_per_cpu_s", "{:,.0f}"),
        ("peak RSS MiB", "peak_rss_bytes", "mib"),
        ("persist CPU s", "persist_cpu_s", "{:.1f}"),
        ("bytes on disk (blocks)", "disk_bytes", "{:,.0f}"),
        ("bytes / sample", "bytes_per_sample", "{:.3f}"),
    ]

    def fmt(v, f):
        if v is None:
            return "-"
        if f == "mib":
            return f"{v / 2**20:,.0f}"
        return f.format(v)
    print()
    print(f"{'':26} {'opsight':>16} {'prometheus':>16} {'opsight/prom':>13}")
    for label, key, f in rows:
        ov = o.get(key) if o else None
        pv = p.get(key) if p else None
        r = ratio(ov, pv) if isinstance(ov, (int, float)) and isinstance(pv, (int, float)) else None
        print(f"{label:26} {fmt(ov, f):>16} {fmt(pv, f):>16} {('%.3f' % r) if r else '-':>13}")
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--series", type=int, default=10_000)
    ap.add_argument("--hours", type=float, default=4.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shards", type=int, default=4, help="connections per server")
    ap.add_argument("--max-samples-per-send", type=int, default=2000)
    ap.add_argument("--shard-skew-min", type=float, default=30.0)
    ap.add_argument("--requests-dir", help="reuse request files written by opsight_e2e_gen")
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
    servers = [s for s in args.servers.split(",") if s]

    work = tempfile.mkdtemp(prefix="opsight-bench-")
    req_dir = args.requests_dir
    try:
        if req_dir is None:
            req_dir = os.path.join(work, "requests")
            manifest = generate_requests(args.gen_bin, req_dir, args.series, args.hours,
                                         args.seed, args.shards, args.max_samples_per_send)
        else:
            manifest = load_manifest(req_dir)

        res = {
            "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "host": {"cpus": os.cpu_count(), "kernel": platform.release(),
                     "python": platform.python_version()},
            "workload": {k: manifest[k] for k in ("generator", "series", "hosts", "samples",
                                                  "start_ms", "end_ms", "interval_ms", "hours",
                                                  "seed", "max_samples_per_send", "files",
                                                  "raw_bytes", "compressed_bytes")},
            "connections": len(manifest["shards"]),
            "servers": {},
        }
        try:
            res["prometheus_version"] = subprocess.run(
                [args.prometheus_bin, "--version"], capture_output=True, text=True,
                timeout=30).stdout.splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            res["prometheus_version"] = None
        checks = {}
        for name in servers:
            srv = OpsightBenchServer(args.opsight_bin) if name == "opsight" else \
                PrometheusServer(args.prometheus_bin)
            try:
                res["servers"][name], checks[name] = bench_server(name, srv, req_dir, manifest,
                                                                  args)
            finally:
                srv.cleanup(keep=args.keep)
        o, p = res["servers"].get("opsight"), res["servers"].get("prometheus")
        if o and p:
            res["ratios_opsight_over_prometheus"] = {
                "samples_per_cpu_s": ratio(o["samples_per_cpu_s"], p["samples_per_cpu_s"]),
                "peak_rss": ratio(o["peak_rss_bytes"], p["peak_rss_bytes"]),
                "bytes_per_sample": ratio(o["bytes_per_sample"], p["bytes_per_sample"]),
            }
        problems, compared = compare_checks(manifest, checks.get("opsight"),
                                            checks.get("prometheus"))
        for name, r in res["servers"].items():
            if r["samples_acked"] != manifest["samples"]:
                problems.append(f"{name}: acknowledged {r['samples_acked']} of "
                                f"{manifest['samples']} samples")
            if r["samples_stored"] != manifest["samples"]:
                problems.append(f"{name}: stored {r['samples_stored']} of "
                                f"{manifest['samples']} samples")
            if r["exit_code"] != 0:
                problems.append(f"{name}: exit code {r['exit_code']} after SIGTERM")
        res["correctness"] = {"check_series": len(manifest["check_series"]),
                              "samples_compared": compared, "problems": problems}
        print_table(res)
        os.makedirs(args.out, exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = os.path.join(args.out, f"e2e-vs-prometheus-{stamp}.json")
        with open(out, "w") as f:
            json.dump(res, f, indent=2)
            f.write("\n")
        print(f"wrote {out}")
        if problems:
            print("PROBLEMS:\n  " + "\n  ".join(problems), file=sys.stderr)
            return 1
        if compared:
            print(f"correctness: {compared} samples of {len(manifest['check_series'])} series "
                  "equal in both servers")
        else:
            print(f"correctness: {len(manifest['check_series'])} series complete (one server "
                  "only, nothing to compare with)")
        return 0
    except tl.TestFailure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
