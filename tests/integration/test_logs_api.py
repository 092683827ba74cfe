#!/usr/bin/env python3
"""Logs end to end through the real server: management, every ingest path (PutLogEvents with
CloudWatch's rejection rules, OTLP/HTTP JSON, Loki JSON, NDJSON import, syslog over UDP and TCP),
EMF metrics, Logs Insights queries, FilterLogEvents with pagination, patterns, and persistence
across a clean restart and a SIGKILL.
Exit code 0 on success, 1 with a message naming the first failed check otherwise."""

import json
import os
import socket
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402

NOW = int(time.time() * 1000)
HOUR = 3_600_000
DAY = 24 * HOUR


def q(params):
    return urllib.parse.urlencode(params, doseq=True)


def call(srv, method, path, body=None, ctype=None, expect=200):
    headers = {"Content-Type": ctype} if ctype else {}
    if isinstance(body, str):
        body = body.encode()
    status, data = tl.http_request(method, srv.base + path, body, headers)
    if expect is not None and status != expect:
        tl.fail(f"{method} {path}: HTTP {status}, expected {expect}: {data[:600]!r}")
    return status, (json.loads(data) if data[:1] in (b"{", b"[") else data)


def run_query(srv, query, groups, start=NOW - 2 * DAY, end=NOW + HOUR):
    return tl.logs_insights(srv.base, query, groups, start // 1000, end // 1000)


def check_eq(what, got, want):
    if got != want:
        tl.fail(f"{what}: got {got!r}, want {want!r}")


def management(srv):
    call(srv, "POST", "/api/v1/logs/groups?" + q({"name": "/app/web", "retention": "30"}))
    status, err = call(srv, "POST", "/api/v1/logs/groups?" + q({"name": "/app/web"}), expect=None)
    check_eq("duplicate group code", err["code"], "ResourceAlreadyExistsException")
    status, err = call(srv, "POST", "/api/v1/logs/groups?" + q({"name": "/bad", "retention": "4"}),
                       expect=400)
    if "retention" not in err["message"]:
        tl.fail(f"bad retention error does not name the rule: {err}")
    _, groups = call(srv, "GET", "/api/v1/logs/groups?prefix=/app")
    check_eq("groups", [(g["logGroupName"], g.get("retentionInDays")) for g in groups["logGroups"]],
             [("/app/web", 30)])


def put_log_events(srv):
    body = {"logGroupName": "/app/web", "logStreamName": "web-1", "logEvents": [
        {"timestamp": NOW - 15 * DAY, "message": "too old"},
        {"timestamp": NOW - 2000, "message": "GET /index.html 200 12ms"},
        {"timestamp": NOW - 1000, "message": "GET /api/cart 500 230ms timeout"},
        {"timestamp": NOW - 500, "message": "GET /index.html 200 9ms"},
        {"timestamp": NOW + 3 * HOUR, "message": "too new"},
    ]}
    status, err = call(srv, "POST", "/api/v1/logs/put", json.dumps(body), "application/json",
                       expect=404)
    check_eq("missing stream code", err["code"], "ResourceNotFoundException")
    call(srv, "POST", "/api/v1/logs/streams?" + q({"group": "/app/web", "name": "web-1"}))
    _, res = call(srv, "POST", "/api/v1/logs/put", json.dumps(body), "application/json")
    check_eq("rejectedLogEventsInfo", res.get("rejectedLogEventsInfo"),
             {"tooOldLogEventEndIndex": 1, "tooNewLogEventStartIndex": 4})
    unordered = {"logGroupName": "/app/web", "logStreamName": "web-1", "logEvents": [
        {"timestamp": NOW, "message": "b"}, {"timestamp": NOW - 10, "message": "a"}]}
    status, err = call(srv, "POST", "/api/v1/logs/put", json.dumps(unordered),
                       "application/json", expect=400)
    if "chronological" not in err["message"]:
        tl.fail(f"unordered batch error does not name the rule: {err}")


def otlp(srv):
    attrs = lambda kv: [{"key": k, "value": {"stringValue": v}} for k, v in kv.items()]  # noqa
    body = {"resourceLogs": [{
        "resource": {"attributes": attrs({"service.name": "checkout", "host.name": "node-7"})},
        "scopeLogs": [{"logRecords": [
            {"timeUnixNano": str((NOW - 3000) * 1_000_000), "severityText": "ERROR",
             "severityNumber": 17, "body": {"stringValue": "payment declined for order 42"},
             "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174",
             "attributes": attrs({"order.id": "42"})},
            {"timeUnixNano": str((NOW - 2000) * 1_000_000), "severityText": "INFO",
             "severityNumber": 9, "body": {"stringValue": "payment accepted for order 43"}},
        ]}]}]}
    _, res = call(srv, "POST", "/v1/logs", json.dumps(body), "application/json")
    if res.get("partialSuccess", {}).get("rejectedLogRecords"):
        tl.fail(f"OTLP records rejected: {res}")
    rows, _ = run_query(srv, "fields @logStream, severityText, traceId, `order.id` "
                        "| filter severityText = 'ERROR'", ["/otel/checkout"])
    check_eq("OTLP record", rows, [{"@logStream": "node-7", "severityText": "ERROR",
                                    "traceId": "5b8efff798038103d269b633813fc60c",
                                    "order.id": "42"}])


def loki(srv):
    body = {"streams": [{"stream": {"job": "varlogs", "host": "h1"}, "values": [
        [str((NOW - 4000) * 1_000_000), "level=info msg=started"],
        [str((NOW - 3000) * 1_000_000), "level=error msg=crashed", {"trace_id": "abc"}],
    ]}]}
    call(srv, "POST", "/loki/api/v1/push", json.dumps(body), "application/json", expect=204)
    rows, _ = run_query(srv, "fields @message | sort @timestamp asc", ["varlogs"])
    check_eq("Loki lines", [r["@message"] for r in rows],
             ["level=info msg=started", "level=error msg=crashed"])


def import_and_emf(srv):
    call(srv, "POST", "/api/v1/logs/groups?" + q({"name": "/app/json"}))
    lines = []
    for i in range(40):
        level = "ERROR" if i % 10 == 0 else "INFO"
        msg = {"level": level, "service": "cart" if i % 2 else "auth", "latency_ms": i,
               "user": {"id": f"u{i % 3}"}}
        lines.append(json.dumps({"timestamp": NOW - 30 * DAY + i * 1000,
                                 "message": json.dumps(msg)}))
    emf = {"_aws": {"Timestamp": NOW - 1000, "CloudWatchMetrics": [{
        "Namespace": "ShopApp", "Dimensions": [["Service"]],
        "Metrics": [{"Name": "Latency", "Unit": "Milliseconds"}]}]},
        "Service": "cart", "Latency": 123}
    lines.append(json.dumps({"timestamp": NOW - 1000, "message": json.dumps(emf)}))
    _, res = call(srv, "POST", "/api/v1/logs/import?" + q({"group": "/app/json", "stream": "s1"}),
                  "\n".join(lines) + "\n", "application/x-ndjson")
    check_eq("imported", res["acceptedEvents"], 41)
    rows, stats = run_query(srv, "filter ispresent(level) | stats count(*) as n, "
                            "max(latency_ms) as worst by level | sort level asc",
                            ["/app/json"], start=NOW - 31 * DAY)
    check_eq("stats by level", rows, [{"level": "ERROR", "n": "4", "worst": "30"},
                                      {"level": "INFO", "n": "36", "worst": "39"}])
    if stats["recordsScanned"] < 41 or stats["bytesScanned"] <= 0:
        tl.fail(f"statistics not counted: {stats}")
    rows, _ = run_query(srv, "filter `user.id` = 'u1' | stats count(*) as n", ["/app/json"],
                        start=NOW - 31 * DAY)
    check_eq("nested JSON field", rows, [{"n": "13"}])
    _, series = call(srv, "GET", "/api/v1/series?" + q({"match[]": 'Latency{Namespace="ShopApp"}'}))
    if len(series["data"]) != 1 or series["data"][0].get("Service") != "cart":
        tl.fail(f"EMF metric not in the metrics store: {series}")


def insights(srv):
    rows, _ = run_query(srv, 'parse @message "GET * * *ms" as path, status, ms '
                        "| filter status = 200 | stats count(*) as n, avg(ms) as avg by path",
                        ["/app/web"])
    check_eq("parse + stats", rows, [{"path": "/index.html", "n": "2", "avg": "10.5"}])
    rows, _ = run_query(srv, "filter @message like /timeout|crashed/ | fields @log, @message "
                        "| sort @timestamp desc", ["/app/web", "varlogs"])
    check_eq("regex over two groups", [(r["@log"], r["@message"]) for r in rows],
             [("/app/web", "GET /api/cart 500 230ms timeout"),
              ("varlogs", "level=error msg=crashed")])
    status, err = call(srv, "POST", "/api/v1/logs/query?" + q(
        {"query": "fields @message | filter", "group": "/app/web"}), expect=400)
    if "column" not in err["message"]:
        tl.fail(f"parse error does not name the position: {err}")
    status, err = call(srv, "POST", "/api/v1/logs/query?" + q(
        {"query": "fields @message", "group": "/nope"}), expect=404)


def filter_and_patterns(srv):
    got, token, pages = [], None, 0
    while True:
        params = {"group": "/app/web", "pattern": "GET", "limit": "1",
                  "start": str((NOW - DAY) // 1000)}
        if token:
            params["nextToken"] = token
        _, res = call(srv, "GET", "/api/v1/logs/filter?" + q(params))
        got += [e["message"] for e in res["events"]]
        pages += 1
        token = res.get("nextToken")
        if not token or pages > 10:
            break
    check_eq("filter pages", got, ["GET /index.html 200 12ms", "GET /api/cart 500 230ms timeout",
                                   "GET /index.html 200 9ms"])
    _, res = call(srv, "GET", "/api/v1/logs/filter?" + q(
        {"group": "/app/json", "pattern": '{ $.level = "ERROR" }', "start": str(NOW - 31 * DAY)}))
    check_eq("JSON filter pattern", len(res["events"]), 4)
    _, res = call(srv, "GET", "/api/v1/logs/patterns?" + q(
        {"group": "/otel/checkout", "start": str((NOW - DAY) // 1000)}))
    check_eq("pattern line count", sum(p["count"] for p in res["patterns"]), 2)
    for p in res["patterns"]:
        if len(p["patternId"]) != 16 or not p["samples"] or "<*>" not in p["pattern"]:
            tl.fail(f"pattern without id, samples or variable: {p}")


def syslog(srv_factory):
    udp_port, tcp_port = tl.free_port(), tl.free_port()
    cfg = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    cfg.write(f"syslog:\n  udp_listen: 127.0.0.1:{udp_port}\n  tcp_listen: 127.0.0.1:{tcp_port}\n")
    cfg.close()
    with srv_factory(["--config", cfg.name]) as srv:
        srv.start()
        ts = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(NOW / 1000 - 5))
        with socket.create_connection(("127.0.0.1", tcp_port)) as s:
            m1 = f"<34>1 {ts} web01 sshd 811 ID47 - Failed password for root".encode()
            s.sendall(str(len(m1)).encode() + b" " + m1)
            s.sendall(f"<13>1 {ts} web01 sshd 811 - - Accepted password for bob\n".encode())
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.sendto(f"<11>1 {ts} web02 cron 9 - - job failed".encode(), ("127.0.0.1", udp_port))

        def arrived():
            _, groups = call(srv, "GET", "/api/v1/logs/groups?prefix=/syslog/")
            names = {g["logGroupName"] for g in groups["logGroups"]}
            return {"/syslog/sshd", "/syslog/cron"} <= names
        tl.wait_until(arrived, 20, what="syslog groups")
        rows, _ = run_query(srv, "fields @logStream, @message | sort @timestamp asc",
                            ["/syslog/sshd"])
        msgs = sorted(r["@message"] for r in rows)
        check_eq("syslog over TCP", msgs, ["Accepted password for bob", "Failed password for root"])
        check_eq("syslog stream", {r["@logStream"] for r in rows}, {"web01"})
    os.unlink(cfg.name)


def main():
    with tl.OpsightServer() as srv:
        srv.start()
        management(srv)
        put_log_events(srv)
        otlp(srv)
        loki(srv)
        import_and_emf(srv)
        insights(srv)
        filter_and_patterns(srv)
        before, _ = run_query(srv, "stats count(*) as n by @log | sort @log asc",
                              ["/app/web", "/app/json", "varlogs", "/otel/checkout"],
                              start=NOW - 31 * DAY)
        check_eq("clean shutdown", srv.stop(), 0)
        srv.start()
        after, _ = run_query(srv, "stats count(*) as n by @log | sort @log asc",
                             ["/app/web", "/app/json", "varlogs", "/otel/checkout"],
                             start=NOW - 31 * DAY)
        check_eq("counts after restart", after, before)
        srv.kill9()
        srv.start()
        after, _ = run_query(srv, "stats count(*) as n by @log | sort @log asc",
                             ["/app/web", "/app/json", "varlogs", "/otel/checkout"],
                             start=NOW - 31 * DAY)
        check_eq("counts after SIGKILL", after, before)
        insights(srv)
    syslog(lambda extra: tl.OpsightServer(extra_args=extra))
    tl.log("logs API: all checks passed")


if __name__ == "__main__":
    tl.main_wrapper(main)
