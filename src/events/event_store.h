#pragma once
// The event store: events (events/event.h) kept durably in SQLite (<data>/events.db, WAL mode,
// synchronous=FULL: an acknowledged put survives a crash), per tenant, indexed by time, source
// and detail-type, purged after a retention.
//
// Thread safety: thread-safe (one mutex around the connection).

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "events/event.h"

namespace opsight::events {

struct EventStoreOptions {
  std::string path;                                // e.g. <data>/events.db
  int64_t retention_ms = 90LL * 24 * 3600 * 1000;  // by event time
};

struct EventQuery {
  int64_t start_ms = 0;  // [start, end) by event time
  int64_t end_ms = std::numeric_limits<int64_t>::max();
  std::string source;       // "" = any
  std::string detail_type;  // "" = any
  size_t limit = 1000;      // 1..10000
  std::string next_token;   // from a previous page; "" = first page
};

struct EventPage {
  std::vector<Event> events;  // by time, then id
  std::string next_token;     // "" when there is no more
};

class EventStore {
 public:
  static Result<std::unique_ptr<EventStore>> open(EventStoreOptions options);
  ~EventStore();
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Stores the events in one transaction. An event whose (tenant, id) exists already replaces it
  // (puts are idempotent: a retried put does not duplicate).
  Status put(std::span<const Event> events);
  Status put(const Event& event) { return put(std::span<const Event>(&event, 1)); }

  // InvalidArgument for a bad limit or next_token.
  Result<EventPage> query(const storage::Tenant& tenant, const EventQuery& query) const;

  // Deletes events older than now - retention; returns how many.
  Result<size_t> purge_expired(int64_t now_ms);

 private:
  struct Impl;
  explicit EventStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace opsight::events
