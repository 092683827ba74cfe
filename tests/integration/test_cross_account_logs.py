#!/usr/bin/env python3
"""Cross-account CloudWatch Logs (docs/aws.md, "Cross-account"): `opsight serve --auth sigv4`
with keys for a monitoring account M, a source account S and an unlinked account U, and the link
M -> S made with `opsight accounts link`. Debian's AWS CLI signs with each key.

- S writes logs with `aws logs put-log-events`; M lists S's group with
  `describe-log-groups --include-linked-accounts` (and `--account-identifiers S`), reads it with
  `filter-log-events` / `get-log-events --log-group-identifier <S's ARN>`, and runs
  `start-query --log-group-identifiers <S's ARN>`: every row carries @aws.account = S,
  @aws.region and @log = "S:<group>".
- `stats count(*) by @aws.account` over M's and S's groups counts each account's events.
- X-Ray BatchGetTraces of M returns a trace S sent; U gets none.
- The native API (POST /api/v1/logs/query) takes the same ARNs as `group`.
- U (not linked) and S (a source, not a monitoring account) are refused M's or S's groups with
  ResourceNotFoundException, the same answer for a group that exists and one that does not.
Everything listens on 127.0.0.1; every wait is bounded."""

import json
import os
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402

M = "111111111111"
S = "222222222222"
U = "333333333333"
REGION = tl.AWS_REGION
SERVE_ARGS = list(tl.SIGV4_SERVE_ARGS) + ["--xray-listen", "", "--otlp-grpc-listen", ""]


def arn(account, group):
    return f"arn:aws:logs:{REGION}:{account}:log-group:{group}"


def link(srv, monitoring, source):
    p = subprocess.run([srv.binary, "accounts", "link", "--monitoring", monitoring, "--source",
                        source, "--data-dir", srv.data_dir],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        tl.fail(f"opsight accounts link: exit {p.returncode}: {p.stderr}")


def group_arns(out):
    """The ARNs of a DescribeLogGroups answer (`arn` less its ":*": this CLI's model predates
    logGroupArn)."""
    return [g["arn"].removesuffix(":*") for g in out["logGroups"]]


def put_events(cli, group, stream, messages, now_ms):
    cli.ok("create-log-group", "--log-group-name", group)
    cli.ok("create-log-stream", "--log-group-name", group, "--log-stream-name", stream)
    events = [f"timestamp={now_ms - 1000 * (len(messages) - i)},message={m}"
              for i, m in enumerate(messages)]
    cli.ok("put-log-events", "--log-group-name", group, "--log-stream-name", stream,
           "--log-events", *events)


def run_query(cli, query, groups, now_s):
    out = cli.ok("start-query", "--log-group-identifiers", *groups, "--start-time",
                 str(now_s - 3600), "--end-time", str(now_s + 60), "--query-string", query)
    qid = out["queryId"]
    result = {}

    def done():
        result.update(cli.ok("get-query-results", "--query-id", qid))
        return result.get("status") in ("Complete", "Failed", "Cancelled", "Timeout")

    tl.wait_until(done, 60, interval_s=0.2, what=f"query {query!r} to finish")
    if result["status"] != "Complete":
        tl.fail(f"query {query!r} ended {result['status']}")
    return [{f["field"]: f["value"] for f in row} for row in result["results"]]


def expect_not_found(cli, *args):
    err = cli.error(*args)
    if "ResourceNotFoundException" not in err:
        tl.fail(f"aws logs {' '.join(args)}: expected ResourceNotFoundException, got {err}")
    return err


def main():
    with tl.OpsightServer(extra_args=SERVE_ARGS) as srv:
        srv.start()
        keys = {a: tl.create_access_key(srv, a) for a in (M, S, U)}
        cli = {a: tl.AwsCli("logs", srv.base, tl.aws_client_env(keys[a], srv.base))
               for a in (M, S, U)}
        link(srv, M, S)
        now_ms = int(time.time() * 1000)
        now_s = now_ms // 1000
        put_events(cli[S], "/s/app", "web", ["s-a", "s-b", "s-c"], now_ms)
        put_events(cli[M], "/m/app", "web", ["m-a", "m-b"], now_ms)

        # M lists S's group once the link is visible (the gate caches links briefly).
        def linked_groups():
            out = cli[M].ok("describe-log-groups", "--include-linked-accounts")
            return set(group_arns(out))

        tl.wait_until(lambda: arn(S, "/s/app") in linked_groups(), 30, interval_s=0.5,
                      what="M to list S's log group")
        groups = linked_groups()
        if groups != {arn(S, "/s/app"), arn(M, "/m/app")}:
            tl.fail(f"M's linked listing: {sorted(groups)}")
        own = set(group_arns(cli[M].ok("describe-log-groups")))
        if own != {arn(M, "/m/app")}:
            tl.fail(f"M's own listing: {sorted(own)}")
        only_s = group_arns(cli[M].ok("describe-log-groups", "--include-linked-accounts",
                                      "--account-identifiers", S))
        if only_s != [arn(S, "/s/app")]:
            tl.fail(f"M's listing of S only: {only_s}")
        for a in (S, U):
            seen = set(group_arns(cli[a].ok("describe-log-groups", "--include-linked-accounts")))
            if arn(M, "/m/app") in seen or (a == U and seen):
                tl.fail(f"account {a} lists groups it may not see: {sorted(seen)}")

        # M reads S's events by ARN.
        events = cli[M].ok("filter-log-events", "--log-group-identifier", arn(S, "/s/app"))
        if [e["message"] for e in events["events"]] != ["s-a", "s-b", "s-c"]:
            tl.fail(f"M's filter-log-events of S: {events}")
        events = cli[M].ok("get-log-events", "--log-group-identifier", arn(S, "/s/app"),
                           "--log-stream-name", "web", "--start-from-head")
        if [e["message"] for e in events["events"]] != ["s-a", "s-b", "s-c"]:
            tl.fail(f"M's get-log-events of S: {events}")

        # Logs Insights over S's group: rows name the owning account and region.
        rows = run_query(cli[M], "fields @message, @aws.account, @aws.region, @log",
                         [arn(S, "/s/app")], now_s)
        if [r.get("@message") for r in rows] != ["s-c", "s-b", "s-a"]:
            tl.fail(f"cross-account rows: {rows}")
        for r in rows:
            if (r.get("@aws.account"), r.get("@aws.region"), r.get("@log")) != (
                    S, REGION, f"{S}:/s/app"):
                tl.fail(f"cross-account row without its origin: {r}")
        rows = run_query(cli[M], "stats count(*) as n by @aws.account",
                         [arn(S, "/s/app"), arn(M, "/m/app")], now_s)
        counts = {r["@aws.account"]: r["n"] for r in rows}
        if counts != {M: "2", S: "3"}:
            tl.fail(f"stats count(*) by @aws.account: {rows}")
        # M's own groups alone: a single-account query, unchanged (plain @log, no @aws.*).
        rows = run_query(cli[M], "fields @message, @log, @aws.account", ["/m/app"], now_s)
        if [(r.get("@log"), r.get("@aws.account")) for r in rows] != [("/m/app", None)] * 2:
            tl.fail(f"single-account rows: {rows}")

        # The native API takes the same ARNs as `group`.
        url = srv.base + "/api/v1/logs/query?" + urllib.parse.urlencode(
            {"group": arn(S, "/s/app"), "query": "stats count(*) as n by @aws.account",
             "start": "now-1h"}, quote_via=urllib.parse.quote)
        status, body = tl.signed_request(keys[M], "POST", url)
        if status != 200:
            tl.fail(f"native cross-account query: HTTP {status}: {body[:300]!r}")
        qid = json.loads(body)["queryId"]
        native = tl.signed_get_json(keys[M], f"{srv.base}/api/v1/logs/query/{qid}?wait=30")
        if native.get("status") != "Complete" or S not in json.dumps(native.get("results")):
            tl.fail(f"native cross-account query result: {native}")
        status, body = tl.signed_request(keys[U], "POST", url)
        if status == 200:
            tl.fail("U ran a native query over S's group")

        # Refusals: U is not linked; S is a source, not a monitoring account. An existing and a
        # missing group get the same answer.
        q = ["--start-time", str(now_s - 3600), "--end-time", str(now_s), "--query-string",
             "fields @message"]
        answers = set()
        for who, target in ((U, arn(S, "/s/app")), (U, arn(S, "/nope")),
                            (S, arn(M, "/m/app")), (S, arn(M, "/nope"))):
            err = expect_not_found(cli[who], "start-query", "--log-group-identifiers", target, *q)
            answers.add(err.strip().split(":", 1)[-1].strip())
            expect_not_found(cli[who], "filter-log-events", "--log-group-identifier", target)
        if len(answers) != 1:
            tl.fail(f"refusals differ (they reveal whether a group exists): {answers}")
        # M asking for a missing group of its linked source is plainly not found.
        expect_not_found(cli[M], "start-query", "--log-group-identifiers", arn(S, "/nope"), *q)

        # X-Ray BatchGetTraces: M reads a trace S sent; U does not.
        xray = {a: tl.AwsCli("xray", srv.base, tl.aws_client_env(keys[a], srv.base))
                for a in (M, S, U)}
        trace_id = f"1-{now_s:08x}-{'ab' * 12}"
        segment = json.dumps({"trace_id": trace_id, "id": "0123456789abcdef", "name": "s-svc",
                              "start_time": now_s - 1.0, "end_time": now_s - 0.5})
        xray[S].ok("put-trace-segments", "--trace-segment-documents", segment)

        def traces_of(who):
            out = xray[who].ok("batch-get-traces", "--trace-ids", trace_id)
            return [t["Id"] for t in out.get("Traces", [])]

        tl.wait_until(lambda: traces_of(S) == [trace_id], 30, interval_s=0.2,
                      what="S's trace to be readable")
        if traces_of(M) != [trace_id]:
            tl.fail("M does not read its linked source's trace")
        if traces_of(U):
            tl.fail("U reads S's trace")
        tl.log("cross-account logs: ok")


if __name__ == "__main__":
    tl.main_wrapper(main)
