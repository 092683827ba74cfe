#include "storage/logstore/catalog.h"

#include <algorithm>

#include "common/coding.h"

namespace opsight::storage::logstore {

constexpr int64_t kDayMs = 24 * 3600 * 1000;

StreamState* GroupState::stream_by_id(uint32_t id) {
  auto it = streams.find(id);
  return it == streams.end() ? nullptr : &it->second;
}

const StreamState* GroupState::stream_by_id(uint32_t id) const {
  auto it = streams.find(id);
  return it == streams.end() ? nullptr : &it->second;
}

const StreamState* GroupState::stream_by_name(std::string_view name) const {
  auto it = stream_names.find(name);
  return it == stream_names.end() ? nullptr : stream_by_id(it->second);
}

int64_t GroupState::retention_cutoff(int64_t now_ms) const {
  if (retention_days <= 0) return INT64_MIN;
  return now_ms - static_cast<int64_t>(retention_days) * kDayMs;
}

GroupState* Catalog::find(const Tenant& tenant, std::string_view name) {
  auto it = by_name_.find({tenant, std::string(name)});
  return it == by_name_.end() ? nullptr : &groups_.at(it->second);
}

const GroupState* Catalog::find(const Tenant& tenant, std::string_view name) const {
  return const_cast<Catalog*>(this)->find(tenant, name);
}

GroupState* Catalog::by_id(uint64_t id) {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second;
}

const GroupState* Catalog::by_id(uint64_t id) const {
  return const_cast<Catalog*>(this)->by_id(id);
}

std::vector<const GroupState*> Catalog::list(const Tenant& tenant, std::string_view prefix) const {
  std::vector<const GroupState*> out;
  for (auto it = by_name_.lower_bound({tenant, std::string(prefix)});
       it != by_name_.end() && it->first.first == tenant && it->first.second.starts_with(prefix);
       ++it) {
    out.push_back(&groups_.at(it->second));
  }
  return out;
}

void Catalog::note_events(StreamState* s, int64_t min_ts, int64_t max_ts, int64_t max_ingestion) {
  if (s->first_event_ms == 0 && s->last_event_ms == 0) {
    s->first_event_ms = min_ts;
    s->last_event_ms = max_ts;
  } else {
    s->first_event_ms = std::min(s->first_event_ms, min_ts);
    s->last_event_ms = std::max(s->last_event_ms, max_ts);
  }
  s->last_ingestion_ms = std::max(s->last_ingestion_ms, max_ingestion);
}

Status Catalog::apply(const CatalogOp& op) {
  auto missing_group = [&] {
    return Status::failed_precondition("catalog: no log group with id " +
                                       std::to_string(op.group_id));
  };
  switch (op.type) {
    case CatalogOp::kCreateGroup: {
      if (groups_.contains(op.group_id) || by_name_.contains({op.tenant, op.name})) {
        return Status::failed_precondition("catalog: log group '" + op.name + "' (id " +
                                           std::to_string(op.group_id) + ") already exists");
      }
      GroupState g;
      g.id = op.group_id;
      g.tenant = op.tenant;
      g.name = op.name;
      g.retention_days = op.retention_days;
      g.creation_ms = op.time_ms;
      by_name_[{op.tenant, op.name}] = op.group_id;
      groups_.emplace(op.group_id, std::move(g));
      next_group_id_ = std::max(next_group_id_, op.group_id + 1);
      return OkStatus();
    }
    case CatalogOp::kDeleteGroup: {
      GroupState* g = by_id(op.group_id);
      if (g == nullptr) return missing_group();
      by_name_.erase({g->tenant, g->name});
      groups_.erase(op.group_id);
      return OkStatus();
    }
    case CatalogOp::kPutRetention: {
      GroupState* g = by_id(op.group_id);
      if (g == nullptr) return missing_group();
      g->retention_days = op.retention_days;
      return OkStatus();
    }
    case CatalogOp::kPutIndexedFields: {
      GroupState* g = by_id(op.group_id);
      if (g == nullptr) return missing_group();
      g->indexed_fields = op.fields;
      return OkStatus();
    }
    case CatalogOp::kCreateStream: {
      GroupState* g = by_id(op.group_id);
      if (g == nullptr) return missing_group();
      if (g->stream_names.contains(op.name) || g->streams.contains(op.stream_id)) {
        return Status::failed_precondition("catalog: log stream '" + op.name + "' (id " +
                                           std::to_string(op.stream_id) + ") already exists");
      }
      StreamState s;
      s.id = op.stream_id;
      s.name = op.name;
      s.creation_ms = op.time_ms;
      g->stream_names.emplace(op.name, op.stream_id);
      g->streams.emplace(op.stream_id, std::move(s));
      g->next_stream_id = std::max(g->next_stream_id, op.stream_id + 1);
      return OkStatus();
    }
    case CatalogOp::kDeleteStream: {
      GroupState* g = by_id(op.group_id);
      if (g == nullptr) return missing_group();
      auto it = g->streams.find(op.stream_id);
      if (it != g->streams.end()) {
        g->stream_names.erase(it->second.name);
        g->streams.erase(it);
        return OkStatus();
      }
      return Status::failed_precondition("catalog: no log stream with id " +
                                         std::to_string(op.stream_id));
    }
  }
  return Status::failed_precondition("catalog: unknown op type");
}

std::string Catalog::serialize() const {
  std::string out;
  put_varint64(out, next_group_id_);
  put_varint64(out, groups_.size());
  for (const auto& [id, g] : groups_) {
    put_varint64(out, id);
    put_length_prefixed(out, g.tenant.account);
    put_length_prefixed(out, g.tenant.region);
    put_length_prefixed(out, g.name);
    put_varint64(out, static_cast<uint64_t>(g.retention_days));
    put_varsint64(out, g.creation_ms);
    put_varint64(out, g.indexed_fields.size());
    for (const auto& f : g.indexed_fields) put_length_prefixed(out, f);
    put_varint64(out, g.next_stream_id);
    put_varint64(out, g.streams.size());
    for (const auto& [id, s] : g.streams) {
      put_varint64(out, s.id);
      put_length_prefixed(out, s.name);
      put_varsint64(out, s.creation_ms);
      put_varsint64(out, s.first_event_ms);
      put_varsint64(out, s.last_event_ms);
      put_varsint64(out, s.last_ingestion_ms);
    }
  }
  return out;
}

Status Catalog::parse(std::string_view data, Catalog* out) {
  const char* p = data.data();
  const char* end = p + data.size();
  auto corrupt = [](const char* what) {
    return Status::corruption(std::string("catalog: malformed ") + what);
  };
  auto u = [&](uint64_t* v) {
    if (p != nullptr) p = get_varint64(p, end, v);
    return p != nullptr;
  };
  auto i64 = [&](int64_t* v) {
    uint64_t x = 0;
    if (!u(&x)) return false;
    *v = zigzag_decode(x);
    return true;
  };
  auto str = [&](std::string* s) {
    std::string_view v;
    if (p != nullptr) p = get_length_prefixed(p, end, &v);
    if (p == nullptr) return false;
    s->assign(v);
    return true;
  };
  Catalog c;
  uint64_t ngroups = 0;
  if (!u(&c.next_group_id_) || !u(&ngroups)) return corrupt("header");
  for (uint64_t i = 0; i < ngroups; i++) {
    GroupState g;
    uint64_t retention = 0, nfields = 0, next_stream = 0, nstreams = 0;
    if (!u(&g.id) || !str(&g.tenant.account) || !str(&g.tenant.region) || !str(&g.name) ||
        !u(&retention) || !i64(&g.creation_ms) || !u(&nfields)) {
      return corrupt("group");
    }
    g.retention_days = static_cast<int>(std::min<uint64_t>(retention, 100000));
    for (uint64_t j = 0; j < nfields; j++) {
      std::string f;
      if (!str(&f)) return corrupt("indexed field");
      g.indexed_fields.push_back(std::move(f));
    }
    if (!u(&next_stream) || !u(&nstreams)) return corrupt("group");
    g.next_stream_id = static_cast<uint32_t>(next_stream);
    for (uint64_t j = 0; j < nstreams; j++) {
      StreamState s;
      uint64_t sid = 0;
      if (!u(&sid) || !str(&s.name) || !i64(&s.creation_ms) || !i64(&s.first_event_ms) ||
          !i64(&s.last_event_ms) || !i64(&s.last_ingestion_ms)) {
        return corrupt("stream");
      }
      s.id = static_cast<uint32_t>(sid);
      if (g.streams.contains(s.id) || g.stream_names.contains(s.name)) {
        return corrupt("stream (duplicate)");
      }
      g.stream_names.emplace(s.name, s.id);
      g.streams.emplace(s.id, std::move(s));
    }
    if (c.groups_.contains(g.id) || c.by_name_.contains({g.tenant, g.name})) {
      return corrupt("catalog (duplicate group)");
    }
    c.by_name_[{g.tenant, g.name}] = g.id;
    c.next_group_id_ = std::max(c.next_group_id_, g.id + 1);
    const uint64_t id = g.id;
    c.groups_.emplace(id, std::move(g));
  }
  if (p != end) return corrupt("trailer");
  *out = std::move(c);
  return OkStatus();
}

}  // namespace opsight::storage::logstore
