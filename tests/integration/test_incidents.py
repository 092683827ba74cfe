#!/usr/bin/env python3
"""Incidents and investigations end to end (issue 8, docs/incidents.md, docs/investigations.md),
with the real server, the real `opsight demo` and the real CLI:
  - 40 minutes of backfilled shop traffic with `latency:payment` in the last 10 minutes, and a
    deploy of payment recorded with `opsight change record` just before the fault;
  - an investigation of the fault window with no hint ranks payment first, and its evidence holds
    the deploy, the span that carries the blame (a trace that opens) and a metric series;
  - alarms on payment and checkout (neighbours on the service map) going to ALARM open ONE
    incident; an alarm of an unrelated service opens another; OK never opens one;
  - ack / annotate / resolve with the CLI, each on the timeline; invalid transitions are refused;
  - `opsight investigate --incident` writes the investigation to the incident's timeline;
  - every incident change is an event (GET /api/v1/events?source=opsight.incidents);
  - incidents and their timelines survive a restart.
Exit code 0 on success, 1 with a message otherwise.
"""

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402


def post(srv, path, doc, method="POST"):
    status, body = tl.http_request(method, srv.base + path, json.dumps(doc).encode(),
                                   {"Content-Type": "application/json"}, timeout=120)
    return status, json.loads(body) if body else {}


def cli(srv, *args):
    r = subprocess.run([srv.binary, "--server", srv.base, *args], capture_output=True, text=True,
                       timeout=120)
    if r.returncode != 0:
        tl.fail(f"opsight {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def alarm(srv, name, service):
    status, body = post(srv, "/api/v1/alarms/metric", {
        "AlarmName": name, "Namespace": "Shop", "MetricName": "Latency", "Statistic": "Average",
        "Dimensions": [{"Name": "Service", "Value": service}], "Period": 60,
        "EvaluationPeriods": 1, "Threshold": 1000,
        "ComparisonOperator": "GreaterThanThreshold"}, method="PUT")
    if status != 200:
        tl.fail(f"PUT alarm {name}: HTTP {status}: {body}")


def set_state(srv, name, state):
    status, body = post(srv, "/api/v1/alarms/set-state",
                        {"AlarmName": name, "StateValue": state, "StateReason": "test"})
    if status != 200:
        tl.fail(f"set-state {name} {state}: HTTP {status}: {body}")


def incidents(srv, state=None):
    q = "?state=" + state if state else ""
    return tl.get_json(srv.base + "/api/v1/incidents" + q)["incidents"]


def run():
    # The watchers stay off so that only this test's alarms make signals.
    cfg_dir = tempfile.mkdtemp(prefix="opsight-incidents-cfg-")
    cfg = os.path.join(cfg_dir, "opsight.yaml")
    with open(cfg, "w") as f:
        f.write("watchers: {red: false, logs: false}\nincidents: {window: 15m, max_hops: 2}\n")
    srv = tl.OpsightServer(log_name="opsight-incidents.log", extra_args=("--config", cfg))
    srv.start()
    try:
        gt = os.path.join(srv.work_dir, "gt.json")
        subprocess.run([srv.binary, "demo", "--target", srv.base, "--rps", "10", "--seed", "7",
                        "--backfill", "40m", "--duration", "0", "--fault",
                        "latency:payment@30m/10m", "--ground-truth", gt],
                       check=True, capture_output=True, timeout=600)
        with open(gt) as f:
            fault = json.load(f)["faults"][0]
        start, end = fault["start_ms"], fault["end_ms"]

        # A deploy 60 s before the fault, through the CLI.
        out = cli(srv, "change", "record", "--service", "payment", "--kind", "deploy",
                  "--version", "v2.3.1", "--author", "ci", "--time", str(start - 60_000))
        if not out.strip():
            tl.fail("change record printed no id")
        status, bad = post(srv, "/api/v1/events/change", {"service": "payment", "kind": "deplyo"})
        if status != 400 or "kind" not in json.dumps(bad):
            tl.fail(f"a bad change kind must be refused naming the field: {status} {bad}")

        # The investigation names payment, with its evidence.
        status, res = post(srv, "/api/v1/investigations", {"start": start, "end": end})
        if status != 200 or res.get("status") != "complete":
            tl.fail(f"investigation: HTTP {status}: {res}")
        hyps = res["hypotheses"]
        if not hyps or hyps[0]["service"] != "payment":
            tl.fail(f"top hypothesis is not payment: {[(h['service'], h['score']) for h in hyps]}")
        top = hyps[0]
        types = {e["type"] for h in hyps if h["service"] == "payment" for e in h["evidence"]}
        for want in ("trace", "metric", "change"):
            if want not in types:
                tl.fail(f"payment's evidence has no {want!r} item: {sorted(types)}")
        if "payment" not in top["explanation"]:
            tl.fail(f"explanation does not name payment: {top['explanation']}")
        trace_ev = next(e for e in top["evidence"] if e["type"] == "trace")
        status, _ = tl.http_get(srv.base + trace_ev["link"])
        if status != 200:
            tl.fail(f"trace evidence link {trace_ev['link']} answers {status}")
        again = tl.get_json(srv.base + "/api/v1/investigations/" + res["id"])
        if again["hypotheses"][0]["service"] != "payment":
            tl.fail("GET investigation does not return the stored result")
        status, bad = post(srv, "/api/v1/investigations", {"start": end, "end": start})
        if status != 400:
            tl.fail(f"start after end must be refused: {status} {bad}")
        table = cli(srv, "investigate", "--since", "20m")
        if "RANK" not in table and "no hypothesis" not in table:
            tl.fail(f"opsight investigate printed no table: {table}")

        # Alarms -> incidents.
        for name, service in (("payment-latency", "payment"), ("checkout-latency", "checkout"),
                              ("billing-batch-latency", "billing-batch"),
                              ("inventory-ok", "inventory")):
            alarm(srv, name, service)
        set_state(srv, "inventory-ok", "OK")  # recoveries never open an incident
        set_state(srv, "payment-latency", "ALARM")
        set_state(srv, "checkout-latency", "ALARM")
        set_state(srv, "billing-batch-latency", "ALARM")
        tl.wait_until(lambda: sum(i["signalCount"] for i in incidents(srv)) >= 3, 20,
                      what="three alarm signals correlated")
        incs = incidents(srv)
        by_services = {tuple(i["services"]): i for i in incs}
        if len(incs) != 2 or ("checkout", "payment") not in by_services \
                or ("billing-batch",) not in by_services:
            tl.fail(f"want one payment+checkout incident and one billing-batch incident: "
                    f"{[(i['id'], i['services']) for i in incs]}")
        inc = by_services[("checkout", "payment")]
        if inc["alarmCount"] != 2 or inc["state"] != "open":
            tl.fail(f"incident counts: {inc}")

        # The lifecycle through the CLI.
        iid = inc["id"]
        cli(srv, "incidents", "ack", iid, "--note", "looking", "--author", "alice")
        cli(srv, "incidents", "annotate", iid, "payment deploy suspected", "--author", "alice")
        listing = cli(srv, "incidents", "list", "--state", "acknowledged")
        if iid not in listing:
            tl.fail(f"incidents list --state acknowledged lacks {iid}: {listing}")
        cli(srv, "investigate", "--incident", iid)
        cli(srv, "incidents", "resolve", iid, "--note", "rolled back")
        status, body = post(srv, f"/api/v1/incidents/{iid}/resolve", {})
        if status != 409:
            tl.fail(f"resolving a resolved incident must be 409: {status} {body}")
        status, _ = tl.http_get(srv.base + "/api/v1/incidents/inc-000000000000")
        if status != 404:
            tl.fail(f"an unknown incident must be 404, got {status}")
        detail = tl.get_json(srv.base + "/api/v1/incidents/" + iid)
        kinds = [e["type"] for e in detail["timeline"]]
        for want in ("signal", "state", "note", "investigation"):
            if want not in kinds:
                tl.fail(f"timeline lacks a {want!r} entry: {kinds}")
        if detail["state"] != "resolved":
            tl.fail(f"state after resolve: {detail['state']}")

        events = tl.get_json(srv.base + "/api/v1/events?source=opsight.incidents")["events"]
        mine = [e for e in events if iid in json.dumps(e.get("resources", []))]
        states = {e["detail"].get("state") for e in mine}
        if not {"open", "acknowledged", "resolved"} <= states:
            tl.fail(f"incident events of {iid} lack a state: {states}")

        # Restart: the same incidents and timelines.
        srv.stop()
        srv.start()
        after = tl.get_json(srv.base + "/api/v1/incidents/" + iid)
        if after["timeline"] != detail["timeline"] or after["state"] != "resolved":
            tl.fail("the incident changed across a restart")
        if len(incidents(srv)) != 2:
            tl.fail("incidents lost across a restart")
    finally:
        srv.stop()


if __name__ == "__main__":
    tl.main_wrapper(run)
