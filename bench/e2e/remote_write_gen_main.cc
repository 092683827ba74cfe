// opsight_e2e_gen: writes the node-exporter-like workload (node_exporter_gen.h) as Prometheus
// remote-write request bodies (snappy block + protobuf WriteRequest) to a directory, the way
// Prometheus's queue manager would send them: series sharded by label hash, each shard a stream
// of requests of at most --max-samples-per-send samples in time order.
//
// Output: <out>/shard-<k>/<nnnnnn>.rw and <out>/manifest.json (config, totals, per-file sample
// counts and time ranges, and a few series for correctness checks). With --verify every file is
// read back, decompressed and decoded, and the totals and per-series time order are checked.

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/json_writer.h"
#include "node_exporter_gen.h"
#include "wire/compression.h"

namespace opsight::bench {
namespace {

struct FileInfo {
  std::string name;  // relative to the output directory
  uint64_t samples = 0;
  int64_t min_t = 0;
  int64_t max_t = 0;
  uint64_t bytes = 0;
};

Status write_file(const std::string& path, std::string_view data) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return Status::io_error("cannot create " + path);
  const size_t n = std::fwrite(data.data(), 1, data.size(), f);
  const int rc = std::fclose(f);
  if (n != data.size() || rc != 0) return Status::io_error("short write to " + path);
  return OkStatus();
}

Result<std::string> read_file(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::io_error("cannot open " + path);
  std::string out;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

Status make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::io_error("cannot create directory " + path);
  }
  return OkStatus();
}

class ShardWriter {
 public:
  ShardWriter(std::string out_dir, uint32_t shard, size_t max_samples,
              const std::vector<std::string>* encoded_labels)
      : out_dir_(std::move(out_dir)),
        dir_name_("shard-" + std::to_string(shard)),
        max_samples_(max_samples),
        encoded_labels_(encoded_labels) {}

  Status init() { return make_dir(out_dir_ + "/" + dir_name_); }

  Status add(const GenSample& s) {
    pending_.push_back(s);
    if (pending_.size() >= max_samples_) return flush();
    return OkStatus();
  }

  Status flush() {
    if (pending_.empty()) return OkStatus();
    const std::string body = encode_write_request(*encoded_labels_, pending_);
    const std::string compressed = wire::snappy_compress(body);
    char name[32];
    std::snprintf(name, sizeof name, "/%06zu.rw", files_.size());
    FileInfo info;
    info.name = dir_name_ + name;
    info.samples = pending_.size();
    info.min_t = pending_.front().t;
    info.max_t = pending_.front().t;
    for (const GenSample& s : pending_) {
      info.min_t = std::min(info.min_t, s.t);
      info.max_t = std::max(info.max_t, s.t);
    }
    info.bytes = compressed.size();
    raw_bytes_ += body.size();
    RETURN_IF_ERROR(write_file(out_dir_ + "/" + info.name, compressed));
    files_.push_back(std::move(info));
    pending_.clear();
    return OkStatus();
  }

  const std::vector<FileInfo>& files() const { return files_; }
  uint64_t raw_bytes() const { return raw_bytes_; }

 private:
  std::string out_dir_;
  std::string dir_name_;
  size_t max_samples_;
  const std::vector<std::string>* encoded_labels_;
  std::vector<GenSample> pending_;
  std::vector<FileInfo> files_;
  uint64_t raw_bytes_ = 0;
};

// Reads every file back and checks that it decodes, that the sample total matches and that
// each series' timestamps strictly increase along its shard's stream.
Status verify(const std::string& out_dir, const std::vector<ShardWriter>& shards,
              uint64_t expected_samples) {
  uint64_t total = 0;
  for (const ShardWriter& w : shards) {
    std::unordered_map<uint64_t, int64_t> last_t;
    for (const FileInfo& f : w.files()) {
      ASSIGN_OR_RETURN(std::string compressed, read_file(out_dir + "/" + f.name));
      ASSIGN_OR_RETURN(std::string body, wire::snappy_decompress(compressed, 1ull << 30));
      ASSIGN_OR_RETURN(std::vector<DecodedSeries> series, decode_write_request(body));
      uint64_t in_file = 0;
      for (const DecodedSeries& d : series) {
        auto [it, inserted] = last_t.try_emplace(d.labels.hash(), INT64_MIN);
        for (const GenSample& s : d.samples) {
          if (s.t <= it->second) {
            return Status::internal(f.name + ": " + d.labels.to_string() +
                                    " timestamp not increasing: " + std::to_string(s.t));
          }
          it->second = s.t;
          ++in_file;
        }
      }
      if (in_file != f.samples) {
        return Status::internal(f.name + ": decoded " + std::to_string(in_file) +
                                " samples, wrote " + std::to_string(f.samples));
      }
      total += in_file;
    }
  }
  if (total != expected_samples) {
    return Status::internal("decoded " + std::to_string(total) + " samples, expected " +
                            std::to_string(expected_samples));
  }
  return OkStatus();
}

void write_labels(json::Writer& w, const Labels& labels) {
  w.begin_object();
  for (const Label& l : labels) w.kv(l.name, l.value);
  w.end_object();
}

// A few series of different kinds, from a host in the middle, plus two more from other hosts.
std::vector<size_t> check_series(const NodeExporterWorkload& w) {
  const char* wanted[] = {"node_cpu_seconds_total",
                          "node_memory_MemAvailable_bytes",
                          "node_network_receive_bytes_total",
                          "node_load1",
                          "node_time_seconds",
                          "node_filesystem_free_bytes",
                          "node_disk_io_time_seconds_total"};
  std::vector<size_t> out;
  const size_t host = w.num_hosts() / 2;
  const size_t first = host * kSeriesPerHost;
  const size_t last = std::min(w.num_series(), first + kSeriesPerHost);
  for (const char* name : wanted) {
    for (size_t i = first; i < last; ++i) {
      if (w.labels(i).metric_name() == name) {
        out.push_back(i);
        break;
      }
    }
  }
  if (w.num_series() > 2) {
    out.push_back(w.num_series() - 1);
    out.push_back(w.num_series() / 3);
  }
  return out;
}

int run(int argc, char** argv) {
  CLI::App app{"Writes node-exporter-like remote-write requests for the end-to-end benchmark"};
  std::string out_dir;
  size_t series = 10'000;
  double hours = 4;
  int64_t end_ms = 0;
  int64_t interval_ms = 15'000;
  uint64_t seed = 1;
  uint32_t shards = 4;
  size_t max_per_send = 2'000;
  bool do_verify = false;
  app.add_option("--out", out_dir, "output directory (created)")->required();
  app.add_option("--series", series, "number of series (100 per host)");
  app.add_option("--hours", hours, "hours of data, ending at --end-ms");
  app.add_option("--end-ms", end_ms, "end of the data in ms (default: now, rounded down to 1m)");
  app.add_option("--interval-ms", interval_ms, "scrape interval");
  app.add_option("--seed", seed, "random seed");
  app.add_option("--shards", shards, "queue-manager shards (one stream of requests each)")
      ->check(CLI::Range(1, 256));
  app.add_option("--max-samples-per-send", max_per_send, "samples per request")
      ->check(CLI::Range(1, 1'000'000));
  app.add_flag("--verify", do_verify, "read every file back and check it");
  CLI11_PARSE(app, argc, argv);

  if (end_ms == 0) {
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    end_ms = now / 60'000 * 60'000;
  }
  NodeExporterConfig cfg;
  cfg.num_series = series;
  cfg.end_ms = end_ms;
  cfg.duration_ms = static_cast<int64_t>(hours * 3'600'000);
  cfg.interval_ms = interval_ms;
  cfg.seed = seed;
  auto wl = NodeExporterWorkload::create(cfg);
  if (!wl.ok()) {
    std::fprintf(stderr, "opsight_e2e_gen: %s\n", wl.status().to_string().c_str());
    return 2;
  }
  NodeExporterWorkload& w = *wl;

  auto fail = [](const Status& st) {
    std::fprintf(stderr, "opsight_e2e_gen: %s\n", st.to_string().c_str());
    return 1;
  };
  if (Status st = make_dir(out_dir); !st.ok()) return fail(st);

  std::vector<std::string> encoded(w.num_series());
  std::vector<uint32_t> shard(w.num_series());
  for (size_t i = 0; i < w.num_series(); ++i) {
    encoded[i] = encode_labels(w.labels(i));
    shard[i] = shard_of(w.labels(i), shards);
  }
  std::vector<ShardWriter> writers;
  for (uint32_t k = 0; k < shards; ++k) {
    writers.emplace_back(out_dir, k, max_per_send, &encoded);
    if (Status st = writers.back().init(); !st.ok()) return fail(st);
  }
  uint64_t samples = 0;
  std::vector<GenSample> step;
  while (true) {
    step.clear();
    if (!w.next_step(&step)) break;
    for (const GenSample& s : step) {
      if (Status st = writers[shard[s.series]].add(s); !st.ok()) return fail(st);
    }
    samples += step.size();
  }
  uint64_t raw_bytes = 0, compressed_bytes = 0, files = 0;
  for (ShardWriter& sw : writers) {
    if (Status st = sw.flush(); !st.ok()) return fail(st);
    raw_bytes += sw.raw_bytes();
    for (const FileInfo& f : sw.files()) compressed_bytes += f.bytes;
    files += sw.files().size();
  }
  if (do_verify) {
    if (Status st = verify(out_dir, writers, samples); !st.ok()) return fail(st);
  }

  json::Writer j;
  j.begin_object();
  j.kv("generator", "opsight_e2e_gen node_exporter v1");
  j.kv("series", static_cast<uint64_t>(w.num_series()));
  j.kv("hosts", static_cast<uint64_t>(w.num_hosts()));
  j.kv("samples", samples);
  j.kv("start_ms", w.start_ms());
  j.kv("end_ms", w.end_ms());
  j.kv("interval_ms", interval_ms);
  j.kv("hours", hours);
  j.kv("seed", seed);
  j.kv("max_samples_per_send", static_cast<uint64_t>(max_per_send));
  j.kv("files", files);
  j.kv("raw_bytes", raw_bytes);
  j.kv("compressed_bytes", compressed_bytes);
  j.kv("verified", do_verify);
  j.key("check_series").begin_array();
  for (size_t i : check_series(w)) write_labels(j, w.labels(i));
  j.end_array();
  j.key("shards").begin_array();
  for (const ShardWriter& sw : writers) {
    j.begin_array();
    for (const FileInfo& f : sw.files()) {
      j.begin_object()
          .kv("name", f.name)
          .kv("samples", f.samples)
          .kv("min_t", f.min_t)
          .kv("max_t", f.max_t)
          .kv("bytes", f.bytes)
          .end_object();
    }
    j.end_array();
  }
  j.end_array();
  j.end_object();
  std::string manifest = j.take();
  manifest.push_back('\n');
  if (Status st = write_file(out_dir + "/manifest.json", manifest); !st.ok()) return fail(st);
  std::printf(
      "opsight_e2e_gen: %zu series, %llu samples, %llu files, %.1f MB raw, %.1f MB snappy%s\n",
      w.num_series(), static_cast<unsigned long long>(samples),
      static_cast<unsigned long long>(files), raw_bytes / 1e6, compressed_bytes / 1e6,
      do_verify ? ", verified" : "");
  return 0;
}

}  // namespace
}  // namespace opsight::bench

int main(int argc, char** argv) {
  return opsight::bench::run(argc, argv);
}
