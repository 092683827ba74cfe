#!/usr/bin/env python3
"""Root-cause benchmark (issue 8): does an investigation name the faulty service?

For every fault kind (latency, errors, cpu) on every component of the demo shop (frontend,
checkout, payment, inventory, orders-db, orders-queue), and for each seed:
1. A Release opsight starts on a fresh temp dir and a free 127.0.0.1 port.
2. `opsight demo --backfill <total> --duration 0 --fault KIND:TARGET@<onset>/<len>` sends the
   shop's traces, metrics and logs over OTLP/HTTP; the demo writes the ground truth (the fault's
   start and end in Unix ms).
3. POST /api/v1/investigations over the fault window, with NO service hint.
4. The rank of the faulty component among the hypotheses is recorded.
Reports top-1 and top-3 accuracy of the root-cause service over all runs (targets: >= 0.9 and
>= 0.98) and the investigation's latency, and writes JSON to bench/out/rca-<timestamp>.json.

The demo names its targets frontend, checkout, payment, inventory, db and queue; the database and
the queue are uninstrumented peers that appear in traces as orders-db and orders-queue.

Stdlib only. See docs/benchmarks.md ("Root cause").
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import opsight_testlib as tl  # noqa: E402

KINDS = ["latency", "errors", "cpu"]
TARGETS = ["frontend", "checkout", "payment", "inventory", "db", "queue"]
COMPONENT = {"db": "orders-db", "queue": "orders-queue"}


def post_json(url, doc, timeout=120):
    req = urllib.request.Request(url, data=json.dumps(doc).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def one_run(args, kind, target, seed):
    srv = tl.OpsightServer(binary=args.opsight_bin, log_name="opsight-rca-bench.log")
    try:
        srv.start()
        gt_path = os.path.join(srv.work_dir, "ground-truth.json")
        spec = f"{kind}:{target}@{args.onset}/{args.length}"
        subprocess.run([args.opsight_bin, "demo", "--target", srv.base, "--rps", str(args.rps),
                        "--seed", str(seed), "--backfill", args.backfill, "--duration", "0",
                        "--fault", spec, "--ground-truth", gt_path],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(gt_path) as f:
            fault = json.load(f)["faults"][0]
        t0 = time.monotonic()
        res = post_json(srv.base + "/api/v1/investigations",
                        {"start": fault["start_ms"], "end": fault["end_ms"]})
        elapsed = time.monotonic() - t0
    finally:
        srv.stop()
    want = COMPONENT.get(target, target)
    ranked = [h.get("service") or h.get("component") for h in res.get("hypotheses", [])]
    rank = ranked.index(want) + 1 if want in ranked else None
    top = res["hypotheses"][0] if res.get("hypotheses") else {}
    return {"fault": spec, "seed": seed, "want": want, "rank": rank, "ranked": ranked[:5],
            "top_kind": top.get("kind"), "top_score": top.get("score"),
            "explanation": top.get("explanation", ""), "investigation_s": elapsed,
            "stats": res.get("stats", {})}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--opsight-bin", default=os.environ.get("OPSIGHT_BIN") or
                    os.path.join(ROOT, "build", "release", "src", "opsight"))
    ap.add_argument("--rps", type=float, default=10)
    ap.add_argument("--backfill", default="40m", help="simulated time per run")
    ap.add_argument("--onset", default="30m", help="fault start from the data's start")
    ap.add_argument("--length", default="10m", help="fault duration")
    ap.add_argument("--seeds", type=int, default=2, help="runs per (kind, target)")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--targets", default=",".join(TARGETS))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out"))
    args = ap.parse_args()

    runs = []
    for seed in range(1, args.seeds + 1):
        for kind in args.kinds.split(","):
            for target in args.targets.split(","):
                r = one_run(args, kind, target, seed)
                runs.append(r)
                print(f"{r['fault']:<28} seed {seed}  rank {r['rank']}  top {r['ranked'][:3]}  "
                      f"{r['investigation_s'] * 1000:.0f} ms", flush=True)
    n = len(runs)
    top1 = sum(1 for r in runs if r["rank"] == 1) / n
    top3 = sum(1 for r in runs if r["rank"] is not None and r["rank"] <= 3) / n
    lat = [r["investigation_s"] for r in runs]
    summary = {"runs": n, "top1": top1, "top3": top3,
               "investigation_s": {"p50": statistics.median(lat), "max": max(lat)}}
    print(f"\nruns {n}  top-1 {top1:.3f} (target >= 0.9)  top-3 {top3:.3f} (target >= 0.98)  "
          f"investigation p50 {summary['investigation_s']['p50'] * 1000:.0f} ms")
    os.makedirs(args.out, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = os.path.join(args.out, f"rca-{stamp}.json")
    with open(path, "w") as f:
        json.dump({"host": {"cpus": os.cpu_count(), "kernel": platform.release()},
                   "args": vars(args), "summary": summary, "runs": runs}, f, indent=1)
    print("wrote", path)


if __name__ == "__main__":
    main()
