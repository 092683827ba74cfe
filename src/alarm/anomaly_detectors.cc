// Anomaly detectors (see anomaly_detectors.h). Shapes from the Amazon CloudWatch API reference:
// PutAnomalyDetector, DescribeAnomalyDetectors, DeleteAnomalyDetector.
#include "alarm/anomaly_detectors.h"

#include <fmt/format.h>

#include <algorithm>

#include "alarm/json_util.h"
#include "common/hex.h"
#include "common/json_writer.h"
#include "common/sha256.h"
#include "common/time_util.h"
#include "query/metricmath/get_metric_data.h"
#include "query/metricmath/json_codec.h"
#include "query/metricmath/metric_fetch.h"

namespace opsight::alarm {
namespace {

namespace dom = simdjson::dom;
using jsonu::check_length;
using jsonu::invalid;
using jsonu::missing;

constexpr std::string_view kKind = "anomaly-detector";

// Dimensions of a detector's metric, sorted by name (a detector is keyed by them), each name once.
Status read_dimensions(dom::object obj, std::string_view where, std::vector<Dimension>* out) {
  dom::element e;
  if (!jsonu::member(obj, "Dimensions", &e)) return OkStatus();
  const std::string key = fmt::format("{}Dimensions", where);
  RETURN_IF_ERROR(jsonu::read_dimensions(e, key, out));
  std::sort(out->begin(), out->end(),
            [](const Dimension& a, const Dimension& b) { return a.name < b.name; });
  for (size_t i = 1; i < out->size(); i++) {
    if ((*out)[i].name == (*out)[i - 1].name) {
      return invalid(key, fmt::format("has the dimension \"{}\" twice.", (*out)[i].name));
    }
  }
  return OkStatus();
}

// Namespace, MetricName, Dimensions, Stat (and AccountId) of `obj`; false when none is given.
Result<bool> read_single_metric(dom::object obj, std::string_view where, bool with_account,
                                AnomalyDetector* d) {
  std::optional<std::string> ns, name, stat, account;
  RETURN_IF_ERROR(jsonu::get_string(obj, "Namespace", &ns));
  RETURN_IF_ERROR(jsonu::get_string(obj, "MetricName", &name));
  RETURN_IF_ERROR(jsonu::get_string(obj, "Stat", &stat));
  if (with_account) RETURN_IF_ERROR(jsonu::get_string(obj, "AccountId", &account));
  dom::element dims;
  const bool has_dims = jsonu::member(obj, "Dimensions", &dims);
  if (!ns && !name && !stat && !account && !has_dims) return false;
  const std::string w(where);
  if (!ns) return missing(w + "Namespace");
  if (!name) return missing(w + "MetricName");
  if (!stat) return missing(w + "Stat");
  RETURN_IF_ERROR(check_length(w + "Namespace", *ns, 1, 255));
  RETURN_IF_ERROR(check_length(w + "MetricName", *name, 1, 255));
  if (!is_statistic(*stat)) {
    return invalid(w + "Stat", fmt::format("\"{}\" is not a statistic.", stat->substr(0, 64)));
  }
  if (account) RETURN_IF_ERROR(check_length(w + "AccountId", *account, 1, 255));
  d->type = AnomalyDetectorType::kSingleMetric;
  d->namespace_name = std::move(*ns);
  d->metric_name = std::move(*name);
  d->stat = std::move(*stat);
  d->account_id = account.value_or("");
  RETURN_IF_ERROR(read_dimensions(obj, where, &d->dimensions));
  return true;
}

Status read_metric_math(dom::element e, AnomalyDetector* d) {
  constexpr std::string_view kKey = "MetricMathAnomalyDetector.MetricDataQueries";
  dom::object o;
  if (e.get_object().get(o)) return invalid("MetricMathAnomalyDetector", "must be an object.");
  dom::element q;
  if (!jsonu::member(o, "MetricDataQueries", &q)) return missing(kKey);
  if (!q.is_array()) return invalid(kKey, "must be a list of MetricDataQuery objects.");
  const std::string compact = simdjson::minify(q);
  auto queries = query::metricmath::parse_metric_data_queries_json(compact);
  if (!queries.ok()) return invalid(kKey, queries.status().message());
  if (queries->empty()) return invalid(kKey, "must have at least one query.");
  if (Status st = query::metricmath::validate_metric_data_queries(*queries, {}); !st.ok()) {
    return invalid(kKey, st.message());
  }
  const auto returning = std::count_if(queries->begin(), queries->end(),
                                       [](const auto& mq) { return mq.return_data; });
  if (returning != 1) {
    return invalid(
        kKey, fmt::format("must have exactly one query with ReturnData true (got {}).", returning));
  }
  d->type = AnomalyDetectorType::kMetricMath;
  d->metric_data_queries_json = compact;
  return OkStatus();
}

Status read_configuration(dom::object obj, AnomalyDetector* d) {
  dom::element e;
  if (jsonu::member(obj, "Configuration", &e)) {
    dom::object c;
    if (e.get_object().get(c)) return invalid("Configuration", "must be an object.");
    std::optional<std::string> tz;
    RETURN_IF_ERROR(jsonu::get_string(c, "MetricTimezone", &tz));
    if (tz) RETURN_IF_ERROR(check_length("Configuration.MetricTimezone", *tz, 0, 50));
    d->metric_timezone = tz.value_or("");
    dom::element r;
    if (jsonu::member(c, "ExcludedTimeRanges", &r)) {
      constexpr std::string_view kKey = "Configuration.ExcludedTimeRanges";
      dom::array a;
      if (r.get_array().get(a)) return invalid(kKey, "must be a list of {StartTime, EndTime}.");
      if (a.size() > kMaxExcludedTimeRanges) {
        return invalid(kKey, fmt::format("can have at most {} ranges.", kMaxExcludedTimeRanges));
      }
      for (dom::element item : a) {
        dom::object ro;
        if (item.get_object().get(ro)) {
          return invalid(kKey, "must be a list of {StartTime, EndTime}.");
        }
        std::optional<int64_t> start, end;
        RETURN_IF_ERROR(jsonu::get_time(ro, "StartTime", &start));
        RETURN_IF_ERROR(jsonu::get_time(ro, "EndTime", &end));
        if (!start) return missing(std::string(kKey) + ".member.StartTime");
        if (!end) return missing(std::string(kKey) + ".member.EndTime");
        if (*start >= *end) {
          return invalid(std::string(kKey) + ".member.StartTime", "must be before EndTime.");
        }
        d->excluded.push_back({*start, *end});
      }
    }
  }
  if (jsonu::member(obj, "MetricCharacteristics", &e)) {
    dom::object m;
    if (e.get_object().get(m)) return invalid("MetricCharacteristics", "must be an object.");
    RETURN_IF_ERROR(jsonu::get_bool(m, "PeriodicSpikes", &d->periodic_spikes));
  }
  return OkStatus();
}

void write_dimensions(json::Writer& w, const std::vector<Dimension>& dims) {
  w.key("Dimensions").begin_array();
  for (const auto& dim : dims)
    w.begin_object().kv("Name", dim.name).kv("Value", dim.value).end_object();
  w.end_array();
}

void write_single_metric(json::Writer& w, const AnomalyDetector& d) {
  if (!d.account_id.empty()) w.kv("AccountId", d.account_id);
  w.kv("Namespace", d.namespace_name).kv("MetricName", d.metric_name);
  write_dimensions(w, d.dimensions);
  w.kv("Stat", d.stat);
}

void write_time(json::Writer& w, std::string_view key, int64_t ms, TimeFormat f) {
  if (f == TimeFormat::kEpochSeconds) {
    w.kv(key, static_cast<double>(ms) / 1000.0);
  } else {
    w.kv(key, format_rfc3339_ms(ms));
  }
}

// Configuration, MetricCharacteristics and the metric of `d`, into an open object.
void write_detector_fields(json::Writer& w, const AnomalyDetector& d, TimeFormat f) {
  if (d.type == AnomalyDetectorType::kSingleMetric) {
    w.key("SingleMetricAnomalyDetector").begin_object();
    write_single_metric(w, d);
    w.end_object();
  } else {
    w.key("MetricMathAnomalyDetector").begin_object();
    w.key("MetricDataQueries").raw(d.metric_data_queries_json);
    w.end_object();
  }
  w.key("Configuration").begin_object();
  w.key("ExcludedTimeRanges").begin_array();
  for (const auto& r : d.excluded) {
    w.begin_object();
    write_time(w, "StartTime", r.start_ms, f);
    write_time(w, "EndTime", r.end_ms, f);
    w.end_object();
  }
  w.end_array();
  if (!d.metric_timezone.empty()) w.kv("MetricTimezone", d.metric_timezone);
  w.end_object();
  if (d.periodic_spikes) {
    w.key("MetricCharacteristics").begin_object().kv("PeriodicSpikes", *d.periodic_spikes);
    w.end_object();
  }
}

Labels identity_of(const AnomalyDetector& d) {
  if (d.type != AnomalyDetectorType::kSingleMetric) return Labels();
  std::vector<std::pair<std::string, std::string>> dims;
  for (const auto& dim : d.dimensions) dims.emplace_back(dim.name, dim.value);
  return query::metricmath::metric_identity(d.namespace_name, d.metric_name, dims);
}

bool has_dimensions(const AnomalyDetector& d, const std::vector<Dimension>& want) {
  return std::all_of(want.begin(), want.end(), [&](const Dimension& x) {
    return std::find(d.dimensions.begin(), d.dimensions.end(), x) != d.dimensions.end();
  });
}

}  // namespace

std::string_view anomaly_detector_type_name(AnomalyDetectorType t) {
  return t == AnomalyDetectorType::kSingleMetric ? "SINGLE_METRIC" : "METRIC_MATH";
}

std::string_view anomaly_detector_state_name(AnomalyDetectorState s) {
  switch (s) {
    case AnomalyDetectorState::kPendingTraining:
      return "PENDING_TRAINING";
    case AnomalyDetectorState::kTrainedInsufficientData:
      return "TRAINED_INSUFFICIENT_DATA";
    case AnomalyDetectorState::kTrained:
      return "TRAINED";
  }
  return "PENDING_TRAINING";
}

std::string anomaly_detector_key(const AnomalyDetector& d) {
  json::Writer w;
  w.begin_array();
  if (d.type == AnomalyDetectorType::kSingleMetric) {
    w.value("S").value(d.account_id).value(d.namespace_name).value(d.metric_name).value(d.stat);
    for (const auto& dim : d.dimensions) w.value(dim.name).value(dim.value);
  } else {
    w.value("M").raw(d.metric_data_queries_json);
  }
  w.end_array();
  return sha256_hex(w.str());
}

Result<AnomalyDetector> parse_anomaly_detector_request(std::string_view json) {
  dom::parser parser;
  simdjson::padded_string padded;
  ASSIGN_OR_RETURN(dom::object obj, jsonu::parse_object(parser, padded, json, "AnomalyDetector"));
  AnomalyDetector d;
  ASSIGN_OR_RETURN(const bool legacy, read_single_metric(obj, "", /*with_account=*/false, &d));
  int forms = legacy ? 1 : 0;
  dom::element e;
  if (jsonu::member(obj, "SingleMetricAnomalyDetector", &e)) {
    forms++;
    dom::object s;
    if (e.get_object().get(s)) return invalid("SingleMetricAnomalyDetector", "must be an object.");
    ASSIGN_OR_RETURN(const bool given, read_single_metric(s, "SingleMetricAnomalyDetector.",
                                                          /*with_account=*/true, &d));
    if (!given) return missing("SingleMetricAnomalyDetector.Namespace");
  }
  if (jsonu::member(obj, "MetricMathAnomalyDetector", &e)) {
    forms++;
    if (forms == 1) RETURN_IF_ERROR(read_metric_math(e, &d));
  }
  if (forms == 0) {
    return aws_error(kMissingParameter,
                     "One of SingleMetricAnomalyDetector, MetricMathAnomalyDetector or the "
                     "Namespace, MetricName and Stat parameters is required.");
  }
  if (forms > 1) {
    return aws_error(kInvalidParameterCombination,
                     "Give only one of SingleMetricAnomalyDetector, MetricMathAnomalyDetector and "
                     "the top-level Namespace, MetricName, Dimensions and Stat.");
  }
  RETURN_IF_ERROR(read_configuration(obj, &d));
  return d;
}

std::string anomaly_detector_doc(const AnomalyDetector& d) {
  json::Writer w(512);
  w.begin_object();
  write_detector_fields(w, d, TimeFormat::kEpochSeconds);
  w.end_object();
  return w.take();
}

Result<DescribeAnomalyDetectorsRequest> parse_describe_anomaly_detectors_request(
    std::string_view json) {
  DescribeAnomalyDetectorsRequest r;
  if (json.empty()) return r;
  dom::parser parser;
  simdjson::padded_string padded;
  ASSIGN_OR_RETURN(dom::object obj,
                   jsonu::parse_object(parser, padded, json, "DescribeAnomalyDetectors"));
  std::optional<std::string> ns, name, token;
  std::optional<int64_t> max;
  std::optional<std::vector<std::string>> types;
  RETURN_IF_ERROR(jsonu::get_string(obj, "Namespace", &ns));
  RETURN_IF_ERROR(jsonu::get_string(obj, "MetricName", &name));
  RETURN_IF_ERROR(jsonu::get_string(obj, "NextToken", &token));
  RETURN_IF_ERROR(jsonu::get_int(obj, "MaxResults", &max));
  RETURN_IF_ERROR(jsonu::get_string_list(obj, "AnomalyDetectorTypes", &types));
  RETURN_IF_ERROR(read_dimensions(obj, "", &r.dimensions));
  if (max && (*max < 1 || *max > 100)) return invalid("MaxResults", "must be between 1 and 100.");
  r.max_results = max ? static_cast<size_t>(*max) : 100;
  r.namespace_name = ns.value_or("");
  r.metric_name = name.value_or("");
  r.next_token = token.value_or("");
  if (types) {
    if (types->size() > 2) return invalid("AnomalyDetectorTypes", "can have at most 2 members.");
    for (const auto& t : *types) {
      if (t == "SINGLE_METRIC") {
        r.types.push_back(AnomalyDetectorType::kSingleMetric);
      } else if (t == "METRIC_MATH") {
        r.types.push_back(AnomalyDetectorType::kMetricMath);
      } else {
        return invalid(
            "AnomalyDetectorTypes",
            fmt::format("member \"{}\" must be SINGLE_METRIC or METRIC_MATH.", t.substr(0, 64)));
      }
    }
  }
  return r;
}

std::string describe_anomaly_detectors_response(const DescribeAnomalyDetectorsResult& r,
                                                TimeFormat f) {
  json::Writer w(256 + 512 * r.detectors.size());
  w.begin_object();
  w.key("AnomalyDetectors").begin_array();
  for (const auto& v : r.detectors) {
    const AnomalyDetector& d = v.detector;
    w.begin_object();
    if (d.type == AnomalyDetectorType::kSingleMetric) {
      // Deprecated top-level copies of SingleMetricAnomalyDetector, still filled by CloudWatch.
      w.kv("Namespace", d.namespace_name).kv("MetricName", d.metric_name);
      write_dimensions(w, d.dimensions);
      w.kv("Stat", d.stat);
    }
    write_detector_fields(w, d, f);
    w.kv("StateValue", anomaly_detector_state_name(v.state));
    w.end_object();
  }
  w.end_array();
  if (!r.next_token.empty()) w.kv("NextToken", r.next_token);
  w.end_object();
  return w.take();
}

AnomalyDetectorService::AnomalyDetectorService(storage::meta::MetaStore* meta, TrainingProbe probe)
    : meta_(meta), probe_(std::move(probe)) {}

Result<AnomalyDetectorService::TenantDetectors*> AnomalyDetectorService::load_locked(
    const storage::Tenant& tenant) {
  auto it = cache_.find(tenant);
  if (it != cache_.end()) return &it->second;
  ASSIGN_OR_RETURN(auto objects, meta_->list(tenant, kKind));
  TenantDetectors detectors;
  for (const auto& o : objects) {
    auto d = parse_anomaly_detector_request(o.doc);
    if (!d.ok()) {
      return Status::corruption(fmt::format("stored anomaly detector {} of {}: {}", o.name,
                                            tenant.account, d.status().message()));
    }
    Labels identity = identity_of(*d);
    detectors.emplace(o.name, Entry{std::move(*d), std::move(identity)});
  }
  return &cache_.emplace(tenant, std::move(detectors)).first->second;
}

Status AnomalyDetectorService::put(const storage::Tenant& tenant, const AnomalyDetector& d) {
  const std::string key = anomaly_detector_key(d);
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(TenantDetectors * detectors, load_locked(tenant));
  if (!detectors->contains(key) && detectors->size() >= kMaxAnomalyDetectors) {
    return aws_error(
        "LimitExceeded",
        fmt::format("An account can have at most {} anomaly detectors.", kMaxAnomalyDetectors));
  }
  RETURN_IF_ERROR(meta_->put(tenant, kKind, key, anomaly_detector_doc(d)).status());
  (*detectors)[key] = Entry{d, identity_of(d)};
  return OkStatus();
}

Status AnomalyDetectorService::remove(const storage::Tenant& tenant, const AnomalyDetector& d) {
  const std::string key = anomaly_detector_key(d);
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(TenantDetectors * detectors, load_locked(tenant));
  if (!detectors->contains(key)) {
    return Status::not_found(
        "ResourceNotFoundException: No anomaly detector exists for the given metric.");
  }
  auto st = meta_->remove(tenant, kKind, key).status();
  if (!st.ok() && st.code() != Code::kNotFound) return st;
  detectors->erase(key);
  return OkStatus();
}

Result<DescribeAnomalyDetectorsResult> AnomalyDetectorService::describe(
    const storage::Tenant& tenant, const DescribeAnomalyDetectorsRequest& r) {
  // NextToken: the key of the last detector of the previous page (keys are SHA-256 hex).
  std::string ignored;
  if (!r.next_token.empty() && (r.next_token.size() != 64 || !hex_decode(r.next_token, &ignored))) {
    return aws_error(kInvalidNextToken,
                     "The NextToken is not a token of DescribeAnomalyDetectors.");
  }
  const std::string& after_key = r.next_token;
  DescribeAnomalyDetectorsResult out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(TenantDetectors * detectors, load_locked(tenant));
    std::string last_key;
    for (const auto& [key, e] : *detectors) {
      if (!after_key.empty() && key <= after_key) continue;
      const AnomalyDetector& d = e.detector;
      if (!r.types.empty() && std::find(r.types.begin(), r.types.end(), d.type) == r.types.end()) {
        continue;
      }
      const bool metric_filter =
          !r.namespace_name.empty() || !r.metric_name.empty() || !r.dimensions.empty();
      if (metric_filter && (d.type != AnomalyDetectorType::kSingleMetric ||
                            (!r.namespace_name.empty() && d.namespace_name != r.namespace_name) ||
                            (!r.metric_name.empty() && d.metric_name != r.metric_name) ||
                            !has_dimensions(d, r.dimensions))) {
        continue;
      }
      if (out.detectors.size() == r.max_results) {
        out.next_token = last_key;
        break;
      }
      out.detectors.push_back({d, AnomalyDetectorState::kPendingTraining});
      last_key = key;
    }
  }
  // The probe reads the metrics store: outside the lock.
  for (auto& v : out.detectors) {
    if (!probe_) break;
    auto n = probe_(tenant, v.detector);
    if (!n.ok() || *n == 0) continue;
    v.state = *n < kMinTrainingPoints ? AnomalyDetectorState::kTrainedInsufficientData
                                      : AnomalyDetectorState::kTrained;
  }
  return out;
}

Result<std::vector<ExcludedRange>> AnomalyDetectorService::excluded_ranges(
    const storage::Tenant& tenant, const Labels& identity, std::string_view stat) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(TenantDetectors * detectors, load_locked(tenant));
  for (const auto& [key, e] : *detectors) {
    const AnomalyDetector& d = e.detector;
    if (d.type != AnomalyDetectorType::kSingleMetric || d.stat != stat) continue;
    if (!d.account_id.empty() && d.account_id != tenant.account) continue;
    if (e.identity == identity) return d.excluded;
  }
  return std::vector<ExcludedRange>{};
}

}  // namespace opsight::alarm
