#pragma once
// Runs Logs Insights queries asynchronously, the way StartQuery / GetQueryResults / StopQuery do:
// start() returns a query id at once; the query runs on a worker, and get() returns its status
// (Scheduled, Running, Complete, Failed, Cancelled, Timeout), its statistics (recordsMatched,
// recordsScanned, bytesScanned) and its results so far — partial while it runs.
//
// Limits: a deadline per query (Timeout), a scanned-bytes limit (Failed, naming the limit), a row
// limit (10,000 by default, like CloudWatch), and a cap on queries running or waiting at once
// (ResourceExhausted from start(): the caller answers 429 / LimitExceededException). Finished
// queries are kept for `keep_ms` and then forgotten.
//
// Cross-account queries (CloudWatch cross-account observability, "Cross-account cross-Region
// log analytics"): QueryRequest.account_groups names groups of several tenants. The service
// scans each tenant's groups with its own scanner and merges the streams by timestamp (newest
// first when the query asks for it), so row order matches a single-tenant scan; each record is
// given to the execution with its RecordOrigin (@aws.account, @aws.region, @log
// "<account>:<group>"). The service does not decide who may read which tenant: the caller
// (the API layer, from the account links) has already done so. The scanned-bytes limit applies
// to the sum over the tenants. Single-account queries (`groups`) take the same path with one
// scanner and no origin.
//
// Thread safety: all methods are thread-safe. The destructor cancels running queries and joins.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "query/insights/insights.h"
#include "storage/log_store.h"

namespace opsight::query::insights {

enum class QueryStatus { kScheduled, kRunning, kComplete, kFailed, kCancelled, kTimeout };
// CloudWatch's spelling: "Scheduled", "Running", "Complete", "Failed", "Cancelled", "Timeout".
std::string_view status_name(QueryStatus status);

// A log group of a given tenant (a cross-account query's group).
struct QueryGroup {
  storage::Tenant tenant;
  std::string name;
  bool operator==(const QueryGroup&) const = default;
};

struct QueryRequest {
  storage::Tenant tenant;  // who runs the query (get / cancel / list see it under this tenant)
  std::vector<std::string> groups;  // groups of `tenant` (a single-account query)
  // A cross-account query: groups of any tenants, `tenant`'s own included. Exactly one of
  // `groups` and `account_groups` is non-empty.
  std::vector<QueryGroup> account_groups;
  int64_t start_ms = 0;  // inclusive
  int64_t end_ms = 0;    // inclusive (CloudWatch's endTime is inclusive)
  std::string query;
  size_t limit = 0;  // max rows; 0 = ServiceOptions::default_rows
};

struct QueryStatistics {
  uint64_t records_matched = 0;
  uint64_t records_scanned = 0;
  uint64_t bytes_scanned = 0;
};

struct QueryState {
  std::string id;
  QueryStatus status = QueryStatus::kScheduled;
  ResultTable results;
  QueryStatistics statistics;
  std::string error;  // why it failed or timed out
  QueryRequest request;
  int64_t create_time_ms = 0;
};

struct QueryServiceOptions {
  size_t workers = 2;
  size_t max_queries = 30;  // running + scheduled (CloudWatch: 30 concurrent queries)
  int64_t deadline_ms = 15 * 60 * 1000;
  uint64_t max_bytes_scanned = 100ull << 30;
  size_t default_rows = 10'000;
  size_t max_rows = 10'000;
  int64_t keep_ms = 60 * 60 * 1000;  // finished queries stay readable this long
  // Results visible to get() while running are refreshed at most this often.
  int64_t snapshot_interval_ms = 250;
};

class LogQueryService {
 public:
  LogQueryService(storage::LogStore* store, Clock* clock, QueryServiceOptions options = {});
  ~LogQueryService();
  LogQueryService(const LogQueryService&) = delete;
  LogQueryService& operator=(const LogQueryService&) = delete;

  // Parses and schedules. InvalidArgument for a bad query (position and token named), a bad
  // time range, no log group or both group forms; NotFound for an unknown group (of any tenant);
  // ResourceExhausted when max_queries are already running or waiting.
  Result<std::string> start(QueryRequest request);
  // NotFound for an unknown (or forgotten) id, or one of another tenant.
  Result<QueryState> get(const storage::Tenant& tenant, const std::string& id);
  // Stops a Scheduled or Running query (status Cancelled). InvalidArgument if it has finished.
  Status cancel(const storage::Tenant& tenant, const std::string& id);
  // Blocks until the query has finished or `timeout_ms` passed (the CLI's synchronous mode).
  Result<QueryState> wait(const storage::Tenant& tenant, const std::string& id, int64_t timeout_ms);
  // The tenant's queries, newest first (DescribeQueries).
  std::vector<QueryState> list(const storage::Tenant& tenant);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace opsight::query::insights
