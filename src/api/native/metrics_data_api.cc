#include "api/native/metrics_data_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

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
      get_metric_data_json(*d.store, request_tenants(req), *body, d.clock->now_ms(), opts, format);
  if (!out.ok()) return error(out.status());
  return HttpResponse::json(200, std::move(*out));
}

}  // namespace

Result<std::string> get_metric_data_json(storage::MetricStore& store, const storage::Tenant& tenant,
                                         std::string_view json, int64_t now_ms,
                                         const mm::MetricMathOptions& options,
                                         mm::TimestampFormat format) {
  return get_metric_data_json(store, std::vector<storage::Tenant>{tenant}, json, now_ms, options,
                              format);
}

Result<std::string> get_metric_data_json(storage::MetricStore& store,
                                         const std::vector<storage::Tenant>& tenants,
                                         std::string_view json, int64_t now_ms,
                                         const mm::MetricMathOptions& options,
                                         mm::TimestampFormat format) {
  if (tenants.empty()) return Status::internal("get_metric_data_json: no tenant");
  const storage::Tenant& own = tenants.front();
  ASSIGN_OR_RETURN(auto parsed, mm::parse_get_metric_data_json(json, now_ms));
  RETURN_IF_ERROR(mm::validate_get_metric_data(parsed, options));
  // Cross-account scope: the querier spans every readable tenant, so each query is pinned to
  // one account (MetricStat: the caller's unless AccountId names a linked source) or, for
  // SEARCH without AccountId, left to span them all.
  for (auto& q : parsed.queries) {
    if (!q.account_id.empty()) {
      bool readable = std::any_of(tenants.begin(), tenants.end(), [&](const storage::Tenant& t) {
        return t.account == q.account_id;
      });
      if (!readable) {
        return Status::invalid_argument(fmt::format(
            "InvalidParameterValue: The AccountId {} of query {} is neither this account nor a "
            "source account linked to it.",
            q.account_id, q.id));
      }
    } else if (q.metric_stat || tenants.size() == 1) {
      q.account_id = own.account;
    }
  }
  ASSIGN_OR_RETURN(auto q,
                   store.querier(storage::QueryScope{tenants}, parsed.start_ms, parsed.end_ms));
  ASSIGN_OR_RETURN(auto res, mm::get_metric_data(*q, parsed, mm::for_tenant(options, own)));
  return mm::encode_get_metric_data_result(res, format);
}

void register_metrics_data_api(Router& router, const QueryDeps& deps,
                               query::metricmath::MetricMathOptions options) {
  router.add("POST", "/api/v1/metrics/data",
             [deps, options](HttpRequest& r) { return get_metric_data(deps, options, r); });
}

}  // namespace opsight::api
