#!/usr/bin/env python3
"""Cross-account CloudWatch metrics (docs/auth.md, "Cross-account observability"):
`opsight serve --auth sigv4` with keys for a monitoring account M, a source account S and an
unlinked account U; the link M <- S is made (and later removed) with `opsight accounts`.
Debian's AWS CLI signs with each key.

- `opsight accounts link/list/unlink` work and refuse a duplicate link, a missing link and a
  malformed account id.
- S writes a metric with `aws cloudwatch put-metric-data`; M sees it with
  `list-metrics --include-linked-accounts` (OwningAccounts = S, one per metric, also with
  `--owning-account S`), and reads it with `get-metric-data` whose query has AccountId = S.
- Without --include-linked-accounts M lists only its own metrics; a MetricStat without AccountId
  reads M's own data.
- U (unlinked) sees nothing of S and is refused AccountId = S; S (a source) sees nothing of M.
- After `opsight accounts unlink`, M no longer sees S (within the link cache time, a bounded
  wait).
Logs are covered by test_cross_account_logs.py.
Everything listens on 127.0.0.1; every wait is bounded."""

import datetime
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402

M = "111111111111"
S = "222222222222"
U = "333333333333"
LINK_CACHE_S = 5  # resources::kLinkCacheTtlMs
SERVE_ARGS = list(tl.SIGV4_SERVE_ARGS) + ["--xray-listen", "", "--otlp-grpc-listen", ""]


def accounts(srv, *args, ok=True):
    p = subprocess.run([srv.binary, "accounts", *args, "--data-dir", srv.data_dir],
                       capture_output=True, text=True, timeout=60)
    if ok and p.returncode != 0:
        tl.fail(f"opsight accounts {' '.join(args)}: exit {p.returncode}: {p.stderr}")
    if not ok and p.returncode == 0:
        tl.fail(f"opsight accounts {' '.join(args)} succeeded but should have failed")
    return p


def put(cli, ns, name, value, ts):
    cli.ok("put-metric-data", "--namespace", ns, "--metric-data",
           json.dumps([{"MetricName": name, "Value": value,
                        "Timestamp": datetime.datetime.fromtimestamp(
                            ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "Dimensions": [{"Name": "Host", "Value": "h1"}]}]))


def listed(cli, *args):
    out = cli.ok("list-metrics", *args)
    return out.get("Metrics", []), out.get("OwningAccounts")


def metric_data(cli, ns, name, now_s, account=None):
    q = {"Id": "m1", "MetricStat": {"Metric": {"Namespace": ns, "MetricName": name,
                                               "Dimensions": [{"Name": "Host", "Value": "h1"}]},
                                    "Period": 60, "Stat": "Sum"}}
    if account:
        q["AccountId"] = account
    args = ["get-metric-data", "--metric-data-queries", json.dumps([q]), "--start-time",
            str(now_s - 3600), "--end-time", str(now_s + 60)]
    return cli, args


def values(cli, ns, name, now_s, account=None):
    c, args = metric_data(cli, ns, name, now_s, account)
    out = c.ok(*args)
    return sum(out["MetricDataResults"][0]["Values"])


def main():
    with tl.OpsightServer(extra_args=SERVE_ARGS) as srv:
        srv.start()
        keys = {a: tl.create_access_key(srv, a) for a in (M, S, U)}
        cw = {a: tl.AwsCli("cloudwatch", srv.base, tl.aws_client_env(keys[a], srv.base))
              for a in (M, S, U)}

        # The CLI: link, refusals, list.
        accounts(srv, "link", "--monitoring", M, "--source", S)
        p = accounts(srv, "link", "--monitoring", M, "--source", S, ok=False)
        if "already linked" not in p.stderr:
            tl.fail(f"duplicate link: unexpected message {p.stderr!r}")
        p = accounts(srv, "link", "--monitoring", M, "--source", "12345", ok=False)
        if "12345" not in p.stderr:
            tl.fail(f"malformed account: unexpected message {p.stderr!r}")
        accounts(srv, "unlink", "--monitoring", M, "--source", U, ok=False)
        links = json.loads(accounts(srv, "list", "--json").stdout)["Links"]
        if links != [{"MonitoringAccountId": M, "SourceAccountId": S}]:
            tl.fail(f"accounts list: {links}")

        now_s = int(time.time())
        put(cw[S], "XAcct", "SourceMetric", 7.0, now_s - 120)
        put(cw[M], "XAcct", "MonitorMetric", 3.0, now_s - 120)

        # M without IncludeLinkedAccounts: only its own metric.
        metrics, owning = listed(cw[M], "--namespace", "XAcct")
        if [m["MetricName"] for m in metrics] != ["MonitorMetric"] or owning:
            tl.fail(f"M list-metrics without linked accounts: {metrics} {owning}")

        # M with IncludeLinkedAccounts: both, each with its owning account (1:1, same order).
        def sees_source():
            ms, ow = listed(cw[M], "--namespace", "XAcct", "--include-linked-accounts")
            return {m["MetricName"]: a for m, a in zip(ms, ow or [])} == {
                "MonitorMetric": M, "SourceMetric": S} and len(ms) == len(ow)

        tl.wait_until(sees_source, LINK_CACHE_S + 10, interval_s=0.5,
                      what="M to list S's metrics")
        ms, ow = listed(cw[M], "--namespace", "XAcct", "--include-linked-accounts",
                        "--owning-account", S)
        if [m["MetricName"] for m in ms] != ["SourceMetric"] or ow != [S]:
            tl.fail(f"M list-metrics --owning-account S: {ms} {ow}")

        # M reads S's metric with AccountId = S; without it, its own account (no such metric).
        if values(cw[M], "XAcct", "SourceMetric", now_s, S) != 7.0:
            tl.fail("M get-metric-data AccountId=S: wrong values")
        if values(cw[M], "XAcct", "SourceMetric", now_s) != 0:
            tl.fail("M get-metric-data without AccountId read S's data")
        if values(cw[M], "XAcct", "MonitorMetric", now_s, M) != 3.0:
            tl.fail("M get-metric-data AccountId=M: wrong values")

        # U sees nothing of S, and is refused AccountId = S.
        ms, ow = listed(cw[U], "--namespace", "XAcct", "--include-linked-accounts")
        if ms or (ow or []):
            tl.fail(f"U lists others' metrics: {ms} {ow}")
        c, args = metric_data(cw[U], "XAcct", "SourceMetric", now_s, S)
        err = c.error(*args)
        if "InvalidParameterValue" not in err:
            tl.fail(f"U get-metric-data AccountId=S: expected InvalidParameterValue, got {err}")
        # S (a source) sees nothing of M.
        ms, ow = listed(cw[S], "--namespace", "XAcct", "--include-linked-accounts")
        if [m["MetricName"] for m in ms] != ["SourceMetric"] or ow != [S]:
            tl.fail(f"S list-metrics: {ms} {ow}")
        c, args = metric_data(cw[S], "XAcct", "MonitorMetric", now_s, M)
        if "InvalidParameterValue" not in c.error(*args):
            tl.fail("S get-metric-data AccountId=M was not refused")

        # Unlink: M stops seeing S (a running server's link cache: at most LINK_CACHE_S).
        accounts(srv, "unlink", "--monitoring", M, "--source", S)
        if json.loads(accounts(srv, "list", "--json").stdout)["Links"]:
            tl.fail("accounts list after unlink is not empty")

        def source_gone():
            ms, _ = listed(cw[M], "--namespace", "XAcct", "--include-linked-accounts")
            return [m["MetricName"] for m in ms] == ["MonitorMetric"]

        tl.wait_until(source_gone, LINK_CACHE_S + 10, interval_s=0.5,
                      what="M to stop listing S's metrics after unlink")
        c, args = metric_data(cw[M], "XAcct", "SourceMetric", now_s, S)
        if "InvalidParameterValue" not in c.error(*args):
            tl.fail("M get-metric-data AccountId=S after unlink was not refused")
        tl.log("cross-account metrics: ok")


if __name__ == "__main__":
    tl.main_wrapper(main)
