#pragma once
// A scanned log record seen as a row of Logs Insights fields: the generated fields @timestamp,
// @message, @logStream, @log, @ingestionTime (CloudWatch "Supported logs and discovered
// fields"), the record's discovered fields (flattened JSON keys, attributes), and severityText,
// traceId and spanId when the record has them (CloudWatch has no @-names for these).
// String values are borrowed views into the record: valid until the scanner's next call.

#include "query/insights/eval.h"
#include "storage/log_store.h"

namespace opsight::query::insights {

class RecordEnv : public Env {
 public:
  explicit RecordEnv(const storage::LogRecord* record) : record_(record) {}
  bool lookup(std::string_view name, Value* out) const override;

 private:
  const storage::LogRecord* record_;
};

}  // namespace opsight::query::insights
