// @aws-sdk/client-cloudwatch against opsight (tests/integration/test_aws_cloudwatch_metrics.py):
//   node cloudwatch_client.mjs <endpoint> <namespace> <json|cbor>
// "json" is the client's default protocol (AWS JSON 1.0); "cbor" configures Smithy RPC v2 CBOR
// (AwsSmithyRpcV2CborProtocol), the protocol CloudWatch announces for current SDKs. Puts
// metrics, reads them back (GetMetricStatistics, GetMetricData with an expression,
// ListMetrics), sends one bad request and prints one JSON line with what it saw.
import {
  CloudWatchClient,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricDataCommand,
} from "@aws-sdk/client-cloudwatch";
import { AwsSmithyRpcV2CborProtocol } from "@aws-sdk/core/protocols";

const [endpoint, namespace, mode] = process.argv.slice(2);
const config = { endpoint, region: process.env.AWS_REGION || "us-east-1" };
if (mode === "cbor") config.protocol = AwsSmithyRpcV2CborProtocol;
const cw = new CloudWatchClient(config);

const out = { mode };
const wire = [];
cw.middlewareStack.add(
  (next) => async (args) => {
    const result = await next(args);
    const r = result.response;
    wire.push({ status: r.statusCode, type: r.headers["content-type"],
                smithy: r.headers["smithy-protocol"] || null });
    return result;
  },
  { step: "deserialize", name: "captureWire" },
);
cw.middlewareStack.add(
  (next) => async (args) => {
    out.path = args.request.path;
    return next(args);
  },
  { step: "finalizeRequest", name: "capturePath" },
);

const t0 = new Date(Math.floor(Date.now() / 60000) * 60000 - 10 * 60000);
const at = (s) => new Date(t0.getTime() + s * 1000);
const dims = [{ Name: "Host", Value: "h1" }];

const put = await cw.send(new PutMetricDataCommand({
  Namespace: namespace,
  MetricData: [1, 2, 3, 4].map((v) => ({
    MetricName: "Latency", Dimensions: dims, Unit: "Milliseconds", Timestamp: at(v), Value: v,
  })),
}));
out.put_request_id = put.$metadata.requestId;

const stats = await cw.send(new GetMetricStatisticsCommand({
  Namespace: namespace, MetricName: "Latency", Dimensions: dims,
  StartTime: at(-60), EndTime: at(120), Period: 60,
  Statistics: ["SampleCount", "Sum", "Average", "Minimum", "Maximum"],
}));
out.stats = stats.Datapoints.map((d) => ({ ...d, Timestamp: d.Timestamp.getTime() / 1000 }));

const data = await cw.send(new GetMetricDataCommand({
  MetricDataQueries: [
    { Id: "m1", ReturnData: false, MetricStat: {
      Metric: { Namespace: namespace, MetricName: "Latency", Dimensions: dims },
      Period: 60, Stat: "Sum" } },
    { Id: "e1", Expression: "m1 * 2", Label: "doubled" },
  ],
  StartTime: at(-60), EndTime: at(120),
}));
out.data = data.MetricDataResults.map((r) => ({
  Id: r.Id, Label: r.Label, Values: r.Values,
  Timestamps: r.Timestamps.map((t) => t.getTime() / 1000),
}));
out.t0 = t0.getTime() / 1000;

const list = await cw.send(new ListMetricsCommand({ Namespace: namespace }));
out.list = list.Metrics;

try {
  await cw.send(new GetMetricStatisticsCommand({
    Namespace: namespace, MetricName: "Latency", StartTime: at(0), EndTime: at(60),
    Period: 7, Statistics: ["Sum"],
  }));
  out.error = null;
} catch (e) {
  out.error = { name: e.name, code: e.Code || null, status: e.$metadata?.httpStatusCode,
                request_id: e.$metadata?.requestId || null };
}
out.wire = wire;
console.log(JSON.stringify(out));
