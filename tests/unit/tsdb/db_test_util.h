#pragma once
// Helpers shared by the tsdb tests: a temp directory, a Db on a ManualClock, and read-back.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "storage/tsdb/db.h"
#include "testing/temp_dir.h"

namespace opsight::storage::tsdb::testing {

using TempDir = ::opsight::testing::TempDir;

// Series labels (without tenant) -> samples, as read back.
using Dump = std::map<std::string, std::vector<Sample>>;

inline std::string key_of(const Series& s, bool with_tenant) {
  std::string k = s.labels().to_string();
  if (with_tenant) k += "@" + s.tenant().account + "/" + s.tenant().region;
  return k;
}

inline Dump read_all(MetricStore* db, std::vector<Matcher> matchers,
                     std::vector<Tenant> tenants = {Tenant{}}, int64_t mint = INT64_MIN,
                     int64_t maxt = INT64_MAX, bool with_tenant = false) {
  Dump out;
  auto q = db->querier(QueryScope{tenants}, mint, maxt);
  EXPECT_TRUE(q.ok()) << q.status().to_string();
  if (!q.ok()) return out;
  auto set = (*q)->select(true, SelectHints{}, matchers);
  while (set->next()) {
    auto it = set->at().iterator();
    auto& v = out[key_of(set->at(), with_tenant)];
    while (it->next()) v.push_back(it->at());
    EXPECT_TRUE(it->err().ok());
  }
  EXPECT_TRUE(set->err().ok()) << set->err().to_string();
  return out;
}

inline bool same_samples(const std::vector<Sample>& a, const std::vector<Sample>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (!a[i].same_as(b[i])) return false;
  }
  return true;
}

inline bool same_dump(const Dump& a, const Dump& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end() || !same_samples(v, it->second)) return false;
  }
  return true;
}

inline Matcher M(MatchType t, std::string name, std::string value) {
  auto m = Matcher::make(t, std::move(name), std::move(value));
  EXPECT_TRUE(m.ok());
  return *m;
}

}  // namespace opsight::storage::tsdb::testing
