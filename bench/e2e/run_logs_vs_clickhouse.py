#!/usr/bin/env python3
"""End-to-end logs benchmark: opsight vs ClickHouse (Debian's clickhouse-server) on one workload.

1. Generates (or reuses, --workload-dir) the deterministic log workload of
   bench/e2e/log_workload_gen.py: default 1,000,000 events in 25 streams over 2 h ending now
   (nginx access logs, JSON app logs, plain-text app logs with multi-line stack traces), one
   NDJSON file per stream, raw.log with every message, and manifest.json with the expected
   answers of the queries.
2. Raw reference: `zstd -19` of raw.log (size floor) and `grep -c` of the term and of the regex
   over raw.log (wall time, median of --repeats).
3. For each server in turn, alone on 127.0.0.1 with its own temp dir and free ports:
   - opsight (`opsight serve`): creates the log groups, imports every stream file in bodies of
     --batch-bytes over --connections keep-alive connections (POST /api/v1/logs/import), measures
     the server's CPU (utime+stime of /proc/<pid>/stat) and wall time during ingest, then stops it
     with SIGTERM (the server flushes on exit; the shutdown's CPU comes from wait4's rusage),
     measures its data dir, and restarts it on the same dir for the queries.
   - ClickHouse (clickhouse-server started as a child with a generated config: loopback only,
     zstd block compression unless --clickhouse-compression lz4): a MergeTree table
     (log_group, stream, timestamp UInt64 ms, message) ORDER BY (log_group, stream, timestamp);
     the same rows (each NDJSON line with log_group and stream prepended) in the same batches
     via `INSERT ... FORMAT JSONEachRow` over HTTP; ingest CPU as above; then OPTIMIZE TABLE
     FINAL, and bytes on disk = bytes_on_disk of the active parts (system.parts).
   - Queries, each --repeats times (median wall time, from the client): a term filter count, a
     regex filter count, count by bin(5m), pct(latency_ms, 99) by service over the JSON logs,
     and parse + stats count by status over the access logs; opsight through POST
     /api/v1/logs/query + GET /api/v1/logs/query/<id>?wait=60, ClickHouse with equivalent SQL.
4. Checks every answer against the generator's ground truth (counts equal; p99 equal to the
   nearest-rank value for opsight, within the neighbouring order statistic for ClickHouse's
   quantileExact), and every event acknowledged and stored.
5. Prints a table opsight | ClickHouse | ratio, and writes everything as JSON to bench/out/
   (gitignored). Exit code 1 on any mismatch or lost event.

Stdlib only. See docs/benchmarks.md ("Logs: opsight vs ClickHouse").
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import opsight_testlib as tl  # noqa: E402

GROUP_NGINX, GROUP_APP = "bench-nginx", "bench-app"
BIN_MS = 300_000

# name, log groups, Logs Insights query, ClickHouse SQL ({range} = the time predicate).
QUERIES = [
    ("term", (GROUP_NGINX, GROUP_APP),
     'filter @message like "timeout" | stats count(*) as n',
     "SELECT count() AS n FROM logs WHERE {range} AND position(message, 'timeout') > 0"),
    ("regex", (GROUP_NGINX, GROUP_APP),
     "filter @message like /user_[0-9]+7 / | stats count(*) as n",
     "SELECT count() AS n FROM logs WHERE {range} AND match(message, 'user_[0-9]+7 ')"),
    ("bin_5m", (GROUP_NGINX, GROUP_APP),
     "stats count(*) as n by bin(5m) as t",
     "SELECT intDiv(timestamp, 300000) * 300000 AS t, count() AS n FROM logs WHERE {range} "
     "GROUP BY t ORDER BY t"),
    ("p99_by_service", (GROUP_APP,),
     "filter ispresent(latency_ms) | stats pct(latency_ms, 99) as p99 by service",
     "SELECT visitParamExtractString(message, 'service') AS service, "
     "quantileExact(0.99)(visitParamExtractFloat(message, 'latency_ms')) AS p99 FROM logs "
     "WHERE log_group = 'bench-app' AND {range} AND visitParamHas(message, 'latency_ms') "
     "GROUP BY service ORDER BY service"),
    ("parse_status", (GROUP_NGINX,),
     'parse @message /" (?<status>[0-9]{3}) / | stats count(*) as n by status',
     "SELECT extract(message, '\" ([0-9]{3}) ') AS status, count() AS n FROM logs "
     "WHERE log_group = 'bench-nginx' AND {range} GROUP BY status ORDER BY status"),
]


# --- workload ----------------------------------------------------------------------------------

def load_batches(wdir, manifest, batch_bytes):
    """[(group, stream, first_ms, body bytes, lines)]: each stream file cut at line boundaries
    into bodies of about batch_bytes, interleaved across streams in time order (what several
    live shippers produce)."""
    per_stream = []
    for s in manifest["streams"]:
        with open(os.path.join(wdir, s["file"]), "rb") as f:
            data = f.read()
        out, pos = [], 0
        while pos < len(data):
            end = data.find(b"\n", min(len(data) - 1, pos + batch_bytes - 1))
            end = len(data) if end < 0 else end + 1
            body = data[pos:end]
            first_ms = int(body[13:body.index(b",")])  # {"timestamp":<ms>,
            out.append((s["group"], s["stream"], first_ms, body, body.count(b"\n")))
            pos = end
        per_stream.append(out)
    merged = [b for lst in per_stream for b in lst]
    merged.sort(key=lambda b: b[2])
    return merged


def clickhouse_body(group, stream, body):
    """The same rows for JSONEachRow: {"log_group":..,"stream":..,"timestamp":..,"message":..}."""
    prefix = ('{"log_group":' + json.dumps(group) + ',"stream":' + json.dumps(stream) +
              ",").encode()
    return b"".join(prefix + line[1:] + b"\n" for line in body.split(b"\n") if line)


# --- sending -----------------------------------------------------------------------------------

class RetryAfterClient(tl.KeepAliveClient):
    """KeepAliveClient that remembers the Retry-After header of the last response."""

    last_retry_after = None

    def request(self, method, path, body=None, headers=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            resp = self.conn.getresponse()
            data = resp.read()
            self.last_retry_after = resp.getheader("Retry-After")
            if resp.getheader("Connection", "").lower() == "close":
                self.close()
            return resp.status, data
        except (OSError, http.client.HTTPException):
            self.close()
            raise OSError("connection failed")


class Sender:
    """Posts every batch over `connections` keep-alive connections (a shared work queue).
    make_request(batch) -> (method, path, body, headers); accepted(status, resp, batch) -> the
    number of events the server acknowledged."""

    def __init__(self, port, batches, connections, make_request, accepted):
        self.port, self.batches, self.connections = port, batches, connections
        self.make_request, self.accepted = make_request, accepted
        self.lock = threading.Lock()
        self.acked = self.failed = self.bytes_sent = 0
        self.status_counts, self.first_errors = {}, []
        self.throttled, self.throttled_status, self.max_throttled = 0, {}, 100_000

    def _worker(self, q):
        client = RetryAfterClient("127.0.0.1", self.port, timeout=600)
        try:
            while True:
                try:
                    b = q.get_nowait()
                except queue.Empty:
                    return
                method, path, body, headers = self.make_request(b)
                status, resp, errors = None, b"", 0
                while errors < 3:  # reconnect on a dropped keep-alive connection
                    try:
                        status, resp = client.request(method, path, body, headers)
                    except OSError as e:
                        resp = str(e).encode()
                        errors += 1
                        continue
                    if status in (429, 503) and self.throttled < self.max_throttled:
                        # Overload: back off as the server asks and send the same body again,
                        # as a log shipper does.
                        with self.lock:
                            self.throttled += 1
                            self.throttled_status[status] = self.throttled_status.get(status,
                                                                                      0) + 1
                        time.sleep(min(10.0, float(client.last_retry_after or 1)))
                        continue
                    break
                n = self.accepted(status, resp, b) if status is not None else 0
                with self.lock:
                    self.bytes_sent += len(body)
                    self.status_counts[status] = self.status_counts.get(status, 0) + 1
                    self.acked += n
                    if status is None or not 200 <= status < 300 or n != b[4]:
                        self.failed += 1
                        if len(self.first_errors) < 5:
                            self.first_errors.append(
                                f"{b[0]}/{b[1]}@{b[2]}: HTTP {status}: {resp[:300]!r}")
        finally:
            client.close()

    def run(self):
        q = queue.Queue()
        for b in self.batches:
            q.put(b)
        threads = [threading.Thread(target=self._worker, args=(q,), daemon=True)
                   for _ in range(self.connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def wait_rusage(proc, timeout_s):
    """Reaps `proc` with wait4 -> (exit code, utime+stime of its whole life in s)."""
    deadline = time.monotonic() + timeout_s
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, ru.ru_utime + ru.ru_stime
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, ru = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            return None, ru.ru_utime + ru.ru_stime
        time.sleep(0.05)


def median_ms(times):
    return round(statistics.median(times) * 1000, 2)


# --- opsight -----------------------------------------------------------------------------------

class OpsightLogs:
    name = "opsight"

    def __init__(self, binary):
        self.srv = tl.OpsightServer(binary=binary, log_name="opsight-logbench.log")

    @property
    def port(self):
        return self.srv.port

    @property
    def pid(self):
        return self.srv.pid

    def start(self):
        self.srv.start()

    def prepare(self, manifest):
        for g in manifest["groups"]:
            url = f"{self.srv.base}/api/v1/logs/groups?" + urllib.parse.urlencode({"name": g})
            status, body = tl.http_request("POST", url, b"", timeout=30)
            if status != 200:
                tl.fail(f"opsight: create group {g}: HTTP {status}: {body[:300]!r}")

    def sender(self, batches, connections):
        def make(b):
            q = urllib.parse.urlencode({"group": b[0], "stream": b[1]})
            return ("POST", "/api/v1/logs/import?" + q, b[3],
                    {"Content-Type": "application/x-ndjson"})

        def accepted(status, resp, b):
            if not 200 <= status < 300:
                return 0
            try:
                return int(json.loads(resp)["acceptedEvents"])
            except (ValueError, KeyError):
                return 0
        return Sender(self.port, batches, connections, make, accepted)

    def persist(self, cpu_before_s):
        """Flushes the head to blocks and compacts (POST /api/v1/logs/admin/flush); where the
        endpoint does not exist (404/405), stops the server with SIGTERM (it flushes on exit;
        the shutdown's CPU comes from wait4's rusage) and restarts it on the same dir."""
        t0 = time.monotonic()
        status, body = tl.http_request("POST", self.srv.base + "/api/v1/logs/admin/flush", b"",
                                       timeout=3600)
        info = {}
        if status == 200:
            cpu = tl.proc_cpu_seconds(self.srv.pid) - cpu_before_s
            info["persist_how"] = "POST /api/v1/logs/admin/flush"
        elif status in (404, 405):
            self.srv.proc.send_signal(signal.SIGTERM)
            rc, life_cpu = wait_rusage(self.srv.proc, 600)
            self.srv.proc = None
            cpu = life_cpu - cpu_before_s
            info["persist_how"] = "SIGTERM"
            info["shutdown_exit_code"] = rc
        else:
            tl.fail(f"opsight logs flush: HTTP {status}: {body[:300]!r}")
        wall = time.monotonic() - t0
        sizes = {}
        for entry in sorted(os.listdir(self.srv.data_dir)):
            p = os.path.join(self.srv.data_dir, entry)
            sizes[entry] = tl.dir_bytes(p) if os.path.isdir(p) else os.path.getsize(p)
        logs_dir = os.path.join(self.srv.data_dir, "logs")
        if os.path.isdir(logs_dir):
            for entry in sorted(os.listdir(logs_dir)):
                p = os.path.join(logs_dir, entry)
                sizes["logs/" + entry] = tl.dir_bytes(p) if os.path.isdir(p) else \
                    os.path.getsize(p)
        total = tl.dir_bytes(self.srv.data_dir)
        if self.srv.proc is None:
            t1 = time.monotonic()
            self.srv.start()
            info["restart_wall_s"] = round(time.monotonic() - t1, 3)
            info["restart_cpu_s"] = round(tl.proc_cpu_seconds(self.srv.pid), 3)
        # The log store's directory is what the logs cost; the rest of the data dir (metrics
        # store, SQLite) is nearly empty here and reported separately.
        disk = tl.dir_bytes(logs_dir) if os.path.isdir(logs_dir) else total
        return {"disk_bytes": disk, "data_dir_bytes": total, "data_dir_entries": sizes,
                "persist_wall_s": round(wall, 3), "persist_cpu_s": round(cpu, 3), **info}

    def stored_events(self, manifest):
        rows, _ = self.query("stats count(*) as n", manifest["groups"], manifest)
        return sum(int(float(r.get("n", 0))) for r in rows)

    def query(self, text, groups, manifest):
        q = [("query", text), ("start", str(manifest["start_ms"] - 60_000)),
             ("end", str(manifest["end_ms"] + 60_000)), ("limit", "10000")]
        q += [("group", g) for g in groups]
        status, body = tl.http_request("POST", f"{self.srv.base}/api/v1/logs/query?" +
                                       urllib.parse.urlencode(q), b"", timeout=60)
        if status != 200:
            raise RuntimeError(f"start query: HTTP {status}: {body[:300]!r}")
        qid = json.loads(body)["queryId"]
        while True:
            st = tl.get_json(f"{self.srv.base}/api/v1/logs/query/{qid}?wait=60", timeout=120)
            if st["status"] in ("Complete", "Failed", "Cancelled", "Timeout"):
                break
        if st["status"] != "Complete":
            raise RuntimeError(f"query {st['status']}: {st.get('error', '')}")
        rows = [{c["field"]: c["value"] for c in row} for row in st["results"]]
        return rows, st.get("statistics", {})

    def stop(self):
        return self.srv.stop(timeout_s=300)

    def cleanup(self, keep):
        self.srv.cleanup(keep=keep)


# --- ClickHouse --------------------------------------------------------------------------------

CH_CONFIG = """<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{dir}/clickhouse.log</log>
    <errorlog>{dir}/clickhouse.err.log</errorlog><console>0</console></logger>
  <http_port>{http_port}</http_port>
  <tcp_port>{tcp_port}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>{dir}/data/</path>
  <tmp_path>{dir}/tmp/</tmp_path>
  <user_files_path>{dir}/user_files/</user_files_path>
  <format_schema_path>{dir}/format_schemas/</format_schema_path>
  <users_config>{dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>536870912</mark_cache_size>
  <uncompressed_cache_size>536870912</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
{compression}</yandex>
"""
CH_USERS = """<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>8000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
  </interval></default></quotas>
</yandex>
"""
CH_TABLE = ("CREATE TABLE logs (log_group String, stream String, timestamp UInt64, "
            "message String) ENGINE = MergeTree ORDER BY (log_group, stream, timestamp)")


class ClickHouseLogs:
    name = "clickhouse"

    def __init__(self, binary, compression, zstd_level):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="opsight-bench-ch-")
        self.compression, self.zstd_level = compression, zstd_level
        self.port = self.proc = None

    @property
    def pid(self):
        return self.proc.pid

    def start(self):
        self.port = tl.free_port()
        tcp_port = tl.free_port()
        comp = ""
        if self.compression == "zstd":
            level = f"<level>{self.zstd_level}</level>" if self.zstd_level else ""
            comp = f"  <compression><case><method>zstd</method>{level}</case></compression>\n"
        with open(os.path.join(self.dir, "config.xml"), "w") as f:
            f.write(CH_CONFIG.format(dir=self.dir, http_port=self.port, tcp_port=tcp_port,
                                     compression=comp))
        with open(os.path.join(self.dir, "users.xml"), "w") as f:
            f.write(CH_USERS)
        with open(os.path.join(self.dir, "stdout.log"), "ab") as logf:
            self.proc = subprocess.Popen(
                [self.binary, f"--config-file={self.dir}/config.xml"], stdout=logf,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.dir)

        def ready():
            if self.proc.poll() is not None:
                tl.fail(f"clickhouse-server exited with code {self.proc.returncode}; see "
                        f"{self.dir}/clickhouse.err.log")
            return tl.http_get(f"http://127.0.0.1:{self.port}/ping", timeout=2.0)[0] == 200
        tl.wait_until(ready, 60, what="clickhouse /ping")

    def sql(self, text, timeout=600, settings=None):
        qs = ("?" + urllib.parse.urlencode(settings)) if settings else ""
        status, body = tl.http_request("POST", f"http://127.0.0.1:{self.port}/{qs}",
                                       text.encode(), timeout=timeout)
        if status != 200:
            raise RuntimeError(f"clickhouse: HTTP {status}: {body[:400]!r} for {text[:200]}")
        return body.decode()

    def prepare(self, manifest):
        self.version = self.sql("SELECT version()").strip()
        self.sql(CH_TABLE)

    def sender(self, batches, connections):
        path = "/?" + urllib.parse.urlencode({"query": "INSERT INTO logs FORMAT JSONEachRow"})
        bodies = {id(b): clickhouse_body(b[0], b[1], b[3]) for b in batches}

        def make(b):
            return "POST", path, bodies[id(b)], {"Content-Type": "application/x-ndjson"}

        def accepted(status, resp, b):
            return b[4] if 200 <= status < 300 else 0
        s = Sender(self.port, batches, connections, make, accepted)
        s.ch_body_bytes = sum(len(v) for v in bodies.values())
        return s

    def persist(self, cpu_before_s):
        # OPTIMIZE ... FINAL is a no-op while background merges hold the parts: wait for them,
        # then merge until one part is left (a bounded number of rounds).
        t0 = time.monotonic()
        cpu0 = tl.proc_cpu_seconds(self.pid)
        rounds = 0
        for rounds in range(1, 21):
            tl.wait_until(lambda: self.sql("SELECT count() FROM system.merges").strip() == "0",
                          600, interval_s=0.2, what="clickhouse background merges")
            try:
                self.sql("OPTIMIZE TABLE logs FINAL", timeout=3600,
                         settings={"optimize_throw_if_noop": "1"})
            except RuntimeError as e:
                print(f"[clickhouse] OPTIMIZE: {str(e)[:200]}", flush=True)
            if self.sql("SELECT count() FROM system.parts WHERE active AND "
                        "table = 'logs'").strip() == "1":
                break
        wall = time.monotonic() - t0
        cpu = tl.proc_cpu_seconds(self.pid) - cpu0
        row = self.sql("SELECT count(), sum(rows), sum(bytes_on_disk), "
                       "sum(data_compressed_bytes), sum(data_uncompressed_bytes) FROM "
                       "system.parts WHERE active AND database = 'default' AND table = 'logs' "
                       "FORMAT TSV").split()
        parts, rows, on_disk, comp, uncomp = (int(x) for x in row)
        columns = {}
        for line in self.sql("SELECT name, data_compressed_bytes, data_uncompressed_bytes FROM "
                             "system.columns WHERE database = 'default' AND table = 'logs' "
                             "FORMAT TSV").splitlines():
            col, c_bytes, u_bytes = line.split("\t")
            columns[col] = {"compressed": int(c_bytes), "uncompressed": int(u_bytes)}
        return {"disk_bytes": on_disk, "parts": parts, "part_rows": rows,
                "optimize_rounds": rounds, "columns": columns,
                "data_compressed_bytes": comp, "data_uncompressed_bytes": uncomp,
                "data_dir_bytes": tl.dir_bytes(os.path.join(self.dir, "data")),
                "table_dir_bytes": tl.dir_bytes(os.path.join(self.dir, "data", "data",
                                                             "default", "logs")),
                "persist_wall_s": round(wall, 3), "persist_cpu_s": round(cpu, 3)}

    def stored_events(self, manifest):
        return int(self.sql("SELECT count() FROM logs").strip())

    def query(self, sql_text, groups, manifest):
        rng = (f"timestamp >= {manifest['start_ms'] - 60_000} AND "
               f"timestamp < {manifest['end_ms'] + 60_000}")
        out = json.loads(self.sql(sql_text.replace("{range}", rng) + " FORMAT JSON"))
        return out["data"], out.get("statistics", {})

    def stop(self):
        if self.proc is None:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait(timeout=30)
        self.proc = None
        return rc

    def cleanup(self, keep):
        self.stop()
        if keep:
            print(f"kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


# --- answers -----------------------------------------------------------------------------------

def to_ms(v):
    """A bin(5m) value as opsight or ClickHouse prints it -> epoch ms."""
    s = str(v).strip()
    if s.replace(".", "", 1).isdigit():
        x = float(s)
        return int(x if x > 1e11 else x * 1000)
    s = s.replace(" ", "T").rstrip("Z")
    dt = datetime.datetime.fromisoformat(s).replace(tzinfo=datetime.timezone.utc)
    return int(round(dt.timestamp() * 1000))


def normalize(name, rows):
    """Query rows -> a comparable answer."""
    if name in ("term", "regex"):
        return int(float(rows[0]["n"])) if rows else 0
    if name == "bin_5m":
        return {str(to_ms(r["t"])): int(float(r["n"])) for r in rows}
    if name == "p99_by_service":
        return {r["service"]: float(r["p99"]) for r in rows if r.get("service")}
    if name == "parse_status":
        return {str(r["status"]): int(float(r["n"])) for r in rows if r.get("status")}
    raise ValueError(name)


def check_answer(server, name, got, expected):
    """Problems (strings) of one server's answer against the generator's ground truth."""
    probs = []
    if name == "term":
        want = expected["term"]["count"]
    elif name == "regex":
        want = expected["regex"]["count"]
    elif name == "bin_5m":
        want = expected["bins_5m"]
    elif name == "parse_status":
        want = expected["status_counts"]
    else:
        exp = expected["p99_latency_by_service"]
        for svc, e in exp.items():
            g = got.get(svc)
            lo, hi = sorted((e["nearest_rank"], e["next_rank"]))
            if g is None:
                probs.append(f"{server} {name}: no row for {svc}")
            elif server == "opsight" and g != e["nearest_rank"]:
                probs.append(f"{server} {name}[{svc}] = {g}, nearest rank {e['nearest_rank']}")
            elif not lo <= g <= hi:
                probs.append(f"{server} {name}[{svc}] = {g}, outside [{lo}, {hi}]")
        extra = set(got) - set(exp)
        if extra:
            probs.append(f"{server} {name}: unexpected services {sorted(extra)}")
        return probs
    if got != want:
        if isinstance(want, dict):
            diff = {k: (got.get(k), want.get(k)) for k in sorted(set(got) | set(want))
                    if got.get(k) != want.get(k)}
            probs.append(f"{server} {name}: {len(diff)} keys differ (got, want): "
                         f"{dict(list(diff.items())[:5])}")
        else:
            probs.append(f"{server} {name}: got {got}, want {want}")
    return probs


# --- one server's run ---------------------------------------------------------------------------

def bench_server(srv, wdir, manifest, args):
    name = srv.name
    print(f"[{name}] starting", flush=True)
    srv.start()
    srv.prepare(manifest)
    batches = load_batches(wdir, manifest, args.batch_bytes)
    sender = srv.sender(batches, args.connections)
    pid = srv.pid
    cpu0, wall0 = tl.proc_cpu_seconds(pid), time.monotonic()
    sender.run()
    wall = time.monotonic() - wall0
    cpu1 = tl.proc_cpu_seconds(pid)
    cpu = cpu1 - cpu0
    hwm = tl.proc_status_kb(pid, "VmHWM")
    raw_mb = manifest["raw_bytes"] / 1e6
    print(f"[{name}] ingest: {sender.acked:,} of {manifest['events']:,} events acknowledged in "
          f"{len(batches)} requests, {wall:.1f}s, {cpu:.1f} CPU-s; HTTP {sender.status_counts}; "
          f"{sender.throttled} throttled answers retried {sender.throttled_status}", flush=True)
    for e in sender.first_errors:
        print(f"[{name}]   {e}", flush=True)
    disk = srv.persist(cpu1)
    print(f"[{name}] persisted: {disk['disk_bytes']:,} bytes on disk "
          f"({disk['persist_wall_s']:.1f}s, {disk['persist_cpu_s']:.1f} CPU-s)", flush=True)
    stored = srv.stored_events(manifest)
    res = {
        "events_sent": manifest["events"], "events_acked": sender.acked,
        "events_stored": stored, "requests": len(batches),
        "failed_requests": sender.failed,
        "throttled_responses": sender.throttled,
        "throttled_status_counts": {str(k): v for k, v in sender.throttled_status.items()},
        "http_status_counts": {str(k): v for k, v in sender.status_counts.items()},
        "first_errors": sender.first_errors, "body_bytes_sent": sender.bytes_sent,
        "ingest_wall_s": round(wall, 3), "ingest_cpu_s": round(cpu, 3),
        "lines_per_cpu_s": round(sender.acked / cpu, 1) if cpu > 0 else None,
        "raw_mb_per_cpu_s": round(raw_mb / cpu, 3) if cpu > 0 else None,
        "lines_per_wall_s": round(sender.acked / wall, 1) if wall > 0 else None,
        "peak_rss_ingest_bytes": hwm,
        **disk,
        "disk_per_raw_byte": round(disk["disk_bytes"] / manifest["raw_bytes"], 4),
        "lines_per_cpu_s_with_persist": round(sender.acked / (cpu + disk["persist_cpu_s"]), 1)
        if cpu + disk["persist_cpu_s"] > 0 else None,
        "queries": {},
    }
    answers = {}
    for qname, groups, insights, sql in QUERIES:
        text = insights if name == "opsight" else sql
        times, rows, stats, err = [], None, {}, None
        qcpu0 = tl.proc_cpu_seconds(srv.pid)
        for _ in range(args.repeats):
            t0 = time.monotonic()
            try:
                rows, stats = srv.query(text, groups, manifest)
            except (RuntimeError, OSError, ValueError, KeyError, tl.TestFailure) as e:
                err = str(e)
                break
            times.append(time.monotonic() - t0)
        q = {"query": text, "runs": len(times), "error": err}
        if times:
            # Server CPU per run: less sensitive to the machine's other load than wall time.
            q["server_cpu_ms_per_run"] = round(
                (tl.proc_cpu_seconds(srv.pid) - qcpu0) * 1000 / len(times), 1)
            q.update({"median_ms": median_ms(times), "min_ms": round(min(times) * 1000, 2),
                      "max_ms": round(max(times) * 1000, 2), "statistics": stats,
                      "rows": len(rows)})
            answers[qname] = normalize(qname, rows)
        res["queries"][qname] = q
        print(f"[{name}] {qname}: " + (f"median {q['median_ms']:.1f} ms over {len(times)} runs, "
                                       f"server CPU {q['server_cpu_ms_per_run']:.0f} ms/run"
                                       if times else f"FAILED: {err}"), flush=True)
    res["peak_rss_bytes"] = tl.proc_status_kb(srv.pid, "VmHWM")
    res["exit_code"] = srv.stop()
    return res, answers


# --- raw reference -----------------------------------------------------------------------------

def raw_reference(wdir, manifest, args):
    raw = os.path.join(wdir, manifest["raw_file"])
    out = {"raw_bytes": os.path.getsize(raw)}
    # zstd -19 of 250 MB takes minutes: the sizes are kept beside the workload, keyed by the raw
    # file's size and mtime.
    cache = raw + ".zstd.json"
    key = [out["raw_bytes"], os.stat(raw).st_mtime_ns]
    cached = None
    if os.path.isfile(cache):
        with open(cache) as f:
            cached = json.load(f)
    if cached and cached.get("key") == key and not args.skip_zstd:
        out.update({k: v for k, v in cached.items() if k != "key"})
        print(f"[raw] zstd sizes from {cache}", flush=True)
    elif shutil.which("zstd") and not args.skip_zstd:
        t0 = time.monotonic()
        p = subprocess.run(["zstd", "-19", "-T0", "-q", "-c", raw], stdout=subprocess.PIPE,
                           check=True)
        out["zstd19_bytes"] = len(p.stdout)
        out["zstd19_wall_s"] = round(time.monotonic() - t0, 2)
        p = subprocess.run(["zstd", "-3", "-T0", "-q", "-c", raw], stdout=subprocess.PIPE,
                           check=True)
        out["zstd3_bytes"] = len(p.stdout)
        with open(cache, "w") as f:
            json.dump({"key": key, **{k: out[k] for k in ("zstd19_bytes", "zstd19_wall_s",
                                                            "zstd3_bytes")}}, f)
        print(f"[raw] zstd -19: {out['zstd19_bytes']:,} bytes "
              f"({out['zstd19_bytes'] / out['raw_bytes']:.4f} of raw, "
              f"{out['zstd19_wall_s']:.0f}s); zstd -3: {out['zstd3_bytes']:,}", flush=True)
    env = dict(os.environ, LC_ALL="C")
    for key, argv, want in (
            ("grep_term", ["grep", "-c", "-F", "timeout", raw],
             manifest["expected"]["term"]["count"]),
            ("grep_regex", ["grep", "-c", "-E", "user_[0-9]+7 ", raw],
             manifest["expected"]["regex"]["count"])):
        times, count = [], None
        for _ in range(args.repeats):
            t0 = time.monotonic()
            p = subprocess.run(argv, stdout=subprocess.PIPE, env=env)
            times.append(time.monotonic() - t0)
            count = int(p.stdout.decode().strip() or 0)
        out[key] = {"median_ms": median_ms(times), "count": count, "expected": want}
        print(f"[raw] {' '.join(argv[:-1])}: {count} lines, median {median_ms(times):.1f} ms",
              flush=True)
    return out


# --- report ------------------------------------------------------------------------------------

def ratio(a, b):
    return round(a / b, 3) if a and b else None


def print_table(res):
    o, c = res["servers"].get("opsight", {}), res["servers"].get("clickhouse", {})
    raw = res["raw"]
    z = raw.get("zstd19_bytes")
    rows = [
        ("events acknowledged", o.get("events_acked"), c.get("events_acked"), "{:,.0f}"),
        ("events stored", o.get("events_stored"), c.get("events_stored"), "{:,.0f}"),
        ("ingest wall s", o.get("ingest_wall_s"), c.get("ingest_wall_s"), "{:.1f}"),
        ("ingest CPU s", o.get("ingest_cpu_s"), c.get("ingest_cpu_s"), "{:.1f}"),
        ("lines / CPU-second", o.get("lines_per_cpu_s"), c.get("lines_per_cpu_s"), "{:,.0f}"),
        ("raw MB / CPU-second", o.get("raw_mb_per_cpu_s"), c.get("raw_mb_per_cpu_s"), "{:.2f}"),
        ("persist CPU s", o.get("persist_cpu_s"), c.get("persist_cpu_s"), "{:.1f}"),
        ("lines / CPU-s (+persist)", o.get("lines_per_cpu_s_with_persist"),
         c.get("lines_per_cpu_s_with_persist"), "{:,.0f}"),
        ("bytes on disk", o.get("disk_bytes"), c.get("disk_bytes"), "{:,.0f}"),
        ("disk / raw byte", o.get("disk_per_raw_byte"), c.get("disk_per_raw_byte"), "{:.4f}"),
        ("disk / zstd -19", ratio(o.get("disk_bytes"), z), ratio(c.get("disk_bytes"), z),
         "{:.3f}"),
        ("peak RSS MiB", (o.get("peak_rss_bytes") or 0) / 2**20 or None,
         (c.get("peak_rss_bytes") or 0) / 2**20 or None, "{:,.0f}"),
    ]
    for qname, *_ in QUERIES:
        rows.append((f"{qname} median ms", o.get("queries", {}).get(qname, {}).get("median_ms"),
                     c.get("queries", {}).get(qname, {}).get("median_ms"), "{:.1f}"))
    for qname, *_ in QUERIES:
        rows.append((f"{qname} server CPU ms",
                     o.get("queries", {}).get(qname, {}).get("server_cpu_ms_per_run"),
                     c.get("queries", {}).get(qname, {}).get("server_cpu_ms_per_run"), "{:.0f}"))

    def fmt(v, f):
        return "-" if v is None else f.format(v)
    print()
    print(f"{'':26} {'opsight':>16} {'clickhouse':>16} {'opsight/ch':>11}")
    for label, ov, cv, f in rows:
        r = ratio(ov, cv) if isinstance(ov, (int, float)) and isinstance(cv, (int, float)) \
            else None
        print(f"{label:26} {fmt(ov, f):>16} {fmt(cv, f):>16} {('%.3f' % r) if r else '-':>11}")
    print(f"raw: {raw['raw_bytes']:,} bytes; zstd -19 {fmt(z, '{:,}')} bytes; grep -c term "
          f"{raw['grep_term']['median_ms']:.1f} ms, grep -cE regex "
          f"{raw['grep_regex']['median_ms']:.1f} ms")
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hours", type=float, default=2.0)
    ap.add_argument("--hosts", type=int, default=5)
    ap.add_argument("--workload-dir", help="reuse a directory written by log_workload_gen.py")
    ap.add_argument("--connections", type=int, default=4, help="connections per server")
    ap.add_argument("--batch-bytes", type=int, default=4 << 20, help="request body size")
    ap.add_argument("--repeats", type=int, default=5, help="runs of each query (median)")
    ap.add_argument("--servers", default="opsight,clickhouse",
                    help="comma-separated subset of opsight,clickhouse")
    ap.add_argument("--opsight-bin", default=os.environ.get("OPSIGHT_BIN") or
                    os.path.join(ROOT, "build-bench", "src", "opsight"))
    ap.add_argument("--clickhouse-bin", default="/usr/sbin/clickhouse-server")
    ap.add_argument("--clickhouse-compression", choices=("zstd", "lz4"), default="zstd")
    ap.add_argument("--clickhouse-zstd-level", type=int, default=0,
                    help="0 = ClickHouse's default level")
    ap.add_argument("--skip-zstd", action="store_true", help="skip the zstd -19 reference")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out"))
    ap.add_argument("--keep", action="store_true",
                    help="keep the workload and the servers' data directories")
    args = ap.parse_args()
    servers = [s for s in args.servers.split(",") if s]
    for s in servers:
        if s not in ("opsight", "clickhouse"):
            ap.error(f"unknown server {s}")

    work = tempfile.mkdtemp(prefix="opsight-logbench-")
    wdir = args.workload_dir
    try:
        if wdir is None:
            wdir = os.path.join(work, "workload")
            cmd = [sys.executable, os.path.join(HERE, "log_workload_gen.py"), "--out", wdir,
                   "--lines", str(args.lines), "--seed", str(args.seed), "--hours",
                   str(args.hours), "--hosts", str(args.hosts)]
            print("generating: " + " ".join(cmd), flush=True)
            subprocess.run(cmd, check=True)
        with open(os.path.join(wdir, "manifest.json")) as f:
            manifest = json.load(f)
        now_ms = time.time() * 1000
        if manifest["end_ms"] > now_ms + 3_600_000:
            tl.fail("the workload ends more than an hour in the future; regenerate")

        res = {
            "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "host": {"cpus": os.cpu_count(), "kernel": platform.release(),
                     "python": platform.python_version()},
            "workload": {k: manifest[k] for k in ("generator", "seed", "lines", "hours", "hosts",
                                                  "start_ms", "end_ms", "events",
                                                  "multiline_events", "raw_bytes",
                                                  "ndjson_bytes")},
            "streams": len(manifest["streams"]),
            "connections": args.connections, "batch_bytes": args.batch_bytes,
            "repeats": args.repeats,
            "clickhouse_compression": args.clickhouse_compression +
            (f"({args.clickhouse_zstd_level})" if args.clickhouse_zstd_level else ""),
            "servers": {},
        }
        res["raw"] = raw_reference(wdir, manifest, args)
        answers = {}
        for name in servers:
            srv = OpsightLogs(args.opsight_bin) if name == "opsight" else ClickHouseLogs(
                args.clickhouse_bin, args.clickhouse_compression, args.clickhouse_zstd_level)
            try:
                res["servers"][name], answers[name] = bench_server(srv, wdir, manifest, args)
                if name == "clickhouse":
                    res["clickhouse_version"] = srv.version
            finally:
                srv.cleanup(keep=args.keep)

        problems = []
        exp = manifest["expected"]
        for name, r in res["servers"].items():
            if r["events_acked"] != manifest["events"]:
                problems.append(f"{name}: acknowledged {r['events_acked']} of "
                                f"{manifest['events']} events")
            if r["events_stored"] != manifest["events"]:
                problems.append(f"{name}: stores {r['events_stored']} of "
                                f"{manifest['events']} events")
            if r["exit_code"] != 0:
                problems.append(f"{name}: exit code {r['exit_code']} after SIGTERM")
            for qname, *_ in QUERIES:
                if qname not in answers[name]:
                    problems.append(f"{name} {qname}: {r['queries'][qname]['error']}")
                    continue
                problems += check_answer(name, qname, answers[name][qname], exp)
        for key in ("grep_term", "grep_regex"):
            g = res["raw"][key]
            if g["count"] != g["expected"]:
                problems.append(f"{key}: {g['count']} lines, expected {g['expected']}")
        o, c = res["servers"].get("opsight"), res["servers"].get("clickhouse")
        if o and c:
            res["ratios_opsight_over_clickhouse"] = {
                "lines_per_cpu_s": ratio(o["lines_per_cpu_s"], c["lines_per_cpu_s"]),
                "disk_bytes": ratio(o["disk_bytes"], c["disk_bytes"]),
                **{f"{q}_median_ms": ratio(o["queries"][q].get("median_ms"),
                                           c["queries"][q].get("median_ms"))
                   for q, *_ in QUERIES},
            }
        res["answers"] = answers
        res["correctness"] = {"problems": problems}
        print_table(res)
        os.makedirs(args.out, exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = os.path.join(args.out, f"logs-vs-clickhouse-{stamp}.json")
        with open(out, "w") as f:
            json.dump(res, f, indent=2)
            f.write("\n")
        print(f"wrote {out}")
        if problems:
            print("PROBLEMS:\n  " + "\n  ".join(problems), file=sys.stderr)
            return 1
        print("correctness: every answer equals the generator's ground truth")
        return 0
    except tl.TestFailure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    finally:
        if args.keep and args.workload_dir is None:
            print(f"kept workload {wdir}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
