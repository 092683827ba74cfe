#include "storage/tsdb/index.h"

#include <algorithm>

#include "common/hash.h"

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

namespace {

bool is_tenant_label(std::string_view name) {
  return name == kAccountLabel || name == kRegionLabel;
}

constexpr char kLabelSep = '\xff';
constexpr char kTenantSep = '\xfe';

// Hashes name/value pairs through one contiguous buffer: one xxHash64 pass instead of four
// streaming updates per label.
class KeyHasher {
 public:
  void add(std::string_view name, std::string_view value) {
    buf_.append(name);
    buf_ += kLabelSep;
    buf_.append(value);
    buf_ += kLabelSep;
  }
  uint64_t finish(std::string_view account, std::string_view region) {
    buf_.append(account);
    buf_ += kTenantSep;
    buf_.append(region);
    uint64_t h = xxhash64(buf_);
    buf_.clear();
    return h;
  }

 private:
  std::string buf_;
};

thread_local KeyHasher t_hasher;

}  // namespace

uint64_t series_key_hash(const Labels& full) {
  std::string_view account, region;
  for (const auto& l : full) {
    if (l.name == kAccountLabel) {
      account = l.value;
    } else if (l.name == kRegionLabel) {
      region = l.value;
    } else {
      t_hasher.add(l.name, l.value);
    }
  }
  return t_hasher.finish(account, region);
}

uint64_t series_key_hash(std::span<const LabelView> labels, std::string_view account,
                         std::string_view region) {
  for (const auto& l : labels) t_hasher.add(l.name, l.value);
  return t_hasher.finish(account, region);
}

void HashRefTable::insert(uint64_t hash, uint32_t ref, const Labels* labels) {
  if ((used_ + 1) * 4 > slots_.size() * 3) {
    rehash(std::max<size_t>(64, live_ * 4 > slots_.size() ? slots_.size() * 2 : slots_.size()));
  }
  for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
    Slot& s = slots_[i];
    if (s.ref == kEmpty || s.ref == kTombstone) {
      if (s.ref == kEmpty) used_++;
      s = {hash, ref, labels};
      live_++;
      return;
    }
  }
}

void HashRefTable::erase(uint64_t hash, uint32_t ref) {
  if (slots_.empty()) return;
  for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
    Slot& s = slots_[i];
    if (s.ref == kEmpty) return;
    if (s.ref == ref && s.hash == hash) {
      s.ref = kTombstone;
      live_--;
      return;
    }
  }
}

void HashRefTable::rehash(size_t capacity) {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(capacity, Slot{0, kEmpty, nullptr});
  mask_ = capacity - 1;
  used_ = live_ = 0;
  for (const Slot& s : old) {
    if (s.ref != kEmpty && s.ref != kTombstone) insert(s.hash, s.ref, s.labels);
  }
}

Result<uint32_t> MemIndex::get_or_create(const Labels& labels, bool* created) {
  uint64_t h = series_key_hash(labels);
  uint32_t found = by_hash_.find(h, [&](const Labels& l) { return l == labels; });
  if (found != 0) {
    *created = false;
    return found;
  }
  if (next_ref_ == UINT32_MAX) {
    return Status::resource_exhausted("series ref space exhausted; restart to compact refs");
  }
  uint32_t ref = next_ref_++;
  auto& entry = series_.emplace(ref, std::make_unique<Entry>(Entry{h, labels})).first->second;
  by_hash_.insert(h, ref, &entry->labels);
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
  return by_hash_.find(series_key_hash(labels), [&](const Labels& l) { return l == labels; });
}

uint32_t MemIndex::find(uint64_t hash, std::span<const LabelView> labels, std::string_view account,
                        std::string_view region) const {
  return by_hash_.find(hash, [&](const Labels& full) {
    if (full.size() != labels.size() + 2) return false;
    size_t i = 0;
    for (const auto& l : full) {
      if (is_tenant_label(l.name)) {
        if (l.value != (l.name == kAccountLabel ? account : region)) return false;
        continue;
      }
      if (l.name != labels[i].name || l.value != labels[i].value) return false;
      i++;
    }
    return true;
  });
}

const Labels* MemIndex::labels(uint32_t ref) const {
  auto it = series_.find(ref);
  return it == series_.end() ? nullptr : &it->second->labels;
}

void MemIndex::remove(uint32_t ref) {
  auto it = series_.find(ref);
  if (it == series_.end()) return;
  const Entry& e = *it->second;
  by_hash_.erase(e.hash, ref);
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
