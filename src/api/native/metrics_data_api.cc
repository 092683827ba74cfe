#include "api/native/metrics_data_api.h"

#include "api/api_util.h"
#include "common/json_writer.h"
#include "query/metricmath/json_codec.h"

namespace opsight::api {
namespace {

namespace mm = query::metricmath;

constexpr uint64_t kMaxBody = 1 << 20;  // 500 queries of 2 KiB expressions fit comfortably

HttpResponse error(const Status& st) {
  json::Writer w;
  w.begin_object().kv("error", st.message()).kv("code", code_name(st.code())).end_object();
  return HttpResponse::json(http_status_for(st.code()), w.take());
}

HttpResponse get_metric_data(const QueryDeps& d, const mm::MetricMathOptions& opts,
                             HttpRequest& req) {
  auto body = decoded_body(req, kMaxBody, kMaxBody, "GetMetricData body");
  if (!body.ok()) return error(body.status());
  auto format = req.param("timestamps") == "iso" ? mm::TimestampFormat::kIso8601
                                                 : mm::TimestampFormat::kEpochSeconds;
  auto out =
      get_metric_data_json(*d.store, request_tenant(req), *body, d.clock->now_ms(), opts, format);
  if (!out.ok()) return error(out.status());
  return HttpResponse::json(200, std::move(*out));
}

}  // namespace

Result<std::string> get_metric_data_json(storage::MetricStore& store, const storage::Tenant& tenant,
                                         std::string_view json, int64_t now_ms,
                                         const mm::MetricMathOptions& options,
                                         mm::TimestampFormat format) {
  ASSIGN_OR_RETURN(auto parsed, mm::parse_get_metric_data_json(json, now_ms));
  RETURN_IF_ERROR(mm::validate_get_metric_data(parsed, options));
  ASSIGN_OR_RETURN(auto q,
                   store.querier(storage::QueryScope{{tenant}}, parsed.start_ms, parsed.end_ms));
  ASSIGN_OR_RETURN(auto res, mm::get_metric_data(*q, parsed, mm::for_tenant(options, tenant)));
  return mm::encode_get_metric_data_result(res, format);
}

void register_metrics_data_api(Router& router, const QueryDeps& deps,
                               query::metricmath::MetricMathOptions options) {
  router.add("POST", "/api/v1/metrics/data",
             [deps, options](HttpRequest& r) { return get_metric_data(deps, options, r); });
}

}  // namespace opsight::api
