#pragma once
// The metrics engine's WAL record (one per Appender::commit), byte layout in
// docs/format/tsdb.md ("WAL record"). Series refs are defined per WAL segment: a SERIES entry
// names a ref's labels the first time the ref is used in a segment, so replay can map refs of
// any segment on its own and old segments can be deleted.
//
// Thread safety: plain values and functions.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/labels.h"
#include "common/status.h"
#include "storage/metric_store.h"
#include "storage/sample.h"

namespace opsight::storage::tsdb {

inline constexpr uint8_t kWalRecordCommitV1 = 0x01;

struct WalSeries {
  uint64_t ref = 0;
  Labels labels;  // including the tenant labels
};
struct WalSamples {
  uint64_t ref = 0;
  std::vector<Sample> samples;
};
struct WalMetadata {
  Tenant tenant;
  std::string metric;
  MetricMetadata meta;
};
struct WalExemplar {
  Tenant tenant;
  Labels series;  // without tenant labels
  Exemplar exemplar;
};
struct WalRecord {
  std::vector<WalSeries> series;
  std::vector<WalSamples> samples;
  std::vector<WalMetadata> metadata;
  std::vector<WalExemplar> exemplars;  // optional trailing section
};

// Builds one record section by section (series definitions, sample groups, metadata).
class WalRecordBuilder {
 public:
  void add_series(uint64_t ref, const Labels& labels);
  void add_samples(uint64_t ref, std::span<const Sample> samples);
  void add_metadata(const Tenant& tenant, std::string_view metric, const MetricMetadata& meta);
  void add_exemplar(const Tenant& tenant, const Labels& series, const Exemplar& e);
  std::string finish() const;

 private:
  std::string series_, samples_, metadata_, exemplars_;
  uint64_t n_series_ = 0, n_samples_ = 0, n_metadata_ = 0, n_exemplars_ = 0;
};

// Corruption naming the field on malformed input; never reads out of bounds.
Status decode_wal_record(std::string_view payload, WalRecord* out);

}  // namespace opsight::storage::tsdb
