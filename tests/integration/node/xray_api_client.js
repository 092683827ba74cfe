// @aws-sdk/client-xray (AWS SDK for JavaScript v3, REST-JSON) running every X-Ray operation
// opsight answers, for tests/integration/test_aws_xray.py.
// Environment: OPSIGHT_ENDPOINT (http://127.0.0.1:<port>), the AWS_* credentials the test sets,
// XRAY_PLAN: JSON {start, end (epoch seconds), document (a segment document to put),
// traceIds (for BatchGetTraces), filter (a FilterExpression), rule (a rule name to create)}.
// Prints one JSON object with what each call returned; exits 1 (message on stderr) when a call
// that should succeed fails. Expected failures are recorded as {name, status}.
'use strict';

const xray = require('@aws-sdk/client-xray');

const plan = JSON.parse(process.env.XRAY_PLAN);
const {client, send, error} = require('./aws_client').awsClient(xray, 'XRayClient');

// Dates -> epoch seconds, so the test reads numbers; drops $metadata but keeps the request id.
function plain(out) {
  const requestId = out.$metadata ? out.$metadata.requestId : undefined;
  const copy = JSON.parse(JSON.stringify(out, (k, v) => {
    if (k === '$metadata') return undefined;
    if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) return Date.parse(v) / 1000;
    return v;
  }));
  copy.RequestId = requestId;
  return copy;
}

async function main() {
  const start = new Date(plan.start * 1000);
  const end = new Date(plan.end * 1000);
  const out = {};
  out.put = plain(await send('PutTraceSegments', {TraceSegmentDocuments: [plan.document]}));
  // Every page, as the SDK's paginator walks them.
  out.summaries = [];
  for await (const page of xray.paginateGetTraceSummaries(
      {client}, {StartTime: start, EndTime: end, Sampling: false})) {
    out.summaries.push(...plain(page).TraceSummaries);
  }
  out.filtered = plain(await send(
      'GetTraceSummaries',
      {StartTime: start, EndTime: end, TimeRangeType: 'Event', FilterExpression: plan.filter}));
  out.traces = plain(await send('BatchGetTraces', {TraceIds: plan.traceIds}));
  out.graph = plain(await send('GetServiceGraph', {StartTime: start, EndTime: end}));
  const rule = {
    RuleName: plan.rule, ResourceARN: '*', Priority: 50, FixedRate: 0.2, ReservoirSize: 3,
    ServiceName: 'node-svc', ServiceType: '*', Host: '*', HTTPMethod: '*', URLPath: '*',
    Version: 1,
  };
  out.created = plain(await send('CreateSamplingRule', {SamplingRule: rule}));
  out.updated = plain(await send(
      'UpdateSamplingRule', {SamplingRuleUpdate: {RuleName: plan.rule, FixedRate: 0.7}}));
  out.rules = plain(await send('GetSamplingRules', {}));
  out.targets = plain(await send('GetSamplingTargets', {
    SamplingStatisticsDocuments: [{
      RuleName: plan.rule, ClientID: '0123456789abcdef01234567', Timestamp: new Date(),
      RequestCount: 10, SampledCount: 2, BorrowCount: 0,
    }],
  }));
  out.deleted = plain(await send('DeleteSamplingRule', {RuleName: plan.rule}));
  out.badTraceId = await error('BatchGetTraces', {TraceIds: ['not-a-trace-id']});
  out.badRange = await error('GetTraceSummaries', {StartTime: end, EndTime: start});
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${e.name}: ${e.message}\n${e.stack}\n`);
  process.exit(1);
});
