#pragma once
// Investigations kept in SQLite (<data>/investigations.db; storage/meta/sqlite_db.h: WAL mode,
// synchronous=FULL, so an acknowledged put survives a crash):
//
//   investigations(id TEXT PRIMARY KEY, account, region, request TEXT, status TEXT, error TEXT,
//                  result TEXT, created_ms INTEGER, completed_ms INTEGER)
//   index (account, region, created_ms, id) for list.
//
// A record is written when an investigation starts ("running") and again when it ends
// ("complete" with the result JSON, or "failed" with the error). Records older than the retention
// (by created_ms) are deleted by purge_expired.
//
// Thread safety: thread-safe (one mutex around the connection).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/metric_store.h"  // storage::Tenant

namespace opsight::aiops {

inline constexpr int64_t kDefaultInvestigationRetentionMs = 30LL * 24 * 3600 * 1000;
inline constexpr size_t kMaxInvestigationList = 1000;

struct InvestigationRecord {
  std::string id;  // 16 lowercase hex digits (new_investigation_id)
  storage::Tenant tenant;
  std::string request_json;  // investigation_request_json
  std::string status;        // "running", "complete" or "failed"
  std::string error;         // when failed
  std::string result_json;   // when complete ("" before)
  int64_t created_ms = 0;
  int64_t completed_ms = 0;  // 0 while running
  bool operator==(const InvestigationRecord&) const = default;
};

// 16 random lowercase hex digits.
std::string new_investigation_id();

class InvestigationStore {
 public:
  static Result<std::unique_ptr<InvestigationStore>> open(
      const std::string& path, int64_t retention_ms = kDefaultInvestigationRetentionMs);
  ~InvestigationStore();
  InvestigationStore(const InvestigationStore&) = delete;
  InvestigationStore& operator=(const InvestigationStore&) = delete;

  // Inserts or replaces the record with this id. InvalidArgument for an empty id or a status
  // other than running|complete|failed.
  Status put(const InvestigationRecord& record);
  // NotFound when the tenant has no investigation with this id.
  Result<InvestigationRecord> get(const storage::Tenant& tenant, std::string_view id) const;
  // The tenant's newest investigations first (by created_ms, then id), at most `limit`
  // (1..kMaxInvestigationList, else InvalidArgument).
  Result<std::vector<InvestigationRecord>> list(const storage::Tenant& tenant, size_t limit) const;
  // Deletes records created before now - retention; returns how many.
  Result<size_t> purge_expired(int64_t now_ms);

 private:
  struct Impl;
  explicit InvestigationStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace opsight::aiops
