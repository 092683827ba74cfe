// Fuzz target: the PromQL parser and engine never crash on any input. A query that parses is
// printed, and evaluated (instant and range) over a small in-memory store within small
// limits; failures must be error values with a message.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "query/promql/engine.h"
#include "query/promql/parser.h"

namespace {

using namespace opsight;

class MemIterator final : public storage::SeriesIterator {
 public:
  explicit MemIterator(const std::vector<storage::Sample>* s) : s_(s) {}
  bool next() override { return ++i_ < static_cast<int64_t>(s_->size()); }
  bool seek(int64_t t) override {
    if (i_ < 0) i_ = 0;
    while (i_ < static_cast<int64_t>(s_->size()) && (*s_)[static_cast<size_t>(i_)].t < t) i_++;
    return i_ < static_cast<int64_t>(s_->size());
  }
  const storage::Sample& at() const override { return (*s_)[static_cast<size_t>(i_)]; }

 private:
  const std::vector<storage::Sample>* s_;
  int64_t i_ = -1;
};

struct MemSeries final : public storage::Series {
  Labels l;
  storage::Tenant tenant_;
  std::vector<storage::Sample> samples;
  const Labels& labels() const override { return l; }
  const storage::Tenant& tenant() const override { return tenant_; }
  std::unique_ptr<storage::SeriesIterator> iterator() const override {
    return std::make_unique<MemIterator>(&samples);
  }
};

class MemSet final : public storage::SeriesSet {
 public:
  explicit MemSet(std::vector<const MemSeries*> s) : s_(std::move(s)) {}
  bool next() override { return ++i_ < s_.size(); }
  const storage::Series& at() const override { return *s_[i_]; }
  Status err() const override { return OkStatus(); }

 private:
  std::vector<const MemSeries*> s_;
  size_t i_ = static_cast<size_t>(-1);
};

class MemQuerier final : public storage::Querier {
 public:
  explicit MemQuerier(const std::vector<MemSeries>* s) : s_(s) {}
  std::unique_ptr<storage::SeriesSet> select(bool, const storage::SelectHints&,
                                             std::span<const storage::Matcher> ms) override {
    std::vector<const MemSeries*> out;
    for (const auto& s : *s_) {
      bool ok = true;
      for (const auto& m : ms) ok = ok && m.matches(s.l.get(m.name()));
      if (ok) out.push_back(&s);
    }
    return std::make_unique<MemSet>(std::move(out));
  }
  Result<std::vector<std::string>> label_names(std::span<const storage::Matcher>) override {
    return std::vector<std::string>{};
  }
  Result<std::vector<std::string>> label_values(std::string_view,
                                                std::span<const storage::Matcher>) override {
    return std::vector<std::string>{};
  }
  std::optional<storage::MetricMetadata> metadata(std::string_view) override {
    return std::nullopt;
  }

 private:
  const std::vector<MemSeries>* s_;
};

class MemStore final : public storage::MetricStore {
 public:
  MemStore() {
    const char* names[] = {"a", "b", "c_bucket"};
    const char* les[] = {"0.1", "1", "+Inf"};
    for (int n = 0; n < 3; n++) {
      for (int j = 0; j < 3; j++) {
        MemSeries s;
        s.l = Labels{{"__name__", names[n]}, {"job", j % 2 ? "x" : "y"}, {"le", les[j]}};
        for (int k = 0; k <= 20; k++) {
          double v = (n + 1) * k * (j + 1);
          if (k == 13 && n == 1) v = storage::stale_nan();
          s.samples.push_back(storage::Sample::value(k * 30'000, v));
        }
        series_.push_back(std::move(s));
      }
    }
  }
  std::unique_ptr<storage::Appender> appender(const storage::Tenant&) override { return nullptr; }
  Result<std::unique_ptr<storage::Querier>> querier(const storage::QueryScope&, int64_t,
                                                    int64_t) override {
    return std::unique_ptr<storage::Querier>(std::make_unique<MemQuerier>(&series_));
  }
  storage::StoreStats stats() override { return {}; }
  Status close() override { return OkStatus(); }

 private:
  std::vector<MemSeries> series_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight::query::promql;
  if (size > 4096) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto expr = parse_expr(text);
  if (!expr.ok()) {
    if (expr.status().message().empty()) std::abort();
    return 0;
  }
  (void)expr->to_string();
  static MemStore store;
  EngineOptions o;
  o.max_samples = 20'000;
  o.max_series = 50;
  o.timeout_ms = 2'000;
  Engine engine(o);
  auto check = [](const opsight::Result<Value>& r) {
    if (!r.ok() && r.status().message().empty()) std::abort();
  };
  check(engine.instant(store, {}, *expr, 300'000));
  if (expr->type() == ValueType::kScalar || expr->type() == ValueType::kVector) {
    check(engine.range(store, {}, *expr, 0, 600'000, 60'000));
  }
  return 0;
}
