#!/usr/bin/env python3
"""The real X-Ray SDK for Node.js (aws-xray-sdk-core from npm, pinned by
tests/integration/node/package-lock.json) against opsight's X-Ray daemon.

opsight runs with its daemon on a free loopback port; the node client (node/xray_client.js) gets
AWS_XRAY_DAEMON_ADDRESS pointing at it. Checks:
  1. the segment the SDK sends over UDP (first in progress, then completed, with subsegments, an
     annotation, metadata, a fault and an exception) reads back through GET /api/v1/traces/<id>
     as spans: the server span, the remote call as a client span, the exception event;
  2. the SDK fetches the centralized rules over the daemon's TCP proxy: its decisions match the
     rule created through the X-Ray API (FixedRate 0, reservoir 0 -> nothing sampled);
  3. changing the rule (FixedRate 1) changes the running client's decisions without a restart;
  4. the SDK's statistics arrive (GetSamplingStatisticSummaries).
Every wait is a bounded loop; everything listens on 127.0.0.1 only.
Needs node and `npm ci --prefix tests/integration/node` (scripts/install-deps.sh test)."""

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
SERVICE = "it-checkout"
RULE = "it-rule"


def post_json(base, path, doc, timeout=30.0):
    status, body = tl.http_request("POST", base + path, json.dumps(doc).encode(),
                                   {"Content-Type": "application/json"}, timeout=timeout)
    if status != 200:
        tl.fail(f"POST {path}: HTTP {status}: {body[:500]!r}")
    return json.loads(body)


class NodeClient:
    """The node process and a thread that turns its stdout lines into a queue of events."""

    def __init__(self, xray_port, seconds):
        env = dict(os.environ, AWS_XRAY_DAEMON_ADDRESS=f"127.0.0.1:{xray_port}",
                   XRAY_TEST_SERVICE=SERVICE, XRAY_TEST_SECONDS=str(seconds))
        node = shutil.which("node") or shutil.which("nodejs")
        if node is None:
            tl.fail("node is not installed (scripts/install-deps.sh test)")
        if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "aws-xray-sdk-core")):
            tl.fail("aws-xray-sdk-core is missing: run npm ci --prefix tests/integration/node")
        self.proc = subprocess.Popen([node, os.path.join(NODE_DIR, "xray_client.js")],
                                     cwd=NODE_DIR, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.events = queue.Queue()
        self.stderr = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                pass
        self.events.put(None)

    def next(self, timeout_s):
        try:
            ev = self.events.get(timeout=timeout_s)
        except queue.Empty:
            tl.fail(f"no event from the node client in {timeout_s:.0f}s")
        if ev is None:
            tl.fail("the node client exited early:\n" + "".join(self.stderr[-30:]))
        return ev

    def wait_for(self, pred, timeout_s, what):
        """Reads events until pred(recent decisions) is true (bounded)."""
        deadline = time.monotonic() + timeout_s
        recent = []
        while time.monotonic() < deadline:
            ev = self.next(max(1.0, deadline - time.monotonic()))
            if ev.get("event") != "decision":
                continue
            recent = (recent + [ev])[-20:]
            if pred(recent):
                return recent
        tl.fail(f"timed out after {timeout_s}s waiting for {what}; last decisions: {recent[-5:]}"
                + "\nnode stderr:\n" + "".join(self.stderr[-20:]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)


def check_trace(base, seg):
    trace_id = seg["trace_id"]

    def complete():
        status, body = tl.http_get(f"{base}/api/v1/traces/{trace_id}")
        if status != 200:
            return None
        doc = json.loads(body)
        roots = doc.get("roots", [])
        # The completed form replaces the in-progress one and brings the subsegments.
        if roots and "xray.in_progress" not in roots[0]["attributes"] and doc["spanCount"] == 3:
            return doc
        return None

    doc = tl.wait_until(complete, 30, what=f"trace {trace_id} with 3 spans")
    root = doc["roots"][0]
    if root["spanId"] != seg["id"] or root["service"] != SERVICE or root["kind"] != "SERVER":
        tl.fail(f"root span: {json.dumps(root)[:800]}")
    if root["origin"] != "xray":
        tl.fail(f"origin is {root['origin']}")
    attrs = root["attributes"]
    if attrs.get("annotation.customer_tier") != "gold":
        tl.fail(f"annotation missing: {attrs}")
    if attrs.get("http.request.method") != "GET" or attrs.get("http.response.status_code") != 200:
        tl.fail(f"http attributes: {attrs}")
    meta = root.get("metadata", {}).get("metadata.debug")
    if meta != {"cart": {"items": 3, "total": 42.5}}:
        tl.fail(f"metadata: {root.get('metadata')}")
    children = {c["name"]: c for c in root["children"]}
    call = children.get("payments.local")
    if call is None or call["spanId"] != seg["subsegment_id"] or call["kind"] != "CLIENT":
        tl.fail(f"remote subsegment: {children.keys()} {json.dumps(call)[:500]}")
    if call["status"]["code"] != "ERROR" or call["attributes"].get("xray.fault") is not True:
        tl.fail(f"fault not mapped: {json.dumps(call)[:500]}")
    work = children.get("compute-total")
    if work is None or not any(e["name"] == "exception" and
                               e["attributes"].get("exception.message") == "rounding failed"
                               for e in work["events"]):
        tl.fail(f"exception event missing: {json.dumps(work)[:800]}")
    tl.log(f"trace {trace_id}: 3 spans, annotation, metadata, fault and exception as expected")


def run():
    xray_port = tl.free_port()
    server = tl.OpsightServer(extra_args=["--xray-listen", f"127.0.0.1:{xray_port}"])
    server.start()
    client = None
    try:
        base = server.base
        rule = {"RuleName": RULE, "ResourceARN": "*", "Priority": 1, "FixedRate": 0.0,
                "ReservoirSize": 0, "ServiceName": SERVICE, "ServiceType": "*", "Host": "*",
                "HTTPMethod": "*", "URLPath": "*", "Version": 1}
        post_json(base, "/CreateSamplingRule", {"SamplingRule": rule})
        client = NodeClient(xray_port, seconds=150)
        seg = client.next(30)
        if seg.get("event") != "segment":
            tl.fail(f"first event: {seg}")
        check_trace(base, seg)

        # 2. The rule is fetched: 20 decisions in a row matched by it, none sampled.
        client.wait_for(lambda r: len(r) == 20 and all(
            d["rule"] == RULE and d["sampled"] is False for d in r), 30,
            f"decisions by {RULE} with nothing sampled")
        tl.log(f"the SDK uses {RULE} (FixedRate 0): nothing sampled")

        # 3. FixedRate 0 -> 1 reaches the running client (targets every 10 s).
        post_json(base, "/UpdateSamplingRule",
                  {"SamplingRuleUpdate": {"RuleName": RULE, "FixedRate": 1.0}})
        t0 = time.monotonic()
        client.wait_for(lambda r: len(r) == 20 and all(
            d["rule"] == RULE and d["sampled"] == RULE for d in r), 60,
            f"every decision sampled by {RULE} after FixedRate 1")
        tl.log(f"FixedRate 1 took effect in the running client after "
               f"{time.monotonic() - t0:.1f}s")

        # 4. Statistics reported by the SDK.
        summaries = post_json(base, "/SamplingStatisticSummaries", {})
        mine = [s for s in summaries["SamplingStatisticSummaries"] if s["RuleName"] == RULE]
        if not mine or mine[0]["RequestCount"] <= 0:
            tl.fail(f"no statistics for {RULE}: {summaries}")
        tl.log(f"statistics for {RULE}: {mine[0]}")

        # Self-metrics of the daemon.
        status, body = tl.http_get(base + "/metrics")
        text = body.decode()
        if "opsight_xray_segments_received_total" not in text:
            tl.fail("opsight_xray_segments_received_total is not exposed")
    except tl.TestFailure:
        sys.stderr.write(server.log_tail() + "\n")
        raise
    finally:
        if client is not None:
            client.stop()
        server.stop()


if __name__ == "__main__":
    tl.main_wrapper(run)
