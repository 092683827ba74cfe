#!/usr/bin/env python3
"""Trace search, the service map and span-derived metrics against a real server.

Sends a small shop over OTLP/HTTP JSON in two requests (frontend -> checkout -> postgres "orders"
and kafka "events"; every third trace a fault, one a 429, one with an attribute "tenant"), then:
  - POST and GET /api/v1/traces/search with X-Ray filter expressions return the expected traces
    (before and after the trace head is flushed into blocks) and a bad filter is a 400 naming
    the column;
  - GET /api/v1/servicemap has the two services, the inferred database and queue and the edge
    counts;
  - the span metrics are queryable: opsight_span_requests_total counts the frontend requests and
    rate(opsight_span_requests_total[1m]) is positive.
Exit code 0 on success, 1 with a message naming the first failed check.
"""
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402

TRACES = 12


def trace_id(i):
    return f"{0x5eed:08x}{i:024x}"


def span_id(i, k):
    return f"{i + 1:08x}{k + 1:08x}"


def attr(key, value):
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def status_of(i):
    return 500 if i % 3 == 0 else 429 if i == 4 else 200


def shop_request(traces, base_ns):
    """OTLP/JSON for the given trace numbers: resource frontend and resource checkout."""
    fe, co = [], []
    for i in traces:
        t0 = base_ns + i * 10_000_000
        st = status_of(i)
        root = {"traceId": trace_id(i), "spanId": span_id(i, 0), "name": "GET /checkout",
                "kind": 2, "startTimeUnixNano": str(t0),
                "endTimeUnixNano": str(t0 + (1500 if i == 6 else 40) * 1_000_000),
                "attributes": [attr("http.request.method", "GET"),
                               attr("url.full", f"https://shop.example.com/checkout/{i}"),
                               attr("http.response.status_code", st)]}
        if i == 5:
            root["attributes"].append(attr("tenant", "blue"))
        if st >= 500:
            root["status"] = {"code": 2}
        fe.append(root)
        fe.append({"traceId": trace_id(i), "spanId": span_id(i, 1), "parentSpanId": span_id(i, 0),
                   "name": "POST checkout", "kind": 3, "startTimeUnixNano": str(t0 + 1000),
                   "endTimeUnixNano": str(t0 + 30_000_000),
                   "attributes": [attr("http.response.status_code", st)],
                   "status": {"code": 2 if st >= 400 else 0}})
        co.append({"traceId": trace_id(i), "spanId": span_id(i, 2), "parentSpanId": span_id(i, 1),
                   "name": "POST /pay", "kind": 2, "startTimeUnixNano": str(t0 + 2000),
                   "endTimeUnixNano": str(t0 + 25_000_000),
                   "attributes": [attr("http.response.status_code", st)],
                   "status": {"code": 2 if st >= 500 else 0}})
        co.append({"traceId": trace_id(i), "spanId": span_id(i, 3), "parentSpanId": span_id(i, 2),
                   "name": "SELECT", "kind": 3, "startTimeUnixNano": str(t0 + 3000),
                   "endTimeUnixNano": str(t0 + 4_000_000),
                   "attributes": [attr("db.system", "postgresql"), attr("db.name", "orders")]})
        co.append({"traceId": trace_id(i), "spanId": span_id(i, 4), "parentSpanId": span_id(i, 2),
                   "name": "events publish", "kind": 4, "startTimeUnixNano": str(t0 + 5000),
                   "endTimeUnixNano": str(t0 + 6_000_000),
                   "attributes": [attr("messaging.system", "kafka"),
                                  attr("messaging.destination.name", "events")]})

    def resource(name, spans):
        return {"resource": {"attributes": [attr("service.name", name)]},
                "scopeSpans": [{"scope": {"name": "it"}, "spans": spans}]}

    return json.dumps({"resourceSpans": [resource("frontend", fe),
                                         resource("checkout", co)]}).encode()


def post_json(server, path, obj):
    status, body = tl.http_request("POST", server.base + path, json.dumps(obj).encode(),
                                   {"Content-Type": "application/json"})
    return status, json.loads(body) if body else None


def search(server, flt, start_s, end_s, limit=100, use_get=False):
    if use_get:
        qs = urllib.parse.urlencode({"filter": flt, "start": f"{start_s:.3f}",
                                     "end": f"{end_s:.3f}", "limit": limit})
        status, body = tl.http_get(server.base + "/api/v1/traces/search?" + qs)
        data = json.loads(body)
    else:
        status, data = post_json(server, "/api/v1/traces/search",
                                 {"start": start_s, "end": end_s, "filter": flt, "limit": limit})
    if status != 200:
        tl.fail(f"search {flt!r}: HTTP {status}: {data}")
    return data


def ids(result):
    return sorted(int(t["id"][8:], 16) for t in result["traces"])


def check_searches(server, start_s, end_s, where):
    faults = [i for i in range(TRACES) if status_of(i) == 500]
    cases = [
        ("", list(range(TRACES))),
        ("fault", faults),
        ("!ok", sorted(faults + [4])),
        ("throttle and error", [4]),
        ("responsetime > 1", [6]),
        ("http.status = 500 and responsetime < 1", [i for i in faults if i != 6]),
        ("service(\"checkout\") { fault }", faults),
        ("edge(\"frontend\", \"checkout\") { error }", [4]),
        ("service(id(name: \"orders\", type: \"database\"))", list(range(TRACES))),
        ("edge(\"checkout\", \"events\")", list(range(TRACES))),
        ("annotation.tenant = \"blue\"", [5]),
        ("http.url ENDSWITH \"/checkout/7\"", [7]),
        ("service(\"nowhere\")", []),
    ]
    for use_get in (False, True):
        for flt, want in cases:
            r = search(server, flt, start_s, end_s, use_get=use_get)
            if ids(r) != want:
                tl.fail(f"{where}: search {flt!r} ({'GET' if use_get else 'POST'}) returned "
                        f"{ids(r)}, want {want}")
            if not r["complete"] or r["matched"] != len(want):
                tl.fail(f"{where}: search {flt!r}: complete/matched wrong: {r}")
    r = search(server, "annotation.tenant = \"blue\"", start_s, end_s)
    t = r["traces"][0]
    if (t["http"] != {"method": "GET", "url": "https://shop.example.com/checkout/5",
                      "status": 200} or t["services"] != ["checkout", "frontend"]
            or t["entryPoint"] != {"service": "frontend", "name": "GET /checkout",
                                   "kind": "SERVER"}
            or t["annotations"] != {"tenant": ["blue"]} or t["spanCount"] != 5
            or t["hasFault"] or t["xrayId"] != "1-" + t["id"][:8] + "-" + t["id"][8:]):
        tl.fail(f"{where}: summary of trace 5 is wrong: {t}")
    if r["scanned"]["candidateTraces"] != 1:
        tl.fail(f"{where}: the annotation was not pushed down: {r}")
    r = search(server, "", start_s, end_s, limit=3)
    if len(r["traces"]) != 3 or r["complete"] or r["stoppedBy"] != "limit":
        tl.fail(f"{where}: limit 3: {r}")
    if ids(r) != [TRACES - 3, TRACES - 2, TRACES - 1]:
        tl.fail(f"{where}: limit 3 is not the newest first: {ids(r)}")
    return r


def run():
    server = tl.OpsightServer().start()
    try:
        now = time.time()
        base_ns = int((now - 120) * 1e9)
        start_s, end_s = now - 600, now + 60
        half = TRACES // 2
        for part in (range(half), range(half, TRACES)):
            status, body = tl.http_request("POST", server.base + "/v1/traces",
                                           shop_request(part, base_ns),
                                           {"Content-Type": "application/json"})
            if status != 200:
                tl.fail(f"POST /v1/traces: HTTP {status}: {body[:300]!r}")
            time.sleep(0.01)  # distinct ingest timestamps for the two counter samples
        check_searches(server, start_s, end_s, "head")

        status, body = post_json(server, "/api/v1/traces/search",
                                 {"start": start_s, "end": end_s, "filter": "responsetime >"})
        if status != 400 or "column 15" not in body.get("message", ""):
            tl.fail(f"a bad filter should be a 400 naming column 15: {status} {body}")
        status, body = post_json(server, "/api/v1/traces/search", {"bogus": 1})
        if status != 400 or "unknown field" not in body.get("message", ""):
            tl.fail(f"an unknown field should be a 400: {status} {body}")

        qs = urllib.parse.urlencode({"start": f"{start_s:.3f}", "end": f"{end_s:.3f}"})
        m = tl.get_json(server.base + "/api/v1/servicemap?" + qs)
        nodes = {(n["name"], n["type"]): n for n in m["nodes"]}
        want_nodes = {("frontend", "service"), ("checkout", "service"), ("orders", "database"),
                      ("events", "queue")}
        if set(nodes) != want_nodes:
            tl.fail(f"service map nodes {sorted(nodes)}, want {sorted(want_nodes)}")
        edges = {(e["source"], e["target"]): e for e in m["edges"]}
        fc = edges.get(("frontend", "checkout"))
        n_faults = sum(1 for i in range(TRACES) if status_of(i) == 500)
        if (fc is None or fc["requests"] != TRACES or fc["faults"] != n_faults
                or fc["errors"] != 1 or fc["throttles"] != 1 or sum(fc["histogram"]) != TRACES):
            tl.fail(f"edge frontend -> checkout is wrong: {fc}")
        db = edges.get(("checkout", "orders"))
        if db is None or db["targetType"] != "database" or db["requests"] != TRACES:
            tl.fail(f"edge checkout -> orders is wrong: {db}")
        if nodes[("checkout", "service")]["requests"] != TRACES or m["spans"] != TRACES * 5:
            tl.fail(f"service map counts are wrong: {m}")

        status, _ = tl.http_request("POST", server.base + "/api/v1/traces/admin/flush", b"")
        if status != 200:
            tl.fail(f"flush: HTTP {status}")
        check_searches(server, start_s, end_s, "blocks")

        # Span metrics through the Prometheus API.
        def query(q):
            d = tl.get_json(server.base + "/api/v1/query?" +
                            urllib.parse.urlencode({"query": q, "time": f"{time.time():.3f}"}))
            return d["data"]["result"]

        r = query('sum(opsight_span_requests_total{service="frontend",operation="GET /checkout"})')
        if not r or float(r[0]["value"][1]) != TRACES:
            tl.fail(f"opsight_span_requests_total for frontend: {r}, want {TRACES}")
        r = query('sum(opsight_span_faults_total{service="checkout"})')
        if not r or float(r[0]["value"][1]) != n_faults:
            tl.fail(f"opsight_span_faults_total for checkout: {r}, want {n_faults}")
        r = query('rate(opsight_span_requests_total{service="frontend"}[1m])')
        if not r or float(r[0]["value"][1]) <= 0:
            tl.fail(f"rate(opsight_span_requests_total[1m]) should be positive: {r}")
        r = query('histogram_quantile(0.5, sum by (le) ('
                  'opsight_span_duration_seconds_bucket{service="frontend"}))')
        if not r or not 0 < float(r[0]["value"][1]) <= 0.05:
            tl.fail(f"median frontend latency should be within (0, 0.05] s: {r}")
        tl.log(f"trace query: {TRACES} traces searched in head and blocks, service map with "
               f"{len(m['nodes'])} nodes / {len(m['edges'])} edges, span metrics queried")
    except tl.TestFailure:
        print(server.log_tail(), file=sys.stderr)
        raise
    finally:
        server.cleanup(keep=bool(os.environ.get("OPSIGHT_KEEP")))


if __name__ == "__main__":
    tl.main_wrapper(run)
