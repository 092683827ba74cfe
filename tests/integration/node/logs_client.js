// @aws-sdk/client-cloudwatch-logs (AWS SDK for JavaScript v3, AWS JSON 1.1) running every
// CloudWatch Logs operation against opsight, for tests/integration/test_aws_logs.py.
// Environment: OPSIGHT_ENDPOINT (http://127.0.0.1:<port>), the AWS_* credentials the test sets.
// Prints one JSON object with what the calls returned; exits 1 (message on stderr) when a call
// that should succeed fails. Expected failures are recorded as {name, status}.
'use strict';

const logs = require('@aws-sdk/client-cloudwatch-logs');

const {send, error} = require('./aws_client').awsClient(logs, 'CloudWatchLogsClient');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const out = {};
  const group = '/node/app';
  const now = Date.now();
  await send('CreateLogGroup', {logGroupName: group, tags: {team: 'node'}});
  out.duplicate = await error('CreateLogGroup', {logGroupName: group});
  await send('CreateLogStream', {logGroupName: group, logStreamName: 's1'});
  await send('PutRetentionPolicy', {logGroupName: group, retentionInDays: 30});
  const groups = await send('DescribeLogGroups', {logGroupNamePrefix: '/node'});
  out.groups = groups.logGroups.map((g) => ({name: g.logGroupName, retention: g.retentionInDays,
                                             arn: g.arn}));
  await send('DeleteRetentionPolicy', {logGroupName: group});

  await send('PutMetricFilter', {
    logGroupName: group, filterName: 'latency', filterPattern: '{ $.latency > 0 }',
    metricTransformations: [{metricName: 'NodeLatency', metricNamespace: 'NodeApp',
                             metricValue: '$.latency', unit: 'Milliseconds'}],
  });
  const filters = await send('DescribeMetricFilters', {logGroupName: group});
  out.filters = filters.metricFilters.map((f) => f.filterName);

  const put = await send('PutLogEvents', {
    logGroupName: group, logStreamName: 's1',
    logEvents: [
      {timestamp: now - 3000, message: 'ERROR first'},
      {timestamp: now - 2000, message: JSON.stringify({latency: 40, op: 'get'})},
      {timestamp: now - 1000, message: 'INFO last'},
    ],
  });
  out.sequence_token = typeof put.nextSequenceToken === 'string';
  out.missing_stream = await error('PutLogEvents', {
    logGroupName: group, logStreamName: 'nope', logEvents: [{timestamp: now, message: 'x'}]});

  const streams = await send('DescribeLogStreams', {logGroupName: group});
  out.streams = streams.logStreams.map((s) => s.logStreamName);
  const got = await send('GetLogEvents', {logGroupName: group, logStreamName: 's1',
                                          startFromHead: true});
  out.get_messages = got.events.map((e) => e.message);
  out.get_tokens = typeof got.nextForwardToken === 'string' &&
                   typeof got.nextBackwardToken === 'string';
  const filtered = await send('FilterLogEvents', {logGroupName: group, filterPattern: 'ERROR'});
  out.filter_messages = filtered.events.map((e) => e.message);

  const started = await send('StartQuery', {
    logGroupName: group, startTime: Math.floor(now / 1000) - 3600,
    endTime: Math.floor(now / 1000) + 60, queryString: 'stats count() as n'});
  let results;
  for (let i = 0; i < 200; i++) {
    results = await send('GetQueryResults', {queryId: started.queryId});
    if (results.status !== 'Scheduled' && results.status !== 'Running') break;
    await sleep(50);
  }
  out.query_status = results.status;
  out.query_rows = results.results.map((row) => Object.fromEntries(
      row.map((c) => [c.field, c.value])));
  const described = await send('DescribeQueries', {logGroupName: group});
  out.described_queries = described.queries.map((q) => q.queryId === started.queryId);
  out.stop = (await send('StopQuery', {queryId: started.queryId})).success;
  out.malformed = await error('StartQuery', {
    logGroupName: group, startTime: 0, endTime: 1, queryString: 'stats ('});

  const def = await send('PutQueryDefinition', {name: 'node/errors', queryString:
                                                    'filter @message like /ERROR/',
                                                logGroupNames: [group]});
  const defs = await send('DescribeQueryDefinitions', {queryDefinitionNamePrefix: 'node/'});
  out.definitions = defs.queryDefinitions.map((d) => d.name);
  out.definition_deleted = (await send('DeleteQueryDefinition',
                                       {queryDefinitionId: def.queryDefinitionId})).success;

  const arn = groups.logGroups[0].arn.replace(/:\*$/, '');
  await send('TagResource', {resourceArn: arn, tags: {env: 'test'}});
  await send('UntagResource', {resourceArn: arn, tagKeys: ['team']});
  out.tags = (await send('ListTagsForResource', {resourceArn: arn})).tags;
  await send('TagLogGroup', {logGroupName: group, tags: {legacy: 'yes'}});
  await send('UntagLogGroup', {logGroupName: group, tags: ['env']});
  out.legacy_tags = (await send('ListTagsLogGroup', {logGroupName: group})).tags;

  await send('DeleteMetricFilter', {logGroupName: group, filterName: 'latency'});
  await send('DeleteLogStream', {logGroupName: group, logStreamName: 's1'});
  await send('DeleteLogGroup', {logGroupName: group});
  out.deleted = await error('DescribeLogStreams', {logGroupName: group});
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
