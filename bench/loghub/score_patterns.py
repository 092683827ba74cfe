#!/usr/bin/env python3
"""Grouping accuracy and throughput of `opsight patterns` on the Loghub 2k samples.

For each system X in the data directory that has X_2k.log and X_2k.log_structured.csv, runs
`opsight patterns X_2k.log` and scores the line -> pattern_id grouping against the ground-truth
EventId of each LineId. Grouping accuracy (GA, Zhu et al., ICSE-SEIP 2019): a line is correct
when the set of lines the parser put in its group is exactly the set of lines that share its
ground-truth EventId; GA = correct lines / all lines.

Throughput: all the systems' lines concatenated and repeated (--repeat) into one temporary file,
mined by one `opsight patterns` run; reported as lines per CPU-second (user + sys of the child).

Data: Loghub (github.com/logpai/loghub; cite the Loghub paper, ISSRE 2023; see LICENSE and
CITATION next to the data). Stdlib only.

  bench/loghub/score_patterns.py --opsight build/release/src/opsight
"""

import argparse
import collections
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def run_patterns(opsight, path):
    out = subprocess.run([opsight, "patterns", path], check=True, capture_output=True).stdout
    text = out.decode("utf-8", errors="replace")
    assignments, _, _ = text.partition("\n\n")
    rows = assignments.splitlines()
    if not rows or rows[0] != "line,pattern_id":
        sys.exit(f"unexpected output of opsight patterns {path}: {rows[:1]}")
    pred = {}
    for row in rows[1:]:
        line, pid = row.split(",")
        pred[int(line)] = pid
    return pred


def truth_of(structured_path):
    with open(structured_path, newline="", encoding="utf-8", errors="replace") as f:
        return {int(r["LineId"]): r["EventId"] for r in csv.DictReader(f)}


def grouping_accuracy(pred, truth):
    by_pred = collections.defaultdict(list)
    for line, pid in pred.items():
        by_pred[pid].append(line)
    truth_size = collections.Counter(truth.values())
    correct = 0
    for lines in by_pred.values():
        events = {truth.get(line) for line in lines}
        if len(events) == 1:
            (event,) = events
            if event is not None and truth_size[event] == len(lines):
                correct += len(lines)
    return correct / len(truth) if truth else 0.0


def systems(data_dir):
    for name in sorted(os.listdir(data_dir)):
        log = os.path.join(data_dir, name, f"{name}_2k.log")
        structured = log + "_structured.csv"
        if os.path.isfile(log) and os.path.isfile(structured):
            yield name, log, structured


def throughput(opsight, logs, repeat):
    with tempfile.NamedTemporaryFile("wb", suffix=".log", delete=False) as tmp:
        lines = 0
        blob = b""
        for log in logs:
            with open(log, "rb") as f:
                data = f.read()
            if not data.endswith(b"\n"):
                data += b"\n"
            blob += data
            lines += data.count(b"\n")
        for _ in range(repeat):
            tmp.write(blob)
        path = tmp.name
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        subprocess.run([opsight, "patterns", path], check=True, stdout=subprocess.DEVNULL)
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        os.unlink(path)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    total = lines * repeat
    return total, cpu, wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--opsight", default=os.environ.get(
        "OPSIGHT_BIN", os.path.join(REPO, "build", "release", "src", "opsight")))
    ap.add_argument("--data", default=os.environ.get(
        "OPSIGHT_LOGHUB", os.path.join(REPO, "..", "shared", "data", "loghub")))
    ap.add_argument("--repeat", type=int, default=64,
                    help="copies of the concatenated logs for the throughput run")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()

    results = []
    print(f"{'system':<12} {'lines':>6} {'events':>6} {'patterns':>8} {'GA':>6}")
    for name, log, structured in systems(args.data):
        truth = truth_of(structured)
        pred = run_patterns(args.opsight, log)
        ga = grouping_accuracy(pred, truth)
        results.append({"system": name, "lines": len(truth), "events": len(set(truth.values())),
                        "patterns": len(set(pred.values())), "ga": ga})
        r = results[-1]
        print(f"{name:<12} {r['lines']:>6} {r['events']:>6} {r['patterns']:>8} {ga:>6.3f}")
    if not results:
        sys.exit(f"no Loghub systems found under {args.data}")
    mean = sum(r["ga"] for r in results) / len(results)
    print(f"{'mean':<12} {'':>6} {'':>6} {'':>8} {mean:>6.3f}")

    total, cpu, wall = throughput(args.opsight, [s[1] for s in systems(args.data)], args.repeat)
    print(f"throughput: {total} lines in {cpu:.2f} CPU-s ({wall:.2f} s wall): "
          f"{total / cpu if cpu > 0 else float('inf'):,.0f} lines per CPU-second "
          "(whole command: read, mine, write CSV)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"systems": results, "mean_ga": mean, "throughput_lines": total,
                       "throughput_cpu_seconds": cpu, "throughput_wall_seconds": wall}, f, indent=2)


if __name__ == "__main__":
    main()
