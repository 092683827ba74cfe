#!/usr/bin/env python3
"""Debian's real rsyslogd forwarding to opsight's syslog receivers.

rsyslogd runs in the foreground with its own configuration: it receives messages on a loopback
TCP port (sent here with `logger`, util-linux's syslog client) and forwards every message to
opsight twice — over TCP with octet-counted RFC 5424 framing and over UDP in the traditional
RFC 3164 format. The test then checks that both copies of every message arrived, with the host
name as the stream, the program as the group, and the severity from the PRI.
Exit code 0 on success, 1 with a message naming the first failed check otherwise."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402

MESSAGES = [("err", "disk /dev/sda1 is 97% full"), ("warning", "retrying upstream 10.0.0.7"),
            ("info", "user alice logged in"), ("notice", "config reloaded")]
SEVERITY = {"err": "ERROR", "warning": "WARNING", "info": "INFO", "notice": "NOTICE"}


def rsyslog_conf(work, in_port, tcp_port, udp_port):
    return f"""
global(workDirectory="{work}")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="{in_port}")
*.* action(type="omfwd" target="127.0.0.1" port="{tcp_port}" protocol="tcp"
           template="RSYSLOG_SyslogProtocol23Format" TCP_Framing="octet-counted"
           action.resumeRetryCount="-1" queue.type="LinkedList")
*.* action(type="omfwd" target="127.0.0.1" port="{udp_port}" protocol="udp"
           template="RSYSLOG_ForwardFormat")
"""


def query(srv, text, group):
    status, body = tl.http_request("POST", srv.base + "/api/v1/logs/query?" + urllib.parse.urlencode(
        {"query": text, "group": group, "start": "now-1h", "end": str(int(time.time()) + 3600)}))
    if status != 200:
        tl.fail(f"query: HTTP {status}: {body[:300]!r}")
    qid = json.loads(body)["queryId"]
    res = tl.get_json(f"{srv.base}/api/v1/logs/query/{qid}?wait=20")
    if res["status"] != "Complete":
        tl.fail(f"query {text!r}: {res['status']} {res.get('error')}")
    return [{c["field"]: c["value"] for c in row} for row in res["results"]]


def main():
    rsyslogd = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
    if not os.path.exists(rsyslogd):
        tl.fail("rsyslogd not installed (scripts/install-deps.sh test installs Debian's rsyslog)")
    work = tempfile.mkdtemp(prefix="opsight-rsyslog-")
    in_port, tcp_port, udp_port = tl.free_port(), tl.free_port(), tl.free_port()
    cfg = os.path.join(work, "opsight.yaml")
    with open(cfg, "w") as f:
        f.write(f"syslog:\n  udp_listen: 127.0.0.1:{udp_port}\n  tcp_listen: 127.0.0.1:{tcp_port}\n")
    conf = os.path.join(work, "rsyslog.conf")
    with open(conf, "w") as f:
        f.write(rsyslog_conf(work, in_port, tcp_port, udp_port))
    rs = None
    try:
        with tl.OpsightServer(extra_args=["--config", cfg]) as srv:
            srv.start()
            rs = subprocess.Popen([rsyslogd, "-n", "-f", conf, "-i", os.path.join(work, "pid")],
                                  stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "err"), "w"))

            def rsyslog_listening():
                if rs.poll() is not None:
                    tl.fail(f"rsyslogd exited: {open(os.path.join(work, 'err')).read()}")
                r = subprocess.run(["logger", "--tcp", "-n", "127.0.0.1", "-P", str(in_port),
                                    "-t", "probe", "--rfc5424", "probe"], capture_output=True)
                return r.returncode == 0
            tl.wait_until(rsyslog_listening, 30, interval_s=0.2, what="rsyslogd imtcp")
            for prio, text in MESSAGES:
                subprocess.run(["logger", "--tcp", "-n", "127.0.0.1", "-P", str(in_port),
                                "--rfc5424", "-t", "billing", "-p", f"user.{prio}", text], check=True)

            def arrived():
                status, body = tl.http_get(srv.base + "/api/v1/logs/groups?prefix=/syslog/billing")
                if status != 200 or not json.loads(body)["logGroups"]:
                    return False
                rows = query(srv, "stats count(*) as n", "/syslog/billing")
                return rows and int(rows[0]["n"]) >= 2 * len(MESSAGES)
            tl.wait_until(arrived, 30, interval_s=0.2, what="forwarded messages in opsight")
            rows = query(srv, "fields @message, @logStream, severityText | sort @message asc",
                         "/syslog/billing")
            got = sorted((r["@message"].strip(), r.get("severityText")) for r in rows)
            want = sorted([(t, SEVERITY[p]) for p, t in MESSAGES] * 2)
            if got != want:
                tl.fail(f"forwarded messages: got {got}, want {want}")
            host = os.uname().nodename.split(".")[0]
            streams = {r["@logStream"] for r in rows}
            if streams != {host}:
                tl.fail(f"streams: got {streams}, want {{{host!r}}}")
    finally:
        if rs is not None:
            rs.terminate()
            rs.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    tl.log("rsyslog forwarding over TCP (RFC 5424) and UDP (RFC 3164): all messages arrived")


if __name__ == "__main__":
    tl.main_wrapper(main)
