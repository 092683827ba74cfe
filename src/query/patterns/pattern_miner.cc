// Log template mining after Brain (Yu et al., "Brain: Log Parsing with Bidirectional Parallel
// Tree", IEEE TSC 2023), written from the paper's description:
//
// 1. Preprocess. Each line is tokenized (line_tokenizer.h) and its header split off. Message
//    tokens that are variable-shaped (digits, paths, host names, dates...) become a variable
//    unit and runs of adjacent variable units collapse into one, so "an14 an15 an16" and "an14"
//    give the same shape. Words are interned.
// 2. Word frequency. Lines are bucketed by unit count; within a bucket each word gets the
//    number of lines that have the same word at the same position.
// 3. Initial groups ("longest common pattern"). The words of a line that share the frequency
//    held by the most words of that line (ties: the higher frequency) are taken as the line's
//    root: the constant words of its template, which all occur exactly as often as the template.
//    Variable units take no part. Lines with the same length and root (positions and words)
//    form an initial group.
// 4. Tree. In an initial group the root columns are constant. Every other column is constant
//    if it has one value and variable if it mixes words and variable units. The remaining word
//    columns look constant when they have fewer than kVariableValues distinct words, or when
//    they change together with another word column (one determines the other: "from NEW to
//    SCHEDULED" / "from SCHEDULED to RUNNING" are different events). The group is split on the
//    constant-looking column with the fewest values (children in order of first line) and each
//    child is examined again; a column is declared variable only when nothing is left to split
//    on, so it is judged in the most specific group. (Brain's paper uses a per-data-set
//    threshold; this is one fixed rule with the co-variation test instead.)
// 5. A group's template is its header template followed by its message words with variable
//    columns as "<*>"; groups that render the same template text are one pattern.
//
// Limits: a line keeps at most kMaxUnits message units (the rest becomes one variable); events
// whose variable part has a varying number of words are grouped per word count unless those
// words are variable-shaped. Initial groups are keyed by a 64-bit hash of the root.
//
// Complexity: linear in the input bytes plus O(units * log(units per line)) for step 3 and
// O(units * splits) for step 4; the only hash lookups are one per word (interning) and one per
// line (its initial group). Memory: about 12 bytes per unit plus the patterns.

#include "query/patterns/pattern_miner.h"

#include <algorithm>
#include <unordered_map>

#include "common/hash.h"
#include "query/patterns/line_tokenizer.h"
#include "query/patterns/token_interner.h"

namespace opsight::query::patterns {
namespace {

constexpr uint32_t kVar = 0;             // unit id of a variable (digit-shaped) token run
constexpr size_t kMaxUnits = 256;        // message units kept per line; the rest is one variable
constexpr uint32_t kVariableValues = 4;  // distinct words at which a column is variable

// The preprocessed corpus: message units and header token hashes, per line.
struct Corpus {
  std::vector<uint32_t> units;
  std::vector<uint32_t> unit_off;  // line i: units[unit_off[i], unit_off[i + 1])
  std::vector<uint64_t> header;    // per header token: 0 if digit-shaped, else hash | 1
  std::vector<uint32_t> header_off;
  uint32_t len(size_t i) const { return unit_off[i + 1] - unit_off[i]; }
  const uint32_t* line(size_t i) const { return units.data() + unit_off[i]; }
};

Corpus preprocess(std::span<const std::string_view> lines, bool split_header,
                  TokenInterner* interner) {
  Corpus c;
  c.unit_off.reserve(lines.size() + 1);
  c.header_off.reserve(lines.size() + 1);
  c.units.reserve(lines.size() * 12);
  c.unit_off.push_back(0);
  c.header_off.push_back(0);
  std::vector<Token> toks;
  for (std::string_view line : lines) {
    tokenize(line, &toks);
    const size_t h = split_header ? header_length(toks) : 0;
    for (size_t k = 0; k < h; k++) {
      c.header.push_back(toks[k].variable ? 0 : (token_hash(toks[k].text) | 1));
    }
    bool prev_var = false;
    size_t count = 0;
    for (size_t k = h; k < toks.size(); k++) {
      const bool var = toks[k].variable || count == kMaxUnits - 1;
      if (var) {
        if (!prev_var) {
          c.units.push_back(kVar);
          count++;
        }
        prev_var = true;
        if (count == kMaxUnits) break;
      } else {
        c.units.push_back(interner->intern(toks[k].text));
        count++;
        prev_var = false;
      }
    }
    c.unit_off.push_back(static_cast<uint32_t>(c.units.size()));
    c.header_off.push_back(static_cast<uint32_t>(c.header.size()));
  }
  return c;
}

// Step 2: freq[u] for every unit u (dense counters indexed by word id; no hashing).
std::vector<uint32_t> position_frequencies(const Corpus& c, uint32_t id_limit) {
  const size_t n = c.unit_off.size() - 1;
  std::vector<uint32_t> len_start(kMaxUnits + 2, 0);
  for (size_t i = 0; i < n; i++) len_start[c.len(i) + 1]++;
  for (size_t l = 1; l < len_start.size(); l++) len_start[l] += len_start[l - 1];
  std::vector<uint32_t> by_len(n);
  {
    std::vector<uint32_t> fill(len_start.begin(), len_start.end() - 1);
    for (size_t i = 0; i < n; i++) by_len[fill[c.len(i)]++] = static_cast<uint32_t>(i);
  }
  std::vector<uint32_t> freq(c.units.size());
  std::vector<uint32_t> cnt(id_limit, 0);
  for (size_t l = 1; l <= kMaxUnits; l++) {
    const uint32_t b = len_start[l], e = len_start[l + 1];
    for (size_t pos = 0; pos < l; pos++) {
      for (uint32_t k = b; k < e; k++) cnt[c.units[c.unit_off[by_len[k]] + pos]]++;
      for (uint32_t k = b; k < e; k++) {
        const uint32_t u = c.unit_off[by_len[k]] + pos;
        freq[u] = cnt[c.units[u]];
      }
      for (uint32_t k = b; k < e; k++) cnt[c.units[c.unit_off[by_len[k]] + pos]] = 0;
    }
  }
  return freq;
}

inline uint64_t mix(uint64_t h, uint64_t x) {
  h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdULL;
}

// Step 3: the root frequency of line i (the frequency most of its units share).
// Variable units do not take part: they are known not to be template words.
uint32_t root_frequency(const uint32_t* u, const uint32_t* f, uint32_t len,
                        std::vector<uint32_t>* scratch) {
  scratch->clear();
  for (uint32_t p = 0; p < len; p++) {
    if (u[p] != kVar) scratch->push_back(f[p]);
  }
  len = static_cast<uint32_t>(scratch->size());
  if (len == 0) return 0;
  std::sort(scratch->begin(), scratch->end(), std::greater<>());
  uint32_t best = (*scratch)[0], best_run = 0;
  for (size_t k = 0; k < len;) {
    size_t j = k;
    while (j < len && (*scratch)[j] == (*scratch)[k]) j++;
    if (j - k > best_run) {  // strictly longer: ties keep the higher frequency
      best_run = static_cast<uint32_t>(j - k);
      best = (*scratch)[k];
    }
    k = j;
  }
  return best;
}

// Open-addressing map from a nonzero 64-bit key to a dense index.
class KeyIndex {
 public:
  explicit KeyIndex(size_t expected) {
    size_t cap = 16;
    while (cap < expected * 2) cap <<= 1;
    slots_.resize(cap);
    mask_ = cap - 1;
  }
  // Returns the index of `key`, assigning the next index if new.
  uint32_t get(uint64_t key) {
    key |= 1;
    for (uint64_t i = (key * 0x9e3779b97f4a7c15ULL >> 20) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return slots_[i].index;
      if (slots_[i].key == 0) {
        slots_[i] = {key, size_};
        return size_++;
      }
    }
  }
  uint32_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t key = 0;
    uint32_t index = 0;
  };
  std::vector<Slot> slots_;
  uint64_t mask_;
  uint32_t size_ = 0;
};

enum ColumnState : uint8_t { kUndecided = 0, kConstant = 1, kVariable = 2 };

struct FinalGroup {
  std::vector<uint32_t> members;  // line indices, ascending
  std::vector<uint8_t> columns;   // ColumnState per message unit (none undecided)
};

// Step 4 for one initial group.
class TreeSplitter {
 public:
  explicit TreeSplitter(const Corpus& c, uint32_t id_limit)
      : c_(c), stamp_(id_limit, 0), slot_(id_limit, 0) {}

  void split(std::vector<uint32_t> members, std::vector<uint8_t> columns,
             std::vector<FinalGroup>* out) {
    std::vector<FinalGroup> stack;
    stack.push_back({std::move(members), std::move(columns)});
    while (!stack.empty()) {
      FinalGroup g = std::move(stack.back());
      stack.pop_back();
      const uint32_t len = static_cast<uint32_t>(g.columns.size());
      // Distinct values per undecided column.
      distinct_.assign(len, 0);
      word_only_.assign(len, 0);
      for (uint32_t col = 0; col < len; col++) {
        if (g.columns[col] != kUndecided) continue;
        uint32_t d = 0;
        bool has_var = false;
        epoch_++;
        for (uint32_t m : g.members) {
          uint32_t u = c_.line(m)[col];
          if (stamp_[u] != epoch_) {
            stamp_[u] = epoch_;
            d++;
            has_var |= u == kVar;
          }
        }
        distinct_[col] = d;
        word_only_[col] = !has_var;
        if (d == 1) {
          g.columns[col] = kConstant;
        } else if (has_var) {
          g.columns[col] = kVariable;
        }
      }
      // Split on the column with the fewest values that looks constant; columns that look
      // variable are decided only when nothing is left to split on, in the smallest group.
      uint32_t best_col = len, best_d = 0;
      for (uint32_t col = 0; col < len; col++) {
        if (g.columns[col] != kUndecided) continue;
        const uint32_t d = distinct_[col];
        if (d >= kVariableValues && !codetermined(g, col)) continue;
        if (best_col == len || d < best_d) {
          best_col = col;
          best_d = d;
        }
      }
      if (best_col == len) {
        for (uint32_t col = 0; col < len; col++) {
          if (g.columns[col] == kUndecided) g.columns[col] = kVariable;
        }
      }
      if (best_col == len) {
        out->push_back(std::move(g));
        continue;
      }
      // Partition by the value at best_col, children in order of first appearance.
      epoch_++;
      std::vector<FinalGroup> children;
      for (uint32_t m : g.members) {
        uint32_t u = c_.line(m)[best_col];
        if (stamp_[u] != epoch_) {
          stamp_[u] = epoch_;
          slot_[u] = static_cast<uint32_t>(children.size());
          children.push_back({{}, g.columns});
          children.back().columns[best_col] = kConstant;
        }
        children[slot_[u]].members.push_back(m);
      }
      for (auto it = children.rbegin(); it != children.rend(); ++it) {
        stack.push_back(std::move(*it));
      }
    }
  }

 private:
  // True if another undecided word column of `g` and column `col` determine each other one way
  // (the number of distinct value pairs equals the larger of their distinct counts): several
  // words that change together are the words of different templates ("from NEW to
  // SCHEDULED", "from SCHEDULED to RUNNING"), not independent variables.
  bool codetermined(const FinalGroup& g, uint32_t col) {
    const uint32_t len = static_cast<uint32_t>(g.columns.size());
    for (uint32_t other = 0; other < len; other++) {
      if (other == col || g.columns[other] != kUndecided || !word_only_[other]) continue;
      pairs_.clear();
      for (uint32_t m : g.members) {
        const uint32_t* u = c_.line(m);
        pairs_.push_back(uint64_t{u[col]} << 32 | u[other]);
      }
      std::sort(pairs_.begin(), pairs_.end());
      const size_t joint = std::unique(pairs_.begin(), pairs_.end()) - pairs_.begin();
      if (joint == std::max(distinct_[col], distinct_[other])) return true;
    }
    return false;
  }

  const Corpus& c_;
  std::vector<uint32_t> distinct_;
  std::vector<uint8_t> word_only_;
  std::vector<uint64_t> pairs_;
  std::vector<uint32_t> stamp_;
  std::vector<uint32_t> slot_;
  uint32_t epoch_ = 0;
};

// Step 5: the template text of a final group.
std::string render(const FinalGroup& g, const Corpus& c, const TokenInterner& interner,
                   std::span<const std::string_view> lines, std::vector<Token>* toks) {
  std::string out;
  const uint32_t first = g.members.front();
  const uint32_t hlen = c.header_off[first + 1] - c.header_off[first];
  if (hlen > 0) {
    bool same_len = true;
    for (uint32_t m : g.members) same_len &= c.header_off[m + 1] - c.header_off[m] == hlen;
    if (!same_len) {
      out = "<*>";
    } else {
      tokenize(lines[first], toks);
      for (uint32_t k = 0; k < hlen; k++) {
        const uint64_t h = c.header[c.header_off[first] + k];
        bool constant = h != 0;
        for (size_t j = 1; constant && j < g.members.size(); j++) {
          constant = c.header[c.header_off[g.members[j]] + k] == h;
        }
        if (!out.empty()) out += ' ';
        out += constant ? (*toks)[k].text : std::string_view("<*>");
      }
    }
  } else {
    for (uint32_t m : g.members) {
      if (c.header_off[m + 1] != c.header_off[m]) {
        out = "<*>";  // some members have a header, the first has none
        break;
      }
    }
  }
  const uint32_t* u = c.line(first);
  for (size_t col = 0; col < g.columns.size(); col++) {
    if (!out.empty()) out += ' ';
    if (g.columns[col] == kVariable || u[col] == kVar) {
      out += "<*>";
    } else {
      out += interner.text(u[col]);
    }
  }
  return out;
}

}  // namespace

MiningResult mine(std::span<const std::string_view> lines, const MinerOptions& options) {
  MiningResult result;
  const size_t n = lines.size();
  result.line_pattern.resize(n);
  if (n == 0) return result;

  TokenInterner interner;
  const Corpus c = preprocess(lines, options.split_header, &interner);
  const uint32_t id_limit = interner.id_limit();
  const std::vector<uint32_t> freq = position_frequencies(c, id_limit);

  // Step 3: initial group per line.
  std::vector<uint32_t> line_group(n);
  std::vector<uint32_t> root_freq(n);
  KeyIndex groups(n / 4 + 16);
  std::vector<uint32_t> scratch;
  for (size_t i = 0; i < n; i++) {
    const uint32_t len = c.len(i);
    const uint32_t* f = freq.data() + c.unit_off[i];
    const uint32_t* u = c.line(i);
    const uint32_t rf = root_frequency(u, f, len, &scratch);
    root_freq[i] = rf;
    uint64_t key = mix(0x51ed2701u, len);
    for (uint32_t p = 0; p < len; p++) {
      if (u[p] != kVar && f[p] == rf) key = mix(key, (uint64_t{p} << 32) | u[p]);
    }
    line_group[i] = groups.get(key);
  }

  // Members of each initial group, ascending line order (counting sort).
  const uint32_t ng = groups.size();
  std::vector<uint32_t> start(ng + 1, 0);
  for (uint32_t g : line_group) start[g + 1]++;
  for (uint32_t g = 0; g < ng; g++) start[g + 1] += start[g];
  std::vector<uint32_t> members(n);
  {
    std::vector<uint32_t> fill(start.begin(), start.end() - 1);
    for (size_t i = 0; i < n; i++) members[fill[line_group[i]]++] = static_cast<uint32_t>(i);
  }

  // Step 4.
  std::vector<FinalGroup> finals;
  TreeSplitter splitter(c, id_limit);
  for (uint32_t g = 0; g < ng; g++) {
    std::vector<uint32_t> m(members.begin() + start[g], members.begin() + start[g + 1]);
    const uint32_t first = m.front();
    const uint32_t len = c.len(first);
    std::vector<uint8_t> columns(len, kUndecided);
    for (uint32_t p = 0; p < len; p++) {
      const uint32_t u = c.units[c.unit_off[first] + p];
      if (u == kVar || freq[c.unit_off[first] + p] == root_freq[first]) columns[p] = kConstant;
    }
    splitter.split(std::move(m), std::move(columns), &finals);
  }

  // Step 5: templates; groups with the same text are one pattern.
  std::unordered_map<std::string, uint32_t> by_text;
  std::vector<Token> toks;
  for (size_t k = 0; k < finals.size(); k++) {
    std::string text = render(finals[k], c, interner, lines, &toks);
    auto [it, inserted] = by_text.try_emplace(std::move(text), result.patterns.size());
    if (inserted) {
      Pattern p;
      p.template_text = it->first;
      p.id = xxhash64(p.template_text);
      result.patterns.push_back(std::move(p));
    }
    result.patterns[it->second].count += finals[k].members.size();
    for (uint32_t m : finals[k].members) result.line_pattern[m] = it->second;
  }

  // Order: count descending, then template text; remap line indices.
  std::vector<uint32_t> order(result.patterns.size());
  for (uint32_t k = 0; k < order.size(); k++) order[k] = k;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const Pattern& pa = result.patterns[a];
    const Pattern& pb = result.patterns[b];
    if (pa.count != pb.count) return pa.count > pb.count;
    return pa.template_text < pb.template_text;
  });
  std::vector<uint32_t> rank(order.size());
  std::vector<Pattern> sorted;
  sorted.reserve(order.size());
  for (uint32_t k = 0; k < order.size(); k++) {
    rank[order[k]] = k;
    sorted.push_back(std::move(result.patterns[order[k]]));
  }
  result.patterns = std::move(sorted);
  for (size_t i = 0; i < n; i++) {
    uint32_t& p = result.line_pattern[i];
    p = rank[p];
    if (result.patterns[p].samples.size() < options.max_samples) {
      result.patterns[p].samples.emplace_back(lines[i]);
    }
  }
  return result;
}

}  // namespace opsight::query::patterns
