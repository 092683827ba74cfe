// Scans of logstore::Store: resolve and pin the sources under the store mutex, then merge them
// by timestamp without it. A block is decoded only when the merge reaches its time range
// (timestamps and stream ids first; the small columns only if a row is selected; messages only
// with need_message or need_fields, attributes only with need_fields), and released once
// consumed. With need_fields, a record's fields are its attributes followed by the fields that
// storage::discover_fields finds in its message, computed once per record into the scanner's
// scratch (the fields are not stored).
#include <algorithm>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "storage/log_fields.h"
#include "storage/logstore/store.h"
#include "storage/logstore/store_internal.h"

namespace opsight::storage::logstore {

namespace {

struct GroupScope {
  std::string name;
  std::unordered_map<uint32_t, std::string> streams;  // selected live streams: id -> name
  int64_t start = 0;                                  // max(scan start, retention cutoff)
};

struct HeadRef {
  int64_t ts;
  const HeadChunk* chunk;
  const HeadRow* row;
  std::string_view stream_name;
};

// One input of the merge: a block (decoded lazily) or the head rows of one group.
struct Source {
  const GroupScope* scope = nullptr;
  std::shared_ptr<LogBlock> block;
  std::unique_ptr<DecodedBlock> decoded;
  std::vector<uint32_t> rows;                  // selected block rows, ascending time
  std::vector<std::string_view> stream_names;  // by the block's stream dictionary index
  std::vector<HeadRef> head;                   // selected head rows, ascending time
  std::vector<std::shared_ptr<const HeadChunk>> pins;
  bool loaded = false;
  size_t pos = 0;  // rows consumed

  size_t size() const { return block != nullptr ? rows.size() : head.size(); }
  bool done() const { return loaded && pos >= size(); }
  // Index of the current row in `rows` / `head` for the scan direction.
  size_t at(bool newest_first) const { return newest_first ? size() - 1 - pos : pos; }
  int64_t key(bool newest_first) const {
    if (!loaded) return newest_first ? block->meta().max_time : block->meta().min_time;
    const size_t i = at(newest_first);
    return block != nullptr ? decoded->timestamps[rows[i]] : head[i].ts;
  }
};

// Heap order: the source with the smallest (largest, newest_first) key on top.
struct SourceOrder {
  bool desc;
  bool operator()(const Source* a, const Source* b) const {
    return desc ? a->key(true) < b->key(true) : a->key(false) > b->key(false);
  }
};

}  // namespace

class StoreScanner final : public LogScanner {
 public:
  StoreScanner(const LogScan& scan) : scan_(scan) {
    for (std::string& s : scan_.required_substrings) {
      for (char& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    }
    if (scan_.need_message || scan_.need_fields) parts_ |= kDecodeMessages;
    if (scan_.need_fields) parts_ |= kDecodeAttributes;
  }

  LogScan scan_;
  std::vector<std::unique_ptr<GroupScope>> scopes_;
  std::vector<std::unique_ptr<Source>> sources_;
  LogScanStats stats_;

  Status init() {
    for (auto& s : sources_) {
      if (s->block == nullptr) {
        std::stable_sort(s->head.begin(), s->head.end(),
                         [](const HeadRef& a, const HeadRef& b) { return a.ts < b.ts; });
        s->loaded = true;
        if (s->head.empty()) continue;
      }
      heap_.push_back(s.get());
    }
    std::make_heap(heap_.begin(), heap_.end(), SourceOrder{scan_.newest_first});
    return OkStatus();
  }

  Result<bool> next(LogRecord* record) override {
    retired_.reset();
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), SourceOrder{scan_.newest_first});
      Source* s = heap_.back();
      if (!s->loaded) {
        RETURN_IF_ERROR(load(s));
        if (s->done()) {
          heap_.pop_back();
          release(s);
          continue;
        }
        std::push_heap(heap_.begin(), heap_.end(), SourceOrder{scan_.newest_first});
        continue;
      }
      fill(*s, record);
      s->pos++;
      if (s->done()) {
        heap_.pop_back();
        retired_ = take(s);  // its views stay valid until the next call
      } else {
        std::push_heap(heap_.begin(), heap_.end(), SourceOrder{scan_.newest_first});
      }
      stats_.records_scanned++;
      stats_.bytes_scanned += record->account_bytes;
      probe().scan_bytes->inc(record->account_bytes);
      if (scan_.max_bytes_scanned != 0 && stats_.bytes_scanned > scan_.max_bytes_scanned) {
        return Status::resource_exhausted(
            "log scan stopped: it would scan more than the limit of " +
            std::to_string(scan_.max_bytes_scanned) + " bytes (max_bytes_scanned)");
      }
      return true;
    }
    return false;
  }

  LogScanStats stats() const override { return stats_; }

 private:
  Status load(Source* s) {
    s->loaded = true;
    s->decoded = std::make_unique<DecodedBlock>();
    probe().scan_blocks_read->inc();
    const BlockMeta& m = s->block->meta();
    RETURN_IF_ERROR(s->block->decode_keys(s->decoded.get()));
    const auto& ts = s->decoded->timestamps;
    std::vector<bool> wanted(m.streams.size());
    s->stream_names.resize(m.streams.size());
    for (size_t i = 0; i < m.streams.size(); i++) {
      auto it = s->scope->streams.find(m.streams[i].id);
      wanted[i] = it != s->scope->streams.end();
      if (wanted[i]) s->stream_names[i] = it->second;
    }
    auto lo = std::lower_bound(ts.begin(), ts.end(), s->scope->start);
    auto hi = std::lower_bound(ts.begin(), ts.end(), scan_.end_ms);
    for (auto it = lo; it < hi; ++it) {
      const auto row = static_cast<uint32_t>(it - ts.begin());
      if (wanted[s->decoded->stream_index[row]]) s->rows.push_back(row);
    }
    if (!s->rows.empty()) RETURN_IF_ERROR(s->block->decode_rest(s->decoded.get(), parts_));
    return OkStatus();
  }

  void fill(const Source& s, LogRecord* r) {
    const size_t i = s.at(scan_.newest_first);
    r->log_group = s.scope->name;
    std::span<const LogField> attributes;
    std::string_view message;
    if (s.block != nullptr) {
      const DecodedBlock& d = *s.decoded;
      const uint32_t row = s.rows[i];
      r->log_stream = s.stream_names[d.stream_index[row]];
      r->timestamp_ms = d.timestamps[row];
      r->ingestion_time_ms = d.ingestion[row];
      if ((parts_ & kDecodeMessages) != 0) message = d.message[row];
      r->severity_text = d.severity_text[row];
      r->severity_number = d.severity_number[row];
      r->trace_id = d.trace_id[row];
      r->span_id = d.span_id[row];
      if ((parts_ & kDecodeAttributes) != 0) {
        attributes = std::span<const LogField>(d.fields).subspan(
            d.field_begin[row], d.field_begin[row + 1] - d.field_begin[row]);
      }
      r->account_bytes = uint64_t{d.message_length[row]} + d.attribute_bytes[row];
    } else {
      const HeadRef& h = s.head[i];
      r->log_stream = h.stream_name;
      r->timestamp_ms = h.ts;
      r->ingestion_time_ms = h.row->ingestion_time_ms;
      message = h.row->message;
      r->severity_text = h.row->severity_text;
      r->severity_number = h.row->severity_number;
      r->trace_id = h.row->trace_id;
      r->span_id = h.row->span_id;
      attributes = h.chunk->attributes_of(*h.row);
      uint64_t bytes = message.size();
      for (const LogField& f : attributes) bytes += f.name.size() + f.value.size();
      r->account_bytes = bytes;
    }
    r->message = scan_.need_message ? message : std::string_view();
    r->fields = {};
    if (scan_.need_fields) r->fields = fields_of(attributes, message);
  }

  // Attributes, then the fields discovered in the message (a discovered name equal to an
  // attribute's is dropped: discover_fields keeps names unique against what is already there).
  std::span<const LogField> fields_of(std::span<const LogField> attributes,
                                      std::string_view message) {
    const size_t first = message.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || message[first] != '{') return attributes;
    discovered_.clear();
    for (const LogField& f : attributes) {
      discovered_.push_back({std::string(f.name), std::string(f.value)});
    }
    discover_fields(message, &discovered_);
    if (discovered_.size() == attributes.size()) return attributes;
    fields_.clear();
    fields_.reserve(discovered_.size());
    for (const auto& f : discovered_) fields_.push_back({f.key, f.value});
    return fields_;
  }

  std::unique_ptr<Source> take(Source* s) {
    for (auto& p : sources_) {
      if (p.get() == s) return std::move(p);
    }
    return nullptr;
  }
  void release(Source* s) { take(s).reset(); }

  std::vector<Source*> heap_;
  std::unique_ptr<Source> retired_;
  unsigned parts_ = kDecodeSmall;
  std::vector<LogAttribute> discovered_;  // scratch of the current record's fields
  std::vector<LogField> fields_;          // views into discovered_
};

Result<std::unique_ptr<LogScanner>> Store::scan(const Tenant& tenant, const LogScan& scan) {
  if (scan.groups.empty()) return Status::invalid_argument("log scan: no log group given");
  auto sc = std::make_unique<StoreScanner>(scan);
  probe().scans->inc();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::unavailable("log store is closed");
    const int64_t now = opts_.clock->now_ms();
    std::unordered_set<uint64_t> seen;
    for (const std::string& name : scan.groups) {
      const GroupState* g = catalog_.find(tenant, name);
      if (g == nullptr) return Status::not_found("log group '" + name + "' does not exist");
      if (!seen.insert(g->id).second) continue;
      auto scope = std::make_unique<GroupScope>();
      scope->name = g->name;
      scope->start = std::max(scan.start_ms, g->retention_cutoff(now));
      if (scan.streams.empty()) {
        for (const auto& [id, s] : g->streams) scope->streams.emplace(id, s.name);
      } else {
        for (const std::string& sn : scan.streams) {
          if (const StreamState* s = g->stream_by_name(sn)) scope->streams.emplace(s->id, s->name);
        }
      }
      const GroupScope* sp = scope.get();
      sc->scopes_.push_back(std::move(scope));
      if (sp->streams.empty() || sp->start >= scan.end_ms) continue;
      for (const auto& b : blocks_) {
        const BlockMeta& m = b->meta();
        if (m.group_id != g->id) continue;
        bool any_stream = false;
        for (const auto& s : m.streams) any_stream = any_stream || sp->streams.contains(s.id);
        if (m.max_time < sp->start || m.min_time >= scan.end_ms || !any_stream ||
            !b->may_contain(sc->scan_.required_substrings)) {
          sc->stats_.blocks_skipped++;
          continue;
        }
        auto src = std::make_unique<Source>();
        src->scope = sp;
        src->block = b;
        sc->sources_.push_back(std::move(src));
      }
      auto src = std::make_unique<Source>();
      src->scope = sp;
      for (const Head* h : {static_cast<const Head*>(head_.get()), frozen_.get()}) {
        if (h == nullptr) continue;
        auto it = h->groups.find(g->id);
        if (it == h->groups.end()) continue;
        for (const auto& c : it->second.chunks) {
          if (c->max_time < sp->start || c->min_time >= scan.end_ms ||
              !sp->streams.contains(c->stream_id)) {
            continue;
          }
          src->pins.push_back(c);
        }
      }
      if (!src->pins.empty()) sc->sources_.push_back(std::move(src));
    }
  }
  probe().scan_blocks_skipped->inc(sc->stats_.blocks_skipped);
  // Select head rows outside the lock: the pinned chunks are immutable.
  for (auto& s : sc->sources_) {
    if (s->block != nullptr) continue;
    for (const auto& c : s->pins) {
      const std::string_view name = s->scope->streams.at(c->stream_id);
      auto lo = std::lower_bound(c->rows.begin(), c->rows.end(), s->scope->start,
                                 [](const HeadRow& r, int64_t t) { return r.timestamp_ms < t; });
      for (auto it = lo; it != c->rows.end() && it->timestamp_ms < scan.end_ms; ++it) {
        s->head.push_back({it->timestamp_ms, c.get(), &*it, name});
      }
    }
  }
  RETURN_IF_ERROR(sc->init());
  return std::unique_ptr<LogScanner>(std::move(sc));
}

}  // namespace opsight::storage::logstore
