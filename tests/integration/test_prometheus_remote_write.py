#!/usr/bin/env python3
"""Real Prometheus -> opsight remote write.

Starts opsight and Debian's prometheus (2.42, /usr/bin/prometheus) on 127.0.0.1. Prometheus
scrapes itself and opsight's /metrics every second and remote-writes everything to opsight's
/api/v1/write. Within a bounded wait opsight must have the scraped series (up,
prometheus_build_info, opsight's own process_cpu_seconds_total as scraped by Prometheus); then,
for several series, the raw samples opsight exports for a one-minute window must equal the raw
samples Prometheus returns for `<series>[1m]` at the end of that window (an instant query of a
range vector returns raw samples, unlike query_range).

Skips (exit 0, "SKIP: prometheus not installed") only when prometheus is missing and $CI is
unset; under CI a missing prometheus is a failure. $OPSIGHT_PROMETHEUS_BIN picks another
prometheus binary.
"""

import json
import math
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402

SCRAPE_S = 1
WINDOW_S = 60
SERIES_WAIT_S = 60
COMPARED = [
    'up{job="prometheus"}',
    'up{job="opsight"}',
    "prometheus_build_info",
    'process_cpu_seconds_total{job="opsight"}',
    'process_resident_memory_bytes{job="opsight"}',
    'scrape_duration_seconds{job="opsight"}',
    'scrape_samples_scraped{job="prometheus"}',
    "prometheus_tsdb_head_series",
]


def prometheus_config(opsight_port, port):
    return f"""global:
  scrape_interval: {SCRAPE_S}s
  scrape_timeout: {SCRAPE_S}s
  evaluation_interval: {SCRAPE_S}s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:{port}"]
  - job_name: opsight
    static_configs:
      - targets: ["127.0.0.1:{opsight_port}"]
remote_write:
  - url: http://127.0.0.1:{opsight_port}/api/v1/write
    queue_config:
      batch_send_deadline: 1s
      min_backoff: 100ms
      max_backoff: 1s
"""


def prometheus_query(prom, q, t):
    params = urllib.parse.urlencode({"query": q, "time": f"{t:.3f}"})
    resp = tl.get_json(prom.base + "/api/v1/query?" + params)
    if resp.get("status") != "success":
        tl.fail(f"prometheus query {q}: {resp}")
    return resp["data"]


def opsight_has_series(opsight, match):
    url = opsight.base + "/api/v1/series?" + urllib.parse.urlencode({"match[]": match})
    status, body = tl.http_get(url, timeout=5.0)
    if status != 200:
        return False
    return len(json.loads(body).get("data", [])) > 0


def prometheus_samples(prom, sel, t):
    """{series_key: [(t_ms, value), ...]} of the raw samples of sel[WINDOW_S] at time t."""
    data = prometheus_query(prom, f"{sel}[{WINDOW_S}s]", t)
    if data.get("resultType") != "matrix":
        tl.fail(f"prometheus {sel}[{WINDOW_S}s]: resultType {data.get('resultType')}")
    out = {}
    for s in data["result"]:
        out[tl.series_key(s["metric"])] = [(round(float(ts) * 1000), float(v))
                                            for ts, v in s["values"]]
    return out


def same_value(a, b):
    return a == b or (math.isnan(a) and math.isnan(b))


def compare(opsight, prom, sel, t_end_ms):
    left_ms = t_end_ms - WINDOW_S * 1000
    want = prometheus_samples(prom, sel, t_end_ms / 1000)
    got, dups = tl.export(opsight.base, sel, start=left_ms, end=t_end_ms)
    if dups:
        tl.fail(f"{sel}: opsight exported duplicate samples: {dups[:5]}")
    if not want:
        tl.fail(f"{sel}: prometheus has no samples in the window (scrape not working?)")
    problems = []
    for key in sorted(set(want) | set(got)):
        # The window's left edge is inclusive in Prometheus 2.x and exclusive in 3.x: ignore it.
        # Staleness markers (NaN) are not returned by Prometheus queries: ignore them too.
        w = [(t, v) for t, v in want.get(key, []) if t > left_ms]
        g = [(t, v) for t, v in got.get(key, []) if t > left_ms and not math.isnan(v)]
        if key not in got:
            problems.append(f"{tl.format_series(key)}: missing in opsight ({len(w)} samples "
                            "in prometheus)")
            continue
        if key not in want:
            problems.append(f"{tl.format_series(key)}: in opsight, not in prometheus")
            continue
        if len(w) != len(g) or any(a[0] != b[0] or not same_value(a[1], b[1])
                                   for a, b in zip(w, g)):
            diff = [(a, b) for a, b in zip(w, g) if a != b][:3]
            problems.append(f"{tl.format_series(key)}: prometheus {len(w)} samples, opsight "
                            f"{len(g)}; first differences (prometheus, opsight): {diff}; "
                            f"prometheus head {w[:3]}, opsight head {g[:3]}")
    if problems:
        tl.fail(f"{sel} over ({left_ms}, {t_end_ms}]:\n  " + "\n  ".join(problems))
    return sum(len(v) for v in want.values())


def run():
    prom_bin = tl.find_prometheus()
    if prom_bin is None:
        print("SKIP: prometheus not installed", flush=True)
        return
    opsight = tl.OpsightServer(log_name="opsight-promrw.log")
    prom = None
    ok = False
    try:
        opsight.start()
        status, body = tl.http_get(opsight.base + "/metrics")
        if status != 200 or b"process_cpu_seconds_total" not in body:
            tl.fail(f"opsight /metrics: HTTP {status}, no process_cpu_seconds_total")
        prom = tl.PrometheusServer(prom_bin, lambda port: prometheus_config(opsight.port, port))
        prom.start()
        t0 = time.monotonic()
        for match in ('up{job="prometheus"}', 'up{job="opsight"}', "prometheus_build_info",
                      'process_cpu_seconds_total{job="opsight"}'):
            left = max(1.0, SERIES_WAIT_S - (time.monotonic() - t0))
            tl.wait_until(lambda: opsight_has_series(opsight, match), left, interval_s=0.25,
                          what=f"opsight to receive {match} by remote write")
        tl.log(f"series arrived after {time.monotonic() - t0:.1f}s")
        # Prometheus needs 20 scrapes inside the window for the comparison to mean something.
        def scrapes():
            r = prometheus_query(prom, 'count_over_time(up{job="opsight"}[1m])', time.time())["result"]
            return r and float(r[0]["value"][1]) >= 20
        tl.wait_until(scrapes, 30, interval_s=0.5, what="20 scrapes in prometheus")
        t_end_ms = int(time.time() * 1000) - 2000

        def delivered(sel):
            got, _ = tl.export(opsight.base, sel, start=t_end_ms, end=t_end_ms + 600_000)
            return got and all(any(t > t_end_ms for t, _ in s) for s in got.values())
        for sel in COMPARED:
            tl.wait_until(lambda: delivered(sel), 30, interval_s=0.25,
                          what=f"remote write to deliver {sel} past the window")
        total = 0
        for sel in COMPARED:
            total += compare(opsight, prom, sel, t_end_ms)
        # The label APIs see what came in by remote write.
        jobs = tl.get_json(opsight.base + "/api/v1/label/job/values")
        if not {"prometheus", "opsight"} <= set(jobs.get("data", [])):
            tl.fail(f"/api/v1/label/job/values: {jobs}")
        names = tl.get_json(opsight.base + "/api/v1/labels")
        if not {"__name__", "instance", "job"} <= set(names.get("data", [])):
            tl.fail(f"/api/v1/labels: {names}")
        prom.stop()
        rc = opsight.stop()
        if rc != 0:
            tl.fail(f"opsight exited with code {rc} after SIGTERM")
        tl.log(f"prometheus remote write: {len(COMPARED)} selectors, {total} samples equal "
               f"in opsight and prometheus")
        ok = True
    except tl.TestFailure:
        if prom is not None:
            print(prom.log_tail(), file=sys.stderr)
        print(opsight.log_tail(), file=sys.stderr)
        raise
    finally:
        keep = not ok and bool(os.environ.get("OPSIGHT_KEEP"))
        if prom is not None:
            prom.cleanup(keep=keep)
        opsight.cleanup(keep=keep)


if __name__ == "__main__":
    tl.main_wrapper(run)
