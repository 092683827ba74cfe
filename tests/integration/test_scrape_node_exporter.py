#!/usr/bin/env python3
"""opsight scrapes Debian's real prometheus-node-exporter, and accepts Pushgateway-style pushes.

Scrape part: starts /usr/bin/prometheus-node-exporter on 127.0.0.1:<free port> (a few
collectors, so a scrape is fast even on a busy machine) and opsight with a scrape config: 1 s
interval, a relabel_config that adds a label to the target, a metric_relabel_config that drops
the node_cpu_seconds_total family. Within bounded waits: up == 1, node_* series carrying the
added label, the scrape_* report series, the dropped family absent (while the exporter does
expose it), /api/v1/targets healthy. Then the exporter is killed: up must become 0 and the
node_* series stale (an instant query no longer returns them).

Push part: PUT / POST / DELETE on /metrics/job/... through urllib, checking the replace
semantics, base64 grouping values, the 400/415 answers, staleness on replace and delete, the
periodic re-write, and that groups survive a restart.

Skips (exit 0, "SKIP: ...") only when the exporter is missing and $CI is unset; under CI a
missing exporter is a failure (scripts/install-deps.sh test installs it).
$OPSIGHT_NODE_EXPORTER_BIN picks another binary.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402

WAIT_S = 60
DROPPED = "node_cpu_seconds_total"


def find_node_exporter():
    env = os.environ.get("OPSIGHT_NODE_EXPORTER_BIN")
    if env:
        return env if os.access(env, os.X_OK) else None
    if os.access("/usr/bin/prometheus-node-exporter", os.X_OK):
        return "/usr/bin/prometheus-node-exporter"
    return shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")


class NodeExporter:
    def __init__(self, binary, work_dir):
        self.binary = binary
        self.port = tl.free_port()
        self.log_path = os.path.join(work_dir, "node_exporter.log")
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/metrics"

    def start(self):
        cmd = [self.binary, f"--web.listen-address=127.0.0.1:{self.port}",
               "--collector.disable-defaults", "--collector.cpu", "--collector.loadavg",
               "--collector.meminfo", "--collector.time", "--collector.uname"]
        with open(self.log_path, "ab") as logf:
            self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)

        def ready():
            if self.proc.poll() is not None:
                tl.fail(f"node exporter exited with code {self.proc.returncode}\n"
                        + open(self.log_path, errors="replace").read()[-3000:])
            return tl.http_get(self.url, timeout=2.0)[0] == 200
        tl.wait_until(ready, 30, what="node exporter /metrics")

    def kill(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
            self.proc = None


def instant(base, query):
    """Result vector of an instant query at now: [(labels dict, float value), ...]."""
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": query})
    status, body = tl.http_get(url)
    if status != 200:
        tl.fail(f"GET {url}: HTTP {status}: {body[:500]!r}")
    data = json.loads(body)["data"]
    if data["resultType"] != "vector":
        tl.fail(f"{query}: expected a vector, got {data['resultType']}")
    return [(r["metric"], float(r["value"][1])) for r in data["result"]]


def series(base, match):
    now = time.time()
    url = base + "/api/v1/series?" + urllib.parse.urlencode(
        [("match[]", match), ("start", f"{now - 600:.3f}"), ("end", f"{now + 60:.3f}")])
    return tl.get_json(url)["data"]


def single_value(base, query):
    r = instant(base, query)
    return r[0][1] if len(r) == 1 else None


def check_scrape(server, exporter):
    base = server.base
    tl.wait_until(lambda: single_value(base, 'up{job="node"}') == 1.0, WAIT_S,
                  interval_s=0.2, what='up{job="node"} == 1')
    tl.log("up == 1")

    # The exporter exposes the family we drop, so its absence means metric relabeling worked.
    _, body = tl.http_get(exporter.url)
    if (DROPPED + "{").encode() not in body:
        tl.fail(f"the node exporter does not expose {DROPPED}; the drop check would prove nothing")

    node = tl.wait_until(lambda: [s for s in series(base, '{__name__=~"node_.+",job="node"}')]
                         or None, WAIT_S, what="node_* series")
    if len(node) < 10:
        tl.fail(f"only {len(node)} node_* series: {node[:5]}")
    for s in node:
        if s.get("added_by") != "opsight-relabel" or s.get("env") != "it":
            tl.fail(f"series without the target labels from relabel_configs / static_configs: {s}")
        if s.get("instance") != f"127.0.0.1:{exporter.port}":
            tl.fail(f"series with a wrong instance label: {s}")
    tl.log(f"{len(node)} node_* series, all relabeled")
    for name in ("scrape_duration_seconds", "scrape_samples_scraped",
                 "scrape_samples_post_metric_relabeling", "scrape_series_added"):
        if not series(base, f'{name}{{job="node"}}'):
            tl.fail(f"no {name} series")
    post = single_value(base, 'scrape_samples_post_metric_relabeling{job="node"}')
    scraped = single_value(base, 'scrape_samples_scraped{job="node"}')
    if post is None or scraped is None or not post < scraped:
        tl.fail(f"samples after metric relabeling ({post}) should be fewer than scraped ({scraped})")
    if series(base, DROPPED):
        tl.fail(f"{DROPPED} was stored although metric_relabel_configs drops it")
    if not instant(base, 'node_load1{job="node"}'):
        tl.fail("node_load1 not returned by an instant query")

    targets = tl.get_json(base + "/api/v1/targets")["data"]["activeTargets"]
    if len(targets) != 1:
        tl.fail(f"expected one active target: {targets}")
    t = targets[0]
    if t["health"] != "up" or t["scrapePool"] != "node" or t["scrapeUrl"] != exporter.url:
        tl.fail(f"unexpected target state: {t}")
    if t["labels"].get("added_by") != "opsight-relabel":
        tl.fail(f"target labels lack the relabeled label: {t}")
    tl.log("targets API reports the target up")

    exporter.kill()
    tl.log("node exporter killed")
    tl.wait_until(lambda: single_value(base, 'up{job="node"}') == 0.0, WAIT_S,
                  interval_s=0.2, what='up{job="node"} == 0 after the exporter died')
    left = instant(base, '{__name__=~"node_.+",job="node"}')
    if left:
        tl.fail(f"{len(left)} node_* series still returned after the target went down, e.g. "
                f"{left[0]}: staleness markers missing")
    t = tl.get_json(base + "/api/v1/targets")["data"]["activeTargets"][0]
    if t["health"] != "down" or not t["lastError"]:
        tl.fail(f"target should be down with an error: {t}")
    tl.log(f"up == 0, node_* series stale, lastError: {t['lastError'][:100]}")


def push(base, method, path, body=b"", headers=None):
    h = {"Content-Type": "text/plain; version=0.0.4"}
    h.update(headers or {})
    return tl.http_request(method, base + path, body if method != "DELETE" else None, h)


def expect(status_body, code, what, contains=None):
    status, body = status_body
    if status != code:
        tl.fail(f"{what}: HTTP {status} (expected {code}): {body[:500]!r}")
    if contains is not None and contains.encode() not in body:
        tl.fail(f"{what}: answer lacks {contains!r}: {body[:500]!r}")


def check_push(server):
    base = server.base
    grp = "/metrics/job/batch/instance/i1"
    expect(push(base, "PUT", grp, b"# TYPE jobs_done counter\njobs_done{job=\"x\"} 5\n"
                                  b"other_metric 1\n"), 200, "PUT")
    if single_value(base, 'jobs_done{job="batch",instance="i1"}') != 5.0:
        tl.fail("pushed jobs_done not visible (or the grouping label did not override job)")
    if single_value(base, 'push_time_seconds{job="batch",instance="i1"}') is None:
        tl.fail("no push_time_seconds for the group")
    expect(push(base, "POST", grp, b"jobs_done 7\n"), 200, "POST")
    if single_value(base, 'jobs_done{job="batch"}') != 7.0:
        tl.fail("POST did not replace jobs_done")
    if single_value(base, 'other_metric{job="batch"}') != 1.0:
        tl.fail("POST removed a metric it did not push")
    expect(push(base, "PUT", grp, b"jobs_done 9\n"), 200, "second PUT")
    if instant(base, 'other_metric{job="batch"}'):
        tl.fail("other_metric still returned after a PUT without it (no staleness marker)")
    # The periodic re-write keeps the value fresh: more samples arrive without pushes.
    t0 = time.time()

    def rewritten():
        got, _ = tl.export(base, 'jobs_done{job="batch"}', start=int((t0 - 1) * 1000))
        return sum(len(v) for v in got.values()) >= 3
    tl.wait_until(rewritten, 30, interval_s=0.2, what="periodic re-writes of pushed samples")

    expect(push(base, "PUT", "/metrics/job/cleaner/path@base64/L3Zhci90bXA",
                b"files_removed 42\n"), 200, "PUT with a base64 label value")
    if single_value(base, 'files_removed{job="cleaner",path="/var/tmp"}') != 42.0:
        tl.fail("base64 grouping value not decoded")
    expect(push(base, "PUT", grp, b"jobs_done 1\nbroken{ 2\n"), 400, "bad body", "line 2")
    if single_value(base, 'jobs_done{job="batch"}') != 9.0:
        tl.fail("a rejected push changed the group")
    expect(push(base, "PUT", grp, b"\x0a\x01x", {
        "Content-Type": "application/vnd.google.protobuf; proto=io.prometheus.client."
                        "MetricFamily; encoding=delimited"}), 415, "protobuf body")
    expect(push(base, "DELETE", grp), 202, "DELETE")
    if instant(base, 'jobs_done{job="batch"}'):
        tl.fail("jobs_done still returned after DELETE (no staleness marker)")
    tl.log("push: PUT/POST/DELETE, base64, 400/415 and staleness OK")


def main():
    binary = find_node_exporter()
    if binary is None:
        if os.environ.get("CI"):
            tl.fail("prometheus-node-exporter is not installed (scripts/install-deps.sh test)")
        print("SKIP: prometheus-node-exporter not installed")
        return
    work = tempfile.mkdtemp(prefix="opsight-it-scrape-")
    exporter = NodeExporter(binary, work)
    exporter.start()
    config = os.path.join(work, "opsight.yml")
    with open(config, "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
push:
  interval: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ["127.0.0.1:{exporter.port}"]
        labels:
          env: it
    relabel_configs:
      - target_label: added_by
        replacement: opsight-relabel
    metric_relabel_configs:
      - action: drop
        source_labels: [__name__]
        regex: {DROPPED}
""")
    server = tl.OpsightServer(extra_args=["--config", config])
    ok = False
    try:
        server.start()
        check_scrape(server, exporter)
        check_push(server)
        # Push groups survive a restart and are written again by the periodic writer.
        server.stop()
        restarted_ms = int(time.time() * 1000)
        server.start()

        def rewritten_after_restart():
            got, _ = tl.export(server.base, 'files_removed{job="cleaner",path="/var/tmp"}',
                               start=restarted_ms)
            return any(v == 42.0 for samples in got.values() for _, v in samples)
        tl.wait_until(rewritten_after_restart, 30, interval_s=0.2,
                      what="the pushed group written again after a restart")
        tl.log("push groups survive a restart")
        ok = True
    except tl.TestFailure:
        print(server.log_tail(), file=sys.stderr)
        raise
    finally:
        exporter.kill()
        server.cleanup(keep=not ok and bool(os.environ.get("OPSIGHT_KEEP")))
        if ok:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    tl.main_wrapper(main)
