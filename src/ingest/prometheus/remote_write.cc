// Remote write 1.0 decoder and encoder. Spec: prometheus.io/docs/specs/remote_write_spec/
// (messages in prompb/types.proto and prompb/remote.proto); wire format:
// protobuf.dev/programming-guides/encoding.
//
// Design: one pass over the body with wire::pb::Reader. A TimeSeries is decoded into reusable
// scratch buffers (string views into the body), then appended to the flat arrays of a
// MetricViewBatch: a series costs no allocation; item names are built only for errors. Label and
// Sample sub-messages have a fast path for the layout every Prometheus-compatible sender
// produces (fields in order, no unknown fields); anything else falls back to the generic
// Reader, so field order and unknown fields are still handled as the encoding spec requires.
#include "ingest/prometheus/remote_write.h"

#include <fmt/format.h>

#include <charconv>
#include <cstring>

#include "common/coding.h"
#include "wire/protobuf.h"

namespace opsight::ingest::prometheus {
namespace {

namespace pb = wire::pb;

// Field numbers (prompb).
constexpr uint32_t kWriteRequestTimeseries = 1;
constexpr uint32_t kWriteRequestMetadata = 3;
constexpr uint32_t kSeriesLabels = 1;
constexpr uint32_t kSeriesSamples = 2;
constexpr uint32_t kSeriesExemplars = 3;
constexpr uint32_t kSeriesHistograms = 4;
constexpr uint32_t kExemplarLabels = 1;
constexpr uint32_t kExemplarValue = 2;
constexpr uint32_t kExemplarTimestamp = 3;
constexpr uint32_t kLabelName = 1;
constexpr uint32_t kLabelValue = 2;
constexpr uint32_t kSampleValue = 1;
constexpr uint32_t kSampleTimestamp = 2;
constexpr uint32_t kMetadataType = 1;
constexpr uint32_t kMetadataFamilyName = 2;
constexpr uint32_t kMetadataHelp = 4;
constexpr uint32_t kMetadataUnit = 5;

// MetricMetadata.MetricType, by enum value.
constexpr std::string_view kMetricTypes[] = {
    "unknown", "counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset",
};

// Decodes a Label message. Returns nullptr or the wire error.
const char* decode_label(std::string_view msg, std::string_view* name, std::string_view* value) {
  *name = {};
  *value = {};
  const char* p = msg.data();
  const char* end = p + msg.size();
  // Fast path: 0x0a <len> name 0x12 <len> value, nothing else.
  if (p < end && *p == 0x0a) {
    std::string_view n;
    const char* q = get_length_prefixed(p + 1, end, &n);
    if (q != nullptr && q < end && *q == 0x12) {
      std::string_view v;
      const char* r = get_length_prefixed(q + 1, end, &v);
      if (r == end) {
        *name = n;
        *value = v;
        return nullptr;
      }
    }
  }
  pb::Reader r(msg);
  while (r.next()) {
    if (r.field() == kLabelName) {
      *name = r.bytes();
    } else if (r.field() == kLabelValue) {
      *value = r.bytes();
    }
  }
  return r.error();
}

// Decodes a Sample message. Returns nullptr or the wire error.
const char* decode_sample(std::string_view msg, storage::Sample* s) {
  const char* p = msg.data();
  const char* end = p + msg.size();
  // Fast path: 0x09 <8 bytes value> 0x10 <varint timestamp>, nothing else.
  if (msg.size() >= 11 && p[0] == 0x09 && p[9] == 0x10) {
    uint64_t t;
    if (get_varint64(p + 10, end, &t) == end) {
      uint64_t bits = decode_fixed64(p + 1);
      std::memcpy(&s->v, &bits, 8);
      s->t = static_cast<int64_t>(t);
      return nullptr;
    }
  }
  s->t = 0;
  s->v = 0;
  pb::Reader r(msg);
  while (r.next()) {
    if (r.field() == kSampleValue) {
      s->v = r.dbl();
    } else if (r.field() == kSampleTimestamp) {
      s->t = r.int64();
    }
  }
  return r.error();
}

// Decodes an Exemplar message {repeated Label labels = 1; double value = 2; int64 timestamp = 3}.
// Labels with an empty value are dropped. Returns nullptr or the wire error.
const char* decode_exemplar(std::string_view msg, storage::Exemplar* e) {
  std::vector<Label> labels;
  pb::Reader r(msg);
  while (r.next()) {
    if (r.field() == kExemplarLabels) {
      std::string_view name, value;
      if (const char* err = decode_label(r.bytes(), &name, &value); err != nullptr) return err;
      if (!value.empty()) labels.push_back({std::string(name), std::string(value)});
    } else if (r.field() == kExemplarValue) {
      e->value = r.dbl();
    } else if (r.field() == kExemplarTimestamp) {
      e->t = r.int64();
    }
  }
  if (!r.ok()) return r.error();
  e->labels = Labels(std::move(labels));
  return nullptr;
}

// Where a wire error was found, for the InvalidArgument message.
struct WireError {
  const char* error = nullptr;
  std::string where;  // e.g. "labels[2]"
};

// Buffers reused across the series of one request, so decoding a series allocates only what
// the decoded series keeps (its label strings and two exactly-sized vectors).
struct Scratch {
  std::vector<std::pair<std::string_view, std::string_view>> labels;
  std::vector<storage::Sample> samples;
  std::vector<storage::Exemplar> exemplars;
};

// The non-empty labels of the scratch as views (only for the rare histogram message).
std::vector<LabelView> scratch_views(const Scratch& scratch) {
  std::vector<LabelView> out;
  for (const auto& [name, value] : scratch.labels) {
    if (!value.empty()) out.push_back({name, value});
  }
  return out;
}

// Decodes one TimeSeries message. Returns a wire error (the request is malformed) or appends a
// series or an item error to *out.
WireError decode_series(std::string_view msg, size_t index, Scratch& scratch,
                        MetricViewBatch* out) {
  scratch.labels.clear();
  scratch.samples.clear();
  scratch.exemplars.clear();
  size_t n_histograms = 0;
  // The rule a label set breaks is remembered; decoding continues so that a malformed message
  // later in the series still fails the whole request.
  std::string rule;
  size_t n_values = 0;  // labels with a non-empty value
  bool has_name = false;
  pb::Reader r(msg);
  while (r.next()) {
    switch (r.field()) {
      case kSeriesLabels: {
        std::string_view name, value;
        if (const char* e = decode_label(r.bytes(), &name, &value); e != nullptr) {
          return {e, fmt::format("labels[{}]", scratch.labels.size())};
        }
        if (!scratch.labels.empty() && rule.empty()) {
          std::string_view prev = scratch.labels.back().first;
          if (name == prev) {
            rule = fmt::format("duplicate label name \"{}\"", name);
          } else if (name < prev) {
            rule = fmt::format("labels are not sorted by name: \"{}\" after \"{}\"", name, prev);
          }
        }
        scratch.labels.emplace_back(name, value);
        if (!value.empty()) {  // an empty value means "no such label"
          n_values++;
          if (name == kMetricName) has_name = true;
        }
        break;
      }
      case kSeriesSamples: {
        storage::Sample s;
        if (const char* e = decode_sample(r.bytes(), &s); e != nullptr) {
          return {e, fmt::format("samples[{}]", scratch.samples.size())};
        }
        scratch.samples.push_back(s);
        break;
      }
      case kSeriesExemplars: {
        storage::Exemplar e;
        if (const char* err = decode_exemplar(r.bytes(), &e); err != nullptr) {
          return {err, fmt::format("exemplars[{}]", scratch.exemplars.size())};
        }
        scratch.exemplars.push_back(std::move(e));
        break;
      }
      case kSeriesHistograms:
        (void)r.bytes();
        n_histograms++;
        break;
      default:
        break;
    }
  }
  if (!r.ok()) {
    return {r.error(), fmt::format("after labels[{}]/samples[{}]", scratch.labels.size(),
                                   scratch.samples.size())};
  }

  if (rule.empty() && !has_name) rule = "missing metric name (label __name__)";
  if (!rule.empty()) {
    // Labels(vector) sorts, so the item names the series readably even when unsorted.
    std::vector<Label> labels;
    for (const auto& [name, value] : scratch.labels) {
      if (!value.empty()) labels.push_back(Label{std::string(name), std::string(value)});
    }
    Labels ls(std::move(labels));
    out->errors.push_back({fmt::format("timeseries[{}] {}", index, ls.to_string()),
                           fmt::format("{}; series rejected ({} samples)", rule,
                                       scratch.samples.size() + n_histograms)});
    return {};
  }
  SeriesView v;
  v.label_off = static_cast<uint32_t>(out->labels.size());
  v.label_n = static_cast<uint32_t>(n_values);
  v.sample_off = static_cast<uint32_t>(out->samples.size());
  v.sample_n = static_cast<uint32_t>(scratch.samples.size());
  v.exemplar_off = static_cast<uint32_t>(out->exemplars.size());
  v.exemplar_n = static_cast<uint32_t>(scratch.exemplars.size());
  v.index = static_cast<uint32_t>(index);
  if (n_histograms > 0) {
    out->errors.push_back(
        {fmt::format("timeseries[{}] {}", index, labels_to_string(scratch_views(scratch))),
         fmt::format("native histograms are not stored yet: {} histogram samples dropped",
                     n_histograms)});
  }
  // Prometheus sends exemplars in TimeSeries of their own, without samples.
  if (!scratch.samples.empty() || !scratch.exemplars.empty()) {
    for (const auto& [name, value] : scratch.labels) {
      if (!value.empty()) out->labels.push_back({name, value});
    }
    out->samples.insert(out->samples.end(), scratch.samples.begin(), scratch.samples.end());
    for (auto& e : scratch.exemplars) out->exemplars.push_back(std::move(e));
    out->series.push_back(v);
  }
  return {};
}

// Decodes one MetricMetadata message.
const char* decode_metadata(std::string_view msg, size_t index, MetricViewBatch* out) {
  MetadataEntry m;
  uint64_t type = 0;
  pb::Reader r(msg);
  while (r.next()) {
    switch (r.field()) {
      case kMetadataType:
        type = r.varint();
        break;
      case kMetadataFamilyName:
        m.metric = std::string(r.bytes());
        break;
      case kMetadataHelp:
        m.meta.help = std::string(r.bytes());
        break;
      case kMetadataUnit:
        m.meta.unit = std::string(r.bytes());
        break;
      default:
        break;
    }
  }
  if (!r.ok()) return r.error();
  if (m.metric.empty()) {
    out->errors.push_back(
        {fmt::format("metadata[{}]", index), "missing metric_family_name; entry ignored"});
    return nullptr;
  }
  // An enum value this decoder does not know is read as UNKNOWN (proto3 open enums).
  m.meta.type = std::string(type < std::size(kMetricTypes) ? kMetricTypes[type] : "unknown");
  out->metadata.push_back(std::move(m));
  return nullptr;
}

// --- encoding -------------------------------------------------------------------------------

void put_tag(std::string& out, uint32_t field, pb::WireType wt) {
  put_varint64(out, (uint64_t{field} << 3) | wt);
}

size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

size_t bytes_field_size(size_t len) {
  return 1 + varint_size(len) + len;
}

void put_bytes(std::string& out, uint32_t field, std::string_view v) {
  put_tag(out, field, pb::kLengthDelimited);
  put_length_prefixed(out, v);
}

void put_label(std::string& out, uint32_t field, const Label& l) {
  put_tag(out, field, pb::kLengthDelimited);
  put_varint64(out, bytes_field_size(l.name.size()) + bytes_field_size(l.value.size()));
  put_bytes(out, kLabelName, l.name);
  put_bytes(out, kLabelValue, l.value);
}

void encode_series(std::string& out, const SeriesSamples& s) {
  std::string exemplars;
  for (const auto& e : s.exemplars) {
    std::string body;
    for (const auto& l : e.labels) put_label(body, kExemplarLabels, l);
    put_tag(body, kExemplarValue, pb::kFixed64);
    uint64_t bits;
    std::memcpy(&bits, &e.value, 8);
    put_fixed64(body, bits);
    put_tag(body, kExemplarTimestamp, pb::kVarint);
    put_varint64(body, static_cast<uint64_t>(e.t));
    put_bytes(exemplars, kSeriesExemplars, body);
  }
  size_t size = exemplars.size();
  for (const auto& l : s.labels) {
    size += bytes_field_size(bytes_field_size(l.name.size()) + bytes_field_size(l.value.size()));
  }
  for (const auto& smp : s.samples) {
    if (smp.is_stats) continue;
    size += bytes_field_size(1 + 8 + 1 + varint_size(static_cast<uint64_t>(smp.t)));
  }
  put_tag(out, kWriteRequestTimeseries, pb::kLengthDelimited);
  put_varint64(out, size);
  for (const auto& l : s.labels) put_label(out, kSeriesLabels, l);
  for (const auto& smp : s.samples) {
    if (smp.is_stats) continue;
    put_tag(out, kSeriesSamples, pb::kLengthDelimited);
    put_varint64(out, 1 + 8 + 1 + varint_size(static_cast<uint64_t>(smp.t)));
    put_tag(out, kSampleValue, pb::kFixed64);
    uint64_t bits;
    std::memcpy(&bits, &smp.v, 8);
    put_fixed64(out, bits);
    put_tag(out, kSampleTimestamp, pb::kVarint);
    put_varint64(out, static_cast<uint64_t>(smp.t));
  }
  out += exemplars;
}

}  // namespace

Status decode_remote_write(std::string_view protobuf, MetricViewBatch* out) {
  const size_t series0 = out->series.size();
  const size_t labels0 = out->labels.size();
  const size_t samples0 = out->samples.size();
  const size_t metadata0 = out->metadata.size();
  const size_t errors0 = out->errors.size();
  const size_t exemplars0 = out->exemplars.size();
  auto fail = [&](std::string message) {
    out->series.resize(series0);
    out->labels.resize(labels0);
    out->samples.resize(samples0);
    out->exemplars.resize(exemplars0);
    out->metadata.resize(metadata0);
    out->errors.resize(errors0);
    return Status::invalid_argument("malformed remote write request: " + message);
  };

  pb::Reader r(protobuf);
  Scratch scratch;
  size_t n_series = 0;
  size_t n_metadata = 0;
  size_t last_end = 0;  // offset just past the last complete length-delimited field
  auto offset_of = [&](std::string_view payload) {
    return static_cast<size_t>(payload.data() - protobuf.data());
  };
  while (r.next()) {
    if (r.field() == kWriteRequestTimeseries) {
      std::string_view msg = r.bytes();
      if (!r.ok()) break;
      WireError e = decode_series(msg, n_series, scratch, out);
      if (e.error != nullptr) {
        return fail(fmt::format("timeseries[{}] (bytes {}..{}): {}: {}", n_series, offset_of(msg),
                                offset_of(msg) + msg.size(), e.where, e.error));
      }
      n_series++;
      last_end = offset_of(msg) + msg.size();
    } else if (r.field() == kWriteRequestMetadata) {
      std::string_view msg = r.bytes();
      if (!r.ok()) break;
      if (const char* e = decode_metadata(msg, n_metadata, out); e != nullptr) {
        return fail(fmt::format("metadata[{}] (bytes {}..{}): {}", n_metadata, offset_of(msg),
                                offset_of(msg) + msg.size(), e));
      }
      n_metadata++;
      last_end = offset_of(msg) + msg.size();
    } else if (r.wire_type() == pb::kLengthDelimited) {
      std::string_view skipped = r.bytes();
      last_end = offset_of(skipped) + skipped.size();
    }
  }
  if (!r.ok()) {
    return fail(
        fmt::format("WriteRequest field after byte {} (after {} timeseries, {} metadata): {}",
                    last_end, n_series, n_metadata, r.error()));
  }
  return OkStatus();
}

Status decode_remote_write(std::string_view protobuf, MetricBatch* out) {
  MetricViewBatch views;
  RETURN_IF_ERROR(decode_remote_write(protobuf, &views));
  for (const auto& v : views.series) {
    std::vector<Label> labels;
    labels.reserve(v.label_n);
    for (const auto& l : views.labels_of(v)) {
      labels.push_back({std::string(l.name), std::string(l.value)});
    }
    auto samples = views.samples_of(v);
    auto exemplars = views.exemplars_of(v);
    out->series.push_back(SeriesSamples{Labels::from_sorted(std::move(labels)),
                                        {samples.begin(), samples.end()},
                                        views.item(v),
                                        {exemplars.begin(), exemplars.end()}});
  }
  for (auto& m : views.metadata) out->metadata.push_back(std::move(m));
  for (auto& e : views.errors) out->errors.push_back(std::move(e));
  return OkStatus();
}

std::string encode_remote_write(const std::vector<SeriesSamples>& series,
                                const std::vector<MetadataEntry>& metadata) {
  std::string out;
  for (const auto& s : series) encode_series(out, s);
  for (const auto& m : metadata) {
    uint64_t type = 0;
    for (size_t i = 0; i < std::size(kMetricTypes); i++) {
      if (m.meta.type == kMetricTypes[i]) type = i;
    }
    std::string body;
    if (type != 0) {
      put_tag(body, kMetadataType, pb::kVarint);
      put_varint64(body, type);
    }
    put_bytes(body, kMetadataFamilyName, m.metric);
    if (!m.meta.help.empty()) put_bytes(body, kMetadataHelp, m.meta.help);
    if (!m.meta.unit.empty()) put_bytes(body, kMetadataUnit, m.meta.unit);
    put_bytes(out, kWriteRequestMetadata, body);
  }
  return out;
}

}  // namespace opsight::ingest::prometheus
