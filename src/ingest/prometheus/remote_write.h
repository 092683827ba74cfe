#pragma once
// Prometheus remote write 1.0 (prometheus.io/docs/specs/remote_write_spec/): the protobuf
// WriteRequest of prompb/remote.proto and prompb/types.proto, decoded into a MetricBatch.
//
// Messages read (field numbers as published in prompb, verified against types.proto):
//   WriteRequest   { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
//   TimeSeries     { repeated Label labels = 1; repeated Sample samples = 2;
//                    repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
//   Label          { string name = 1; string value = 2; }
//   Sample         { double value = 1; int64 timestamp = 2; }
//   MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4;
//                    string unit = 5; }
//   Exemplar       { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
// Unknown fields are skipped. Exemplars are kept with their series (which may carry no samples:
// Prometheus sends exemplars in TimeSeries of their own).
//
// Error model:
//   - A malformed message (truncated field, wrong wire type for a known field, group wire
//     type) makes decode_remote_write() return InvalidArgument naming where in the body the
//     problem is; `out` is then left exactly as it was on entry (nothing of the request kept).
//   - A series that breaks a rule of the spec (no __name__, duplicate label names, labels not
//     sorted by name) is an item error ("timeseries[3] up{job=\"x\"}: ...") in out->errors and
//     the other series are kept. Native histograms (TimeSeries field 4) are not stored yet: a
//     series carrying them gets one item error saying how many were dropped (its float samples,
//     if any, are kept).
//   - Label syntax and request limits are not checked here: write_batch() does that.
// Labels with an empty value are dropped (Prometheus treats them as absent). Sample values are
// kept bit-exact, so staleness markers (storage::kStaleNaNBits) survive.
//
// Thread safety: the functions are pure; concurrent calls on distinct outputs are safe.

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ingest/metric_batch.h"

namespace opsight::ingest::prometheus {

// Decodes an uncompressed (already snappy-decoded) WriteRequest, appending to *out. The labels
// in *out view `protobuf`, which must outlive their use (the hot path: no allocation per series).
Status decode_remote_write(std::string_view protobuf, MetricViewBatch* out);
// The same into owned labels (tests, tools).
Status decode_remote_write(std::string_view protobuf, MetricBatch* out);

// Encodes a WriteRequest (uncompressed protobuf) for tests, tools and benchmarks. Labels are
// written in their (sorted) order; statistic-set samples cannot be expressed in remote write
// and are skipped. MetadataEntry.meta.type is mapped back to the MetricType enum (unknown
// strings become UNKNOWN).
std::string encode_remote_write(const std::vector<SeriesSamples>& series,
                                const std::vector<MetadataEntry>& metadata);

}  // namespace opsight::ingest::prometheus
