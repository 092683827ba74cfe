#include "query/tracefilter/plan.h"

#include <fmt/format.h>

#include <cmath>

#include "apm/span_facts.h"

namespace opsight::query::tracefilter {
namespace {

// The conjuncts of the AND chain at `n` (n itself when it is not an AND).
void conjuncts(const Node* n, std::vector<const Node*>* out) {
  if (n->kind == NodeKind::kAnd) {
    conjuncts(n->children[0].get(), out);
    conjuncts(n->children[1].get(), out);
  } else {
    out->push_back(n);
  }
}

// Adds what `n` requires of one span to *req; false when `n` requires nothing pushable.
bool add_span_facts(const Node& n, SpanRequirement* req) {
  if (n.kind == NodeKind::kAnnotation && n.op == CmpOp::kEq &&
      (n.value_type == ValueType::kString || n.value_type == ValueType::kBool)) {
    req->attributes.push_back({n.annotation_key, n.text});
    return true;
  }
  if (n.kind == NodeKind::kNumber && n.num_key == NumKey::kResponseTime &&
      (n.op == CmpOp::kGt || n.op == CmpOp::kGe || n.op == CmpOp::kEq) && n.number > 0) {
    const double ns = std::floor(n.number * 1e9);
    const int64_t v = ns >= 9e18 ? INT64_MAX : static_cast<int64_t>(ns);
    req->min_duration_ns = std::max(req->min_duration_ns, v);
    return true;
  }
  return false;
}

bool names_a_service(const NodeRef& r) {
  return !r.name.empty() && (r.type.empty() || r.type == apm::kServiceType);
}

}  // namespace

int SpanRequirement::score() const {
  return static_cast<int>(attributes.size()) * 4 + (service.empty() ? 0 : 2) +
         (min_duration_ns > 0 ? 1 : 0);
}

std::string SpanRequirement::describe() const {
  std::string out;
  auto add = [&](const std::string& s) { out += out.empty() ? s : " " + s; };
  if (!service.empty()) add("service=" + service);
  for (const auto& a : attributes) add(fmt::format("attribute {}={}", a.key, a.value));
  if (min_duration_ns > 0) add(fmt::format("duration>={}ns", min_duration_ns));
  return out.empty() ? "all spans in the time range" : out;
}

std::vector<SpanRequirement> span_requirements(const Filter& filter) {
  std::vector<SpanRequirement> out;
  if (filter.root == nullptr) return out;
  std::vector<const Node*> top;
  conjuncts(filter.root.get(), &top);
  for (const Node* n : top) {
    SpanRequirement req;
    if (n->kind == NodeKind::kService && names_a_service(n->a)) {
      req.service = n->a.name;
      if (!n->children.empty()) {
        std::vector<const Node*> inner;
        conjuncts(n->children[0].get(), &inner);
        for (const Node* i : inner) add_span_facts(*i, &req);
      }
    } else if (n->kind == NodeKind::kEdge && names_a_service(n->a)) {
      req.service = n->a.name;
    } else {
      add_span_facts(*n, &req);
    }
    if (!req.empty()) out.push_back(std::move(req));
  }
  return out;
}

SpanRequirement best_requirement(const std::vector<SpanRequirement>& requirements) {
  SpanRequirement best;
  for (const auto& r : requirements) {
    if (r.score() > best.score()) best = r;
  }
  return best;
}

namespace {
bool root_decidable_node(const Node* n) {
  switch (n->kind) {
    case NodeKind::kAnd:
    case NodeKind::kOr:
    case NodeKind::kNot:
      for (const auto& c : n->children) {
        if (!root_decidable_node(c.get())) return false;
      }
      return true;
    case NodeKind::kBool:
      return n->bool_key != BoolKey::kPartial;
    case NodeKind::kNumber:
      return n->num_key != NumKey::kDuration;
    case NodeKind::kString:
      return n->str_key != StrKey::kUser;
    default:
      return false;
  }
}
}  // namespace

bool root_decidable(const Filter& filter) {
  return filter.root != nullptr && root_decidable_node(filter.root.get());
}

}  // namespace opsight::query::tracefilter
