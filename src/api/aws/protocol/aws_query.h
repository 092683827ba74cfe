#pragma once
// The awsQuery protocol (smithy.io "AWS query protocol"; Amazon CloudWatch API reference,
// "Making API requests" / "Query requests"), translated to and from AWS JSON 1.0 documents.
//
// Requests: form fields `Action=<Op>&Version=2010-08-01&<members>` where a member is spelled
//   Name=value                        a scalar (typed by the ShapeTable)
//   Name.member.N=value               element N (1-based) of a list
//   Name.member.N.Child=value         a structure inside a list
//   Name.Child=value                  a structure member
//   Name.entry.N.key / .value         entry N of a map
//   Name=  (empty, list member)       an empty list
// query_to_json() builds the JSON 1.0 request (list elements in index order; timestamps,
// accepted as ISO 8601 or epoch seconds, become epoch seconds). A value that does not parse as
// its member's type is "InvalidParameterValue: ..." naming the field; a malformed path (a
// missing or non-numeric index, a member both scalar and structure) is "MalformedQueryString".
//
// Responses: json_to_query_xml() renders
//   <OpResponse xmlns="..."><OpResult>...</OpResult>
//     <ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></OpResponse>
// with lists as <member> elements, maps as <entry><key/><value/></entry>, timestamps in ISO 8601
// (UTC, milliseconds), numbers in shortest round-trip form, text XML-escaped; OpResult is left
// out only for an empty answer of an operation without an output shape (PutMetricData, ...):
// clients expect the (possibly empty) element for all the others. Errors: query_error_response()
// renders
//   <ErrorResponse xmlns="..."><Error><Type>Sender|Receiver</Type><Code/><Message/></Error>
//     <RequestId/></ErrorResponse>
//
// Thread safety: pure functions.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/aws/protocol/aws_error.h"
#include "api/aws/protocol/shapes.h"
#include "api/http/http.h"
#include "common/status.h"

namespace opsight::api::aws {

// The CloudWatch (monitoring) XML namespace.
inline constexpr std::string_view kCloudWatchXmlns =
    "http://monitoring.amazonaws.com/doc/2010-08-01/";

// Form fields (Action and Version are skipped) -> JSON 1.0 request document.
Result<std::string> query_to_json(const std::vector<std::pair<std::string, std::string>>& fields,
                                  const ShapeTable& shapes);

// JSON 1.0 response document -> awsQuery XML response of `operation`. InvalidArgument when
// `json` is not a JSON object.
Result<std::string> json_to_query_xml(std::string_view operation, std::string_view json,
                                      std::string_view request_id, std::string_view xmlns,
                                      const ShapeTable& shapes);

// The <ErrorResponse> document with the error's HTTP status, Content-Type text/xml and
// x-amzn-RequestId.
HttpResponse query_error_response(const AwsError& error, std::string_view request_id,
                                  std::string_view xmlns);

// Appends `s` XML-escaped (&, <, >, ", '; CR, LF and TAB as character references; other
// control characters, which XML 1.0 cannot carry, as U+FFFD).
void append_xml_escaped(std::string* out, std::string_view s);

}  // namespace opsight::api::aws
