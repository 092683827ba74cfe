#!/usr/bin/env python3
"""Differential PromQL test: opsight vs Debian's Prometheus 2.42 on the same data.

1. Generates ~250 series over 2 h at 15 s from a fixed seed (see `generate`): counters with
   resets (a process restart and single resets), gauges, classic histograms (`le` buckets with
   _sum/_count), summaries (`quantile` series), series that start late, have gaps shorter and
   longer than the 5 m lookback, end with staleness markers or just stop, NaN/+-Inf values,
   label values that need escaping or regex, several jobs and instances. Timestamps sit at a
   per-target offset inside the 15 s interval with a few ms of jitter, as real scrapes do.
2. Starts opsight and Prometheus (--web.enable-remote-write-receiver, its own temp dir, a free
   127.0.0.1 port) and remote-writes the same samples, in time order, into both; checks that
   both hold every sample.
3. Runs every query of tests/integration/promql_corpus.txt against both HTTP APIs
   (/api/v1/query by GET at several times, /api/v1/query_range by form POST over several
   ranges) and compares the answers: same status, result type, label sets and timestamps,
   values equal within 1e-9 relative (NaN == NaN, +-Inf equal by sign). `fail:` queries must
   fail in both. Queries marked `@known` in the corpus are run but not compared (the reason is
   printed).
4. Prints a summary (queries, evaluations, passed, known-different) and exits 1 on any
   difference.

Corpus format (one query per line, `#` comments, blank lines ignored):
  <query>            instant at every eval time and range over every range
  instant: <query>   instant only (range vectors, strings)
  range: <query>     range only
  fail: <query>      must fail in both servers (instant and, unless `fail_instant:`, range)
  fail_instant: <q>  must fail as an instant query in both
  @known <reason>    the next query is known to differ; it is run but not compared
Placeholders: $START, $MID, $END are the data's start, start + 1 h and start + 2 h in Unix
seconds (for `@`).

Skips (exit 0) only when prometheus is missing and $CI is unset. $OPSIGHT_PROMETHEUS_BIN
picks another prometheus binary; $PROMQL_DIFF_FILTER=<substring> runs only matching queries;
$PROMQL_DIFF_VERBOSE=1 prints every difference in full.
"""

import json
import math
import os
import random
import struct
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import opsight_testlib as tl  # noqa: E402

CORPUS = os.path.join(HERE, "promql_corpus.txt")
SEED = 20240501
INTERVAL_MS = 15_000
STEPS = 480  # 2 h
REL_TOL = 1e-9
STALE_NAN = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]
MIN, HOUR = 60_000, 3_600_000


def is_stale(v):
    return struct.pack("<d", v) == struct.pack("<Q", 0x7FF0000000000002)


# --- data ------------------------------------------------------------------------------------

class Target:
    """One scraped target: its own offset inside the interval, steps when it was scraped, and
    the step at which Prometheus would have written staleness markers for all its series."""

    def __init__(self, job, instance, rng, present=None, stale_at=None):
        self.job, self.instance = job, instance
        self.offset_ms = rng.randrange(0, INTERVAL_MS)
        self.jitter = [rng.randint(-25, 25) for _ in range(STEPS)]
        self.present = present or (lambda k: True)
        self.stale_at = stale_at
        self.series = []  # (labels, fn(k) -> value or None)

    def add(self, name, labels, fn):
        lab = {"__name__": name, "job": self.job, "instance": self.instance}
        lab.update(labels)
        self.series.append((lab, fn))


def counter(rng, mean_inc, resets=(), integer=True, start=0.0):
    """fn(k): a counter growing by ~mean_inc per step, reset to 0 at the given steps."""
    state = {"v": start}
    resets = set(resets)

    def fn(k):
        if k in resets:
            state["v"] = 0.0
        inc = rng.expovariate(1.0 / mean_inc) if mean_inc > 0 else 0.0
        state["v"] += round(inc) if integer else round(inc, 3)
        return state["v"]
    return fn


def gauge(rng, level, scale, decimals=2):
    state = {"v": level}

    def fn(k):
        state["v"] += (level - state["v"]) * 0.1 + rng.gauss(0, scale)
        return round(state["v"], decimals)
    return fn


def generate(seed, start_ms):
    """Returns [(labels dict, [(t_ms, value), ...])] and the number of non-stale samples."""
    rng = random.Random(seed)
    targets = []
    # api: 3 instances; 10.0.1.2 restarts at step 200 (every counter resets).
    for i, inst in enumerate(["10.0.1.1:8080", "10.0.1.2:8080", "10.0.1.3:8080"]):
        t = Target("api", inst, rng)
        restart = (200,) if i == 1 else ()
        for method in ("GET", "POST"):
            for code in ("200", "404", "500"):
                for path in ("/api/v1/users", "/api/v1/items", "/healthz"):
                    mean = {"200": 40, "404": 3, "500": 0.7}[code] * (0.5 if method == "POST"
                                                                      else 1)
                    rs = list(restart)
                    if rng.random() < 0.1:
                        rs.append(rng.randrange(20, STEPS))  # a lone reset
                    fn = counter(rng, mean, rs)
                    if code == "500" and path == "/healthz":
                        born = rng.randrange(60, 300)  # appears late
                        fn = (lambda f, b: lambda k: f(k) if k >= b else None)(fn, born)
                    t.add("http_requests_total", {"method": method, "code": code, "path": path},
                          fn)
        # classic histogram per path
        les = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
               "+Inf"]
        for path in ("/api/v1/users", "/api/v1/items"):
            hist = {"buckets": [0] * len(les), "sum": 0.0, "count": 0}
            mu = -3.0 if path == "/api/v1/users" else -1.5

            def observe(k, hist=hist, mu=mu, reset=restart):
                if k in reset:
                    hist["buckets"] = [0] * len(les)
                    hist["sum"], hist["count"] = 0.0, 0
                for _ in range(rng.randint(5, 40)):
                    x = rng.lognormvariate(mu, 1.2)
                    hist["sum"] += x
                    hist["count"] += 1
                    for j, le in enumerate(les):
                        if x <= float(le):
                            hist["buckets"][j] += 1
                hist["sum"] = round(hist["sum"], 6)
            cache = {}

            def memo(k, observe=observe, cache=cache):
                if k not in cache:
                    cache.clear()
                    observe(k)
                    cache[k] = True

            for j, le in enumerate(les):
                t.add("http_request_duration_seconds_bucket", {"path": path, "le": le},
                      (lambda j, hist, memo: lambda k: (memo(k), hist["buckets"][j])[1])(
                          j, hist, memo))
            t.add("http_request_duration_seconds_sum", {"path": path},
                  (lambda hist, memo: lambda k: (memo(k), hist["sum"])[1])(hist, memo))
            t.add("http_request_duration_seconds_count", {"path": path},
                  (lambda hist, memo: lambda k: (memo(k), float(hist["count"]))[1])(hist, memo))
        t.add("process_resident_memory_bytes", {}, gauge(rng, 2.5e8 + i * 1e7, 3e6, 0))
        t.add("up", {}, lambda k: 1.0)
        t.add("instance_info", {"version": ["1.4.2", "1.4.2", "1.5.0-rc.1"][i],
                                "region": ["eu-west-1", "us-east-1", "eu-west-1"][i]},
              lambda k: 1.0)
        targets.append(t)

    # batch.worker: batch-0 has a long gap (steps 160-207, > lookback) and a short one
    # (280-291, < lookback); batch-1 goes away at step 360 with staleness markers.
    def batch0_present(k):
        return not (160 <= k < 208 or 280 <= k < 292)
    for inst, present, stale_at in (("batch-0", batch0_present, None),
                                    ("batch-1", lambda k: k < 360, 360)):
        t = Target("batch.worker", inst, rng, present, stale_at)
        for svc in ("ingest", "export"):
            base = 0.05 if svc == "ingest" else 0.4
            for q, mult in (("0.5", 1.0), ("0.9", 2.2), ("0.99", 4.5)):
                t.add("rpc_duration_seconds", {"service": svc, "quantile": q},
                      gauge(rng, base * mult, base * mult * 0.05, 5))
            t.add("rpc_duration_seconds_sum", {"service": svc},
                  counter(rng, base * 20, integer=False))
            t.add("rpc_duration_seconds_count", {"service": svc}, counter(rng, 20))
        for queue in ("high", "low", "dead-letter"):
            t.add("jobs_processed_total", {"queue": queue},
                  counter(rng, {"high": 12, "low": 4, "dead-letter": 0.2}[queue]))
            t.add("queue_depth", {"queue": queue}, gauge(rng, 50, 8, 0))
        t.add("up", {}, lambda k: 1.0)
        t.add("instance_info", {"version": "2.0.0", "region": "us-east-1"}, lambda k: 1.0)
        targets.append(t)

    # node: host-c stops at step 420 without staleness markers (the lookback ends it).
    for inst, present in (("host-a:9100", None), ("host-b:9100", None),
                          ("host-c:9100", lambda k: k < 420)):
        t = Target("node", inst, rng, present)
        for cpu in ("0", "1"):
            for mode, rate in (("idle", 12.0), ("user", 2.0), ("system", 0.8)):
                t.add("node_cpu_seconds_total", {"cpu": cpu, "mode": mode},
                      counter(rng, rate, integer=False, start=rng.uniform(1e4, 1e5)))
        t.add("node_memory_MemAvailable_bytes", {}, gauge(rng, 4e9, 5e7, 0))
        t.add("node_load1", {}, gauge(rng, 1.2, 0.3, 2))
        for mp in ("/", "/var/lib/data"):
            t.add("node_filesystem_avail_bytes", {"mountpoint": mp, "fstype": "ext4"},
                  gauge(rng, 5e10, 1e8, 0))
        t.add("up", {}, lambda k: 1.0)
        t.add("machine_role", {"role": "db" if inst.startswith("host-a") else "web"},
              lambda k: 1.0)
        targets.append(t)

    # misc: special values, escaping, negative values, a recording-rule style name.
    t = Target("misc", "misc-0", rng)

    def special(kind):
        def fn(k):
            if kind == "nan" and k % 7 == 3:
                return math.nan
            if kind == "inf" and k % 11 == 5:
                return math.inf
            if kind == "neg_inf" and k % 13 == 2:
                return -math.inf
            return round(rng.uniform(-10, 10), 3)
        return fn
    for kind in ("nan", "inf", "neg_inf", "normal"):
        t.add("special_values", {"kind": kind}, special(kind))
    t.add("temperature_celsius", {"sensor": "outdoor"}, gauge(rng, -3.5, 1.5, 2))
    t.add("temperature_celsius", {"sensor": "indoor"}, gauge(rng, 21.0, 0.4, 2))
    t.add("label_test", {"path": "/a.b/c", "weird": 'a"b\\c', "unicode": "naïve"},
          gauge(rng, 5, 1, 1))
    t.add("label_test", {"path": "/a+b/(c)", "weird": "x y", "unicode": "日本"},
          gauge(rng, 7, 1, 1))
    t.add("job:http_requests:rate5m", {}, gauge(rng, 100, 5, 3))
    # Sporadic: present only every 4th step (a 60 s series), and a 10 min gap.
    t.add("sporadic_gauge", {}, lambda k: float(k % 17) if k % 4 == 0 and not 100 <= k < 140
          else None)
    targets.append(t)

    out, n = [], 0
    for tg in targets:
        samples = {id(s): [] for s in tg.series}
        for k in range(STEPS):
            ts = start_ms + tg.offset_ms + k * INTERVAL_MS + tg.jitter[k]
            if tg.stale_at is not None and k == tg.stale_at:
                for s in tg.series:
                    if samples[id(s)]:
                        samples[id(s)].append((ts, STALE_NAN))
                continue
            if tg.stale_at is not None and k > tg.stale_at:
                continue
            if not tg.present(k):
                continue
            for s in tg.series:
                v = s[1](k)
                if v is not None:
                    samples[id(s)].append((ts, float(v)))
        for s in tg.series:
            pts = samples[id(s)]
            if pts:
                out.append((s[0], pts))
                n += sum(1 for _, v in pts if not is_stale(v))
    return out, n


def write_batches(series, start_ms, window_ms=5 * MIN):
    """Remote-write bodies in time order: one request per window of `window_ms`."""
    end = max(p[-1][0] for _, p in series) + 1
    bodies = []
    w = start_ms
    while w < end:
        batch = []
        for labels, pts in series:
            sel = [(t, v) for t, v in pts if w <= t < w + window_ms]
            if sel:
                batch.append((labels, sel))
        if batch:
            bodies.append(tl.snappy_literal_block(tl.encode_write_request(batch)))
        w += window_ms
    return bodies


# --- servers ---------------------------------------------------------------------------------

def start_prometheus(binary):
    """Debian's prometheus as a remote-write receiver that scrapes nothing."""
    return tl.PrometheusServer(
        binary, "global:\n  scrape_interval: 15s\n  evaluation_interval: 1m\n",
        ["--web.enable-remote-write-receiver", "--storage.tsdb.retention.time=30d"],
        prefix="opsight-it-promql-")


class Api:
    """The Prometheus HTTP query API of one server over one keep-alive connection."""

    def __init__(self, port):
        self.client = tl.KeepAliveClient("127.0.0.1", port, timeout=120)

    def _do(self, method, path, params):
        enc = urllib.parse.urlencode(params)
        for attempt in range(3):
            try:
                if method == "GET":
                    status, body = self.client.request("GET", path + "?" + enc)
                else:
                    status, body = self.client.request(
                        "POST", path, enc.encode(),
                        {"Content-Type": "application/x-www-form-urlencoded"})
                break
            except OSError as e:
                if attempt == 2:
                    return {"status": "error", "errorType": "connection", "error": str(e),
                            "http": None}
        try:
            doc = json.loads(body)
        except ValueError:
            return {"status": "error", "errorType": "bad_json", "http": status,
                    "error": f"not JSON: {body[:200]!r}"}
        doc["http"] = status
        return doc

    def instant(self, q, t_s):
        return self._do("GET", "/api/v1/query", {"query": q, "time": fmt_time(t_s)})

    def range(self, q, start_s, end_s, step_s):
        return self._do("POST", "/api/v1/query_range",
                        {"query": q, "start": fmt_time(start_s), "end": fmt_time(end_s),
                         "step": fmt_time(step_s)})

    def close(self):
        self.client.close()


def fmt_time(s):
    return f"{s:.3f}"


# --- comparison ------------------------------------------------------------------------------

def parse_float(s):
    return float(s)  # "NaN", "+Inf", "-Inf" included


def values_equal(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    if a == b:
        return True
    return abs(a - b) <= REL_TOL * max(abs(a), abs(b))


def ms(t):
    return round(float(t) * 1000)


def canon(doc):
    """(kind, payload) of a response: ("error", errorType) or (resultType, normalised data)."""
    if doc.get("status") != "success":
        return "error", doc.get("errorType"), doc.get("error")
    data = doc.get("data") or {}
    rt = data.get("resultType")
    res = data.get("result")
    if rt in ("scalar", "string"):
        return rt, (ms(res[0]), res[1]), None
    if rt == "vector":
        return rt, [(tl.series_key(s["metric"]), ms(s["value"][0]), s["value"][1])
                    for s in res], None
    if rt == "matrix":
        return rt, [(tl.series_key(s["metric"]), [(ms(t), v) for t, v in s["values"]])
                    for s in res], None
    return "unknown", repr(doc)[:200], None


def diff(want, got, ordered=False):
    """None when equal, else a description. want = Prometheus, got = opsight."""
    wk, wd, werr = canon(want)
    gk, gd, gerr = canon(got)
    if wk == "error" or gk == "error":
        if wk == gk:
            return None
        if wk == "error":
            return f"prometheus failed ({wd}: {werr}), opsight answered {gk}"
        return f"opsight failed ({gd}: {gerr}), prometheus answered {wk}"
    if wk != gk:
        return f"result type: prometheus {wk}, opsight {gk}"
    if wk == "scalar":
        if wd[0] != gd[0] or not values_equal(parse_float(wd[1]), parse_float(gd[1])):
            return f"scalar: prometheus {wd}, opsight {gd}"
        return None
    if wk == "string":
        return None if wd == gd else f"string: prometheus {wd}, opsight {gd}"
    wmap, gmap = {}, {}
    for who, src, dst in (("prometheus", wd, wmap), ("opsight", gd, gmap)):
        for item in src:
            if item[0] in dst:
                return f"{who} returned the series {tl.format_series(item[0])} twice"
            dst[item[0]] = item
    only_w = [k for k in wmap if k not in gmap]
    only_g = [k for k in gmap if k not in wmap]
    problems = []
    if only_w:
        problems.append(f"{len(only_w)} series only in prometheus, e.g. "
                        f"{tl.format_series(only_w[0])}")
    if only_g:
        problems.append(f"{len(only_g)} series only in opsight, e.g. "
                        f"{tl.format_series(only_g[0])}")
    nbad = 0
    for k in wmap:
        if k not in gmap:
            continue
        if wk == "vector":
            _, wt, wv = wmap[k]
            _, gt, gv = gmap[k]
            if wt != gt or not values_equal(parse_float(wv), parse_float(gv)):
                nbad += 1
                if nbad <= 2:
                    problems.append(f"{tl.format_series(k)}: prometheus {wv}@{wt}, "
                                    f"opsight {gv}@{gt}")
        else:
            wp, gp = wmap[k][1], gmap[k][1]
            wts, gts = [t for t, _ in wp], [t for t, _ in gp]
            if wts != gts:
                nbad += 1
                if nbad <= 2:
                    extra = sorted(set(wts) ^ set(gts))[:3]
                    problems.append(f"{tl.format_series(k)}: prometheus {len(wts)} points, "
                                    f"opsight {len(gts)}; differing timestamps {extra}")
                continue
            for (t, a), (_, b) in zip(wp, gp):
                if not values_equal(parse_float(a), parse_float(b)):
                    nbad += 1
                    if nbad <= 2:
                        problems.append(f"{tl.format_series(k)} @{t}: prometheus {a}, "
                                        f"opsight {b}")
                    break
    if nbad > 2:
        problems.append(f"... {nbad} series differ in all")
    if not problems and ordered and wk == "vector":
        wo = [v for _, _, v in wd]
        go = [v for _, _, v in gd]
        if not all(values_equal(parse_float(a), parse_float(b)) for a, b in zip(wo, go)):
            problems.append(f"order of values: prometheus {wo[:6]}, opsight {go[:6]}")
    return "; ".join(problems) if problems else None


# --- corpus ----------------------------------------------------------------------------------

class Case:
    def __init__(self, line_no, mode, query, known):
        self.line_no, self.mode, self.query, self.known = line_no, mode, query, known


def load_corpus(path):
    cases, known = [], None
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("@known"):
                known = line[len("@known"):].strip() or "(no reason given)"
                continue
            mode = "both"
            for prefix in ("instant:", "range:", "fail:", "fail_instant:"):
                if line.startswith(prefix):
                    mode, line = prefix[:-1], line[len(prefix):].strip()
                    break
            cases.append(Case(n, mode, line, known))
            known = None
    return cases


def evaluations(case, start_s):
    """[(label, kind, args)] for a case: instant times and ranges relative to the data."""
    instants = [start_s + 17 * 60 + 23.456, start_s + 3600, start_s + 6300 + 30,
                start_s + 7200 + 180]
    ranges = [(start_s, start_s + 7800, 60), (start_s + 2407, start_s + 5700, 137),
              (start_s + 2700, start_s + 3480, 15)]
    out = []
    if case.mode in ("both", "instant", "fail", "fail_instant"):
        for t in instants:
            out.append((f"instant@{t - start_s:g}s", "instant", (t,)))
    if case.mode in ("both", "range", "fail"):
        for r in ranges:
            out.append((f"range[{r[0] - start_s:g}s..{r[1] - start_s:g}s step {r[2]}s]",
                        "range", r))
    return out


def substitute(q, start_s):
    return (q.replace("$START", str(start_s)).replace("$MID", str(start_s + 3600))
            .replace("$END", str(start_s + 7200)))


def run_corpus(cases, prom_port, ops_port, start_s):
    """Runs every case against both servers (one thread per server) and compares."""
    jobs = []
    for c in cases:
        q = substitute(c.query, start_s)
        for label, kind, args in evaluations(c, start_s):
            jobs.append((c, q, label, kind, args))
    results = {"prometheus": [None] * len(jobs), "opsight": [None] * len(jobs)}

    def worker(name, port):
        api = Api(port)
        try:
            for i, (_, q, _, kind, args) in enumerate(jobs):
                results[name][i] = api.instant(q, *args) if kind == "instant" else \
                    api.range(q, *args)
        finally:
            api.close()
    threads = [threading.Thread(target=worker, args=("prometheus", prom_port)),
               threading.Thread(target=worker, args=("opsight", ops_port))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    per_case = {}
    for i, (c, q, label, kind, args) in enumerate(jobs):
        w, g = results["prometheus"][i], results["opsight"][i]
        st = per_case.setdefault(c.line_no, {"case": c, "query": q, "diffs": [], "n": 0})
        st["n"] += 1
        if c.mode.startswith("fail"):
            bad = []
            if w.get("status") != "error":
                bad.append("prometheus answered")
            if g.get("status") != "error":
                bad.append("opsight answered")
            if bad:
                st["diffs"].append(f"{label}: expected both to fail, but " + " and ".join(bad))
            continue
        ordered = q.lstrip().startswith(("sort(", "sort_desc(")) and kind == "instant"
        d = diff(w, g, ordered=ordered)
        if d:
            st["diffs"].append(f"{label}: {d}")
    return per_case, len(jobs)


# --- loading ---------------------------------------------------------------------------------

def load_into(base, bodies, who):
    client = tl.KeepAliveClient("127.0.0.1", int(base.rsplit(":", 1)[1]), timeout=60)
    try:
        for i, body in enumerate(bodies):
            status, resp = client.request("POST", "/api/v1/write", body,
                                          dict(tl.REMOTE_WRITE_HEADERS))
            if not 200 <= status < 300:
                tl.fail(f"{who}: remote write request {i}: HTTP {status}: {resp[:300]!r}")
    finally:
        client.close()


def count_samples(port, start_s):
    """Samples (staleness markers excluded) the server returns for every series over the data's
    whole range, from an instant query of a range vector (raw samples)."""
    api = Api(port)
    try:
        doc = api.instant('{__name__=~".+"}[3h]', start_s + 3 * 3600)
    finally:
        api.close()
    if doc.get("status") != "success":
        return None
    return sum(len(s["values"]) for s in doc["data"]["result"])


def run():
    prom_bin = tl.find_prometheus()
    if prom_bin is None:
        print("SKIP: prometheus not installed", flush=True)
        return
    t_begin = time.monotonic()
    now_ms = int(time.time() * 1000)
    start_ms = (now_ms // HOUR - 3) * HOUR  # whole hours; data ends 1-2 h before now
    start_s = start_ms // 1000
    series, nsamples = generate(SEED, start_ms)
    bodies = write_batches(series, start_ms)
    tl.log(f"generated {len(series)} series, {nsamples} samples (+ staleness markers) in "
           f"{len(bodies)} requests; data start {start_s}")
    cases = load_corpus(CORPUS)
    filt = os.environ.get("PROMQL_DIFF_FILTER")
    if filt:
        cases = [c for c in cases if filt in c.query]

    opsight = tl.OpsightServer(log_name="opsight-promql-diff.log")
    prom = start_prometheus(prom_bin)
    ok = False
    try:
        opsight.start()
        prom.start()
        loaders = [threading.Thread(target=load_into, args=(srv.base, bodies, name))
                   for name, srv in (("opsight", opsight), ("prometheus", prom))]
        errors = []
        for th in loaders:
            th.run = (lambda f: lambda: _capture(f, errors))(th.run)
        for th in loaders:
            th.start()
        for th in loaders:
            th.join()
        if errors:
            raise errors[0]
        for name, srv in (("opsight", opsight), ("prometheus", prom)):
            tl.wait_until(lambda: count_samples(srv.port, start_s) == nsamples, 30,
                          interval_s=0.2, what=f"{name} to hold {nsamples} samples")
        tl.log(f"both servers hold {nsamples} samples ({time.monotonic() - t_begin:.1f}s)")

        per_case, nevals = run_corpus(cases, prom.port, opsight.port, start_s)
        passed = known = failed = 0
        verbose = bool(os.environ.get("PROMQL_DIFF_VERBOSE"))
        failures = []
        for line_no in sorted(per_case):
            st = per_case[line_no]
            c = st["case"]
            if c.known is not None:
                known += 1
                state = "still differs" if st["diffs"] else "now EQUAL (drop the @known?)"
                tl.log(f"known difference, line {line_no}: {c.query}  [{c.known}] - {state}")
                continue
            if st["diffs"]:
                failed += 1
                shown = st["diffs"] if verbose else st["diffs"][:2]
                failures.append(f"line {line_no}: {c.query}\n    " + "\n    ".join(shown))
            else:
                passed += 1
        for f in failures:
            print("DIFF " + f, flush=True)
        tl.log(f"promql vs prometheus: {len(cases)} queries, {nevals} evaluations per server; "
               f"{passed} passed, {known} known-different, {failed} different "
               f"({time.monotonic() - t_begin:.1f}s)")
        if failed:
            tl.fail(f"{failed} queries differ between opsight and prometheus")
        prom.stop()
        rc = opsight.stop()
        if rc != 0:
            tl.fail(f"opsight exited with code {rc} after SIGTERM")
        ok = True
    except tl.TestFailure:
        print(prom.log_tail(), file=sys.stderr)
        print(opsight.log_tail(), file=sys.stderr)
        raise
    finally:
        keep = not ok and bool(os.environ.get("OPSIGHT_KEEP"))
        prom.cleanup(keep=keep)
        opsight.cleanup(keep=keep)


def _capture(fn, errors):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - re-raised by the main thread
        errors.append(e)


if __name__ == "__main__":
    tl.main_wrapper(run)
