// Sampling rule model, validation and X-Ray API JSON (see sampling_rule.h). Field names and
// constraints from the AWS X-Ray API reference (Data Types: SamplingRule, SamplingRuleUpdate,
// SamplingRuleRecord, SamplingStatisticsDocument, SamplingTargetDocument,
// UnprocessedStatistics, SamplingStatisticSummary).
#include "apm/xray_sampling/sampling_rule.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cmath>

#include "common/json_writer.h"
#include "common/time_util.h"

namespace opsight::apm::xray {
namespace {

namespace dom = simdjson::dom;

Status bad(std::string_view msg) {
  return Status::invalid_argument(std::string(msg));
}

Result<dom::object> parse_object(dom::parser& parser, const simdjson::padded_string& padded,
                                 std::string_view what) {
  dom::element doc;
  if (auto err = parser.parse(padded).get(doc); err) {
    return bad(
        fmt::format("{}: the body is not valid JSON: {}", what, simdjson::error_message(err)));
  }
  dom::object obj;
  if (doc.get_object().get(obj))
    return bad(fmt::format("{}: the body must be a JSON object", what));
  return obj;
}

bool present(dom::object obj, std::string_view key, dom::element* out) {
  return !obj.at_key(key).get(*out) && !out->is_null();
}

Status get_string(dom::object obj, std::string_view key, std::optional<std::string>* out) {
  dom::element e;
  if (!present(obj, key, &e)) return OkStatus();
  std::string_view s;
  if (e.get_string().get(s)) return bad(fmt::format("{} must be a string", key));
  *out = std::string(s);
  return OkStatus();
}

Status get_int(dom::object obj, std::string_view key, std::optional<int64_t>* out) {
  dom::element e;
  if (!present(obj, key, &e)) return OkStatus();
  int64_t v = 0;
  double d = 0;
  if (!e.get_int64().get(v)) {
    *out = v;
  } else if (!e.get_double().get(d) && std::floor(d) == d && std::fabs(d) < 9e15) {
    *out = static_cast<int64_t>(d);
  } else {
    return bad(fmt::format("{} must be an integer", key));
  }
  return OkStatus();
}

Status get_double(dom::object obj, std::string_view key, std::optional<double>* out) {
  dom::element e;
  if (!present(obj, key, &e)) return OkStatus();
  double d = 0;
  if (e.get_double().get(d)) return bad(fmt::format("{} must be a number", key));
  *out = d;
  return OkStatus();
}

Status get_attributes(dom::object obj,
                      std::optional<std::vector<std::pair<std::string, std::string>>>* out) {
  dom::element e;
  if (!present(obj, "Attributes", &e)) return OkStatus();
  dom::object a;
  if (e.get_object().get(a)) return bad("Attributes must be an object of strings");
  std::vector<std::pair<std::string, std::string>> v;
  for (auto [k, val] : a) {
    std::string_view s;
    if (val.get_string().get(s)) return bad(fmt::format("Attributes.{} must be a string", k));
    v.emplace_back(std::string(k), std::string(s));
  }
  *out = std::move(v);
  return OkStatus();
}

// Reads every SamplingRuleUpdate field of `obj` (also the fields of a SamplingRule).
Status read_fields(dom::object obj, SamplingRuleUpdate* u, std::optional<std::string>* name,
                   std::optional<std::string>* arn, std::optional<int64_t>* version) {
  RETURN_IF_ERROR(get_string(obj, "RuleName", name));
  RETURN_IF_ERROR(get_string(obj, "RuleARN", arn));
  RETURN_IF_ERROR(get_string(obj, "ResourceARN", &u->resource_arn));
  RETURN_IF_ERROR(get_int(obj, "Priority", &u->priority));
  RETURN_IF_ERROR(get_double(obj, "FixedRate", &u->fixed_rate));
  RETURN_IF_ERROR(get_int(obj, "ReservoirSize", &u->reservoir_size));
  RETURN_IF_ERROR(get_string(obj, "ServiceName", &u->service_name));
  RETURN_IF_ERROR(get_string(obj, "ServiceType", &u->service_type));
  RETURN_IF_ERROR(get_string(obj, "Host", &u->host));
  RETURN_IF_ERROR(get_string(obj, "HTTPMethod", &u->http_method));
  RETURN_IF_ERROR(get_string(obj, "URLPath", &u->url_path));
  RETURN_IF_ERROR(get_int(obj, "Version", version));
  RETURN_IF_ERROR(get_attributes(obj, &u->attributes));
  return OkStatus();
}

// The rule name of an ARN "arn:aws:xray:<region>:<account>:sampling-rule/<name>".
Result<std::string> name_from_arn(std::string_view arn) {
  const size_t slash = arn.rfind('/');
  if (!arn.starts_with("arn:") || arn.find(":sampling-rule/") == std::string_view::npos ||
      slash + 1 >= arn.size()) {
    return bad(
        fmt::format("RuleARN \"{}\" is not a sampling rule ARN "
                    "(arn:aws:xray:<region>:<account>:sampling-rule/<name>)",
                    arn.substr(0, 200)));
  }
  return std::string(arn.substr(slash + 1));
}

Result<SamplingRule> rule_from_object(dom::object obj) {
  SamplingRuleUpdate u;
  std::optional<std::string> name, arn;
  std::optional<int64_t> version;
  RETURN_IF_ERROR(read_fields(obj, &u, &name, &arn, &version));
  SamplingRule r;
  if (!name && arn) {
    ASSIGN_OR_RETURN(name, name_from_arn(*arn));
  }
  if (!name) return bad("RuleName is required");
  r.rule_name = *name;
  auto need = [](const auto& field, std::string_view key) -> Status {
    return field ? OkStatus() : bad(fmt::format("{} is required", key));
  };
  RETURN_IF_ERROR(need(u.resource_arn, "ResourceARN"));
  RETURN_IF_ERROR(need(u.priority, "Priority"));
  RETURN_IF_ERROR(need(u.fixed_rate, "FixedRate"));
  RETURN_IF_ERROR(need(u.reservoir_size, "ReservoirSize"));
  RETURN_IF_ERROR(need(u.service_name, "ServiceName"));
  RETURN_IF_ERROR(need(u.service_type, "ServiceType"));
  RETURN_IF_ERROR(need(u.host, "Host"));
  RETURN_IF_ERROR(need(u.http_method, "HTTPMethod"));
  RETURN_IF_ERROR(need(u.url_path, "URLPath"));
  RETURN_IF_ERROR(need(version, "Version"));
  r.resource_arn = *u.resource_arn;
  r.priority = *u.priority;
  r.fixed_rate = *u.fixed_rate;
  r.reservoir_size = *u.reservoir_size;
  r.service_name = *u.service_name;
  r.service_type = *u.service_type;
  r.host = *u.host;
  r.http_method = *u.http_method;
  r.url_path = *u.url_path;
  r.version = *version;
  if (u.attributes) r.attributes = *u.attributes;
  if (std::string rule = validate_sampling_rule(r); !rule.empty()) return bad(rule);
  return r;
}

void write_time(json::Writer& w, std::string_view key, int64_t ms) {
  w.kv(key, static_cast<double>(ms) / 1000.0);
}

void write_rule(json::Writer& w, const SamplingRule& r, const storage::Tenant& tenant) {
  w.begin_object()
      .kv("RuleName", r.rule_name)
      .kv("RuleARN", sampling_rule_arn(tenant, r.rule_name))
      .kv("ResourceARN", r.resource_arn)
      .kv("Priority", r.priority)
      .kv("FixedRate", r.fixed_rate)
      .kv("ReservoirSize", r.reservoir_size)
      .kv("ServiceName", r.service_name)
      .kv("ServiceType", r.service_type)
      .kv("Host", r.host)
      .kv("HTTPMethod", r.http_method)
      .kv("URLPath", r.url_path)
      .kv("Version", r.version);
  w.key("Attributes").begin_object();
  for (const auto& [k, v] : r.attributes) w.kv(k, v);
  w.end_object().end_object();
}

std::string check_length(std::string_view field, std::string_view v, size_t min, size_t max) {
  if (v.size() < min || v.size() > max) {
    return fmt::format("{} must be {}..{} characters (got {})", field, min, max, v.size());
  }
  return {};
}

}  // namespace

SamplingRule default_sampling_rule() {
  SamplingRule r;
  r.rule_name = std::string(kDefaultRuleName);
  r.priority = kDefaultRulePriority;
  r.fixed_rate = kDefaultRuleFixedRate;
  r.reservoir_size = kDefaultRuleReservoirSize;
  return r;
}

std::string validate_sampling_rule(const SamplingRule& r) {
  std::string e;
  if (!(e = check_length("RuleName", r.rule_name, 1, 32)).empty()) return e;
  if (!(e = check_length("ResourceARN", r.resource_arn, 1, 500)).empty()) return e;
  if (r.rule_name == kDefaultRuleName) {
    if (r.priority != kDefaultRulePriority) {
      return fmt::format("Priority of the Default rule is {}", kDefaultRulePriority);
    }
  } else if (r.priority < 1 || r.priority > 9999) {
    return fmt::format("Priority must be 1..9999 (got {})", r.priority);
  }
  if (!(r.fixed_rate >= 0 && r.fixed_rate <= 1)) {
    return fmt::format("FixedRate must be 0..1 (got {})", r.fixed_rate);
  }
  if (r.reservoir_size < 0) {
    return fmt::format("ReservoirSize must be >= 0 (got {})", r.reservoir_size);
  }
  if (!(e = check_length("ServiceName", r.service_name, 0, 64)).empty()) return e;
  if (!(e = check_length("ServiceType", r.service_type, 0, 64)).empty()) return e;
  if (!(e = check_length("Host", r.host, 0, 64)).empty()) return e;
  if (!(e = check_length("HTTPMethod", r.http_method, 0, 10)).empty()) return e;
  if (!(e = check_length("URLPath", r.url_path, 0, 128)).empty()) return e;
  if (r.version != 1) return fmt::format("Version must be 1 (got {})", r.version);
  if (r.attributes.size() > 5) return "Attributes may have at most 5 entries";
  for (const auto& [k, v] : r.attributes) {
    if (!(e = check_length("an Attributes key", k, 1, 32)).empty()) return e;
    if (!(e = check_length(fmt::format("Attributes.{}", k), v, 1, 32)).empty()) return e;
  }
  return {};
}

std::string sampling_rule_arn(const storage::Tenant& tenant, std::string_view name) {
  return fmt::format("arn:aws:xray:{}:{}:sampling-rule/{}", tenant.region, tenant.account, name);
}

Status apply_sampling_rule_update(const SamplingRuleUpdate& u, SamplingRule* r) {
  if (r->rule_name == kDefaultRuleName &&
      (u.resource_arn || u.priority || u.service_name || u.service_type || u.host ||
       u.http_method || u.url_path || u.attributes)) {
    return bad("the Default rule can only change FixedRate and ReservoirSize");
  }
  if (u.resource_arn) r->resource_arn = *u.resource_arn;
  if (u.priority) r->priority = *u.priority;
  if (u.fixed_rate) r->fixed_rate = *u.fixed_rate;
  if (u.reservoir_size) r->reservoir_size = *u.reservoir_size;
  if (u.service_name) r->service_name = *u.service_name;
  if (u.service_type) r->service_type = *u.service_type;
  if (u.host) r->host = *u.host;
  if (u.http_method) r->http_method = *u.http_method;
  if (u.url_path) r->url_path = *u.url_path;
  if (u.attributes) r->attributes = *u.attributes;
  if (std::string rule = validate_sampling_rule(*r); !rule.empty()) return bad(rule);
  return OkStatus();
}

Result<SamplingRule> parse_sampling_rule_json(std::string_view json) {
  simdjson::padded_string padded(json);
  dom::parser parser;
  ASSIGN_OR_RETURN(dom::object obj, parse_object(parser, padded, "SamplingRule"));
  return rule_from_object(obj);
}

std::string sampling_rule_json(const SamplingRule& rule, const storage::Tenant& tenant) {
  json::Writer w;
  write_rule(w, rule, tenant);
  return w.take();
}

Result<SamplingRule> parse_create_sampling_rule_request(std::string_view body) {
  simdjson::padded_string padded(body);
  dom::parser parser;
  ASSIGN_OR_RETURN(dom::object obj, parse_object(parser, padded, "CreateSamplingRule"));
  dom::object rule;
  if (obj.at_key("SamplingRule").get_object().get(rule)) {
    return bad("SamplingRule is required (an object)");
  }
  return rule_from_object(rule);
}

Result<SamplingRuleUpdate> parse_update_sampling_rule_request(std::string_view body) {
  simdjson::padded_string padded(body);
  dom::parser parser;
  ASSIGN_OR_RETURN(dom::object obj, parse_object(parser, padded, "UpdateSamplingRule"));
  dom::object upd;
  if (obj.at_key("SamplingRuleUpdate").get_object().get(upd)) {
    return bad("SamplingRuleUpdate is required (an object)");
  }
  SamplingRuleUpdate u;
  std::optional<std::string> name, arn;
  std::optional<int64_t> version;
  RETURN_IF_ERROR(read_fields(upd, &u, &name, &arn, &version));
  if (name) {
    u.rule_name = *name;
  } else if (arn) {
    ASSIGN_OR_RETURN(u.rule_name, name_from_arn(*arn));
  } else {
    return bad("SamplingRuleUpdate needs RuleName or RuleARN");
  }
  return u;
}

Result<std::string> parse_delete_sampling_rule_request(std::string_view body) {
  simdjson::padded_string padded(body);
  dom::parser parser;
  ASSIGN_OR_RETURN(dom::object obj, parse_object(parser, padded, "DeleteSamplingRule"));
  std::optional<std::string> name, arn;
  RETURN_IF_ERROR(get_string(obj, "RuleName", &name));
  RETURN_IF_ERROR(get_string(obj, "RuleARN", &arn));
  if (name) return *name;
  if (arn) return name_from_arn(*arn);
  return bad("DeleteSamplingRule needs RuleName or RuleARN");
}

Result<std::vector<SamplingStatisticsDocument>> parse_sampling_targets_request(
    std::string_view body) {
  simdjson::padded_string padded(body);
  dom::parser parser;
  ASSIGN_OR_RETURN(dom::object obj, parse_object(parser, padded, "GetSamplingTargets"));
  dom::array docs;
  if (obj.at_key("SamplingStatisticsDocuments").get_array().get(docs)) {
    return bad("SamplingStatisticsDocuments is required (an array)");
  }
  if (docs.size() > 25) {
    return bad(fmt::format("SamplingStatisticsDocuments has {} items: at most 25 are allowed",
                           docs.size()));
  }
  std::vector<SamplingStatisticsDocument> out;
  size_t i = 0;
  for (dom::element e : docs) {
    const std::string item = fmt::format("SamplingStatisticsDocuments[{}]", i++);
    dom::object d;
    if (e.get_object().get(d)) return bad(item + " must be an object");
    SamplingStatisticsDocument s;
    std::optional<std::string> name, client;
    std::optional<int64_t> req, sampled, borrow;
    auto with_item = [&](Status st) { return st.ok() ? st : st.with_prefix(item); };
    RETURN_IF_ERROR(with_item(get_string(d, "RuleName", &name)));
    RETURN_IF_ERROR(with_item(get_string(d, "ClientID", &client)));
    RETURN_IF_ERROR(with_item(get_int(d, "RequestCount", &req)));
    RETURN_IF_ERROR(with_item(get_int(d, "SampledCount", &sampled)));
    RETURN_IF_ERROR(with_item(get_int(d, "BorrowCount", &borrow)));
    if (!name || !client || !req || !sampled) {
      return bad(item + ": RuleName, ClientID, RequestCount and SampledCount are required");
    }
    if (*req < 0 || *sampled < 0 || borrow.value_or(0) < 0) {
      return bad(item + ": counts must be >= 0");
    }
    if (client->size() != 24) {
      return bad(fmt::format("{}: ClientID must be 24 characters (got {})", item, client->size()));
    }
    dom::element ts;
    double secs = 0;
    std::string_view text;
    if (present(d, "Timestamp", &ts)) {
      if (!ts.get_double().get(secs)) {
        s.timestamp_ms = static_cast<int64_t>(secs * 1000);
      } else if (!ts.get_string().get(text)) {
        auto ms = parse_time_ms(text);
        if (ms.ok()) s.timestamp_ms = *ms;
      }
    }
    s.rule_name = *name;
    s.client_id = *client;
    s.request_count = *req;
    s.sampled_count = *sampled;
    s.borrow_count = borrow.value_or(0);
    out.push_back(std::move(s));
  }
  return out;
}

std::string sampling_rule_record_json(const SamplingRuleRecord& rec, const storage::Tenant& tenant,
                                      TimeStyle style) {
  (void)style;  // rule records carry times no SDK reads; always epoch seconds
  json::Writer w;
  w.begin_object().key("SamplingRule");
  write_rule(w, rec.rule, tenant);
  write_time(w, "CreatedAt", rec.created_ms);
  write_time(w, "ModifiedAt", rec.modified_ms);
  w.end_object();
  return w.take();
}

std::string sampling_rule_record_response(const SamplingRuleRecord& rec,
                                          const storage::Tenant& tenant) {
  json::Writer w;
  w.begin_object().key("SamplingRuleRecord");
  w.raw(sampling_rule_record_json(rec, tenant, TimeStyle::kEpochSeconds));
  w.end_object();
  return w.take();
}

std::string get_sampling_rules_response(std::span<const SamplingRuleRecord> records,
                                        const storage::Tenant& tenant, TimeStyle style) {
  json::Writer w;
  w.begin_object().key("SamplingRuleRecords").begin_array();
  for (const auto& r : records) w.raw(sampling_rule_record_json(r, tenant, style));
  w.end_array().end_object();
  return w.take();
}

std::string sampling_targets_response(const SamplingTargets& t, TimeStyle style) {
  const bool node = style == TimeStyle::kXraySdkNode;
  json::Writer w;
  w.begin_object().key("SamplingTargetDocuments").begin_array();
  for (const auto& d : t.documents) {
    w.begin_object().kv("RuleName", d.rule_name).kv("FixedRate", d.fixed_rate);
    if (!node || d.reservoir_quota > 0) {
      w.kv("ReservoirQuota", d.reservoir_quota);
      if (node) {
        w.kv("ReservoirQuotaTTL", iso8601_ms(d.reservoir_quota_ttl_ms));
      } else {
        write_time(w, "ReservoirQuotaTTL", d.reservoir_quota_ttl_ms);
      }
    }
    w.kv("Interval", d.interval_s).end_object();
  }
  w.end_array();
  if (node) {
    w.kv("LastRuleModification", t.last_rule_modification_ms);
  } else {
    write_time(w, "LastRuleModification", t.last_rule_modification_ms);
  }
  w.key("UnprocessedStatistics").begin_array();
  for (const auto& u : t.unprocessed) {
    w.begin_object()
        .kv("RuleName", u.rule_name)
        .kv("ErrorCode", u.error_code)
        .kv("Message", u.message)
        .end_object();
  }
  w.end_array().end_object();
  return w.take();
}

std::string sampling_statistic_summaries_response(
    std::span<const SamplingStatisticSummary> summaries) {
  json::Writer w;
  w.begin_object().key("SamplingStatisticSummaries").begin_array();
  for (const auto& s : summaries) {
    w.begin_object().kv("RuleName", s.rule_name);
    write_time(w, "Timestamp", s.timestamp_ms);
    w.kv("RequestCount", s.request_count)
        .kv("BorrowCount", s.borrow_count)
        .kv("SampledCount", s.sampled_count)
        .end_object();
  }
  w.end_array().end_object();
  return w.take();
}

std::string iso8601_ms(int64_t unix_ms) {
  return format_rfc3339_ms(unix_ms);
}

}  // namespace opsight::apm::xray
