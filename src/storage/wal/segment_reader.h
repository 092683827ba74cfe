#pragma once
// SegmentReader: streams the records of one segment file and classifies where it stops.
//
// It never trusts a length field beyond what the file can hold, so garbage input costs at most
// one buffer of memory (bounded by the file size and max_record_bytes). It only reads; the
// replay logic in wal.cc decides whether a bad tail is truncated (last segment) or reported
// as Corruption (any other segment). Not thread-safe; one reader per file.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/env.h"
#include "common/status.h"
#include "storage/wal/segment_format.h"

namespace opsight::storage::wal {

class SegmentReader {
 public:
  enum class Outcome {
    kRecord,  // *payload holds the next record
    kEnd,     // clean end of the segment (at a record boundary, or an empty file)
    kBad,     // torn or corrupt data starts at bad_offset(); detail() says what
  };

  // `file` must outlive the reader; `file_size` is its size when reading starts.
  SegmentReader(SequentialFile* file, uint64_t file_size, uint64_t segment,
                uint64_t max_record_bytes);

  // Reads the segment header: kRecord when it is good (records may follow), kEnd for a
  // zero-length file, kBad for a torn header (bad_offset() is 0). A header whose CRC is good but
  // which is not ours (magic, version, flags, or a segment number different from the file
  // name) is an error Status (Corruption), never kBad: that file is not torn, it is foreign.
  Result<Outcome> read_header(SegmentHeader* header);
  // The next record; *payload stays valid until the next call. I/O errors are returned as
  // Status.
  Result<Outcome> next(std::string_view* payload);

  // After kBad: the file offset where the bad data starts (the end of the good prefix).
  uint64_t bad_offset() const { return bad_offset_; }
  const std::string& detail() const { return detail_; }
  // File offset just after the last good record (or header).
  uint64_t good_end() const { return offset_; }

 private:
  // Makes at least n bytes available at buf_[pos_..]; fewer at end of file.
  Status fill(size_t n);
  size_t available() const { return buf_.size() - pos_; }
  Outcome bad(std::string detail);

  SequentialFile* file_;
  uint64_t file_size_;
  uint64_t segment_;
  uint64_t max_record_bytes_;
  std::string buf_;
  size_t pos_ = 0;
  uint64_t offset_ = 0;  // file offset of buf_[pos_]
  bool eof_ = false;
  uint64_t bad_offset_ = 0;
  std::string detail_;
};

}  // namespace opsight::storage::wal
