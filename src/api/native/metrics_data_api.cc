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
  int64_t now = d.clock->now_ms();
  auto parsed = mm::parse_get_metric_data_json(*body, now);
  if (!parsed.ok()) return error(parsed.status());
  if (auto st = mm::validate_get_metric_data(*parsed, opts); !st.ok()) return error(st);
  auto q = d.store->querier(storage::QueryScope{{request_tenant(req)}}, parsed->start_ms,
                            parsed->end_ms);
  if (!q.ok()) return error(q.status());
  auto res = mm::get_metric_data(**q, *parsed, opts);
  if (!res.ok()) return error(res.status());
  auto format = req.param("timestamps") == "iso" ? mm::TimestampFormat::kIso8601
                                                 : mm::TimestampFormat::kEpochSeconds;
  return HttpResponse::json(200, mm::encode_get_metric_data_result(*res, format));
}

}  // namespace

void register_metrics_data_api(Router& router, const QueryDeps& deps,
                               query::metricmath::MetricMathOptions options) {
  router.add("POST", "/api/v1/metrics/data",
             [deps, options](HttpRequest& r) { return get_metric_data(deps, options, r); });
}

}  // namespace opsight::api
