#include "storage/tsdb/wal_record.h"

#include "common/coding.h"

namespace opsight::storage::tsdb {

namespace {

constexpr uint8_t kKindValue = 0;
constexpr uint8_t kKindStats = 1;

uint64_t bits_of(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}
double double_of(uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}

class Reader {
 public:
  explicit Reader(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}
  bool varint(uint64_t* v) { return ok(get_varint64(p_, end_, v)); }
  bool str(std::string* s) {
    std::string_view v;
    if (!ok(get_length_prefixed(p_, end_, &v))) return false;
    s->assign(v);
    return true;
  }
  bool fixed64(uint64_t* v) {
    if (end_ - p_ < 8) return false;
    *v = decode_fixed64(p_);
    p_ += 8;
    return true;
  }
  bool byte(uint8_t* b) {
    if (p_ == end_) return false;
    *b = static_cast<uint8_t>(*p_++);
    return true;
  }
  // A count of items of at least min_bytes each must fit in what is left.
  bool count(uint64_t* n, uint64_t min_bytes) {
    return varint(n) && *n <= static_cast<uint64_t>(end_ - p_) / min_bytes;
  }
  bool at_end() const { return p_ == end_; }

 private:
  bool ok(const char* p) {
    if (p == nullptr) return false;
    p_ = p;
    return true;
  }
  const char* p_;
  const char* end_;
};

Status bad(const char* what) {
  return Status::corruption(std::string("wal record: ") + what);
}

}  // namespace

void WalRecordBuilder::add_series(uint64_t ref, const Labels& labels) {
  n_series_++;
  put_varint64(series_, ref);
  put_varint64(series_, labels.size());
  for (const auto& l : labels) {
    put_length_prefixed(series_, l.name);
    put_length_prefixed(series_, l.value);
  }
}

void WalRecordBuilder::add_samples(uint64_t ref, std::span<const Sample> samples) {
  n_samples_++;
  put_varint64(samples_, ref);
  put_varint64(samples_, samples.size());
  int64_t prev = 0;
  for (const auto& s : samples) {
    samples_.push_back(static_cast<char>(s.is_stats ? kKindStats : kKindValue));
    put_varsint64(samples_,
                  static_cast<int64_t>(static_cast<uint64_t>(s.t) - static_cast<uint64_t>(prev)));
    prev = s.t;
    if (s.is_stats) {
      put_fixed64(samples_, bits_of(s.stats.count));
      put_fixed64(samples_, bits_of(s.stats.sum));
      put_fixed64(samples_, bits_of(s.stats.min));
      put_fixed64(samples_, bits_of(s.stats.max));
    } else {
      put_fixed64(samples_, bits_of(s.v));
    }
  }
}

void WalRecordBuilder::add_metadata(const Tenant& tenant, std::string_view metric,
                                    const MetricMetadata& meta) {
  n_metadata_++;
  put_length_prefixed(metadata_, tenant.account);
  put_length_prefixed(metadata_, tenant.region);
  put_length_prefixed(metadata_, metric);
  put_length_prefixed(metadata_, meta.type);
  put_length_prefixed(metadata_, meta.help);
  put_length_prefixed(metadata_, meta.unit);
}

namespace {
void put_labels(std::string& out, const Labels& labels) {
  put_varint64(out, labels.size());
  for (const auto& l : labels) {
    put_length_prefixed(out, l.name);
    put_length_prefixed(out, l.value);
  }
}
}  // namespace

void WalRecordBuilder::add_exemplar(const Tenant& tenant, const Labels& series, const Exemplar& e) {
  n_exemplars_++;
  put_length_prefixed(exemplars_, tenant.account);
  put_length_prefixed(exemplars_, tenant.region);
  put_labels(exemplars_, series);
  put_labels(exemplars_, e.labels);
  put_varsint64(exemplars_, e.t);
  put_fixed64(exemplars_, bits_of(e.value));
}

std::string WalRecordBuilder::finish() const {
  std::string out;
  out.reserve(series_.size() + samples_.size() + metadata_.size() + exemplars_.size() + 32);
  out.push_back(static_cast<char>(kWalRecordCommitV1));
  put_varint64(out, n_series_);
  out += series_;
  put_varint64(out, n_samples_);
  out += samples_;
  put_varint64(out, n_metadata_);
  out += metadata_;
  if (n_exemplars_ > 0) {  // records without exemplars end after the metadata
    put_varint64(out, n_exemplars_);
    out += exemplars_;
  }
  return out;
}

Status decode_wal_record(std::string_view payload, WalRecord* out) {
  Reader r(payload);
  uint8_t type;
  if (!r.byte(&type)) return bad("empty payload");
  if (type != kWalRecordCommitV1) {
    return Status::corruption("wal record: unknown record type " + std::to_string(type));
  }
  uint64_t n;
  if (!r.count(&n, 2)) return bad("bad series count");
  out->series.resize(n);
  for (auto& s : out->series) {
    uint64_t nl;
    if (!r.varint(&s.ref) || !r.count(&nl, 2)) return bad("truncated series entry");
    std::vector<Label> labels(nl);
    for (auto& l : labels) {
      if (!r.str(&l.name) || !r.str(&l.value)) return bad("truncated label");
    }
    for (size_t i = 0; i < labels.size(); i++) {
      if (labels[i].name.empty() || labels[i].value.empty() ||
          (i > 0 && !(labels[i - 1].name < labels[i].name))) {
        return bad("series labels not sorted, empty or duplicated");
      }
    }
    s.labels = Labels::from_sorted(std::move(labels));
  }
  if (!r.count(&n, 2)) return bad("bad sample group count");
  out->samples.resize(n);
  for (auto& g : out->samples) {
    uint64_t ns;
    if (!r.varint(&g.ref) || !r.count(&ns, 10)) return bad("truncated sample group");
    g.samples.resize(ns);
    uint64_t prev = 0;
    for (auto& s : g.samples) {
      uint8_t kind;
      uint64_t dt;
      if (!r.byte(&kind) || !r.varint(&dt)) return bad("truncated sample");
      prev += static_cast<uint64_t>(zigzag_decode(dt));
      s.t = static_cast<int64_t>(prev);
      uint64_t b[4];
      if (kind == kKindValue) {
        if (!r.fixed64(&b[0])) return bad("truncated sample value");
        s.v = double_of(b[0]);
      } else if (kind == kKindStats) {
        for (auto& x : b) {
          if (!r.fixed64(&x)) return bad("truncated statistic set");
        }
        s.is_stats = true;
        s.stats = StatSet{double_of(b[0]), double_of(b[1]), double_of(b[2]), double_of(b[3])};
      } else {
        return bad("unknown sample kind");
      }
    }
  }
  if (!r.count(&n, 6)) return bad("bad metadata count");
  out->metadata.resize(n);
  for (auto& m : out->metadata) {
    if (!r.str(&m.tenant.account) || !r.str(&m.tenant.region) || !r.str(&m.metric) ||
        !r.str(&m.meta.type) || !r.str(&m.meta.help) || !r.str(&m.meta.unit)) {
      return bad("truncated metadata entry");
    }
  }
  if (r.at_end()) return OkStatus();
  if (!r.count(&n, 13)) return bad("bad exemplar count");
  out->exemplars.resize(n);
  auto read_labels = [&r](Labels* out_labels, bool allow_empty_value) {
    uint64_t nl;
    if (!r.count(&nl, 2)) return false;
    std::vector<Label> labels(nl);
    for (auto& l : labels) {
      if (!r.str(&l.name) || !r.str(&l.value)) return false;
      if (l.name.empty() || (l.value.empty() && !allow_empty_value)) return false;
    }
    for (size_t i = 1; i < labels.size(); i++) {
      if (!(labels[i - 1].name < labels[i].name)) return false;
    }
    *out_labels = Labels::from_sorted(std::move(labels));
    return true;
  };
  for (auto& x : out->exemplars) {
    uint64_t dt, bits;
    if (!r.str(&x.tenant.account) || !r.str(&x.tenant.region) || !read_labels(&x.series, false) ||
        !read_labels(&x.exemplar.labels, true) || !r.varint(&dt) || !r.fixed64(&bits)) {
      return bad("truncated or malformed exemplar entry");
    }
    x.exemplar.t = zigzag_decode(dt);
    x.exemplar.value = double_of(bits);
  }
  if (!r.at_end()) return bad("trailing bytes");
  return OkStatus();
}

}  // namespace opsight::storage::tsdb
