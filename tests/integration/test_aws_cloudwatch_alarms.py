#!/usr/bin/env python3
"""CloudWatch alarms, anomaly detectors, dashboards and tags with real clients.

opsight runs on a free loopback port (auth: none). Two clients run every operation of
api/aws/cloudwatch/{alarm_ops,resource_ops}.h and the answers are checked:
  1. Debian's AWS CLI v2 (/usr/bin/aws, awsQuery: form in, XML out);
  1b. the CLI again for what a detector changes: after PutAnomalyDetector with an excluded range
      around an incident, GetMetricData's ANOMALY_DETECTION_BAND is narrow again;
  2. @aws-sdk/client-cloudwatch (node/cloudwatch_alarms_client.js) in Smithy RPC v2 CBOR, and
     in its default AWS JSON 1.0.
Every wait is bounded; only 127.0.0.1 is used.

Needs /usr/bin/aws, node and `npm ci --prefix tests/integration/node`
(scripts/install-deps.sh test)."""

import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402

AWS = "/usr/bin/aws"  # Debian's CLI; `aws` on PATH may be another one
NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
CALL_TIMEOUT_S = 60


# The access key every client signs with, made by `opsight keys create` once the server runs.
KEY = None


def client_env(endpoint):
    """The AWS client environment (the one place that sets credentials)."""
    return tl.aws_client_env(KEY, endpoint)


def Cli(endpoint):  # noqa: N802 (reads like the class it returns)
    return tl.AwsCli("cloudwatch", endpoint, client_env(endpoint), CALL_TIMEOUT_S)


def expect(cond, what):
    if not cond:
        tl.fail(what)


def run_cli(cli):
    dims = ["--dimensions", "Name=Host,Value=h1"]
    cli.ok("put-metric-alarm", "--alarm-name", "cli-cpu", "--namespace", "CliApp",
           "--metric-name", "cpu", "--statistic", "Average", "--period", "60",
           "--evaluation-periods", "2", "--threshold", "50.5", "--comparison-operator",
           "GreaterThanThreshold", *dims, "--tags", "Key=team,Value=cli")
    cli.ok("put-composite-alarm", "--alarm-name", "cli-comp", "--alarm-rule", 'ALARM("cli-cpu")')
    a = cli.ok("describe-alarms", "--alarm-names", "cli-cpu")["MetricAlarms"][0]
    expect(a["AlarmName"] == "cli-cpu" and a["Period"] == 60 and a["Threshold"] == 50.5,
           f"describe-alarms: {a}")
    expect(a["Dimensions"] == [{"Name": "Host", "Value": "h1"}], f"dimensions: {a}")
    expect(a["StateValue"] == "INSUFFICIENT_DATA", f"initial state: {a}")
    arn = a["AlarmArn"]
    expect(arn.startswith("arn:aws:cloudwatch:") and arn.endswith(":alarm:cli-cpu"), arn)
    comps = cli.ok("describe-alarms", "--alarm-types", "CompositeAlarm")["CompositeAlarms"]
    expect([c["AlarmName"] for c in comps] == ["cli-comp"], f"composites: {comps}")
    got = cli.ok("describe-alarms-for-metric", "--namespace", "CliApp", "--metric-name", "cpu",
                 *dims)["MetricAlarms"]
    expect([m["AlarmName"] for m in got] == ["cli-cpu"], f"describe-alarms-for-metric: {got}")
    got = cli.ok("describe-alarms-for-metric", "--namespace", "CliApp", "--metric-name", "cpu",
                 "--statistic", "Maximum")["MetricAlarms"]
    expect(got == [], f"describe-alarms-for-metric Maximum: {got}")

    cli.ok("set-alarm-state", "--alarm-name", "cli-cpu", "--state-value", "ALARM",
           "--state-reason", "cli test")
    a = cli.ok("describe-alarms", "--alarm-names", "cli-cpu")["MetricAlarms"][0]
    expect(a["StateValue"] == "ALARM" and a["StateReason"] == "cli test", f"after set: {a}")
    items = cli.ok("describe-alarm-history", "--alarm-name", "cli-cpu", "--history-item-type",
                   "StateUpdate")["AlarmHistoryItems"]
    expect(len(items) >= 1 and items[0]["HistoryItemType"] == "StateUpdate", f"history: {items}")
    cli.ok("disable-alarm-actions", "--alarm-names", "cli-cpu")
    a = cli.ok("describe-alarms", "--alarm-names", "cli-cpu")["MetricAlarms"][0]
    expect(a["ActionsEnabled"] is False, f"after disable: {a}")
    cli.ok("enable-alarm-actions", "--alarm-names", "cli-cpu")
    a = cli.ok("describe-alarms", "--alarm-names", "cli-cpu")["MetricAlarms"][0]
    expect(a["ActionsEnabled"] is True, f"after enable: {a}")
    err = cli.error("set-alarm-state", "--alarm-name", "nope", "--state-value", "OK",
                    "--state-reason", "x")
    expect("ResourceNotFound" in err, f"set-alarm-state on a missing alarm: {err}")

    # Anomaly detectors.
    smad = json.dumps({"Namespace": "CliApp", "MetricName": "cpu", "Stat": "Average",
                       "Dimensions": [{"Name": "Host", "Value": "h1"}]})
    cli.ok("put-anomaly-detector", "--single-metric-anomaly-detector", smad, "--configuration",
           json.dumps({"ExcludedTimeRanges": [{"StartTime": "2024-01-01T00:00:00Z",
                                               "EndTime": "2024-01-01T01:00:00Z"}],
                       "MetricTimezone": "UTC"}))
    cli.ok("put-anomaly-detector", "--namespace", "CliApp", "--metric-name", "mem", "--stat",
           "p90")
    dets = cli.ok("describe-anomaly-detectors", "--namespace", "CliApp")["AnomalyDetectors"]
    expect(len(dets) == 2, f"describe-anomaly-detectors: {dets}")
    cpu = [d for d in dets if d["SingleMetricAnomalyDetector"]["MetricName"] == "cpu"]
    expect(len(cpu) == 1, f"the cpu detector: {dets}")
    rng = cpu[0]["Configuration"]["ExcludedTimeRanges"][0]
    expect(rng["StartTime"].startswith("2024-01-01T00:00:00"), f"excluded range: {rng}")
    expect(cpu[0]["StateValue"] == "PENDING_TRAINING", f"state: {cpu[0]}")
    one = cli.ok("describe-anomaly-detectors", "--max-results", "1")
    expect(len(one["AnomalyDetectors"]) == 1 and one.get("NextToken"), f"page 1: {one}")
    two = cli.ok("describe-anomaly-detectors", "--max-results", "1", "--next-token",
                 one["NextToken"])
    expect(len(two["AnomalyDetectors"]) == 1 and not two.get("NextToken"), f"page 2: {two}")
    cli.ok("delete-anomaly-detector", "--single-metric-anomaly-detector", smad)
    err = cli.error("delete-anomaly-detector", "--single-metric-anomaly-detector", smad)
    expect("ResourceNotFound" in err, f"second delete-anomaly-detector: {err}")

    # Dashboards.
    body = json.dumps({"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6,
                                    "properties": {"metrics": [["CliApp", "cpu", "Host", "h1"]],
                                                   "period": 300, "stat": "Average",
                                                   "region": "us-east-1", "title": "cpu"}}]})
    put = cli.ok("put-dashboard", "--dashboard-name", "cli-dash", "--dashboard-body", body)
    expect(not put.get("DashboardValidationMessages"), f"put-dashboard: {put}")
    warn = cli.ok("put-dashboard", "--dashboard-name", "cli-warn", "--dashboard-body",
                  json.dumps({"widgets": [{"type": "text", "x": 20, "width": 6,
                                           "properties": {"markdown": "x"}}]}))
    msgs = warn.get("DashboardValidationMessages") or []
    expect(len(msgs) == 1 and msgs[0]["DataPath"] == "/widgets/0", f"warnings: {warn}")
    err = cli.error("put-dashboard", "--dashboard-name", "cli-bad", "--dashboard-body", "{}")
    expect("InvalidParameterInput" in err, f"invalid body: {err}")
    got = cli.ok("get-dashboard", "--dashboard-name", "cli-dash")
    expect(got["DashboardName"] == "cli-dash" and json.loads(got["DashboardBody"]) ==
           json.loads(body), f"get-dashboard: {got}")
    dash_arn = got["DashboardArn"]
    expect(dash_arn.startswith("arn:aws:cloudwatch::") and dash_arn.endswith(":dashboard/cli-dash"),
           dash_arn)
    entries = cli.ok("list-dashboards", "--dashboard-name-prefix", "cli-")["DashboardEntries"]
    expect([e["DashboardName"] for e in entries] == ["cli-dash", "cli-warn"], f"list: {entries}")
    expect(entries[0]["Size"] == len(body), f"size: {entries[0]}")

    # Tags.
    for resource in (arn, dash_arn):
        cli.ok("tag-resource", "--resource-arn", resource, "--tags", "Key=a,Value=1",
               "Key=b,Value=2")
        cli.ok("untag-resource", "--resource-arn", resource, "--tag-keys", "b")
    tags = cli.ok("list-tags-for-resource", "--resource-arn", arn)["Tags"]
    expect(sorted((t["Key"], t["Value"]) for t in tags) == [("a", "1"), ("team", "cli")],
           f"alarm tags: {tags}")
    tags = cli.ok("list-tags-for-resource", "--resource-arn", dash_arn)["Tags"]
    expect(tags == [{"Key": "a", "Value": "1"}], f"dashboard tags: {tags}")
    err = cli.error("list-tags-for-resource", "--resource-arn", arn.replace("cli-cpu", "nope"))
    expect("ResourceNotFound" in err, f"tags of a missing alarm: {err}")
    err = cli.error("tag-resource", "--resource-arn",
                    arn.replace(arn.split(":")[4], "999999999999"), "--tags", "Key=k,Value=v")
    expect("ResourceNotFound" in err, f"another account's ARN: {err}")

    # Deletes.
    err = cli.error("delete-dashboards", "--dashboard-names", "cli-dash", "ghost")
    expect("ResourceNotFound" in err, f"delete-dashboards with a missing name: {err}")
    expect(len(cli.ok("list-dashboards")["DashboardEntries"]) == 2, "nothing was deleted")
    cli.ok("delete-dashboards", "--dashboard-names", "cli-dash", "cli-warn")
    expect(cli.ok("list-dashboards")["DashboardEntries"] == [], "dashboards deleted")
    cli.ok("delete-alarms", "--alarm-names", "cli-comp", "cli-cpu")
    left = cli.ok("describe-alarms", "--alarm-types", "MetricAlarm", "CompositeAlarm")
    expect(left["MetricAlarms"] == [] and left["CompositeAlarms"] == [], f"left: {left}")
    # A new alarm of the same name starts without the old tags.
    cli.ok("put-metric-alarm", "--alarm-name", "cli-cpu", "--namespace", "CliApp",
           "--metric-name", "cpu", "--statistic", "Average", "--period", "60",
           "--evaluation-periods", "1", "--threshold", "1", "--comparison-operator",
           "GreaterThanThreshold")
    expect(cli.ok("list-tags-for-resource", "--resource-arn", arn)["Tags"] == [],
           "tags dropped with the alarm")
    cli.ok("delete-alarms", "--alarm-names", "cli-cpu")
    tl.log("aws cli (awsQuery): 21 operations ok")


def band_width(cli, start, end):
    """Mean width of ANOMALY_DETECTION_BAND(m1, 2) over the newest 12 periods."""
    queries = [
        {"Id": "m1", "ReturnData": True, "MetricStat": {"Metric": {
            "Namespace": "BandApp", "MetricName": "latency",
            "Dimensions": [{"Name": "Service", "Value": "api"}]}, "Period": 300,
            "Stat": "Average"}},
        {"Id": "band", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"},
    ]
    out = cli.ok("get-metric-data", "--metric-data-queries", json.dumps(queries),
                 "--start-time", str(start), "--end-time", str(end), "--scan-by",
                 "TimestampAscending")
    series = {}
    for r in out["MetricDataResults"]:
        if r["Id"] == "band":
            series[r["Label"]] = r["Values"]
    lower = [v for k, v in series.items() if "lower" in k.lower()]
    upper = [v for k, v in series.items() if "upper" in k.lower()]
    expect(len(lower) == 1 and len(upper) == 1 and len(lower[0]) >= 12,
           f"the band's two series: {out['MetricDataResults']}")
    widths = [u - lo for u, lo in zip(upper[0][-12:], lower[0][-12:])]
    return sum(widths) / len(widths)


def run_band_exclusion(cli):
    """An anomaly detector's ExcludedTimeRanges keep an incident out of the band's training."""
    step = 300
    now = int(time.time()) // step * step
    start = now - 2 * 86400
    incident_end = start + 346 * step  # the first 60%: swings of +-50
    data = []
    for i in range(576):
        t = start + i * step
        v = 10 + (0.25 if i % 3 == 0 else -0.25)
        if t < incident_end:
            v += 50 if i % 2 == 0 else -50
        data.append({"MetricName": "latency", "Timestamp": t, "Value": v,
                     "Dimensions": [{"Name": "Service", "Value": "api"}]})
    for i in range(0, len(data), 500):
        cli.ok("put-metric-data", "--namespace", "BandApp", "--metric-data",
               json.dumps(data[i:i + 500]))
    before = band_width(cli, start, now + step)
    smad = json.dumps({"Namespace": "BandApp", "MetricName": "latency", "Stat": "Average",
                       "Dimensions": [{"Name": "Service", "Value": "api"}]})
    cli.ok("put-anomaly-detector", "--single-metric-anomaly-detector", smad, "--configuration",
           json.dumps({"ExcludedTimeRanges": [{"StartTime": start, "EndTime": incident_end}]}))
    after = band_width(cli, start, now + step)
    tl.log(f"band width over the last hour: {before:.2f} trained on the incident, "
           f"{after:.2f} with it excluded")
    expect(after * 4 < before, f"the excluded incident still widens the band: {before} -> {after}")
    det = cli.ok("describe-anomaly-detectors", "--namespace", "BandApp")["AnomalyDetectors"]
    expect(det[0]["StateValue"] == "TRAINED", f"a detector with two days of data: {det}")
    cli.ok("delete-anomaly-detector", "--single-metric-anomaly-detector", smad)


def run_node(endpoint, protocol):
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        tl.fail("node is not installed (scripts/install-deps.sh test)")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "@aws-sdk", "client-cloudwatch")):
        tl.fail("@aws-sdk/client-cloudwatch is missing: run npm ci --prefix tests/integration/node")
    env = client_env(endpoint)
    env["OPSIGHT_PROTOCOL"] = protocol
    p = subprocess.run([node, os.path.join(NODE_DIR, "cloudwatch_alarms_client.js")],
                       cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=180)
    if p.returncode != 0:
        tl.fail(f"node client ({protocol}) failed: {p.stderr.strip()[-2000:]}")
    out = json.loads(p.stdout.strip().splitlines()[-1])
    d = out["describe"]
    expect(d["name"] == "node-cpu" and d["period"] == 60 and d["threshold"] == 50.5 and
           d["updated_is_date"] and d["state"] == "INSUFFICIENT_DATA", f"node describe: {d}")
    expect(d["dimensions"] == [{"Name": "Host", "Value": "h1"}], f"node dimensions: {d}")
    expect(out["composites"] == ["node-comp"], f"node composites: {out['composites']}")
    expect(out["for_metric"] == ["node-cpu"], f"node for metric: {out['for_metric']}")
    expect(out["state_after_set"] == "ALARM", f"node set state: {out}")
    expect(out["history"] and out["history"][0] == {"type": "StateUpdate", "ts_is_date": True},
           f"node history: {out['history']}")
    expect(out["actions_after_disable"] is False and out["actions_after_enable"] is True,
           f"node actions: {out}")
    det = out["detectors"]
    expect(det["count"] == 1 and det["stat"] == "Average" and det["state"] == "PENDING_TRAINING"
           and det["excluded_start"] == "2024-01-01T00:00:00.000Z"
           and det["periodic_spikes"] is False, f"node detectors: {det}")
    expect("ResourceNotFound" in (out["delete_detector_again"]["name"] or "") or
           "ResourceNotFound" in (out["delete_detector_again"]["code"] or ""),
           f"node second delete: {out['delete_detector_again']}")
    expect(out["put_dashboard_messages"] == [], f"node put-dashboard: {out}")
    expect(out["dashboard"]["name"] == "node-dash" and out["dashboard"]["body_equal"],
           f"node get-dashboard: {out['dashboard']}")
    expect(len(out["dashboards"]) == 1 and out["dashboards"][0]["modified_is_date"] and
           out["dashboards"][0]["size"] > 0, f"node list: {out['dashboards']}")
    bad = out["bad_dashboard"]
    expect("InvalidParameterInput" in f"{bad['name']} {bad['code']}" or
           "DashboardInvalidInputError" in f"{bad['name']}", f"node bad dashboard: {bad}")
    expect(out["alarm_tags"] == [{"Key": "a", "Value": "1"}, {"Key": "team", "Value": "node"}],
           f"node alarm tags: {out['alarm_tags']}")
    expect(out["dashboard_tags"] == [{"Key": "a", "Value": "1"}],
           f"node dashboard tags: {out['dashboard_tags']}")
    expect("ResourceNotFound" in f"{out['tag_missing']['name']} {out['tag_missing']['code']}",
           f"node missing tag resource: {out['tag_missing']}")
    miss = out["delete_missing_dashboard"]
    expect("ResourceNotFound" in f"{miss['name']} {miss['code']}" or
           "DashboardNotFoundError" in f"{miss['name']}", f"node delete missing: {miss}")
    expect(out["alarms_left"] == 0, f"node alarms left: {out['alarms_left']}")
    tl.log(f"@aws-sdk/client-cloudwatch ({protocol}): 21 operations ok")


def main():
    if not os.access(AWS, os.X_OK):
        tl.fail(f"{AWS} is missing (scripts/install-deps.sh test)")
    global KEY
    with tl.OpsightServer(extra_args=tl.SIGV4_SERVE_ARGS) as server:
        server.start()
        KEY = tl.create_access_key(server)
        try:
            run_cli(Cli(server.base))
            run_band_exclusion(Cli(server.base))
            run_node(server.base, "cbor")
            run_node(server.base, "json")
        except tl.TestFailure:
            print(server.log_tail(), file=sys.stderr)
            raise
        rc = server.stop()
        expect(rc == 0, f"opsight exit code {rc}")
    tl.log("PASS")


if __name__ == "__main__":
    tl.main_wrapper(main)
