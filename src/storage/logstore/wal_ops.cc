#include "storage/logstore/wal_ops.h"

#include <algorithm>

#include "common/coding.h"

namespace opsight::storage::logstore {

void WalRecordWriter::add_op(const CatalogOp& op) {
  n_++;
  body_.push_back(static_cast<char>(op.type));
  put_varint64(body_, op.group_id);
  switch (op.type) {
    case CatalogOp::kCreateGroup:
      put_length_prefixed(body_, op.tenant.account);
      put_length_prefixed(body_, op.tenant.region);
      put_length_prefixed(body_, op.name);
      put_varint64(body_, static_cast<uint64_t>(op.retention_days));
      put_varsint64(body_, op.time_ms);
      break;
    case CatalogOp::kDeleteGroup:
      break;
    case CatalogOp::kPutRetention:
      put_varint64(body_, static_cast<uint64_t>(op.retention_days));
      break;
    case CatalogOp::kPutIndexedFields:
      put_varint64(body_, op.fields.size());
      for (const auto& f : op.fields) put_length_prefixed(body_, f);
      break;
    case CatalogOp::kCreateStream:
      put_varint64(body_, op.stream_id);
      put_length_prefixed(body_, op.name);
      put_varsint64(body_, op.time_ms);
      break;
    case CatalogOp::kDeleteStream:
      put_varint64(body_, op.stream_id);
      break;
  }
}

void WalRecordWriter::add_events(uint64_t group_id, uint32_t stream_id,
                                 std::string_view encoded_events) {
  n_++;
  body_.push_back(static_cast<char>(kWalEventsEntry));
  put_varint64(body_, group_id);
  put_varint64(body_, stream_id);
  body_.append(encoded_events);
}

std::string WalRecordWriter::finish() const {
  std::string out;
  out.reserve(body_.size() + 12);
  out.push_back(static_cast<char>(kWalRecordV1));
  put_varint64(out, n_);
  out.append(body_);
  return out;
}

void encode_event(std::string* out, const LogEvent& e, int64_t ingestion_time_ms) {
  put_varsint64(*out, e.timestamp_ms);
  put_varsint64(*out, ingestion_time_ms);
  put_length_prefixed(*out, e.message);
  put_length_prefixed(*out, e.severity_text);
  put_varsint64(*out, e.severity_number);
  put_length_prefixed(*out, e.trace_id);
  put_length_prefixed(*out, e.span_id);
  put_varint64(*out, e.attributes.size());
  for (const auto& a : e.attributes) {
    put_length_prefixed(*out, a.key);
    put_length_prefixed(*out, a.value);
  }
}

Status decode_wal_record(std::string_view payload, std::vector<WalEntry>* out, bool decode_events) {
  const char* p = payload.data();
  const char* end = p + payload.size();
  auto corrupt = [](const std::string& what) {
    return Status::corruption("log WAL record: malformed " + what);
  };
  auto u = [&](uint64_t* v) {
    if (p != nullptr) p = get_varint64(p, end, v);
    return p != nullptr;
  };
  auto i64 = [&](int64_t* v) {
    uint64_t x = 0;
    if (!u(&x)) return false;
    *v = zigzag_decode(x);
    return true;
  };
  auto view = [&](std::string_view* v) {
    if (p != nullptr) p = get_length_prefixed(p, end, v);
    return p != nullptr;
  };
  auto str = [&](std::string* s) {
    std::string_view v;
    if (!view(&v)) return false;
    s->assign(v);
    return true;
  };
  if (payload.empty() || static_cast<uint8_t>(*p) != kWalRecordV1) {
    return corrupt("record type");
  }
  p++;
  uint64_t n = 0;
  if (!u(&n)) return corrupt("entry count");
  out->clear();
  for (uint64_t i = 0; i < n; i++) {
    if (p == nullptr || p == end) return corrupt("entry " + std::to_string(i));
    const uint8_t type = static_cast<uint8_t>(*p++);
    WalEntry e;
    uint64_t gid = 0, x = 0;
    if (!u(&gid)) return corrupt("entry " + std::to_string(i));
    if (type == kWalEventsEntry) {
      e.is_events = true;
      e.group_id = gid;
      uint64_t count = 0;
      if (!u(&x)) return corrupt("events header");
      const char* events_start = p;
      if (!u(&count)) return corrupt("events header");
      e.stream_id = static_cast<uint32_t>(x);
      if (count > static_cast<uint64_t>(end - p)) return corrupt("event count");
      if (decode_events) e.events.reserve(count);
      for (uint64_t j = 0; j < count; j++) {
        int64_t ts = 0, ingestion = 0, sev = 0;
        std::string_view message, severity_text, trace_id, span_id;
        uint64_t nattr = 0;
        if (!i64(&ts) || !i64(&ingestion) || !view(&message) || !view(&severity_text) ||
            !i64(&sev) || !view(&trace_id) || !view(&span_id) || !u(&nattr)) {
          return corrupt("event " + std::to_string(j));
        }
        if (nattr > static_cast<uint64_t>(end - p)) return corrupt("attribute count");
        LogEvent* ev = nullptr;
        if (decode_events) {
          ev = &e.events.emplace_back();
          ev->timestamp_ms = ts;
          ev->ingestion_time_ms = ingestion;
          ev->message.assign(message);
          ev->severity_text.assign(severity_text);
          ev->severity_number = static_cast<int32_t>(sev);
          ev->trace_id.assign(trace_id);
          ev->span_id.assign(span_id);
        }
        for (uint64_t k = 0; k < nattr; k++) {
          std::string_view key, value;
          if (!view(&key) || !view(&value)) return corrupt("attribute");
          if (ev != nullptr) ev->attributes.push_back({std::string(key), std::string(value)});
        }
      }
      e.encoded_events = std::string_view(events_start, static_cast<size_t>(p - events_start));
      out->push_back(std::move(e));
      continue;
    }
    CatalogOp& op = e.op;
    op.group_id = gid;
    switch (type) {
      case CatalogOp::kCreateGroup:
        if (!str(&op.tenant.account) || !str(&op.tenant.region) || !str(&op.name) || !u(&x) ||
            !i64(&op.time_ms)) {
          return corrupt("create-group entry");
        }
        op.retention_days = static_cast<int>(std::min<uint64_t>(x, 100000));
        break;
      case CatalogOp::kDeleteGroup:
        break;
      case CatalogOp::kPutRetention:
        if (!u(&x)) return corrupt("put-retention entry");
        op.retention_days = static_cast<int>(std::min<uint64_t>(x, 100000));
        break;
      case CatalogOp::kPutIndexedFields: {
        uint64_t nf = 0;
        if (!u(&nf) || nf > static_cast<uint64_t>(end - p)) return corrupt("indexed fields");
        for (uint64_t k = 0; k < nf; k++) {
          std::string f;
          if (!str(&f)) return corrupt("indexed field");
          op.fields.push_back(std::move(f));
        }
        break;
      }
      case CatalogOp::kCreateStream:
        if (!u(&x) || !str(&op.name) || !i64(&op.time_ms)) return corrupt("create-stream entry");
        op.stream_id = static_cast<uint32_t>(x);
        break;
      case CatalogOp::kDeleteStream:
        if (!u(&x)) return corrupt("delete-stream entry");
        op.stream_id = static_cast<uint32_t>(x);
        break;
      default:
        return corrupt("entry type " + std::to_string(type));
    }
    op.type = static_cast<CatalogOp::Type>(type);
    out->push_back(std::move(e));
  }
  if (p != end) return corrupt("record (trailing bytes)");
  return OkStatus();
}

}  // namespace opsight::storage::logstore
