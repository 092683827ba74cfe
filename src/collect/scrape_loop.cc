#include "collect/scrape_loop.h"

#include <fmt/format.h>

#include <unordered_set>

#include "common/logging.h"
#include "ingest/prometheus/text_format.h"
#include "storage/sample.h"
#include "wire/compression.h"

namespace opsight::collect {
namespace {

// Prometheus 2.42's scrape Accept header: OpenMetrics first, then text 0.0.4.
constexpr std::string_view kAccept =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

class HttpFetcher final : public Fetcher {
 public:
  Result<net::ClientResponse> fetch(const FetchRequest& req) override {
    net::FetchOptions o;
    o.timeout_ms = req.timeout_ms;
    o.max_body_bytes = req.max_body_bytes;
    o.cancel = req.cancel;
    return net::http_fetch("GET", req.url, "", req.headers, o);
  }
};

std::string summarize(const std::vector<ingest::ItemError>& errors) {
  if (errors.empty()) return "";
  std::string s = errors[0].item + ": " + errors[0].message;
  if (errors.size() > 1) s += fmt::format(" (and {} more errors)", errors.size() - 1);
  return s;
}

Labels with_name(const Labels& base, std::string_view name) {
  LabelsBuilder b(base);
  b.set(kMetricName, name);
  return b.build();
}

}  // namespace

std::unique_ptr<Fetcher> http_fetcher() {
  return std::make_unique<HttpFetcher>();
}

TargetScraper::TargetScraper(std::shared_ptr<JobContext> job, Target target)
    : job_(std::move(job)), target_(std::move(target)), public_labels_(target_.public_labels()) {}

TargetHealth TargetScraper::health() const {
  std::lock_guard<std::mutex> l(health_mu_);
  return health_;
}

Labels TargetScraper::sample_labels(const Labels& scraped) const {
  if (job_->config.honor_labels) {
    LabelsBuilder b(scraped);
    for (const auto& l : public_labels_) {
      if (!scraped.has(l.name)) b.set(l.name, l.value);
    }
    return b.build();
  }
  LabelsBuilder b(scraped);
  for (const auto& l : public_labels_) {
    std::string_view exposed = scraped.get(l.name);
    if (!exposed.empty()) {
      // Keep the exposed value as exported_<name> (prefixed again while that name is taken).
      std::string name = "exported_" + l.name;
      while (scraped.has(name) || public_labels_.has(name)) name = "exported_" + name;
      b.set(name, exposed);
    }
    b.set(l.name, l.value);
  }
  return b.build();
}

TargetScraper::Scraped TargetScraper::fetch_and_parse(Fetcher& fetcher, int64_t t_ms,
                                                      const std::atomic<bool>* cancel) {
  Scraped out;
  const ScrapeConfig& cfg = job_->config;
  if (job_->target_limit_exceeded.load()) {
    out.error = fmt::format("target_limit exceeded (limit {})", cfg.target_limit);
    return out;
  }
  uint64_t limit = cfg.body_size_limit > 0 ? cfg.body_size_limit : job_->default_body_limit;
  FetchRequest req;
  req.url = target_.url;
  req.timeout_ms = target_.timeout_ms;
  req.max_body_bytes = limit;
  req.cancel = cancel;
  req.headers = {{"Accept", std::string(kAccept)},
                 {"Accept-Encoding", "gzip"},
                 {"X-Prometheus-Scrape-Timeout-Seconds",
                  fmt::format("{:g}", static_cast<double>(target_.timeout_ms) / 1000.0)}};
  auto resp = fetcher.fetch(req);
  if (!resp.ok()) {
    out.error = resp.status().message();
    return out;
  }
  if (resp->status != 200) {
    out.error = fmt::format("server returned HTTP status {}", resp->status);
    return out;
  }
  std::string body = std::move(resp->body);
  std::string_view enc = resp->header("content-encoding");
  if (!enc.empty() && enc != "identity") {
    auto decoded = wire::decode_content(enc, body, limit);
    if (!decoded.ok()) {
      out.error = "cannot decode the response body: " + decoded.status().message();
      return out;
    }
    body = std::move(*decoded);
  }
  if (ingest::prometheus::is_protobuf_exposition(resp->content_type)) {
    out.error = "unsupported Content-Type \"" + resp->content_type +
                "\" (protobuf exposition; opsight reads the text and OpenMetrics formats)";
    return out;
  }
  ingest::prometheus::TextParseResult parsed;
  ingest::prometheus::TextParseOptions po;
  po.format = ingest::prometheus::text_format_for_content_type(resp->content_type);
  po.default_t_ms = t_ms;
  ingest::prometheus::parse_text(body, po, &parsed);
  out.scraped = parsed.batch.series.size();
  out.item_errors = summarize(parsed.batch.errors);
  out.batch.metadata = std::move(parsed.batch.metadata);

  for (size_t i = 0; i < parsed.batch.series.size(); i++) {
    auto& s = parsed.batch.series[i];
    Labels ls = sample_labels(s.labels);
    if (!job_->metric_relabel.empty()) {
      auto r = job_->metric_relabel.apply(ls);
      if (!r) continue;
      ls = std::move(*r);
    }
    if (ls.metric_name().empty()) continue;  // relabeled away: nothing to store it under
    if (cfg.label_limit > 0 && ls.size() > cfg.label_limit) {
      out.error = fmt::format("label_limit exceeded (metric: {}, number of labels: {}, limit: {})",
                              ls.metric_name(), ls.size(), cfg.label_limit);
      return out;
    }
    for (const auto& l : ls) {
      if (cfg.label_name_length_limit > 0 && l.name.size() > cfg.label_name_length_limit) {
        out.error = fmt::format(
            "label_name_length_limit exceeded (metric: {}, label name: {}, length: {}, limit: {})",
            ls.metric_name(), l.name, l.name.size(), cfg.label_name_length_limit);
        return out;
      }
      if (cfg.label_value_length_limit > 0 && l.value.size() > cfg.label_value_length_limit) {
        out.error = fmt::format(
            "label_value_length_limit exceeded (metric: {}, label name: {}, value length: {}, "
            "limit: {})",
            ls.metric_name(), l.name, l.value.size(), cfg.label_value_length_limit);
        return out;
      }
    }
    bool explicit_ts = parsed.has_timestamp[i] && cfg.honor_timestamps;
    if (!explicit_ts) s.samples[0].t = t_ms;
    s.labels = std::move(ls);
    out.batch.series.push_back(std::move(s));
    out.track.push_back(!explicit_ts);
  }
  if (cfg.sample_limit > 0 && out.batch.series.size() > cfg.sample_limit) {
    out.error = fmt::format("sample_limit exceeded ({} samples > limit {})",
                            out.batch.series.size(), cfg.sample_limit);
  }
  return out;
}

void TargetScraper::add_report(ingest::MetricBatch* b, int64_t t, bool up, double duration,
                               uint64_t scraped, uint64_t post, uint64_t added) const {
  auto add = [&](std::string_view name, double v) {
    ingest::SeriesSamples s;
    s.labels = with_name(public_labels_, name);
    s.samples.push_back(storage::Sample::value(t, v));
    s.item = std::string(name);
    b->series.push_back(std::move(s));
  };
  add("up", up ? 1 : 0);
  add("scrape_duration_seconds", duration);
  add("scrape_samples_scraped", static_cast<double>(scraped));
  add("scrape_samples_post_metric_relabeling", static_cast<double>(post));
  add("scrape_series_added", static_cast<double>(added));
}

void TargetScraper::scrape(Fetcher& fetcher, storage::MetricStore& store, Clock& clock,
                           const std::atomic<bool>* cancel) {
  std::lock_guard<std::mutex> run(run_mu_);
  if (ended_) return;
  int64_t t = clock.now_ms();
  int64_t start_ns = clock.mono_ns();
  Scraped s = fetch_and_parse(fetcher, t, cancel);
  double duration = static_cast<double>(clock.mono_ns() - start_ns) / 1e9;
  if (cancel != nullptr && cancel->load()) return;  // shutting down: write nothing
  bool up = s.error.empty();
  if (!up) {
    s.batch.series.clear();
    s.track.clear();
    s.batch.metadata.clear();
    s.scraped = 0;
  }
  // Staleness: series of the last scrape that are missing now.
  std::unordered_map<uint64_t, Labels> current;
  uint64_t added = 0;
  for (size_t i = 0; i < s.batch.series.size(); i++) {
    if (!s.track[i]) continue;
    uint64_t h = s.batch.series[i].labels.hash();
    if (!last_series_.contains(h)) added++;
    current.emplace(h, s.batch.series[i].labels);
  }
  uint64_t post = s.batch.series.size();
  for (auto& [h, ls] : last_series_) {
    if (current.contains(h)) continue;
    ingest::SeriesSamples st;
    st.labels = ls;
    st.samples.push_back(storage::Sample::value(t, storage::stale_nan()));
    st.item = "staleness marker";
    s.batch.series.push_back(std::move(st));
  }
  // Metadata only when it changed.
  std::vector<ingest::MetadataEntry> meta;
  for (auto& m : s.batch.metadata) {
    auto it = metadata_.find(m.metric);
    if (it != metadata_.end() && it->second == m.meta) continue;
    metadata_[m.metric] = m.meta;
    meta.push_back(std::move(m));
  }
  s.batch.metadata = std::move(meta);
  add_report(&s.batch, t, up, duration, s.scraped, post, added);
  auto outcome = ingest::write_batch(store, job_->tenant, std::move(s.batch), job_->limits);
  if (!outcome.status.ok()) {
    log::warn("scrape {}: cannot store the samples: {}", target_.url, outcome.status.to_string());
    up = false;
    s.error = "cannot store the samples: " + outcome.status.message();
  } else {
    last_series_ = std::move(current);
  }
  std::string err = s.error;
  if (err.empty()) {
    err = !s.item_errors.empty() ? s.item_errors : summarize(outcome.errors);
  }
  std::lock_guard<std::mutex> l(health_mu_);
  health_.health = up ? "up" : "down";
  health_.last_error = std::move(err);
  health_.last_scrape_ms = t;
  health_.last_duration_s = duration;
  health_.last_samples = up ? post : 0;
}

void TargetScraper::write_stale_markers(storage::MetricStore& store, int64_t t_ms) {
  std::lock_guard<std::mutex> run(run_mu_);
  if (ended_) return;
  ended_ = true;
  ingest::MetricBatch b;
  for (auto& [h, ls] : last_series_) {
    ingest::SeriesSamples st;
    st.labels = ls;
    st.samples.push_back(storage::Sample::value(t_ms, storage::stale_nan()));
    st.item = "staleness marker";
    b.series.push_back(std::move(st));
  }
  bool scraped_before;
  {
    std::lock_guard<std::mutex> l(health_mu_);
    scraped_before = health_.last_scrape_ms != 0;
  }
  if (scraped_before) {
    for (std::string_view name : {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                                  "scrape_samples_post_metric_relabeling", "scrape_series_added"}) {
      ingest::SeriesSamples st;
      st.labels = with_name(public_labels_, name);
      st.samples.push_back(storage::Sample::value(t_ms, storage::stale_nan()));
      st.item = "staleness marker";
      b.series.push_back(std::move(st));
    }
  }
  last_series_.clear();
  if (b.series.empty()) return;
  auto outcome = ingest::write_batch(store, job_->tenant, std::move(b), job_->limits);
  if (!outcome.status.ok()) {
    log::warn("target {} removed: cannot write staleness markers: {}", target_.url,
              outcome.status.to_string());
  }
}

}  // namespace opsight::collect
