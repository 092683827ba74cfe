#include "storage/tsdb/block.h"

#include <simdjson.h>
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/hash.h"
#include "common/json_writer.h"
#include "storage/tsdb/chunk.h"

namespace opsight::storage::tsdb {

namespace {

constexpr std::string_view kMagic = "OPSBLOCK";
constexpr size_t kHeaderBytes = 12;  // magic + fixed32 version
constexpr int kSections = 4;         // symbols, series, page table, postings
constexpr size_t kFooterBytes = kSections * 20 + 4 + 4 + 8;
constexpr const char* kSectionNames[kSections] = {"symbols", "series", "page table", "postings"};

Status corrupt(std::string_view what) {
  return Status::corruption("block: " + std::string(what));
}

// Bounds-checked cursor over a section.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}
  bool varint(uint64_t* v) {
    const char* p = get_varint64(p_, end_, v);
    if (p == nullptr) return false;
    p_ = p;
    return true;
  }
  bool varint32(uint32_t* v) {
    uint64_t x;
    if (!varint(&x) || x > UINT32_MAX) return false;
    *v = static_cast<uint32_t>(x);
    return true;
  }
  bool fixed32(uint32_t* v) {
    if (end_ - p_ < 4) return false;
    *v = decode_fixed32(p_);
    p_ += 4;
    return true;
  }
  bool bytes(uint64_t n, std::string_view* out) {
    if (n > static_cast<uint64_t>(end_ - p_)) return false;
    *out = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  bool count(uint64_t* n, uint64_t min_bytes) {
    return varint(n) && *n <= static_cast<uint64_t>(end_ - p_) / min_bytes;
  }
  bool at_end() const { return p_ == end_; }

 private:
  const char* p_;
  const char* end_;
};

Result<std::string> read_range(const RandomAccessFile& f, uint64_t offset, uint64_t n) {
  std::string buf(n, '\0');
  std::string_view got;
  RETURN_IF_ERROR(f.read(offset, n, buf.data(), &got));
  if (got.size() != n) return corrupt("short read at offset " + std::to_string(offset));
  if (got.data() != buf.data()) return std::string(got);
  return buf;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// meta.json

std::string BlockMeta::to_json() const {
  json::Writer w;
  w.begin_object();
  w.kv("version", static_cast<uint64_t>(kBlockFormatVersion));
  w.kv("id", block_dir_name(id));
  w.kv("min_time", min_time).kv("max_time", max_time);
  w.kv("level", level);
  w.kv("priority", priority);
  w.kv("num_series", num_series).kv("num_samples", num_samples);
  w.kv("data_bytes", data_bytes);
  w.key("sources").begin_array();
  for (uint64_t s : sources) w.value(block_dir_name(s));
  w.end_array();
  w.end_object();
  return w.take() + "\n";
}

Result<BlockMeta> BlockMeta::parse(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::padded_string padded(text);
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS) {
    return Status::corruption("meta.json: not valid JSON");
  }
  auto bad = [](const char* field) {
    return Status::corruption(std::string("meta.json: missing or invalid field ") + field);
  };
  BlockMeta m;
  uint64_t version;
  if (doc["version"].get_uint64().get(version) != simdjson::SUCCESS) return bad("version");
  if (version != kBlockFormatVersion) {
    return Status::corruption("meta.json: unsupported block format version " +
                              std::to_string(version));
  }
  std::string_view id;
  if (doc["id"].get_string().get(id) != simdjson::SUCCESS || !parse_block_dir_name(id, &m.id)) {
    return bad("id");
  }
  int64_t level;
  if (doc["min_time"].get_int64().get(m.min_time) != simdjson::SUCCESS) return bad("min_time");
  if (doc["max_time"].get_int64().get(m.max_time) != simdjson::SUCCESS) return bad("max_time");
  if (doc["level"].get_int64().get(level) != simdjson::SUCCESS || level < 0 || level > 16) {
    return bad("level");
  }
  m.level = static_cast<int>(level);
  if (doc["priority"].get_uint64().get(m.priority) != simdjson::SUCCESS) return bad("priority");
  if (doc["num_series"].get_uint64().get(m.num_series) != simdjson::SUCCESS) {
    return bad("num_series");
  }
  if (doc["num_samples"].get_uint64().get(m.num_samples) != simdjson::SUCCESS) {
    return bad("num_samples");
  }
  if (doc["data_bytes"].get_uint64().get(m.data_bytes) != simdjson::SUCCESS) {
    return bad("data_bytes");
  }
  simdjson::dom::array sources;
  if (doc["sources"].get_array().get(sources) != simdjson::SUCCESS) return bad("sources");
  for (auto s : sources) {
    std::string_view sid;
    uint64_t v;
    if (s.get_string().get(sid) != simdjson::SUCCESS || !parse_block_dir_name(sid, &v)) {
      return bad("sources");
    }
    m.sources.push_back(v);
  }
  if (m.min_time > m.max_time) return bad("min_time/max_time");
  return m;
}

// ---------------------------------------------------------------------------------------------
// BlockWriter

Result<std::unique_ptr<BlockWriter>> BlockWriter::create(Env* env, std::string dir,
                                                         int zstd_level) {
  if (env->file_exists(dir)) return Status::already_exists("block directory exists: " + dir);
  RETURN_IF_ERROR(env->create_dirs(dir));
  std::unique_ptr<BlockWriter> w(new BlockWriter(env, dir, zstd_level));
  ASSIGN_OR_RETURN(w->file_, env->new_writable_file(join_path(dir, "data")));
  w->cctx_ = ZSTD_createCCtx();
  if (w->cctx_ == nullptr) return Status::internal("zstd: cannot create a compression context");
  std::string header(kMagic);
  put_fixed32(header, kBlockFormatVersion);
  RETURN_IF_ERROR(w->file_->append(header));
  return w;
}

BlockWriter::~BlockWriter() {
  if (cctx_ != nullptr) ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_));
  if (file_ != nullptr && !finished_) (void)file_->close();
}

Status BlockWriter::add_series(const Labels& labels, std::span<const Sample> samples) {
  if (finished_) return Status::failed_precondition("block writer already finished");
  if (labels.empty()) return Status::invalid_argument("block series without labels");
  if (!series_.empty() && !(series_.back().labels < labels)) {
    return Status::invalid_argument("block series out of order: " + labels.to_string() + " after " +
                                    series_.back().labels.to_string());
  }
  if (samples.empty()) return Status::invalid_argument("block series without samples");
  for (size_t i = 1; i < samples.size(); i++) {
    if (samples[i].t <= samples[i - 1].t) {
      return Status::invalid_argument("block series samples not ascending: " + labels.to_string());
    }
  }
  // encode_block_series holds one sample kind; a series whose kind changes (e.g. a staleness
  // marker between statistic sets) is stored as several length-prefixed runs.
  blob_.clear();
  uint32_t runs = 0;
  for (size_t i = 0; i < samples.size();) {
    size_t j = i + 1;
    while (j < samples.size() && samples[j].is_stats == samples[i].is_stats) j++;
    runs++;
    if (i == 0 && j == samples.size()) {
      encode_block_series(samples, &blob_);
    } else {
      run_.clear();
      encode_block_series(samples.subspan(i, j - i), &run_);
      put_length_prefixed(blob_, run_);
    }
    i = j;
  }
  if (blob_.size() > kMaxPageBytes) {
    return Status::resource_exhausted("series too large for one block page: " + labels.to_string());
  }
  if (!page_.empty() && page_.size() + blob_.size() > kMaxPageBytes) RETURN_IF_ERROR(flush_page());
  SeriesRec rec{labels,
                samples.front().t,
                samples.back().t,
                samples.size(),
                runs,
                static_cast<uint32_t>(pages_.size()),
                static_cast<uint32_t>(page_.size()),
                static_cast<uint32_t>(blob_.size())};
  series_.push_back(std::move(rec));
  page_ += blob_;
  num_samples_ += samples.size();
  min_time_ = std::min(min_time_, samples.front().t);
  max_time_ = std::max(max_time_, samples.back().t);
  if (page_.size() >= kPageTargetBytes) RETURN_IF_ERROR(flush_page());
  return OkStatus();
}

Status BlockWriter::flush_page() {
  if (page_.empty()) return OkStatus();
  std::string out(ZSTD_compressBound(page_.size()), '\0');
  size_t n = ZSTD_compressCCtx(static_cast<ZSTD_CCtx*>(cctx_), out.data(), out.size(), page_.data(),
                               page_.size(), level_);
  if (ZSTD_isError(n)) return Status::internal(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  PageRec p{file_->size(), n, page_.size(), crc32c::mask(crc32c::value(out))};
  RETURN_IF_ERROR(file_->append(out));
  pages_.push_back(p);
  page_.clear();
  return OkStatus();
}

Status BlockWriter::write_section(std::string_view data, uint64_t* offset, uint32_t* crc) {
  *offset = file_->size();
  *crc = crc32c::mask(crc32c::value(data));
  return file_->append(data);
}

Status BlockWriter::finish(BlockMeta* meta) {
  if (finished_) return Status::failed_precondition("block writer already finished");
  RETURN_IF_ERROR(flush_page());
  // Symbols.
  std::vector<std::string_view> syms;
  for (const auto& s : series_) {
    for (const auto& l : s.labels) {
      syms.push_back(l.name);
      syms.push_back(l.value);
    }
  }
  std::sort(syms.begin(), syms.end());
  syms.erase(std::unique(syms.begin(), syms.end()), syms.end());
  std::unordered_map<std::string_view, uint32_t> sym_id;
  sym_id.reserve(syms.size());
  std::string sec[kSections];
  put_varint64(sec[0], syms.size());
  for (size_t i = 0; i < syms.size(); i++) {
    sym_id.emplace(syms[i], static_cast<uint32_t>(i));
    put_length_prefixed(sec[0], syms[i]);
  }
  // Series, and postings by symbol ids (sorted symbol ids = sorted strings).
  std::map<uint32_t, std::map<uint32_t, Bitmap>> post;
  put_varint64(sec[1], series_.size());
  for (size_t i = 0; i < series_.size(); i++) {
    const auto& s = series_[i];
    put_varint64(sec[1], s.labels.size());
    for (const auto& l : s.labels) {
      uint32_t n = sym_id.at(l.name), v = sym_id.at(l.value);
      put_varint64(sec[1], n);
      put_varint64(sec[1], v);
      post[n][v].add(static_cast<uint32_t>(i));
    }
    put_varsint64(sec[1], s.min_time);
    put_varint64(sec[1], static_cast<uint64_t>(s.max_time) - static_cast<uint64_t>(s.min_time));
    put_varint64(sec[1], s.num_samples);
    put_varint64(sec[1], s.runs);
    put_varint64(sec[1], s.page);
    put_varint64(sec[1], s.offset);
    put_varint64(sec[1], s.length);
  }
  put_varint64(sec[2], pages_.size());
  for (const auto& p : pages_) {
    put_varint64(sec[2], p.offset);
    put_varint64(sec[2], p.compressed);
    put_varint64(sec[2], p.raw);
    put_fixed32(sec[2], p.crc);
  }
  put_varint64(sec[3], post.size());
  std::string bm;
  for (const auto& [n, values] : post) {
    put_varint64(sec[3], n);
    put_varint64(sec[3], values.size());
    for (const auto& [v, b] : values) {
      put_varint64(sec[3], v);
      bm.clear();
      b.serialize(&bm);
      put_length_prefixed(sec[3], bm);
    }
  }
  std::string footer;
  for (auto& s : sec) {
    uint64_t off;
    uint32_t crc;
    RETURN_IF_ERROR(write_section(s, &off, &crc));
    put_fixed64(footer, off);
    put_fixed64(footer, s.size());
    put_fixed32(footer, crc);
    std::string().swap(s);
  }
  put_fixed32(footer, kBlockFormatVersion);
  put_fixed32(footer, crc32c::mask(crc32c::value(footer)));
  footer += kMagic;
  RETURN_IF_ERROR(file_->append(footer));
  RETURN_IF_ERROR(file_->sync());
  RETURN_IF_ERROR(file_->close());
  finished_ = true;

  meta->min_time = series_.empty() ? 0 : min_time_;
  meta->max_time = series_.empty() ? 0 : max_time_;
  meta->num_series = series_.size();
  meta->num_samples = num_samples_;
  meta->data_bytes = file_->size();
  ASSIGN_OR_RETURN(auto mf, env_->new_writable_file(join_path(dir_, "meta.json")));
  RETURN_IF_ERROR(mf->append(meta->to_json()));
  RETURN_IF_ERROR(mf->sync());
  RETURN_IF_ERROR(mf->close());
  return env_->sync_dir(dir_);
}

// ---------------------------------------------------------------------------------------------
// BlockReader

BlockReader::BlockReader(std::unique_ptr<RandomAccessFile> file, PageCache* cache)
    : file_(std::move(file)), cache_(cache), owner_(PageCache::new_owner()) {}

BlockReader::~BlockReader() {
  if (cache_ != nullptr) cache_->erase_owner(owner_);
}

Result<std::unique_ptr<BlockReader>> BlockReader::open(std::unique_ptr<RandomAccessFile> file,
                                                       PageCache* cache) {
  std::unique_ptr<BlockReader> r(new BlockReader(std::move(file), cache));
  RETURN_IF_ERROR(r->load());
  return r;
}

Status BlockReader::load() {
  const uint64_t size = file_->size();
  if (size < kHeaderBytes + kFooterBytes) return corrupt("file too short");
  ASSIGN_OR_RETURN(std::string header, read_range(*file_, 0, kHeaderBytes));
  if (std::string_view(header).substr(0, 8) != kMagic) return corrupt("bad magic");
  if (decode_fixed32(header.data() + 8) != kBlockFormatVersion) {
    return corrupt("unsupported format version " +
                   std::to_string(decode_fixed32(header.data() + 8)));
  }
  const uint64_t footer_at = size - kFooterBytes;
  ASSIGN_OR_RETURN(std::string footer, read_range(*file_, footer_at, kFooterBytes));
  if (std::string_view(footer).substr(kFooterBytes - 8) != kMagic) return corrupt("bad footer");
  const size_t crc_at = kSections * 20 + 4;
  if (crc32c::unmask(decode_fixed32(footer.data() + crc_at)) !=
      crc32c::value(std::string_view(footer.data(), crc_at))) {
    return corrupt("footer checksum mismatch");
  }
  if (decode_fixed32(footer.data() + kSections * 20) != kBlockFormatVersion) {
    return corrupt("footer version mismatch");
  }
  std::string sec[kSections];
  uint64_t data_end = footer_at;  // pages end where the first section begins
  uint64_t prev_end = kHeaderBytes;
  for (int i = 0; i < kSections; i++) {
    const char* f = footer.data() + i * 20;
    uint64_t off = decode_fixed64(f), len = decode_fixed64(f + 8);
    uint32_t crc = decode_fixed32(f + 16);
    if (off < prev_end || off > footer_at || len > footer_at - off) {
      return corrupt(std::string(kSectionNames[i]) + " section out of bounds");
    }
    if (i == 0) data_end = off;
    prev_end = off + len;
    ASSIGN_OR_RETURN(sec[i], read_range(*file_, off, len));
    if (crc32c::unmask(crc) != crc32c::value(sec[i])) {
      return corrupt(std::string(kSectionNames[i]) + " section checksum mismatch");
    }
  }
  RETURN_IF_ERROR(parse_symbols(sec[0]));
  RETURN_IF_ERROR(parse_pages(sec[2], data_end));
  RETURN_IF_ERROR(parse_series(sec[1]));
  return parse_postings(sec[3]);
}

Status BlockReader::parse_symbols(std::string_view s) {
  Cursor c(s);
  uint64_t n;
  if (!c.count(&n, 1)) return corrupt("bad symbol count");
  symbols_.reserve(n);
  for (uint64_t i = 0; i < n; i++) {
    uint64_t len;
    std::string_view v;
    if (!c.varint(&len) || !c.bytes(len, &v)) return corrupt("truncated symbol");
    if (!symbols_.empty() && !(symbols_.back() < v)) return corrupt("symbols not sorted");
    symbols_.emplace_back(v);
  }
  if (!c.at_end()) return corrupt("trailing bytes in symbols");
  return OkStatus();
}

Status BlockReader::parse_pages(std::string_view s, uint64_t data_end) {
  Cursor c(s);
  uint64_t n;
  if (!c.count(&n, 7)) return corrupt("bad page count");
  pages_.reserve(n);
  uint64_t prev_end = kHeaderBytes;
  for (uint64_t i = 0; i < n; i++) {
    PageRec p;
    if (!c.varint(&p.offset) || !c.varint(&p.compressed) || !c.varint(&p.raw) ||
        !c.fixed32(&p.crc)) {
      return corrupt("truncated page table");
    }
    if (p.offset < prev_end || p.offset > data_end || p.compressed > data_end - p.offset ||
        p.raw > kMaxPageBytes) {
      return corrupt("page " + std::to_string(i) + " out of bounds");
    }
    prev_end = p.offset + p.compressed;
    pages_.push_back(p);
  }
  if (!c.at_end()) return corrupt("trailing bytes in page table");
  return OkStatus();
}

Status BlockReader::parse_series(std::string_view s) {
  Cursor c(s);
  uint64_t n;
  if (!c.count(&n, 8)) return corrupt("bad series count");
  series_.reserve(n);
  for (uint64_t i = 0; i < n; i++) {
    SeriesRec r;
    uint64_t nl;
    if (!c.count(&nl, 2) || nl == 0)
      return corrupt("bad label count of series " + std::to_string(i));
    r.labels_begin = static_cast<uint32_t>(label_syms_.size());
    r.num_labels = static_cast<uint32_t>(nl);
    for (uint64_t k = 0; k < nl; k++) {
      uint32_t name, value;
      if (!c.varint32(&name) || !c.varint32(&value)) return corrupt("truncated series labels");
      if (name >= symbols_.size() || value >= symbols_.size()) {
        return corrupt("series label symbol out of range");
      }
      if (k > 0 && name <= label_syms_[label_syms_.size() - 2]) {
        return corrupt("series label names not ascending");
      }
      if (symbols_[name].empty() || symbols_[value].empty()) return corrupt("empty label");
      label_syms_.push_back(name);
      label_syms_.push_back(value);
    }
    uint64_t zmin, span;
    if (!c.varint(&zmin) || !c.varint(&span) || !c.varint(&r.num_samples) || !c.varint32(&r.runs) ||
        !c.varint32(&r.page) || !c.varint32(&r.offset) || !c.varint32(&r.length)) {
      return corrupt("truncated series entry");
    }
    r.min_time = zigzag_decode(zmin);
    if (span > static_cast<uint64_t>(INT64_MAX) - static_cast<uint64_t>(r.min_time)) {
      return corrupt("series time range overflows");
    }
    r.max_time = static_cast<int64_t>(static_cast<uint64_t>(r.min_time) + span);
    if (r.num_samples == 0 || r.runs == 0 || r.runs > r.num_samples || r.page >= pages_.size() ||
        uint64_t{r.offset} + r.length > pages_[r.page].raw) {
      return corrupt("series " + std::to_string(i) + " points outside its page");
    }
    series_.push_back(r);
    if (i > 0 &&
        !(series_labels(static_cast<uint32_t>(i - 1)) < series_labels(static_cast<uint32_t>(i)))) {
      return corrupt("series not sorted by labels");
    }
  }
  if (!c.at_end()) return corrupt("trailing bytes in series");
  return OkStatus();
}

Status BlockReader::parse_postings(std::string_view s) {
  Cursor c(s);
  uint64_t n;
  if (!c.count(&n, 2)) return corrupt("bad postings name count");
  int64_t prev_name = -1;
  for (uint64_t i = 0; i < n; i++) {
    uint32_t name;
    uint64_t nv;
    if (!c.varint32(&name) || !c.count(&nv, 2)) return corrupt("truncated postings");
    if (name >= symbols_.size() || int64_t{name} <= prev_name) {
      return corrupt("postings names out of range or not ascending");
    }
    prev_name = name;
    auto& values = postings_[symbols_[name]];
    int64_t prev_value = -1;
    for (uint64_t k = 0; k < nv; k++) {
      uint32_t value;
      uint64_t len;
      std::string_view bytes;
      if (!c.varint32(&value) || !c.varint(&len) || !c.bytes(len, &bytes)) {
        return corrupt("truncated postings entry");
      }
      if (value >= symbols_.size() || int64_t{value} <= prev_value) {
        return corrupt("postings values out of range or not ascending");
      }
      prev_value = value;
      auto bm = Bitmap::deserialize(bytes);
      if (!bm.ok()) return bm.status();
      if (!bm->empty() && bm->maximum() >= series_.size()) {
        return corrupt("postings refer to a series beyond the series table");
      }
      values.emplace(symbols_[value], std::move(*bm));
    }
  }
  if (!c.at_end()) return corrupt("trailing bytes in postings");
  // Every series is in the postings of its labels; the all-series set is simply every id.
  all_.clear();
  for (uint32_t i = 0; i < series_.size(); i++) all_.add(i);
  return OkStatus();
}

Labels BlockReader::series_labels(uint32_t id) const {
  const SeriesRec& r = series_[id];
  std::vector<Label> labels;
  labels.reserve(r.num_labels);
  for (uint32_t k = 0; k < r.num_labels; k++) {
    labels.push_back(Label{symbols_[label_syms_[r.labels_begin + 2 * k]],
                           symbols_[label_syms_[r.labels_begin + 2 * k + 1]]});
  }
  return Labels::from_sorted(std::move(labels));
}

uint64_t BlockReader::series_labels_hash(uint32_t id) const {
  // The bytes Labels::hash() hashes: name 0xff value 0xff per label.
  const SeriesRec& r = series_[id];
  XxHash64 h(0);
  static constexpr char kSep = '\xff';
  for (uint32_t k = 0; k < 2 * r.num_labels; k++) {
    h.update(symbols_[label_syms_[r.labels_begin + k]]);
    h.update(std::string_view(&kSep, 1));
  }
  return h.digest();
}

bool BlockReader::series_labels_equal(uint32_t id, const Labels& labels) const {
  const SeriesRec& r = series_[id];
  if (labels.size() != r.num_labels) return false;
  for (uint32_t k = 0; k < r.num_labels; k++) {
    if (labels[k].name != symbols_[label_syms_[r.labels_begin + 2 * k]] ||
        labels[k].value != symbols_[label_syms_[r.labels_begin + 2 * k + 1]]) {
      return false;
    }
  }
  return true;
}

Result<std::shared_ptr<const std::string>> BlockReader::page(uint32_t index) const {
  if (cache_ != nullptr) {
    if (auto p = cache_->get(owner_, index)) return p;
  }
  const PageRec& p = pages_[index];
  ASSIGN_OR_RETURN(std::string compressed, read_range(*file_, p.offset, p.compressed));
  if (crc32c::unmask(p.crc) != crc32c::value(compressed)) {
    return corrupt("page " + std::to_string(index) + " checksum mismatch");
  }
  unsigned long long content = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (content != p.raw) return corrupt("page " + std::to_string(index) + " size mismatch");
  auto raw = std::make_shared<std::string>(p.raw, '\0');
  size_t n = ZSTD_decompress(raw->data(), raw->size(), compressed.data(), compressed.size());
  if (ZSTD_isError(n) || n != p.raw) {
    return corrupt("page " + std::to_string(index) + " does not decompress");
  }
  std::shared_ptr<const std::string> out = std::move(raw);
  if (cache_ != nullptr) cache_->put(owner_, index, out);
  return out;
}

template <typename Out>
Status BlockReader::check_range_decode(const SeriesRec& r, uint32_t id, std::vector<Out>* out,
                                       size_t start, Status decoded, const BlockSeriesInfo& info) {
  if (!decoded.ok()) return decoded.with_prefix("block series " + std::to_string(id));
  if (info.num_samples != r.num_samples ||
      (info.num_samples > 0 && !info.is_stats &&
       (info.min_time < r.min_time || info.max_time > r.max_time))) {
    out->resize(start);
    return corrupt("series sample count or time range disagrees with the index");
  }
  return OkStatus();
}

Status BlockReader::series_values(uint32_t id, int64_t mint, int64_t maxt,
                                  std::vector<ValuePoint>* out, bool* has_stats) const {
  *has_stats = false;
  const SeriesRec& r = series_[id];
  if (r.max_time < mint || r.min_time > maxt) return OkStatus();
  if (r.runs != 1) {
    *has_stats = true;  // several runs: the series mixes values and statistic sets
    return OkStatus();
  }
  ASSIGN_OR_RETURN(auto pg, page(r.page));
  std::string_view blob = std::string_view(*pg).substr(r.offset, r.length);
  BlockSeriesInfo info;
  const size_t start = out->size();
  RETURN_IF_ERROR(check_range_decode(
      r, id, out, start, decode_block_values_range(blob, mint, maxt, out, &info), info));
  *has_stats = info.is_stats;
  return OkStatus();
}

Status BlockReader::series_samples(uint32_t id, int64_t mint, int64_t maxt,
                                   std::vector<Sample>* out) const {
  const SeriesRec& r = series_[id];
  if (r.max_time < mint || r.min_time > maxt) return OkStatus();
  ASSIGN_OR_RETURN(auto pg, page(r.page));
  std::string_view blob = std::string_view(*pg).substr(r.offset, r.length);
  if (r.runs == 1) {
    // The common case: decode only the window, straight into *out.
    BlockSeriesInfo info;
    const size_t start = out->size();
    return check_range_decode(r, id, out, start,
                              decode_block_series_range(blob, mint, maxt, out, &info), info);
  }
  // A series that mixes sample kinds: several runs, merged by time.
  std::vector<Sample> all;
  {
    Cursor c(blob);
    for (uint32_t k = 0; k < r.runs; k++) {
      uint64_t len;
      std::string_view run;
      if (!c.varint(&len) || !c.bytes(len, &run)) return corrupt("truncated series run");
      Status st = decode_block_series(run, &all);
      if (!st.ok()) return st.with_prefix("block series " + std::to_string(id));
      if (all.size() > r.num_samples) return corrupt("series sample count mismatch");
    }
    if (!c.at_end()) return corrupt("trailing bytes after series runs");
  }
  if (all.size() != r.num_samples) return corrupt("series sample count mismatch");
  for (size_t i = 0; i < all.size(); i++) {
    if ((i > 0 && all[i].t <= all[i - 1].t) || all[i].t < r.min_time || all[i].t > r.max_time) {
      return corrupt("series samples out of order or outside the series' time range");
    }
  }
  auto lo = std::lower_bound(all.begin(), all.end(), mint,
                             [](const Sample& s, int64_t t) { return s.t < t; });
  for (auto it = lo; it != all.end() && it->t <= maxt; ++it) out->push_back(*it);
  return OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Block

Result<std::shared_ptr<Block>> Block::open(Env* env, const std::string& dir, PageCache* cache) {
  std::shared_ptr<Block> b(new Block());
  b->dir_ = dir;
  ASSIGN_OR_RETURN(std::string meta_text, env->read_file(join_path(dir, "meta.json")));
  ASSIGN_OR_RETURN(b->meta_, BlockMeta::parse(meta_text));
  ASSIGN_OR_RETURN(auto file, env->new_random_access_file(join_path(dir, "data")));
  ASSIGN_OR_RETURN(b->reader_, BlockReader::open(std::move(file), cache));
  if (b->reader_->num_series() != b->meta_.num_series) {
    return Status::corruption("block " + dir + ": meta.json and data disagree on series count");
  }
  return b;
}

}  // namespace opsight::storage::tsdb
