// The write path of tracestore::Store: StoreAppender validates and encodes spans (outside any
// lock); Store::commit writes ONE WAL record, adds the spans to the head and waits for
// durability.
#include "common/coding.h"
#include "common/logging.h"
#include "storage/tracestore/span_codec.h"
#include "storage/tracestore/store.h"
#include "storage/tracestore/store_internal.h"
#include "storage/tracestore/wal_ops.h"

namespace opsight::storage::tracestore {

class StoreAppender final : public TraceAppender {
 public:
  StoreAppender(Store* store, Tenant tenant) : store_(store), tenant_(std::move(tenant)) {}

  Status append(std::span<const Span> spans) override {
    RETURN_IF_ERROR(check(spans));
    for (const Span& s : spans) {
      encode_span(&encoded_, s);
      Span& copy = staged_.emplace_back(s);
      copy.tenant = tenant_;
    }
    return OkStatus();
  }

  Status append(std::vector<Span>&& spans) override {
    RETURN_IF_ERROR(check(spans));
    for (Span& s : spans) {
      encode_span(&encoded_, s);
      s.tenant = tenant_;
    }
    if (staged_.empty()) {
      staged_ = std::move(spans);
    } else {
      staged_.insert(staged_.end(), std::make_move_iterator(spans.begin()),
                     std::make_move_iterator(spans.end()));
    }
    spans.clear();
    return OkStatus();
  }

  Status commit() override {
    if (staged_.empty()) return OkStatus();
    // Before staged_ is moved from (argument evaluation order is unspecified).
    std::string record = spans_wal_record(tenant_, staged_.size(), encoded_);
    Status st = store_->commit(tenant_, std::move(record), std::move(staged_));
    rollback();
    return st;
  }

  void rollback() override {
    staged_.clear();
    encoded_.clear();
  }

 private:
  // The tenant and every span valid (InvalidArgument naming the first bad span).
  Status check(std::span<const Span> spans) const {
    RETURN_IF_ERROR(check_tenant(tenant_));
    for (size_t i = 0; i < spans.size(); i++) {
      if (auto rule = check_span(spans[i]); !rule.empty()) {
        return Status::invalid_argument("span " + std::to_string(i) + ": " + rule);
      }
    }
    return OkStatus();
  }

  Store* store_;
  Tenant tenant_;
  std::vector<Span> staged_;
  std::string encoded_;  // encode_span of each staged span, in order
};

std::unique_ptr<TraceAppender> Store::appender(const Tenant& tenant) {
  return std::make_unique<StoreAppender>(this, tenant);
}

Status Store::commit(const Tenant& tenant, std::string wal_record, std::vector<Span> spans) {
  auto chunk = HeadChunk::make(std::move(spans));  // outside the lock
  uint64_t lsn;
  bool over;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::unavailable("trace store is closed");
    if (opts_.background && head_bytes_locked() > 2 * opts_.head_max_bytes) {
      probe().commits_rejected->inc();
      return Status::resource_exhausted(
          "trace store: the in-memory head holds " + std::to_string(head_bytes_locked()) +
          " bytes, over twice head_max_bytes (" + std::to_string(opts_.head_max_bytes) +
          "), and flushing has not caught up; retry later");
    }
    ASSIGN_OR_RETURN(wal::Position pos, wal_->enqueue(std::move(wal_record)));
    if (head_->empty()) head_->first_append_ms = opts_.clock->now_ms();
    probe().spans_appended->inc(chunk->spans.size());
    head_->add(tenant, std::move(chunk));
    update_gauges_locked();
    lsn = pos.lsn;
    over = head_->memory_bytes > opts_.head_max_bytes;
  }
  if (over && worker_) worker_->kick();
  RETURN_IF_ERROR(wal_->wait_durable(lsn));
  if (over && !opts_.background) {
    // The spans are durable; a failed flush is retried by the next one.
    Status fs = flush();
    if (!fs.ok()) log::error("trace store: inline flush failed: {}", fs.to_string());
  }
  return OkStatus();
}

}  // namespace opsight::storage::tracestore
