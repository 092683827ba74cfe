#pragma once
// Log pattern mining: groups log messages into templates ("Received block <*> of size <*> from
// <*>") with counts and sample lines. Used by the Logs Insights `pattern` command, the pattern API
// (/api/v1/logs/patterns), `opsight patterns FILE`, and log-anomaly signals.
//
// Pattern ids are stable: the id is a hash of the template text, so the same template mined from
// another batch or another day has the same id.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace opsight::query::patterns {

struct Pattern {
  uint64_t id = 0;               // stable: hash of `template_text`
  std::string template_text;     // tokens with variables replaced by "<*>"
  uint64_t count = 0;            // lines in this pattern
  std::vector<std::string> samples;  // up to MinerOptions::max_samples lines, first seen first
};

struct MinerOptions {
  size_t max_samples = 3;
};

struct MiningResult {
  std::vector<Pattern> patterns;     // by count, descending (ties: by template text)
  std::vector<uint32_t> line_pattern;  // per input line: index into `patterns`
};

// Mines the templates of `lines` in one batch (an offline algorithm may look at all lines before
// deciding). Deterministic: the same lines in the same order give the same result.
MiningResult mine(std::span<const std::string_view> lines, const MinerOptions& options = {});

}  // namespace opsight::query::patterns
