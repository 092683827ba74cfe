#pragma once
// Log pattern mining: groups log messages into templates ("Received block <*> of size <*> from
// <*>") with counts and sample lines. Used by the Logs Insights `pattern` command, the pattern API
// (/api/v1/logs/patterns), `opsight patterns FILE`, and log-anomaly signals.
//
// Pattern ids are stable: the id is xxHash64 (common/hash.h) of the template text, so the same
// template mined from another batch or another day has the same id.
//
// The algorithm (after Brain, Yu et al., IEEE TSC 2023) is described in pattern_miner.cc; the
// tokenizer and the header rules in line_tokenizer.h. In short: a line's header (timestamp,
// level, host, thread, logger tag) is split off and rendered separately, tokens containing a
// digit are variables, and lines are grouped by the words of their message.
//
// Thread safety: mine() is a pure function of its arguments; concurrent calls are safe.
// Input: any bytes (no UTF-8 requirement); the views must stay valid during the call only.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace opsight::query::patterns {

struct Pattern {
  uint64_t id = 0;                   // stable: hash of `template_text`
  std::string template_text;         // tokens with variables replaced by "<*>"
  uint64_t count = 0;                // lines in this pattern
  std::vector<std::string> samples;  // up to MinerOptions::max_samples lines, first seen first
};

struct MinerOptions {
  size_t max_samples = 3;
  // Detect and split off line headers (see line_tokenizer.h). Messages without a header are
  // unaffected; turn off for input that is known to be bare messages.
  bool split_header = true;
};

struct MiningResult {
  std::vector<Pattern> patterns;       // by count, descending (ties: by template text)
  std::vector<uint32_t> line_pattern;  // per input line: index into `patterns`
};
// Invariants: every pattern has count >= 1 and min(count, max_samples) samples; counts sum to
// lines.size(); template texts (and so ids, barring a 64-bit hash collision) are distinct.

// Mines the templates of `lines` in one batch (an offline algorithm may look at all lines before
// deciding). Deterministic: the same lines in the same order give the same result.
MiningResult mine(std::span<const std::string_view> lines, const MinerOptions& options = {});

}  // namespace opsight::query::patterns
