#include "storage/tsdb/index.h"

namespace opsight::storage::tsdb {

namespace {

// Union of the postings of the values v of m.name() with m.matches(v) == want.
Bitmap values_matching(const IndexReader& index, const Matcher& m, bool want) {
  Bitmap out;
  auto name_it = index.postings().find(m.name());
  if (name_it == index.postings().end()) return out;
  const auto& values = name_it->second;
  auto lookup = [&](std::string_view v) {
    auto it = values.find(v);
    if (it != values.end()) out |= it->second;
  };
  // Direct lookups where the matching set is a known list of literals.
  if ((m.type() == MatchType::kEqual && want) || (m.type() == MatchType::kNotEqual && !want)) {
    lookup(m.value());
    return out;
  }
  bool regex = m.type() == MatchType::kRegexMatch || m.type() == MatchType::kRegexNoMatch;
  bool positive_set = (m.type() == MatchType::kRegexMatch) == want;
  if (regex && positive_set && !m.set_values().empty()) {
    for (const auto& v : m.set_values()) lookup(v);
    return out;
  }
  for (const auto& [v, refs] : values) {
    if (m.matches(v) == want) out |= refs;
  }
  return out;
}

}  // namespace

Bitmap select_postings(const IndexReader& index, std::span<const Matcher> matchers) {
  Bitmap result;
  bool have_positive = false;
  for (const auto& m : matchers) {
    if (m.matches_empty()) continue;
    Bitmap b = values_matching(index, m, true);
    if (!have_positive) {
      result = std::move(b);
      have_positive = true;
    } else {
      result &= b;
    }
    if (result.empty()) return result;
  }
  if (!have_positive) result = index.all_series();
  for (const auto& m : matchers) {
    if (!m.matches_empty()) continue;
    result -= values_matching(index, m, false);
  }
  return result;
}

std::vector<std::string> label_names_of(const IndexReader& index, const Bitmap& refs) {
  std::vector<std::string> out;
  for (const auto& [name, values] : index.postings()) {
    for (const auto& [v, b] : values) {
      if (b.intersects(refs)) {
        out.push_back(name);
        break;
      }
    }
  }
  return out;
}

std::vector<std::string> label_values_of(const IndexReader& index, std::string_view name,
                                         const Bitmap& refs) {
  std::vector<std::string> out;
  auto it = index.postings().find(name);
  if (it == index.postings().end()) return out;
  for (const auto& [v, b] : it->second) {
    if (b.intersects(refs)) out.push_back(v);
  }
  return out;
}

Result<uint32_t> MemIndex::get_or_create(const Labels& labels, bool* created) {
  uint64_t h = labels.hash();
  auto [lo, hi] = by_hash_.equal_range(h);
  for (auto it = lo; it != hi; ++it) {
    if (series_.at(it->second)->labels == labels) {
      *created = false;
      return it->second;
    }
  }
  if (next_ref_ == UINT32_MAX) {
    return Status::resource_exhausted("series ref space exhausted; restart to compact refs");
  }
  uint32_t ref = next_ref_++;
  series_.emplace(ref, std::make_unique<Entry>(Entry{h, labels}));
  by_hash_.emplace(h, ref);
  for (const auto& l : labels) {
    auto name_it = postings_.find(l.name);
    if (name_it == postings_.end())
      name_it = postings_.emplace(l.name, PostingsMap::mapped_type{}).first;
    auto val_it = name_it->second.find(l.value);
    if (val_it == name_it->second.end()) val_it = name_it->second.emplace(l.value, Bitmap()).first;
    val_it->second.add(ref);
  }
  all_.add(ref);
  *created = true;
  return ref;
}

uint32_t MemIndex::find(const Labels& labels) const {
  auto [lo, hi] = by_hash_.equal_range(labels.hash());
  for (auto it = lo; it != hi; ++it) {
    if (series_.at(it->second)->labels == labels) return it->second;
  }
  return 0;
}

const Labels* MemIndex::labels(uint32_t ref) const {
  auto it = series_.find(ref);
  return it == series_.end() ? nullptr : &it->second->labels;
}

void MemIndex::remove(uint32_t ref) {
  auto it = series_.find(ref);
  if (it == series_.end()) return;
  const Entry& e = *it->second;
  auto [lo, hi] = by_hash_.equal_range(e.hash);
  for (auto h = lo; h != hi; ++h) {
    if (h->second == ref) {
      by_hash_.erase(h);
      break;
    }
  }
  for (const auto& l : e.labels) {
    auto name_it = postings_.find(l.name);
    if (name_it == postings_.end()) continue;
    auto val_it = name_it->second.find(l.value);
    if (val_it == name_it->second.end()) continue;
    val_it->second.remove(ref);
    if (val_it->second.empty()) name_it->second.erase(val_it);
    if (name_it->second.empty()) postings_.erase(name_it);
  }
  all_.remove(ref);
  series_.erase(it);
}

void MemIndex::for_each(const std::function<void(uint32_t)>& fn) const {
  for (const auto& [ref, e] : series_) fn(ref);
}

}  // namespace opsight::storage::tsdb
