#!/usr/bin/env python3
"""CloudWatch Logs (AWS JSON 1.1) with real clients.

opsight runs on a free loopback port (auth: none). Three clients run every operation of
api/aws/logs/logs_aws_api.h and the answers are checked:
  1. Debian's AWS CLI v2 (/usr/bin/aws logs ...);
  2. boto3 for Debian's /usr/bin/python3 (run as a subprocess: this script may run under another
     python), including PutLogEvents with `x-amzn-logs-format: json/emf` and paginators;
  3. @aws-sdk/client-cloudwatch-logs (node/logs_client.js).
Events round-trip, Logs Insights queries complete, metric filters and EMF produce metrics visible
through the native /api/v1/metrics/statistics, tags and errors follow the API reference. Every
wait is bounded; only 127.0.0.1 is used.

Needs /usr/bin/aws, python3-boto3, node and `npm ci --prefix tests/integration/node`
(scripts/install-deps.sh test)."""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402

AWS = "/usr/bin/aws"  # Debian's CLI; `aws` on PATH may be another one
PYTHON = "/usr/bin/python3"  # Debian's python with python3-boto3
HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "node")
CALL_TIMEOUT_S = 60


# The access key every client signs with, made by `opsight keys create` once the server runs.
KEY = None


def client_env(endpoint):
    """The AWS client environment (the one place that sets credentials)."""
    return tl.aws_client_env(KEY, endpoint)


def expect(cond, what):
    if not cond:
        tl.fail(what)


def now_ms():
    return int(time.time() * 1000)


def statistics(base, match, stats="SampleCount,Sum"):
    """Datapoints of the series `match` selects over the last hour, 1-hour periods, summed."""
    q = urllib.parse.urlencode({"match": match, "start": "now-1h",
                                "period": "3600", "statistics": stats})
    res = tl.signed_get_json(KEY, f"{base}/api/v1/metrics/statistics?{q}")
    total = {}
    for s in res.get("series", []):
        for dp in s.get("datapoints", []):
            for k in stats.split(","):
                total[k] = total.get(k, 0) + dp.get(k, 0)
    return total, res


def Cli(endpoint):  # noqa: N802 (reads like the class it returns)
    return tl.AwsCli("logs", endpoint, client_env(endpoint), CALL_TIMEOUT_S)


def run_cli(cli, base):
    g = "/cli/app"
    cli.ok("create-log-group", "--log-group-name", g, "--tags", "team=cli")
    err = cli.error("create-log-group", "--log-group-name", g)
    expect("ResourceAlreadyExistsException" in err, f"duplicate group: {err}")
    cli.ok("create-log-group", "--log-group-name", "/cli/other")
    groups = cli.ok("describe-log-groups", "--log-group-name-prefix", "/cli")["logGroups"]
    expect([x["logGroupName"] for x in groups] == ["/cli/app", "/cli/other"], f"groups: {groups}")
    arn = groups[0]["arn"]
    expect(arn.startswith("arn:aws:logs:") and arn.endswith(":log-group:/cli/app:*"), arn)
    cli.ok("create-log-stream", "--log-group-name", g, "--log-stream-name", "web-1")
    cli.ok("create-log-stream", "--log-group-name", g, "--log-stream-name", "web-2")
    cli.ok("put-retention-policy", "--log-group-name", g, "--retention-in-days", "7")
    got = cli.ok("describe-log-groups", "--log-group-name-prefix", g)["logGroups"][0]
    expect(got.get("retentionInDays") == 7, f"retention: {got}")
    cli.ok("delete-retention-policy", "--log-group-name", g)
    got = cli.ok("describe-log-groups", "--log-group-name-prefix", g)["logGroups"][0]
    expect("retentionInDays" not in got, f"retention deleted: {got}")
    err = cli.error("put-retention-policy", "--log-group-name", g, "--retention-in-days", "2")
    expect("InvalidParameterException" in err, f"bad retention: {err}")

    # A metric filter counts ERROR events; it applies to every ingest path.
    cli.ok("put-metric-filter", "--log-group-name", g, "--filter-name", "errors",
           "--filter-pattern", "ERROR", "--metric-transformations",
           "metricName=CliErrors,metricNamespace=CliApp,metricValue=1")
    mfs = cli.ok("describe-metric-filters", "--log-group-name", g)["metricFilters"]
    expect([m["filterName"] for m in mfs] == ["errors"], f"metric filters: {mfs}")
    expect(mfs[0]["metricTransformations"][0]["metricName"] == "CliErrors", f"{mfs}")

    t = now_ms()
    events = [{"timestamp": t - 3000 + i, "message": m}
              for i, m in enumerate(["ERROR disk full", "INFO ok", "ERROR timeout"])]
    put = cli.ok("put-log-events", "--log-group-name", g, "--log-stream-name", "web-1",
                 "--log-events", json.dumps(events))
    expect("nextSequenceToken" in put and "rejectedLogEventsInfo" not in put, f"put: {put}")
    cli.ok("put-log-events", "--log-group-name", g, "--log-stream-name", "web-2",
           "--log-events", json.dumps([{"timestamp": t - 1000, "message": "ERROR web-2"}]))
    old = cli.ok("put-log-events", "--log-group-name", g, "--log-stream-name", "web-2",
                 "--log-events", json.dumps([{"timestamp": t - 20 * 86400 * 1000,
                                              "message": "ancient"}]))
    expect(old.get("rejectedLogEventsInfo", {}).get("tooOldLogEventEndIndex") == 1, f"{old}")
    err = cli.error("put-log-events", "--log-group-name", "/cli/none", "--log-stream-name", "x",
                    "--log-events", json.dumps(events[:1]))
    expect("ResourceNotFoundException" in err, f"missing group: {err}")

    streams = cli.ok("describe-log-streams", "--log-group-name", g, "--order-by",
                     "LastEventTime", "--descending")["logStreams"]
    expect([s["logStreamName"] for s in streams] == ["web-2", "web-1"], f"streams: {streams}")
    expect(streams[0]["lastEventTimestamp"] == t - 1000 and
           streams[1]["lastEventTimestamp"] == t - 2998, f"lastEventTimestamp: {streams}")
    got = cli.ok("get-log-events", "--log-group-name", g, "--log-stream-name", "web-1",
                 "--start-from-head")
    expect([e["message"] for e in got["events"]] == [e["message"] for e in events],
           f"get-log-events: {got}")
    expect([e["timestamp"] for e in got["events"]] == [e["timestamp"] for e in events], f"{got}")
    got = cli.ok("get-log-events", "--log-group-name", g, "--log-stream-name", "web-1",
                 "--limit", "1")
    expect([e["message"] for e in got["events"]] == ["ERROR timeout"], f"tail: {got}")
    # The CLI follows nextToken: a page size of 1 still returns every match.
    got = cli.ok("filter-log-events", "--log-group-name", g, "--filter-pattern", "ERROR",
                 "--page-size", "1")
    expect(sorted(e["message"] for e in got["events"]) ==
           ["ERROR disk full", "ERROR timeout", "ERROR web-2"], f"filter-log-events: {got}")
    got = cli.ok("filter-log-events", "--log-group-name", g, "--log-stream-names", "web-2")
    expect([e["message"] for e in got["events"]] == ["ERROR web-2"], f"by stream: {got}")

    # Logs Insights.
    start_s, end_s = t // 1000 - 3600, t // 1000 + 60
    qid = cli.ok("start-query", "--log-group-name", g, "--start-time", str(start_s),
                 "--end-time", str(end_s), "--query-string",
                 "filter @message like /ERROR/ | stats count() as n")["queryId"]
    res = None
    for _ in range(200):
        res = cli.ok("get-query-results", "--query-id", qid)
        if res["status"] not in ("Scheduled", "Running"):
            break
    expect(res["status"] == "Complete", f"query: {res}")
    expect(res["results"] == [[{"field": "n", "value": "3"}]], f"query results: {res}")
    expect(res["statistics"]["recordsScanned"] >= 4, f"statistics: {res}")
    qs = cli.ok("describe-queries", "--log-group-name", g)["queries"]
    expect(any(q["queryId"] == qid and q["status"] == "Complete" for q in qs), f"queries: {qs}")
    expect(cli.ok("stop-query", "--query-id", qid).get("success") is False, "stop finished")
    err = cli.error("start-query", "--log-group-name", g, "--start-time", str(start_s),
                    "--end-time", str(end_s), "--query-string", "stats (")
    expect("MalformedQueryException" in err, f"malformed query: {err}")

    qd = cli.ok("put-query-definition", "--name", "cli/errors", "--query-string",
                "filter @message like /ERROR/", "--log-group-names", g)["queryDefinitionId"]
    defs = cli.ok("describe-query-definitions", "--query-definition-name-prefix",
                  "cli/")["queryDefinitions"]
    expect([(d["queryDefinitionId"], d["name"], d["logGroupNames"]) for d in defs] ==
           [(qd, "cli/errors", [g])], f"query definitions: {defs}")
    expect(cli.ok("delete-query-definition", "--query-definition-id", qd).get("success") is True,
           "delete-query-definition")

    # Tags, by name and by ARN.
    plain_arn = arn[:-2]
    cli.ok("tag-log-group", "--log-group-name", g, "--tags", "env=prod")
    cli.ok("untag-log-group", "--log-group-name", g, "--tags", "team")
    expect(cli.ok("list-tags-log-group", "--log-group-name", g)["tags"] == {"env": "prod"},
           "list-tags-log-group")
    cli.ok("tag-resource", "--resource-arn", plain_arn, "--tags", "owner=ops")
    cli.ok("untag-resource", "--resource-arn", plain_arn, "--tag-keys", "env")
    tags = cli.ok("list-tags-for-resource", "--resource-arn", plain_arn)["tags"]
    expect(tags == {"owner": "ops"}, f"list-tags-for-resource: {tags}")
    err = cli.error("list-tags-for-resource", "--resource-arn",
                    "arn:aws:logs:us-east-1:999999999999:log-group:/cli/app")
    expect("ResourceNotFoundException" in err, f"another account's ARN: {err}")

    # The metric filter applies to the other ingest paths too: the native PutLogEvents and
    # OTLP/HTTP JSON (which creates its group and stream).
    body = json.dumps({"logGroupName": g, "logStreamName": "web-1", "logEvents": [
        {"timestamp": now_ms() - 500, "message": "ERROR native"}]})
    status, resp = tl.signed_request(KEY, "POST", base + "/api/v1/logs/put", body.encode(),
                                   {"Content-Type": "application/json"})
    expect(status == 200, f"native put: {status} {resp[:200]!r}")
    otlp = {"resourceLogs": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "otlp-svc"}}]},
        "scopeLogs": [{"logRecords": [{"timeUnixNano": str((now_ms() - 400) * 1_000_000),
                                       "body": {"stringValue": "ERROR from otlp"}}]}]}]}
    status, resp = tl.signed_request(KEY, "POST", base + "/v1/logs", json.dumps(otlp).encode(),
                                   {"Content-Type": "application/json"})
    expect(status == 200, f"otlp put: {status} {resp[:200]!r}")
    otlp_groups = cli.ok("describe-log-groups")["logGroups"]
    otlp_group = [x["logGroupName"] for x in otlp_groups if "otlp-svc" in x["logGroupName"]]
    expect(len(otlp_group) == 1, f"otlp group: {otlp_groups}")
    cli.ok("put-metric-filter", "--log-group-name", otlp_group[0], "--filter-name", "errors",
           "--filter-pattern", "ERROR", "--metric-transformations",
           "metricName=CliErrors,metricNamespace=CliApp,metricValue=1")
    status, resp = tl.signed_request(KEY, "POST", base + "/v1/logs", json.dumps(otlp).encode(),
                                   {"Content-Type": "application/json"})
    expect(status == 200, f"otlp put: {status} {resp[:200]!r}")

    # The metric filters' samples, through the native statistics API: 3 AWS + 1 native + 1 OTLP
    # (the first OTLP event came before its group had a filter).
    totals, raw = statistics(base, 'CliErrors{Namespace="CliApp"}')
    expect(totals.get("SampleCount") == 5 and totals.get("Sum") == 5,
           f"metric filter metric: {raw}")

    cli.ok("delete-metric-filter", "--log-group-name", g, "--filter-name", "errors")
    err = cli.error("delete-metric-filter", "--log-group-name", g, "--filter-name", "errors")
    expect("ResourceNotFoundException" in err, f"delete-metric-filter twice: {err}")
    cli.ok("delete-log-stream", "--log-group-name", g, "--log-stream-name", "web-2")
    cli.ok("delete-log-group", "--log-group-name", g)
    err = cli.error("describe-log-streams", "--log-group-name", g)
    expect("ResourceNotFoundException" in err, f"deleted group: {err}")


BOTO3_SCRIPT = r'''
import json, os, sys, time
import boto3, botocore
c = boto3.client("logs", endpoint_url=os.environ["OPSIGHT_ENDPOINT"],
                 config=botocore.config.Config(retries={"max_attempts": 1}))
out = {}
g = "/boto/app"
c.create_log_group(logGroupName=g)
for i in range(5):
    c.create_log_group(logGroupName=f"/boto/extra-{i}")
pages = list(c.get_paginator("describe_log_groups").paginate(
    logGroupNamePrefix="/boto", PaginationConfig={"PageSize": 2}))
out["group_pages"] = len(pages)
out["groups"] = [x["logGroupName"] for p in pages for x in p["logGroups"]]
c.create_log_stream(logGroupName=g, logStreamName="s")
c.put_metric_filter(logGroupName=g, filterName="bytes", filterPattern="[ip, verb, bytes]",
                    metricTransformations=[{"metricName": "BotoBytes",
                                            "metricNamespace": "BotoApp",
                                            "metricValue": "$bytes",
                                            "dimensions": {"Verb": "$verb"}}])
now = int(time.time() * 1000)
c.put_log_events(logGroupName=g, logStreamName="s", logEvents=[
    {"timestamp": now - 2000 + i, "message": f"10.0.0.{i} GET {100 * (i + 1)}"}
    for i in range(3)])
# EMF with the header the CloudWatch agent and EMF libraries send.
def emf_header(request, **kwargs):
    request.headers["x-amzn-logs-format"] = "json/emf"
c.meta.events.register("before-sign.logs.PutLogEvents", emf_header)
emf = {"_aws": {"Timestamp": now - 500, "CloudWatchMetrics": [{"Namespace": "BotoEmf",
        "Dimensions": [["Service"]], "Metrics": [{"Name": "EmfLatency", "Unit": "Milliseconds"}]}]},
       "Service": "cart", "EmfLatency": 42}
r = c.put_log_events(logGroupName=g, logStreamName="s",
                     logEvents=[{"timestamp": now - 500, "message": json.dumps(emf)}])
c.meta.events.unregister("before-sign.logs.PutLogEvents", emf_header)
out["emf_rejected"] = "rejectedLogEventsInfo" in r
events = [e for p in c.get_paginator("filter_log_events").paginate(
    logGroupName=g, filterPattern="GET", PaginationConfig={"PageSize": 1}) for e in p["events"]]
out["filtered"] = [e["message"] for e in events]
ev = c.get_log_events(logGroupName=g, logStreamName="s", startFromHead=True, limit=2)
out["first_page"] = [e["message"] for e in ev["events"]]
ev2 = c.get_log_events(logGroupName=g, logStreamName="s", nextToken=ev["nextForwardToken"])
out["second_page"] = [e["message"] for e in ev2["events"]]
q = c.start_query(logGroupNames=[g], startTime=now // 1000 - 600, endTime=now // 1000 + 60,
                  queryString="fields @message | filter @message like /GET/ | sort @timestamp desc | limit 2")
for _ in range(200):
    res = c.get_query_results(queryId=q["queryId"])
    if res["status"] not in ("Scheduled", "Running"):
        break
    time.sleep(0.05)
out["query_status"] = res["status"]
out["query_messages"] = [dict((f["field"], f["value"]) for f in row).get("@message")
                         for row in res["results"]]
try:
    c.describe_log_streams(logGroupName="/boto/none")
    out["missing"] = None
except c.exceptions.ResourceNotFoundException as e:
    out["missing"] = e.response["Error"]["Code"]
try:
    c.put_metric_filter(logGroupName=g, filterName="bad", filterPattern="{ $.x = ",
                        metricTransformations=[{"metricName": "M", "metricNamespace": "N",
                                                "metricValue": "1"}])
    out["bad_pattern"] = None
except c.exceptions.InvalidParameterException as e:
    out["bad_pattern"] = e.response["Error"]["Code"]
print(json.dumps(out))
'''


def run_boto3(base):
    p = subprocess.run([PYTHON, "-c", BOTO3_SCRIPT], env=client_env(base), capture_output=True,
                       text=True, timeout=300)
    if p.returncode != 0:
        tl.fail(f"boto3 client failed: {p.stderr.strip()[-2000:]}")
    out = json.loads(p.stdout.strip().splitlines()[-1])
    expect(out["group_pages"] == 3 and len(out["groups"]) == 6, f"boto3 pagination: {out}")
    expect(out["emf_rejected"] is False, f"boto3 emf: {out}")
    expect(out["filtered"] == ["10.0.0.0 GET 100", "10.0.0.1 GET 200", "10.0.0.2 GET 300"],
           f"boto3 filter paginator: {out}")
    expect(out["first_page"] == ["10.0.0.0 GET 100", "10.0.0.1 GET 200"], f"boto3 get: {out}")
    expect(out["second_page"][0] == "10.0.0.2 GET 300" and len(out["second_page"]) == 2,
           f"boto3 get page 2: {out}")
    expect(out["query_status"] == "Complete" and
           out["query_messages"] == ["10.0.0.2 GET 300", "10.0.0.1 GET 200"],
           f"boto3 query: {out}")
    expect(out["missing"] == "ResourceNotFoundException", f"boto3 missing: {out}")
    expect(out["bad_pattern"] == "InvalidParameterException", f"boto3 bad pattern: {out}")
    totals, raw = statistics(base, 'BotoBytes{Namespace="BotoApp",Verb="GET"}',
                             "SampleCount,Sum,Maximum")
    expect(totals.get("SampleCount") == 3 and totals.get("Sum") == 600 and
           totals.get("Maximum") == 300, f"boto3 metric filter metric: {raw}")
    totals, raw = statistics(base, 'EmfLatency{Namespace="BotoEmf",Service="cart"}')
    expect(totals.get("SampleCount") == 1 and totals.get("Sum") == 42, f"boto3 EMF metric: {raw}")


def run_node(base):
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        tl.fail("node is not installed (scripts/install-deps.sh test)")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "@aws-sdk",
                                      "client-cloudwatch-logs")):
        tl.fail("@aws-sdk/client-cloudwatch-logs is missing: run npm ci --prefix "
                "tests/integration/node")
    p = subprocess.run([node, os.path.join(NODE_DIR, "logs_client.js")], cwd=NODE_DIR,
                       env=client_env(base), capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        tl.fail(f"node client failed: {p.stderr.strip()[-2000:]}")
    out = json.loads(p.stdout.strip().splitlines()[-1])
    expect(out["duplicate"]["name"] == "ResourceAlreadyExistsException" and
           out["duplicate"]["status"] == 400, f"node duplicate: {out}")
    expect(out["groups"][0]["name"] == "/node/app" and out["groups"][0]["retention"] == 30,
           f"node groups: {out}")
    expect(out["filters"] == ["latency"], f"node metric filters: {out}")
    expect(out["sequence_token"] is True, f"node token: {out}")
    expect(out["missing_stream"]["name"] == "ResourceNotFoundException", f"node put: {out}")
    expect(out["streams"] == ["s1"], f"node streams: {out}")
    expect(out["get_messages"][0] == "ERROR first" and out["get_messages"][2] == "INFO last" and
           out["get_tokens"], f"node get: {out}")
    expect(out["filter_messages"] == ["ERROR first"], f"node filter: {out}")
    expect(out["query_status"] == "Complete" and out["query_rows"] == [{"n": "3"}],
           f"node query: {out}")
    expect(out["described_queries"] == [True], f"node describe queries: {out}")
    expect(out["stop"] is False, f"node stop: {out}")
    expect(out["malformed"]["name"] == "MalformedQueryException", f"node malformed: {out}")
    expect(out["definitions"] == ["node/errors"] and out["definition_deleted"] is True,
           f"node definitions: {out}")
    expect(out["tags"] == {"env": "test"}, f"node tags: {out}")
    expect(out["legacy_tags"] == {"legacy": "yes"}, f"node legacy tags: {out}")
    expect(out["deleted"]["name"] == "ResourceNotFoundException", f"node deleted: {out}")
    totals, raw = statistics(base, 'NodeLatency{Namespace="NodeApp"}')
    expect(totals.get("SampleCount") == 1 and totals.get("Sum") == 40,
           f"node metric filter metric: {raw}")


def main():
    if not os.access(AWS, os.X_OK):
        tl.fail(f"{AWS} is missing (scripts/install-deps.sh test)")
    global KEY
    with tl.OpsightServer(extra_args=tl.SIGV4_SERVE_ARGS) as server:
        server.start()
        KEY = tl.create_access_key(server)
        try:
            run_cli(Cli(server.base), server.base)
            run_boto3(server.base)
            run_node(server.base)
        except tl.TestFailure:
            print(server.log_tail(), file=sys.stderr)
            raise
        rc = server.stop()
        expect(rc == 0, f"opsight exit code {rc}")
    tl.log("PASS")


if __name__ == "__main__":
    tl.main_wrapper(main)
