#!/usr/bin/env python3
"""Deterministic log workload for the logs benchmark (bench/e2e/run_logs_vs_clickhouse.py).

Writes, for --lines events over --hours of timestamps ending at --end-ms (default: now rounded
down to the minute):

  <out>/streams/<group>/<stream with '/' as '__'>.ndjson   one {"timestamp": ms, "message": "..."}
                                                          per event, in time order (opsight's
                                                          NDJSON import; the ClickHouse rows are
                                                          the same lines with group and stream
                                                          prepended by the runner)
  <out>/raw.log        every message followed by "\n", stream after stream (a "cat" of the log
                       files): the zstd -19 size floor and the `grep -c` reference
  <out>/manifest.json  streams, totals, time range, and the expected answers of the benchmark's
                       queries computed here from the generated rows (ground truth)

Streams (default 5 hosts): group "bench-nginx", one access log per host ("<host>/access.log",
combined log format + request time in seconds); group "bench-app", four services per host
("<service>/<host>"): api, orders and payments write compact JSON lines (ts, level, service,
host, trace_id, span_id, user_id, method, route, status, latency_ms, message, sometimes an
"error" with an escaped stack trace), auth writes plain-text Spring Boot style lines whose ERROR
events carry a multi-line Java stack trace (one event with real newlines). Skew: most requests
2xx/3xx, few 4xx, ~0.5% 5xx except during a 10-minute incident (60% into the range) where the
payments upstream times out; latencies are log-normal; clients and users are Zipf-like; the
event rate follows a slow wave. The word "timeout" (lower case) only ever occurs on the first line
of a message, and the benchmark's regex only matches first lines too, so `grep -c` over raw.log
equals the number of matching events for both.

The same --seed, --lines, --hours, --hosts and --end-ms give the same bytes (every stream has its
own random.Random seeded from the seed and the stream name; Python's Random is stable across
versions for random(), getrandbits() and the seed of a str).

Stdlib only. ~1,000,000 lines in about 15-25 s on one core. See docs/benchmarks.md.
"""

import argparse
import bisect
import json
import math
import os
import random
import re
import sys
import time

GROUP_NGINX = "bench-nginx"
GROUP_APP = "bench-app"
JSON_SERVICES = ("api", "orders", "payments")
TEXT_SERVICE = "auth"
# Share of all events per stream kind (sums to 1).
WEIGHTS = {"nginx": 0.40, "api": 0.20, "orders": 0.15, "payments": 0.10, "auth": 0.15}
HOST_WEIGHTS = (1.0, 1.1, 0.9, 1.05, 0.95, 1.02, 0.98, 1.08, 0.92, 1.0)
BIN_MS = 300_000

# The benchmark's queries' ground truth (run_logs_vs_clickhouse.py uses the same constants).
TERM = "timeout"
REGEX = r"user_[0-9]+7 "
STATUS_RE = re.compile(r'" ([0-9]{3}) ')

AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.43 Mobile Safari/537.36",
    "curl/7.88.1",
    "Go-http-client/1.1",
    "python-requests/2.31.0",
    "kube-probe/1.28",
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
)
AGENT_W = (30, 18, 8, 20, 12, 3, 3, 2, 2, 2)
REFERERS = ("-", "https://shop.example.com/", "https://shop.example.com/cart",
            "https://shop.example.com/products", "https://www.google.com/",
            "https://shop.example.com/checkout")
REFERER_W = (40, 15, 12, 18, 10, 5)
METHODS = ("GET", "POST", "PUT", "DELETE")
METHOD_W = (80, 14, 4, 2)
ROUTES = ("/api/v1/orders/:id", "/api/v1/orders", "/api/v1/products", "/api/v1/cart",
          "/api/v1/payments", "/api/v1/users/:id", "/login", "/static/js/app.js", "/healthz")
ROUTE_W = (18, 8, 25, 12, 6, 8, 4, 14, 5)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SERVICE_LAT = {"api": 18.0, "orders": 35.0, "payments": 80.0, "auth": 25.0}

JAVA_STACK = (
    "javax.naming.CommunicationException: ldap.internal:389 [Root exception is "
    "java.net.SocketTimeoutException: connect timed out]\n"
    "\tat com.sun.jndi.ldap.Connection.<init>(Connection.java:252)\n"
    "\tat com.sun.jndi.ldap.LdapClient.<init>(LdapClient.java:137)\n"
    "\tat com.sun.jndi.ldap.LdapCtx.connect(LdapCtx.java:2788)\n"
    "\tat org.springframework.ldap.core.LdapTemplate.authenticate(LdapTemplate.java:1490)\n"
    "\tat com.example.auth.LoginService.login(LoginService.java:88)\n"
    "\tat com.example.auth.LoginController.post(LoginController.java:41)\n"
    "\t... 87 common frames omitted\n"
    "Caused by: java.net.SocketTimeoutException: connect timed out\n"
    "\tat java.base/sun.nio.ch.NioSocketImpl.timedFinishConnect(NioSocketImpl.java:546)\n"
    "\tat java.base/java.net.Socket.connect(Socket.java:751)\n"
    "\t... 12 common frames omitted")
JAVA_NPE = (
    "java.lang.NullPointerException: Cannot invoke \"com.example.auth.Session.getUser()\" because "
    "\"session\" is null\n"
    "\tat com.example.auth.TokenService.refresh(TokenService.java:132)\n"
    "\tat com.example.auth.TokenController.refresh(TokenController.java:57)\n"
    "\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke("
    "DirectMethodHandleAccessor.java:103)\n"
    "\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)\n"
    "\t... 48 common frames omitted")
GO_STACK = (
    "goroutine 1842 [running]:\nmain.(*Handler).chargeCard(0xc0001a2000, {0x9a3c40, "
    "0xc000412a50})\n\t/src/payments/handler.go:214 +0x3b9\nmain.(*Handler).ServeHTTP("
    "0xc0001a2000, {0x9a7e20, 0xc0004c6000}, 0xc000512100)\n\t/src/payments/handler.go:97 +0x1a5\n"
    "net/http.serverHandler.ServeHTTP({0xc000130000}, {0x9a7e20, 0xc0004c6000}, 0xc000512100)\n"
    "\t/usr/local/go/src/net/http/server.go:2938 +0x8e")


class Zipf:
    """Draws 0..n-1 with P(k) proportional to 1/(k+1)^s (inverse CDF by bisection)."""

    def __init__(self, n, s):
        acc, self.cdf = 0.0, []
        for k in range(n):
            acc += 1.0 / (k + 1) ** s
            self.cdf.append(acc)
        self.total = acc

    def draw(self, rng):
        return bisect.bisect_left(self.cdf, rng.random() * self.total)


class Cum:
    """Weighted choice with precomputed cumulative weights (random.choices is slower per call)."""

    def __init__(self, items, weights):
        self.items, acc, self.cdf = items, 0.0, []
        for w in weights:
            acc += w
            self.cdf.append(acc)
        self.total = acc

    def draw(self, rng):
        return self.items[bisect.bisect_right(self.cdf, rng.random() * self.total)]


AGENT_PICK = Cum(AGENTS, AGENT_W)
REFERER_PICK = Cum(REFERERS, REFERER_W)
METHOD_PICK = Cum(METHODS, METHOD_W)
ROUTE_PICK = Cum(ROUTES, ROUTE_W)
USERS = Zipf(50_000, 1.05)
CLIENTS = Zipf(5_000, 1.1)


def stream_timestamps(rng, n, start_ms, end_ms):
    """n non-decreasing timestamps in [start_ms, end_ms): a slow wave (rate varies +-45% over
    about 40 minutes) warped into uniform positions, plus jitter of up to half a gap."""
    span = end_ms - start_ms
    k = max(1.0, span / 2_400_000)
    a = 0.45
    out, last = [], start_ms
    for i in range(n):
        u = (i + 0.5 + (rng.random() - 0.5) * 0.9) / n
        f = u + a * math.sin(2 * math.pi * k * u) / (2 * math.pi * k)
        t = start_ms + int(f * span)
        t = min(max(t, last, start_ms), end_ms - 1)
        out.append(t)
        last = t
    return out


class TimeFormats:
    """Cached per-second renderings of a timestamp (most events share their second)."""

    def __init__(self):
        self.sec = -1
        self.clf = self.iso = self.spring = ""

    def at(self, ms):
        s = ms // 1000
        if s != self.sec:
            tm = time.gmtime(s)
            self.sec = s
            self.clf = (f"{tm.tm_mday:02d}/{MONTHS[tm.tm_mon - 1]}/{tm.tm_year}:"
                        f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} +0000")
            self.iso = time.strftime("%Y-%m-%dT%H:%M:%S", tm)
            self.spring = time.strftime("%Y-%m-%d %H:%M:%S", tm)
        return self


def in_incident(t, incident):
    return incident[0] <= t < incident[1]


def client_ip(rng):
    k = CLIENTS.draw(rng)
    return f"{(k * 7919) % 223 + 1}.{(k * 104729) % 256}.{(k * 31) % 256}.{k % 254 + 1}"


def user_name(rng):
    return f"user_{USERS.draw(rng) * 37 % 99_991 + 10}"


def request_path(rng, route):
    if route == "/api/v1/orders/:id":
        return f"/api/v1/orders/{rng.randrange(100_000, 999_999)}"
    if route == "/api/v1/users/:id":
        return f"/api/v1/users/{user_name(rng)}"
    if route == "/api/v1/products":
        return f"/api/v1/products?page={int(rng.expovariate(0.3)) + 1}&sort=popular"
    if route == "/static/js/app.js":
        return "/static/js/app.3f9a1c2e.js"
    return route


def http_status(rng, incident_now, route):
    r = rng.random()
    five = 0.15 if incident_now else 0.005
    if r < five:
        return (503, 504, 502, 500)[int(rng.random() * 4)] if incident_now else \
            (500, 502, 503, 504)[int(rng.random() * 4)]
    r = rng.random()
    if route == "/static/js/app.js":
        return 304 if r < 0.45 else 200
    if r < 0.025:
        return 404
    if r < 0.035:
        return 400
    if r < 0.045:
        return 401
    if r < 0.06:
        return 301 if route == "/login" else 201 if route != "/healthz" else 200
    return 200


def latency_ms(rng, service, incident_now):
    base = SERVICE_LAT[service]
    x = base * math.exp(rng.gauss(0.0, 0.75))
    if incident_now and service in ("payments", "api"):
        x *= 4.0
    return round(x, 1)


def gen_nginx(rng, ts_list, host, incident):
    tf = TimeFormats()
    out = []
    for t in ts_list:
        inc = in_incident(t, incident)
        route = ROUTE_PICK.draw(rng)
        method = "GET" if route in ("/static/js/app.js", "/healthz", "/api/v1/products") \
            else METHOD_PICK.draw(rng)
        status = http_status(rng, inc, route)
        size = 0 if status == 304 else int(math.exp(rng.gauss(7.5, 1.2)))
        user = user_name(rng) if rng.random() < 0.12 else "-"
        agent = "kube-probe/1.28" if route == "/healthz" else AGENT_PICK.draw(rng)
        rt = latency_ms(rng, "api", inc) / 1000.0
        if status in (504,):
            rt = 30.0 + rng.random()
        out.append(f'{client_ip(rng)} - {user} [{tf.at(t).clf}] "{method} '
                   f'{request_path(rng, route)} HTTP/1.1" {status} {size} '
                   f'"{REFERER_PICK.draw(rng)}" "{agent}" {rt:.3f}')
    return out


JSON_INFO = ("request completed", "cache hit for key {k}", "cache miss for key {k}",
             "order {o} created for {u} ", "payment accepted for {u} order {o}",
             "fetched {n} products in page {p}", "session refreshed for {u} ")
JSON_WARN = ("slow query on orders table took {ms} ms", "retrying call to inventory attempt {a}",
             "rate limit close for {u} ", "deprecated API version used by client")
JSON_ERROR = ("upstream timeout after {ms} ms calling payments-gateway",
              "database connection pool exhausted", "card declined for {u} order {o}",
              "unexpected EOF from inventory")


def gen_json(rng, ts_list, service, host, incident):
    tf = TimeFormats()
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    out = []
    for t in ts_list:
        inc = in_incident(t, incident)
        route = ROUTE_PICK.draw(rng)
        status = http_status(rng, inc and service == "payments", route)
        lat = latency_ms(rng, service, inc)
        r = rng.random()
        u = user_name(rng)
        fmt = dict(k=f"product:{rng.randrange(1, 5000)}", o=rng.randrange(100_000, 999_999),
                   u=u, n=rng.randrange(1, 50), p=rng.randrange(1, 20), ms=int(lat * 30),
                   a=rng.randrange(1, 4))
        if status >= 500 or r < 0.01:
            level = "error"
            if inc and service == "payments":
                msg = JSON_ERROR[0]
            else:
                msg = JSON_ERROR[int(rng.random() * len(JSON_ERROR))]
        elif r < 0.06:
            level = "warn"
            msg = JSON_WARN[int(rng.random() * len(JSON_WARN))]
        elif r < 0.14:
            level = "debug"
            msg = "cache miss for key {k}"
        else:
            level = "info"
            msg = JSON_INFO[int(rng.random() * len(JSON_INFO))]
        d = {"ts": f"{tf.at(t).iso}.{t % 1000:03d}Z", "level": level, "service": service,
             "host": host, "trace_id": f"{rng.getrandbits(128):032x}",
             "span_id": f"{rng.getrandbits(64):016x}", "user_id": u,
             "method": METHOD_PICK.draw(rng), "route": route, "status": status,
             "latency_ms": lat, "message": msg.format(**fmt)}
        if level == "error" and rng.random() < 0.3:
            d["error"] = "panic: runtime error: invalid memory address or nil pointer " \
                "dereference\n" + GO_STACK
        out.append(dumps(d))
    return out


def gen_text(rng, ts_list, service, host, incident):
    tf = TimeFormats()
    pid = 4000 + rng.randrange(0, 999)
    out = []
    for t in ts_list:
        inc = in_incident(t, incident)
        lat = latency_ms(rng, service, inc)
        thread = f"nio-8080-exec-{rng.randrange(1, 11)}"
        prefix = f"{tf.at(t).spring}.{t % 1000:03d}"
        u = user_name(rng)
        r = rng.random()
        if r < 0.004:
            msg = (f"{prefix} ERROR {pid} --- [{thread}] c.e.auth.LoginController      : login "
                   f"failed for {u} : ldap timeout after 5000 ms\n{JAVA_STACK}")
        elif r < 0.007:
            msg = (f"{prefix} ERROR {pid} --- [{thread}] c.e.auth.TokenController      : token "
                   f"refresh failed for {u} \n{JAVA_NPE}")
        elif r < 0.05:
            msg = (f"{prefix}  WARN {pid} --- [{thread}] c.e.auth.TokenService         : token "
                   f"refresh slow for {u} took {int(lat * 20)} ms")
        elif r < 0.12:
            msg = (f"{prefix} DEBUG {pid} --- [{thread}] o.s.security.web.FilterChainProxy  : "
                   f"Securing POST /login")
        else:
            ip = f"10.{rng.randrange(0, 4)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"
            msg = (f"{prefix}  INFO {pid} --- [{thread}] c.e.auth.LoginController      : login "
                   f"succeeded for {u} from {ip} in {lat} ms")
        out.append(msg)
    return out


def stream_plan(lines, hosts):
    """[(group, stream, kind, host, events)] with events summing to `lines` exactly."""
    hw = [HOST_WEIGHTS[i % len(HOST_WEIGHTS)] for i in range(hosts)]
    hsum = sum(hw)
    plan = []
    for h in range(hosts):
        host = f"web-{h + 1:02d}"
        plan.append([GROUP_NGINX, f"{host}/access.log", "nginx", host,
                     WEIGHTS["nginx"] * hw[h] / hsum])
        for svc in JSON_SERVICES + (TEXT_SERVICE,):
            plan.append([GROUP_APP, f"{svc}/{host}", svc, host, WEIGHTS[svc] * hw[h] / hsum])
    counts = [int(lines * p[4]) for p in plan]
    counts[0] += lines - sum(counts)
    return [(g, s, k, h, c) for (g, s, k, h, _), c in zip(plan, counts)]


def nearest_rank(values, p):
    """pct(p) as Logs Insights defines it (nearest rank: the ceil(p/100 * n)-th smallest), and
    the next order statistic, so a peer whose definition picks the neighbouring rank (ClickHouse's
    quantileExact takes the floor(p/100 * n)-th, 0-based) can be checked within the two."""
    v = sorted(values)
    rank = math.ceil(p / 100.0 * len(v))
    i = max(0, min(len(v) - 1, rank - 1))
    return {"nearest_rank": v[i], "next_rank": v[min(len(v) - 1, i + 1)], "n": len(v)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--lines", type=int, default=1_000_000, help="events (all streams)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hours", type=float, default=2.0)
    ap.add_argument("--hosts", type=int, default=5, help="hosts (5 streams per host)")
    ap.add_argument("--end-ms", type=int, default=None,
                    help="end of the range (exclusive); default now rounded down to the minute")
    args = ap.parse_args()
    if args.lines < 1 or args.hosts < 1 or args.hours <= 0:
        ap.error("--lines, --hosts and --hours must be positive")
    t0 = time.monotonic()
    end_ms = args.end_ms if args.end_ms is not None else int(time.time()) // 60 * 60_000
    start_ms = end_ms - int(args.hours * 3_600_000)
    inc_start = start_ms + int((end_ms - start_ms) * 0.6) // 60_000 * 60_000
    incident = (inc_start, inc_start + 600_000)

    streams_dir = os.path.join(args.out, "streams")
    os.makedirs(os.path.join(streams_dir, GROUP_NGINX), exist_ok=True)
    os.makedirs(os.path.join(streams_dir, GROUP_APP), exist_ok=True)
    regex = re.compile(REGEX)
    term_events = term_lines = regex_events = regex_lines = 0
    bins, statuses, latencies = {}, {}, {s: [] for s in JSON_SERVICES}
    manifest_streams = []
    raw_bytes = ndjson_bytes = multiline = 0
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    with open(os.path.join(args.out, "raw.log"), "w", encoding="utf-8", newline="\n") as raw:
        for group, stream, kind, host, n in stream_plan(args.lines, args.hosts):
            rng = random.Random(f"opsight-logbench/{args.seed}/{group}/{stream}")
            ts = stream_timestamps(rng, n, start_ms, end_ms)
            if kind == "nginx":
                msgs = gen_nginx(rng, ts, host, incident)
            elif kind == TEXT_SERVICE:
                msgs = gen_text(rng, ts, kind, host, incident)
            else:
                msgs = gen_json(rng, ts, kind, host, incident)
            # Ground truth of the benchmark's queries.
            for t, m in zip(ts, msgs):
                b = t // BIN_MS * BIN_MS
                bins[b] = bins.get(b, 0) + 1
                if TERM in m:
                    term_events += 1
                    term_lines += sum(1 for line in m.split("\n") if TERM in line)
                if regex.search(m):
                    regex_events += 1
                    regex_lines += sum(1 for line in m.split("\n") if regex.search(line))
                if "\n" in m:
                    multiline += 1
            if kind == "nginx":
                for m in msgs:
                    st = STATUS_RE.search(m).group(1)
                    statuses[st] = statuses.get(st, 0) + 1
            elif kind in latencies:
                lat = latencies[kind]
                for m in msgs:
                    lat.append(json.loads(m)["latency_ms"])
            text = "\n".join(msgs) + "\n"
            raw.write(text)
            raw_bytes += len(text.encode("utf-8"))
            fname = stream.replace("/", "__") + ".ndjson"
            rel = os.path.join("streams", group, fname)
            body = "".join(f'{{"timestamp":{t},"message":{dumps(m)}}}\n'
                           for t, m in zip(ts, msgs))
            with open(os.path.join(args.out, rel), "w", encoding="utf-8", newline="\n") as f:
                f.write(body)
            nb = len(body.encode("utf-8"))
            ndjson_bytes += nb
            manifest_streams.append({"group": group, "stream": stream, "kind": kind,
                                     "file": rel, "events": n, "ndjson_bytes": nb,
                                     "message_bytes": len(text.encode("utf-8")) - n,
                                     "first_ms": ts[0] if ts else None,
                                     "last_ms": ts[-1] if ts else None})
    if term_lines != term_events or regex_lines != regex_events:
        print(f"generator bug: '{TERM}' on {term_lines} lines of {term_events} events, "
              f"/{REGEX}/ on {regex_lines} lines of {regex_events} events", file=sys.stderr)
        return 1
    manifest = {
        "generator": "bench/e2e/log_workload_gen.py",
        "seed": args.seed, "lines": args.lines, "hours": args.hours, "hosts": args.hosts,
        "start_ms": start_ms, "end_ms": end_ms, "incident_ms": list(incident),
        "groups": [GROUP_NGINX, GROUP_APP], "streams": manifest_streams,
        "events": args.lines, "multiline_events": multiline, "raw_file": "raw.log",
        "raw_bytes": raw_bytes, "ndjson_bytes": ndjson_bytes,
        "expected": {
            "term": {"term": TERM, "count": term_events},
            "regex": {"regex": REGEX, "count": regex_events},
            "bins_5m": {str(k): v for k, v in sorted(bins.items())},
            "p99_latency_by_service": {s: nearest_rank(v, 99) for s, v in latencies.items() if v},
            "status_counts": dict(sorted(statuses.items())),
        },
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"generated {args.lines:,} events ({multiline:,} multi-line) in "
          f"{len(manifest_streams)} streams, {raw_bytes / 1e6:.1f} MB raw, "
          f"{ndjson_bytes / 1e6:.1f} MB NDJSON in {time.monotonic() - t0:.1f}s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
