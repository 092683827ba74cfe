#!/usr/bin/env python3
"""CloudWatch metric operations through real AWS clients, in all three wire protocols:
  - Debian's AWS CLI v2 (/usr/bin/aws, awsQuery): put-metric-data, get-metric-statistics,
    get-metric-data with an expression, list-metrics with pagination, a rejected request;
  - boto3 1.26 from Debian's /usr/bin/python3 (cloudwatch_boto3_client.py) in awsQuery and in
    AWS JSON 1.0 (botocore's own cloudwatch model copied to a temp dir with its metadata switched
    to "protocol": "json", loaded through AWS_DATA_PATH);
  - @aws-sdk/client-cloudwatch (node/cloudwatch_client.mjs) in AWS JSON 1.0 and RPC v2 CBOR;
  - raw HTTP: request ids, content types and error shapes of each protocol.
Values must round-trip, statistics must be right, bad requests get the documented error code.
The server requires SigV4; every client signs with a key made by `opsight keys create`.
Everything listens on 127.0.0.1; every wait is bounded."""

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "node")
AWS = "/usr/bin/aws"
PYTHON = "/usr/bin/python3"
BOTOCORE_MODEL = "/usr/lib/python3/dist-packages/botocore/data/cloudwatch/2010-08-01/service-2.json"


# The access key every client signs with, made by `opsight keys create` once the server runs.
KEY = None


def client_env(extra=None):
    """The environment of every AWS client of this test (the one place to change credentials)."""
    env = tl.aws_client_env(KEY)
    if extra:
        env.update(extra)
    return env


def run(cmd, env, what, expect_ok=True, timeout=180):
    p = subprocess.run(cmd, env=env, capture_output=True, timeout=timeout, text=True)
    if expect_ok and p.returncode != 0:
        tl.fail(f"{what}: exit {p.returncode}\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-3000:]}")
    return p


def aws(base, *args, expect_ok=True):
    p = run([AWS, "--endpoint-url", base, "--output", "json", "cloudwatch", *args], client_env(),
            "aws cloudwatch " + args[0], expect_ok)
    if not expect_ok:
        return p
    return json.loads(p.stdout) if p.stdout.strip() else {}


def close(a, b):
    return abs(a - b) < 1e-9


def check_stats(who, datapoints, t0):
    if len(datapoints) != 1:
        tl.fail(f"{who}: want one datapoint, got {datapoints}")
    dp = datapoints[0]
    want = {"SampleCount": 4, "Sum": 10, "Average": 2.5, "Minimum": 1, "Maximum": 4}
    for k, v in want.items():
        if not close(float(dp.get(k, "nan")), v):
            tl.fail(f"{who}: {k} = {dp.get(k)}, want {v} ({dp})")
    if not close(float(dp["Timestamp"]), t0):
        tl.fail(f"{who}: datapoint at {dp['Timestamp']}, want {t0}")
    if dp.get("Unit") != "Milliseconds":
        tl.fail(f"{who}: Unit {dp.get('Unit')}, want Milliseconds")


def check_data(who, results, t0):
    if len(results) != 1 or results[0]["Id"] != "e1" or results[0]["Label"] != "doubled":
        tl.fail(f"{who}: want only e1 (m1 has ReturnData false): {results}")
    if [float(v) for v in results[0]["Values"]] != [20.0]:
        tl.fail(f"{who}: e1 values {results[0]['Values']}, want [20]")
    if [float(t) for t in results[0]["Timestamps"]] != [t0]:
        tl.fail(f"{who}: e1 timestamps {results[0]['Timestamps']}, want [{t0}]")


def check_cli(base):
    ns = "IT/cli"
    t0 = (int(time.time()) // 60) * 60 - 600
    iso = lambda s: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(s))  # noqa: E731
    datums = [{"MetricName": "Latency", "Dimensions": [{"Name": "Host", "Value": "h1"}],
               "Unit": "Milliseconds", "Timestamp": iso(t0 + i + 1), "Value": i + 1}
              for i in range(4)]
    aws(base, "put-metric-data", "--namespace", ns, "--metric-data", json.dumps(datums))
    # 510 more metrics for pagination (500 per page), through a file:// argument.
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump([{"MetricName": f"Many{i:03d}", "Value": 1, "Timestamp": iso(t0)}
                   for i in range(510)], f)
        many = f.name
    try:
        aws(base, "put-metric-data", "--namespace", ns, "--metric-data", "file://" + many)
    finally:
        os.unlink(many)

    stats = aws(base, "get-metric-statistics", "--namespace", ns, "--metric-name", "Latency",
                "--dimensions", "Name=Host,Value=h1", "--start-time", iso(t0 - 60),
                "--end-time", iso(t0 + 120), "--period", "60", "--statistics", "SampleCount",
                "Sum", "Average", "Minimum", "Maximum")
    if stats.get("Label") != "Latency":
        tl.fail(f"cli: Label {stats.get('Label')}")
    for dp in stats["Datapoints"]:
        dp["Timestamp"] = time.mktime(time.strptime(dp["Timestamp"][:19], "%Y-%m-%dT%H:%M:%S")) \
            - time.timezone
    check_stats("cli get-metric-statistics", stats["Datapoints"], t0)

    queries = [{"Id": "m1", "ReturnData": False, "MetricStat": {
        "Metric": {"Namespace": ns, "MetricName": "Latency",
                   "Dimensions": [{"Name": "Host", "Value": "h1"}]},
        "Period": 60, "Stat": "Sum"}}, {"Id": "e1", "Expression": "m1 * 2", "Label": "doubled"}]
    data = aws(base, "get-metric-data", "--metric-data-queries", json.dumps(queries),
               "--start-time", iso(t0 - 60), "--end-time", iso(t0 + 120))
    for r in data["MetricDataResults"]:
        r["Timestamps"] = [time.mktime(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
                           for t in r["Timestamps"]]
    check_data("cli get-metric-data", data["MetricDataResults"], t0)

    page = aws(base, "list-metrics", "--namespace", ns, "--no-paginate")
    if len(page["Metrics"]) != 500 or "NextToken" not in page:
        tl.fail(f"cli list-metrics first page: {len(page['Metrics'])} metrics, "
                f"NextToken {'NextToken' in page}")
    rest = aws(base, "list-metrics", "--namespace", ns, "--no-paginate", "--next-token",
               page["NextToken"])
    if len(rest["Metrics"]) != 11 or "NextToken" in rest:
        tl.fail(f"cli list-metrics second page: {len(rest['Metrics'])} metrics")
    everything = aws(base, "list-metrics", "--namespace", ns)  # the CLI follows NextToken
    if len(everything["Metrics"]) != 511:
        tl.fail(f"cli list-metrics (auto-paginated): {len(everything['Metrics'])}, want 511")
    dims = aws(base, "list-metrics", "--namespace", ns, "--dimensions", "Name=Host")
    if [m["MetricName"] for m in dims["Metrics"]] != ["Latency"] or \
            dims["Metrics"][0]["Dimensions"] != [{"Name": "Host", "Value": "h1"}]:
        tl.fail(f"cli list-metrics --dimensions Name=Host: {dims}")
    recent = aws(base, "list-metrics", "--namespace", ns, "--metric-name", "Latency",
                 "--recently-active", "PT3H")
    if len(recent["Metrics"]) != 1:
        tl.fail(f"cli list-metrics --recently-active PT3H: {recent}")

    bad = aws(base, "get-metric-statistics", "--namespace", ns, "--metric-name", "Latency",
              "--start-time", iso(t0), "--end-time", iso(t0 + 60), "--period", "7",
              "--statistics", "Sum", expect_ok=False)
    if bad.returncode == 0 or "(InvalidParameterValue)" not in bad.stderr:
        tl.fail(f"cli: a Period of 7 must be InvalidParameterValue: {bad.stderr}")
    bad = aws(base, "put-metric-data", "--namespace", ns, "--metric-data",
              json.dumps([{"MetricName": "ok", "Value": 1},
                          {"MetricName": "bad", "Value": 1, "Unit": "Parsecs"}]),
              expect_ok=False)
    if "(InvalidParameterValue)" not in bad.stderr and "Invalid" not in bad.stderr:
        tl.fail(f"cli: an invalid Unit must be refused: {bad.stderr}")
    if aws(base, "list-metrics", "--namespace", ns, "--metric-name", "ok")["Metrics"]:
        tl.fail("cli: a request with an invalid item stored its valid items")
    tl.log("aws cli (awsQuery): put, statistics, metric data, list-metrics pages, errors ok")


def json_model_dir():
    """A copy of botocore's cloudwatch model speaking AWS JSON 1.0, for AWS_DATA_PATH."""
    d = tempfile.mkdtemp(prefix="opsight-it-cwjson-")
    target = os.path.join(d, "cloudwatch", "2010-08-01")
    os.makedirs(target)
    with open(BOTOCORE_MODEL) as f:
        model = json.load(f)
    model["metadata"].update({"protocol": "json", "jsonVersion": "1.0",
                              "targetPrefix": "GraniteServiceVersion20100801"})
    model["metadata"]["awsQueryCompatible"] = {}
    with open(os.path.join(target, "service-2.json"), "w") as f:
        json.dump(model, f)
    return d


def check_boto3(base, mode):
    extra = {}
    model_dir = None
    if mode == "json":
        model_dir = json_model_dir()
        extra["AWS_DATA_PATH"] = model_dir
    try:
        p = run([PYTHON, os.path.join(HERE, "cloudwatch_boto3_client.py"), base,
                 f"IT/boto3-{mode}"], client_env(extra), f"boto3 ({mode})")
    finally:
        if model_dir:
            shutil.rmtree(model_dir, ignore_errors=True)
    out = json.loads(p.stdout.strip().splitlines()[-1])
    want_protocol = "query" if mode == "query" else "json"
    who = f"boto3 ({out['protocol']})"
    if out["protocol"] != want_protocol:
        tl.fail(f"boto3 spoke {out['protocol']}, want {want_protocol}")
    if len(out["put_request_id"]) != 36:
        tl.fail(f"{who}: no request id: {out['put_request_id']!r}")
    check_stats(who + " statistics", out["stats"], out["t0"])
    ext = out["extended"]
    if len(ext) != 1 or not close(ext[0]["p50"], 2) or not close(ext[0]["p100"], 4):
        tl.fail(f"{who}: extended statistics {ext}")
    hist = out["hist"]
    if len(hist) != 1 or not close(hist[0]["SampleCount"], 4) or \
            not close(hist[0]["Sum"], 13) or not close(hist[0]["Maximum"], 10):
        tl.fail(f"{who}: Values/Counts statistics {hist}")
    check_data(who + " metric data", out["data"], out["t0"])
    if out["list_first_page"] != 500 or not out["list_has_token"] or out["list_total"] != 513:
        tl.fail(f"{who}: list-metrics pages {out['list_first_page']} / {out['list_total']}")
    if [m["MetricName"] for m in out["list_filtered"]] != ["Latency"]:
        tl.fail(f"{who}: filtered list-metrics {out['list_filtered']}")
    if out["error"] != "InvalidParameterValue" or not out.get("error_request_id"):
        tl.fail(f"{who}: bad Period gave {out['error']} (request id {out.get('error_request_id')})")
    tl.log(f"{who}: put, statistics (standard, extended, Values/Counts), metric data, "
           "list-metrics pages, errors ok")


def check_node(base, mode):
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        tl.fail("node is not installed (scripts/install-deps.sh test)")
    p = run([node, os.path.join(NODE_DIR, "cloudwatch_client.mjs"), base, f"IT/node-{mode}", mode],
            client_env(), f"node client-cloudwatch ({mode})")
    out = json.loads(p.stdout.strip().splitlines()[-1])
    who = f"@aws-sdk/client-cloudwatch ({mode})"
    if mode == "cbor":
        if out["path"] != "/service/GraniteServiceVersion20100801/operation/GetMetricStatistics":
            tl.fail(f"{who}: request path {out['path']}")
        if any(w["smithy"] != "rpc-v2-cbor" or w["type"] != "application/cbor" for w in out["wire"]):
            tl.fail(f"{who}: responses {out['wire']}")
    elif any(w["type"] != "application/x-amz-json-1.0" for w in out["wire"]):
        tl.fail(f"{who}: responses {out['wire']}")
    if not out["put_request_id"]:
        tl.fail(f"{who}: no request id")
    check_stats(who + " statistics", out["stats"], out["t0"])
    check_data(who + " metric data", out["data"], out["t0"])
    if [m["MetricName"] for m in out["list"]] != ["Latency"] or \
            out["list"][0]["Dimensions"] != [{"Name": "Host", "Value": "h1"}]:
        tl.fail(f"{who}: list-metrics {out['list']}")
    err = out["error"]
    if not err or err["status"] != 400 or err["code"] != "InvalidParameterValue" or \
            not err["request_id"]:
        tl.fail(f"{who}: bad Period gave {err}")
    tl.log(f"{who}: put, statistics, metric data, list-metrics, errors ok")


def check_raw(base):
    """Protocol details a client hides: headers, error shapes, gzip bodies."""
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    status, body = tl.signed_request(KEY, "POST", base + "/", b"Action=ListMetrics&Version=2010-08-01&"
                                   b"Namespace=IT%2Fcli&MetricName=Latency", form)
    if status != 200 or b"<ListMetricsResponse xmlns=\"http://monitoring.amazonaws.com/doc/" \
            b"2010-08-01/\"><ListMetricsResult><Metrics><member>" not in body or \
            b"<RequestId>" not in body:
        tl.fail(f"raw awsQuery ListMetrics: {status} {body[:400]!r}")
    gz = gzip.compress(b"Action=PutMetricData&Version=2010-08-01&Namespace=IT%2Fraw&"
                       b"MetricData.member.1.MetricName=Gz&MetricData.member.1.Value=3")
    status, body = tl.signed_request(KEY, "POST", base + "/", gz, dict(form, **{"Content-Encoding": "gzip"}))
    if status != 200 or b"<PutMetricDataResponse" not in body:
        tl.fail(f"raw gzip awsQuery PutMetricData: {status} {body[:400]!r}")
    status, body = tl.signed_request(KEY, "POST", base + "/", b"Action=PutMetricData&Version=2010-08-01&"
                                   b"MetricData.member.1.MetricName=x&MetricData.member.1.Value=1",
                                   form)
    if status != 400 or b"<Code>MissingParameter</Code>" not in body or \
            b"<Type>Sender</Type>" not in body:
        tl.fail(f"raw awsQuery missing Namespace: {status} {body[:400]!r}")
    status, body = tl.signed_request(KEY, "POST", base + "/", b"Action=NoSuchThing", form)
    if status != 400 or b"<Code>InvalidAction</Code>" not in body:
        tl.fail(f"raw awsQuery unknown action: {status} {body[:400]!r}")
    jhdr = {"Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics"}
    status, body = tl.signed_request(KEY, "POST", base + "/", json.dumps(
        {"Namespace": "IT/raw"}).encode(), jhdr)
    doc = json.loads(body)
    if status != 200 or [m["MetricName"] for m in doc["Metrics"]] != ["Gz"]:
        tl.fail(f"raw JSON 1.0 ListMetrics after the gzip put: {status} {body[:400]!r}")
    status, body = tl.signed_request(KEY, "POST", base + "/", b"{}", dict(
        jhdr, **{"X-Amz-Target": "GraniteServiceVersion20100801.GetMetricStatistics"}))
    if status != 400 or json.loads(body).get("__type") != "MissingParameter":
        tl.fail(f"raw JSON 1.0 missing parameters: {status} {body[:400]!r}")
    tl.log("raw protocol checks (XML shapes, gzip, MissingParameter, InvalidAction) ok")


def run_all():
    for path in (AWS, PYTHON, BOTOCORE_MODEL):
        if not os.path.exists(path):
            tl.fail(f"{path} is missing (scripts/install-deps.sh test)")
    global KEY
    with tl.OpsightServer(extra_args=tl.SIGV4_SERVE_ARGS) as server:
        server.start()
        KEY = tl.create_access_key(server)
        try:
            check_cli(server.base)
            check_boto3(server.base, "query")
            check_boto3(server.base, "json")
            check_node(server.base, "json")
            check_node(server.base, "cbor")
            check_raw(server.base)
        except tl.TestFailure:
            sys.stderr.write(server.log_tail() + "\n")
            raise
        finally:
            server.stop()


if __name__ == "__main__":
    tl.main_wrapper(run_all)
