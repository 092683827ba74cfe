// Fuzz target: log pattern mining never crashes on any bytes, and its result keeps the
// invariants of pattern_miner.h: one pattern per line, counts summing to the line count,
// distinct templates, ids equal to xxHash64 of the template, and the same result twice.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>
#include <vector>

#include "common/hash.h"
#include "query/patterns/pattern_miner.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace opsight::query::patterns;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  MinerOptions options;
  options.split_header = size == 0 || data[0] % 2 == 0;
  MiningResult r = mine(lines, options);
  if (r.line_pattern.size() != lines.size()) std::abort();
  std::vector<uint64_t> counted(r.patterns.size(), 0);
  for (uint32_t p : r.line_pattern) {
    if (p >= r.patterns.size()) std::abort();
    counted[p]++;
  }
  std::set<std::string_view> templates;
  for (size_t k = 0; k < r.patterns.size(); k++) {
    const Pattern& p = r.patterns[k];
    if (p.count == 0 || p.count != counted[k]) std::abort();
    if (p.samples.empty() || p.samples.size() > options.max_samples) std::abort();
    if (p.id != opsight::xxhash64(p.template_text)) std::abort();
    if (!templates.insert(p.template_text).second) std::abort();
    if (k > 0 && r.patterns[k - 1].count < p.count) std::abort();
  }
  MiningResult again = mine(lines, options);
  if (again.line_pattern != r.line_pattern || again.patterns.size() != r.patterns.size()) {
    std::abort();
  }
  return 0;
}
