#pragma once
// The CloudWatch (monitoring, API version 2010-08-01) operations behind the AWS front end.
//
// Every operation is written once, against the AWS JSON 1.0 shapes of the Amazon CloudWatch API
// reference: it takes the request document as JSON text and returns the response document as
// JSON text (timestamps as epoch seconds). The protocol layer (api/aws/protocol) translates the
// other two wire protocols to and from that form: awsQuery (form fields in, XML out) and Smithy
// RPC v2 CBOR. An operation reports errors as Status, with the documented AWS error code as a
// message prefix where one applies ("InvalidParameterValue: ...", aws_error.h).
//
// Thread safety: operations are called concurrently from the server's workers.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/metric_store.h"  // Tenant

namespace opsight::api::aws {

struct CwContext {
  storage::Tenant tenant;  // the caller's account and the server's region
  int64_t now_ms = 0;
  // The tenants the caller may read when it asks to span linked accounts (api_util.h
  // request_tenants()): `tenant` first, then its linked source accounts. Empty = {tenant}.
  std::vector<storage::Tenant> tenants;
};

// JSON 1.0 request text in, JSON 1.0 response text out ("{}" for operations without output).
using CwOperation = std::function<Result<std::string>(const CwContext&, std::string_view json)>;
// Operation name ("PutMetricData") -> implementation.
using CwOperationTable = std::map<std::string, CwOperation, std::less<>>;

}  // namespace opsight::api::aws
