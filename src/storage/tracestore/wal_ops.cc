#include "storage/tracestore/wal_ops.h"

#include "common/coding.h"
#include "storage/tracestore/span_codec.h"

namespace opsight::storage::tracestore {

void WalRecordWriter::add_spans(const Tenant& tenant, std::string_view encoded_spans) {
  body_.push_back(static_cast<char>(kWalSpansEntry));
  put_length_prefixed(body_, tenant.account);
  put_length_prefixed(body_, tenant.region);
  put_length_prefixed(body_, encoded_spans);
  n_++;
}

std::string spans_wal_record(const Tenant& tenant, uint64_t count, std::string_view encoded_spans) {
  std::string count_bytes;
  put_varint64(count_bytes, count);
  std::string out;
  out.reserve(32 + tenant.account.size() + tenant.region.size() + count_bytes.size() +
              encoded_spans.size());
  out.push_back(static_cast<char>(kWalRecordV1));
  put_varint64(out, 1);
  out.push_back(static_cast<char>(kWalSpansEntry));
  put_length_prefixed(out, tenant.account);
  put_length_prefixed(out, tenant.region);
  put_varint64(out, count_bytes.size() + encoded_spans.size());
  out.append(count_bytes);
  out.append(encoded_spans);
  return out;
}

void WalRecordWriter::add_retention(const Tenant& tenant, int days) {
  body_.push_back(static_cast<char>(kWalRetentionEntry));
  put_length_prefixed(body_, tenant.account);
  put_length_prefixed(body_, tenant.region);
  put_varint64(body_, static_cast<uint64_t>(days));
  n_++;
}

std::string WalRecordWriter::finish() const {
  std::string out;
  out.reserve(body_.size() + 12);
  out.push_back(static_cast<char>(kWalRecordV1));
  put_varint64(out, n_);
  out.append(body_);
  return out;
}

Status decode_wal_record(std::string_view payload, std::vector<WalEntry>* out) {
  out->clear();
  auto bad = [](std::string_view what) {
    return Status::corruption("trace WAL record: " + std::string(what));
  };
  if (payload.empty() || static_cast<uint8_t>(payload[0]) != kWalRecordV1) {
    return bad("unknown record type");
  }
  const char* p = payload.data() + 1;
  const char* end = payload.data() + payload.size();
  uint64_t n;
  if ((p = get_varint64(p, end, &n)) == nullptr) return bad("truncated entry count");
  if (n > static_cast<uint64_t>(end - p)) return bad("entry count exceeds the record");
  for (uint64_t i = 0; i < n; i++) {
    if (p == end) return bad("truncated entry");
    WalEntry e;
    e.type = static_cast<uint8_t>(*p++);
    std::string_view account, region;
    if ((p = get_length_prefixed(p, end, &account)) == nullptr ||
        (p = get_length_prefixed(p, end, &region)) == nullptr) {
      return bad("truncated tenant");
    }
    e.tenant = Tenant{std::string(account), std::string(region)};
    if (e.type == kWalRetentionEntry) {
      uint64_t days;
      if ((p = get_varint64(p, end, &days)) == nullptr || days == 0 ||
          days > static_cast<uint64_t>(kMaxTraceRetentionDays)) {
        return bad("bad retention entry");
      }
      e.retention_days = static_cast<int>(days);
    } else if (e.type == kWalSpansEntry) {
      std::string_view blob;
      if ((p = get_length_prefixed(p, end, &blob)) == nullptr) return bad("truncated spans");
      const char* q = blob.data();
      const char* qend = q + blob.size();
      uint64_t count;
      if ((q = get_varint64(q, qend, &count)) == nullptr ||
          count > static_cast<uint64_t>(qend - q)) {
        return bad("bad span count");
      }
      e.spans.resize(count);
      for (uint64_t k = 0; k < count; k++) {
        if (!decode_span(&q, qend, &e.spans[k])) {
          return bad("span " + std::to_string(k) + " is malformed");
        }
        if (auto rule = check_span(e.spans[k]); !rule.empty()) {
          return bad("span " + std::to_string(k) + ": " + rule);
        }
        e.spans[k].tenant = e.tenant;
      }
      if (q != qend) return bad("trailing bytes after the spans");
    } else {
      return bad("unknown entry type " + std::to_string(e.type));
    }
    out->push_back(std::move(e));
  }
  if (p != end) return bad("trailing bytes");
  return OkStatus();
}

}  // namespace opsight::storage::tracestore
