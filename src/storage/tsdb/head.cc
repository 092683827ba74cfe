#include "storage/tsdb/head.h"

#include <algorithm>
#include <set>

namespace opsight::storage::tsdb {

namespace {

// Rough per-entry costs for memory accounting (node + payload).
constexpr uint64_t kSeriesOverhead = 160;
constexpr uint64_t kOooEntryBytes = 96;

ChunkEncoding encoding_of(const Sample& s) {
  return s.is_stats ? ChunkEncoding::kStats : ChunkEncoding::kXor;
}

}  // namespace

int64_t HeadSeriesData::min_time() const {
  int64_t m = INT64_MAX;
  if (!chunks.empty()) m = chunks.front()->min_time;
  if (!ooo.empty()) m = std::min(m, ooo.front().t);
  return m;
}

namespace {

inline void put(std::vector<Sample>* out, const Sample& s) {
  out->push_back(s);
}
inline void put(std::vector<ValuePoint>* out, const Sample& s) {
  out->push_back({s.t, s.v});
}

// The samples of d within [mint, maxt] into *out (Sample or ValuePoint), OOO entries winning.
template <typename Out>
Status read_head(const HeadSeriesData& d, int64_t mint, int64_t maxt, std::vector<Out>* out) {
  auto lo = std::lower_bound(d.ooo.begin(), d.ooo.end(), mint,
                             [](const Sample& s, int64_t t) { return s.t < t; });
  const bool any_ooo = lo != d.ooo.end() && lo->t <= maxt;
  // Without OOO entries in range the chunks decode straight into *out.
  std::vector<Sample> aside;
  for (const auto& c : d.chunks) {
    if (c->max_time < mint || c->min_time > maxt) continue;
    ChunkIterator it(c->encoding, c->data, c->num_samples);
    while (it.next()) {
      const Sample& s = it.at();
      if (s.t < mint) continue;
      if (s.t > maxt) break;
      if (any_ooo) {
        aside.push_back(s);
      } else {
        put(out, s);
      }
    }
    RETURN_IF_ERROR(it.err());
  }
  if (!any_ooo) return OkStatus();
  size_t i = 0;
  for (auto it = lo; it != d.ooo.end() && it->t <= maxt; ++it) {
    while (i < aside.size() && aside[i].t < it->t) put(out, aside[i++]);
    if (i < aside.size() && aside[i].t == it->t) i++;
    put(out, *it);
  }
  while (i < aside.size()) put(out, aside[i++]);
  return OkStatus();
}

}  // namespace

Status HeadSeriesData::samples(int64_t mint, int64_t maxt, std::vector<Sample>* out) const {
  return read_head(*this, mint, maxt, out);
}

Status HeadSeriesData::values(int64_t mint, int64_t maxt, std::vector<ValuePoint>* out,
                              bool* has_stats) const {
  *has_stats = false;
  for (const auto& c : chunks) {
    if (c->max_time >= mint && c->min_time <= maxt && c->encoding == ChunkEncoding::kStats) {
      *has_stats = true;
    }
  }
  for (const auto& s : ooo) {
    if (s.t >= mint && s.t <= maxt && s.is_stats) *has_stats = true;
  }
  if (*has_stats) return OkStatus();
  return read_head(*this, mint, maxt, out);
}

int64_t Head::partition_of(int64_t t) const {
  return floor_div(t, partition_ms_);
}

void Head::cut(Series& s) {
  if (s.open == nullptr) return;
  auto fc = std::make_shared<FrozenChunk>();
  fc->encoding = s.open->encoding();
  fc->data = std::string(s.open->data());
  fc->num_samples = s.open->num_samples();
  fc->min_time = s.open->min_time();
  fc->max_time = s.open->max_time();
  memory_bytes_ -= s.open->memory_bytes();
  memory_bytes_ += fc->data.capacity() + sizeof(FrozenChunk) + 32;
  s.closed.push_back(std::move(fc));
  s.open.reset();
}

void Head::append(uint32_t ref, const Sample& sample) {
  auto [it, created] = series_.try_emplace(ref);
  if (created) {
    it->second = std::make_unique<Series>();
    memory_bytes_ += kSeriesOverhead;
  }
  Series& s = *it->second;
  min_time_ = std::min(min_time_, sample.t);
  max_time_ = std::max(max_time_, sample.t);
  if (sample.t <= s.last_t) {
    auto [o, inserted] = s.ooo.insert_or_assign(sample.t, sample);
    if (inserted) {
      num_samples_++;
      memory_bytes_ += kOooEntryBytes;
    }
    return;
  }
  if (s.open != nullptr &&
      (s.open->num_samples() >= kMaxChunkSamples || s.open->encoding() != encoding_of(sample) ||
       partition_of(s.open->min_time()) != partition_of(sample.t))) {
    cut(s);
  }
  if (s.open == nullptr) {
    s.open = std::make_unique<HeadChunk>(encoding_of(sample));
    num_chunks_++;
    memory_bytes_ += s.open->memory_bytes();
  }
  uint64_t before = s.open->memory_bytes();
  s.open->append(sample);
  memory_bytes_ += s.open->memory_bytes() - before;
  s.last_t = sample.t;
  num_samples_++;
}

bool Head::snapshot(uint32_t ref, int64_t mint, int64_t maxt, HeadSeriesData* out) const {
  auto it = series_.find(ref);
  if (it == series_.end()) return false;
  const Series& s = *it->second;
  for (const auto& c : s.closed) {
    if (c->max_time >= mint && c->min_time <= maxt) out->chunks.push_back(c);
  }
  if (s.open != nullptr && s.open->num_samples() > 0 && s.open->max_time() >= mint &&
      s.open->min_time() <= maxt) {
    auto fc = std::make_shared<FrozenChunk>();
    fc->encoding = s.open->encoding();
    fc->data = std::string(s.open->data());
    fc->num_samples = s.open->num_samples();
    fc->min_time = s.open->min_time();
    fc->max_time = s.open->max_time();
    out->chunks.push_back(std::move(fc));
  }
  for (auto o = s.ooo.lower_bound(mint); o != s.ooo.end() && o->first <= maxt; ++o) {
    out->ooo.push_back(o->second);
  }
  return !out->empty();
}

std::vector<uint32_t> Head::refs() const {
  std::vector<uint32_t> out;
  out.reserve(series_.size());
  for (const auto& [ref, s] : series_) out.push_back(ref);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int64_t> Head::partitions() const {
  std::set<int64_t> parts;
  for (const auto& [ref, s] : series_) {
    for (const auto& c : s->closed) parts.insert(partition_of(c->min_time));
    if (s->open != nullptr) parts.insert(partition_of(s->open->min_time()));
    for (const auto& [t, smp] : s->ooo) parts.insert(partition_of(t));
  }
  return {parts.begin(), parts.end()};
}

}  // namespace opsight::storage::tsdb
