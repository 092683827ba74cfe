#!/usr/bin/env python3
"""Recording and alerting rules end to end, with a webhook receiver.

opsight runs with a config that loads a Prometheus rule file (one group, interval 1s: a
recording rule and an alert on the recorded series, `for: 2s`, templated annotation) and sends
alerts to a loopback webhook receiver (python http.server). Samples are pushed with
/api/v1/import. Within bounded waits:
- the recorded series appears in /api/v1/series;
- the alert is firing in /api/v1/alerts and /api/v1/rules (Prometheus's JSON shape);
- the receiver gets an Alertmanager webhook document (version "4") for the firing alert, and,
  after the data drops below the threshold, a resolved one;
- POST /-/reload answers 200; a rule file with an error keeps opsight from starting.
Debian's `promtool check rules` must accept the same rule file and reject the broken one (skipped
when promtool is missing and $CI is unset).
"""

import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402

WAIT_S = 60

RULES = """\
groups:
  - name: it-rules
    interval: 1s
    rules:
      - record: job:it_requests:sum
        expr: sum by (job) (it_requests)
        labels:
          source: rules
      - alert: ItHighRequests
        expr: job:it_requests:sum > 10
        for: 2s
        labels:
          severity: "{{ if gt $value 100.0 }}page{{ else }}ticket{{ end }}"
        annotations:
          summary: "{{ $labels.job }} has {{ humanize $value }} requests"
          cluster: "{{ $externalLabels.cluster }}"
"""

BAD_RULES = """\
groups:
  - name: broken
    rules:
      - record: "not a metric name"
        expr: sum(it_requests
"""


class Receiver:
    """A webhook receiver on 127.0.0.1:<free port> that keeps every JSON body it gets."""

    def __init__(self):
        self.bodies = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with outer.lock:
                    outer.bodies.append((self.path, self.headers.get("Content-Type"),
                                         json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def find(self, pred):
        with self.lock:
            for b in self.bodies:
                if pred(b):
                    return b
        return None

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def push(base, job, value):
    now_ms = int(time.time() * 1000)
    lines = [tl.import_line({"__name__": "it_requests", "job": job, "instance": f"i{i}"},
                           [now_ms], [value / 2]) for i in range(2)]
    status, body = tl.http_request("POST", base + "/api/v1/import",
                                   ("\n".join(lines) + "\n").encode(),
                                   {"Content-Type": "application/json"})
    if status // 100 != 2:
        tl.fail(f"import: HTTP {status}: {body[:300]!r}")


def promtool_check(path, want_ok):
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI"):
            tl.fail("promtool is not installed (required under CI)")
        tl.log("SKIP promtool part: promtool not installed")
        return
    r = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True,
                       timeout=60)
    if (r.returncode == 0) != want_ok:
        tl.fail(f"promtool check rules {path}: exit {r.returncode} (wanted "
                f"{'success' if want_ok else 'failure'}):\n{r.stdout}{r.stderr}")
    tl.log(f"promtool check rules {os.path.basename(path)}: exit {r.returncode} as expected")


def main():
    work = tempfile.mkdtemp(prefix="opsight-it-rules-")
    receiver = Receiver()
    try:
        os.makedirs(os.path.join(work, "rules"))
        rules_path = os.path.join(work, "rules", "it.yml")
        with open(rules_path, "w") as f:
            f.write(RULES)
        bad_path = os.path.join(work, "bad.yml")
        with open(bad_path, "w") as f:
            f.write(BAD_RULES)
        cfg_path = os.path.join(work, "opsight.yml")
        with open(cfg_path, "w") as f:
            f.write(f"""\
global:
  evaluation_interval: 1s
  external_labels:
    cluster: it
external_url: http://opsight.example:4318
rule_files:
  - rules/*.yml
alerting:
  resend_delay: 1s
  webhooks:
    - name: it-receiver
      url: http://127.0.0.1:{receiver.port}/hook
      timeout: 5s
""")
        promtool_check(rules_path, True)
        promtool_check(bad_path, False)

        with tl.OpsightServer(extra_args=["--config", cfg_path]) as srv:
            srv.start()
            push(srv.base, "api", 30)
            push(srv.base, "db", 4)

            def recorded():
                q = urllib.parse.urlencode({"match[]": "job:it_requests:sum"})
                data = tl.get_json(srv.base + "/api/v1/series?" + q)["data"]
                return data if len(data) == 2 else None
            series = tl.wait_until(recorded, WAIT_S, 0.2, "the recorded series")
            want = {"__name__": "job:it_requests:sum", "job": "api", "source": "rules"}
            if want not in series:
                tl.fail(f"recorded series {series} lack {want}")

            def firing():
                alerts = tl.get_json(srv.base + "/api/v1/alerts")["data"]["alerts"]
                return [a for a in alerts if a["state"] == "firing"] or None
            alerts = tl.wait_until(firing, WAIT_S, 0.2, "a firing alert in /api/v1/alerts")
            a = alerts[0]
            want_labels = {"alertname": "ItHighRequests", "job": "api", "source": "rules",
                           "severity": "ticket"}
            if a["labels"] != want_labels:
                tl.fail(f"alert labels {a['labels']} != {want_labels}")
            if a["annotations"] != {"summary": "api has 30 requests", "cluster": "it"}:
                tl.fail(f"alert annotations: {a['annotations']}")
            if a["value"] != "3e+01" or not a["activeAt"].endswith("Z"):
                tl.fail(f"alert value/activeAt: {a}")

            rules = tl.get_json(srv.base + "/api/v1/rules")["data"]["groups"]
            if len(rules) != 1 or rules[0]["name"] != "it-rules" or rules[0]["interval"] != 1:
                tl.fail(f"/api/v1/rules groups: {rules}")
            if rules[0]["file"] != rules_path:
                tl.fail(f"group file {rules[0]['file']} != {rules_path}")
            rec, alert = rules[0]["rules"]
            if rec["type"] != "recording" or rec["health"] != "ok" or \
                    rec["query"] != "sum by (job) (it_requests)":
                tl.fail(f"recording rule: {rec}")
            if alert["type"] != "alerting" or alert["state"] != "firing" or \
                    alert["duration"] != 2 or alert["health"] != "ok" or \
                    len(alert["alerts"]) != 1:
                tl.fail(f"alerting rule: {alert}")
            only_alerts = tl.get_json(srv.base + "/api/v1/rules?type=alert")["data"]["groups"]
            if [r["type"] for r in only_alerts[0]["rules"]] != ["alerting"]:
                tl.fail(f"type=alert filter: {only_alerts}")
            status, _ = tl.http_get(srv.base + "/api/v1/rules?type=bogus")
            if status != 400:
                tl.fail(f"type=bogus: HTTP {status}, want 400")

            def hook(status):
                return receiver.find(lambda b: b[2].get("status") == status)
            path, ctype, doc = tl.wait_until(lambda: hook("firing"), WAIT_S, 0.2,
                                             "a firing webhook notification")
            if path != "/hook" or not (ctype or "").startswith("application/json"):
                tl.fail(f"webhook request: path {path}, content type {ctype}")
            for k, v in {"version": "4", "receiver": "it-receiver",
                         "externalURL": "http://opsight.example:4318",
                         "groupLabels": {"alertname": "ItHighRequests"},
                         "groupKey": '{}:{alertname="ItHighRequests"}',
                         "truncatedAlerts": 0}.items():
                if doc.get(k) != v:
                    tl.fail(f"webhook {k} = {doc.get(k)!r}, want {v!r}: {doc}")
            wa = doc["alerts"][0]
            if wa["status"] != "firing" or wa["labels"].get("cluster") != "it" or \
                    wa["labels"]["alertname"] != "ItHighRequests" or \
                    wa["endsAt"] != "0001-01-01T00:00:00Z" or len(wa["fingerprint"]) != 16 or \
                    not wa["generatorURL"].startswith(
                        "http://opsight.example:4318/graph?g0.expr=job%3Ait_requests%3Asum+%3E+10"):
                tl.fail(f"webhook alert: {wa}")
            tl.log("firing alert delivered to the webhook")

            # Below the threshold: the alert resolves and the receiver hears about it.
            push(srv.base, "api", 2)
            _, _, doc = tl.wait_until(lambda: hook("resolved"), WAIT_S, 0.2,
                                      "a resolved webhook notification")
            if doc["alerts"][0]["status"] != "resolved" or \
                    doc["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z":
                tl.fail(f"resolved webhook: {doc}")
            tl.log("resolved alert delivered to the webhook")

            status, body = tl.http_request("POST", srv.base + "/-/reload")
            if status != 200:
                tl.fail(f"POST /-/reload: HTTP {status}: {body!r}")

        # A broken rule file keeps opsight from starting, naming the file.
        shutil.copy(bad_path, os.path.join(work, "rules", "bad.yml"))
        bad = tl.OpsightServer(extra_args=["--config", cfg_path])
        try:
            bad.start(wait=False)
            rc = bad.proc.wait(timeout=WAIT_S)
            bad.proc = None
            log = open(bad.log_path, errors="replace").read()
            if rc == 0 or "bad.yml" not in log or "invalid recording rule name" not in log:
                tl.fail(f"broken rule file: exit {rc}\n{log[-2000:]}")
        finally:
            bad.cleanup()
        tl.log("OK")
    finally:
        receiver.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    tl.main_wrapper(main)
