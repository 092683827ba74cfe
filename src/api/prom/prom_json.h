#pragma once
// Prometheus's JSON encoding of query results (web/api/v1 in Prometheus 2.42): sample values
// as strings in Go's strconv.FormatFloat(v, 'f', -1, 64) form ("NaN", "+Inf", "-Inf" for the
// non-finite), timestamps as seconds with up to three decimals.

#include <cstdint>
#include <string>

#include "common/labels.h"
#include "query/promql/value.h"

namespace opsight::api {

// `1700000000.5` for 1700000000500 ms, `1700000000` for a whole second.
void append_prom_timestamp(std::string& out, int64_t ms);
// `"0.1"`, `"100000"`, `"NaN"`, `"+Inf"`: quoted.
void append_prom_value(std::string& out, double v);
// {"__name__":"up","job":"x"}
void append_prom_metric(std::string& out, const Labels& labels);
// {"resultType":"...","result":...} for any query value.
std::string prom_query_data(const query::promql::Value& value);

}  // namespace opsight::api
