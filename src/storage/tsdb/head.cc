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

Status HeadSeriesData::samples(int64_t mint, int64_t maxt, std::vector<Sample>* out) const {
  std::vector<Sample> in_order;
  for (const auto& c : chunks) {
    if (c->max_time < mint || c->min_time > maxt) continue;
    ChunkIterator it(c->encoding, c->data, c->num_samples);
    while (it.next()) {
      const Sample& s = it.at();
      if (s.t < mint) continue;
      if (s.t > maxt) break;
      in_order.push_back(s);
    }
    RETURN_IF_ERROR(it.err());
  }
  // Merge with the OOO entries (which win on equal t).
  auto lo = std::lower_bound(ooo.begin(), ooo.end(), mint,
                             [](const Sample& s, int64_t t) { return s.t < t; });
  size_t i = 0;
  for (auto it = lo; it != ooo.end() && it->t <= maxt; ++it) {
    while (i < in_order.size() && in_order[i].t < it->t) out->push_back(in_order[i++]);
    if (i < in_order.size() && in_order[i].t == it->t) i++;
    out->push_back(*it);
  }
  while (i < in_order.size()) out->push_back(in_order[i++]);
  return OkStatus();
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
