#pragma once
// The `timestamp,value` CSV of the Numenta Anomaly Benchmark (github.com/numenta/NAB, data/*.csv)
// and the scored `timestamp,value,anomaly_score` CSV that `opsight anomaly score` writes.
//
// Input: a header row `timestamp,value` (case-insensitive), then one row per point. Timestamps
// are "YYYY-MM-DD HH:MM:SS" (a 'T' separator, a fraction and a trailing 'Z' are accepted; UTC is
// assumed) or Unix seconds. An empty or "nan" value is a missing point. CRLF is accepted.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "anomaly/streaming_detector.h"
#include "common/status.h"

namespace opsight::anomaly {

struct CsvSeries {
  std::vector<std::string> timestamp_text;  // as written, echoed in the output
  std::vector<std::string> value_text;
  std::vector<int64_t> ts_ms;
  std::vector<double> values;  // NaN for a missing value
};

// Parses "YYYY-MM-DD[ T]HH:MM:SS[.fff][Z]" (UTC) or Unix seconds into milliseconds.
Result<int64_t> parse_csv_timestamp(std::string_view s);

// Errors name the line and what is wrong with it (InvalidArgument).
Result<CsvSeries> parse_series_csv(std::string_view text);

// Runs a fresh StreamingDetector over the series in order and returns the scored CSV:
// "timestamp,value,anomaly_score\n" and one row per input row, the score with 9 significant
// digits.
std::string score_series_csv(const CsvSeries& series, const DetectorOptions& options = {});

}  // namespace opsight::anomaly
