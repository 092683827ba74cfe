// Span scans of tracestore::Store: blocks are pinned and tested against the block filters
// (time, services, names, status bits, duration, attribute Bloom filter), then decoded and
// filtered row by row on their columns; head chunks are filtered span by span.
#include <algorithm>
#include <set>

#include "storage/tracestore/store.h"
#include "storage/tracestore/store_internal.h"

namespace opsight::storage::tracestore {
namespace {

bool attr_matches(const std::vector<SpanAttribute>& attrs, const AttributeFilter& f) {
  for (const auto& a : attrs) {
    if (a.indexed && a.key == f.key && a.value == f.value) return true;
  }
  return false;
}

}  // namespace

class StoreScanner final : public TraceScanner {
 public:
  StoreScanner(SpanScan scan, std::vector<std::shared_ptr<TraceBlock>> blocks,
               std::vector<std::shared_ptr<const HeadChunk>> chunks,
               std::map<Tenant, int64_t> cutoffs, uint64_t skipped)
      : scan_(std::move(scan)),
        blocks_(std::move(blocks)),
        chunks_(std::move(chunks)),
        cutoffs_(std::move(cutoffs)) {
    stats_.blocks_skipped = skipped;
    services_.insert(scan_.services.begin(), scan_.services.end());
    names_.insert(scan_.names.begin(), scan_.names.end());
    for (SpanStatusCode c : scan_.statuses) status_mask_ |= 1u << static_cast<uint8_t>(c);
    if (scan_.statuses.empty()) status_mask_ = 0xff;
  }

  Result<bool> next(Span* span) override {
    while (true) {
      if (scan_.limit != 0 && stats_.spans_matched >= scan_.limit) return false;
      if (block_ != nullptr) {
        while (row_ != SIZE_MAX && row_ < decoded_.start.size()) {
          const uint32_t r = static_cast<uint32_t>(row_++);
          stats_.spans_scanned++;
          if (!block_row_matches(r)) continue;
          block_->materialize(decoded_, r, span);
          stats_.spans_matched++;
          return true;
        }
        decoded_ = DecodedBlock();
        if (next_group_ < block_->meta().groups.size()) {
          row_ = 0;
          RETURN_IF_ERROR(block_->decode_group(next_group_++, &decoded_, &stats_.bytes_read));
          continue;
        }
        block_ = nullptr;
      }
      if (next_block_ < blocks_.size()) {
        block_ = blocks_[next_block_++];
        next_group_ = 0;
        row_ = SIZE_MAX;  // no group decoded yet
        cutoff_ = cutoffs_[block_->meta().tenant];
        prepare_dictionaries();
        probe().scan_blocks_read->inc();
        stats_.blocks_read++;
        continue;
      }
      while (next_chunk_ < chunks_.size()) {
        const HeadChunk& c = *chunks_[next_chunk_];
        while (chunk_row_ < c.spans.size()) {
          const Span& s = c.spans[chunk_row_++];
          stats_.spans_scanned++;
          if (!span_matches(s)) continue;
          *span = s;
          stats_.spans_matched++;
          return true;
        }
        next_chunk_++;
        chunk_row_ = 0;
      }
      return false;
    }
  }

  TraceScanStats stats() const override { return stats_; }

 private:
  // Which dictionary entries of the current block the scan accepts.
  void prepare_dictionaries() {
    const BlockMeta& m = block_->meta();
    service_ok_.assign(m.services.size(), true);
    if (!services_.empty()) {
      for (size_t i = 0; i < m.services.size(); i++) {
        service_ok_[i] = services_.contains(m.services[i]);
      }
    }
    name_ok_.assign(m.names.size(), true);
    if (!names_.empty()) {
      for (size_t i = 0; i < m.names.size(); i++) name_ok_[i] = names_.contains(m.names[i]);
    }
  }

  bool common_matches(int64_t start, int64_t duration, uint8_t status, int64_t cutoff) const {
    return start >= scan_.start_ns && start < scan_.end_ns && start >= cutoff &&
           duration >= scan_.min_duration_ns && duration <= scan_.max_duration_ns &&
           (status_mask_ & (1u << status)) != 0;
  }

  bool block_row_matches(uint32_t r) const {
    const DecodedBlock& d = decoded_;
    if (!common_matches(d.start[r], d.duration[r], (d.packed[r] >> 3) & 3, cutoff_)) return false;
    if (!service_ok_[d.service[r]] || !name_ok_[d.name[r]]) return false;
    if (scan_.attributes.empty()) return true;
    const BlockMeta& m = block_->meta();
    const auto& shape = m.shapes[d.shape[r]];
    const auto& resource = m.resources[d.resource[r]];
    for (const AttributeFilter& f : scan_.attributes) {
      bool found = false;
      for (size_t i = 0; i < shape.size() && !found; i++) {
        const AttrKey& k = m.keys[shape[i]];
        found = k.indexed && k.key == f.key && d.attr_values[d.attr_begin[r] + i] == f.value;
      }
      if (!found && !attr_matches(resource, f)) return false;
    }
    return true;
  }

  bool span_matches(const Span& s) {
    auto it = cutoffs_.find(s.tenant);
    const int64_t cutoff = it != cutoffs_.end() ? it->second : INT64_MAX;
    if (!common_matches(s.start_ns, s.duration_ns(), static_cast<uint8_t>(s.status_code), cutoff)) {
      return false;
    }
    if (!services_.empty() && !services_.contains(s.service)) return false;
    if (!names_.empty() && !names_.contains(s.name)) return false;
    for (const AttributeFilter& f : scan_.attributes) {
      if (!attr_matches(s.attributes, f) && !attr_matches(s.resource_attributes, f)) return false;
    }
    return true;
  }

  const SpanScan scan_;
  std::vector<std::shared_ptr<TraceBlock>> blocks_;
  std::vector<std::shared_ptr<const HeadChunk>> chunks_;
  std::map<Tenant, int64_t> cutoffs_;
  std::set<std::string, std::less<>> services_, names_;
  unsigned status_mask_ = 0;
  TraceScanStats stats_;

  size_t next_block_ = 0;
  std::shared_ptr<TraceBlock> block_;
  DecodedBlock decoded_;  // the current row group of block_
  size_t next_group_ = 0;
  size_t row_ = 0;
  int64_t cutoff_ = 0;
  std::vector<bool> service_ok_, name_ok_;

  size_t next_chunk_ = 0;
  size_t chunk_row_ = 0;
};

Result<std::unique_ptr<TraceScanner>> Store::scan(const SpanScan& scan) {
  if (scan.tenants.empty()) return Status::invalid_argument("span scan: no tenant given");
  for (const Tenant& t : scan.tenants) RETURN_IF_ERROR(check_tenant(t));
  if (scan.end_ns <= scan.start_ns) {
    return Status::invalid_argument("span scan: end " + std::to_string(scan.end_ns) +
                                    " ns is not after start " + std::to_string(scan.start_ns) +
                                    " ns");
  }
  probe().scans->inc();
  std::vector<std::shared_ptr<TraceBlock>> blocks;
  std::vector<std::shared_ptr<const HeadChunk>> chunks;
  std::map<Tenant, int64_t> cutoffs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::unavailable("trace store is closed");
    const int64_t now = opts_.clock->now_ms();
    for (const Tenant& t : scan.tenants) cutoffs[t] = cutoff_ns_locked(t, now);
    for (const auto& b : blocks_) {
      if (cutoffs.contains(b->meta().tenant)) blocks.push_back(b);
    }
    for (const Head* h : {frozen_.get(), static_cast<const Head*>(head_.get())}) {
      if (h == nullptr) continue;
      for (const Tenant& t : scan.tenants) {
        auto it = h->tenants.find(t);
        if (it == h->tenants.end()) continue;
        for (const auto& c : it->second.chunks) {
          if (c->max_start >= scan.start_ns && c->min_start < scan.end_ns) chunks.push_back(c);
        }
      }
    }
  }
  // Block filters (no lock: a pinned block is immutable).
  uint64_t skipped = 0;
  unsigned status_mask = 0;
  for (SpanStatusCode c : scan.statuses) status_mask |= 1u << static_cast<uint8_t>(c);
  std::erase_if(blocks, [&](const std::shared_ptr<TraceBlock>& b) {
    const BlockMeta& m = b->meta();
    bool keep = m.max_start >= scan.start_ns && m.min_start < scan.end_ns &&
                m.max_start >= cutoffs[m.tenant] && m.max_duration >= scan.min_duration_ns &&
                m.min_duration <= scan.max_duration_ns &&
                (scan.statuses.empty() || (m.status_bits & status_mask) != 0);
    auto any_in = [](const std::vector<std::string>& want, const std::vector<std::string>& have) {
      if (want.empty()) return true;
      for (const auto& w : want) {
        if (std::find(have.begin(), have.end(), w) != have.end()) return true;
      }
      return false;
    };
    keep = keep && any_in(scan.services, m.services) && any_in(scan.names, m.names);
    for (size_t i = 0; keep && i < scan.attributes.size(); i++) {
      keep = b->may_contain_attr(scan.attributes[i].key, scan.attributes[i].value);
    }
    if (!keep) skipped++;
    return !keep;
  });
  probe().scan_blocks_skipped->inc(skipped);
  return std::unique_ptr<TraceScanner>(std::make_unique<StoreScanner>(
      scan, std::move(blocks), std::move(chunks), std::move(cutoffs), skipped));
}

}  // namespace opsight::storage::tracestore
