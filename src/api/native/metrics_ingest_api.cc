#include "api/native/metrics_ingest_api.h"

#include <fmt/format.h>

#include "api/api_util.h"
#include "common/json_writer.h"
#include "common/self_metrics.h"
#include "ingest/aws/put_metric_data.h"
#include "ingest/otlp/otlp_metrics_json.h"
#include "ingest/otlp/otlp_metrics_pb.h"
#include "ingest/prometheus/remote_write.h"
#include "ingest/vm/jsonl.h"
#include "wire/protobuf.h"

namespace opsight::api {
namespace {

struct Probe {
  metrics::Counter* samples_accepted;
  metrics::Counter* samples_rejected;
  metrics::Counter* requests_failed;
  explicit Probe(const std::string& protocol) {
    auto& r = metrics::Registry::global();
    Labels l{{"protocol", protocol}};
    samples_accepted =
        r.counter("opsight_ingest_samples_accepted_total", "Metric samples stored, by protocol", l);
    samples_rejected = r.counter("opsight_ingest_samples_rejected_total",
                                 "Metric samples rejected (bad item or limit), by protocol", l);
    requests_failed = r.counter("opsight_ingest_requests_failed_total",
                                "Ingest requests refused as a whole, by protocol", l);
  }
};

Probe& probe(const std::string& protocol) {
  static Probe remote_write("remote_write"), otlp("otlp"), put("put_metric_data"), vm("import");
  if (protocol == "remote_write") return remote_write;
  if (protocol == "otlp") return otlp;
  if (protocol == "put_metric_data") return put;
  return vm;
}

Result<std::string> body_of(const HttpRequest& req, const ingest::Limits& limits,
                            std::string_view default_encoding = "") {
  return decoded_body(req, limits.max_request_bytes, limits.max_decoded_bytes,
                      "limits.max_request_bytes", default_encoding);
}

// Lists at most 20 item errors, then how many more.
std::string error_lines(const std::vector<ingest::ItemError>& errors) {
  std::string out;
  size_t n = std::min<size_t>(errors.size(), 20);
  for (size_t i = 0; i < n; i++) out += errors[i].item + ": " + errors[i].message + "\n";
  if (errors.size() > n) out += fmt::format("... and {} more\n", errors.size() - n);
  return out;
}

HttpResponse status_response(const Status& st, const std::string& protocol) {
  probe(protocol).requests_failed->inc();
  HttpResponse r = HttpResponse::text(http_status_for(st.code()), st.message());
  if (st.code() == Code::kResourceExhausted || st.code() == Code::kUnavailable) {
    r.headers.emplace_back("Retry-After", "1");
  }
  return r;
}

ingest::WriteOutcome write(const IngestDeps& d, const HttpRequest& req, ingest::MetricBatch batch,
                           const std::string& protocol) {
  auto out = ingest::write_batch(*d.store, request_tenant(req), std::move(batch), d.limits);
  probe(protocol).samples_accepted->inc(out.accepted_samples);
  probe(protocol).samples_rejected->inc(out.rejected_samples);
  return out;
}

// Native JSON summary used by PutMetricData and import.
HttpResponse json_outcome(const ingest::WriteOutcome& out) {
  json::Writer w;
  w.begin_object()
      .kv("accepted_samples", out.accepted_samples)
      .kv("rejected_samples", out.rejected_samples);
  w.key("errors").begin_array();
  size_t n = std::min<size_t>(out.errors.size(), 1000);
  for (size_t i = 0; i < n; i++) {
    w.begin_object()
        .kv("item", out.errors[i].item)
        .kv("message", out.errors[i].message)
        .end_object();
  }
  w.end_array();
  if (out.errors.size() > n) w.kv("errors_omitted", static_cast<uint64_t>(out.errors.size() - n));
  w.end_object();
  return HttpResponse::json(out.errors.empty() ? 200 : 400, w.take());
}

HttpResponse remote_write(const IngestDeps& d, HttpRequest& req) {
  auto body = body_of(req, d.limits, "snappy");
  if (!body.ok()) return status_response(body.status(), "remote_write");
  ingest::MetricViewBatch batch;  // views into *body
  Status st = ingest::prometheus::decode_remote_write(*body, &batch);
  if (!st.ok()) return status_response(st, "remote_write");
  auto out = ingest::write_batch(*d.store, request_tenant(req), batch, d.limits);
  probe("remote_write").samples_accepted->inc(out.accepted_samples);
  probe("remote_write").samples_rejected->inc(out.rejected_samples);
  if (!out.status.ok()) return status_response(out.status, "remote_write");
  if (!out.errors.empty()) {
    // Prometheus treats 400 as "do not retry": the valid samples are stored already.
    return HttpResponse::text(
        400, fmt::format("{} samples stored, {} rejected:\n{}", out.accepted_samples,
                         out.rejected_samples, error_lines(out.errors)));
  }
  return HttpResponse::no_content();
}

// google.rpc.Status {int32 code = 1; string message = 2;} as OTLP/HTTP error bodies.
HttpResponse otlp_error(const HttpRequest& req, const Status& st) {
  probe("otlp").requests_failed->inc();
  int http = http_status_for(st.code());
  int grpc_code = st.code() == Code::kInvalidArgument     ? 3
                  : st.code() == Code::kResourceExhausted ? 8
                  : st.code() == Code::kUnavailable       ? 14
                                                          : 13;
  HttpResponse r;
  r.status = http;
  if (is_json(req)) {
    json::Writer w;
    w.begin_object().kv("code", grpc_code).kv("message", st.message()).end_object();
    r.content_type = "application/json";
    r.body = w.take();
  } else {
    wire::pb::Writer w;
    w.varint(1, static_cast<uint64_t>(grpc_code));
    w.bytes(2, st.message());
    r.content_type = "application/x-protobuf";
    r.body = w.take();
  }
  if (http == 429 || http == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

HttpResponse otlp_metrics(const IngestDeps& d, HttpRequest& req) {
  auto body = body_of(req, d.limits);
  if (!body.ok()) return otlp_error(req, body.status());
  ingest::MetricBatch batch;
  ingest::otlp::OtlpResult result;
  bool json = is_json(req);
  Status st = json ? ingest::otlp::decode_metrics_json(*body, &batch, &result)
                   : ingest::otlp::decode_metrics_protobuf(*body, &batch, &result);
  if (!st.ok()) return otlp_error(req, st);
  size_t decode_errors = batch.errors.size();
  auto out = write(d, req, std::move(batch), "otlp");
  if (!out.status.ok()) return otlp_error(req, out.status);
  // Errors found by limits/storage after decoding count as rejected points too.
  for (size_t i = decode_errors; i < out.errors.size(); i++) {
    result.rejected_data_points++;
    if (result.error_message.empty()) {
      result.error_message = out.errors[i].item + ": " + out.errors[i].message;
    }
  }
  HttpResponse r;
  r.status = 200;
  if (json) {
    r.content_type = "application/json";
    r.body = ingest::otlp::encode_metrics_response_json(result);
  } else {
    r.content_type = "application/x-protobuf";
    r.body = ingest::otlp::encode_metrics_response_protobuf(result);
  }
  return r;
}

HttpResponse put_metric_data(const IngestDeps& d, HttpRequest& req) {
  auto body = body_of(req, d.limits);
  if (!body.ok()) return status_response(body.status(), "put_metric_data");
  ingest::MetricBatch batch;
  Status st = ingest::aws::decode_put_metric_data(*body, d.clock->now_ms(), &batch);
  if (!st.ok()) return status_response(st, "put_metric_data");
  auto out = write(d, req, std::move(batch), "put_metric_data");
  if (!out.status.ok()) return status_response(out.status, "put_metric_data");
  return json_outcome(out);
}

HttpResponse import(const IngestDeps& d, HttpRequest& req) {
  auto body = body_of(req, d.limits);
  if (!body.ok()) return status_response(body.status(), "import");
  ingest::MetricBatch batch;
  Status st = ingest::vm::decode_import(*body, &batch);
  if (!st.ok()) return status_response(st, "import");
  auto out = write(d, req, std::move(batch), "import");
  if (!out.status.ok()) return status_response(out.status, "import");
  if (out.errors.empty()) return HttpResponse::no_content();
  return json_outcome(out);
}

}  // namespace

void register_metrics_ingest_api(Router& router, const IngestDeps& deps) {
  router.add("POST", "/api/v1/write", [deps](HttpRequest& r) { return remote_write(deps, r); });
  router.add("POST", "/v1/metrics", [deps](HttpRequest& r) { return otlp_metrics(deps, r); });
  router.add("POST", "/api/v1/metrics/put",
             [deps](HttpRequest& r) { return put_metric_data(deps, r); });
  router.add("POST", "/api/v1/import", [deps](HttpRequest& r) { return import(deps, r); });
}

}  // namespace opsight::api
