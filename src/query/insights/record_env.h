#pragma once
// A scanned log record seen as a row of Logs Insights fields: the generated fields @timestamp,
// @message, @logStream, @log, @ingestionTime (CloudWatch "Supported logs and discovered
// fields"), the record's discovered fields (flattened JSON keys, attributes), and severityText,
// traceId and spanId when the record has them (CloudWatch has no @-names for these).
// With a RecordOrigin (a cross-account query) the row also has @aws.account and @aws.region, and
// @log is "<account>:<group>" (CloudWatch's form for the groups of linked source accounts); a
// discovered field of the same name is shadowed by these generated fields.
// String values are borrowed views into the record: valid until the scanner's next call.

#include "query/insights/eval.h"
#include "query/insights/insights.h"
#include "storage/log_store.h"

namespace opsight::query::insights {

class RecordEnv : public Env {
 public:
  explicit RecordEnv(const storage::LogRecord* record, const RecordOrigin* origin = nullptr)
      : record_(record), origin_(origin) {}
  bool lookup(std::string_view name, Value* out) const override;

 private:
  const storage::LogRecord* record_;
  const RecordOrigin* origin_;  // null for a single-account query
};

}  // namespace opsight::query::insights
