#pragma once
// The storage contract for logs (the counterpart of metric_store.h): ingest, Logs Insights, the
// pattern API and the AWS front end use only these types, so the embedded engine (logstore) and a
// ClickHouse backend are interchangeable.
//
// Model (CloudWatch Logs): a tenant (account, region) owns log groups; a group owns log streams;
// a stream holds events. A group has a retention in days (one of kLogRetentionDays, 0 = never
// expire) and a set of indexed field names.
//
// Thread safety: LogStore is thread-safe. A LogAppender or LogScanner is used by one thread at a
// time.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/metric_store.h"  // Tenant

namespace opsight::storage {

// The retention values CloudWatch Logs accepts (PutRetentionPolicy), in days.
inline constexpr int kLogRetentionDays[] = {1,    3,    5,    7,    14,   30,  60,  90,
                                            120,  150,  180,  365,  400,  545, 731, 1096,
                                            1827, 2192, 2557, 2922, 3288, 3653};
inline constexpr size_t kMaxLogMessageBytes = 1 << 20;

struct LogAttribute {
  std::string key;
  std::string value;
  bool operator==(const LogAttribute&) const = default;
};

// One event as written.
struct LogEvent {
  int64_t timestamp_ms = 0;
  int64_t ingestion_time_ms = 0;         // set by the store when 0
  std::string message;                   // <= kMaxLogMessageBytes
  std::string severity_text;             // e.g. "ERROR"; "" when the source has none
  int32_t severity_number = 0;           // OTLP SeverityNumber 1..24; 0 = unspecified
  std::string trace_id;                  // 32 lowercase hex digits, or ""
  std::string span_id;                   // 16 lowercase hex digits, or ""
  std::vector<LogAttribute> attributes;  // source attributes (OTLP, Loki structured metadata)
  bool operator==(const LogEvent&) const = default;
};

// One discovered field of a record: JSON keys of the message flattened with '.', attributes,
// parsed fields. `value` is the field's text (numbers as written, booleans "true"/"false").
struct LogField {
  std::string_view name;
  std::string_view value;
};

// One event as a query sees it. Every view is valid until the scanner's next call.
struct LogRecord {
  std::string_view log_group;
  std::string_view log_stream;
  int64_t timestamp_ms = 0;
  int64_t ingestion_time_ms = 0;
  std::string_view message;
  std::string_view severity_text;
  int32_t severity_number = 0;
  std::string_view trace_id;
  std::string_view span_id;
  std::span<const LogField> fields;  // discovered fields, in discovery order, names unique
  uint64_t account_bytes = 0;        // bytes this record counts toward bytesScanned
};

struct LogGroupInfo {
  std::string name;
  int retention_days = 0;  // 0 = never expire
  int64_t creation_time_ms = 0;
  uint64_t stored_bytes = 0;
  std::vector<std::string> indexed_fields;
};

struct LogStreamInfo {
  std::string name;
  int64_t creation_time_ms = 0;
  int64_t first_event_ms = 0;  // 0 when the stream is empty
  int64_t last_event_ms = 0;
  int64_t last_ingestion_ms = 0;
  uint64_t stored_bytes = 0;
};

class LogAppender {
 public:
  virtual ~LogAppender() = default;
  // Stages events of one stream, in any order. With `create_missing`, a missing group or stream
  // is created (OTLP, Loki, syslog); without, a missing one is NotFound (PutLogEvents).
  virtual Status append(std::string_view group, std::string_view stream,
                        std::span<const LogEvent> events, bool create_missing) = 0;
  // Makes everything staged durable (per the WAL policy) and visible; an HTTP 2xx may be sent
  // after an ok commit().
  virtual Status commit() = 0;
  virtual void rollback() = 0;
};

// What to scan. Times are ms, start inclusive, end exclusive.
struct LogScan {
  std::vector<std::string> groups;   // names in the tenant; must exist
  std::vector<std::string> streams;  // empty = all streams of the groups
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  // Case-insensitive substrings that every matching message contains: a hint that lets the store
  // skip blocks that cannot match. The caller still filters every record it gets.
  std::vector<std::string> required_substrings;
  bool newest_first = false;  // order of records (ties in any order)
  // What the caller reads of each record, so the store can skip decoding the rest. Without
  // need_message, LogRecord.message may be empty; without need_fields, LogRecord.fields may be
  // empty. Timestamps, stream, group, severity and trace/span ids are always filled.
  bool need_message = true;
  bool need_fields = true;
  uint64_t max_bytes_scanned = 0;  // 0 = no limit; beyond it next() fails ResourceExhausted
};

struct LogScanStats {
  uint64_t records_scanned = 0;
  uint64_t bytes_scanned = 0;
  uint64_t blocks_skipped = 0;
};

class LogScanner {
 public:
  virtual ~LogScanner() = default;
  // Fills *record with the next event; false at the end. A non-ok status ends the scan.
  virtual Result<bool> next(LogRecord* record) = 0;
  virtual LogScanStats stats() const = 0;
};

class LogStore {
 public:
  virtual ~LogStore() = default;

  // Management (CloudWatch semantics: AlreadyExists / NotFound / InvalidArgument errors).
  virtual Status create_group(const Tenant& tenant, std::string_view group, int retention_days) = 0;
  virtual Status delete_group(const Tenant& tenant, std::string_view group) = 0;
  virtual Status put_retention(const Tenant& tenant, std::string_view group,
                               int retention_days) = 0;
  virtual Status put_indexed_fields(const Tenant& tenant, std::string_view group,
                                    std::vector<std::string> fields) = 0;
  virtual Result<std::vector<LogGroupInfo>> describe_groups(const Tenant& tenant,
                                                            std::string_view prefix) = 0;
  virtual Status create_stream(const Tenant& tenant, std::string_view group,
                               std::string_view stream) = 0;
  virtual Status delete_stream(const Tenant& tenant, std::string_view group,
                               std::string_view stream) = 0;
  virtual Result<std::vector<LogStreamInfo>> describe_streams(const Tenant& tenant,
                                                              std::string_view group,
                                                              std::string_view prefix) = 0;

  virtual std::unique_ptr<LogAppender> appender(const Tenant& tenant) = 0;
  virtual Result<std::unique_ptr<LogScanner>> scan(const Tenant& tenant, const LogScan& scan) = 0;

  virtual Status close() = 0;
};

// True when `days` is 0 (never expire) or one of kLogRetentionDays.
bool valid_log_retention_days(int days);

}  // namespace opsight::storage
