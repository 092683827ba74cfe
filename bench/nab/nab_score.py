#!/usr/bin/env python3
"""Numenta Anomaly Benchmark (NAB) scorer, written from the rules in shared/data/README.md.

Runs a detector over every data/<category>/<file>.csv of a NAB directory (or reads score CSVs a
detector already produced), and prints the normalised standard, reward-low-FP and reward-low-FN
scores. Stdlib only.

The rules (Lavin & Ahmad, "Evaluating Real-time Anomaly Detection Algorithms - the Numenta
Anomaly Benchmark", ICMLA 2015; README of the data directory):
  1. labels/combined_windows.json gives [start, end] timestamps of each window per file; a window
     is the rows whose timestamp lies in [start, end].
  2. The first min(floor(0.15 * rows), 750) rows of a file are probationary: never scored.
  3. A row is a detection when its score >= threshold. One threshold per profile, chosen by
     sweeping every distinct score over the whole corpus and keeping the best total.
  4. In a window only the earliest detection counts: with pos = -(windowEnd - i + 1) / width it
     scores tp * sigma(pos) / sigma(-1), sigma(x) = 2 / (1 + e^(5x)) - 1. A window without a
     detection scores -fn.
  5. A detection outside every window scores fp * sigma(d), d = |i - prevWindowEnd| /
     (prevWindowWidth - 1) (sigma taken as -1 for d > 3), or -fp when no window precedes it.
  6. Profiles from profiles.json (standard tp=1 fn=1 fp=0.11; low FP fp=0.22; low FN fn=2).
  7. Normalised = 100 * (raw - null) / (perfect - null); perfect = windows * tp, null =
     -windows * fn, over the corpus.

Detector: --opsight BIN runs `BIN anomaly score FILE`; --detector 'CMD {file}' runs any command
that prints `timestamp,value,anomaly_score` CSV for FILE; --scores-dir DIR reads
DIR/<category>/<file>.csv instead. Output must have one row per input row.

  bench/nab/nab_score.py --opsight build/release/src/opsight
"""

import argparse
import csv
import datetime
import io
import json
import math
import os
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_NAB = os.path.join(REPO, "..", "shared", "data", "nab")

# NAB's three cost profiles; profiles.json, when present, overrides these.
DEFAULT_PROFILES = {
    "standard": {"tp": 1.0, "fn": 1.0, "fp": 0.11},
    "reward_low_FP_rate": {"tp": 1.0, "fn": 1.0, "fp": 0.22},
    "reward_low_FN_rate": {"tp": 1.0, "fn": 2.0, "fp": 0.11},
}


def sigma(x):
    """NAB's scaled sigmoid: 2 / (1 + e^(5x)) - 1, and -1 beyond x > 3."""
    if x > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * x)) - 1.0


def probation_rows(n):
    return min(int(math.floor(0.15 * n)), 750)


def parse_ts(text):
    return datetime.datetime.fromisoformat(text.strip())


def window_rows(timestamps, windows):
    """[(first_row, last_row)] of each window: the rows whose timestamp is in [start, end].
    Windows without any row are dropped."""
    out = []
    for start, end in windows:
        rows = [i for i, t in enumerate(timestamps) if start <= t <= end]
        if rows:
            out.append((rows[0], rows[-1]))
    return out


def row_values(n, windows, profile):
    """Per row: (sweep value if detected, window id or None), following rules 4 and 5.
    windows: sorted, non-overlapping (first_row, last_row)."""
    max_tp = sigma(-1.0)
    out = []
    w = 0
    prev_end = None
    prev_width = None
    for i in range(n):
        while w < len(windows) and windows[w][1] < i:
            prev_end = windows[w][1]
            prev_width = windows[w][1] - windows[w][0] + 1
            w += 1
        if w < len(windows) and windows[w][0] <= i <= windows[w][1]:
            first, last = windows[w]
            width = last - first + 1
            pos = -(last - i + 1) / width
            out.append((profile["tp"] * sigma(pos) / max_tp, w))
        elif prev_end is None:
            out.append((-profile["fp"], None))
        else:
            # A one-row window would divide by zero; NAB has none, treat it as d > 3.
            d = abs(i - prev_end) / (prev_width - 1) if prev_width > 1 else math.inf
            out.append((profile["fp"] * sigma(d), None))
    return out


class FileCase:
    """One file's scores and windows, ready for the sweep."""

    def __init__(self, name, scores, windows):
        self.name = name
        self.scores = scores
        self.windows = windows  # row ranges
        self.probation = probation_rows(len(scores))
        # Windows with at least one scored row are the ones that count.
        self.counted = [k for k, (a, b) in enumerate(windows) if b >= self.probation]


def sweep_points(cases, profile):
    """(score, value, window key) for every scored row of the corpus."""
    points = []
    for c in cases:
        values = row_values(len(c.scores), c.windows, profile)
        for i in range(c.probation, len(c.scores)):
            v, w = values[i]
            points.append((c.scores[i], v, None if w is None else (c.name, w)))
    return points


def best_threshold(cases, profile):
    """Sweep every distinct score; returns (threshold, raw score) of the best total. The
    threshold None means no detections (the null detector's score)."""
    points = sweep_points(cases, profile)
    points.sort(key=lambda p: -p[0])
    num_windows = sum(len(c.counted) for c in cases)
    tp = 0.0
    fp = 0.0
    fn = -profile["fn"] * num_windows
    best = (None, fn)
    window_best = {}
    i = 0
    while i < len(points):
        threshold = points[i][0]
        while i < len(points) and points[i][0] == threshold:
            _, v, w = points[i]
            if w is None:
                fp += v
            elif w not in window_best:
                window_best[w] = v
                tp += v
                fn += profile["fn"]
            elif v > window_best[w]:
                tp += v - window_best[w]
                window_best[w] = v
            i += 1
        total = tp + fp + fn
        if total > best[1]:
            best = (threshold, total)
    return best


def file_breakdown(case, profile, threshold):
    """Score parts of one file at a threshold: raw, tp windows hit, fn windows, fp rows."""
    values = row_values(len(case.scores), case.windows, profile)
    hit = {}
    fp_rows = 0
    fp_sum = 0.0
    for i in range(case.probation, len(case.scores)):
        if threshold is None or case.scores[i] < threshold:
            continue
        v, w = values[i]
        if w is None:
            fp_rows += 1
            fp_sum += v
        elif w not in hit:
            hit[w] = v
    tp_sum = sum(hit.values())
    fn = len([k for k in case.counted if k not in hit])
    raw = tp_sum + fp_sum - profile["fn"] * fn
    return {"file": case.name, "raw": raw, "windows": len(case.counted), "hit": len(hit),
            "missed": fn, "fp_rows": fp_rows, "tp_sum": tp_sum, "fp_sum": fp_sum}


def normalised(raw, cases, profile):
    num_windows = sum(len(c.counted) for c in cases)
    perfect = num_windows * profile["tp"]
    null = -num_windows * profile["fn"]
    return 100.0 * (raw - null) / (perfect - null)


def score_corpus(cases, profiles):
    """{profile: {"threshold", "raw", "score", "files"}} for the cases."""
    results = {}
    for name, profile in profiles.items():
        threshold, raw = best_threshold(cases, profile)
        results[name] = {
            "threshold": threshold,
            "raw": raw,
            "score": normalised(raw, cases, profile),
            "files": [file_breakdown(c, profile, threshold) for c in cases],
        }
    return results


def load_profiles(path):
    if not path or not os.path.isfile(path):
        return dict(DEFAULT_PROFILES)
    with open(path) as f:
        raw = json.load(f)
    out = {}
    for name, body in raw.items():
        m = body["CostMatrix"]
        out[name] = {"tp": m["tpWeight"], "fn": m["fnWeight"], "fp": m["fpWeight"]}
    return out


def read_scores(text, expect_rows, name):
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [h.strip() for h in rows[0][:3]] != ["timestamp", "value", "anomaly_score"]:
        sys.exit(f"{name}: output does not start with timestamp,value,anomaly_score")
    body = [r for r in rows[1:] if r]
    if len(body) != expect_rows:
        sys.exit(f"{name}: {len(body)} output rows for {expect_rows} input rows")
    scores = [float(r[2]) for r in body]
    for i, s in enumerate(scores):
        if not (0.0 <= s <= 1.0):
            sys.exit(f"{name}: row {i + 1} score {s} outside [0, 1]")
    return scores


def read_input(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return [parse_ts(r[0]) for r in rows[1:] if r]


def data_files(nab_dir):
    data = os.path.join(nab_dir, "data")
    for category in sorted(os.listdir(data)):
        cdir = os.path.join(data, category)
        if not os.path.isdir(cdir):
            continue
        for name in sorted(os.listdir(cdir)):
            if name.endswith(".csv"):
                yield f"{category}/{name}", os.path.join(cdir, name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nab", default=os.environ.get("OPSIGHT_NAB", DEFAULT_NAB),
                    help="NAB directory with data/, labels/ and profiles.json")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--opsight", help="opsight binary: runs `opsight anomaly score FILE`")
    src.add_argument("--detector", help="command template with {file}, prints score CSV")
    src.add_argument("--scores-dir", help="read DIR/<category>/<file>.csv score files")
    ap.add_argument("--save-scores", help="write each detector output under this directory")
    ap.add_argument("--json", help="JSON output path (default bench/out/nab-<time>.json)")
    ap.add_argument("--per-file", action="store_true", help="print each file's breakdown")
    args = ap.parse_args()

    with open(os.path.join(args.nab, "labels", "combined_windows.json")) as f:
        labels = json.load(f)
    profiles = load_profiles(os.path.join(args.nab, "profiles.json"))

    cases = []
    detector_seconds = 0.0
    total_rows = 0
    for rel, path in data_files(args.nab):
        if rel not in labels:
            continue
        timestamps = read_input(path)
        if args.scores_dir:
            with open(os.path.join(args.scores_dir, rel)) as f:
                text = f.read()
        else:
            cmd = ([args.opsight, "anomaly", "score", path] if args.opsight else
                   [a.replace("{file}", path) for a in shlex.split(args.detector)])
            start = time.monotonic()
            text = subprocess.run(cmd, check=True, capture_output=True).stdout.decode()
            detector_seconds += time.monotonic() - start
            if args.save_scores:
                out = os.path.join(args.save_scores, rel)
                os.makedirs(os.path.dirname(out), exist_ok=True)
                with open(out, "w") as f:
                    f.write(text)
        scores = read_scores(text, len(timestamps), rel)
        windows = sorted(window_rows(timestamps, [(parse_ts(a), parse_ts(b))
                                                  for a, b in labels[rel]]))
        cases.append(FileCase(rel, scores, windows))
        total_rows += len(timestamps)
    if not cases:
        sys.exit(f"no labelled NAB files under {args.nab}")

    results = score_corpus(cases, profiles)
    if args.per_file:
        std = results.get("standard") or next(iter(results.values()))
        print(f"{'file':<58} {'win':>3} {'hit':>3} {'fp':>4} {'raw':>7}")
        for r in std["files"]:
            print(f"{r['file']:<58} {r['windows']:>3} {r['hit']:>3} {r['fp_rows']:>4} "
                  f"{r['raw']:>7.3f}")
    windows = sum(len(c.counted) for c in cases)
    print(f"NAB: {len(cases)} files, {total_rows} rows, {windows} windows")
    for name, r in results.items():
        print(f"{name:<20} score {r['score']:6.1f}  (raw {r['raw']:.3f}, threshold "
              f"{r['threshold']})")
    if detector_seconds > 0:
        print(f"detector: {total_rows / detector_seconds:,.0f} rows/s wall (whole command)")

    out = args.json
    if out is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out = os.path.join(REPO, "bench", "out", f"nab-{stamp}.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"files": len(cases), "rows": total_rows, "windows": windows,
                   "detector": args.opsight or args.detector or args.scores_dir,
                   "profiles": {k: {kk: vv for kk, vv in v.items()}
                                for k, v in results.items()}}, f, indent=2)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
