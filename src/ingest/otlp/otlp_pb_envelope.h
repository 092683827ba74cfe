#pragma once
// The envelope every OTLP protobuf export request shares (opentelemetry-proto
// collector/<signal>/v1: Export<Signal>ServiceRequest{repeated Resource<Signal> = 1},
// Resource<Signal>{Resource resource = 1, repeated Scope<Signal> = 2},
// Scope<Signal>{InstrumentationScope scope = 1, repeated <item> = 2}), decoded once for metrics,
// logs and traces. Wire format: protobuf.dev/programming-guides/encoding.

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ingest/otlp/otlp_common.h"
#include "wire/protobuf.h"

namespace opsight::ingest::otlp {

// InvalidArgument "malformed OTLP protobuf at <path>: <what>".
Status pb_malformed(const std::string& path, std::string_view what);
// pb_malformed with the reader's error, or Ok when it read its message cleanly.
Status pb_check(const wire::pb::Reader& r, const std::string& path);

struct PbEnvelopeNames {
  std::string_view request;    // "ExportLogsServiceRequest"
  std::string_view resources;  // "resource_logs"
  std::string_view scopes;     // "scope_logs"
  std::string_view items;      // "log_records"
};

// Decodes `body` into *out (Resource has `resource` and the vector `scopes`; Scope has `scope`
// and the vector `items`), calling parse_item(std::string_view bytes, const std::string& path,
// Item*, DecodeBudget*) -> Status for each item. Error paths read
// "resource_logs[0].scope_logs[1].log_records[2]...".
template <typename Resource, typename Scope, typename Item, typename ParseItem>
Status decode_envelope_pb(std::string_view body, const PbEnvelopeNames& names,
                          std::vector<Resource>* out, std::vector<Scope> Resource::*scopes,
                          std::vector<Item> Scope::*items, ParseItem&& parse_item) {
  DecodeBudget budget;
  auto index = [](const std::string& path, std::string_view name, size_t i) {
    return path + "." + std::string(name) + "[" + std::to_string(i) + "]";
  };
  auto parse_scope = [&](std::string_view data, const std::string& path, Scope* s) -> Status {
    if (!budget.take()) return budget_exhausted_error();
    wire::pb::Reader r(data);
    while (r.next()) {
      if (r.field() == 1) {
        Status st = decode_scope_pb(r.bytes(), &s->scope, &budget);
        if (!st.ok()) return pb_malformed(path + ".scope", st.message());
      } else if (r.field() == 2) {
        auto& list = (*s).*items;
        std::string p = index(path, names.items, list.size());
        RETURN_IF_ERROR(parse_item(r.bytes(), p, &list.emplace_back(), &budget));
      }
    }
    return pb_check(r, path);
  };
  auto parse_resource = [&](std::string_view data, const std::string& path,
                            Resource* res) -> Status {
    if (!budget.take()) return budget_exhausted_error();
    wire::pb::Reader r(data);
    while (r.next()) {
      if (r.field() == 1) {
        Status st = decode_resource_pb(r.bytes(), &res->resource, &budget);
        if (!st.ok()) return pb_malformed(path + ".resource", st.message());
      } else if (r.field() == 2) {
        auto& list = (*res).*scopes;
        std::string p = index(path, names.scopes, list.size());
        RETURN_IF_ERROR(parse_scope(r.bytes(), p, &list.emplace_back()));
      }
    }
    return pb_check(r, path);
  };
  wire::pb::Reader r(body);
  while (r.next()) {
    if (r.field() != 1) continue;
    std::string path = std::string(names.resources) + "[" + std::to_string(out->size()) + "]";
    RETURN_IF_ERROR(parse_resource(r.bytes(), path, &out->emplace_back()));
  }
  return pb_check(r, std::string(names.request));
}

}  // namespace opsight::ingest::otlp
