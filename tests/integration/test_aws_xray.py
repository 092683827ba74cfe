#!/usr/bin/env python3
"""The X-Ray API with real AWS clients: Debian's AWS CLI v2 (/usr/bin/aws), boto3 for Debian's
/usr/bin/python3, and @aws-sdk/client-xray (AWS SDK for JavaScript v3, node/xray_api_client.js).

Traces arrive three ways: segment documents through PutTraceSegments (one per client), and OTLP
spans through POST /v1/traces (a frontend -> checkout trace with a fault, plus 120 small traces
so that GetTraceSummaries has two pages). Each client then runs GetTraceSummaries (every page,
and with a FilterExpression), BatchGetTraces (the documents round-trip; OTLP spans come back as
one segment per service), GetServiceGraph (edges and counts), the sampling rule CRUD,
GetSamplingRules and GetSamplingTargets, and two calls that must fail with
InvalidRequestException. Everything listens on 127.0.0.1; every wait is bounded."""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402

AWS = "/usr/bin/aws"
PYTHON = "/usr/bin/python3"
NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
SMALL_TRACES = 120
NOW = round(time.time(), 3)
START, END = int(NOW) - 600, int(NOW) + 60


# The access key every client signs with, made by `opsight keys create` once the server runs.
KEY = None


def client_env(base):
    """The environment every AWS client runs with (the one place to change credentials)."""
    return tl.aws_client_env(KEY, base)


def xray_trace_id(n):
    return f"1-{int(NOW):08x}-{n:024x}"


def segment(n, name, tier, fault=False):
    """A segment document with a remote subsegment (a fault when asked), typed annotations,
    metadata, a user and an exception with its stack."""
    t0 = round(NOW - 60 + n, 3)
    sub = {"name": "payments", "id": f"{n:08x}00000002", "start_time": round(t0 + 0.01, 3),
           "end_time": round(t0 + 0.05, 3), "namespace": "remote",
           "http": {"request": {"method": "POST", "url": "http://payments/charge"},
                    "response": {"status": 503 if fault else 200}}}
    if fault:
        sub["fault"] = True
        sub["cause"] = {"working_directory": "/srv", "exceptions": [
            {"id": "0123456789abcdef", "message": "payments down", "type": "HTTPError",
             "stack": [{"path": "pay.py", "line": 12, "label": "charge"}]}]}
    return {"name": name, "id": f"{n:08x}00000001", "trace_id": xray_trace_id(n),
            "start_time": t0, "end_time": round(t0 + 0.2, 3), "user": "alice",
            "origin": "AWS::EC2::Instance",
            "http": {"request": {"method": "GET", "url": f"http://{name}/cart",
                                 "client_ip": "10.0.0.9"}, "response": {"status": 200}},
            "annotations": {"tier": tier, "items": n},
            "metadata": {"debug": {"cart": {"items": [1, 2]}}},
            "subsegments": [sub]}


def otlp_traces():
    """OTLP/JSON: trace 0xd0 frontend -> checkout (checkout answers 500), and SMALL_TRACES
    single-span traces of service it-small."""
    def attr(k, v):
        return {"key": k, "value": {"intValue": str(v)} if isinstance(v, int) else
                {"stringValue": v}}
    t0 = int((NOW - 30) * 1e9)
    tid = f"{0xd0:032x}"
    fe = [{"traceId": tid, "spanId": "00000000000000a1", "name": "GET /checkout", "kind": 2,
           "startTimeUnixNano": str(t0), "endTimeUnixNano": str(t0 + 80_000_000),
           "attributes": [attr("http.request.method", "GET"),
                          attr("url.full", "http://frontend/checkout"),
                          attr("http.response.status_code", 200)]},
          {"traceId": tid, "spanId": "00000000000000a2", "parentSpanId": "00000000000000a1",
           "name": "POST checkout", "kind": 3, "startTimeUnixNano": str(t0 + 5_000_000),
           "endTimeUnixNano": str(t0 + 60_000_000),
           "attributes": [attr("http.request.method", "POST"),
                          attr("url.full", "http://checkout/pay"),
                          attr("http.response.status_code", 500)], "status": {"code": 2}}]
    co = [{"traceId": tid, "spanId": "00000000000000a3", "parentSpanId": "00000000000000a2",
           "name": "POST /pay", "kind": 2, "startTimeUnixNano": str(t0 + 6_000_000),
           "endTimeUnixNano": str(t0 + 55_000_000),
           "attributes": [attr("http.response.status_code", 500)],
           "status": {"code": 2, "message": "card declined"}}]
    small = [{"traceId": f"{0x5a000 + i:032x}", "spanId": f"{i + 1:016x}", "name": "tick",
              "kind": 2, "startTimeUnixNano": str(t0 - (i + 1) * 100_000_000),
              "endTimeUnixNano": str(t0 - (i + 1) * 100_000_000 + 1_000_000)}
             for i in range(SMALL_TRACES)]

    def resource(name, spans):
        return {"resource": {"attributes": [attr("service.name", name)]},
                "scopeSpans": [{"scope": {"name": "it"}, "spans": spans}]}
    return {"resourceSpans": [resource("frontend", fe), resource("checkout", co),
                              resource("it-small", small)]}


OTLP_ID = f"1-{0:08x}-{0xd0:024x}"


def run_aws(base, *args, ok=True):
    cmd = [AWS, "xray", *args, "--endpoint-url", base, "--output", "json"]
    p = subprocess.run(cmd, env=client_env(base), capture_output=True, text=True, timeout=120)
    if ok and p.returncode != 0:
        tl.fail(f"{' '.join(args[:1])}: exit {p.returncode}: {p.stderr[-1500:]}")
    if not ok:
        return p
    return json.loads(p.stdout) if p.stdout.strip() else {}


BOTO_SCRIPT = r"""
import datetime, json, os, sys
import boto3, botocore
plan = json.loads(os.environ["XRAY_PLAN"])
c = boto3.client("xray", endpoint_url=os.environ["OPSIGHT_ENDPOINT"],
                 config=botocore.config.Config(retries={"max_attempts": 1}))
start = datetime.datetime.fromtimestamp(plan["start"], datetime.timezone.utc)
end = datetime.datetime.fromtimestamp(plan["end"], datetime.timezone.utc)
def plain(r):
    r = dict(r)
    r["RequestId"] = r.pop("ResponseMetadata", {}).get("RequestId")
    return r
out = {}
out["put"] = plain(c.put_trace_segments(TraceSegmentDocuments=[plan["document"]]))
out["summaries"] = []
for page in c.get_paginator("get_trace_summaries").paginate(StartTime=start, EndTime=end):
    out["summaries"] += page["TraceSummaries"]
out["filtered"] = plain(c.get_trace_summaries(StartTime=start, EndTime=end,
                                              FilterExpression=plan["filter"]))
out["traces"] = plain(c.batch_get_traces(TraceIds=plan["traceIds"]))
out["graph"] = plain(c.get_service_graph(StartTime=start, EndTime=end))
rule = {"RuleName": plan["rule"], "ResourceARN": "*", "Priority": 60, "FixedRate": 0.2,
        "ReservoirSize": 3, "ServiceName": "boto-svc", "ServiceType": "*", "Host": "*",
        "HTTPMethod": "*", "URLPath": "*", "Version": 1}
out["created"] = plain(c.create_sampling_rule(SamplingRule=rule))
out["updated"] = plain(c.update_sampling_rule(
    SamplingRuleUpdate={"RuleName": plan["rule"], "FixedRate": 0.7}))
out["rules"] = plain(c.get_sampling_rules())
out["targets"] = plain(c.get_sampling_targets(SamplingStatisticsDocuments=[{
    "RuleName": plan["rule"], "ClientID": "0123456789abcdef01234567",
    "Timestamp": datetime.datetime.now(datetime.timezone.utc), "RequestCount": 10,
    "SampledCount": 2, "BorrowCount": 0}]))
out["deleted"] = plain(c.delete_sampling_rule(RuleName=plan["rule"]))
for key, call in (("badTraceId", lambda: c.batch_get_traces(TraceIds=["not-a-trace-id"])),
                  ("badRange", lambda: c.get_trace_summaries(StartTime=end, EndTime=start))):
    try:
        call()
        sys.exit(key + " succeeded but should have failed")
    except botocore.exceptions.ClientError as e:
        out[key] = {"name": e.response["Error"]["Code"],
                    "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
def default(v):
    if isinstance(v, datetime.datetime):
        return v.timestamp()
    raise TypeError(repr(v))
print(json.dumps(out, default=default))
"""


def run_boto3(base, plan):
    env = dict(client_env(base), XRAY_PLAN=json.dumps(plan))
    p = subprocess.run([PYTHON, "-c", BOTO_SCRIPT], env=env, capture_output=True, text=True,
                       timeout=180)
    if p.returncode != 0:
        tl.fail(f"boto3: exit {p.returncode}: {p.stderr[-2000:]}")
    return json.loads(p.stdout)


def run_node(base, plan):
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        tl.fail("node is not installed (scripts/install-deps.sh test)")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "@aws-sdk", "client-xray")):
        tl.fail("@aws-sdk/client-xray is missing: run npm ci --prefix tests/integration/node")
    env = dict(client_env(base), XRAY_PLAN=json.dumps(plan))
    p = subprocess.run([node, os.path.join(NODE_DIR, "xray_api_client.js")], cwd=NODE_DIR,
                       env=env, capture_output=True, text=True, timeout=180)
    if p.returncode != 0:
        tl.fail(f"node: exit {p.returncode}: {p.stderr[-2000:]}")
    return json.loads(p.stdout)


# ---- checks shared by the three clients --------------------------------------------------------

def check_summaries(who, summaries, docs):
    by_id = {s["Id"]: s for s in summaries}
    if len(by_id) != len(summaries):
        tl.fail(f"{who}: a trace appears twice across the pages")
    want = [d["trace_id"] for d in docs] + [OTLP_ID]
    missing = [t for t in want if t not in by_id]
    if missing:
        tl.fail(f"{who}: GetTraceSummaries misses {missing} (got {len(by_id)} traces)")
    small = [s for s in summaries if s.get("EntryPoint", {}).get("Name") == "it-small"]
    if len(small) != SMALL_TRACES:
        tl.fail(f"{who}: {len(small)} it-small traces over the pages, want {SMALL_TRACES}")
    for d in docs:
        s = by_id[d["trace_id"]]
        fault = d["subsegments"][0].get("fault", False)
        if s["HasFault"] != fault or s["HasError"] or s["HasThrottle"]:
            tl.fail(f"{who}: flags of {d['trace_id']}: {s}")
        if abs(s["Duration"] - 0.2) > 1e-6 or abs(s["ResponseTime"] - 0.2) > 1e-6:
            tl.fail(f"{who}: durations of {d['trace_id']}: {s}")
        ann = s["Annotations"]
        if ann["tier"][0]["AnnotationValue"] != {"StringValue": d["annotations"]["tier"]}:
            tl.fail(f"{who}: annotation tier: {ann}")
        if ann["items"][0]["AnnotationValue"].get("NumberValue") != d["annotations"]["items"]:
            tl.fail(f"{who}: annotation items: {ann}")
        if s["Users"][0]["UserName"] != "alice" or s["EntryPoint"]["Name"] != d["name"]:
            tl.fail(f"{who}: users / entry point: {s}")
        if s["Http"].get("HttpStatus") != 200 or s["Http"].get("ClientIp") != "10.0.0.9":
            tl.fail(f"{who}: Http: {s['Http']}")
    o = by_id[OTLP_ID]
    if not o["HasFault"] or sorted(x["Name"] for x in o["ServiceIds"]) != ["checkout",
                                                                         "frontend"]:
        tl.fail(f"{who}: the OTLP trace: {o}")


def check_filtered(who, result, doc):
    ids = [s["Id"] for s in result["TraceSummaries"]]
    if ids != [doc["trace_id"]]:
        tl.fail(f"{who}: FilterExpression annotation.tier = \"{doc['annotations']['tier']}\" "
                f"gave {ids}")


def check_traces(who, result, doc):
    traces = {t["Id"]: t for t in result["Traces"]}
    if result["UnprocessedTraceIds"] != [xray_trace_id(0xfff)]:
        tl.fail(f"{who}: UnprocessedTraceIds: {result['UnprocessedTraceIds']}")
    t = traces.get(doc["trace_id"])
    if t is None or len(t["Segments"]) != 1 or abs(t["Duration"] - 0.2) > 1e-6:
        tl.fail(f"{who}: trace {doc['trace_id']}: {t}")
    back = json.loads(t["Segments"][0]["Document"])
    if back != doc:
        tl.fail(f"{who}: the segment document does not round-trip:\nsent {json.dumps(doc)}\n"
                f"got  {json.dumps(back)}")
    o = traces.get(OTLP_ID)
    if o is None or len(o["Segments"]) != 2:
        tl.fail(f"{who}: the OTLP trace: {o}")
    segs = {json.loads(s["Document"])["name"]: json.loads(s["Document"]) for s in o["Segments"]}
    fe, co = segs.get("frontend"), segs.get("checkout")
    if fe is None or co is None:
        tl.fail(f"{who}: OTLP segments are {list(segs)}")
    call = fe.get("subsegments", [{}])[0]
    if (call.get("id") != "00000000000000a2" or call.get("namespace") != "remote"
            or not call.get("fault") or call["http"]["response"]["status"] != 500):
        tl.fail(f"{who}: the client call subsegment: {call}")
    if (co.get("parent_id") != "00000000000000a2" or not co.get("fault")
            or co["cause"]["exceptions"][0]["message"] != "card declined"
            or co["trace_id"] != OTLP_ID):
        tl.fail(f"{who}: the checkout segment: {co}")


def check_graph(who, graph):
    services = {(s["Name"], s["Type"]): s for s in graph["Services"]}
    by_ref = {s["ReferenceId"]: s for s in graph["Services"]}
    fe = services.get(("frontend", "service"))
    if fe is None or not fe["Root"]:
        tl.fail(f"{who}: frontend: {fe}")
    edges = {by_ref[e["ReferenceId"]]["Name"]: e for e in fe["Edges"]}
    e = edges.get("checkout")
    if (e is None or e["SummaryStatistics"]["TotalCount"] != 1
            or e["SummaryStatistics"]["FaultStatistics"]["TotalCount"] != 1):
        tl.fail(f"{who}: edge frontend -> checkout: {e}")
    co = services.get(("checkout", "service"))
    if co is None or co["Root"] or co["SummaryStatistics"]["FaultStatistics"]["TotalCount"] != 1:
        tl.fail(f"{who}: checkout: {co}")
    pay = services.get(("payments", "remote"))
    web = services.get(("it-web", "service"))
    if pay is None or web is None:
        tl.fail(f"{who}: services {sorted(services)}")
    pe = [x for x in web["Edges"] if x["ReferenceId"] == pay["ReferenceId"]]
    if not pe or pe[0]["SummaryStatistics"]["FaultStatistics"]["TotalCount"] < 1:
        tl.fail(f"{who}: edge it-web -> payments: {pe}")


def check_rules(who, out, rule):
    if out["created"]["SamplingRuleRecord"]["SamplingRule"]["RuleName"] != rule:
        tl.fail(f"{who}: created: {out['created']}")
    if abs(out["updated"]["SamplingRuleRecord"]["SamplingRule"]["FixedRate"] - 0.7) > 1e-9:
        tl.fail(f"{who}: updated: {out['updated']}")
    names = [r["SamplingRule"]["RuleName"] for r in out["rules"]["SamplingRuleRecords"]]
    if rule not in names or "Default" not in names:
        tl.fail(f"{who}: GetSamplingRules: {names}")
    docs = out["targets"]["SamplingTargetDocuments"]
    if not docs or docs[0]["RuleName"] != rule or abs(docs[0]["FixedRate"] - 0.7) > 1e-9:
        tl.fail(f"{who}: GetSamplingTargets: {out['targets']}")
    if out["deleted"]["SamplingRuleRecord"]["SamplingRule"]["RuleName"] != rule:
        tl.fail(f"{who}: deleted: {out['deleted']}")


def check_client(who, out, doc, all_docs, rule):
    if out["put"]["UnprocessedTraceSegments"]:
        tl.fail(f"{who}: PutTraceSegments: {out['put']}")
    for key in ("put", "filtered", "traces", "graph", "rules"):
        if len(out[key].get("RequestId") or "") != 36:
            tl.fail(f"{who}: {key} has no request id: {out[key].get('RequestId')}")
    check_summaries(who, out["summaries"], all_docs)
    check_filtered(who, out["filtered"], doc)
    check_traces(who, out["traces"], doc)
    check_graph(who, out["graph"])
    check_rules(who, out, rule)
    for key in ("badTraceId", "badRange"):
        if out[key]["name"] != "InvalidRequestException" or out[key]["status"] != 400:
            tl.fail(f"{who}: {key}: {out[key]}")
    tl.log(f"{who}: every X-Ray operation answered as expected")


def run_cli(base, doc, all_docs):
    out = {"put": run_aws(base, "put-trace-segments", "--trace-segment-documents",
                          json.dumps(doc))}
    out["put"]["RequestId"] = "x" * 36  # the CLI does not print it; checked over HTTP below
    rng = ["--start-time", str(START), "--end-time", str(END)]
    out["summaries"] = run_aws(base, "get-trace-summaries", *rng)["TraceSummaries"]
    out["filtered"] = run_aws(base, "get-trace-summaries", *rng, "--filter-expression",
                              f'annotation.tier = "{doc["annotations"]["tier"]}"',
                              "--no-paginate")
    out["traces"] = run_aws(base, "batch-get-traces", "--trace-ids", doc["trace_id"], OTLP_ID,
                            xray_trace_id(0xfff))
    out["graph"] = run_aws(base, "get-service-graph", *rng)
    rule = "cli-rule"
    out["created"] = run_aws(base, "create-sampling-rule", "--sampling-rule", json.dumps({
        "RuleName": rule, "ResourceARN": "*", "Priority": 70, "FixedRate": 0.2,
        "ReservoirSize": 3, "ServiceName": "cli-svc", "ServiceType": "*", "Host": "*",
        "HTTPMethod": "*", "URLPath": "*", "Version": 1}))
    out["updated"] = run_aws(base, "update-sampling-rule", "--sampling-rule-update",
                             json.dumps({"RuleName": rule, "FixedRate": 0.7}))
    out["rules"] = run_aws(base, "get-sampling-rules")
    out["targets"] = run_aws(base, "get-sampling-targets", "--sampling-statistics-documents",
                             json.dumps([{"RuleName": rule, "ClientID": "0123456789abcdef01234567",
                                          "Timestamp": int(time.time()), "RequestCount": 10,
                                          "SampledCount": 2, "BorrowCount": 0}]))
    out["deleted"] = run_aws(base, "delete-sampling-rule", "--rule-name", rule)
    for key in ("filtered", "traces", "graph", "rules"):
        out[key]["RequestId"] = "x" * 36
    for key, args in (("badTraceId", ["batch-get-traces", "--trace-ids", "not-a-trace-id"]),
                      ("badRange", ["get-trace-summaries", "--start-time", str(END),
                                    "--end-time", str(START)])):
        p = run_aws(base, *args, ok=False)
        if p.returncode == 0 or "InvalidRequestException" not in p.stderr:
            tl.fail(f"aws cli: {key} should fail with InvalidRequestException: {p.stderr}")
        out[key] = {"name": "InvalidRequestException", "status": 400}
    check_client("aws cli", out, doc, all_docs, rule)


def check_request_ids(base):
    """Every X-Ray response carries x-amzn-RequestId, errors included."""
    for path, body in (("/GetSamplingRules", b"{}"), ("/Traces", b'{"TraceIds": ["x"]}'),
                       ("/ServiceGraph", json.dumps({"StartTime": START,
                                                     "EndTime": END}).encode())):
        req = urllib.request.Request(base + path, data=body, method="POST",
                                     headers=tl.sigv4_headers(
                                         KEY, "POST", base + path, body,
                                         {"Content-Type": "application/json"}, service="xray"))
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                rid = r.headers.get("x-amzn-RequestId")
        except urllib.error.HTTPError as e:
            rid = e.headers.get("x-amzn-RequestId")
            if e.headers.get("x-amzn-ErrorType") != "InvalidRequestException":
                tl.fail(f"{path}: error type {e.headers.get('x-amzn-ErrorType')}")
        if not rid or len(rid) != 36:
            tl.fail(f"{path}: x-amzn-RequestId is {rid!r}")


def run():
    for binary in (AWS, PYTHON):
        if not os.path.exists(binary):
            tl.fail(f"{binary} is missing (scripts/install-deps.sh test)")
    global KEY
    server = tl.OpsightServer(extra_args=tl.SIGV4_SERVE_ARGS).start()
    try:
        base = server.base
        KEY = tl.create_access_key(server)
        status, body = tl.signed_request(KEY, "POST", base + "/v1/traces",
                                       json.dumps(otlp_traces()).encode(),
                                       {"Content-Type": "application/json"}, service="xray")
        if status != 200:
            tl.fail(f"POST /v1/traces: HTTP {status}: {body[:300]!r}")
        cli_doc = segment(1, "it-web", "gold", fault=True)
        boto_doc = segment(2, "it-web", "silver")
        node_doc = segment(3, "it-node", "bronze", fault=True)
        run_cli(base, cli_doc, [cli_doc])
        plan = {"start": START, "end": END, "filter": 'annotation.tier = "silver"',
                "traceIds": [boto_doc["trace_id"], OTLP_ID, xray_trace_id(0xfff)],
                "rule": "boto-rule", "document": json.dumps(boto_doc)}
        check_client("boto3", run_boto3(base, plan), boto_doc, [cli_doc, boto_doc], "boto-rule")
        plan.update(filter='annotation.tier = "bronze"', rule="node-rule",
                    traceIds=[node_doc["trace_id"], OTLP_ID, xray_trace_id(0xfff)],
                    document=json.dumps(node_doc))
        check_client("@aws-sdk/client-xray", run_node(base, plan), node_doc,
                     [cli_doc, boto_doc, node_doc], "node-rule")
        check_request_ids(base)
    except tl.TestFailure:
        sys.stderr.write(server.log_tail() + "\n")
        raise
    finally:
        server.stop()


if __name__ == "__main__":
    tl.main_wrapper(run)
