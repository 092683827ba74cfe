#include "ingest/prometheus/remote_write.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <random>

#include "wire/protobuf.h"

namespace opsight::ingest::prometheus {
namespace {

namespace pb = wire::pb;
using storage::Exemplar;
using storage::Sample;

std::string label_msg(std::string_view name, std::string_view value) {
  pb::Writer w;
  w.bytes(1, name);
  w.bytes(2, value);
  return w.take();
}

std::string sample_msg(double v, int64_t t) {
  pb::Writer w;
  w.dbl(1, v);
  w.varint(2, static_cast<uint64_t>(t));
  return w.take();
}

// A TimeSeries with the given labels (in the given order) and one sample per value.
std::string series_msg(const std::vector<std::pair<std::string, std::string>>& labels,
                       const std::vector<double>& values, int64_t t0 = 1000) {
  pb::Writer w;
  for (const auto& [n, v] : labels) w.message(1, label_msg(n, v));
  for (size_t i = 0; i < values.size(); i++) {
    w.message(2, sample_msg(values[i], t0 + static_cast<int64_t>(i)));
  }
  return w.take();
}

std::string request(const std::vector<std::string>& series) {
  pb::Writer w;
  for (const auto& s : series) w.message(1, s);
  return w.take();
}

void expect_same_samples(const std::vector<Sample>& got, const std::vector<Sample>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); i++) {
    EXPECT_TRUE(got[i].same_as(want[i]))
        << "sample " << i << ": t=" << got[i].t << " v=" << got[i].v;
  }
}

TEST(RemoteWriteTest, RoundTripKeepsLabelsSamplesAndMetadata) {
  std::vector<SeriesSamples> in;
  in.push_back({Labels{{"__name__", "http_requests_total"}, {"job", "api"}, {"code", "200"}},
                {Sample::value(1700000000000, 1), Sample::value(1700000015000, 2.5),
                 Sample::value(1700000030000, storage::stale_nan()), Sample::value(-5, -0.0),
                 Sample::value(0, 0),
                 Sample::value(std::numeric_limits<int64_t>::max(),
                               std::numeric_limits<double>::infinity())},
                ""});
  in.push_back({Labels{{"__name__", "up"}}, {Sample::value(1, 1)}, ""});
  std::vector<MetadataEntry> meta = {
      {"http_requests_total", {"counter", "Requests served.", "requests"}},
      {"up", {"gauge", "", ""}},
      {"weird", {"unknown", "h", ""}},
  };
  std::string body = encode_remote_write(in, meta);

  MetricBatch out;
  ASSERT_TRUE(decode_remote_write(body, &out).ok());
  EXPECT_TRUE(out.errors.empty());
  ASSERT_EQ(out.series.size(), 2u);
  EXPECT_EQ(out.series[0].labels, in[0].labels);
  expect_same_samples(out.series[0].samples, in[0].samples);
  EXPECT_EQ(out.series[0].item, "timeseries[0] http_requests_total{code=\"200\", job=\"api\"}");
  EXPECT_EQ(out.series[1].labels, in[1].labels);
  EXPECT_EQ(out.series[1].item, "timeseries[1] up{}");
  ASSERT_EQ(out.metadata.size(), 3u);
  for (size_t i = 0; i < meta.size(); i++) {
    EXPECT_EQ(out.metadata[i].metric, meta[i].metric);
    EXPECT_EQ(out.metadata[i].meta, meta[i].meta);
  }
}

// Prometheus sends exemplars in TimeSeries of their own (no samples); both forms are kept.
TEST(RemoteWriteTest, ExemplarsAreKeptWithOrWithoutSamples) {
  std::vector<SeriesSamples> in;
  Labels bucket{{"__name__", "latency_bucket"}, {"le", "0.5"}};
  in.push_back({bucket, {Sample::value(1000, 3)}, ""});
  in.push_back({bucket, {}, "", {Exemplar{Labels{{"trace_id", "abc"}}, 0.42, 1500}}});
  in.push_back({Labels{{"__name__", "empty"}}, {}, ""});  // neither: not a series
  MetricBatch out;
  ASSERT_TRUE(decode_remote_write(encode_remote_write(in, {}), &out).ok());
  EXPECT_TRUE(out.errors.empty());
  ASSERT_EQ(out.series.size(), 2u);
  EXPECT_TRUE(out.series[0].exemplars.empty());
  EXPECT_EQ(out.series[1].labels, bucket);
  EXPECT_TRUE(out.series[1].samples.empty());
  ASSERT_EQ(out.series[1].exemplars.size(), 1u);
  EXPECT_EQ(out.series[1].exemplars[0], (Exemplar{Labels{{"trace_id", "abc"}}, 0.42, 1500}));
  // A malformed exemplar fails the whole request, naming it.
  std::string body = encode_remote_write({in[1]}, {});
  body.back() = static_cast<char>(0x80);  // a varint that never ends
  MetricBatch bad;
  Status st = decode_remote_write(body, &bad);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("exemplars[0]"), std::string::npos) << st.message();
  EXPECT_TRUE(bad.series.empty());
}

TEST(RemoteWriteTest, ItemNameMatchesLabelsToString) {
  Labels labels{{"__name__", "m"}, {"a", "q\"uote\\back\nnl"}, {"b", "plain"}};
  std::string body = encode_remote_write({{labels, {Sample::value(1, 1)}, ""}}, {});
  MetricBatch out;
  ASSERT_TRUE(decode_remote_write(body, &out).ok());
  ASSERT_EQ(out.series.size(), 1u);
  EXPECT_EQ(out.series[0].item, "timeseries[0] " + labels.to_string());
  EXPECT_EQ(out.series[0].item, "timeseries[0] m{a=\"q\\\"uote\\\\back\\nnl\", b=\"plain\"}");
}

TEST(RemoteWriteTest, StalenessMarkerBitsPreserved) {
  std::string body = request({series_msg({{"__name__", "x"}}, {storage::stale_nan()})});
  MetricBatch out;
  ASSERT_TRUE(decode_remote_write(body, &out).ok());
  ASSERT_EQ(out.series.size(), 1u);
  EXPECT_TRUE(storage::is_stale_nan(out.series[0].samples[0].v));
}

TEST(RemoteWriteTest, MetadataUsesPublishedFieldNumbers) {
  // MetricMetadata{type = 1, metric_family_name = 2, help = 4, unit = 5} (prompb/types.proto).
  pb::Writer m;
  m.varint(1, 5);  // SUMMARY
  m.bytes(2, "rpc_duration_seconds");
  m.bytes(4, "RPC latency.");
  m.bytes(5, "seconds");
  m.varint(9, 1);  // unknown field
  pb::Writer unknown_type;
  unknown_type.varint(1, 42);
  unknown_type.bytes(2, "x");
  pb::Writer no_name;
  no_name.varint(1, 1);
  pb::Writer w;
  w.message(3, m.str());
  w.message(3, unknown_type.str());
  w.message(3, no_name.str());
  MetricBatch out;
  ASSERT_TRUE(decode_remote_write(w.str(), &out).ok());
  ASSERT_EQ(out.metadata.size(), 2u);
  EXPECT_EQ(out.metadata[0].metric, "rpc_duration_seconds");
  EXPECT_EQ(out.metadata[0].meta.type, "summary");
  EXPECT_EQ(out.metadata[0].meta.help, "RPC latency.");
  EXPECT_EQ(out.metadata[0].meta.unit, "seconds");
  EXPECT_EQ(out.metadata[1].meta.type, "unknown");
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].item, "metadata[2]");
  EXPECT_EQ(out.errors[0].message, "missing metric_family_name; entry ignored");
}

TEST(RemoteWriteTest, MetricTypeEnumMapping) {
  const char* names[] = {"unknown",        "counter", "gauge", "histogram",
                         "gaugehistogram", "summary", "info",  "stateset"};
  for (uint64_t v = 0; v < 8; v++) {
    pb::Writer m;
    m.varint(1, v);
    m.bytes(2, "m");
    pb::Writer w;
    w.message(3, m.str());
    MetricBatch out;
    ASSERT_TRUE(decode_remote_write(w.str(), &out).ok());
    ASSERT_EQ(out.metadata.size(), 1u);
    EXPECT_EQ(out.metadata[0].meta.type, names[v]) << v;
  }
}

TEST(RemoteWriteTest, UnknownFieldsAndFieldOrderAreHandled) {
  // Label with value before name and an unknown field; sample with timestamp first.
  pb::Writer label;
  label.varint(7, 3);
  label.bytes(2, "up");
  label.bytes(1, "__name__");
  pb::Writer sample;
  sample.varint(2, 1234);
  sample.fixed32(3, 9);
  sample.dbl(1, 0.5);
  pb::Writer exemplar;  // value and timestamp only, plus an unknown field
  exemplar.varint(3, 1000);
  exemplar.bytes(9, "unknown");
  exemplar.dbl(2, 0.25);
  pb::Writer series;
  series.bytes(15, "ignored");
  series.message(1, label.str());
  series.message(3, exemplar.str());
  series.message(2, sample.str());
  series.fixed64(6, 1);
  pb::Writer w;
  w.varint(5, 77);
  w.message(1, series.str());
  w.bytes(2, "reserved field");
  MetricBatch out;
  ASSERT_TRUE(decode_remote_write(w.str(), &out).ok());
  EXPECT_TRUE(out.errors.empty());
  ASSERT_EQ(out.series.size(), 1u);
  EXPECT_EQ(out.series[0].labels.metric_name(), "up");
  ASSERT_EQ(out.series[0].exemplars.size(), 1u);
  EXPECT_EQ(out.series[0].exemplars[0], (Exemplar{Labels{}, 0.25, 1000}));
  ASSERT_EQ(out.series[0].samples.size(), 1u);
  EXPECT_EQ(out.series[0].samples[0].t, 1234);
  EXPECT_EQ(out.series[0].samples[0].v, 0.5);
}

TEST(RemoteWriteTest, DefaultValuedSampleFieldsMayBeOmitted) {
  pb::Writer series;
  series.message(1, label_msg("__name__", "z"));
  series.message(2, "");  // value 0 at t 0: both fields omitted by proto3
  MetricBatch out;
  ASSERT_TRUE(decode_remote_write(request({series.str()}), &out).ok());
  ASSERT_EQ(out.series.size(), 1u);
  EXPECT_TRUE(out.series[0].samples[0].same_as(Sample::value(0, 0)));
}

TEST(RemoteWriteTest, SeriesWithoutNameIsAnItemErrorAndTheRestIsKept) {
  std::string body = request({
      series_msg({{"__name__", "a"}}, {1}),
      series_msg({{"instance", "h:9100"}, {"job", "node"}}, {1, 2}),
      series_msg({{"__name__", ""}, {"job", "x"}}, {1}),  // empty value = absent
      series_msg({{"__name__", "b"}}, {2}),
  });
  MetricBatch out;
  ASSERT_TRUE(decode_remote_write(body, &out).ok());
  ASSERT_EQ(out.series.size(), 2u);
  EXPECT_EQ(out.series[0].labels.metric_name(), "a");
  EXPECT_EQ(out.series[1].labels.metric_name(), "b");
  EXPECT_EQ(out.series[1].item, "timeseries[3] b{}");
  ASSERT_EQ(out.errors.size(), 2u);
  EXPECT_EQ(out.errors[0].item, "timeseries[1] {instance=\"h:9100\", job=\"node\"}");
  EXPECT_EQ(out.errors[0].message,
            "missing metric name (label __name__); series rejected (2 samples)");
  EXPECT_EQ(out.errors[1].item, "timeseries[2] {job=\"x\"}");
}

TEST(RemoteWriteTest, DuplicateAndUnsortedLabelsAreItemErrors) {
  std::string body = request({
      series_msg({{"__name__", "a"}, {"job", "x"}, {"job", "y"}}, {1}),
      series_msg({{"__name__", "a"}, {"zone", "1"}, {"job", "x"}}, {1}),
      series_msg({{"__name__", "ok"}, {"job", "x"}}, {1}),
  });
  MetricBatch out;
  ASSERT_TRUE(decode_remote_write(body, &out).ok());
  ASSERT_EQ(out.series.size(), 1u);
  EXPECT_EQ(out.series[0].labels.metric_name(), "ok");
  ASSERT_EQ(out.errors.size(), 2u);
  EXPECT_EQ(out.errors[0].item.substr(0, 14), "timeseries[0] ");
  EXPECT_EQ(out.errors[0].message, "duplicate label name \"job\"; series rejected (1 samples)");
  EXPECT_EQ(out.errors[1].item, "timeseries[1] a{job=\"x\", zone=\"1\"}");
  EXPECT_EQ(out.errors[1].message,
            "labels are not sorted by name: \"job\" after \"zone\"; series rejected (1 samples)");
}

TEST(RemoteWriteTest, NativeHistogramsAreCountedAsItemErrors) {
  pb::Writer series;
  series.message(1, label_msg("__name__", "latency"));
  series.message(4, "histogram 1");
  series.message(4, "histogram 2");
  pb::Writer mixed;
  mixed.message(1, label_msg("__name__", "mixed"));
  mixed.message(2, sample_msg(3, 30));
  mixed.message(4, "histogram");
  MetricBatch out;
  ASSERT_TRUE(decode_remote_write(request({series.str(), mixed.str()}), &out).ok());
  ASSERT_EQ(out.errors.size(), 2u);
  EXPECT_EQ(out.errors[0].item, "timeseries[0] latency{}");
  EXPECT_EQ(out.errors[0].message,
            "native histograms are not stored yet: 2 histogram samples dropped");
  ASSERT_EQ(out.series.size(), 1u);  // the float sample of "mixed" is kept
  EXPECT_EQ(out.series[0].labels.metric_name(), "mixed");
}

TEST(RemoteWriteTest, SeriesWithoutSamplesIsDropped) {
  MetricBatch out;
  ASSERT_TRUE(decode_remote_write(request({series_msg({{"__name__", "a"}}, {})}), &out).ok());
  EXPECT_TRUE(out.series.empty());
  EXPECT_TRUE(out.errors.empty());
}

TEST(RemoteWriteTest, EmptyBodyIsAnEmptyRequest) {
  MetricBatch out;
  ASSERT_TRUE(decode_remote_write("", &out).ok());
  EXPECT_TRUE(out.series.empty());
}

TEST(RemoteWriteTest, TruncatedBodyIsInvalidArgumentAndKeepsNothing) {
  std::string body = request({series_msg({{"__name__", "a"}}, {1, 2, 3})});
  MetricBatch out;
  Status st = decode_remote_write(std::string_view(body).substr(0, body.size() - 1), &out);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "malformed remote write request: WriteRequest field after byte 0 (after 0 "
            "timeseries, 0 metadata): truncated length-delimited field");
  EXPECT_TRUE(out.series.empty());
  EXPECT_TRUE(out.errors.empty());
}

TEST(RemoteWriteTest, EveryPrefixEitherDecodesOrFailsLeavingOutputUntouched) {
  std::vector<SeriesSamples> in;
  for (int i = 0; i < 4; i++) {
    in.push_back({Labels{{"__name__", "m"}, {"i", std::to_string(i)}},
                  {Sample::value(i, i), Sample::value(i + 1, -i)},
                  ""});
  }
  std::string body = encode_remote_write(in, {{"m", {"gauge", "help", ""}}});
  for (size_t n = 0; n <= body.size(); n++) {
    MetricBatch out;
    out.series.push_back({Labels{{"__name__", "pre"}}, {Sample::value(0, 0)}, "pre"});
    out.errors.push_back({"pre", "existing"});
    Status st = decode_remote_write(std::string_view(body).substr(0, n), &out);
    if (!st.ok()) {
      EXPECT_EQ(st.code(), Code::kInvalidArgument);
      EXPECT_EQ(out.series.size(), 1u) << n;
      EXPECT_EQ(out.errors.size(), 1u) << n;
      EXPECT_TRUE(out.metadata.empty()) << n;
    }
  }
}

TEST(RemoteWriteTest, WrongWireTypeIsInvalidArgument) {
  {
    pb::Writer w;
    w.varint(1, 5);  // timeseries as a varint
    MetricBatch out;
    Status st = decode_remote_write(w.str(), &out);
    EXPECT_EQ(st.code(), Code::kInvalidArgument);
    EXPECT_NE(st.message().find("expected length-delimited"), std::string::npos) << st.message();
  }
  {
    pb::Writer sample;
    sample.varint(1, 7);  // value must be a double (fixed64)
    pb::Writer series;
    series.message(1, label_msg("__name__", "a"));
    series.message(2, sample.str());
    MetricBatch out;
    Status st = decode_remote_write(request({series.str()}), &out);
    EXPECT_EQ(st.code(), Code::kInvalidArgument);
    EXPECT_NE(st.message().find("timeseries[0] (bytes 2.."), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("samples[0]: wire type mismatch: expected fixed64"),
              std::string::npos)
        << st.message();
  }
  {
    pb::Writer label;
    label.varint(1, 1);  // name must be a string
    pb::Writer series;
    series.message(1, label.str());
    MetricBatch out;
    Status st = decode_remote_write(request({series.str()}), &out);
    EXPECT_EQ(st.code(), Code::kInvalidArgument);
    EXPECT_NE(st.message().find("labels[0]: wire type mismatch"), std::string::npos)
        << st.message();
  }
}

TEST(RemoteWriteTest, GroupWireTypeIsInvalidArgument) {
  std::string body = "\x0b";  // field 1, wire type 3 (start group)
  MetricBatch out;
  EXPECT_EQ(decode_remote_write(body, &out).code(), Code::kInvalidArgument);
}

TEST(RemoteWriteTest, RandomSeriesRoundTrip) {
  std::mt19937_64 rng(7);
  std::vector<SeriesSamples> in;
  for (int i = 0; i < 200; i++) {
    std::vector<Label> labels = {{"__name__", "metric_" + std::to_string(rng() % 50)}};
    int n = static_cast<int>(rng() % 6);
    for (int k = 0; k < n; k++) {
      labels.push_back({"l" + std::to_string(k), std::string(rng() % 40 + 1, 'a' + k)});
    }
    std::vector<Sample> samples;
    int ns = 1 + static_cast<int>(rng() % 5);
    for (int k = 0; k < ns; k++) {
      uint64_t bits = rng();
      double v;
      std::memcpy(&v, &bits, 8);
      samples.push_back(Sample::value(static_cast<int64_t>(rng()), v));
    }
    in.push_back({Labels(std::move(labels)), std::move(samples), ""});
  }
  MetricBatch out;
  ASSERT_TRUE(decode_remote_write(encode_remote_write(in, {}), &out).ok());
  ASSERT_EQ(out.series.size(), in.size());
  for (size_t i = 0; i < in.size(); i++) {
    EXPECT_EQ(out.series[i].labels, in[i].labels);
    expect_same_samples(out.series[i].samples, in[i].samples);
  }
}

}  // namespace
}  // namespace opsight::ingest::prometheus
