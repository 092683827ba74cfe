#pragma once
// Compaction planning (pure functions over block metadata; the Db executes the plans).
//
// Ranges: level 0 blocks cover one partition of block_range_ms (as written by a head flush);
// level n covers kRangeFactor^n partitions (2h -> 12h -> 3d by default), limited to ranges of at
// most 10% of the retention. A block's "span" is its [min_time, max_time] widened to the
// boundaries of its level's range.
//
// One plan is picked per call, in this order:
//  1. Overlap: blocks whose spans overlap (transitively) are merged into one block of the
//     highest level among them. This folds every block of a partition into one (e.g. the
//     blocks that out-of-order samples created for an old partition), newest data winning.
//  2. Level up: for n = 0, 1, ...: blocks of level <= n inside one window of range n+1 that
//     ended at least one partition before `now` are merged into one block of level n+1, when
//     there are at least two of them.
// Retention: blocks whose max_time is older than now - retention_ms are deleted.
//
// Thread safety: plain functions.

#include <cstdint>
#include <vector>

#include "storage/tsdb/block.h"

namespace opsight::storage::tsdb {

inline constexpr int64_t kRangeFactor = 6;
inline constexpr int kMaxLevels = 3;

struct CompactionOptions {
  int64_t block_range_ms = 2 * 3600 * 1000;
  int64_t retention_ms = 15LL * 24 * 3600 * 1000;
};

// Range of a level (level 0 = block_range_ms).
int64_t level_range(const CompactionOptions& o, int level);
// Highest level whose range is at most 10% of the retention (at least 0).
int max_level(const CompactionOptions& o);

struct CompactionPlan {
  std::vector<uint64_t> sources;  // block ids, at least two
  int level = 0;                  // level of the output
};

// An empty plan (no sources) when nothing is to be done.
CompactionPlan plan_compaction(const std::vector<BlockMeta>& blocks, const CompactionOptions& o,
                               int64_t now_ms);

// Ids of the blocks that retention deletes.
std::vector<uint64_t> plan_retention(const std::vector<BlockMeta>& blocks,
                                     const CompactionOptions& o, int64_t now_ms);

}  // namespace opsight::storage::tsdb
