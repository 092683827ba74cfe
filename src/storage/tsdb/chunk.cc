// Head chunks: Gorilla encoding (VLDB 2015, section 4.1), see chunk.h and chunk_xor.h.
//
// Layout of a head chunk's bits:
//   sample 0:  t as 64 raw bits, then the value(s) as 64 raw bits each
//   sample i:  delta-of-delta of t (previous delta of sample 0 is 0, so sample 1 writes its
//              delta), then each value XOR-coded against the same column's previous value.
// kXor has one value column (Sample::v); kStats has four (count, sum, min, max), interleaved
// per sample. The number of samples is not stored: the reader is told it (num_samples()),
// which is how the zero padding of the last byte is told apart from data.
#include <bit>
#include <cstring>

#include "storage/tsdb/chunk.h"
#include "storage/tsdb/chunk_xor.h"

namespace opsight::storage::tsdb {
namespace {

uint64_t to_bits(double d) {
  return std::bit_cast<uint64_t>(d);
}
double from_bits(uint64_t b) {
  return std::bit_cast<double>(b);
}

int columns_of(ChunkEncoding e) {
  return e == ChunkEncoding::kStats ? 4 : 1;
}

void load_values(ChunkEncoding e, const Sample& s, uint64_t v[4]) {
  if (e == ChunkEncoding::kStats) {
    v[0] = to_bits(s.stats.count);
    v[1] = to_bits(s.stats.sum);
    v[2] = to_bits(s.stats.min);
    v[3] = to_bits(s.stats.max);
  } else {
    v[0] = to_bits(s.v);
  }
}

}  // namespace

struct HeadChunk::State {
  BitWriter w;
  uint64_t prev_t = 0;
  uint64_t prev_delta = 0;
  XorState xs[4];
};

HeadChunk::HeadChunk(ChunkEncoding encoding)
    : encoding_(encoding), state_(std::make_shared<State>()) {}

void HeadChunk::append(const Sample& s) {
  State& st = *state_;
  uint64_t vals[4];
  load_values(encoding_, s, vals);
  const int cols = columns_of(encoding_);
  const auto t = static_cast<uint64_t>(s.t);
  if (num_samples_ == 0) {
    st.w.reserve(64);
    st.w.write_bits(t, 64);
    for (int c = 0; c < cols; ++c) {
      st.w.write_bits(vals[c], 64);
      st.xs[c].prev = vals[c];
    }
    min_time_ = s.t;
  } else {
    uint64_t delta = t - st.prev_t;  // wraps; any int64 sequence round-trips
    dod_write(st.w, delta - st.prev_delta);
    st.prev_delta = delta;
    for (int c = 0; c < cols; ++c) xor_write(st.w, st.xs[c], vals[c]);
  }
  st.prev_t = t;
  max_time_ = s.t;
  ++num_samples_;
}

std::string_view HeadChunk::data() const {
  return state_->w.data();
}

size_t HeadChunk::memory_bytes() const {
  return sizeof(HeadChunk) + sizeof(State) + state_->w.capacity();
}

struct ChunkIterator::Decoder {
  ChunkEncoding encoding;
  BitReader r;
  uint32_t num_samples = 0;
  uint32_t read = 0;
  uint64_t t = 0;
  uint64_t delta = 0;
  XorState xs[4];
  bool done = false;
};

ChunkIterator::ChunkIterator(ChunkEncoding encoding, std::string_view data, uint32_t num_samples)
    : d_(std::make_unique<Decoder>()) {
  d_->encoding = encoding;
  d_->r = BitReader(data);
  d_->num_samples = num_samples;
  if (encoding != ChunkEncoding::kXor && encoding != ChunkEncoding::kStats) {
    err_ = Status::corruption("head chunk: unknown encoding " +
                              std::to_string(static_cast<int>(encoding)));
    d_->done = true;
  }
}

ChunkIterator::~ChunkIterator() = default;

bool ChunkIterator::next() {
  Decoder& d = *d_;
  if (d.done) return false;
  if (d.read >= d.num_samples) {
    d.done = true;
    return false;
  }
  const int cols = columns_of(d.encoding);
  uint64_t vals[4] = {0, 0, 0, 0};
  bool ok = true;
  if (d.read == 0) {
    ok = d.r.read_bits(64, &d.t);
    for (int c = 0; ok && c < cols; ++c) {
      ok = d.r.read_bits(64, &vals[c]);
      d.xs[c].prev = vals[c];
    }
  } else {
    uint64_t dod = 0;
    ok = dod_read(d.r, &dod);
    if (ok) {
      d.delta += dod;
      d.t += d.delta;
    }
    for (int c = 0; ok && c < cols; ++c) ok = xor_read(d.r, d.xs[c], &vals[c]);
  }
  if (!ok) {
    err_ = Status::corruption("head chunk: truncated or malformed at sample " +
                              std::to_string(d.read) + " of " + std::to_string(d.num_samples));
    d.done = true;
    return false;
  }
  cur_.t = static_cast<int64_t>(d.t);
  if (d.encoding == ChunkEncoding::kStats) {
    cur_.is_stats = true;
    cur_.v = 0;
    cur_.stats =
        StatSet{from_bits(vals[0]), from_bits(vals[1]), from_bits(vals[2]), from_bits(vals[3])};
  } else {
    cur_.is_stats = false;
    cur_.v = from_bits(vals[0]);
    cur_.stats = StatSet{};
  }
  ++d.read;
  return true;
}

bool ChunkIterator::seek(int64_t target) {
  if (d_->done) return false;
  if (d_->read > 0 && cur_.t >= target) return true;
  while (next()) {
    if (cur_.t >= target) return true;
  }
  return false;
}

}  // namespace opsight::storage::tsdb
