#!/usr/bin/env python3
"""`opsight demo` against a real server: 10 minutes of backfilled shop traffic with an injected
`errors:inventory` fault from minute 4 to 7, then checks what a user would look at:
  - the demo exits 0 having sent everything, and writes the fault down as ground truth;
  - PromQL: the frontend's request counter equals the demo's request count exactly, and
    inventory's 5xx rate during the fault is far above before it;
  - Logs Insights finds inventory's error logs, and the trace of one of them (by its traceId)
    shows the frontend answering 502 above an inventory span in error;
  - the database and queue never show up as services of their own in traces.
Exit code 0 on success, 1 with a message otherwise.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402

RPS = 20
BACKFILL_S = 600


def promql(srv, query, t_s):
    resp = tl.get_json(srv.base + "/api/v1/query?" +
                       urllib.parse.urlencode({"query": query, "time": f"{t_s:.3f}"}))
    if resp.get("status") != "success":
        tl.fail(f"PromQL {query}: {resp}")
    result = resp["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


def walk(spans):
    for s in spans:
        yield s
        yield from walk(s["children"])


def main():
    work = tempfile.mkdtemp(prefix="opsight-it-demo-")
    truth_path = os.path.join(work, "truth.json")
    with tl.OpsightServer(log_name="opsight-demo.log") as srv:
        srv.start()
        t0 = time.time()
        r = subprocess.run([srv.binary, "demo", "--target", srv.base, "--rps", str(RPS),
                            "--backfill", f"{BACKFILL_S}s", "--duration", "0", "--seed", "3",
                            "--fault", "errors:inventory@4m/3m", "--ground-truth", truth_path],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            tl.fail(f"opsight demo exited {r.returncode}:\n{r.stdout}\n{r.stderr[-3000:]}")
        stats = json.loads(r.stdout)
        tl.log(f"demo: {stats} in {time.time() - t0:.1f}s")
        if stats["failed_posts"] != 0 or stats["posts"] == 0:
            tl.fail(f"demo stats: {stats}")
        if abs(stats["requests"] - RPS * BACKFILL_S) > 0.1 * RPS * BACKFILL_S:
            tl.fail(f"demo made {stats['requests']} requests, expected about {RPS * BACKFILL_S}")

        truth = json.load(open(truth_path))
        origin_s = truth["origin_ms"] / 1000
        fault = truth["faults"][0]
        if (fault["kind"], fault["target"]) != ("errors", "inventory") or \
                fault["start_ms"] != truth["origin_ms"] + 240_000 or \
                fault["end_ms"] != truth["origin_ms"] + 420_000:
            tl.fail(f"ground truth: {truth}")
        end_s = origin_s + BACKFILL_S

        # Metrics: cumulative histogram counts of every frontend request.
        front = promql(srv, 'sum(http_server_request_duration_seconds_count{service="frontend"})',
                       end_s)
        if front != stats["requests"]:
            tl.fail(f"frontend request count {front} != the demo's {stats['requests']}")
        inv5xx = 'sum(increase(http_server_request_duration_seconds_count{service="inventory",' \
                 'http_response_status_code="500"}[3m]))'
        before = promql(srv, inv5xx, origin_s + 240)
        during = promql(srv, inv5xx, origin_s + 420)
        tl.log(f"inventory 5xx over 3m: {before:.0f} before the fault, {during:.0f} during it")
        if during < 10 * before + 100:
            tl.fail(f"inventory 5xx during the fault ({during}) not well above before ({before})")
        cpu = promql(srv, 'max(process_cpu_utilization_ratio{service="orders-db"})', end_s)
        if not 0 < cpu < 1:
            tl.fail(f"orders-db CPU utilization {cpu}")

        # Logs -> trace.
        rows, _ = tl.logs_insights(
            srv.base,
            "filter @message like /StockServiceError/ | fields traceId, @message | limit 5",
            ["/otel/inventory"], int(origin_s), int(end_s) + 60)
        if not rows or not rows[0].get("traceId"):
            tl.fail(f"no inventory error logs with a traceId: {rows}")
        trace = tl.get_json(srv.base + "/api/v1/traces/" + rows[0]["traceId"])
        spans = list(walk(trace["roots"]))
        roots = trace["roots"]
        if len(roots) != 1 or roots[0]["service"] != "frontend" or \
                roots[0]["attributes"].get("http.response.status_code") != 502:
            tl.fail(f"trace root: {json.dumps(roots)[:1500]}")
        failing = [s for s in spans if s["service"] == "inventory" and s["kind"] == "SERVER" and
                   s["status"]["code"] == "ERROR"]
        if not failing:
            tl.fail(f"no failing inventory server span in {json.dumps(trace)[:2000]}")
        if set(trace["services"]) - {"frontend", "checkout", "inventory", "payment"}:
            tl.fail(f"unexpected services {trace['services']}")
        tl.log(f"trace {trace['traceId']}: {trace['spanCount']} spans, root 502, inventory failed")
    tl.log("OK")


if __name__ == "__main__":
    tl.main_wrapper(main)
