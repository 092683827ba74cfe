#include "rules/template.h"

#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>
#include <variant>

#include "rules/template_format.h"

namespace opsight::rules {

// ---- the tree --------------------------------------------------------------------------------

namespace {

struct Pipeline;

// An operand or a function name in a command.
struct Arg {
  enum Kind { kLiteral, kVar, kDot, kFunc, kPipe } kind = kLiteral;
  TValue literal;
  std::string name;                 // kVar: variable without '$' ("" for $); kFunc: function
  std::vector<std::string> fields;  // kVar, kDot: .a.b
  std::shared_ptr<Pipeline> pipe;   // kPipe: ( ... )
};

struct Command {
  std::vector<Arg> args;
};

struct Pipeline {
  std::vector<Command> cmds;
};

}  // namespace

struct Template::Node {
  enum Kind { kText, kAction, kIf } kind = kText;
  std::string text;
  Pipeline pipe;  // kAction, kIf (the condition)
  std::vector<Node> then_nodes, else_nodes;
};

namespace {

using Node = Template::Node;

const std::set<std::string, std::less<>>& known_functions() {
  static const std::set<std::string, std::less<>> k = {"and",
                                                       "or",
                                                       "not",
                                                       "eq",
                                                       "ne",
                                                       "lt",
                                                       "le",
                                                       "gt",
                                                       "ge",
                                                       "len",
                                                       "index",
                                                       "print",
                                                       "printf",
                                                       "urlquery",
                                                       "humanize",
                                                       "humanize1024",
                                                       "humanizeDuration",
                                                       "humanizePercentage",
                                                       "humanizeTimestamp",
                                                       "toUpper",
                                                       "toLower",
                                                       "title",
                                                       "stripPort",
                                                       "match",
                                                       "reReplaceAll",
                                                       "safeHtml"};
  return k;
}

bool known_variable(std::string_view v) {
  return v.empty() || v == "labels" || v == "externalLabels" || v == "externalURL" || v == "value";
}

// ---- lexing one action ---------------------------------------------------------------------

struct Token {
  enum Kind { kIdent, kVar, kDot, kString, kNumber, kPipe, kLParen, kRParen, kEnd } kind = kEnd;
  std::string text;                 // kIdent, kString (unquoted), kNumber, kVar (name)
  std::vector<std::string> fields;  // kVar, kDot
};

bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

Status lex_error(std::string_view msg) {
  return Status::invalid_argument(std::string(msg));
}

Result<std::string> unquote(std::string_view s, size_t* pos) {
  std::string out;
  size_t i = *pos + 1;
  while (i < s.size() && s[i] != '"') {
    char c = s[i];
    if (c == '\\') {
      if (i + 1 >= s.size()) break;
      char e = s[++i];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case '\\':
          out += '\\';
          break;
        case '"':
          out += '"';
          break;
        case '\'':
          out += '\'';
          break;
        default:
          return lex_error(std::string("unknown escape sequence \\") + e);
      }
      i++;
      continue;
    }
    out += c;
    i++;
  }
  if (i >= s.size()) return lex_error("unterminated quoted string");
  *pos = i + 1;
  return out;
}

// Reads ".a.b" field chains starting at *pos.
void lex_fields(std::string_view s, size_t* pos, std::vector<std::string>* fields) {
  while (*pos < s.size() && s[*pos] == '.') {
    size_t start = *pos + 1, i = start;
    while (i < s.size() && is_ident_char(s[i])) i++;
    if (i == start) return;
    fields->emplace_back(s.substr(start, i - start));
    *pos = i;
  }
}

Result<std::vector<Token>> lex_action(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      i++;
      continue;
    }
    Token t;
    if (c == '|') {
      t.kind = Token::kPipe;
      i++;
    } else if (c == '(') {
      t.kind = Token::kLParen;
      i++;
    } else if (c == ')') {
      t.kind = Token::kRParen;
      i++;
    } else if (c == '"') {
      t.kind = Token::kString;
      ASSIGN_OR_RETURN(t.text, unquote(s, &i));
    } else if (c == '`') {
      size_t end = s.find('`', i + 1);
      if (end == std::string_view::npos) return lex_error("unterminated raw quoted string");
      t.kind = Token::kString;
      t.text = std::string(s.substr(i + 1, end - i - 1));
      i = end + 1;
    } else if (c == '$') {
      size_t start = ++i;
      while (i < s.size() && is_ident_char(s[i])) i++;
      t.kind = Token::kVar;
      t.text = std::string(s.substr(start, i - start));
      lex_fields(s, &i, &t.fields);
    } else if (c == '.') {
      t.kind = Token::kDot;
      if (i + 1 < s.size() && is_ident_char(s[i + 1])) {
        lex_fields(s, &i, &t.fields);
      } else {
        i++;
      }
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               ((c == '-' || c == '+') && i + 1 < s.size() &&
                std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      size_t start = i++;
      while (i < s.size() &&
             (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '.' ||
              ((s[i] == '-' || s[i] == '+') && (s[i - 1] == 'e' || s[i - 1] == 'E'))))
        i++;
      t.kind = Token::kNumber;
      t.text = std::string(s.substr(start, i - start));
    } else if (is_ident_char(c)) {
      size_t start = i;
      while (i < s.size() && is_ident_char(s[i])) i++;
      t.kind = Token::kIdent;
      t.text = std::string(s.substr(start, i - start));
    } else if (c == ':' || c == '=') {
      return lex_error("variable assignment is not supported");
    } else {
      return lex_error(std::string("unexpected \"") + c + "\" in command");
    }
    out.push_back(std::move(t));
  }
  out.push_back(Token{});
  return out;
}

// ---- parsing -------------------------------------------------------------------------------

class ActionParser {
 public:
  explicit ActionParser(std::vector<Token> toks) : toks_(std::move(toks)) {}

  Result<Pipeline> pipeline(bool in_paren) {
    Pipeline p;
    while (true) {
      Command cmd;
      while (true) {
        const Token& t = toks_[pos_];
        if (t.kind == Token::kEnd || t.kind == Token::kPipe || t.kind == Token::kRParen) break;
        ASSIGN_OR_RETURN(Arg a, operand());
        cmd.args.push_back(std::move(a));
      }
      if (cmd.args.empty()) return lex_error("missing value for command");
      p.cmds.push_back(std::move(cmd));
      const Token& t = toks_[pos_];
      if (t.kind == Token::kPipe) {
        pos_++;
        continue;
      }
      if (t.kind == Token::kRParen) {
        if (!in_paren) return lex_error("unexpected right paren");
        pos_++;
        return p;
      }
      if (in_paren) return lex_error("unclosed left paren");
      return p;
    }
  }

  bool at_end() const { return toks_[pos_].kind == Token::kEnd; }

 private:
  Result<Arg> operand() {
    const Token& t = toks_[pos_++];
    Arg a;
    switch (t.kind) {
      case Token::kString:
        a.literal.kind = TValue::kStr;
        a.literal.s = t.text;
        return a;
      case Token::kNumber: {
        const std::string& n = t.text;
        bool is_float = n.find_first_of(".eE") != std::string::npos &&
                        n.find("0x") == std::string::npos && n.find("0X") == std::string::npos;
        if (!is_float) {
          int64_t v = 0;
          const char* b = n.data() + (n[0] == '+' ? 1 : 0);
          int base = 10;
          std::string_view digits(b, n.data() + n.size() - b);
          bool neg = !digits.empty() && digits[0] == '-';
          if (neg) digits.remove_prefix(1);
          if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
            base = 16;
            digits.remove_prefix(2);
          }
          auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
          if (ec != std::errc() || p != digits.data() + digits.size())
            return lex_error("bad number syntax: \"" + n + "\"");
          a.literal.kind = TValue::kInt;
          a.literal.i = neg ? -v : v;
          return a;
        }
        char* end = nullptr;
        double d = std::strtod(n.c_str(), &end);
        if (end != n.c_str() + n.size()) return lex_error("bad number syntax: \"" + n + "\"");
        a.literal.kind = TValue::kFloat;
        a.literal.f = d;
        return a;
      }
      case Token::kVar:
        if (!known_variable(t.text)) return lex_error("undefined variable \"$" + t.text + "\"");
        a.kind = Arg::kVar;
        a.name = t.text;
        a.fields = t.fields;
        return a;
      case Token::kDot:
        a.kind = Arg::kDot;
        a.fields = t.fields;
        return a;
      case Token::kLParen: {
        a.kind = Arg::kPipe;
        ASSIGN_OR_RETURN(Pipeline p, pipeline(true));
        a.pipe = std::make_shared<Pipeline>(std::move(p));
        return a;
      }
      case Token::kIdent:
        if (t.text == "true" || t.text == "false") {
          a.literal.kind = TValue::kBool;
          a.literal.b = t.text == "true";
          return a;
        }
        if (t.text == "nil") return lex_error("nil is not a command");
        if (!known_functions().contains(t.text))
          return lex_error("function \"" + t.text + "\" not defined");
        a.kind = Arg::kFunc;
        a.name = t.text;
        return a;
      default:
        return lex_error("unexpected token in operand");
    }
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
};

// One `{{ ... }}` or a run of text, in source order.
struct Segment {
  bool action = false;
  std::string text;  // the text, or the action body without delimiters and trim markers
};

Result<std::vector<Segment>> split(std::string_view s) {
  std::vector<Segment> out;
  size_t i = 0;
  bool trim_next = false;
  while (i <= s.size()) {
    size_t open = s.find("{{", i);
    std::string text(
        s.substr(i, open == std::string_view::npos ? std::string_view::npos : open - i));
    if (trim_next) {
      size_t k = text.find_first_not_of(" \t\r\n");
      text = k == std::string::npos ? "" : text.substr(k);
    }
    if (open == std::string_view::npos) {
      if (!text.empty()) out.push_back({false, std::move(text)});
      break;
    }
    size_t body = open + 2;
    if (body + 1 < s.size() && s[body] == '-' &&
        std::isspace(static_cast<unsigned char>(s[body + 1]))) {
      size_t k = text.find_last_not_of(" \t\r\n");
      text = k == std::string::npos ? "" : text.substr(0, k + 1);
      body += 2;
    }
    if (!text.empty()) out.push_back({false, std::move(text)});
    // Find the closing "}}" outside quotes.
    size_t j = body;
    char quote = 0;
    bool comment = s.substr(body).find_first_not_of(" \t\r\n") != std::string_view::npos &&
                   s.substr(body + s.substr(body).find_first_not_of(" \t\r\n")).starts_with("/*");
    if (comment) {
      size_t end = s.find("*/", body);
      if (end == std::string_view::npos) return lex_error("unclosed comment");
      j = end + 2;
    }
    for (; j + 1 < s.size(); j++) {
      char c = s[j];
      if (quote) {
        if (c == '\\' && quote == '"') {
          j++;
        } else if (c == quote) {
          quote = 0;
        }
        continue;
      }
      if (c == '"' || c == '`') {
        quote = c;
        continue;
      }
      if (c == '}' && s[j + 1] == '}') break;
    }
    if (j + 1 >= s.size()) return lex_error("unclosed action");
    std::string_view inner = s.substr(body, j - body);
    trim_next = false;
    if (inner.size() >= 2 && inner.back() == '-' &&
        std::isspace(static_cast<unsigned char>(inner[inner.size() - 2]))) {
      inner.remove_suffix(1);
      trim_next = true;
    }
    if (!comment) out.push_back({true, std::string(inner)});
    i = j + 2;
  }
  return out;
}

// Builds the node tree from segments, handling if/else/end nesting.
class TreeBuilder {
 public:
  explicit TreeBuilder(std::vector<Segment> segs) : segs_(std::move(segs)) {}

  Result<std::vector<Node>> build() {
    std::string stop;
    ASSIGN_OR_RETURN(auto nodes, list(&stop));
    if (!stop.empty()) return lex_error("unexpected {{" + stop + "}}");
    return nodes;
  }

 private:
  // Parses nodes until end of input or an else/end action (returned in *stop: "end", "else",
  // or "else if" with the condition tokens left in pending_).
  Result<std::vector<Node>> list(std::string* stop) {
    std::vector<Node> out;
    while (pos_ < segs_.size()) {
      const Segment& seg = segs_[pos_++];
      if (!seg.action) {
        Node n;
        n.text = seg.text;
        out.push_back(std::move(n));
        continue;
      }
      ASSIGN_OR_RETURN(std::vector<Token> toks, lex_action(seg.text));
      if (toks[0].kind == Token::kIdent) {
        const std::string& kw = toks[0].text;
        if (kw == "end") {
          if (toks.size() != 2) return lex_error("unexpected tokens after end");
          *stop = "end";
          return out;
        }
        if (kw == "else") {
          if (toks[1].kind == Token::kIdent && toks[1].text == "if") {
            pending_.assign(toks.begin() + 2, toks.end());
            *stop = "else if";
          } else {
            if (toks.size() != 2) return lex_error("unexpected tokens after else");
            *stop = "else";
          }
          return out;
        }
        if (kw == "if") {
          ASSIGN_OR_RETURN(Node n, if_node(std::vector<Token>(toks.begin() + 1, toks.end())));
          out.push_back(std::move(n));
          continue;
        }
        if (kw == "with" || kw == "range" || kw == "define" || kw == "template" || kw == "block" ||
            kw == "break" || kw == "continue") {
          return lex_error("\"" + kw + "\" is not supported in alert templates");
        }
      }
      ActionParser p(std::move(toks));
      ASSIGN_OR_RETURN(Pipeline pipe, p.pipeline(false));
      Node n;
      n.kind = Node::kAction;
      n.pipe = std::move(pipe);
      out.push_back(std::move(n));
    }
    return out;
  }

  Result<Node> if_node(std::vector<Token> cond) {
    if (cond.size() <= 1) return lex_error("missing value for if");
    Node n;
    n.kind = Node::kIf;
    ActionParser p(std::move(cond));
    ASSIGN_OR_RETURN(n.pipe, p.pipeline(false));
    std::string stop;
    ASSIGN_OR_RETURN(n.then_nodes, list(&stop));
    if (stop == "else") {
      ASSIGN_OR_RETURN(n.else_nodes, list(&stop));
      if (stop != "end") return lex_error("unexpected EOF: missing {{end}}");
    } else if (stop == "else if") {
      // {{else if c}} ... is {{else}}{{if c}} ... {{end}}{{end}} sharing the closing end.
      ASSIGN_OR_RETURN(Node inner, if_node(std::move(pending_)));
      n.else_nodes.push_back(std::move(inner));
    } else if (stop != "end") {
      return lex_error("unexpected EOF: missing {{end}}");
    }
    return n;
  }

  std::vector<Segment> segs_;
  size_t pos_ = 0;
  std::vector<Token> pending_;
};

// ---- evaluation ----------------------------------------------------------------------------

Status exec_error(std::string msg) {
  return Status::invalid_argument(std::move(msg));
}

class Executor {
 public:
  explicit Executor(const TemplateData& d) : d_(d) {}

  Status run(const std::vector<Node>& nodes, std::string* out) {
    for (const Node& n : nodes) {
      switch (n.kind) {
        case Node::kText:
          *out += n.text;
          break;
        case Node::kAction: {
          ASSIGN_OR_RETURN(TValue v, pipeline(n.pipe));
          RETURN_IF_ERROR(print_value(v, out));
          break;
        }
        case Node::kIf: {
          ASSIGN_OR_RETURN(TValue v, pipeline(n.pipe));
          RETURN_IF_ERROR(run(truthy(v) ? n.then_nodes : n.else_nodes, out));
          break;
        }
      }
    }
    return OkStatus();
  }

 private:
  Result<TValue> pipeline(const Pipeline& p) {
    TValue prev;
    bool has_prev = false;
    for (const Command& c : p.cmds) {
      ASSIGN_OR_RETURN(prev, command(c, has_prev ? &prev : nullptr));
      has_prev = true;
    }
    return prev;
  }

  Result<TValue> command(const Command& c, const TValue* piped) {
    const Arg& first = c.args[0];
    if (first.kind == Arg::kFunc) {
      std::vector<TValue> args;
      for (size_t i = 1; i < c.args.size(); i++) {
        ASSIGN_OR_RETURN(TValue v, operand(c.args[i]));
        args.push_back(std::move(v));
      }
      if (piped) args.push_back(*piped);
      return call_function(first.name, args);
    }
    if (c.args.size() > 1 || piped) {
      return exec_error("can't give argument to non-function");
    }
    return operand(first);
  }

  Result<TValue> operand(const Arg& a) {
    switch (a.kind) {
      case Arg::kLiteral:
        return a.literal;
      case Arg::kFunc:
        return call_function(a.name, {});
      case Arg::kPipe:
        return pipeline(*a.pipe);
      case Arg::kVar:
      case Arg::kDot: {
        TValue v;
        size_t f = 0;
        if (a.kind == Arg::kVar && !a.name.empty()) {
          if (a.name == "labels") v = TValue::map(d_.labels);
          if (a.name == "externalLabels") v = TValue::map(d_.external_labels);
          if (a.name == "externalURL") v = TValue::str(std::string(d_.external_url));
          if (a.name == "value") v = TValue::flt(d_.value);
        } else {
          // The data root: only its fields can be printed.
          if (a.fields.empty()) return exec_error("cannot print the template data itself");
          const std::string& root = a.fields[0];
          if (root == "Labels") {
            v = TValue::map(d_.labels);
          } else if (root == "ExternalLabels") {
            v = TValue::map(d_.external_labels);
          } else if (root == "ExternalURL") {
            v = TValue::str(std::string(d_.external_url));
          } else if (root == "Value") {
            v = TValue::flt(d_.value);
          } else {
            return exec_error("can't evaluate field " + root + " in type *template.tmplData");
          }
          f = 1;
        }
        for (; f < a.fields.size(); f++) {
          if (v.kind != TValue::kMap) {
            return exec_error("can't evaluate field " + a.fields[f] + " in type " + type_name(v));
          }
          v = TValue::str(v.m ? std::string(v.m->get(a.fields[f])) : std::string());
        }
        return v;
      }
    }
    return exec_error("bad operand");
  }

  const TemplateData& d_;
};

}  // namespace

// ---- Template ------------------------------------------------------------------------------

Result<Template> Template::parse(std::string_view text, std::string_view name) {
  Template t;
  t.name_ = std::string(name);
  auto fail = [&](const Status& st) {
    return Status::invalid_argument(
        (name.empty() ? std::string("template") : "template " + std::string(name)) + ": " +
        st.message());
  };
  auto segs = split(text);
  if (!segs.ok()) return fail(segs.status());
  for (const auto& s : *segs) t.plain_ = t.plain_ && !s.action;
  TreeBuilder b(std::move(*segs));
  auto nodes = b.build();
  if (!nodes.ok()) return fail(nodes.status());
  t.plain_ = t.plain_ && text.find("{{") == std::string_view::npos;
  t.nodes_ = std::make_shared<const std::vector<Node>>(std::move(*nodes));
  return t;
}

Result<std::string> Template::expand(const TemplateData& data) const {
  std::string out;
  if (!nodes_) return out;
  Executor e(data);
  Status st = e.run(*nodes_, &out);
  if (!st.ok()) {
    return Status::invalid_argument(
        (name_.empty() ? std::string("template") : "template " + name_) + ": " + st.message());
  }
  return out;
}

std::string Template::expand_or_error(const TemplateData& data) const {
  auto r = expand(data);
  if (r.ok()) return std::move(*r);
  return "<error expanding template: " + r.status().message() + ">";
}

}  // namespace opsight::rules
