'use strict';
// Sends a known set of spans, metrics and log records to opsight with the OpenTelemetry JS SDK's
// own exporters, and prints (as JSON on stdout) what was sent and each export's result, so that
// tests/integration/test_otel_js.py can read everything back and compare field by field.
//
// usage: node send.js <grpc endpoint http://127.0.0.1:PORT> <http endpoint http://127.0.0.1:PORT> <run id>
//
// One trace per trace exporter (OTLP/gRPC, OTLP/HTTP protobuf, OTLP/HTTP JSON), the gRPC one
// also compressed with gzip; ids come from a deterministic IdGenerator. Metrics and logs go
// through the gRPC exporters. Spans, metrics and logs are collected in memory first and then
// handed to the real exporter, so the exporter's result (SUCCESS or the error) is reported.

const { trace, context, SpanKind, SpanStatusCode } = require('@opentelemetry/api');
const { SeverityNumber } = require('@opentelemetry/api-logs');
const { ExportResultCode } = require('@opentelemetry/core');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { MeterProvider, MetricReader, AggregationTemporality } = require('@opentelemetry/sdk-metrics');
const { LoggerProvider, SimpleLogRecordProcessor, InMemoryLogRecordExporter } = require('@opentelemetry/sdk-logs');
const { OTLPTraceExporter: GrpcTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc');
const { OTLPTraceExporter: ProtoTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { OTLPTraceExporter: JsonTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { OTLPMetricExporter: GrpcMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-grpc');
const { OTLPLogExporter: GrpcLogExporter } = require('@opentelemetry/exporter-logs-otlp-grpc');

const [grpcUrl, httpUrl, runId] = process.argv.slice(2);
if (!grpcUrl || !httpUrl || !runId) {
  console.error('usage: node send.js <grpc url> <http url> <run id>');
  process.exit(2);
}

// Deterministic ids: trace ids and span ids are given per exporter by a queue.
class QueueIdGenerator {
  constructor() { this.traceIds = []; this.spanIds = []; }
  generateTraceId() { return this.traceIds.shift(); }
  generateSpanId() { return this.spanIds.shift(); }
}

function hex(n, width) { return n.toString(16).padStart(width, '0'); }

function exportWith(exporter, items) {
  return new Promise((resolve) => {
    exporter.export(items, (result) => {
      resolve(result.code === ExportResultCode.SUCCESS
        ? 'SUCCESS' : `FAILED: ${result.error && result.error.message}`);
    });
  });
}

// One trace: a SERVER root, a CLIENT child with an error and an event, an INTERNAL grandchild
// with a link to the root. Returns the description the test compares against.
function makeTrace(provider, ids, label, index) {
  const tracer = provider.getTracer('opsight-it', '1.2.3');
  const traceId = `${hex(0x0e1a0000 + index, 8)}${hex(runId.length, 8)}${hex(Date.now() % 0xffffffff, 8)}0000${hex(index, 4)}`;
  const spanIds = [1, 2, 3].map((k) => `${hex(index, 4)}${hex(k, 4)}${hex(0xabcd, 4)}${hex(k * 17, 4)}`);
  ids.traceIds.push(traceId);
  ids.spanIds.push(...spanIds);
  const t0 = Date.now() - 5000;
  const ms = (d) => new Date(t0 + d);
  const root = tracer.startSpan(`GET /${label}`, {
    kind: SpanKind.SERVER,
    startTime: ms(0),
    attributes: {
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'run.id': runId,
      'exporter': label,
      'ratio': 0.25,
      'cached': true,
      'tags': ['a', 'b'],
    },
  });
  root.addEvent('request.received', { 'bytes': 512 }, ms(1));
  root.setStatus({ code: SpanStatusCode.OK });
  const rootCtx = trace.setSpan(context.active(), root);
  const child = tracer.startSpan('SELECT orders', {
    kind: SpanKind.CLIENT,
    startTime: ms(10),
    attributes: { 'db.system': 'postgresql', 'db.statement': 'SELECT * FROM orders', 'retries': 2 },
  }, rootCtx);
  child.addEvent('exception', { 'exception.type': 'TimeoutError', 'exception.message': 'too slow' }, ms(30));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'query timed out' });
  const childCtx = trace.setSpan(rootCtx, child);
  const grandchild = tracer.startSpan('parse rows', {
    kind: SpanKind.INTERNAL,
    startTime: ms(40),
    links: [{ context: root.spanContext(), attributes: { 'link.kind': 'follows' } }],
  }, childCtx);
  grandchild.end(ms(45));
  child.end(ms(50));
  root.end(ms(60));
  const ns = (d) => String(BigInt(t0 + d) * 1000000n);
  return {
    exporter: label,
    traceId,
    spans: [
      {
        spanId: spanIds[0], parentSpanId: null, name: `GET /${label}`, kind: 'SERVER',
        start: ns(0), end: ns(60), status: { code: 'OK' },
        attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200, 'run.id': runId, 'exporter': label, 'ratio': 0.25, 'cached': true, 'tags': ['a', 'b'] },
        events: [{ name: 'request.received', time: ns(1), attributes: { bytes: 512 } }],
        links: [],
      },
      {
        spanId: spanIds[1], parentSpanId: spanIds[0], name: 'SELECT orders', kind: 'CLIENT',
        start: ns(10), end: ns(50), status: { code: 'ERROR', message: 'query timed out' },
        attributes: { 'db.system': 'postgresql', 'db.statement': 'SELECT * FROM orders', 'retries': 2 },
        events: [{ name: 'exception', time: ns(30), attributes: { 'exception.type': 'TimeoutError', 'exception.message': 'too slow' } }],
        links: [],
      },
      {
        spanId: spanIds[2], parentSpanId: spanIds[1], name: 'parse rows', kind: 'INTERNAL',
        start: ns(40), end: ns(45), status: { code: 'UNSET' },
        attributes: {}, events: [],
        links: [{ traceId, spanId: spanIds[0], attributes: { 'link.kind': 'follows' } }],
      },
    ],
  };
}

async function sendTraces(exporter, label, index, service) {
  const ids = new QueueIdGenerator();
  const memory = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'service.version': '9.9.9', 'host.name': 'it-host' }),
    idGenerator: ids,
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const sent = makeTrace(provider, ids, label, index);
  await provider.forceFlush();
  sent.service = service;
  sent.result = await exportWith(exporter, memory.getFinishedSpans());
  await exporter.shutdown();
  await provider.shutdown();
  return sent;
}

// A MetricReader collected on demand (the SDK's own aggregation), exported by the real exporter.
class OnDemandReader extends MetricReader {
  constructor() { super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE }); }
  async onForceFlush() {}
  async onShutdown() {}
}

async function sendMetrics(service) {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    readers: [reader],
  });
  const meter = provider.getMeter('opsight-it');
  const counter = meter.createCounter('otel_js_requests', { description: 'requests' });
  counter.add(5, { route: '/a', run: runId });
  counter.add(7, { route: '/a', run: runId });
  counter.add(1, { route: '/b', run: runId });
  const gauge = meter.createGauge('otel_js_queue_depth');
  gauge.record(42, { run: runId });
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length) throw new Error(`collect: ${errors}`);
  const exporter = new GrpcMetricExporter({ url: grpcUrl });
  const result = await exportWith(exporter, resourceMetrics);
  await exporter.shutdown();
  await provider.shutdown();
  return {
    result,
    expect: [
      { query: `otel_js_requests_total{run="${runId}",route="/a"}`, value: 12 },
      { query: `otel_js_requests_total{run="${runId}",route="/b"}`, value: 1 },
      { query: `otel_js_queue_depth{run="${runId}"}`, value: 42 },
    ],
  };
}

async function sendLogs(service) {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'host.name': 'it-host' }),
    processors: [new SimpleLogRecordProcessor({ exporter: memory })],
  });
  const logger = provider.getLogger('opsight-it');
  const now = Date.now();
  const records = [
    { body: `checkout started run=${runId}`, severityNumber: SeverityNumber.INFO, severityText: 'INFO', attributes: { order: 'o-1' } },
    { body: `payment declined run=${runId}`, severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', attributes: { order: 'o-2' } },
  ];
  records.forEach((r, i) => logger.emit({ ...r, timestamp: now - 1000 + i }));
  await provider.forceFlush();
  const exporter = new GrpcLogExporter({ url: grpcUrl, compression: 'gzip' });
  const result = await exportWith(exporter, memory.getFinishedLogRecords());
  await exporter.shutdown();
  await provider.shutdown();
  return { result, group: `/otel/${service}`, messages: records.map((r) => r.body) };
}

async function main() {
  const service = `otel-js-${runId}`;
  const out = { traces: [] };
  out.traces.push(await sendTraces(new GrpcTraceExporter({ url: grpcUrl }), 'grpc', 1, service));
  out.traces.push(await sendTraces(new GrpcTraceExporter({ url: grpcUrl, compression: 'gzip' }), 'grpc-gzip', 2, service));
  out.traces.push(await sendTraces(new ProtoTraceExporter({ url: `${httpUrl}/v1/traces` }), 'proto', 3, service));
  out.traces.push(await sendTraces(new JsonTraceExporter({ url: `${httpUrl}/v1/traces` }), 'json', 4, service));
  out.metrics = await sendMetrics(service);
  out.logs = await sendLogs(service);
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
