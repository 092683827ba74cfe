// Trace analysis; the design is in trace_analysis.h. Exclusive time and error origin follow the
// usual trace-based blame (e.g. Jaeger's "self time", X-Ray's fault origin); the significance
// tests are the one-sample test of a proportion and Welch's two-sample z on the means.
#include "aiops/investigate/trace_analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "aiops/investigate/explain.h"
#include "apm/span_facts.h"
#include "common/json_writer.h"

namespace opsight::aiops {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;
constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
constexpr int64_t kMinBucketMs = 10'000;
constexpr size_t kMaxBuckets = 1440;
constexpr size_t kMaxPoints = 120;
constexpr size_t kMaxCandidates = 64;  // components whose series are built

enum SpanFlag : uint8_t {
  kFault = 1,
  kExit = 2,   // client or producer
  kEntry = 4,  // server, consumer or root
  kError = 8,  // 4xx
};

// One span, compactly (64 bytes).
struct SpanRec {
  uint64_t trace_hi = 0, trace_lo = 0;
  uint64_t span_id = 0;
  uint64_t parent_id = 0;  // 0 for a root
  int64_t start_ns = 0;
  int64_t dur_ns = 0;
  uint32_t service = 0;   // name id
  uint32_t op = 0;        // operation id
  uint32_t peer = kNone;  // name id of the inferred peer
  uint8_t flags = 0;
};
static_assert(sizeof(SpanRec) <= 64);

uint64_t load_be64(const std::string& s, size_t off) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; i++) {
    v = (v << 8) | (off + i < s.size() ? static_cast<uint8_t>(s[off + i]) : 0);
  }
  return v;
}

std::string hex_id(uint64_t hi, uint64_t lo, bool trace) {
  return trace ? fmt::format("{:016x}{:016x}", hi, lo) : fmt::format("{:016x}", lo);
}

// Strings to dense ids, with a one-entry cache for runs of the same string.
class Interner {
 public:
  uint32_t id(const std::string& s) {
    if (last_ != kNone && s == names_[last_]) return last_;
    auto [it, fresh] = ids_.try_emplace(s, static_cast<uint32_t>(names_.size()));
    if (fresh) names_.push_back(s);
    last_ = it->second;
    return last_;
  }
  uint32_t id_uncached(const std::string& s) {
    auto [it, fresh] = ids_.try_emplace(s, static_cast<uint32_t>(names_.size()));
    if (fresh) names_.push_back(s);
    return it->second;
  }
  const std::string& name(uint32_t id) const { return names_[id]; }
  size_t size() const { return names_.size(); }

 private:
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<std::string> names_;
  uint32_t last_ = kNone;
};

// What the trace pass leaves behind for the series and the examples (20 bytes each).
struct Ev {
  enum Type : uint8_t { kRequest, kOrigin, kEntry };
  uint32_t rec = 0;  // index of the span (the unit's first span for a request)
  uint32_t bucket = 0;
  uint32_t comp = 0;
  float value = 0;  // request: self ms; entry: duration ms
  Type type = kRequest;
  bool fault = false;  // entry: the entry span faulted
};

struct Moments {
  uint64_t n = 0;
  double sum = 0, sq = 0;
  void add(double v) {
    n++;
    sum += v;
    sq += v * v;
  }
  double mean() const { return n ? sum / static_cast<double>(n) : 0; }
  double var() const {
    if (n < 2) return 0;
    const double m = mean();
    return std::max(0.0, (sq - static_cast<double>(n) * m * m) / static_cast<double>(n - 1));
  }
};

// Per component and period (0 = baseline, 1 = window).
struct CompAcc {
  Moments self[2];            // self ms per request
  double self_total[2] = {};  // self ms in all
  uint64_t origins[2] = {};
  uint64_t origin_traces[2] = {};
  Moments entry[2];  // entry span duration ms (services)
  uint64_t entry_faults[2] = {};
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

double quantile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// Robust baseline of bucket values: median and 1.4826 * MAD.
std::pair<double, double> robust(const std::vector<double>& v) {
  const double med = median(v);
  std::vector<double> dev;
  dev.reserve(v.size());
  for (double x : v) dev.push_back(std::abs(x - med));
  return {med, 1.4826 * median(std::move(dev))};
}

// A bucketed series of one component: value per bucket (NaN = no data) plus counts.
struct Series {
  std::vector<double> num, den;  // value = num / den
  std::vector<uint32_t> hits;    // origins per bucket (rates)
  bool has(size_t b) const { return den[b] > 0; }
  double value(size_t b) const { return num[b] / den[b]; }
};

// The onset bucket of a series (see trace_analysis.h), or -1 when none exceeds.
template <typename Exceeds>
int64_t onset_bucket(const Series& s, size_t first_window, Exceeds exceeds) {
  int64_t first = -1;
  for (size_t b = first_window; b < s.num.size(); b++) {
    if (!s.has(b) || !exceeds(b)) continue;
    if (first < 0) first = static_cast<int64_t>(b);
    size_t seen = 0, over = 0;
    for (size_t k = b + 1; k < s.num.size() && seen < 6; k++) {
      if (!s.has(k)) continue;
      seen++;
      over += exceeds(k) ? 1 : 0;
    }
    if (seen == 0 || 2 * over >= seen) return static_cast<int64_t>(b);
  }
  return first;
}

class Analyzer {
 public:
  Analyzer(const AnalysisWindow& w, const TraceAnalysisOptions& o) : w_(w), o_(o) {
    const int64_t range = w.end_ms - w.baseline_start_ms;
    bucket_ms_ = kMinBucketMs;
    while (range / bucket_ms_ >= static_cast<int64_t>(kMaxBuckets)) bucket_ms_ += kMinBucketMs;
    const int64_t baseline_buckets =
        (w.start_ms - w.baseline_start_ms + bucket_ms_ - 1) / bucket_ms_;
    origin_ms_ = w.start_ms - baseline_buckets * bucket_ms_;
    first_window_ = static_cast<size_t>(baseline_buckets);
    buckets_ = static_cast<size_t>((w.end_ms - origin_ms_ + bucket_ms_ - 1) / bucket_ms_);
  }

  Status scan(storage::TraceStore& store, InvestigationStats* stats);
  void process();
  TraceAnalysis finish();
  uint64_t trace_count() const { return traces_[0] + traces_[1]; }

 private:
  void add(const storage::Span& span);
  void process_trace(size_t begin, size_t end);
  uint32_t bucket_of(int64_t t_ns) const {
    const int64_t b = (t_ns / kNsPerMs - origin_ms_) / bucket_ms_;
    return static_cast<uint32_t>(std::clamp<int64_t>(b, 0, static_cast<int64_t>(buckets_) - 1));
  }
  int64_t bucket_start(size_t b) const { return origin_ms_ + static_cast<int64_t>(b) * bucket_ms_; }
  bool is_peer(uint32_t c) const { return !is_service_[c]; }
  std::string_view type_of(uint32_t c) const {
    return is_service_[c] ? apm::kServiceType : peer_type_[c];
  }

  // Findings.
  struct Slot;  // per candidate component: its series, samples and events
  void build_findings(TraceAnalysis* out);
  void fill_slots(std::vector<Slot>& slots, const std::vector<int32_t>& slot_of) const;
  std::string metric_json(const Slot& s, bool latency, double base, double win, double ratio) const;
  Evidence trace_evidence(const Ev& ev, bool origin) const;
  std::string where(uint32_t comp, uint32_t op) const {
    return op == kNone ? names_.name(comp) : names_.name(comp) + " " + ops_.name(op);
  }

  const AnalysisWindow w_;
  const TraceAnalysisOptions o_;
  int64_t bucket_ms_ = kMinBucketMs, origin_ms_ = 0;
  size_t first_window_ = 0, buckets_ = 0;

  Interner names_, ops_;
  std::vector<bool> is_service_;
  std::vector<std::string_view> peer_type_;
  std::vector<SpanRec> recs_;
  std::vector<Ev> evs_;
  std::vector<CompAcc> acc_;
  std::unordered_set<uint64_t> edges_;  // caller << 32 | callee
  std::vector<uint8_t> used_;           // name id -> used as a component
  uint64_t traces_[2] = {}, failing_[2] = {};

  // Per-trace scratch, reused.
  std::vector<std::pair<uint64_t, uint32_t>> ids_;
  std::vector<int32_t> parent_, unit_;
  std::vector<int64_t> covered_, cover_end_;
  std::vector<uint8_t> has_child_, child_fault_, skip_;
  std::vector<uint32_t> comp_;
  std::vector<double> unit_self_;
  std::vector<uint32_t> origin_comps_;
  std::vector<int32_t> path_;
};

// ---- scan -------------------------------------------------------------------------------------

void Analyzer::add(const storage::Span& span) {
  SpanRec r;
  r.trace_hi = load_be64(span.trace_id, 0);
  r.trace_lo = load_be64(span.trace_id, 8);
  r.span_id = load_be64(span.span_id, 0);
  r.parent_id = span.parent_span_id.empty() ? 0 : load_be64(span.parent_span_id, 0);
  r.start_ns = span.start_ns;
  r.dur_ns = std::max<int64_t>(0, span.duration_ns());
  r.service = names_.id(span.service);
  r.op = ops_.id(span.name);
  const apm::SpanClass cls = apm::classify(span);
  if (cls.fault) r.flags |= kFault;
  if (cls.error) r.flags |= kError;
  if (apm::is_entry_span(span)) r.flags |= kEntry;
  if (apm::is_exit_span(span)) {
    r.flags |= kExit;
    if (auto peer = apm::infer_peer(span)) {
      const std::string* name = &peer->name;
      if (peer->type == apm::kDatabaseType || peer->type == apm::kQueueType) {
        // The server that serves the database or queue is the component that can fail.
        for (std::string_view key : {"server.address", "net.peer.name"}) {
          const std::string* v = apm::find_attribute(span, key);
          if (v != nullptr && !v->empty()) {
            name = v;
            break;
          }
        }
      }
      r.peer = names_.id_uncached(*name);
      if (peer_type_.size() < names_.size()) peer_type_.resize(names_.size());
      if (peer_type_[r.peer].empty()) peer_type_[r.peer] = peer->type;
    }
  }
  if (is_service_.size() < names_.size()) is_service_.resize(names_.size());
  is_service_[r.service] = true;
  recs_.push_back(r);
}

Status Analyzer::scan(storage::TraceStore& store, InvestigationStats* stats) {
  storage::SpanScan scan;
  scan.tenants = {w_.tenant};
  scan.start_ns = w_.baseline_start_ms * kNsPerMs;
  scan.end_ns = w_.end_ms * kNsPerMs;
  ASSIGN_OR_RETURN(auto scanner, store.scan(scan));
  storage::Span span;
  std::string stopped_by;
  uint64_t n = 0;
  while (true) {
    ASSIGN_OR_RETURN(bool more, scanner->next(&span));
    if (!more) break;
    if (recs_.size() >= o_.max_spans) {
      stopped_by = "max_spans";
      break;
    }
    if (span.trace_id.size() != storage::kTraceIdBytes ||
        span.span_id.size() != storage::kSpanIdBytes) {
      continue;
    }
    add(span);
    if ((++n & 1023) == 0 && o_.deadline_mono_ns > 0 && o_.clock != nullptr &&
        o_.clock->mono_ns() > o_.deadline_mono_ns) {
      stopped_by = "deadline";
      break;
    }
  }
  is_service_.resize(names_.size());
  peer_type_.resize(names_.size());
  if (stats != nullptr) {
    stats->spans_scanned += scanner->stats().spans_scanned;
    if (!stopped_by.empty()) {
      stats->complete = false;
      if (stats->stopped_by.empty()) stats->stopped_by = "traces: " + stopped_by;
    }
  }
  return OkStatus();
}

// ---- trace pass -------------------------------------------------------------------------------

void Analyzer::process() {
  std::sort(recs_.begin(), recs_.end(), [](const SpanRec& a, const SpanRec& b) {
    if (a.trace_hi != b.trace_hi) return a.trace_hi < b.trace_hi;
    if (a.trace_lo != b.trace_lo) return a.trace_lo < b.trace_lo;
    if (a.start_ns != b.start_ns) return a.start_ns < b.start_ns;
    return a.span_id < b.span_id;
  });
  acc_.assign(names_.size(), CompAcc{});
  used_.assign(names_.size(), 0);
  evs_.reserve(recs_.size() / 2);
  size_t i = 0;
  while (i < recs_.size()) {
    size_t j = i + 1;
    while (j < recs_.size() && recs_[j].trace_hi == recs_[i].trace_hi &&
           recs_[j].trace_lo == recs_[i].trace_lo) {
      j++;
    }
    process_trace(i, j);
    i = j;
  }
}

void Analyzer::process_trace(size_t begin, size_t end) {
  const size_t n = end - begin;
  const SpanRec* r = &recs_[begin];
  const int period = r[0].start_ns >= w_.start_ms * kNsPerMs ? 1 : 0;
  const uint32_t bucket = bucket_of(r[0].start_ns);
  traces_[period]++;

  // Span id -> index; of a repeated span id only the version that ends last is kept.
  ids_.clear();
  for (size_t k = 0; k < n; k++) ids_.emplace_back(r[k].span_id, static_cast<uint32_t>(k));
  std::sort(ids_.begin(), ids_.end());
  skip_.assign(n, 0);
  for (size_t a = 0; a < ids_.size();) {
    size_t b = a + 1;
    while (b < ids_.size() && ids_[b].first == ids_[a].first) b++;
    if (b - a > 1) {
      uint32_t keep = ids_[a].second;
      for (size_t k = a; k < b; k++) {
        const SpanRec& x = r[ids_[k].second];
        if (x.start_ns + x.dur_ns > r[keep].start_ns + r[keep].dur_ns) keep = ids_[k].second;
      }
      for (size_t k = a; k < b; k++) {
        if (ids_[k].second != keep) skip_[ids_[k].second] = 1;
        ids_[k].second = keep;
      }
    }
    a = b;
  }
  parent_.assign(n, -1);
  for (size_t k = 0; k < n; k++) {
    if (skip_[k] || r[k].parent_id == 0) continue;
    auto it = std::lower_bound(ids_.begin(), ids_.end(), std::make_pair(r[k].parent_id, 0u));
    if (it != ids_.end() && it->first == r[k].parent_id && it->second != k) {
      parent_[k] = static_cast<int32_t>(it->second);
    }
  }

  // Children in start order: the union of their intervals, clipped to the parent.
  has_child_.assign(n, 0);
  child_fault_.assign(n, 0);
  covered_.assign(n, 0);
  cover_end_.resize(n);
  for (size_t k = 0; k < n; k++) cover_end_[k] = r[k].start_ns;
  for (size_t k = 0; k < n; k++) {
    const int32_t p = parent_[k];
    if (skip_[k] || p < 0) continue;
    has_child_[p] = 1;
    if (r[k].flags & kFault) child_fault_[p] = 1;
    const int64_t pe = r[p].start_ns + r[p].dur_ns;
    const int64_t s = std::max(r[k].start_ns, cover_end_[p]);
    const int64_t e = std::min(r[k].start_ns + r[k].dur_ns, pe);
    if (e > s) {
      covered_[p] += e - s;
      cover_end_[p] = e;
    }
  }
  comp_.resize(n);
  for (size_t k = 0; k < n; k++) {
    const SpanRec& x = r[k];
    const bool to_peer = (x.flags & kExit) && !has_child_[k] && x.peer != kNone;
    comp_[k] = to_peer ? x.peer : x.service;
    used_[comp_[k]] = 1;
  }

  // Units (requests): an entry span, a call to a peer, or a span whose parent is elsewhere;
  // other spans belong to their parent's unit.
  unit_.assign(n, -1);
  auto unit_root = [&](size_t k) {
    const int32_t p = parent_[k];
    return (r[k].flags & kEntry) || comp_[k] != r[k].service || p < 0 ||
           comp_[static_cast<size_t>(p)] != comp_[k];
  };
  for (size_t k = 0; k < n; k++) {
    if (skip_[k] || unit_[k] >= 0) continue;
    path_.clear();
    int32_t cur = static_cast<int32_t>(k);
    while (unit_[cur] < 0) {
      if (unit_root(static_cast<size_t>(cur)) || path_.size() > n) {
        unit_[cur] = cur;
        break;
      }
      path_.push_back(cur);
      cur = parent_[cur];
    }
    for (int32_t q : path_) unit_[q] = unit_[cur];
  }

  unit_self_.assign(n, 0);
  origin_comps_.clear();
  for (size_t k = 0; k < n; k++) {
    if (skip_[k]) continue;
    const SpanRec& x = r[k];
    const double self_ms = static_cast<double>(std::max<int64_t>(0, x.dur_ns - covered_[k])) / 1e6;
    unit_self_[unit_[k]] += self_ms;
    CompAcc& a = acc_[comp_[k]];
    a.self_total[period] += self_ms;
    if ((x.flags & kFault) && !child_fault_[k]) {
      a.origins[period]++;
      origin_comps_.push_back(comp_[k]);
      evs_.push_back(Ev{static_cast<uint32_t>(begin + k), bucket, comp_[k],
                        static_cast<float>(self_ms), Ev::kOrigin, true});
    }
    if ((x.flags & kEntry) && comp_[k] == x.service) {
      const double ms = static_cast<double>(x.dur_ns) / 1e6;
      a.entry[period].add(ms);
      const bool fault = (x.flags & kFault) != 0;
      a.entry_faults[period] += fault ? 1 : 0;
      evs_.push_back(Ev{static_cast<uint32_t>(begin + k), bucket, comp_[k], static_cast<float>(ms),
                        Ev::kEntry, fault});
    }
    // Edges: a parent in another service, or a call to a peer.
    const int32_t p = parent_[k];
    if (p >= 0 && r[p].service != x.service) {
      edges_.insert(static_cast<uint64_t>(r[p].service) << 32 | x.service);
    }
    if (comp_[k] != x.service) edges_.insert(static_cast<uint64_t>(x.service) << 32 | comp_[k]);
  }
  for (size_t k = 0; k < n; k++) {
    if (skip_[k] || unit_[k] != static_cast<int32_t>(k)) continue;
    acc_[comp_[k]].self[period].add(unit_self_[k]);
    evs_.push_back(Ev{static_cast<uint32_t>(begin + k), bucket, comp_[k],
                      static_cast<float>(unit_self_[k]), Ev::kRequest, false});
  }
  if (!origin_comps_.empty()) {
    failing_[period]++;
    std::sort(origin_comps_.begin(), origin_comps_.end());
    origin_comps_.erase(std::unique(origin_comps_.begin(), origin_comps_.end()),
                        origin_comps_.end());
    for (uint32_t c : origin_comps_) acc_[c].origin_traces[period]++;
  }
}

// ---- findings ---------------------------------------------------------------------------------

struct Analyzer::Slot {
  uint32_t comp = 0;
  Series self, origin, entry, entry_fault;
  std::vector<double> samples[2];                                   // self ms per request
  std::vector<const Ev*> requests_w;                                // window requests
  std::vector<const Ev*> origins_w;                                 // window origins
  std::unordered_map<uint32_t, std::pair<double, double>> op_self;  // op -> self ms B, W
  std::unordered_map<uint32_t, uint64_t> op_origins;                // op -> window origins
};

void Analyzer::fill_slots(std::vector<Slot>& slots, const std::vector<int32_t>& slot_of) const {
  auto init = [&](Series& s) {
    s.num.assign(buckets_, 0);
    s.den.assign(buckets_, 0);
    s.hits.assign(buckets_, 0);
  };
  for (Slot& s : slots) {
    init(s.self);
    init(s.origin);
    init(s.entry);
    init(s.entry_fault);
  }
  for (const Ev& ev : evs_) {
    const int32_t si = slot_of[ev.comp];
    if (si < 0) continue;
    Slot& s = slots[static_cast<size_t>(si)];
    const bool window = ev.bucket >= first_window_;
    const uint32_t op = recs_[ev.rec].op;
    switch (ev.type) {
      case Ev::kRequest:
        s.self.num[ev.bucket] += ev.value;
        s.self.den[ev.bucket] += 1;
        s.origin.den[ev.bucket] += 1;
        s.samples[window ? 1 : 0].push_back(ev.value);
        if (window) s.requests_w.push_back(&ev);
        (window ? s.op_self[op].second : s.op_self[op].first) += ev.value;
        break;
      case Ev::kOrigin:
        s.origin.num[ev.bucket] += 1;
        s.origin.hits[ev.bucket] += 1;
        if (window) {
          s.origins_w.push_back(&ev);
          s.op_origins[op]++;
        }
        break;
      case Ev::kEntry:
        s.entry.num[ev.bucket] += ev.value;
        s.entry.den[ev.bucket] += 1;
        s.entry_fault.num[ev.bucket] += ev.fault ? 1 : 0;
        s.entry_fault.hits[ev.bucket] += ev.fault ? 1 : 0;
        s.entry_fault.den[ev.bucket] += 1;
        break;
    }
  }
}

std::string Analyzer::metric_json(const Slot& s, bool latency, double base, double win,
                                  double ratio) const {
  const Series& series = latency ? s.self : s.origin;
  json::Writer j;
  j.begin_object();
  j.kv("name", latency ? "span.self_time" : "span.origin_fault_rate");
  j.key("labels").begin_object();
  j.kv("component", names_.name(s.comp));
  j.kv("component_type", type_of(s.comp));
  j.end_object();
  j.kv("unit", latency ? "ms" : "1");
  j.kv("baseline", base).kv("window", win).kv("ratio", ratio);
  j.key("points").begin_array();
  const size_t group = (buckets_ + kMaxPoints - 1) / kMaxPoints;
  for (size_t b = 0; b < buckets_; b += group) {
    double num = 0, den = 0;
    for (size_t k = b; k < std::min(buckets_, b + group); k++) {
      num += series.num[k];
      den += series.den[k];
    }
    if (den <= 0) continue;
    j.begin_array().value(bucket_start(b)).value(num / den).end_array();
  }
  j.end_array();
  j.end_object();
  return j.take();
}

Evidence Analyzer::trace_evidence(const Ev& ev, bool origin) const {
  const SpanRec& x = recs_[ev.rec];
  const std::string trace_id = hex_id(x.trace_hi, x.trace_lo, true);
  const double dur_ms = static_cast<double>(x.dur_ns) / 1e6;
  const std::string status = (x.flags & kFault) ? "fault" : (x.flags & kError) ? "error" : "ok";
  Evidence e;
  e.type = "trace";
  e.link = "/api/v1/traces/" + trace_id;
  if (origin) {
    e.title = fmt::format("trace {}: the error originates in {}", trace_id, where(ev.comp, x.op));
  } else {
    e.title = fmt::format("trace {}: {} self time {:.1f} ms of {:.1f} ms", trace_id,
                          where(ev.comp, x.op), ev.value, dur_ms);
  }
  json::Writer j;
  j.begin_object();
  j.kv("trace_id", trace_id);
  j.kv("span_id", hex_id(0, x.span_id, false));
  j.kv("service", names_.name(x.service));
  j.kv("operation", ops_.name(x.op));
  j.kv("duration_ms", dur_ms);
  j.kv("self_ms", static_cast<double>(ev.value));
  j.kv("status", status);
  j.kv("error_origin", origin);
  j.end_object();
  e.data_json = j.take();
  return e;
}

namespace {

struct Measure {
  uint32_t comp = 0;
  bool latency = true;
  bool symptom = false;
  double strength = 0, share = 0, ratio = 0, base = 0, win = 0;
  uint64_t requests = 0;
};

// One-sample z of a window rate against a baseline rate (smoothed towards a 1% prior worth 20
// requests, so a component new in the window is not judged against 0).
struct RateTest {
  double pb = 0, pw = 0, z = 0;
  bool deviates = false;
};
RateTest rate_test(uint64_t ob, uint64_t nb, uint64_t ow, uint64_t nw) {
  RateTest t;
  if (nw == 0) return t;
  t.pb = (static_cast<double>(ob) + 0.2) / (static_cast<double>(nb) + 20);
  t.pw = std::min(1.0, static_cast<double>(ow) / static_cast<double>(nw));
  t.z = (t.pw - t.pb) / std::sqrt(t.pb * (1 - t.pb) / static_cast<double>(nw));
  t.deviates = ow >= 3 && t.pw >= 1.5 * t.pb && t.pw - t.pb >= 0.005 && t.z >= 3;
  return t;
}

// Welch's z of the rise of a mean.
double welch_z(const Moments& b, const Moments& w) {
  const double se = std::sqrt(b.var() / static_cast<double>(std::max<uint64_t>(1, b.n)) +
                              w.var() / static_cast<double>(std::max<uint64_t>(1, w.n)));
  return (w.mean() - b.mean()) / std::max(se, 1e-9);
}

}  // namespace

void Analyzer::build_findings(TraceAnalysis* out) {
  const size_t nc = names_.size();
  std::vector<Measure> ms;
  // Latency: the share of the window's excess self time per trace.
  std::vector<double> excess(nc, 0);
  double excess_total = 0;
  if (traces_[0] > 0 && traces_[1] > 0) {
    for (size_t c = 0; c < nc; c++) {
      const double b = acc_[c].self_total[0] / static_cast<double>(traces_[0]);
      const double w = acc_[c].self_total[1] / static_cast<double>(traces_[1]);
      excess[c] = std::max(0.0, w - b);
      excess_total += excess[c];
    }
  }
  for (uint32_t c = 0; c < nc; c++) {
    const CompAcc& a = acc_[c];
    if (!used_[c]) continue;
    if (a.self[0].n >= 5 && a.self[1].n >= 5 && excess_total > 0) {
      Measure m{c, true, false};
      m.base = a.self[0].mean();
      m.win = a.self[1].mean();
      m.ratio = m.win / std::max(m.base, 1e-3);
      m.share = excess[c] / excess_total;
      const double rise = std::clamp(std::log(m.ratio) / std::log(4.0), 0.0, 1.0);
      const double floor = std::clamp((m.win - m.base) / 2.0, 0.0, 1.0);
      m.strength = m.share * rise * floor;
      m.requests = a.self[1].n;
      if (welch_z(a.self[0], a.self[1]) >= 3 && m.ratio >= 1.2 && m.strength >= 0.01) {
        ms.push_back(m);
      }
    }
    const RateTest t = rate_test(a.origins[0], a.self[0].n, a.origins[1], a.self[1].n);
    if (t.deviates && failing_[1] > 0) {
      Measure m{c, false, false};
      m.base = t.pb;
      m.win = t.pw;
      m.ratio = t.pw / t.pb;
      m.share = static_cast<double>(a.origin_traces[1]) / static_cast<double>(failing_[1]);
      m.strength = m.share * std::clamp((t.z - 3) / 6, 0.0, 1.0);
      m.requests = a.self[1].n;
      if (m.strength >= 0.01) ms.push_back(m);
    }
    // Symptoms: what the service's callers see at its entry spans.
    if (is_service_[c] && a.entry[0].n >= 5 && a.entry[1].n >= 5) {
      Measure lat{c, true, true};
      lat.base = a.entry[0].mean();
      lat.win = a.entry[1].mean();
      lat.ratio = lat.win / std::max(lat.base, 1e-3);
      if (lat.ratio >= 1.2 && welch_z(a.entry[0], a.entry[1]) >= 3) ms.push_back(lat);
      const RateTest e =
          rate_test(a.entry_faults[0], a.entry[0].n, a.entry_faults[1], a.entry[1].n);
      if (e.deviates) {
        Measure err{c, false, true};
        err.base = e.pb;
        err.win = e.pw;
        err.ratio = e.pw / e.pb;
        ms.push_back(err);
      }
    }
  }
  // The strongest findings first, then the symptoms; series only for the first kMaxCandidates.
  std::stable_sort(ms.begin(), ms.end(), [](const Measure& a, const Measure& b) {
    if (a.symptom != b.symptom) return !a.symptom;
    return a.symptom ? a.ratio > b.ratio : a.strength > b.strength;
  });
  std::vector<int32_t> slot_of(nc, -1);
  std::vector<Slot> slots;
  size_t kept = 0;
  for (const Measure& m : ms) {
    if (slot_of[m.comp] < 0) {
      if (slots.size() >= kMaxCandidates) break;
      slot_of[m.comp] = static_cast<int32_t>(slots.size());
      slots.emplace_back().comp = m.comp;
    }
    kept++;
  }
  ms.resize(kept);
  fill_slots(slots, slot_of);

  for (const Measure& m : ms) {
    Slot& s = slots[static_cast<size_t>(slot_of[m.comp])];
    const std::string& name = names_.name(m.comp);
    const bool peer = is_peer(m.comp);
    const std::string_view type = type_of(m.comp);
    // Onset against the robust baseline of the buckets.
    const Series& series =
        m.symptom ? (m.latency ? s.entry : s.entry_fault) : (m.latency ? s.self : s.origin);
    std::vector<double> base_vals;
    for (size_t b = 0; b < first_window_; b++) {
      if (series.has(b)) base_vals.push_back(series.value(b));
    }
    const auto [med, sig] = robust(base_vals);
    const double thr = m.latency ? std::max(med + 4 * sig, 1.3 * med)
                                 : std::max({med + 4 * sig, 2 * m.base, m.base + 0.01});
    const int64_t ob = onset_bucket(series, first_window_, [&](size_t b) {
      return series.value(b) > thr && (m.latency || series.hits[b] >= 2);
    });
    const int64_t onset = ob >= 0 ? bucket_start(static_cast<size_t>(ob)) : w_.start_ms;

    ComponentFinding f;
    f.component = name;
    f.component_type = std::string(type);
    f.onset_ms = onset;
    f.facts["measure"] = m.latency ? 0 : 1;
    f.facts["ratio"] = m.ratio;
    f.facts["baseline"] = m.base;
    f.facts["window"] = m.win;
    f.facts["onset"] = static_cast<double>(onset);
    if (m.symptom) {
      f.kind = "symptom";
      f.clause = fmt::format("{}'s {}", name, m.latency ? "latency" : "errors");
      out->symptoms.push_back(std::move(f));
      continue;
    }
    f.strength = std::clamp(m.strength, 0.0, 1.0);
    f.kind = peer ? "dependency" : m.latency ? "latency" : "errors";
    f.facts["share"] = m.share;
    f.facts["delta"] = m.win - m.base;
    f.facts["requests"] = static_cast<double>(m.requests);
    const std::string at = format_utc_clock(onset);
    if (m.latency) {
      // The operation with the largest rise of self time per trace.
      uint32_t best = kNone;
      double best_rise = 0;
      for (const auto& [op, bw] : s.op_self) {
        const double rise = bw.second / static_cast<double>(traces_[1]) -
                            bw.first / static_cast<double>(traces_[0]);
        if (best == kNone || rise > best_rise) best = op, best_rise = rise;
      }
      if (best != kNone) f.operation = ops_.name(best);
      f.facts["p50_baseline"] = quantile(s.samples[0], 0.5);
      f.facts["p50_window"] = quantile(s.samples[1], 0.5);
      f.facts["p90_baseline"] = quantile(s.samples[0], 0.9);
      f.facts["p90_window"] = quantile(s.samples[1], 0.9);
      f.clause =
          peer ? fmt::format("{} ({}) calls slowed {} at {}", name, type, format_ratio(m.ratio), at)
               : fmt::format("{} latency rose {} at {}", name, format_ratio(m.ratio), at);
      Evidence e;
      e.type = "metric";
      e.title =
          fmt::format("{} self time per request {:.1f} ms -> {:.1f} ms (p50 {:.1f} -> {:.1f})",
                      name, m.base, m.win, f.facts["p50_baseline"], f.facts["p50_window"]);
      e.data_json = metric_json(s, true, m.base, m.win, m.ratio);
      f.evidence.push_back(std::move(e));
      std::vector<const Ev*>& rq = s.requests_w;
      const size_t k = std::min(o_.max_example_traces, rq.size());
      std::partial_sort(rq.begin(), rq.begin() + static_cast<std::ptrdiff_t>(k), rq.end(),
                        [](const Ev* a, const Ev* b) { return a->value > b->value; });
      for (size_t i = 0; i < k; i++) f.evidence.push_back(trace_evidence(*rq[i], false));
    } else {
      uint32_t best = kNone;
      uint64_t best_n = 0;
      for (const auto& [op, n] : s.op_origins) {
        if (n > best_n || (n == best_n && op < best)) best = op, best_n = n;
      }
      if (best != kNone) f.operation = ops_.name(best);
      f.clause = peer ? fmt::format("calls to {} ({}) failed {} (baseline {}) from {}", name, type,
                                    format_percent(m.win), format_percent(m.base), at)
                      : fmt::format("{} errors rose to {} of requests (baseline {}) at {}", name,
                                    format_percent(m.win), format_percent(m.base), at);
      Evidence e;
      e.type = "metric";
      e.title = fmt::format("{} origin-fault rate {} -> {}", name, format_percent(m.base),
                            format_percent(m.win));
      e.data_json = metric_json(s, false, m.base, m.win, m.ratio);
      f.evidence.push_back(std::move(e));
      // Examples: the first origins at or after the onset.
      size_t added = 0;
      std::vector<const Ev*>& og = s.origins_w;
      std::sort(og.begin(), og.end(), [&](const Ev* a, const Ev* b) {
        return recs_[a->rec].start_ns < recs_[b->rec].start_ns;
      });
      for (const Ev* ev : og) {
        if (added >= o_.max_example_traces) break;
        if (recs_[ev->rec].start_ns < onset * kNsPerMs) continue;
        f.evidence.push_back(trace_evidence(*ev, true));
        added++;
      }
    }
    out->findings.push_back(std::move(f));
  }
  std::stable_sort(
      out->findings.begin(), out->findings.end(),
      [](const ComponentFinding& a, const ComponentFinding& b) { return a.strength > b.strength; });
}

TraceAnalysis Analyzer::finish() {
  TraceAnalysis out;
  build_findings(&out);
  for (uint64_t key : edges_) {
    out.edges.insert(CallEdge{names_.name(static_cast<uint32_t>(key >> 32)),
                              names_.name(static_cast<uint32_t>(key & 0xffffffffu))});
  }
  for (uint32_t c = 0; c < names_.size(); c++) {
    if (used_[c]) out.components.push_back(names_.name(c));
  }
  std::sort(out.components.begin(), out.components.end());
  return out;
}

}  // namespace

Result<TraceAnalysis> analyze_traces(storage::TraceStore& store, const AnalysisWindow& w,
                                     const TraceAnalysisOptions& o, InvestigationStats* stats) {
  if (w.end_ms <= w.start_ms) {
    return Status::invalid_argument(fmt::format(
        "trace analysis: end ({} ms) must be after start ({} ms)", w.end_ms, w.start_ms));
  }
  if (w.baseline_start_ms >= w.start_ms) {
    return Status::invalid_argument(
        fmt::format("trace analysis: baseline start ({} ms) must be before start ({} ms)",
                    w.baseline_start_ms, w.start_ms));
  }
  Analyzer a(w, o);
  RETURN_IF_ERROR(a.scan(store, stats));
  a.process();
  TraceAnalysis out = a.finish();
  if (stats != nullptr) stats->traces += a.trace_count();
  return out;
}

}  // namespace opsight::aiops
