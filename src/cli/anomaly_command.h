#pragma once
// `opsight anomaly score FILE [--output OUT] [--explain]`: runs the streaming anomaly detector
// (anomaly/streaming_detector.h) over a `timestamp,value` CSV (the Numenta Anomaly Benchmark
// format) offline, without a server, and writes
//   timestamp,value,anomaly_score
// with one row per input row and the score in [0, 1]. The detector is causal: a row's score
// uses only the rows before it. --explain adds the columns
//   feature,expected,lower,upper,component
// (the detector feature that scored highest, and the seasonal model's 3-sigma band and its
// attribution when the model is in use). FILE "-" reads stdin. See docs/anomaly-detection.md.

#include <CLI/CLI.hpp>

namespace opsight::cli {

void add_anomaly_command(CLI::App& app);

}  // namespace opsight::cli
