// @aws-sdk/client-cloudwatch (AWS SDK for JavaScript v3) running every CloudWatch alarm,
// anomaly-detector, dashboard and tag operation against opsight, for
// tests/integration/test_aws_cloudwatch_alarms.py.
// Environment: OPSIGHT_ENDPOINT (http://127.0.0.1:<port>), OPSIGHT_PROTOCOL ("cbor": Smithy
// RPC v2 CBOR through AwsSmithyRpcV2CborProtocol; else the client's default, AWS JSON 1.0), the
// AWS_* credentials the test sets.
// Prints one JSON object with what each call returned; exits 1 (message on stderr) when a call
// that should succeed fails. Expected failures are recorded as {name, code, status}.
'use strict';

const cw = require('@aws-sdk/client-cloudwatch');
const {AwsSmithyRpcV2CborProtocol} = require('@aws-sdk/core/protocols');

const {send, error} = require('./aws_client').awsClient(
    cw, 'CloudWatchClient',
    process.env.OPSIGHT_PROTOCOL === 'cbor' ? {protocol: AwsSmithyRpcV2CborProtocol} : {});

const metric = {
  Namespace: 'NodeApp',
  MetricName: 'cpu',
  Dimensions: [{Name: 'Host', Value: 'h1'}],
};

async function main() {
  const out = {};
  await send('PutMetricAlarm', {
    AlarmName: 'node-cpu', ...metric, Statistic: 'Average', Period: 60, EvaluationPeriods: 2,
    Threshold: 50.5, ComparisonOperator: 'GreaterThanThreshold', ActionsEnabled: true,
    Tags: [{Key: 'team', Value: 'node'}],
  });
  await send('PutCompositeAlarm', {AlarmName: 'node-comp', AlarmRule: 'ALARM("node-cpu")'});
  let r = await send('DescribeAlarms', {AlarmNames: ['node-cpu']});
  const a = r.MetricAlarms[0];
  out.describe = {
    name: a.AlarmName, arn: a.AlarmArn, period: a.Period, threshold: a.Threshold,
    state: a.StateValue, updated_is_date: a.StateUpdatedTimestamp instanceof Date,
    dimensions: a.Dimensions,
  };
  r = await send('DescribeAlarms', {AlarmTypes: ['CompositeAlarm']});
  out.composites = r.CompositeAlarms.map((c) => c.AlarmName);
  r = await send('DescribeAlarmsForMetric', {...metric, Statistic: 'Average'});
  out.for_metric = r.MetricAlarms.map((m) => m.AlarmName);
  await send('SetAlarmState', {AlarmName: 'node-cpu', StateValue: 'ALARM', StateReason: 'node'});
  r = await send('DescribeAlarms', {AlarmNames: ['node-cpu']});
  out.state_after_set = r.MetricAlarms[0].StateValue;
  r = await send('DescribeAlarmHistory', {AlarmName: 'node-cpu', HistoryItemType: 'StateUpdate'});
  out.history = r.AlarmHistoryItems.map((h) => ({
    type: h.HistoryItemType, ts_is_date: h.Timestamp instanceof Date,
  }));
  await send('DisableAlarmActions', {AlarmNames: ['node-cpu']});
  r = await send('DescribeAlarms', {AlarmNames: ['node-cpu']});
  out.actions_after_disable = r.MetricAlarms[0].ActionsEnabled;
  await send('EnableAlarmActions', {AlarmNames: ['node-cpu']});
  r = await send('DescribeAlarms', {AlarmNames: ['node-cpu']});
  out.actions_after_enable = r.MetricAlarms[0].ActionsEnabled;

  const detector = {SingleMetricAnomalyDetector: {...metric, Stat: 'Average'}};
  await send('PutAnomalyDetector', {
    ...detector,
    Configuration: {
      ExcludedTimeRanges: [{StartTime: new Date('2024-01-01T00:00:00Z'),
                            EndTime: new Date('2024-01-01T01:00:00Z')}],
      MetricTimezone: 'UTC',
    },
    MetricCharacteristics: {PeriodicSpikes: false},
  });
  r = await send('DescribeAnomalyDetectors', {Namespace: 'NodeApp'});
  const d = r.AnomalyDetectors[0];
  out.detectors = {
    count: r.AnomalyDetectors.length, stat: d.SingleMetricAnomalyDetector.Stat,
    state: d.StateValue,
    excluded_start: d.Configuration.ExcludedTimeRanges[0].StartTime.toISOString(),
    periodic_spikes: d.MetricCharacteristics ? d.MetricCharacteristics.PeriodicSpikes : null,
  };
  await send('DeleteAnomalyDetector', detector);
  out.delete_detector_again = await error('DeleteAnomalyDetector', detector);

  const body = JSON.stringify({widgets: [{type: 'text', x: 0, y: 0, width: 6, height: 3,
                                          properties: {markdown: 'hello'}}]});
  r = await send('PutDashboard', {DashboardName: 'node-dash', DashboardBody: body});
  out.put_dashboard_messages = r.DashboardValidationMessages || [];
  r = await send('GetDashboard', {DashboardName: 'node-dash'});
  out.dashboard = {name: r.DashboardName, arn: r.DashboardArn, body_equal: r.DashboardBody === body};
  r = await send('ListDashboards', {DashboardNamePrefix: 'node-'});
  out.dashboards = r.DashboardEntries.map((e) => ({
    name: e.DashboardName, size: e.Size, modified_is_date: e.LastModified instanceof Date,
  }));
  out.bad_dashboard = await error('PutDashboard', {DashboardName: 'bad', DashboardBody: '{}'});

  for (const arn of [out.describe.arn, out.dashboard.arn]) {
    await send('TagResource', {ResourceARN: arn, Tags: [{Key: 'a', Value: '1'}, {Key: 'b', Value: '2'}]});
    await send('UntagResource', {ResourceARN: arn, TagKeys: ['b']});
  }
  r = await send('ListTagsForResource', {ResourceARN: out.describe.arn});
  out.alarm_tags = r.Tags;
  r = await send('ListTagsForResource', {ResourceARN: out.dashboard.arn});
  out.dashboard_tags = r.Tags;
  out.tag_missing = await error('ListTagsForResource', {
    ResourceARN: out.describe.arn.replace('node-cpu', 'nope'),
  });

  out.delete_missing_dashboard = await error('DeleteDashboards',
                                             {DashboardNames: ['node-dash', 'ghost']});
  await send('DeleteDashboards', {DashboardNames: ['node-dash']});
  await send('DeleteAlarms', {AlarmNames: ['node-comp', 'node-cpu']});
  r = await send('DescribeAlarms', {AlarmTypes: ['MetricAlarm', 'CompositeAlarm']});
  out.alarms_left = r.MetricAlarms.length + r.CompositeAlarms.length;
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  console.error(`${e.name}: ${e.message}`);
  process.exit(1);
});
