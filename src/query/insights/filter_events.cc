#include "query/insights/filter_events.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace opsight::query::insights {
namespace {

// Parses "<timestamp>:<count>".
Status parse_token(std::string_view tok, int64_t* ts, int64_t* n) {
  const size_t colon = tok.find(':');
  if (colon != std::string_view::npos) {
    auto a = std::from_chars(tok.data(), tok.data() + colon, *ts);
    auto b = std::from_chars(tok.data() + colon + 1, tok.data() + tok.size(), *n);
    if (a.ec == std::errc() && a.ptr == tok.data() + colon && b.ec == std::errc() &&
        b.ptr == tok.data() + tok.size() && *n >= 0) {
      return OkStatus();
    }
  }
  return Status::invalid_argument(fmt::format("nextToken \"{}\" is not valid", tok));
}

}  // namespace

Result<FilterEventsResult> filter_log_events(storage::LogStore& store,
                                             const FilterEventsRequest& request,
                                             const FilterPattern& pattern) {
  if (request.limit < 1 || request.limit > kFilterEventsMaxLimit) {
    return Status::invalid_argument(
        fmt::format("limit {} must be within 1..{}", request.limit, kFilterEventsMaxLimit));
  }
  if (request.end_ms < request.start_ms) {
    return Status::invalid_argument(
        fmt::format("endTime {} is before startTime {}", request.end_ms, request.start_ms));
  }
  int64_t skip_ts = INT64_MIN;
  int64_t skip_n = 0;
  storage::LogScan scan;
  scan.groups = {request.group};
  scan.streams = request.streams;
  scan.start_ms = request.start_ms;
  if (!request.next_token.empty()) {
    RETURN_IF_ERROR(parse_token(request.next_token, &skip_ts, &skip_n));
    scan.start_ms = std::max(scan.start_ms, skip_ts);
  }
  scan.end_ms = request.end_ms == INT64_MAX ? INT64_MAX : request.end_ms + 1;
  ASSIGN_OR_RETURN(auto scanner, store.scan(request.tenant, scan));

  FilterEventsResult out;
  storage::LogRecord rec;
  int64_t last_ts = INT64_MIN, at_last_ts = 0;
  // Events at a timestamp seen so far (matching or not), for event ids.
  int64_t ordinal_ts = INT64_MIN, ordinal = 0;
  bool more = false;
  while (true) {
    ASSIGN_OR_RETURN(bool has, scanner->next(&rec));
    if (!has) break;
    if (rec.timestamp_ms != ordinal_ts) {
      ordinal_ts = rec.timestamp_ms;
      ordinal = 0;
    }
    const int64_t this_ordinal = ordinal++;
    if (!pattern.matches(rec)) continue;
    if (rec.timestamp_ms == skip_ts && skip_n > 0) {
      skip_n--;  // returned by an earlier page
      continue;
    }
    if (static_cast<int64_t>(out.events.size()) == request.limit) {
      more = true;
      break;
    }
    out.events.push_back({std::string(rec.log_stream), rec.timestamp_ms, rec.ingestion_time_ms,
                          std::string(rec.message),
                          fmt::format("{}-{}", rec.timestamp_ms, this_ordinal)});
    if (rec.timestamp_ms == last_ts) {
      at_last_ts++;
    } else {
      last_ts = rec.timestamp_ms;
      at_last_ts = 1;
    }
  }
  if (more) {
    // Events at last_ts skipped because an earlier page returned them count too.
    int64_t n = at_last_ts;
    if (last_ts == skip_ts) {
      int64_t tok_ts = 0, tok_n = 0;
      (void)parse_token(request.next_token, &tok_ts, &tok_n);
      n += tok_n;
    }
    out.next_token = fmt::format("{}:{}", last_ts, n);
  }
  out.stats = scanner->stats();
  return out;
}

}  // namespace opsight::query::insights
