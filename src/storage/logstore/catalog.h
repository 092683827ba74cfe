#pragma once
// The log store's catalog: tenants -> log groups -> log streams, with the per-stream event
// statistics that DescribeLogStreams reports. Changes are CatalogOps, which the store writes to
// the WAL before applying them (so a restart replays them) and which apply() executes. The whole
// catalog is serialised into the CATALOG snapshot at every flush (docs/format/logstore.md).
//
// Ids: group ids are global and never reused (next_group_id); stream ids are per group and never
// reused (GroupState::next_stream_id). Blocks and WAL events refer to ids, so data of a deleted
// and re-created group or stream never reappears.
//
// Thread safety: none; the store guards its Catalog with its mutex.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "storage/log_store.h"

namespace opsight::storage::logstore {

struct StreamState {
  uint32_t id = 0;
  std::string name;
  int64_t creation_ms = 0;
  int64_t first_event_ms = 0;  // 0 until the first event
  int64_t last_event_ms = 0;
  int64_t last_ingestion_ms = 0;
};

struct GroupState {
  uint64_t id = 0;
  Tenant tenant;
  std::string name;
  int retention_days = 0;
  int64_t creation_ms = 0;
  std::vector<std::string> indexed_fields;
  uint32_t next_stream_id = 1;
  std::map<uint32_t, StreamState> streams;                    // by id
  std::map<std::string, uint32_t, std::less<>> stream_names;  // name -> id

  StreamState* stream_by_id(uint32_t id);
  const StreamState* stream_by_id(uint32_t id) const;
  const StreamState* stream_by_name(std::string_view name) const;
  // The oldest timestamp retention keeps at `now_ms` (INT64_MIN when it never expires).
  int64_t retention_cutoff(int64_t now_ms) const;
};

struct CatalogOp {
  enum Type : uint8_t {
    kCreateGroup = 1,
    kDeleteGroup = 2,
    kPutRetention = 3,
    kPutIndexedFields = 4,
    kCreateStream = 5,
    kDeleteStream = 6,
  };
  Type type = kCreateGroup;
  uint64_t group_id = 0;
  uint32_t stream_id = 0;           // kCreateStream, kDeleteStream
  Tenant tenant;                    // kCreateGroup
  std::string name;                 // kCreateGroup, kCreateStream
  int retention_days = 0;           // kCreateGroup, kPutRetention
  int64_t time_ms = 0;              // creation time
  std::vector<std::string> fields;  // kPutIndexedFields
};

class Catalog {
 public:
  GroupState* find(const Tenant& tenant, std::string_view name);
  const GroupState* find(const Tenant& tenant, std::string_view name) const;
  GroupState* by_id(uint64_t id);
  const GroupState* by_id(uint64_t id) const;
  const std::map<uint64_t, GroupState>& groups() const { return groups_; }
  // Groups of `tenant` whose name starts with `prefix`, by name.
  std::vector<const GroupState*> list(const Tenant& tenant, std::string_view prefix) const;

  uint64_t next_group_id() const { return next_group_id_; }

  // Executes an op. FailedPrecondition when it does not fit the current state (a duplicate id
  // or name, a missing group or stream): the store validates before it logs an op, so this only
  // happens for a damaged WAL, whose replay skips such ops.
  Status apply(const CatalogOp& op);
  // Widens a stream's first/last event and last ingestion times.
  static void note_events(StreamState* s, int64_t min_ts, int64_t max_ts, int64_t max_ingestion);

  std::string serialize() const;
  static Status parse(std::string_view data, Catalog* out);

 private:
  std::map<uint64_t, GroupState> groups_;
  std::map<std::pair<Tenant, std::string>, uint64_t> by_name_;
  uint64_t next_group_id_ = 1;
};

}  // namespace opsight::storage::logstore
