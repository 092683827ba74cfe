#include "common/self_metrics.h"

#include <cmath>

#include "common/json_writer.h"

namespace opsight::metrics {

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); i++) counts_[i].store(0);
}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) i++;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

void Histogram::snapshot(std::vector<uint64_t>* cumulative, double* sum, uint64_t* count) const {
  cumulative->clear();
  uint64_t acc = 0;
  for (size_t i = 0; i <= bounds_.size(); i++) {
    acc += counts_[i].load(std::memory_order_relaxed);
    cumulative->push_back(acc);
  }
  *count = acc;
  *sum = sum_.load(std::memory_order_relaxed);
}

std::vector<double> latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Registry& Registry::global() {
  static Registry* r = new Registry();  // never destroyed: probes outlive static teardown
  return *r;
}

Registry::Entry* Registry::find_or_add(const std::string& name, const std::string& help, Kind kind,
                                       const Labels& labels, bool* created) {
  Family* fam = nullptr;
  for (auto& f : families_) {
    if (f->name == name) fam = f.get();
  }
  if (fam == nullptr) {
    families_.push_back(std::make_unique<Family>(Family{name, help, kind, {}}));
    fam = families_.back().get();
  }
  for (auto& e : fam->entries) {
    if (e->labels == labels) {
      *created = false;
      return e.get();
    }
  }
  fam->entries.push_back(std::make_unique<Entry>());
  fam->entries.back()->kind = kind;
  fam->entries.back()->labels = labels;
  *created = true;
  return fam->entries.back().get();
}

Counter* Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  bool created;
  Entry* e = find_or_add(name, help, Kind::kCounter, labels, &created);
  if (created) e->counter = std::make_unique<Counter>();
  return e->counter.get();
}

Gauge* Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  bool created;
  Entry* e = find_or_add(name, help, Kind::kGauge, labels, &created);
  if (created) e->gauge = std::make_unique<Gauge>();
  return e->gauge.get();
}

Histogram* Registry::histogram(const std::string& name, const std::string& help,
                               std::vector<double> bounds, const Labels& labels) {
  std::lock_guard lock(mu_);
  bool created;
  Entry* e = find_or_add(name, help, Kind::kHistogram, labels, &created);
  if (created) e->histogram = std::make_unique<Histogram>(std::move(bounds));
  return e->histogram.get();
}

void Registry::gauge_fn(const std::string& name, const std::string& help, const Labels& labels,
                        std::function<double()> fn) {
  std::lock_guard lock(mu_);
  bool created;
  Entry* e = find_or_add(name, help, Kind::kGaugeFn, labels, &created);
  e->fn = std::move(fn);
}

namespace {

void append_labels(std::string& out, const Labels& labels, const char* extra_name = nullptr,
                   const std::string& extra_value = {}) {
  if (labels.empty() && extra_name == nullptr) return;
  out += '{';
  bool first = true;
  for (const auto& l : labels) {
    if (!first) out += ',';
    first = false;
    out += l.name;
    out += '=';
    append_quoted(out, l.value);
  }
  if (extra_name != nullptr) {
    if (!first) out += ',';
    out += extra_name;
    out += '=';
    append_quoted(out, extra_value);
  }
  out += '}';
}

void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    json::append_double(out, v);
  }
}

}  // namespace

std::string Registry::expose() const {
  std::lock_guard lock(mu_);
  std::string out;
  out.reserve(16384);
  for (const auto& f : families_) {
    const char* type = f->kind == Kind::kCounter     ? "counter"
                       : f->kind == Kind::kHistogram ? "histogram"
                                                     : "gauge";
    out += "# HELP " + f->name + " " + f->help + "\n";
    out += "# TYPE " + f->name + " " + type + "\n";
    for (const auto& e : f->entries) {
      switch (e->kind) {
        case Kind::kCounter:
          out += f->name;
          append_labels(out, e->labels);
          out += ' ';
          append_value(out, static_cast<double>(e->counter->value()));
          out += '\n';
          break;
        case Kind::kGauge:
        case Kind::kGaugeFn:
          out += f->name;
          append_labels(out, e->labels);
          out += ' ';
          append_value(out, e->kind == Kind::kGauge ? e->gauge->value() : e->fn());
          out += '\n';
          break;
        case Kind::kHistogram: {
          std::vector<uint64_t> cum;
          double sum;
          uint64_t count;
          e->histogram->snapshot(&cum, &sum, &count);
          const auto& b = e->histogram->bounds();
          for (size_t i = 0; i <= b.size(); i++) {
            std::string le;
            if (i == b.size()) {
              le = "+Inf";
            } else {
              json::append_double(le, b[i]);
            }
            out += f->name + "_bucket";
            append_labels(out, e->labels, "le", le);
            out += ' ' + std::to_string(cum[i]) + '\n';
          }
          out += f->name + "_sum";
          append_labels(out, e->labels);
          out += ' ';
          append_value(out, sum);
          out += '\n';
          out += f->name + "_count";
          append_labels(out, e->labels);
          out += ' ' + std::to_string(count) + '\n';
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace opsight::metrics
