#include "rules/group.h"

#include <cmath>
#include <set>
#include <variant>

#include "common/logging.h"
#include "common/self_metrics.h"

namespace opsight::rules {

std::string_view alert_state_name(AlertState s) {
  switch (s) {
    case AlertState::kInactive:
      return "inactive";
    case AlertState::kPending:
      return "pending";
    case AlertState::kFiring:
      return "firing";
  }
  return "inactive";
}

std::string_view rule_health_name(RuleHealth h) {
  switch (h) {
    case RuleHealth::kUnknown:
      return "unknown";
    case RuleHealth::kOk:
      return "ok";
    case RuleHealth::kErr:
      return "err";
  }
  return "unknown";
}

namespace {

struct Probe {
  metrics::Counter* evaluations;
  metrics::Counter* failures;
  metrics::Counter* missed;
  static const Probe& get() {
    static const Probe p = [] {
      auto& r = metrics::Registry::global();
      return Probe{
          r.counter("opsight_rule_evaluations_total", "Rule evaluations."),
          r.counter("opsight_rule_evaluation_failures_total", "Rule evaluations that failed."),
          r.counter("opsight_rule_group_iterations_missed_total",
                    "Rule group evaluations skipped because the previous one ran late.")};
    }();
    return p;
  }
};

Result<query::promql::Vector> as_vector(query::promql::Value v) {
  if (auto* vec = std::get_if<query::promql::Vector>(&v)) return std::move(*vec);
  if (auto* s = std::get_if<query::promql::Scalar>(&v)) {
    return query::promql::Vector{query::promql::VectorSample{Labels{}, s->t, s->v}};
  }
  return Status::invalid_argument("rule result is not a vector or scalar");
}

}  // namespace

Group::Group(GroupSpec spec, GroupOptions options)
    : spec_(std::move(spec)),
      opts_(std::move(options)),
      interval_ms_(spec_.interval_ms > 0 ? spec_.interval_ms : opts_.default_interval_ms) {
  for (const auto& r : spec_.rules) {
    RuleState s;
    s.spec = r;
    rules_.push_back(std::move(s));
  }
}

int64_t Group::eval_timestamp(int64_t now_ms) const {
  // Prometheus computes offset = hash({file, name}) % interval in nanoseconds and writes samples
  // at the slot's millisecond; flooring the offset to whole milliseconds gives the same sample
  // timestamps while keeping every slot a whole millisecond.
  const int64_t interval_ns = interval_ms_ * 1'000'000;
  uint64_t h = Labels{{"name", spec_.name}, {"file", spec_.file}}.hash();
  int64_t offset = static_cast<int64_t>(h % static_cast<uint64_t>(interval_ns)) / 1'000'000;
  int64_t adj = now_ms - offset;
  int64_t m = adj % interval_ms_;
  if (m < 0) m += interval_ms_;
  return adj - m + offset;
}

void Group::add_missed(int64_t n) {
  if (n > 0) Probe::get().missed->inc(static_cast<uint64_t>(n));
}

void Group::eval(int64_t ts) {
  const Probe& probe = Probe::get();
  int64_t group_start_mono = opts_.clock->mono_ns();
  int64_t group_start_wall = opts_.clock->now_ms();
  for (size_t i = 0; i < rules_.size(); i++) {
    RuleState& r = rules_[i];
    int64_t start_mono = opts_.clock->mono_ns();
    int64_t start_wall = opts_.clock->now_ms();
    probe.evaluations->inc();
    Result<std::vector<Output>> out = Status::internal("rule has no expression");
    if (r.spec->expr) {
      out = r.spec->type == RuleType::kRecording ? eval_recording(r, ts) : eval_alerting(r, ts);
    }
    Status st = out.ok() ? OkStatus() : out.status();
    if (out.ok()) {
      if (r.spec->type == RuleType::kAlerting) send_alerts(r, ts);
      st = write(*out, ts, r);
    }
    double secs = static_cast<double>(opts_.clock->mono_ns() - start_mono) / 1e9;
    std::lock_guard<std::mutex> l(mu_);
    r.eval_seconds = secs;
    r.last_eval_ms = start_wall;
    if (st.ok()) {
      r.health = RuleHealth::kOk;
      r.last_error.clear();
    } else {
      probe.failures->inc();
      r.health = RuleHealth::kErr;
      r.last_error = st.message();
      log::warn("rule group \"{}\" ({}): rule \"{}\" failed: {}", spec_.name, spec_.file,
                r.spec->name, st.message());
    }
  }
  std::lock_guard<std::mutex> l(mu_);
  eval_seconds_ = static_cast<double>(opts_.clock->mono_ns() - group_start_mono) / 1e9;
  last_eval_ms_ = group_start_wall;
}

Result<std::vector<Group::Output>> Group::eval_recording(RuleState& r, int64_t ts) {
  ASSIGN_OR_RETURN(
      query::promql::Value v,
      opts_.engine->instant(*opts_.store, storage::QueryScope{{opts_.tenant}}, *r.spec->expr, ts));
  ASSIGN_OR_RETURN(query::promql::Vector vec, as_vector(std::move(v)));
  std::vector<Output> out;
  out.reserve(vec.size());
  std::set<Labels> seen;
  for (auto& s : vec) {
    LabelsBuilder b(s.labels);
    b.set(kMetricName, r.spec->name);
    for (const auto& l : r.spec->labels) b.set(l.name, l.value);
    Labels ls = b.build();
    if (!seen.insert(ls).second) {
      return Status::invalid_argument(
          "vector contains metrics with the same labelset after applying rule labels");
    }
    out.push_back({std::move(ls), s.v});
  }
  if (spec_.limit > 0 && static_cast<int64_t>(out.size()) > spec_.limit) {
    return Status::invalid_argument("exceeded limit of " + std::to_string(spec_.limit) + " with " +
                                    std::to_string(out.size()) + " series");
  }
  return out;
}

Result<std::vector<Group::Output>> Group::eval_alerting(RuleState& r, int64_t ts) {
  const RuleSpec& spec = *r.spec;
  ASSIGN_OR_RETURN(
      query::promql::Value v,
      opts_.engine->instant(*opts_.store, storage::QueryScope{{opts_.tenant}}, *spec.expr, ts));
  ASSIGN_OR_RETURN(query::promql::Vector vec, as_vector(std::move(v)));

  std::map<uint64_t, Alert> fresh;
  for (const auto& s : vec) {
    Labels metric = s.labels.without_reserved();
    TemplateData data{&metric, &opts_.external_labels, opts_.external_url, s.v};
    LabelsBuilder b(s.labels);
    b.del(kMetricName);
    for (const auto& [name, tmpl] : spec.label_templates) b.set(name, tmpl.expand_or_error(data));
    b.set("alertname", spec.name);
    std::vector<Label> ann;
    for (const auto& [name, tmpl] : spec.annotation_templates)
      ann.push_back({name, tmpl.expand_or_error(data)});
    Alert a;
    a.labels = b.build();
    a.annotations = Labels(std::move(ann));
    a.state = AlertState::kPending;
    a.value = s.v;
    a.active_at_ms = ts;
    uint64_t h = a.labels.hash();
    if (fresh.contains(h)) {
      return Status::invalid_argument(
          "vector contains metrics with the same labelset after applying alert labels");
    }
    fresh.emplace(h, std::move(a));
  }

  std::lock_guard<std::mutex> l(mu_);
  for (auto& [h, a] : fresh) {
    auto it = r.active.find(h);
    if (it != r.active.end() && it->second.state != AlertState::kInactive) {
      it->second.value = a.value;
      it->second.annotations = a.annotations;
      continue;
    }
    r.active[h] = std::move(a);
  }

  std::vector<Output> out;
  int64_t num_active = 0;
  for (auto it = r.active.begin(); it != r.active.end();) {
    Alert& a = it->second;
    if (!fresh.contains(it->first)) {
      bool keep_firing = false;
      if (a.state == AlertState::kFiring && spec.keep_firing_for_ms > 0) {
        if (a.keep_firing_since_ms == 0) a.keep_firing_since_ms = ts;
        if (ts - a.keep_firing_since_ms < spec.keep_firing_for_ms) keep_firing = true;
      }
      // Pending alerts go away at once; resolved ones stay kResolvedRetentionMs for resending.
      if (a.state == AlertState::kPending ||
          (a.resolved_at_ms != 0 && ts - a.resolved_at_ms > kResolvedRetentionMs)) {
        it = r.active.erase(it);
        continue;
      }
      if (a.state != AlertState::kInactive && !keep_firing) {
        a.state = AlertState::kInactive;
        a.resolved_at_ms = ts;
      }
      if (!keep_firing) {
        ++it;
        continue;
      }
    } else {
      a.keep_firing_since_ms = 0;
    }
    num_active++;
    if (a.state == AlertState::kPending && ts - a.active_at_ms >= spec.for_ms) {
      a.state = AlertState::kFiring;
      a.fired_at_ms = ts;
    }
    LabelsBuilder b(a.labels);
    b.set(kMetricName, "ALERTS");
    b.set("alertstate", alert_state_name(a.state));
    out.push_back({b.build(), 1});
    LabelsBuilder f(a.labels);
    f.set(kMetricName, "ALERTS_FOR_STATE");
    out.push_back({f.build(), static_cast<double>(a.active_at_ms / 1000)});
    ++it;
  }
  if (spec_.limit > 0 && num_active > spec_.limit) {
    r.active.clear();
    return Status::invalid_argument("exceeded limit of " + std::to_string(spec_.limit) + " with " +
                                    std::to_string(num_active) + " alerts");
  }
  return out;
}

void Group::send_alerts(RuleState& r, int64_t ts) {
  std::vector<NotifyAlert> batch;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& [h, a] : r.active) {
      // Prometheus's needsSending: never pending; resolved since the last send; or due again.
      bool needs = a.state != AlertState::kPending && (a.resolved_at_ms > a.last_sent_ms ||
                                                       a.last_sent_ms + opts_.resend_delay_ms < ts);
      if (!needs) continue;
      a.last_sent_ms = ts;
      int64_t delta = std::max(opts_.resend_delay_ms, interval_ms_);
      a.valid_until_ms = ts + 4 * delta;
      NotifyAlert n;
      n.labels = a.labels;
      n.annotations = a.annotations;
      n.starts_at_ms = a.fired_at_ms;
      n.ends_at_ms = a.resolved_at_ms != 0 ? a.resolved_at_ms : a.valid_until_ms;
      n.generator_url =
          opts_.external_url + "/graph?g0.expr=" + go_query_escape(r.spec->query) + "&g0.tab=1";
      batch.push_back(std::move(n));
    }
  }
  if (!batch.empty() && opts_.notify) opts_.notify(std::move(batch));
}

Status Group::write(const std::vector<Output>& out, int64_t ts, RuleState& r) {
  auto app = opts_.store->appender(opts_.tenant);
  std::vector<storage::SampleError> errors;
  std::map<Labels, bool> now;
  Status first_error;
  for (const auto& o : out) {
    storage::Sample s = storage::Sample::value(ts, o.value);
    errors.clear();
    Status st = app->append(o.labels, std::span<const storage::Sample>(&s, 1), &errors);
    if (st.ok() && !errors.empty()) st = errors[0].status;
    if (!st.ok()) {
      // Like Prometheus: a refused sample is logged and the others are still written.
      if (first_error.ok()) first_error = st;
      continue;
    }
    now.emplace(o.labels, true);
  }
  for (const auto& [labels, _] : r.previous_series) {
    if (now.contains(labels)) continue;
    storage::Sample s = storage::Sample::value(ts, storage::stale_nan());
    errors.clear();
    (void)app->append(labels, std::span<const storage::Sample>(&s, 1), &errors);
  }
  RETURN_IF_ERROR(app->commit());
  r.previous_series = std::move(now);
  if (!first_error.ok()) {
    log::warn("rule \"{}\": sample refused by the store: {}", r.spec->name, first_error.message());
  }
  return OkStatus();
}

void Group::mark_stale(int64_t ts) {
  auto app = opts_.store->appender(opts_.tenant);
  std::vector<storage::SampleError> errors;
  storage::Sample s = storage::Sample::value(ts, storage::stale_nan());
  for (auto& r : rules_) {
    for (const auto& [labels, _] : r.previous_series) {
      errors.clear();
      (void)app->append(labels, std::span<const storage::Sample>(&s, 1), &errors);
    }
    r.previous_series.clear();
  }
  Status st = app->commit();
  if (!st.ok()) log::warn("rule group \"{}\": staleness markers: {}", spec_.name, st.message());
}

void Group::copy_state_from(Group& old) {
  std::lock_guard<std::mutex> l(mu_);
  std::lock_guard<std::mutex> lo(old.mu_);
  std::vector<bool> taken(old.rules_.size());
  for (auto& r : rules_) {
    for (size_t i = 0; i < old.rules_.size(); i++) {
      RuleState& o = old.rules_[i];
      if (taken[i] || o.spec->type != r.spec->type || o.spec->name != r.spec->name ||
          o.spec->query != r.spec->query) {
        continue;
      }
      taken[i] = true;
      r.active = std::move(o.active);
      r.previous_series = std::move(o.previous_series);
      r.health = o.health;
      r.last_error = o.last_error;
      r.eval_seconds = o.eval_seconds;
      r.last_eval_ms = o.last_eval_ms;
      break;
    }
  }
  eval_seconds_ = old.eval_seconds_;
  last_eval_ms_ = old.last_eval_ms_;
}

GroupStatus Group::status() const {
  std::lock_guard<std::mutex> l(mu_);
  GroupStatus g;
  g.name = spec_.name;
  g.file = spec_.file;
  g.interval_ms = interval_ms_;
  g.limit = spec_.limit;
  g.eval_seconds = eval_seconds_;
  g.last_eval_ms = last_eval_ms_;
  for (const auto& r : rules_) {
    RuleStatus s;
    s.spec = r.spec;
    s.health = r.health;
    s.last_error = r.last_error;
    s.eval_seconds = r.eval_seconds;
    s.last_eval_ms = r.last_eval_ms;
    for (const auto& [h, a] : r.active) {
      if (a.state == AlertState::kInactive) continue;
      if (static_cast<int>(a.state) > static_cast<int>(s.state)) s.state = a.state;
      s.alerts.push_back(a);
    }
    g.rules.push_back(std::move(s));
  }
  return g;
}

}  // namespace opsight::rules
