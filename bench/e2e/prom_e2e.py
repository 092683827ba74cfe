"""Shared parts of the end-to-end benchmarks against Prometheus 2.42 (run_vs_prometheus.py,
run_promql_vs_prometheus.py): generating the node-exporter-like remote-write request files with
opsight_e2e_gen (bench/e2e/node_exporter_gen.h), sending them to a server the way Prometheus's
queue manager would (Sender), and the two servers (PrometheusServer, OpsightBenchServer), each on
its own temp dir and a free 127.0.0.1 port.

Stdlib only. See docs/benchmarks.md.
"""

import json
import os
import shutil
import signal
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

RW_HEADERS = dict(tl.REMOTE_WRITE_HEADERS)


# --- sending -----------------------------------------------------------------------------------

class Sender:
    """Sends every request file of the manifest to one server: one thread and one keep-alive
    connection per shard; a shard does not run more than `skew_ms` of data ahead of the slowest
    unfinished shard (Prometheus's head only accepts samples within an hour of its newest)."""

    def __init__(self, port, req_dir, manifest, skew_ms, path="/api/v1/write"):
        self.port, self.req_dir, self.manifest, self.skew_ms = port, req_dir, manifest, skew_ms
        self.path = path
        self.cond = threading.Condition()
        shards = manifest["shards"]
        self.next_t = [s[0]["min_t"] if s else None for s in shards]  # None: finished
        self.acked_samples = 0
        self.rejected_requests = 0
        self.failed_requests = 0
        self.status_counts = {}
        self.first_errors = []
        self.bytes_sent = 0
        self.abort = False

    def _wait_turn(self, k, t):
        with self.cond:
            while not self.abort:
                others = [x for i, x in enumerate(self.next_t) if x is not None and i != k]
                if not others or t <= min(others) + self.skew_ms:
                    return True
                self.cond.wait(timeout=1.0)
            return False

    def _advance(self, k, t):
        with self.cond:
            self.next_t[k] = t
            self.cond.notify_all()

    def _run_shard(self, k):
        client = tl.KeepAliveClient("127.0.0.1", self.port, timeout=120)
        files = self.manifest["shards"][k]
        try:
            for i, f in enumerate(files):
                if not self._wait_turn(k, f["min_t"]):
                    return
                with open(os.path.join(self.req_dir, f["name"]), "rb") as fh:
                    body = fh.read()
                status, resp = None, b""
                for attempt in range(3):  # reconnect on a dropped keep-alive connection
                    try:
                        status, resp = client.request("POST", self.path, body, RW_HEADERS)
                        break
                    except OSError as e:
                        resp = str(e).encode()
                with self.cond:
                    self.bytes_sent += len(body)
                    self.status_counts[status] = self.status_counts.get(status, 0) + 1
                    if status is not None and 200 <= status < 300:
                        self.acked_samples += f["samples"]
                    else:
                        if status is None:
                            self.failed_requests += 1
                        else:
                            self.rejected_requests += 1
                        if len(self.first_errors) < 5:
                            self.first_errors.append(f"{f['name']}: HTTP {status}: {resp[:300]!r}")
                nxt = files[i + 1]["min_t"] if i + 1 < len(files) else None
                self._advance(k, nxt)
        finally:
            client.close()
            self._advance(k, None)

    def run(self):
        threads = [threading.Thread(target=self._run_shard, args=(k,), daemon=True)
                   for k in range(len(self.manifest["shards"]))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


# --- servers -----------------------------------------------------------------------------------

class PrometheusServer:
    def __init__(self, binary):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="opsight-bench-prom-")
        self.tsdb = os.path.join(self.dir, "data")
        self.port = None
        self.proc = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self):
        return self.proc.pid

    def start(self):
        self.port = tl.free_port()
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 15s\n")  # scrapes nothing
        cmd = [self.binary, f"--config.file={cfg}", f"--storage.tsdb.path={self.tsdb}",
               f"--web.listen-address=127.0.0.1:{self.port}",
               "--web.enable-remote-write-receiver", "--web.enable-admin-api",
               "--storage.tsdb.retention.time=30d"]
        with open(os.path.join(self.dir, "prometheus.log"), "ab") as logf:
            self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.dir)

        def ready():
            if self.proc.poll() is not None:
                tl.fail(f"prometheus exited with code {self.proc.returncode}")
            return tl.http_get(self.base + "/-/ready", timeout=2.0)[0] == 200
        tl.wait_until(ready, 60, what="prometheus /-/ready")

    def persist(self):
        """Snapshot (head included) -> (bytes of chunks/ + index, samples, blocks)."""
        status, body = tl.http_request("POST", self.base + "/api/v1/admin/tsdb/snapshot", b"",
                                       timeout=600)
        if status != 200:
            tl.fail(f"prometheus snapshot: HTTP {status}: {body[:300]!r}")
        snap = os.path.join(self.tsdb, "snapshots", json.loads(body)["data"]["name"])
        size = samples = blocks = 0
        for block in sorted(os.listdir(snap)):
            bdir = os.path.join(snap, block)
            meta = os.path.join(bdir, "meta.json")
            if not os.path.isfile(meta):
                continue
            with open(meta) as f:
                samples += json.load(f)["stats"]["numSamples"]
            blocks += 1
            size += tl.dir_bytes(os.path.join(bdir, "chunks"))
            size += os.path.getsize(os.path.join(bdir, "index"))
        return {"bytes": size, "samples": samples, "blocks": blocks,
                "data_dir_bytes": tl.dir_bytes(self.tsdb) - tl.dir_bytes(snap)}

    def raw_samples(self, metric, start_ms, end_ms):
        rng_s = (end_ms - start_ms) // 1000 + 60
        q = urllib.parse.urlencode({"query": f"{tl.selector(metric)}[{rng_s}s]",
                                    "time": f"{end_ms / 1000:.3f}"})
        resp = tl.get_json(self.base + "/api/v1/query?" + q, timeout=120)
        out = {}
        for s in resp["data"]["result"]:
            out[tl.series_key(s["metric"])] = [(round(float(t) * 1000), float(v))
                                                for t, v in s["values"]]
        return out

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


class OpsightBenchServer:
    def __init__(self, binary):
        self.srv = tl.OpsightServer(binary=binary, log_name="opsight-bench.log")

    @property
    def base(self):
        return self.srv.base

    @property
    def port(self):
        return self.srv.port

    @property
    def pid(self):
        return self.srv.pid

    def start(self):
        self.srv.start()

    def persist(self):
        status, body = tl.http_request("POST", self.base + "/api/v1/admin/compact", b"",
                                       timeout=1800)
        if status != 200:
            tl.fail(f"opsight compact: HTTP {status}: {body[:300]!r}")
        st = json.loads(body)
        return {"bytes": st["block_bytes"], "samples": st["block_samples"],
                "blocks": st["blocks"], "series": st.get("series"),
                "data_dir_bytes": tl.dir_bytes(self.srv.data_dir)}

    def raw_samples(self, metric, start_ms, end_ms):
        got, dups = tl.export(self.base, tl.selector(metric), start=start_ms, end=end_ms,
                              timeout=120)
        if dups:
            tl.fail(f"opsight exported duplicates for {tl.selector(metric)}: {dups[:3]}")
        return got

    def stop(self):
        return self.srv.stop(timeout_s=300)

    def cleanup(self, keep):
        self.srv.cleanup(keep=keep)


# --- request files ------------------------------------------------------------------------------

def generate_requests(gen_bin, out_dir, series, hours, seed, shards, max_samples_per_send):
    """Runs opsight_e2e_gen into out_dir and returns its manifest."""
    cmd = [gen_bin, "--out", out_dir, "--series", str(series), "--hours", str(hours), "--seed",
           str(seed), "--shards", str(shards), "--max-samples-per-send",
           str(max_samples_per_send)]
    print("generating: " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    return load_manifest(out_dir)


def load_manifest(req_dir):
    """The manifest of a request directory; fails when its data is too old or too far in the
    future for both servers (opsight accepts 14 days back, Prometheus's head what it holds)."""
    with open(os.path.join(req_dir, "manifest.json")) as f:
        manifest = json.load(f)
    now_ms = time.time() * 1000
    if manifest["end_ms"] > now_ms + 3_600_000 or manifest["start_ms"] < now_ms - 10 * 86_400_000:
        tl.fail("request files are too old or in the future for both servers; regenerate")
    return manifest
