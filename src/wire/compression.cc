#include "wire/compression.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <fmt/format.h>

namespace opsight::wire {

Result<std::string> snappy_decompress(std::string_view in, uint64_t max_out) {
  size_t len = 0;
  if (!snappy::GetUncompressedLength(in.data(), in.size(), &len)) {
    return Status::invalid_argument("invalid snappy block: bad length header");
  }
  if (len > max_out) {
    return Status::resource_exhausted(fmt::format(
        "decompressed body would be {} bytes > limit {} (limits.max_decoded_bytes)", len, max_out));
  }
  std::string out;
  if (!snappy::Uncompress(in.data(), in.size(), &out)) {
    return Status::invalid_argument("invalid snappy block: corrupt data");
  }
  return out;
}

std::string snappy_compress(std::string_view in) {
  std::string out;
  snappy::Compress(in.data(), in.size(), &out);
  return out;
}

Result<std::string> gzip_decompress(std::string_view in, uint64_t max_out) {
  z_stream zs{};
  // 15 + 32: zlib or gzip header, detected automatically.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return Status::internal("inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return Status::invalid_argument(
          fmt::format("invalid gzip body: {}", zs.msg ? zs.msg : "truncated or corrupt data"));
    }
    size_t n = sizeof(buf) - zs.avail_out;
    if (out.size() + n > max_out) {
      inflateEnd(&zs);
      return Status::resource_exhausted(fmt::format(
          "decompressed body exceeds limit {} bytes (limits.max_decoded_bytes)", max_out));
    }
    out.append(buf, n);
    if (rc == Z_OK && n == 0 && zs.avail_in == 0) {
      inflateEnd(&zs);
      return Status::invalid_argument("invalid gzip body: truncated stream");
    }
  }
  inflateEnd(&zs);
  return out;
}

std::string gzip_compress(std::string_view in) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

Result<std::string> decode_content(std::string_view encoding, std::string_view in,
                                   uint64_t max_out) {
  if (encoding.empty() || encoding == "identity") {
    if (in.size() > max_out) {
      return Status::resource_exhausted(
          fmt::format("body is {} bytes > limit {}", in.size(), max_out));
    }
    return std::string(in);
  }
  if (encoding == "gzip" || encoding == "x-gzip" || encoding == "deflate") {
    return gzip_decompress(in, max_out);
  }
  if (encoding == "snappy") return snappy_decompress(in, max_out);
  if (encoding == "zstd") {
    unsigned long long size = ZSTD_getFrameContentSize(in.data(), in.size());
    if (size == ZSTD_CONTENTSIZE_ERROR) return Status::invalid_argument("invalid zstd body");
    if (size != ZSTD_CONTENTSIZE_UNKNOWN && size > max_out) {
      return Status::resource_exhausted(
          fmt::format("decompressed body would be {} bytes > limit {} (limits.max_decoded_bytes)",
                      size, max_out));
    }
    ZSTD_DStream* ds = ZSTD_createDStream();
    ZSTD_initDStream(ds);
    ZSTD_inBuffer ib{in.data(), in.size(), 0};
    std::string out;
    char buf[65536];
    while (true) {
      ZSTD_outBuffer ob{buf, sizeof(buf), 0};
      size_t rc = ZSTD_decompressStream(ds, &ob, &ib);
      if (ZSTD_isError(rc)) {
        ZSTD_freeDStream(ds);
        return Status::invalid_argument(std::string("invalid zstd body: ") + ZSTD_getErrorName(rc));
      }
      if (out.size() + ob.pos > max_out) {
        ZSTD_freeDStream(ds);
        return Status::resource_exhausted("decompressed body exceeds limit");
      }
      out.append(buf, ob.pos);
      if (rc == 0) break;
      if (ib.pos == ib.size && ob.pos == 0) {
        ZSTD_freeDStream(ds);
        return Status::invalid_argument("invalid zstd body: truncated");
      }
    }
    ZSTD_freeDStream(ds);
    return out;
  }
  return Status::invalid_argument(fmt::format(
      "unsupported Content-Encoding \"{}\" (supported: gzip, deflate, snappy, zstd)", encoding));
}

}  // namespace opsight::wire
