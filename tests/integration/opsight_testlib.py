"""Shared helpers for opsight's integration tests and the end-to-end benchmark (stdlib only).

- Finding the binary: $OPSIGHT_BIN (set by ctest), else the usual build directories.
- OpsightServer: starts `opsight serve` on a free 127.0.0.1 port and a temp data dir, waits for
  /readyz with a bounded loop, stops it with SIGTERM (or SIGKILL), keeps its log for failures.
- HTTP helpers over urllib / http.client that return (status, body) instead of raising on 4xx/5xx.
- VictoriaMetrics JSON-lines import/export helpers and an export parser that detects duplicates.
- "Snappy-less" remote write: a WriteRequest protobuf encoder and a snappy *block* encoder that
  emits literals only (a valid snappy stream per google/snappy format_description.txt, just not
  compressed), so a test can POST remote write without a snappy library.
- /proc readers (CPU seconds, peak RSS) for the benchmark.

Every wait is bounded; nothing listens on anything but 127.0.0.1.
"""

import contextlib
import datetime
import hashlib
import hmac
import http.client
import json
import math
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

READY_TIMEOUT_S = 60.0


class TestFailure(Exception):
    """A check failed; the message says which and why."""


def fail(msg):
    raise TestFailure(msg)


def log(msg):
    print(msg, flush=True)


def free_port():
    """A TCP port that was free a moment ago (bind to port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout_s, interval_s=0.05, what="condition"):
    """Polls pred() until it returns a truthy value (returned) or timeout_s passes (TestFailure)."""
    deadline = time.monotonic() + timeout_s
    last_exc = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except (OSError, http.client.HTTPException) as e:
            last_exc = e
        if time.monotonic() >= deadline:
            extra = f" (last error: {last_exc})" if last_exc else ""
            fail(f"timed out after {timeout_s:.0f}s waiting for {what}{extra}")
        time.sleep(interval_s)


def find_opsight_bin():
    env = os.environ.get("OPSIGHT_BIN")
    if env:
        return env
    root = os.environ.get("OPSIGHT_SOURCE_DIR") or os.path.abspath(
        os.path.join(os.path.dirname(__file__), "..", ".."))
    for d in ("build/test", "build/release", "build-bench", "build-test-bench"):
        p = os.path.join(root, d, "src", "opsight")
        if os.access(p, os.X_OK):
            return p
    fail("opsight binary not found: set OPSIGHT_BIN")


# --- HTTP -----------------------------------------------------------------------------------

def http_request(method, url, body=None, headers=None, timeout=30.0):
    """Returns (status, body bytes). 4xx/5xx are returned, not raised; connection errors raise
    OSError (URLError is an OSError)."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def http_get(url, timeout=30.0):
    return http_request("GET", url, timeout=timeout)


def get_json(url, timeout=30.0):
    status, body = http_get(url, timeout=timeout)
    if status != 200:
        fail(f"GET {url}: HTTP {status}: {body[:500]!r}")
    return json.loads(body)


class KeepAliveClient:
    """One persistent HTTP/1.1 connection (http.client), reconnecting after errors. Used by the
    benchmark, where a new connection per request would measure connection setup."""

    def __init__(self, host, port, timeout=60.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            resp = self.conn.getresponse()
            data = resp.read()
            if resp.getheader("Connection", "").lower() == "close":
                self.close()
            return resp.status, data
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# --- the opsight server ------------------------------------------------------------------------

class OpsightServer:
    """`opsight serve` on 127.0.0.1:<free port> with a data directory (a new temp dir unless
    given). Not thread-safe: one controlling thread starts and stops it."""

    def __init__(self, binary=None, data_dir=None, extra_args=(), log_name="opsight.log"):
        self.binary = binary or find_opsight_bin()
        self.owns_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="opsight-it-")
        self.work_dir = tempfile.mkdtemp(prefix="opsight-it-log-")
        self.log_path = os.path.join(self.work_dir, log_name)
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.starts = 0

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self, wait=True, timeout_s=READY_TIMEOUT_S):
        if self.proc is not None:
            fail("OpsightServer.start: already running")
        self.port = free_port()
        cmd = [self.binary, "serve", "--data-dir", self.data_dir,
               "--http-listen", f"127.0.0.1:{self.port}"] + self.extra_args
        logf = open(self.log_path, "ab")
        logf.write(f"\n=== start #{self.starts}: {' '.join(cmd)}\n".encode())
        logf.flush()
        self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        logf.close()
        self.starts += 1
        if wait:
            self.wait_ready(timeout_s)
        return self

    def wait_ready(self, timeout_s=READY_TIMEOUT_S):
        def ready():
            if self.proc.poll() is not None:
                fail(f"opsight exited with code {self.proc.returncode} during start-up\n"
                     + self.log_tail())
            status, _ = http_get(self.base + "/readyz", timeout=2.0)
            return status == 200
        wait_until(ready, timeout_s, what=f"opsight /readyz on port {self.port}")

    def kill9(self):
        """SIGKILL and reap. Returns immediately after the process is gone."""
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.proc = None

    def stop(self, timeout_s=60.0):
        """SIGTERM and wait; returns the exit code (fails if it does not exit in time)."""
        if self.proc is None:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
            self.proc = None
            fail(f"opsight did not exit within {timeout_s:.0f}s of SIGTERM\n" + self.log_tail())
        self.proc = None
        return rc

    def log_tail(self, n=60):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
        except OSError:
            return ""
        return "--- opsight log (tail) ---\n" + "\n".join(lines[-n:])

    def cleanup(self, keep=False):
        if self.proc is not None:
            self.kill9()
        if keep:
            log(f"kept data dir {self.data_dir} and log {self.log_path}")
            return
        if self.owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        shutil.rmtree(self.work_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.cleanup(keep=exc_type is not None and bool(os.environ.get("OPSIGHT_KEEP")))
        return False




def logs_insights(base, query, groups, start_s, end_s):
    """Runs a Logs Insights query (POST /api/v1/logs/query, then polls) and returns (rows as
    {field: value} dicts, statistics); fails unless it completes."""
    status, body = http_request("POST", base + "/api/v1/logs/query?" + urllib.parse.urlencode(
        {"query": query, "group": groups, "start": str(start_s), "end": str(end_s)}, doseq=True))
    if status != 200:
        fail(f"logs query {query!r}: HTTP {status}: {body[:300]!r}")
    qid = json.loads(body)["queryId"]
    for _ in range(60):
        res = get_json(base + f"/api/v1/logs/query/{qid}?wait=5")
        if res["status"] not in ("Scheduled", "Running"):
            break
    if res["status"] != "Complete":
        fail(f"query {query!r} ended {res['status']}: {res.get('error')}")
    return [{c["field"]: c["value"] for c in row} for row in res["results"]], res["statistics"]

# --- Debian's prometheus, started for real on 127.0.0.1 ---------------------------------------

def find_prometheus():
    """The prometheus binary to test against (OPSIGHT_PROMETHEUS_BIN for another build), or
    None; under CI (env CI set) a missing prometheus fails instead."""
    env = os.environ.get("OPSIGHT_PROMETHEUS_BIN")
    path = None
    if env:
        path = env if os.access(env, os.X_OK) else None
    elif os.access("/usr/bin/prometheus", os.X_OK):
        path = "/usr/bin/prometheus"
    else:
        path = shutil.which("prometheus")
    if path is None and os.environ.get("CI"):
        fail("prometheus is not installed (required under CI; scripts/install-deps.sh test)")
    return path


class PrometheusServer:
    """A prometheus process on its own temp dir and a free 127.0.0.1 port, configured with
    `config` (prometheus.yml text, or a function of the port that returns it) and extra
    command-line flags."""

    def __init__(self, binary, config, extra_args=(), prefix="opsight-it-prom-"):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.port = free_port()
        self.log_path = os.path.join(self.dir, "prometheus.log")
        self.config_path = os.path.join(self.dir, "prometheus.yml")
        with open(self.config_path, "w") as f:
            f.write(config(self.port) if callable(config) else config)
        self.extra_args = list(extra_args)
        self.proc = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        cmd = [self.binary, f"--config.file={self.config_path}",
               f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
               f"--web.listen-address=127.0.0.1:{self.port}"] + self.extra_args
        with open(self.log_path, "ab") as logf:
            self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.dir)

        def ready():
            if self.proc.poll() is not None:
                fail(f"prometheus exited with code {self.proc.returncode}\n" + self.log_tail())
            return http_get(self.base + "/-/ready", timeout=2.0)[0] == 200
        wait_until(ready, 60, what="prometheus /-/ready")

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self.proc = None

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
        except OSError:
            return ""
        return "--- prometheus log (tail) ---\n" + "\n".join(lines[-n:])

    def cleanup(self, keep=False):
        self.stop()
        if keep:
            log(f"kept prometheus dir {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

# --- writer threads that stop while the server is killed --------------------------------

class Pause:
    """Lets the main thread stop all workers between a kill and the end of the next check."""

    def __init__(self, workers):
        self.cond = threading.Condition()
        self.running = False
        self.parked = 0
        self.workers = workers
        self.stop = False

    def checkpoint(self):
        """Called by a worker between requests; blocks while paused. False when stopping."""
        with self.cond:
            if self.running and not self.stop:
                return True
            self.parked += 1
            self.cond.notify_all()
            while not self.running and not self.stop:
                self.cond.wait(timeout=1.0)
            self.parked -= 1
            return not self.stop

    def pause_and_wait(self, timeout_s):
        with self.cond:
            self.running = False
            if self.stop:
                return
            deadline = time.monotonic() + timeout_s
            while self.parked < self.workers and not self.stop:
                left = deadline - time.monotonic()
                if left <= 0:
                    fail(f"only {self.parked}/{self.workers} workers paused within "
                            f"{timeout_s:.0f}s (a request hung?)")
                self.cond.wait(timeout=left)

    def resume(self):
        with self.cond:
            self.running = True
            self.cond.notify_all()

    def finish(self):
        with self.cond:
            self.stop = True
            self.cond.notify_all()


def kill_cycles(server, pause, rng, kills, acked, errors, check, *, deadline, request_timeout_s,
                before_kill=None):
    """SIGKILLs `server` `kills` times at seeded random moments while the workers behind `pause`
    write: each time after at least one more write was acknowledged (acked() grew), then
    before_kill(i) (default: a random 0.05-1.5 s), kill, park the workers, restart, check(i),
    resume. Stops early when `errors` (a list the workers append to) is not empty. `deadline` is
    a time.monotonic() value by which the cycles must be done."""
    for i in range(kills):
        if time.monotonic() > deadline:
            fail(f"time budget exhausted after {i} of {kills} kills")
        before = acked()
        wait_until(lambda: acked() > before or errors, 30.0, interval_s=0.01,
                   what="a write to be acknowledged after restart")
        if errors:
            return
        if before_kill is not None:
            before_kill(i)
        else:
            time.sleep(rng.uniform(0.05, 1.5))
        server.kill9()
        pause.pause_and_wait(request_timeout_s + 15)
        server.start()
        if errors:
            return
        check(i)
        pause.resume()



def kill9_scenario(server, pause, threads, rng, kills, acked, errors, check, *, deadline,
                   request_timeout_s, before_kill=None):
    """The whole kill -9 scenario shared by the durability tests, on a started `server` whose
    worker `threads` (not yet started) park behind `pause`: kill_cycles (check(i, final=False)
    after restart i), then one last kill while writing, a restart and check(None, final=True),
    the workers stopped, a clean SIGTERM (must exit 0), a restart and check(None, final=True)
    again. Returns what the first final check returned (the count of acknowledged items)."""
    pause.resume()
    for t in threads:
        t.start()
    kill_cycles(server, pause, rng, kills, acked, errors, lambda i: check(i, final=False),
                deadline=deadline, request_timeout_s=request_timeout_s, before_kill=before_kill)
    if errors:
        fail("request rejected:\n  " + "\n  ".join(errors[:10]))
    time.sleep(rng.uniform(0.05, 0.5))
    server.kill9()
    pause.pause_and_wait(request_timeout_s + 15)
    server.start()
    count = check(None, final=True)
    pause.finish()
    for t in threads:
        t.join(timeout=request_timeout_s + 5)
    rc = server.stop()
    if rc != 0:
        fail(f"opsight exited with code {rc} after SIGTERM\n" + server.log_tail())
    server.start()
    check(None, final=True)
    server.stop()
    return count

# --- VictoriaMetrics JSON lines ---------------------------------------------------------------

def import_line(metric, timestamps, values):
    """One /api/v1/import line. `metric` is a dict with "__name__"; floats are written with
    repr() so they round-trip exactly."""
    return json.dumps({"metric": metric, "values": list(values),
                       "timestamps": list(timestamps)}, allow_nan=False,
                      separators=(",", ":"))


def series_key(metric):
    return tuple(sorted(metric.items()))


def parse_export(body):
    """Parses /api/v1/export JSON lines into {series_key: [(t, v), ...]} (lines of one series
    merged, samples sorted). Duplicate (series, timestamp) pairs are reported in the second
    return value as a list of (series_key, t)."""
    series = {}
    dups = []
    for n, line in enumerate(body.decode().splitlines()):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            metric, ts, vs = obj["metric"], obj["timestamps"], obj["values"]
        except (ValueError, KeyError, TypeError) as e:
            fail(f"export line {n + 1} is not a valid JSON line ({e}): {line[:300]}")
        if len(ts) != len(vs):
            fail(f"export line {n + 1}: {len(ts)} timestamps but {len(vs)} values")
        key = series_key(metric)
        series.setdefault(key, []).extend(zip(ts, (parse_value(v) for v in vs)))
    for key, samples in series.items():
        samples.sort(key=lambda s: s[0])
        for a, b in zip(samples, samples[1:]):
            if a[0] == b[0]:
                dups.append((key, a[0]))
    return series, dups


def parse_value(v):
    """Export values are JSON numbers; NaN/Inf may come as strings or null."""
    if v is None:
        return math.nan
    if isinstance(v, str):
        return float(v)
    return float(v)


def export(base, match, start=None, end=None, timeout=60.0):
    q = [("match[]", m) for m in ([match] if isinstance(match, str) else match)]
    if start is not None:
        q.append(("start", str(start)))
    if end is not None:
        q.append(("end", str(end)))
    url = base + "/api/v1/export?" + urllib.parse.urlencode(q)
    status, body = http_get(url, timeout=timeout)
    if status != 200:
        fail(f"GET {url}: HTTP {status}: {body[:500]!r}")
    return parse_export(body)


def format_series(key):
    d = dict(key)
    name = d.pop("__name__", "")
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(d.items())) + "}"


def selector(metric):
    """A PromQL selector matching exactly the label set `metric` (a dict)."""
    d = dict(metric)
    name = d.pop("__name__", "")
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(d.items()))
    return name + "{" + inner + "}"


def _escape(v):
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


# --- snappy-less remote write -----------------------------------------------------------------

def _varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _field(num, wire_type, payload):
    tag = _varint((num << 3) | wire_type)
    if wire_type == 2:
        return tag + _varint(len(payload)) + payload
    return tag + payload


def encode_write_request(series):
    """prompb.WriteRequest (remote write 1.0) from [(labels dict, [(t_ms, value), ...]), ...].
    Labels are sent sorted by name, as the spec requires."""
    out = bytearray()
    for labels, samples in series:
        ts = bytearray()
        for name, value in sorted(labels.items()):
            ts += _field(1, 2, _field(1, 2, name.encode()) + _field(2, 2, value.encode()))
        for t, v in samples:
            s = _field(1, 1, struct.pack("<d", v)) + _field(2, 0, _varint(t))
            ts += _field(2, 2, s)
        out += _field(1, 2, bytes(ts))
    return bytes(out)


def snappy_literal_block(data):
    """A snappy block (not framed) holding `data` as literal elements only."""
    out = bytearray(_varint(len(data)))
    pos = 0
    while pos < len(data):
        chunk = data[pos:pos + 65536]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        elif n < 1 << 8:
            out.append(60 << 2)
            out += n.to_bytes(1, "little")
        elif n < 1 << 16:
            out.append(61 << 2)
            out += n.to_bytes(2, "little")
        else:
            out.append(62 << 2)
            out += n.to_bytes(3, "little")
        out += chunk
        pos += len(chunk)
    return bytes(out)


REMOTE_WRITE_HEADERS = {
    "Content-Type": "application/x-protobuf",
    "Content-Encoding": "snappy",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
}


def remote_write(base, series, timeout=30.0):
    body = snappy_literal_block(encode_write_request(series))
    return http_request("POST", base + "/api/v1/write", body, REMOTE_WRITE_HEADERS, timeout)


# --- /proc ------------------------------------------------------------------------------------

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu_seconds(pid):
    """utime + stime of a process in seconds (/proc/<pid>/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def proc_status_kb(pid, key):
    """A "kB" field of /proc/<pid>/status, e.g. VmHWM (peak RSS) or VmRSS, in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    fail(f"/proc/{pid}/status has no {key}")


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def main_wrapper(fn):
    """Runs fn() and turns a TestFailure into a message and exit code 1."""
    try:
        fn()
    except TestFailure as e:
        print(f"FAIL: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
    sys.exit(0)


# --- AWS clients signed with opsight's own access keys (docs/auth.md) ---------------------------
# The AWS front end tests start the server with SigV4 required and create a key with the real
# `opsight keys create`, as a user would; Debian's AWS CLI and boto3 (never pyenv's) sign with it.
AWS_CLI = "/usr/bin/aws"
DEBIAN_PYTHON = "/usr/bin/python3"
AWS_REGION = "us-east-1"
TEST_ACCOUNT = "123456789012"
SIGV4_SERVE_ARGS = ("--auth", "sigv4", "--region", AWS_REGION)


def opsight_keys(srv, *args):
    """Runs `opsight keys <args>` on the server's data directory; returns its stdout."""
    p = subprocess.run([srv.binary, "keys", *args, "--data-dir", srv.data_dir],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        fail(f"opsight keys {' '.join(args)}: exit {p.returncode}: {p.stderr}")
    return p.stdout


def create_access_key(srv, account=TEST_ACCOUNT, description="integration test"):
    """A new key of `account`: {"AccessKeyId", "SecretAccessKey", ...}."""
    out = opsight_keys(srv, "create", "--account", account, "--description", description,
                       "--json")
    return json.loads(out)["AccessKey"]


def aws_client_env(key, base=None, region=AWS_REGION):
    """The environment an AWS CLI / SDK process runs with: the key's credentials, no config or
    credential files, no instance metadata, no pager or retries (and OPSIGHT_ENDPOINT = base
    when given)."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key["AccessKeyId"],
               AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"], AWS_DEFAULT_REGION=region,
               AWS_REGION=region, AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="", AWS_MAX_ATTEMPTS="1")
    for name in ("AWS_DATA_PATH", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    if base is not None:
        env["OPSIGHT_ENDPOINT"] = base
    return env


def sigv4_headers(key, method, url, body=b"", headers=None, service="monitoring",
                  region=AWS_REGION, when=None, secret=None):
    """`headers` plus host, x-amz-date and a header-form SigV4 Authorization (AWS Signature
    Version 4 documentation: canonical request, string to sign, derived signing key), signing
    every given header. For what real clients will not send: raw protocol checks and refusals
    (`when` in the past, a wrong `secret`)."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    parts = urllib.parse.urlsplit(url)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    signed_headers = {k.lower(): str(v).strip() for k, v in (headers or {}).items()}
    signed_headers.update({"host": parts.netloc, "x-amz-date": amz_date})
    names = sorted(signed_headers)
    # Canonical query: every name and value URI-encoded (unreserved characters kept), sorted. A
    # "+" in the URL is a literal plus (as the server reads it), not a form-encoded space.
    pairs = [tuple(urllib.parse.unquote(x) for x in (p.split("=", 1) + [""])[:2])
             for p in parts.query.split("&") if p]
    query = "&".join(f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
                     for k, v in sorted(pairs))
    canonical = "\n".join([method, parts.path or "/", query,
                           "".join(f"{k}:{signed_headers[k]}\n" for k in names),
                           ";".join(names), hashlib.sha256(body).hexdigest()])
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + (secret if secret is not None else key["SecretAccessKey"])).encode()
    for part in (day, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    signed_headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={key['AccessKeyId']}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}")
    return signed_headers


def signed_request(key, method, url, body=None, headers=None, service="monitoring"):
    """http_request() signed with `key` (sigv4_headers); returns (status, body bytes)."""
    return http_request(method, url, body, sigv4_headers(key, method, url, body or b"", headers,
                                                         service))


def signed_get_json(key, url, service="monitoring"):
    """GET signed with `key`; the parsed JSON body (fails the test on a non-200 answer)."""
    status, body = signed_request(key, "GET", url, service=service)
    if status != 200:
        fail(f"GET {url}: HTTP {status}: {body[:300]!r}")
    return json.loads(body)


class AwsCli:
    """Debian's AWS CLI for one service ("cloudwatch", "logs", "xray") against `endpoint`, run with
    `env` (aws_client_env) and JSON output."""

    def __init__(self, service, endpoint, env, timeout_s=120):
        self.service = service
        self.endpoint = endpoint
        self.env = env
        self.timeout_s = timeout_s

    def run(self, *args):
        """(exit code, parsed JSON stdout or None, stderr)."""
        cmd = [AWS_CLI, "--endpoint-url", self.endpoint, "--output", "json", self.service, *args]
        p = subprocess.run(cmd, env=self.env, capture_output=True, text=True,
                           timeout=self.timeout_s)
        out = json.loads(p.stdout) if p.stdout.strip() else None
        return p.returncode, out, p.stderr

    def ok(self, *args):
        """The parsed answer of a call that must succeed ({} when it prints nothing)."""
        rc, out, err = self.run(*args)
        if rc != 0:
            fail(f"aws {self.service} {' '.join(args)}: exit {rc}: {err.strip()}")
        return out or {}

    def error(self, *args):
        """The stderr of a call that must fail."""
        rc, _, err = self.run(*args)
        if rc == 0:
            fail(f"aws {self.service} {' '.join(args)} succeeded but should have failed")
        return err
