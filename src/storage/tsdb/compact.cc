#include "storage/tsdb/compact.h"

#include <algorithm>
#include <map>

#include "storage/tsdb/head.h"

namespace opsight::storage::tsdb {

int64_t level_range(const CompactionOptions& o, int level) {
  int64_t r = o.block_range_ms;
  for (int i = 0; i < level; i++) r *= kRangeFactor;
  return r;
}

int max_level(const CompactionOptions& o) {
  int level = 0;
  while (level + 1 < kMaxLevels && level_range(o, level + 1) <= o.retention_ms / 10) level++;
  return level;
}

namespace {

struct Span {
  int64_t start, end;  // [start, end)
};

Span span_of(const BlockMeta& b, const CompactionOptions& o) {
  int64_t r = level_range(o, std::min(b.level, max_level(o)));
  return Span{floor_div(b.min_time, r) * r, floor_div(b.max_time, r) * r + r};
}

}  // namespace

CompactionPlan plan_compaction(const std::vector<BlockMeta>& blocks, const CompactionOptions& o,
                               int64_t now_ms) {
  CompactionPlan plan;
  // 1. Overlapping spans.
  std::vector<std::pair<Span, const BlockMeta*>> spans;
  for (const auto& b : blocks) spans.push_back({span_of(b, o), &b});
  std::sort(spans.begin(), spans.end(), [](const auto& a, const auto& b) {
    return a.first.start != b.first.start ? a.first.start < b.first.start
                                          : a.second->id < b.second->id;
  });
  for (size_t i = 0; i < spans.size();) {
    size_t j = i + 1;
    int64_t end = spans[i].first.end;
    int level = spans[i].second->level;
    while (j < spans.size() && spans[j].first.start < end) {
      end = std::max(end, spans[j].first.end);
      level = std::max(level, spans[j].second->level);
      j++;
    }
    if (j - i >= 2) {
      for (size_t k = i; k < j; k++) plan.sources.push_back(spans[k].second->id);
      plan.level = std::min(level, max_level(o));
      return plan;
    }
    i = j;
  }
  // 2. Level up, lowest level first.
  const int top = max_level(o);
  for (int n = 0; n < top; n++) {
    const int64_t r = level_range(o, n + 1);
    std::map<int64_t, std::vector<uint64_t>> windows;
    for (const auto& b : blocks) {
      if (b.level > n) continue;
      int64_t w = floor_div(b.min_time, r);
      if (floor_div(b.max_time, r) != w) continue;            // straddles windows: leave it
      if ((w + 1) * r + o.block_range_ms > now_ms) continue;  // window not complete yet
      windows[w].push_back(b.id);
    }
    for (auto& [w, ids] : windows) {
      if (ids.size() >= 2) {
        plan.sources = std::move(ids);
        plan.level = n + 1;
        return plan;
      }
    }
  }
  return plan;
}

std::vector<uint64_t> plan_retention(const std::vector<BlockMeta>& blocks,
                                     const CompactionOptions& o, int64_t now_ms) {
  std::vector<uint64_t> out;
  for (const auto& b : blocks) {
    if (b.max_time < now_ms - o.retention_ms) out.push_back(b.id);
  }
  return out;
}

}  // namespace opsight::storage::tsdb
