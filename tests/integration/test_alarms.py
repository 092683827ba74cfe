#!/usr/bin/env python3
"""Alarms end to end against a real server, with a real webhook receiver on 127.0.0.1.

1. A high-resolution metric (PutMetricData, StorageResolution 1) is sent every 0.5 s at 100.
2. GetMetricData (POST /api/v1/metrics/data) answers the metric and an expression over it.
3. A metric alarm (Period 10 s, 1 of 1, > 50) whose AlarmActions is the receiver's URL goes
   OK/INSUFFICIENT_DATA -> ALARM on its own schedule; the receiver gets the EventBridge-shaped
   "CloudWatch Alarm State Change" event; DescribeAlarmHistory lists the StateUpdate and the
   delivered Action.
4. A composite alarm ALARM("lat-high") follows its child into ALARM.
5. SetAlarmState forces OK until the next evaluation brings ALARM back.
6. After a restart the alarms, their state and their history are still there.
7. Bad input: a Period of 45 s is a 400 naming the rule.
Exit code 0 on success, 1 with a message naming the first failed check.
"""
import http.server
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opsight_testlib as tl  # noqa: E402


class Receiver:
    """Records the JSON bodies POSTed to it."""

    def __init__(self):
        self.bodies = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with outer.lock:
                    outer.bodies.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self):
        with self.lock:
            return list(self.bodies)


class Feeder:
    """Sends Latency = 100 every 0.5 s until stopped."""

    def __init__(self, base):
        self.base = base
        self.stop_flag = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        body = json.dumps({"Namespace": "ItAlarms", "MetricData": [
            {"MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": "cart"}],
             "Value": 100, "StorageResolution": 1}]}).encode()
        while not self.stop_flag.is_set():
            try:
                status, resp = tl.http_request("POST", self.base + "/api/v1/metrics/put", body,
                                               {"Content-Type": "application/json"}, timeout=5)
                if status != 200:
                    self.error = f"PutMetricData: HTTP {status} {resp[:200]!r}"
            except OSError:
                pass  # the server is restarting
            self.stop_flag.wait(0.5)


def request(server, method, path, doc=None):
    body = json.dumps(doc).encode() if doc is not None else None
    status, resp = tl.http_request(method, server.base + path, body,
                                   {"Content-Type": "application/json"})
    try:
        return status, json.loads(resp) if resp else {}
    except ValueError:
        return status, resp


def alarm_state(server, name):
    # Without AlarmTypes, DescribeAlarms lists metric alarms only (as CloudWatch does).
    status, d = request(server, "GET", "/api/v1/alarms?AlarmTypes=MetricAlarm,CompositeAlarm"
                        "&AlarmNames=" + name)
    if status != 200:
        tl.fail(f"DescribeAlarms: HTTP {status} {d}")
    for a in d.get("MetricAlarms", []) + d.get("CompositeAlarms", []):
        if a["AlarmName"] == name:
            return a["StateValue"]
    return None


def wait_state(server, name, want, timeout_s=60):
    tl.wait_until(lambda: alarm_state(server, name) == want, timeout_s, interval_s=0.5,
                  what=f"alarm {name} in state {want}")


def main():
    receiver = Receiver()
    server = tl.OpsightServer(log_name="opsight-alarms.log")
    feeder = None
    try:
        server.start()
        feeder = Feeder(server.base)
        feeder.thread.start()

        # 7. Bad input names the rule.
        bad = {"AlarmName": "bad", "Namespace": "ItAlarms", "MetricName": "Latency",
               "Statistic": "Average", "Period": 45, "EvaluationPeriods": 1, "Threshold": 1,
               "ComparisonOperator": "GreaterThanThreshold"}
        status, d = request(server, "PUT", "/api/v1/alarms/metric", bad)
        if status != 400 or "Period" not in json.dumps(d):
            tl.fail(f"a Period of 45 s should be a 400 naming Period: {status} {d}")

        alarm = {"AlarmName": "lat-high", "Namespace": "ItAlarms", "MetricName": "Latency",
                 "Dimensions": [{"Name": "Service", "Value": "cart"}], "Statistic": "Average",
                 "Period": 10, "EvaluationPeriods": 1, "Threshold": 50,
                 "ComparisonOperator": "GreaterThanThreshold", "AlarmActions": [receiver.url]}
        status, d = request(server, "PUT", "/api/v1/alarms/metric", alarm)
        if status // 100 != 2:
            tl.fail(f"PutMetricAlarm: HTTP {status} {d}")
        composite = {"AlarmName": "checkout-down", "AlarmRule": 'ALARM("lat-high")'}
        status, d = request(server, "PUT", "/api/v1/alarms/composite", composite)
        if status // 100 != 2:
            tl.fail(f"PutCompositeAlarm: HTTP {status} {d}")

        # 2. GetMetricData over the same data.
        def metric_data():
            now = int(time.time())
            status, d = request(server, "POST", "/api/v1/metrics/data", {
                "StartTime": now - 60, "EndTime": now + 10, "ScanBy": "TimestampAscending",
                "MetricDataQueries": [
                    {"Id": "m1", "ReturnData": False, "MetricStat": {"Metric": {
                        "Namespace": "ItAlarms", "MetricName": "Latency",
                        "Dimensions": [{"Name": "Service", "Value": "cart"}]},
                        "Period": 10, "Stat": "Average"}},
                    {"Id": "e1", "Expression": "m1 * 2", "Label": "doubled"}]})
            if status != 200:
                tl.fail(f"GetMetricData: HTTP {status} {d}")
            return d["MetricDataResults"]

        tl.wait_until(lambda: metric_data()[0]["Values"], 30, interval_s=0.5,
                      what="GetMetricData values")
        res = metric_data()
        if len(res) != 1 or res[0]["Id"] != "e1" or res[0]["Label"] != "doubled" or \
                any(v != 200 for v in res[0]["Values"]):
            tl.fail(f"GetMetricData m1 * 2 should be 200 everywhere: {res}")

        # 3. The alarm fires on its schedule and notifies the receiver.
        wait_state(server, "lat-high", "ALARM")
        tl.wait_until(lambda: any(e.get("detail", {}).get("state", {}).get("value") == "ALARM"
                                  for e in receiver.events()), 30, interval_s=0.2,
                      what="the webhook event")
        ev = [e for e in receiver.events() if e["detail"]["state"]["value"] == "ALARM"][0]
        if ev.get("detail-type") != "CloudWatch Alarm State Change" or \
                ev.get("source") != "aws.cloudwatch" or ev["detail"]["alarmName"] != "lat-high":
            tl.fail(f"the webhook event has the wrong shape: {ev}")

        def history(kind):
            status, d = request(server, "GET",
                                f"/api/v1/alarms/history?AlarmName=lat-high&HistoryItemType={kind}")
            if status != 200:
                tl.fail(f"DescribeAlarmHistory: HTTP {status} {d}")
            return d["AlarmHistoryItems"]

        if not any("to ALARM" in h["HistorySummary"] for h in history("StateUpdate")):
            tl.fail(f"history has no StateUpdate to ALARM: {history('StateUpdate')}")
        tl.wait_until(lambda: history("Action"), 30, interval_s=0.5, what="an Action history item")

        # 4. The composite follows its child.
        wait_state(server, "checkout-down", "ALARM")

        # 5. SetAlarmState holds until the next evaluation.
        status, d = request(server, "POST", "/api/v1/alarms/set-state",
                            {"AlarmName": "lat-high", "StateValue": "OK",
                             "StateReason": "testing the action"})
        if status // 100 != 2:
            tl.fail(f"SetAlarmState: HTTP {status} {d}")
        if alarm_state(server, "lat-high") != "OK":
            tl.fail("SetAlarmState did not set OK")
        wait_state(server, "lat-high", "ALARM")

        # 6. Restart: definitions, state and history survive.
        items_before = len(history("StateUpdate"))
        server.stop()
        server.start()
        feeder.base = server.base
        if alarm_state(server, "lat-high") != "ALARM" or \
                alarm_state(server, "checkout-down") != "ALARM":
            tl.fail("alarm state did not survive the restart")
        if len(history("StateUpdate")) < items_before:
            tl.fail("alarm history did not survive the restart")
        if feeder.error:
            tl.fail(feeder.error)
        tl.log(f"alarms: metric alarm fired on schedule, {len(receiver.events())} webhook "
               f"event(s), composite followed, state and history survived a restart")
    except tl.TestFailure:
        print(server.log_tail(), file=sys.stderr)
        raise
    finally:
        if feeder:
            feeder.stop_flag.set()
        server.cleanup(keep=bool(os.environ.get("OPSIGHT_KEEP")))
        receiver.server.shutdown()


if __name__ == "__main__":
    tl.main_wrapper(main)
