// The alarm service: definitions, state machine, scheduler, composites, actions (see
// alarm_service.h for the design).
#include "alarm/alarm_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "alarm/evaluation.h"
#include "common/hex.h"
#include "common/json_writer.h"
#include "common/logging.h"

namespace opsight::alarm {
namespace {

constexpr int64_t kPurgeIntervalMs = 3'600'000;

int64_t floor_to(int64_t t, int64_t period) {
  int64_t q = t / period;
  if (t % period != 0 && t < 0) q--;
  return q * period;
}

const std::vector<std::string>& actions_for(const AlarmCommon& c, StateValue s) {
  switch (s) {
    case StateValue::kOk:
      return c.ok_actions;
    case StateValue::kAlarm:
      return c.alarm_actions;
    case StateValue::kInsufficientData:
      return c.insufficient_data_actions;
  }
  return c.ok_actions;
}

// "Friday 04 August, 2023 12:54:46 UTC"
std::string long_time(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  const size_t n = std::strftime(buf, sizeof(buf), "%A %d %B, %Y %H:%M:%S UTC", &tm);
  return std::string(buf, n);
}

void write_history_state(json::Writer& w, StateValue s, const std::string& reason,
                         const std::string& data) {
  w.begin_object();
  w.kv("stateValue", state_name(s));
  w.kv("stateReason", reason);
  if (!data.empty()) w.key("stateReasonData").raw(data);
  w.end_object();
}

bool matches_action_prefix(const AlarmCommon& c, std::string_view prefix) {
  for (const auto* list : {&c.ok_actions, &c.alarm_actions, &c.insufficient_data_actions}) {
    for (const auto& a : *list) {
      if (a.starts_with(prefix)) return true;
    }
  }
  return false;
}

}  // namespace

AlarmService::AlarmService(storage::meta::MetaStore* meta, std::unique_ptr<AlarmStore> store,
                           AlarmServiceOptions options)
    : meta_(meta), store_(std::move(store)), options_(std::move(options)) {
  clock_ = options_.clock != nullptr ? options_.clock : Clock::real();
  DispatcherOptions d = options_.dispatch;
  if (d.clock == nullptr || d.clock == Clock::real()) d.clock = clock_;
  dispatcher_ = std::make_unique<ActionDispatcher>(store_.get(), std::move(d));
}

AlarmService::~AlarmService() {
  stop();
}

Result<std::unique_ptr<AlarmService>> AlarmService::open(storage::meta::MetaStore* meta,
                                                         AlarmServiceOptions options) {
  if (meta == nullptr) return Status::invalid_argument("alarm service: no meta store");
  if (options.state_db_path.empty()) {
    return Status::invalid_argument("alarm service: state_db_path is required");
  }
  ASSIGN_OR_RETURN(auto store, AlarmStore::open(options.state_db_path));
  std::unique_ptr<AlarmService> svc(new AlarmService(meta, std::move(store), std::move(options)));
  RETURN_IF_ERROR(svc->load());
  RETURN_IF_ERROR(svc->dispatcher_->load());
  return svc;
}

Status AlarmService::load() {
  ASSIGN_OR_RETURN(auto states, store_->load_states());
  ASSIGN_OR_RETURN(auto checkpoints, store_->load_checkpoints());
  std::map<Key, AlarmStateRecord> by_key;
  std::set<storage::Tenant> tenants;
  for (auto& s : states) {
    tenants.insert(s.tenant);
    Key k{s.tenant, s.name};
    by_key.emplace(std::move(k), std::move(s));
  }
  const int64_t now = clock_->now_ms();
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& tenant : tenants) {
    ASSIGN_OR_RETURN(auto objects, meta_->list(tenant, kAlarmKind));
    for (auto& obj : objects) {
      auto def = parse_alarm_doc(obj.doc);
      if (!def.ok()) {
        log::warn("alarm \"{}\" of {}/{} is unreadable and not loaded: {}", obj.name,
                  tenant.account, tenant.region, def.status().message());
        continue;
      }
      Key key{tenant, obj.name};
      Entry e;
      e.key = key;
      e.config_updated_ms = obj.updated_ms;
      if (auto it = by_key.find(key); it != by_key.end()) {
        e.state = std::move(it->second);
        by_key.erase(it);
      } else {
        e.state.tenant = tenant;
        e.state.name = obj.name;
        e.state.reason = std::string(kInitialStateReason);
        e.state.updated_ms = e.state.transitioned_ms = now;
      }
      e.def = std::make_shared<const AlarmDefinition>(std::move(*def));
      alarms_.emplace(key, std::move(e));
    }
  }
  // State rows whose definition is gone (a crash between the two writes of a put/delete).
  for (const auto& [key, rec] : by_key) (void)store_->delete_state(key.first, key.second);
  for (auto& [key, e] : alarms_) {
    if (const auto* c = std::get_if<CompositeAlarm>(e.def.get())) {
      auto rule = AlarmRule::parse(c->alarm_rule);
      if (!rule.ok()) continue;
      e.rule = std::make_shared<const AlarmRule>(std::move(*rule));
      for (const auto& ref : e.rule->refs()) {
        e.children.push_back(alarm_name_from_ref(key.first, ref).value_or(ref));
      }
      if (!c->actions_suppressor.empty()) {
        e.suppressor =
            alarm_name_from_ref(key.first, c->actions_suppressor).value_or(c->actions_suppressor);
      }
    } else {
      const auto& m = std::get<MetricAlarm>(*e.def);
      e.period_ms = m.period_s * 1000;
      auto it = checkpoints.find(e.period_ms);
      e.last_eval_tick = it == checkpoints.end() ? 0 : it->second;
    }
    index_locked(e);
  }
  for (auto& [period, group] : groups_) {
    auto it = checkpoints.find(period);
    group.last_tick = it == checkpoints.end() ? 0 : it->second;
    group.dirty = true;
  }
  return OkStatus();
}

void AlarmService::index_locked(Entry& e) {
  if (e.rule) {
    composites_.insert(e.key);
    for (const auto& child : e.children) parents_[{e.key.first, child}].insert(e.key.second);
    if (!e.suppressor.empty()) suppresses_[{e.key.first, e.suppressor}].insert(e.key.second);
  } else if (e.period_ms > 0) {
    Group& g = groups_[e.period_ms];
    g.members.insert(&e);
    g.dirty = true;
  }
}

void AlarmService::unindex_locked(Entry& e) {
  if (e.rule) {
    composites_.erase(e.key);
    for (const auto& child : e.children) {
      auto it = parents_.find({e.key.first, child});
      if (it == parents_.end()) continue;
      it->second.erase(e.key.second);
      if (it->second.empty()) parents_.erase(it);
    }
    if (!e.suppressor.empty()) {
      auto it = suppresses_.find({e.key.first, e.suppressor});
      if (it != suppresses_.end()) {
        it->second.erase(e.key.second);
        if (it->second.empty()) suppresses_.erase(it);
      }
    }
  } else if (e.period_ms > 0) {
    auto it = groups_.find(e.period_ms);
    if (it != groups_.end()) {
      it->second.members.erase(&e);
      if (it->second.members.empty()) groups_.erase(it);
    }
  }
}

StateValue AlarmService::state_of_locked(const storage::Tenant& tenant,
                                         const std::string& name) const {
  auto it = alarms_.find({tenant, name});
  return it == alarms_.end() ? StateValue::kInsufficientData : it->second.state.state;
}

Status AlarmService::check_composite_locked(const storage::Tenant& tenant, const CompositeAlarm& c,
                                            std::vector<std::string>* children,
                                            std::string* suppressor) {
  ASSIGN_OR_RETURN(AlarmRule rule, AlarmRule::parse(c.alarm_rule));
  std::vector<std::string> unknown;
  for (const auto& ref : rule.refs()) {
    auto name = alarm_name_from_ref(tenant, ref);
    if (!name) {
      return aws_error(kValidationError,
                       fmt::format("AlarmRule names \"{}\", which is not an alarm ARN of account "
                                   "{} in region {}.",
                                   ref, tenant.account, tenant.region));
    }
    if (*name == c.alarm_name) {
      return aws_error(kValidationError, "A composite alarm cannot reference itself.");
    }
    if (!alarms_.contains({tenant, *name})) unknown.push_back(*name);
    children->push_back(*name);
  }
  if (!unknown.empty()) {
    return aws_error(kValidationError,
                     fmt::format("Could not save the composite alarm as alarms [{}] in the alarm "
                                 "rule do not exist",
                                 fmt::join(unknown, ", ")));
  }
  // Cycle: some child reaches this composite through composite children.
  std::vector<std::string> stack(children->begin(), children->end());
  std::set<std::string> seen;
  while (!stack.empty()) {
    std::string n = std::move(stack.back());
    stack.pop_back();
    if (n == c.alarm_name) {
      return aws_error(kValidationError,
                       fmt::format("AlarmRule of \"{}\" would create a cycle of composite "
                                   "alarms.",
                                   c.alarm_name));
    }
    if (!seen.insert(n).second) continue;
    auto it = alarms_.find({tenant, n});
    if (it != alarms_.end()) {
      for (const auto& ch : it->second.children) stack.push_back(ch);
    }
  }
  if (!c.actions_suppressor.empty()) {
    auto name = alarm_name_from_ref(tenant, c.actions_suppressor);
    if (!name || !alarms_.contains({tenant, *name})) {
      return aws_error(
          kValidationError,
          fmt::format("ActionsSuppressor \"{}\" is not an existing alarm.", c.actions_suppressor));
    }
    if (*name == c.alarm_name) {
      return aws_error(kValidationError, "A composite alarm cannot suppress itself.");
    }
    *suppressor = *name;
  }
  return OkStatus();
}

HistoryItem AlarmService::config_item(const storage::Tenant& tenant, const AlarmDefinition& def,
                                      std::string_view type, const std::string* old_doc,
                                      int64_t now) {
  const AlarmCommon& c = common_of(def);
  HistoryItem h;
  h.tenant = tenant;
  h.alarm_name = c.alarm_name;
  h.alarm_type = type_of(def);
  h.item_type = HistoryItemType::kConfigurationUpdate;
  h.ts_ms = now;
  const std::string_view verb = type == "Create"   ? "created"
                                : type == "Update" ? "updated"
                                                   : "deleted";
  h.summary = fmt::format("Alarm \"{}\" {}", c.alarm_name, verb);
  json::Writer w(512);
  w.begin_object().kv("version", "1.0").kv("type", type);
  const std::string doc = alarm_doc(def);
  if (type == "Create") {
    w.key("createdAlarm").raw(doc);
  } else if (type == "Update") {
    w.key("updatedAlarm").raw(doc);
    if (old_doc != nullptr) w.key("originalUpdatedFields").raw(*old_doc);
  } else {
    w.key("deletedAlarm").raw(doc);
  }
  w.end_object();
  h.data = w.take();
  return h;
}

Status AlarmService::put_metric_alarm(const storage::Tenant& tenant, std::string_view json) {
  ASSIGN_OR_RETURN(MetricAlarm m, parse_put_metric_alarm(json));
  return put_alarm(tenant, AlarmDefinition(std::move(m)));
}

Status AlarmService::put_composite_alarm(const storage::Tenant& tenant, std::string_view json) {
  ASSIGN_OR_RETURN(CompositeAlarm c, parse_put_composite_alarm(json));
  return put_alarm(tenant, AlarmDefinition(std::move(c)));
}

Status AlarmService::put_alarm(const storage::Tenant& tenant, AlarmDefinition def) {
  if (const auto* m = std::get_if<MetricAlarm>(&def)) {
    RETURN_IF_ERROR(validate_metric_alarm(*m));
  } else {
    RETURN_IF_ERROR(validate_composite_alarm(std::get<CompositeAlarm>(def)));
  }
  const std::string name = common_of(def).alarm_name;
  const Key key{tenant, name};
  std::lock_guard<std::mutex> commit_lock(commit_mu_);
  const int64_t now = clock_->now_ms();
  std::vector<std::string> children;
  std::string suppressor;
  std::optional<std::string> old_doc;
  bool exists = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = alarms_.find(key);
    if (it != alarms_.end()) {
      exists = true;
      if (type_of(*it->second.def) != type_of(def)) {
        return aws_error(kInvalidParameterCombination,
                         fmt::format("An alarm named \"{}\" already exists as a {}.", name,
                                     alarm_type_name(type_of(*it->second.def))));
      }
      old_doc = alarm_doc(*it->second.def);
    }
    if (const auto* c = std::get_if<CompositeAlarm>(&def)) {
      RETURN_IF_ERROR(check_composite_locked(tenant, *c, &children, &suppressor));
    }
  }
  AlarmStateRecord initial;
  initial.tenant = tenant;
  initial.name = name;
  initial.reason = std::string(kInitialStateReason);
  initial.updated_ms = initial.transitioned_ms = now;
  if (!exists) {
    // The state row first: it registers the tenant, so a crash leaves at worst an orphan row.
    RETURN_IF_ERROR(store_->commit(std::span<const AlarmStateRecord>(&initial, 1), {}));
  }
  const std::string doc = alarm_doc(def);
  auto obj = meta_->put(tenant, kAlarmKind, name, doc);
  if (!obj.ok()) {
    if (!exists) (void)store_->delete_state(tenant, name);
    return obj.status();
  }
  Effects fx;
  fx.history.push_back(
      config_item(tenant, def, exists ? "Update" : "Create", old_doc ? &*old_doc : nullptr, now));
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = alarms_.find(key);
    if (it == alarms_.end()) {
      Entry e;
      e.key = key;
      e.state = initial;
      it = alarms_.emplace(key, std::move(e)).first;
    } else {
      unindex_locked(it->second);
    }
    Entry& e = it->second;
    e.def = std::make_shared<const AlarmDefinition>(std::move(def));
    e.config_updated_ms = obj->updated_ms;
    e.rule.reset();
    e.children.clear();
    e.suppressor.clear();
    e.period_ms = 0;
    if (const auto* c = std::get_if<CompositeAlarm>(e.def.get())) {
      e.rule = std::make_shared<const AlarmRule>(*AlarmRule::parse(c->alarm_rule));
      e.children = std::move(children);
      e.suppressor = std::move(suppressor);
      index_locked(e);
      evaluate_composite_locked(e, now, fx);
      cascade_locked(now, fx);
    } else {
      e.period_ms = std::get<MetricAlarm>(*e.def).period_s * 1000;
      e.last_eval_tick = 0;  // evaluate on the next run_due()
      index_locked(e);
    }
  }
  commit(fx);
  return OkStatus();
}

Status AlarmService::delete_alarms(const storage::Tenant& tenant,
                                   const std::vector<std::string>& names) {
  std::lock_guard<std::mutex> commit_lock(commit_mu_);
  const int64_t now = clock_->now_ms();
  std::vector<std::shared_ptr<const AlarmDefinition>> defs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> unknown;
    const std::set<std::string> deleting(names.begin(), names.end());
    for (const auto& n : names) {
      if (!alarms_.contains({tenant, n})) unknown.push_back(n);
    }
    if (!unknown.empty()) {
      return aws_not_found(
          fmt::format("The alarm(s) [{}] do not exist.", fmt::join(unknown, ", ")));
    }
    for (const auto& n : deleting) {
      for (const auto* index : {&parents_, &suppresses_}) {
        auto it = index->find({tenant, n});
        if (it == index->end()) continue;
        for (const auto& parent : it->second) {
          if (!deleting.contains(parent)) {
            return aws_error(kValidationError,
                             fmt::format("Alarm \"{}\" is used by composite alarm \"{}\"; delete "
                                         "or change that alarm first.",
                                         n, parent));
          }
        }
      }
    }
    for (const auto& n : deleting) {
      auto it = alarms_.find({tenant, n});
      defs.push_back(it->second.def);
      unindex_locked(it->second);
      alarms_.erase(it);
    }
  }
  Effects fx;
  for (const auto& def : defs) {
    const std::string& n = common_of(*def).alarm_name;
    if (auto r = meta_->remove(tenant, kAlarmKind, n);
        !r.ok() && r.status().code() != Code::kNotFound) {
      log::warn("alarm \"{}\": meta store delete failed: {}", n, r.status().message());
    }
    (void)store_->delete_state(tenant, n);
    fx.history.push_back(config_item(tenant, *def, "Delete", nullptr, now));
  }
  commit(fx);
  return OkStatus();
}

Status AlarmService::set_actions_enabled(const storage::Tenant& tenant,
                                         const std::vector<std::string>& names, bool enabled) {
  std::vector<AlarmDefinition> defs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& n : names) {
      auto it = alarms_.find({tenant, n});
      if (it == alarms_.end()) {
        return aws_not_found(fmt::format("The alarm \"{}\" does not exist.", n));
      }
      defs.push_back(*it->second.def);
    }
  }
  for (auto& def : defs) {
    std::visit([&](auto& d) { d.actions_enabled = enabled; }, def);
    RETURN_IF_ERROR(put_alarm(tenant, std::move(def)));
  }
  return OkStatus();
}

Status AlarmService::set_alarm_state(const storage::Tenant& tenant,
                                     const SetAlarmStateRequest& req) {
  std::lock_guard<std::mutex> commit_lock(commit_mu_);
  const int64_t now = clock_->now_ms();
  Effects fx;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = alarms_.find({tenant, req.alarm_name});
    if (it == alarms_.end()) {
      return aws_not_found(fmt::format("The alarm \"{}\" does not exist.", req.alarm_name));
    }
    transition_locked(it->second, req.state, req.reason, req.reason_data, now, true, fx);
    cascade_locked(now, fx);
  }
  commit(fx);
  return OkStatus();
}

void AlarmService::transition_locked(Entry& e, StateValue s, std::string reason,
                                     std::string reason_data, int64_t now, bool forced,
                                     Effects& fx) {
  AlarmStateRecord& st = e.state;
  const StateValue old = st.state;
  StateChange ch;
  ch.tenant = e.key.first;
  ch.alarm_name = e.key.second;
  ch.alarm_type = type_of(*e.def);
  ch.description = common_of(*e.def).description;
  ch.old_state = old;
  ch.new_state = s;
  ch.old_reason = st.reason;
  ch.old_reason_data = st.reason_data;
  ch.old_ts_ms = st.updated_ms;
  ch.new_reason = reason;
  ch.new_reason_data = reason_data;
  ch.new_ts_ms = now;
  st.forced = forced;
  st.reason = std::move(reason);
  st.reason_data = std::move(reason_data);
  st.updated_ms = now;
  if (old == s) {
    // Same value (SetAlarmState to the current state): new reason, no change to announce.
    fx.states[e.key] = st;
    return;
  }
  transitions_++;
  st.state = s;
  st.transitioned_ms = now;
  if (old == StateValue::kAlarm) st.left_alarm_ms = now;

  HistoryItem h;
  h.tenant = e.key.first;
  h.alarm_name = e.key.second;
  h.alarm_type = ch.alarm_type;
  h.item_type = HistoryItemType::kStateUpdate;
  h.ts_ms = now;
  h.summary = fmt::format("Alarm updated from {} to {}", state_name(old), state_name(s));
  json::Writer w(512);
  w.begin_object().kv("version", "1.0");
  w.key("oldState");
  write_history_state(w, old, ch.old_reason, ch.old_reason_data);
  w.key("newState");
  write_history_state(w, s, st.reason, st.reason_data);
  w.end_object();
  h.data = w.take();
  fx.history.push_back(std::move(h));

  const AlarmCommon& common = common_of(*e.def);
  const auto& actions = actions_for(common, s);
  bool run_now = common.actions_enabled && !actions.empty();
  if (run_now && e.rule && !e.suppressor.empty()) {
    const auto& comp = std::get<CompositeAlarm>(*e.def);
    SuppressorStatus sup;
    if (auto it = alarms_.find({e.key.first, e.suppressor}); it != alarms_.end()) {
      sup.in_alarm = it->second.state.state == StateValue::kAlarm;
      sup.left_alarm_ms = it->second.state.left_alarm_ms;
    }
    run_now = suppress_on_transition(&st.suppression, s, now, sup, comp.wait_period_s,
                                     comp.extension_period_s);
    ch.actions_suppressed_by = std::string(suppressed_by_name(st.suppression.by));
    ch.actions_suppressed_reason = suppressed_reason(st.suppression.by);
  } else if (e.rule) {
    st.suppression = SuppressionState{};  // a new change drops what was held
  }
  ch.configuration_json = event_configuration(*e.def);
  if (run_now) fx.runs.push_back({ch, actions});
  fx.events.push_back(std::move(ch));
  fx.states[e.key] = st;

  // Parents re-evaluate; composites this alarm suppresses react to ALARM in/out.
  if (auto it = parents_.find(e.key); it != parents_.end()) {
    for (const auto& p : it->second) fx.dirty_composites.insert({e.key.first, p});
  }
  if (auto it = suppresses_.find(e.key); it != suppresses_.end()) {
    for (const auto& p : it->second) {
      auto c = alarms_.find({e.key.first, p});
      if (c == alarms_.end()) continue;
      Entry& comp = c->second;
      const auto& cdef = std::get<CompositeAlarm>(*comp.def);
      bool release = false;
      if (s == StateValue::kAlarm) {
        suppress_on_suppressor_alarm(&comp.state.suppression);
      } else if (old == StateValue::kAlarm) {
        release =
            suppress_on_suppressor_cleared(&comp.state.suppression, now, cdef.extension_period_s);
      }
      if (release && comp.state.state == comp.state.suppression.held_state) {
        StateChange rc;
        rc.tenant = comp.key.first;
        rc.alarm_name = comp.key.second;
        rc.alarm_type = AlarmType::kComposite;
        rc.description = cdef.description;
        rc.new_state = comp.state.state;
        rc.new_reason = comp.state.reason;
        rc.new_reason_data = comp.state.reason_data;
        rc.new_ts_ms = comp.state.updated_ms;
        rc.configuration_json = event_configuration(*comp.def);
        if (cdef.actions_enabled) fx.runs.push_back({rc, actions_for(cdef, rc.new_state)});
      }
      fx.states[comp.key] = comp.state;
    }
  }
}

void AlarmService::evaluate_composite_locked(Entry& e, int64_t now, Effects& fx) {
  const storage::Tenant& tenant = e.key.first;
  auto state_at = [&](size_t i) { return state_of_locked(tenant, e.children[i]); };
  const bool value = e.rule->evaluate(state_at);
  const StateValue s = value ? StateValue::kAlarm : StateValue::kOk;
  if (s == e.state.state && !e.state.forced) return;
  if (s == e.state.state) {
    e.state.forced = false;
    fx.states[e.key] = e.state;
    return;
  }
  // The reason names the child that changed last among the satisfied terms (or any child).
  std::vector<size_t> satisfied = e.rule->satisfied_refs(state_at);
  const std::vector<size_t>* pool = &satisfied;
  std::vector<size_t> all;
  if (satisfied.empty()) {
    for (size_t i = 0; i < e.children.size(); i++) all.push_back(i);
    pool = &all;
  }
  const Entry* latest = nullptr;
  for (size_t i : *pool) {
    auto it = alarms_.find({tenant, e.children[i]});
    if (it == alarms_.end()) continue;
    if (latest == nullptr || it->second.state.transitioned_ms > latest->state.transitioned_ms) {
      latest = &it->second;
    }
  }
  std::string reason =
      latest == nullptr
          ? fmt::format("Composite alarm rule evaluated to {}", value ? "TRUE" : "FALSE")
          : fmt::format("{} transitioned to {} at {}", alarm_arn(tenant, latest->key.second),
                        state_name(latest->state.state), long_time(latest->state.transitioned_ms));
  json::Writer w(256);
  w.begin_object().key("triggeringAlarms").begin_array();
  for (size_t i : satisfied) {
    auto it = alarms_.find({tenant, e.children[i]});
    if (it == alarms_.end()) continue;
    w.begin_object().kv("arn", alarm_arn(tenant, e.children[i]));
    w.key("state").begin_object();
    w.kv("value", state_name(it->second.state.state));
    w.kv("timestamp", cw_timestamp(it->second.state.transitioned_ms));
    w.end_object().end_object();
  }
  w.end_array().end_object();
  transition_locked(e, s, std::move(reason), w.take(), now, false, fx);
}

void AlarmService::cascade_locked(int64_t now, Effects& fx) {
  // Each pass re-evaluates composites whose children changed; no cycles exist, so this ends
  // after at most (nesting depth) passes. The bound guards against a bug.
  for (size_t guard = 0; !fx.dirty_composites.empty() && guard <= alarms_.size(); guard++) {
    std::set<Key> dirty;
    dirty.swap(fx.dirty_composites);
    for (const auto& key : dirty) {
      auto it = alarms_.find(key);
      if (it != alarms_.end() && it->second.rule) evaluate_composite_locked(it->second, now, fx);
    }
  }
}

void AlarmService::suppression_tick_locked(int64_t now, Effects& fx) {
  for (const auto& key : composites_) {
    auto it = alarms_.find(key);
    if (it == alarms_.end()) continue;
    Entry& e = it->second;
    if (e.state.suppression.by == SuppressedBy::kNone) continue;
    if (!suppress_on_tick(&e.state.suppression, now)) continue;
    fx.states[e.key] = e.state;
    if (e.state.state != e.state.suppression.held_state) continue;
    const auto& c = std::get<CompositeAlarm>(*e.def);
    if (!c.actions_enabled) continue;
    StateChange ch;
    ch.tenant = key.first;
    ch.alarm_name = key.second;
    ch.alarm_type = AlarmType::kComposite;
    ch.description = c.description;
    ch.new_state = e.state.state;
    ch.new_reason = e.state.reason;
    ch.new_reason_data = e.state.reason_data;
    ch.new_ts_ms = e.state.updated_ms;
    ch.configuration_json = event_configuration(*e.def);
    fx.runs.push_back({std::move(ch), actions_for(c, e.state.state)});
  }
}

size_t AlarmService::run_due() {
  std::lock_guard<std::mutex> commit_lock(commit_mu_);
  const int64_t now = clock_->now_ms();
  struct Job {
    Key key;
    std::shared_ptr<const AlarmDefinition> def;
    StateValue prev;
    bool forced;
    int64_t end_ms;
  };
  std::vector<Job> jobs;
  Effects fx;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [period, g] : groups_) {
      const int64_t tick = floor_to(now - options_.evaluation_delay_ms, period);
      const bool advanced = tick > g.last_tick;
      if (!advanced && !g.dirty) continue;
      for (Entry* e : g.members) {
        if (e->last_eval_tick >= tick) continue;
        e->last_eval_tick = tick;
        jobs.push_back({e->key, e->def, e->state.state, e->state.forced, tick});
      }
      if (advanced) {
        g.last_tick = tick;
        fx.checkpoints[period] = tick;
      }
      g.dirty = false;
    }
  }
  struct Change {
    size_t job;
    StateValue state;
    std::string reason, data;
  };
  std::vector<Change> changes;
  for (size_t i = 0; i < jobs.size(); i++) {
    const Job& job = jobs[i];
    const auto& alarm = std::get<MetricAlarm>(*job.def);
    evaluations_++;
    if (!options_.data_source) continue;
    const int64_t range_start = job.end_ms - evaluation_range(alarm) * alarm.period_s * 1000;
    auto series = options_.data_source(job.key.first, alarm, range_start, job.end_ms);
    if (!series.ok()) {
      evaluation_errors_++;
      log::debug("alarm \"{}\": data source failed: {}", job.key.second, series.status().message());
      continue;
    }
    const std::vector<Slot> slots = slot_series(alarm, *series, job.end_ms);
    Outcome o = decide(alarm, slots, job.prev);
    if (o.state == job.prev && !job.forced) continue;
    changes.push_back({i, o.state, state_reason(alarm, slots, o, job.prev),
                       state_reason_data(alarm, slots, o, now)});
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& ch : changes) {
      const Job& job = jobs[ch.job];
      auto it = alarms_.find(job.key);
      if (it == alarms_.end() || it->second.def != job.def) continue;  // replaced meanwhile
      Entry& e = it->second;
      if (ch.state != e.state.state) {
        transition_locked(e, ch.state, std::move(ch.reason), std::move(ch.data), now, false, fx);
      } else if (e.state.forced) {
        e.state.forced = false;
        fx.states[e.key] = e.state;
      }
    }
    cascade_locked(now, fx);
    suppression_tick_locked(now, fx);
  }
  commit(fx);
  if (now - last_purge_ms_ >= kPurgeIntervalMs) {
    last_purge_ms_ = now;
    auto purged = store_->purge_history(now - options_.history_retention_ms);
    if (!purged.ok()) log::warn("alarm history purge failed: {}", purged.status().message());
  }
  return jobs.size();
}

Delivery AlarmService::make_delivery(const StateChange& ch, const std::string& event,
                                     const std::string& action) {
  Delivery d;
  d.tenant = ch.tenant;
  d.alarm_name = ch.alarm_name;
  d.alarm_type = ch.alarm_type;
  d.action = action;
  d.state = ch.new_state;
  d.state_ts_ms = ch.new_ts_ms;
  d.dedup_key = event_id(ch);
  ActionTarget target;
  const std::string target_name = target_name_of_action(action);
  if (target_name.empty()) {
    target.name = "";
    target.type = TargetType::kGeneric;
    target.url = action;
  } else {
    auto obj = meta_->get(ch.tenant, kAlarmTargetKind, target_name);
    if (!obj.ok()) {
      d.target_name = target_name;
      d.error = obj.status().code() == Code::kNotFound
                    ? fmt::format("alarm-target \"{}\" does not exist", target_name)
                    : obj.status().message();
      return d;
    }
    auto t = parse_action_target(obj->doc);
    if (!t.ok()) {
      d.target_name = target_name;
      d.error = t.status().message();
      return d;
    }
    target = std::move(*t);
  }
  d.target_name = target.name;
  d.target_type = std::string(target_type_name(target.type));
  d.url = target.url;
  d.timeout_ms = target.timeout_ms;
  d.headers = target.headers;
  d.headers.emplace_back(std::string(kDedupHeader), d.dedup_key);
  d.body = render_payload(target, ch, event, options_.external_url);
  return d;
}

void AlarmService::commit(Effects& fx) {
  std::vector<AlarmStateRecord> states;
  states.reserve(fx.states.size());
  for (auto& [key, rec] : fx.states) states.push_back(rec);
  if (Status st = store_->commit(states, fx.history, fx.checkpoints); !st.ok()) {
    log::error("alarm state not persisted: {}", st.message());
  }
  std::map<std::pair<std::string, int64_t>, std::string> events;  // (alarm, ts) -> event
  for (const auto& ch : fx.events) {
    std::string ev = alarm_state_change_event(ch);
    if (options_.event_sink) options_.event_sink(ch.tenant, ev);
    events[{ch.alarm_name, ch.new_ts_ms}] = std::move(ev);
  }
  for (const auto& run : fx.runs) {
    auto it = events.find({run.change.alarm_name, run.change.new_ts_ms});
    const std::string ev = it != events.end() ? it->second : alarm_state_change_event(run.change);
    for (const auto& action : run.actions) {
      if (Status st = dispatcher_->enqueue(make_delivery(run.change, ev, action)); !st.ok()) {
        log::error("alarm \"{}\": action {} not queued: {}", run.change.alarm_name, action,
                   st.message());
      }
    }
  }
}

Result<DescribeAlarmsResult> AlarmService::describe_alarms(const storage::Tenant& tenant,
                                                           const DescribeAlarmsRequest& r) const {
  std::string after;
  if (!r.next_token.empty()) {
    if (!r.next_token.starts_with("n") || !hex_decode(r.next_token.substr(1), &after)) {
      return aws_error(kInvalidNextToken, "The NextToken is not valid.");
    }
  }
  const size_t limit = r.max_records == 0 ? 50 : std::min<size_t>(r.max_records, 100);
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<const Entry*> matched;
  auto consider = [&](const Entry& e) {
    if (!after.empty() && e.key.second <= after) return;
    matched.push_back(&e);
  };
  if (!r.children_of_alarm_name.empty()) {
    auto it = alarms_.find({tenant, r.children_of_alarm_name});
    if (it == alarms_.end() || !it->second.rule) {
      return aws_not_found(
          fmt::format("The composite alarm \"{}\" does not exist.", r.children_of_alarm_name));
    }
    std::set<std::string> names(it->second.children.begin(), it->second.children.end());
    for (const auto& n : names) {
      if (auto c = alarms_.find({tenant, n}); c != alarms_.end()) consider(c->second);
    }
  } else if (!r.parents_of_alarm_name.empty()) {
    if (!alarms_.contains({tenant, r.parents_of_alarm_name})) {
      return aws_not_found(
          fmt::format("The alarm \"{}\" does not exist.", r.parents_of_alarm_name));
    }
    if (auto it = parents_.find({tenant, r.parents_of_alarm_name}); it != parents_.end()) {
      for (const auto& n : it->second) {
        if (auto c = alarms_.find({tenant, n}); c != alarms_.end()) consider(c->second);
      }
    }
  } else {
    const std::set<std::string> names(r.alarm_names.begin(), r.alarm_names.end());
    bool want_metric = r.alarm_types.empty(), want_composite = false;
    for (AlarmType t : r.alarm_types) {
      want_metric |= t == AlarmType::kMetric;
      want_composite |= t == AlarmType::kComposite;
    }
    for (auto it = alarms_.lower_bound({tenant, std::string()});
         it != alarms_.end() && it->first.first == tenant; ++it) {
      const Entry& e = it->second;
      if (!names.empty() && !names.contains(e.key.second)) continue;
      if (!r.alarm_name_prefix.empty() && !e.key.second.starts_with(r.alarm_name_prefix)) {
        continue;
      }
      if (e.rule ? !want_composite : !want_metric) continue;
      if (r.state_value && e.state.state != *r.state_value) continue;
      if (!r.action_prefix.empty() && !matches_action_prefix(common_of(*e.def), r.action_prefix)) {
        continue;
      }
      consider(e);
    }
  }
  std::sort(matched.begin(), matched.end(),
            [](const Entry* a, const Entry* b) { return a->key.second < b->key.second; });
  DescribeAlarmsResult out;
  for (size_t i = 0; i < matched.size() && i < limit; i++) {
    const Entry& e = *matched[i];
    AlarmView v{*e.def, e.state, e.config_updated_ms};
    (e.rule ? out.composite_alarms : out.metric_alarms).push_back(std::move(v));
  }
  if (matched.size() > limit) out.next_token = "n" + hex_encode(matched[limit - 1]->key.second);
  return out;
}

Result<HistoryPage> AlarmService::describe_alarm_history(const storage::Tenant& tenant,
                                                         const HistoryQuery& query) {
  return store_->query_history(tenant, query);
}

Status AlarmService::put_target(const storage::Tenant& tenant, std::string_view json) {
  ASSIGN_OR_RETURN(ActionTarget t, parse_action_target(json));
  auto r = meta_->put(tenant, kAlarmTargetKind, t.name, action_target_json(t));
  return r.ok() ? OkStatus() : r.status();
}

Status AlarmService::delete_target(const storage::Tenant& tenant, std::string_view name) {
  auto r = meta_->remove(tenant, kAlarmTargetKind, name);
  if (!r.ok() && r.status().code() == Code::kNotFound) {
    return aws_not_found(fmt::format("The alarm-target \"{}\" does not exist.", name));
  }
  return r.ok() ? OkStatus() : r.status();
}

Result<std::vector<ActionTarget>> AlarmService::list_targets(const storage::Tenant& tenant) {
  ASSIGN_OR_RETURN(auto objects, meta_->list(tenant, kAlarmTargetKind));
  std::vector<ActionTarget> out;
  for (const auto& o : objects) {
    auto t = parse_action_target(o.doc);
    if (t.ok()) out.push_back(std::move(*t));
  }
  return out;
}

void AlarmService::start() {
  if (!scheduler_) {
    scheduler_ =
        std::make_unique<BackgroundWorker>(std::chrono::milliseconds(1000), [this] { run_due(); });
    scheduler_->kick();
  }
  dispatcher_->start();
}

void AlarmService::stop() {
  if (scheduler_) {
    scheduler_->stop();
    scheduler_.reset();
  }
  if (dispatcher_) dispatcher_->stop();
}

AlarmServiceStats AlarmService::stats() const {
  AlarmServiceStats s;
  s.evaluations = evaluations_.load();
  s.evaluation_errors = evaluation_errors_.load();
  s.transitions = transitions_.load();
  std::lock_guard<std::mutex> lock(mu_);
  s.alarms = alarms_.size();
  return s;
}

}  // namespace opsight::alarm
