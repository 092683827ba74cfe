// The write path of logstore::Store: StoreAppender stages events per stream (encoded once into
// the WAL entry body that the head chunk keeps, outside any lock); Store::commit resolves or
// creates groups and streams, writes ONE WAL record, applies it and waits for durability.
#include <map>

#include "common/coding.h"
#include "common/logging.h"
#include "storage/logstore/store.h"
#include "storage/logstore/store_internal.h"
#include "storage/logstore/wal_ops.h"

namespace opsight::storage::logstore {
namespace {

size_t varint_len(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

size_t lp_len(std::string_view s) {
  return varint_len(s.size()) + s.size();
}

}  // namespace

class StoreAppender final : public LogAppender {
 public:
  StoreAppender(Store* store, Tenant tenant) : store_(store), tenant_(std::move(tenant)) {}

  Status append(std::string_view group, std::string_view stream, std::span<const LogEvent> events,
                bool create_missing) override {
    RETURN_IF_ERROR(store_->check_staging(tenant_, group, stream, create_missing));
    if (events.empty()) return OkStatus();
    for (size_t i = 0; i < events.size(); i++) {
      if (events[i].message.size() > kMaxLogMessageBytes) {
        return Status::invalid_argument("log stream '" + std::string(stream) + "' of log group '" +
                                        std::string(group) + "': event " + std::to_string(i) +
                                        ": message is " + std::to_string(events[i].message.size()) +
                                        " bytes; at most " + std::to_string(kMaxLogMessageBytes) +
                                        " are allowed");
      }
    }
    if (now_ == INT64_MIN) now_ = store_->options().clock->now_ms();
    Store::Staged st;
    st.group = std::string(group);
    st.stream = std::string(stream);
    st.create_missing = create_missing;
    // The exact encoded size, so the buffer the head keeps has no slack.
    size_t bytes = varint_len(events.size());
    for (const LogEvent& e : events) {
      const int64_t ingestion = e.ingestion_time_ms != 0 ? e.ingestion_time_ms : now_;
      bytes += varint_len(zigzag_encode(e.timestamp_ms)) + varint_len(zigzag_encode(ingestion)) +
               lp_len(e.message) + lp_len(e.severity_text) +
               varint_len(zigzag_encode(e.severity_number)) + lp_len(e.trace_id) +
               lp_len(e.span_id) + varint_len(e.attributes.size());
      for (const auto& a : e.attributes) bytes += lp_len(a.key) + lp_len(a.value);
    }
    std::string encoded;
    encoded.reserve(bytes);
    put_varint64(encoded, events.size());
    for (const LogEvent& e : events) {
      encode_event(&encoded, e, e.ingestion_time_ms != 0 ? e.ingestion_time_ms : now_);
    }
    ASSIGN_OR_RETURN(st.chunk, HeadChunk::parse(std::move(encoded)));
    staged_.push_back(std::move(st));
    return OkStatus();
  }

  Status commit() override {
    if (staged_.empty()) return OkStatus();
    Status st = store_->commit(tenant_, staged_);
    rollback();
    return st;
  }

  void rollback() override {
    staged_.clear();
    now_ = INT64_MIN;
  }

 private:
  Store* store_;
  Tenant tenant_;
  std::vector<Store::Staged> staged_;
  int64_t now_ = INT64_MIN;  // ingestion time of events that have none, read once per batch
};

std::unique_ptr<LogAppender> Store::appender(const Tenant& tenant) {
  return std::make_unique<StoreAppender>(this, tenant);
}

Status Store::check_staging(const Tenant& tenant, std::string_view group, std::string_view stream,
                            bool create_missing) {
  if (tenant.account.empty() || tenant.region.empty()) {
    return Status::invalid_argument("tenant account and region must not be empty");
  }
  if (group.empty()) return Status::invalid_argument("log group name must not be empty");
  if (stream.empty()) return Status::invalid_argument("log stream name must not be empty");
  if (create_missing) return OkStatus();
  std::lock_guard<std::mutex> lock(mu_);
  const GroupState* g = catalog_.find(tenant, group);
  if (g == nullptr)
    return Status::not_found("log group '" + std::string(group) + "' does not exist");
  if (g->stream_by_name(stream) == nullptr) {
    return Status::not_found("log stream '" + std::string(stream) +
                             "' does not exist in log group '" + std::string(group) + "'");
  }
  return OkStatus();
}

Status Store::commit(const Tenant& tenant, std::vector<Staged>& staged) {
  uint64_t lsn;
  bool over;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::unavailable("log store is closed");
    if (opts_.background && head_bytes_locked() > 2 * opts_.head_max_bytes) {
      probe().appends_rejected->inc();
      return Status::resource_exhausted(
          "log store: the in-memory head holds " + std::to_string(head_bytes_locked()) +
          " bytes, over twice head_max_bytes (" + std::to_string(opts_.head_max_bytes) +
          "), and flushing has not caught up; retry later");
    }
    // Resolve names to ids; plan the groups and streams to create (nothing is applied before
    // the WAL record is enqueued).
    const int64_t now = opts_.clock->now_ms();
    std::vector<CatalogOp> creates;
    std::map<std::string, uint64_t, std::less<>> new_groups;  // name -> id
    std::map<std::pair<uint64_t, std::string>, uint32_t> new_streams;
    std::map<uint64_t, uint32_t> next_stream;  // group id -> next free stream id
    uint64_t next_group = catalog_.next_group_id();
    std::vector<std::pair<uint64_t, uint32_t>> ids(staged.size());
    for (size_t i = 0; i < staged.size(); i++) {
      const Staged& st = staged[i];
      const GroupState* g = catalog_.find(tenant, st.group);
      uint64_t gid;
      if (g != nullptr) {
        gid = g->id;
      } else if (auto it = new_groups.find(st.group); it != new_groups.end()) {
        gid = it->second;
      } else if (!st.create_missing) {
        return Status::not_found("log group '" + st.group + "' does not exist");
      } else {
        gid = next_group++;
        new_groups.emplace(st.group, gid);
        CatalogOp op;
        op.type = CatalogOp::kCreateGroup;
        op.group_id = gid;
        op.tenant = tenant;
        op.name = st.group;
        op.time_ms = now;
        creates.push_back(std::move(op));
      }
      const StreamState* s = g != nullptr ? g->stream_by_name(st.stream) : nullptr;
      uint32_t sid;
      if (s != nullptr) {
        sid = s->id;
      } else if (auto it = new_streams.find({gid, st.stream}); it != new_streams.end()) {
        sid = it->second;
      } else if (!st.create_missing) {
        return Status::not_found("log stream '" + st.stream + "' does not exist in log group '" +
                                 st.group + "'");
      } else {
        auto [nit, fresh] = next_stream.try_emplace(gid, g != nullptr ? g->next_stream_id : 1);
        sid = nit->second++;
        new_streams.emplace(std::make_pair(gid, st.stream), sid);
        CatalogOp op;
        op.type = CatalogOp::kCreateStream;
        op.group_id = gid;
        op.stream_id = sid;
        op.name = st.stream;
        op.time_ms = now;
        creates.push_back(std::move(op));
      }
      ids[i] = {gid, sid};
    }
    WalRecordWriter w;
    for (const CatalogOp& op : creates) w.add_op(op);
    for (size_t i = 0; i < staged.size(); i++) {
      w.add_events(ids[i].first, ids[i].second, staged[i].chunk->encoded);
    }
    ASSIGN_OR_RETURN(wal::Position pos, wal_->enqueue(w.finish()));
    for (const CatalogOp& op : creates) {
      Status st = catalog_.apply(op);
      if (!st.ok()) return Status::internal("log store: " + st.message());
      catalog_dirty_ = true;
    }
    uint64_t events = 0, bytes = 0;
    for (size_t i = 0; i < staged.size(); i++) {
      staged[i].chunk->stream_id = ids[i].second;
      events += staged[i].chunk->rows.size();
      bytes += staged[i].chunk->stored_bytes - kEventOverheadBytes * staged[i].chunk->rows.size();
      apply_events_locked(ids[i].first, std::move(staged[i].chunk));
    }
    probe().events_appended->inc(events);
    probe().message_bytes_appended->inc(bytes);
    update_gauges_locked();
    lsn = pos.lsn;
    over = head_->memory_bytes > opts_.head_max_bytes;
  }
  if (over && opts_.background) maybe_kick();
  RETURN_IF_ERROR(wal_->wait_durable(lsn));
  if (over && !opts_.background) {
    // The events are durable; a failed flush is retried by the next one.
    Status fs = flush();
    if (!fs.ok()) log::error("log store: inline flush failed: {}", fs.to_string());
  }
  return OkStatus();
}

}  // namespace opsight::storage::logstore
