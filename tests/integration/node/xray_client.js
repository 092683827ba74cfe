// A real X-Ray SDK client (aws-xray-sdk-core from npm) for tests/integration/test_xray_sdk.py.
// Environment: AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:<port> (UDP segments and the TCP sampling
// proxy), XRAY_TEST_SERVICE (the segment name the sampling rule matches), XRAY_TEST_SECONDS
// (how long to keep making sampling decisions, bounded).
// Prints one JSON object per line on stdout:
//   {"event": "segment", "trace_id": ..., "id": ..., "subsegment_id": ...}  once, after sending
//   {"event": "decision", "rule": <name of the matched centralized rule or null>,
//    "sampled": <rule name | false>}                                        every 100 ms
'use strict';

const AWSXRay = require('aws-xray-sdk-core');
const ruleCache = require('aws-xray-sdk-core/dist/lib/middleware/sampling/rule_cache');

const service = process.env.XRAY_TEST_SERVICE || 'it-service';
const seconds = Math.min(Number(process.env.XRAY_TEST_SECONDS || '60'), 300);
AWSXRay.setLogger({
  error: (...a) => console.error('xray error:', ...a),
  warn: (...a) => console.error('xray warn:', ...a),
  info: () => {},
  debug: () => {},
});

function print(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// 1. A segment sent in progress, then completed, with an HTTP call subsegment, an annotation,
//    metadata and an error on a second subsegment.
const segment = new AWSXRay.Segment(service);
segment.addIncomingRequestData({
  request: {method: 'GET', url: 'http://shop.local/api/cart', client_ip: '127.0.0.1'},
});
segment.addAnnotation('customer_tier', 'gold');
segment.addMetadata('cart', {items: 3, total: 42.5}, 'debug');
segment.flush();  // the in_progress form
const call = segment.addNewSubsegment('payments.local');
call.namespace = 'remote';
call.http = {request: {method: 'POST', url: 'http://payments.local/charge'},
             response: {status: 503}};
call.addFaultFlag();
call.close();
const work = segment.addNewSubsegment('compute-total');
work.close(new Error('rounding failed'));
segment.http = {request: segment.http.request, response: {status: 200}};
segment.close();
print({event: 'segment', trace_id: segment.trace_id, id: segment.id, subsegment_id: call.id});

// 2. Sampling decisions with centralized rules fetched from the daemon's TCP proxy.
const sampler = AWSXRay.middleware.sampler;
const request = {host: 'shop.local', httpMethod: 'GET', urlPath: '/api/cart', serviceName: service};
const deadline = Date.now() + seconds * 1000;
const timer = setInterval(() => {
  if (Date.now() > deadline) {
    clearInterval(timer);
    return;
  }
  const now = Math.floor(Date.now() / 1000);
  const rule = ruleCache.getMatchedRule(request, now);
  const sampled = sampler.shouldSample(Object.assign({}, request));
  print({event: 'decision', rule: rule ? rule.getName() : null, sampled: sampled || false});
}, 100);
