#!/usr/bin/env python3
"""The OpenTelemetry JS SDK against a real opsight: OTLP/gRPC (plain and gzip), OTLP/HTTP
protobuf and OTLP/HTTP JSON trace exporters, and the OTLP/gRPC metrics and logs exporters.

otel_js/send.js (npm packages pinned by otel_js/package-lock.json; `scripts/install-deps.sh test`
runs `npm ci`) sends one known trace per trace exporter — a SERVER root, a CLIENT child with an
error status and an exception event, an INTERNAL grandchild with a link — plus counter and gauge
points and two log records, and prints what it sent and each export's result. This test starts
opsight on free loopback ports, runs the script, and reads everything back:
  - each trace via GET /api/v1/traces/<id>, compared field by field (ids, parentage, names,
    kinds, times, status, attributes with their types, events, links, resource, scope);
  - the metrics via the Prometheus query API (/api/v1/query);
  - the log records via GET /api/v1/logs/filter on the group /otel/<service.name>.
Exit code 0 on success; 1 with the differences otherwise. Skips (exit 0, "SKIP: ...") when node
or the npm packages are missing and $CI is unset; under CI that is a failure.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
JS_DIR = os.path.join(HERE, "otel_js")
SEND_TIMEOUT_S = 120
READ_TIMEOUT_S = 30


def check_trace(base, sent, problems):
    label = sent["exporter"]
    if sent["result"] != "SUCCESS":
        problems.append(f"{label}: export failed: {sent['result']}")
        return
    status, body = tl.http_get(f"{base}/api/v1/traces/{sent['traceId']}")
    if status != 200:
        problems.append(f"{label}: GET trace {sent['traceId']}: HTTP {status}: {body[:300]!r}")
        return
    got = json.loads(body)
    flat = {}

    def walk(node):
        flat[node["spanId"]] = node
        for c in node.get("children", []):
            walk(c)
    for r in got["roots"]:
        walk(r)
    if got["spanCount"] != len(sent["spans"]) or len(flat) != len(sent["spans"]):
        problems.append(f"{label}: {got['spanCount']} spans read back, {len(sent['spans'])} sent")
    if len(got["roots"]) != 1 or got["roots"][0]["spanId"] != sent["spans"][0]["spanId"]:
        problems.append(f"{label}: the tree's root is not the SERVER span")
    for want in sent["spans"]:
        sid = want["spanId"]
        g = flat.get(sid)
        if g is None:
            problems.append(f"{label}: span {sid} missing")
            continue

        def diff(field, got_v, want_v):
            if got_v != want_v:
                problems.append(f"{label}: span {sid} {field}: got {got_v!r}, sent {want_v!r}")
        diff("parentSpanId", g.get("parentSpanId"), want["parentSpanId"])
        diff("name", g["name"], want["name"])
        diff("kind", g["kind"], want["kind"])
        diff("service", g["service"], sent["service"])
        diff("startTimeUnixNano", g["startTimeUnixNano"], want["start"])
        diff("endTimeUnixNano", g["endTimeUnixNano"], want["end"])
        diff("status", g["status"], want["status"])
        attrs = dict(g.get("attributes", {}))
        attrs.update(g.get("metadata", {}))
        diff("attributes", attrs, want["attributes"])
        diff("events", [{"name": e["name"], "time": e["timeUnixNano"],
                         "attributes": e.get("attributes", {})} for e in g["events"]],
             want["events"])
        diff("links", [{"traceId": lk["traceId"], "spanId": lk["spanId"],
                        "attributes": lk.get("attributes", {})} for lk in g["links"]],
             want["links"])
        diff("resource", g.get("resource"),
             {"service.name": sent["service"], "service.version": "9.9.9", "host.name": "it-host"})
        diff("scope", g.get("scope"), {"name": "opsight-it", "version": "1.2.3"})
        diff("origin", g.get("origin"), "otlp")


def check_metrics(base, metrics, problems):
    if metrics["result"] != "SUCCESS":
        problems.append(f"metrics: export failed: {metrics['result']}")
        return
    for e in metrics["expect"]:
        q = urllib.parse.urlencode({"query": e["query"]})
        doc = tl.get_json(f"{base}/api/v1/query?{q}", timeout=READ_TIMEOUT_S)
        result = doc.get("data", {}).get("result", [])
        if len(result) != 1:
            problems.append(f"metrics: {e['query']}: {len(result)} series, want 1: {doc}")
            continue
        value = float(result[0]["value"][1])
        if value != e["value"]:
            problems.append(f"metrics: {e['query']} = {value}, sent {e['value']}")


def check_logs(base, logs, problems):
    if logs["result"] != "SUCCESS":
        problems.append(f"logs: export failed: {logs['result']}")
        return
    now = int(time.time())
    q = urllib.parse.urlencode({"group": logs["group"], "start": now - 3600, "end": now + 3600})
    status, body = tl.http_get(f"{base}/api/v1/logs/filter?{q}", timeout=READ_TIMEOUT_S)
    if status != 200:
        problems.append(f"logs: filter {logs['group']}: HTTP {status}: {body[:300]!r}")
        return
    doc = json.loads(body)
    messages = [e.get("message") for e in doc.get("events", [])]
    if messages != logs["messages"]:
        problems.append(f"logs: read back {messages!r}, sent {logs['messages']!r}")


def main():
    node = shutil.which("node")
    if node is None or not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@opentelemetry")):
        what = "node or tests/integration/otel_js/node_modules missing " \
               "(run scripts/install-deps.sh test)"
        if os.environ.get("CI"):
            tl.fail(what)
        tl.log("SKIP: " + what)
        return 0
    grpc_port = tl.free_port()
    run_id = f"r{os.getpid()}"
    with tl.OpsightServer(extra_args=["--otlp-grpc-listen", f"127.0.0.1:{grpc_port}",
                                      "--xray-listen", ""]) as srv:
        srv.start()
        try:
            proc = subprocess.run(
                [node, os.path.join(JS_DIR, "send.js"), f"http://127.0.0.1:{grpc_port}",
                 srv.base, run_id],
                cwd=JS_DIR, capture_output=True, timeout=SEND_TIMEOUT_S, text=True)
        except subprocess.TimeoutExpired:
            tl.fail(f"send.js did not finish within {SEND_TIMEOUT_S}s\n" + srv.log_tail())
        if proc.returncode != 0:
            tl.fail(f"send.js exited {proc.returncode}:\n{proc.stderr[-3000:]}\n" + srv.log_tail())
        sent = json.loads(proc.stdout.strip().splitlines()[-1])
        problems = []
        for t in sent["traces"]:
            check_trace(srv.base, t, problems)
        check_metrics(srv.base, sent["metrics"], problems)
        check_logs(srv.base, sent["logs"], problems)
        if problems:
            tl.fail("differences:\n  " + "\n  ".join(problems) + "\n" + srv.log_tail(30))
        tl.log(f"OK: {len(sent['traces'])} traces (gRPC, gRPC+gzip, HTTP protobuf, HTTP JSON), "
               f"{len(sent['metrics']['expect'])} metric series and {len(sent['logs']['messages'])} "
               "log records read back identical")
        rc = srv.stop()
        if rc != 0:
            tl.fail(f"opsight exited {rc} on SIGTERM\n" + srv.log_tail())
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except tl.TestFailure as e:
        print(f"FAIL: {e}", flush=True)
        sys.exit(1)
