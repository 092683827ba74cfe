#pragma once
// Compact member-type tables for translating between an AWS service's wire protocols.
//
// The protocols differ only in how they spell scalars: awsQuery sends every value as a form
// string and answers in XML text, AWS JSON 1.0 uses JSON numbers/booleans with timestamps as
// epoch seconds, RPC v2 CBOR uses CBOR types with timestamps as tag 1. Structure (objects,
// lists) is visible in every encoding (`X.member.N`, `X.N.Y`, JSON arrays, CBOR arrays); what
// is not visible is a member's scalar type, whether an XML object is a map (entry/key/value)
// and whether an empty awsQuery value means an empty list. A ShapeTable answers that per member
// name, with overrides for a member of one parent (the nearest enclosing member name, e.g.
// "MetricData" for MetricDatum.Value, which is a double, while Dimension.Value is a string).
// Members absent from the table are strings.
//
// Thread safety: immutable after construction; lookups are thread-safe.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

namespace opsight::api::aws {

enum class ScalarType : uint8_t { kString, kInteger, kDouble, kBoolean, kTimestamp };

struct MemberShape {
  ScalarType type = ScalarType::kString;  // of the member, of each list element, or of map values
  bool list = false;                      // a list (known so `X=` can be an empty list)
  bool map = false;                       // a map of string keys (XML entry/key/value)
};

class ShapeTable {
 public:
  // `parent` "" = any parent.
  ShapeTable& add(std::string_view member, MemberShape shape, std::string_view parent = "");
  // The member's shape under `parent` (its nearest enclosing member, "" at the top level):
  // the parent-specific entry, else the general one, else a string.
  MemberShape lookup(std::string_view parent, std::string_view member) const;
  // Operations whose output is empty by definition (no output shape). awsQuery responses of the
  // others always carry an <OpResult> element, which clients look for even when it is empty.
  ShapeTable& add_operation_without_output(std::string_view operation);
  bool has_output(std::string_view operation) const;

 private:
  std::set<std::string, std::less<>> without_output_;
  std::map<std::string, MemberShape, std::less<>> entries_;  // "parent/member" -> shape
};

// CloudWatch (monitoring 2010-08-01): the request and response members of the 23 operations
// opsight implements (metrics, alarms, anomaly detectors, dashboards, tags), from the Amazon
// CloudWatch API reference "Data Types" pages.
const ShapeTable& cloudwatch_shapes();

}  // namespace opsight::api::aws
