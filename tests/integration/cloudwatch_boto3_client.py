#!/usr/bin/python3
"""boto3 side of test_aws_cloudwatch_metrics.py: run by Debian's /usr/bin/python3 (boto3 1.26,
botocore 1.29) as `cloudwatch_boto3_client.py <endpoint> <namespace>`, in the protocol the
service model in use speaks (awsQuery by default; AWS JSON 1.0 when AWS_DATA_PATH points at a
copy of the model switched to "protocol": "json"). Puts metrics, reads them back with
GetMetricStatistics, GetMetricData (with an expression) and ListMetrics (paginated), sends one
bad request, and prints one JSON line with what it saw; the test asserts on that line."""

import datetime
import json
import sys

import boto3
import botocore.exceptions


def main():
    endpoint, namespace = sys.argv[1], sys.argv[2]
    cw = boto3.client("cloudwatch", endpoint_url=endpoint)
    out = {"protocol": cw.meta.service_model.protocol}
    now = datetime.datetime.now(datetime.timezone.utc)
    t0 = now.replace(second=0, microsecond=0) - datetime.timedelta(minutes=10)
    dims = [{"Name": "Host", "Value": "h1"}]
    resp = cw.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": "Latency", "Dimensions": dims, "Unit": "Milliseconds",
         "Timestamp": t0 + datetime.timedelta(seconds=i + 1), "Value": float(i + 1)}
        for i in range(4)] + [
        {"MetricName": "Hist", "Dimensions": dims, "Timestamp": t0,
         "Values": [1.0, 10.0], "Counts": [3.0, 1.0]},
        {"MetricName": "Set", "Dimensions": dims, "Timestamp": t0,
         "StatisticValues": {"SampleCount": 2, "Sum": 9, "Minimum": 4, "Maximum": 5}}])
    out["put_request_id"] = resp["ResponseMetadata"]["RequestId"]
    many = [{"MetricName": f"Many{i:03d}", "Value": 1.0, "Timestamp": t0} for i in range(510)]
    cw.put_metric_data(Namespace=namespace, MetricData=many)

    stats = cw.get_metric_statistics(
        Namespace=namespace, MetricName="Latency", Dimensions=dims,
        StartTime=t0 - datetime.timedelta(minutes=1), EndTime=t0 + datetime.timedelta(minutes=2),
        Period=60, Statistics=["SampleCount", "Sum", "Average", "Minimum", "Maximum"])
    out["stats"] = [{k: (v.timestamp() if isinstance(v, datetime.datetime) else v)
                     for k, v in dp.items()} for dp in stats["Datapoints"]]
    ext = cw.get_metric_statistics(
        Namespace=namespace, MetricName="Latency", Dimensions=dims,
        StartTime=t0 - datetime.timedelta(minutes=1), EndTime=t0 + datetime.timedelta(minutes=2),
        Period=60, ExtendedStatistics=["p50", "p100"])
    out["extended"] = [dp["ExtendedStatistics"] for dp in ext["Datapoints"]]
    hist = cw.get_metric_statistics(
        Namespace=namespace, MetricName="Hist", Dimensions=dims,
        StartTime=t0 - datetime.timedelta(minutes=1), EndTime=t0 + datetime.timedelta(minutes=2),
        Period=60, Statistics=["SampleCount", "Sum", "Maximum"])
    out["hist"] = [{k: v for k, v in dp.items() if k != "Timestamp"} for dp in hist["Datapoints"]]

    data = cw.get_metric_data(
        MetricDataQueries=[
            {"Id": "m1", "ReturnData": False, "MetricStat": {
                "Metric": {"Namespace": namespace, "MetricName": "Latency", "Dimensions": dims},
                "Period": 60, "Stat": "Sum"}},
            {"Id": "e1", "Expression": "m1 * 2", "Label": "doubled"}],
        StartTime=t0 - datetime.timedelta(minutes=1), EndTime=t0 + datetime.timedelta(minutes=2))
    out["data"] = [{"Id": r["Id"], "Label": r["Label"], "Values": r["Values"],
                    "Timestamps": [t.timestamp() for t in r["Timestamps"]]}
                   for r in data["MetricDataResults"]]
    out["t0"] = t0.timestamp()

    first = cw.list_metrics(Namespace=namespace)
    out["list_first_page"] = len(first["Metrics"])
    out["list_has_token"] = "NextToken" in first
    names = set()
    for page in cw.get_paginator("list_metrics").paginate(Namespace=namespace):
        for m in page["Metrics"]:
            names.add(m["MetricName"])
    out["list_total"] = len(names)
    filtered = cw.list_metrics(Namespace=namespace, MetricName="Latency",
                               Dimensions=[{"Name": "Host"}])
    out["list_filtered"] = filtered["Metrics"]

    try:
        cw.get_metric_statistics(Namespace=namespace, MetricName="Latency", StartTime=t0,
                                 EndTime=t0 + datetime.timedelta(minutes=1), Period=7,
                                 Statistics=["Sum"])
        out["error"] = None
    except botocore.exceptions.ClientError as e:
        out["error"] = e.response["Error"]["Code"]
        out["error_request_id"] = e.response["ResponseMetadata"].get("RequestId", "")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
