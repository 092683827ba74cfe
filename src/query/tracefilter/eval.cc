#include "query/tracefilter/eval.h"

#include <charconv>
#include <unordered_map>

namespace opsight::query::tracefilter {
namespace {

using storage::Span;

// The context a predicate is evaluated in (see eval.h).
struct Ctx {
  bool trace_level = true;
  size_t subject = 0;        // span index
  double response_time = 0;  // seconds
};

double seconds(int64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

bool compare_number(double have, CmpOp op, double want) {
  switch (op) {
    case CmpOp::kEq:
      return have == want;
    case CmpOp::kNe:
      return have != want;
    case CmpOp::kLt:
      return have < want;
    case CmpOp::kLe:
      return have <= want;
    case CmpOp::kGt:
      return have > want;
    case CmpOp::kGe:
      return have >= want;
    default:
      return false;
  }
}

bool compare_string(std::string_view have, CmpOp op, std::string_view want) {
  switch (op) {
    case CmpOp::kEq:
      return have == want;
    case CmpOp::kNe:
      return have != want;
    case CmpOp::kContains:
      return have.find(want) != std::string_view::npos;
    case CmpOp::kBeginsWith:
      return have.starts_with(want);
    case CmpOp::kEndsWith:
      return have.ends_with(want);
    case CmpOp::kLt:
      return have < want;
    case CmpOp::kLe:
      return have <= want;
    case CmpOp::kGt:
      return have > want;
    case CmpOp::kGe:
      return have >= want;
    case CmpOp::kExists:
      return true;
  }
  return false;
}

bool parse_double(std::string_view s, double* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool annotation_matches(const std::vector<storage::SpanAttribute>& attrs, const Node& n) {
  for (const auto& a : attrs) {
    if (!a.indexed || !is_annotation_key(a.key, n.annotation_key)) continue;
    switch (n.value_type) {
      case ValueType::kString:
        if (n.op == CmpOp::kExists || compare_string(a.value, n.op, n.text)) return true;
        break;
      case ValueType::kNumber: {
        double v = 0;
        if (n.op == CmpOp::kExists ||
            (parse_double(a.value, &v) && compare_number(v, n.op, n.number))) {
          return true;
        }
        break;
      }
      case ValueType::kBool:
        if ((a.value == n.text) == (n.op == CmpOp::kEq)) return true;
        break;
    }
  }
  return false;
}

bool node_matches(const NodeRef& ref, std::string_view name, std::string_view type) {
  return (ref.name.empty() || ref.name == name) && (ref.type.empty() || ref.type == type);
}

class Evaluator {
 public:
  explicit Evaluator(const TraceView& t) : t_(t) {}

  bool eval(const Node& n, const Ctx& c) const {
    switch (n.kind) {
      case NodeKind::kAnd:
        return eval(*n.children[0], c) && eval(*n.children[1], c);
      case NodeKind::kOr:
        return eval(*n.children[0], c) || eval(*n.children[1], c);
      case NodeKind::kNot:
        return !eval(*n.children[0], c);
      case NodeKind::kBool:
        return bool_key(n.bool_key, c) == n.flag;
      case NodeKind::kNumber:
        return number(n, c);
      case NodeKind::kString:
        return string(n, c);
      case NodeKind::kAnnotation:
        return annotation(n, c);
      case NodeKind::kService:
        return service(n);
      case NodeKind::kEdge:
        return edge(n);
    }
    return false;
  }

 private:
  const Span& span(size_t i) const { return t_.spans()[i]; }

  bool bool_key(BoolKey k, const Ctx& c) const {
    const apm::SpanClass& cls = t_.cls(c.subject);
    switch (k) {
      case BoolKey::kOk:
        return cls.ok();
      case BoolKey::kError:
        return cls.error;
      case BoolKey::kThrottle:
        return cls.throttle;
      case BoolKey::kFault:
        return cls.fault;
      case BoolKey::kPartial:
        return t_.partial();
    }
    return false;
  }

  bool number(const Node& n, const Ctx& c) const {
    switch (n.num_key) {
      case NumKey::kResponseTime:
        return compare_number(c.response_time, n.op, n.number);
      case NumKey::kDuration:
        return compare_number(seconds(t_.end_ns() - t_.start_ns()), n.op, n.number);
      case NumKey::kHttpStatus: {
        const int s = t_.status(c.subject);
        return s != 0 && compare_number(s, n.op, n.number);
      }
    }
    return false;
  }

  bool string(const Node& n, const Ctx& c) const {
    if (n.str_key == StrKey::kUser) {
      auto test = [&](size_t i) {
        std::string u = apm::user_of(span(i));
        return !u.empty() && compare_string(u, n.op, n.text);
      };
      if (!c.trace_level) return test(c.subject);
      for (size_t i : t_.live()) {
        if (test(i)) return true;
      }
      return false;
    }
    const Span& s = span(c.subject);
    std::string have;
    if (n.str_key == StrKey::kName) {
      have = s.name;
    } else {
      apm::HttpFacts h = apm::http_facts(s);
      have = n.str_key == StrKey::kHttpUrl         ? h.url
             : n.str_key == StrKey::kHttpMethod    ? h.method
             : n.str_key == StrKey::kHttpUserAgent ? h.user_agent
                                                   : h.client_ip;
    }
    return !have.empty() && compare_string(have, n.op, n.text);
  }

  bool annotation(const Node& n, const Ctx& c) const {
    auto test = [&](size_t i) {
      return annotation_matches(span(i).attributes, n) ||
             annotation_matches(span(i).resource_attributes, n);
    };
    if (!c.trace_level) return test(c.subject);
    for (size_t i : t_.live()) {
      if (test(i)) return true;
    }
    return false;
  }

  Ctx span_ctx(size_t i) const { return Ctx{false, i, seconds(span(i).duration_ns())}; }

  bool service(const Node& n) const {
    const Node* sub = n.children.empty() ? nullptr : n.children[0].get();
    if (n.a.type.empty() || n.a.type == apm::kServiceType) {
      for (size_t i : t_.live()) {
        if (!node_matches(n.a, span(i).service, apm::kServiceType)) continue;
        if (sub == nullptr || eval(*sub, span_ctx(i))) return true;
      }
    }
    for (const Call& call : t_.calls()) {
      if (call.callee >= 0 || !node_matches(n.a, call.peer_name, call.peer_type)) continue;
      if (sub == nullptr || eval(*sub, span_ctx(call.caller))) return true;
    }
    return false;
  }

  bool edge(const Node& n) const {
    const Node* sub = n.children.empty() ? nullptr : n.children[0].get();
    for (const Call& call : t_.calls()) {
      const Span& caller = span(call.caller);
      if (!node_matches(n.a, caller.service, apm::kServiceType) ||
          !node_matches(n.b, call.peer_name, call.peer_type)) {
        continue;
      }
      if (sub == nullptr) return true;
      Ctx c;
      c.trace_level = false;
      c.subject = call.callee >= 0 ? static_cast<size_t>(call.callee) : call.caller;
      c.response_time =
          seconds(apm::is_exit_span(caller) ? caller.duration_ns() : span(c.subject).duration_ns());
      if (eval(*sub, c)) return true;
    }
    return false;
  }

  const TraceView& t_;
};

}  // namespace

bool is_annotation_key(std::string_view key, std::string_view name) {
  if (key == name) return true;
  return key.size() == kAnnotationPrefix.size() + name.size() &&
         key.starts_with(kAnnotationPrefix) && key.ends_with(name);
}

TraceView::TraceView(std::span<const Span> spans) : spans_(spans) {
  // Duplicates of a span id: keep the one that ends last.
  std::unordered_map<std::string_view, size_t> by_id;
  by_id.reserve(spans.size());
  for (size_t i = 0; i < spans.size(); i++) {
    auto [it, fresh] = by_id.try_emplace(spans[i].span_id, i);
    if (!fresh && spans[i].end_ns >= spans[it->second].end_ns) it->second = i;
  }
  live_.reserve(by_id.size());
  for (size_t i = 0; i < spans.size(); i++) {
    if (by_id[spans[i].span_id] == i) live_.push_back(i);
  }
  status_.assign(spans.size(), 0);
  class_.assign(spans.size(), {});
  std::vector<int64_t> parent(spans.size(), -1);
  std::vector<bool> remote_child(spans.size(), false);
  start_ns_ = INT64_MAX;
  end_ns_ = INT64_MIN;
  bool have_root = false;
  for (size_t i : live_) {
    const Span& s = spans[i];
    status_[i] = apm::http_status(s);
    class_[i] = apm::classify(s, status_[i]);
    if (s.origin == storage::SpanOrigin::kXray) {
      for (const auto& a : s.attributes) {
        if (a.key == "xray.in_progress" && a.value == "true") partial_ = true;
      }
    }
    start_ns_ = std::min(start_ns_, s.start_ns);
    end_ns_ = std::max(end_ns_, s.end_ns);
    if (!s.parent_span_id.empty()) {
      auto it = by_id.find(s.parent_span_id);
      if (it != by_id.end() && it->second != i) {
        parent[i] = static_cast<int64_t>(it->second);
      } else {
        partial_ = true;
      }
    }
    // The root: a span without a parent in the trace that starts first (true roots first).
    const bool candidate = parent[i] < 0;
    if (candidate) {
      const Span& r = spans[root_];
      const bool better =
          !have_root || (s.parent_span_id.empty() && !r.parent_span_id.empty()) ||
          (s.parent_span_id.empty() == r.parent_span_id.empty() && s.start_ns < r.start_ns);
      if (better) root_ = i;
      have_root = true;
    }
  }
  if (!have_root && !live_.empty()) root_ = live_.front();  // a parent cycle
  for (size_t i : live_) {
    if (parent[i] < 0) continue;
    const Span& p = spans[static_cast<size_t>(parent[i])];
    if (p.service != spans[i].service) {
      remote_child[static_cast<size_t>(parent[i])] = true;
      calls_.push_back(Call{static_cast<size_t>(parent[i]), static_cast<int64_t>(i),
                            spans[i].service, apm::kServiceType});
    }
  }
  for (size_t i : live_) {
    if (remote_child[i]) continue;
    auto peer = apm::infer_peer(spans[i]);
    if (peer) calls_.push_back(Call{i, -1, std::move(peer->name), peer->type});
  }
}

bool evaluate(const Filter& filter, const TraceView& trace) {
  if (filter.root == nullptr) return true;
  if (trace.live().empty()) return false;
  Ctx c;
  c.subject = trace.root();
  c.response_time = seconds(trace.spans()[trace.root()].duration_ns());
  return Evaluator(trace).eval(*filter.root, c);
}

}  // namespace opsight::query::tracefilter
