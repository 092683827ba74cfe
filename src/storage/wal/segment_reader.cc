#include "storage/wal/segment_reader.h"

#include <algorithm>

#include "common/coding.h"
#include "common/crc32c.h"

namespace opsight::storage::wal {
namespace {
constexpr size_t kReadChunk = 1 << 20;
}  // namespace

SegmentReader::SegmentReader(SequentialFile* file, uint64_t file_size, uint64_t segment,
                             uint64_t max_record_bytes)
    : file_(file),
      file_size_(file_size),
      segment_(segment),
      max_record_bytes_(std::min(max_record_bytes, kMaxRecordPayload)) {}

Status SegmentReader::fill(size_t n) {
  if (available() >= n || eof_) return OkStatus();
  buf_.erase(0, pos_);
  pos_ = 0;
  size_t want = std::max(n, kReadChunk);
  while (buf_.size() < n && !eof_) {
    size_t old = buf_.size();
    buf_.resize(std::max(old + kReadChunk, want));
    std::string_view got;
    Status st = file_->read(buf_.size() - old, buf_.data() + old, &got);
    if (!st.ok()) {
      buf_.resize(old);
      return st;
    }
    // read() may return a view into scratch (our buffer) or elsewhere; copy if needed.
    if (!got.empty() && got.data() != buf_.data() + old) {
      std::copy(got.begin(), got.end(), buf_.begin() + static_cast<ptrdiff_t>(old));
    }
    buf_.resize(old + got.size());
    if (got.empty()) eof_ = true;
  }
  return OkStatus();
}

SegmentReader::Outcome SegmentReader::bad(std::string detail) {
  bad_offset_ = offset_;
  detail_ = std::move(detail);
  return Outcome::kBad;
}

Result<SegmentReader::Outcome> SegmentReader::read_header(SegmentHeader* header) {
  RETURN_IF_ERROR(fill(kSegmentHeaderSize));
  if (available() == 0) return Outcome::kEnd;
  std::string detail;
  std::string_view data(buf_.data() + pos_, std::min(available(), kSegmentHeaderSize));
  switch (decode_segment_header(data, header, &detail)) {
    case HeaderCheck::kTorn:
      return bad(std::move(detail));
    case HeaderCheck::kUnsupported:
      return Status::corruption(segment_file_name(segment_) + ": " + detail);
    case HeaderCheck::kOk:
      break;
  }
  if (header->segment != segment_) {
    return Status::corruption(segment_file_name(segment_) + ": header names segment " +
                              std::to_string(header->segment) +
                              " (file renamed or copied from elsewhere?)");
  }
  pos_ += kSegmentHeaderSize;
  offset_ += kSegmentHeaderSize;
  return Outcome::kRecord;
}

Result<SegmentReader::Outcome> SegmentReader::next(std::string_view* payload) {
  RETURN_IF_ERROR(fill(kRecordHeaderSize));
  if (available() == 0) return Outcome::kEnd;
  if (available() < kRecordHeaderSize) {
    return bad("truncated record header (" + std::to_string(available()) + " of " +
               std::to_string(kRecordHeaderSize) + " bytes)");
  }
  const char* h = buf_.data() + pos_;
  uint32_t stored_crc = crc32c::unmask(decode_fixed32(h));
  uint64_t len = decode_fixed32(h + 4);
  auto type = static_cast<uint8_t>(h[8]);
  if (type != kRecordFull) return bad("bad record type " + std::to_string(type));
  if (len > max_record_bytes_) {
    return bad("record length " + std::to_string(len) + " exceeds max_record_bytes " +
               std::to_string(max_record_bytes_));
  }
  uint64_t end = offset_ + kRecordHeaderSize + len;
  if (end > file_size_) {
    return bad("record of " + std::to_string(len) + " bytes runs past the end of the file (" +
               std::to_string(file_size_) + " bytes)");
  }
  RETURN_IF_ERROR(fill(kRecordHeaderSize + static_cast<size_t>(len)));
  if (available() < kRecordHeaderSize + len) {
    return bad("short record (" + std::to_string(available()) + " of " +
               std::to_string(kRecordHeaderSize + len) + " bytes)");
  }
  h = buf_.data() + pos_;  // fill() may have moved the buffer
  uint32_t crc = crc32c::extend(0, h + 4, kRecordHeaderSize - 4 + static_cast<size_t>(len));
  if (crc != stored_crc) {
    return bad("record checksum mismatch (record of " + std::to_string(len) + " bytes)");
  }
  *payload = std::string_view(h + kRecordHeaderSize, static_cast<size_t>(len));
  pos_ += kRecordHeaderSize + static_cast<size_t>(len);
  offset_ += kRecordHeaderSize + len;
  return Outcome::kRecord;
}

}  // namespace opsight::storage::wal
