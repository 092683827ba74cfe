// AWS Signature Version 4 verification; see sigv4.h for the rules and the documents they come
// from.
#include "auth/sigv4.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "common/sha256.h"

namespace opsight::auth {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

Status refuse(std::string_view code, std::string_view message) {
  return Status(Code::kUnauthenticated, fmt::format("{}: {}", code, message));
}

bool is_unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding without '+' translation (SigV4 clients encode spaces as %20; a literal '+'
// stays '+', which re-encodes as %2B like the clients do). A malformed escape is kept verbatim.
std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Trimmed, with runs of spaces (and tabs) collapsed to one space.
std::string canonical_header_value(std::string_view v) {
  v = trim(v);
  std::string out;
  out.reserve(v.size());
  bool in_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      in_space = true;
      continue;
    }
    if (in_space) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t p = s.find(sep, start);
    if (p == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, p - start));
    start = p + 1;
  }
}

std::optional<std::string> header_values(const Headers& headers, std::string_view name) {
  std::optional<std::string> out;
  for (const auto& [n, v] : headers) {
    if (n != name) continue;
    if (out) {
      *out += ',';
      *out += canonical_header_value(v);
    } else {
      out = canonical_header_value(v);
    }
  }
  return out;
}

// First value of a query parameter (decoded), or nullopt.
std::optional<std::string> query_param(std::string_view raw_query, std::string_view name) {
  if (raw_query.empty()) return std::nullopt;
  for (std::string_view pair : split(raw_query, '&')) {
    const size_t eq = pair.find('=');
    const std::string key = percent_decode(pair.substr(0, eq));
    if (key != name) continue;
    return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
  }
  return std::nullopt;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-Compatible Low-Level
// Date Algorithms", days_from_civil).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool parse_digits(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

Result<int64_t> civil_to_ms(int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi, int64_t s) {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return Status::invalid_argument("date out of range");
  }
  return ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60'000 + s * 1000;
}

// RFC 7231 IMF-fixdate: "Sun, 30 Aug 2015 12:36:00 GMT".
Result<int64_t> parse_http_date(std::string_view s) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  s = trim(s);
  const Status bad = Status::invalid_argument("not an RFC 1123 date");
  if (s.size() != 29 || s.substr(25) != " GMT") return bad;
  int64_t d = 0, y = 0, h = 0, mi = 0, sec = 0, mo = 0;
  if (!parse_digits(s.substr(5, 2), &d) || !parse_digits(s.substr(12, 4), &y) ||
      !parse_digits(s.substr(17, 2), &h) || !parse_digits(s.substr(20, 2), &mi) ||
      !parse_digits(s.substr(23, 2), &sec)) {
    return bad;
  }
  for (size_t i = 0; i < 12; ++i) {
    if (s.substr(8, 3) == kMonths[i]) mo = static_cast<int64_t>(i) + 1;
  }
  if (mo == 0) return bad;
  return civil_to_ms(y, mo, d, h, mi, sec);
}

bool is_lower_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The parts every form yields before the signature check.
struct SignatureInput {
  std::string key_id;
  std::string scope_date;  // yyyymmdd
  std::string region;
  std::string service;
  std::string signed_headers;
  std::string signature;
  std::string amz_date;  // the X-Amz-Date value (or the Date header converted)
  int64_t request_ms = 0;
};

// "<key>/<yyyymmdd>/<region>/<service>/aws4_request".
Status parse_credential(std::string_view credential, SignatureInput* in) {
  const auto parts = split(credential, '/');
  if (parts.size() != 5 || parts[0].empty() || parts[1].size() != 8 || parts[2].empty() ||
      parts[3].empty() || parts[4] != "aws4_request") {
    return refuse(kIncompleteSignature,
                  "Credential must have the form <access key id>/<yyyymmdd>/<region>/<service>/"
                  "aws4_request");
  }
  in->key_id = std::string(parts[0]);
  in->scope_date = std::string(parts[1]);
  in->region = std::string(parts[2]);
  in->service = std::string(parts[3]);
  return Status();
}

Status check_signed_headers(std::string_view signed_headers, bool need_date_header,
                            std::string_view date_header) {
  if (signed_headers.empty()) return refuse(kIncompleteSignature, "SignedHeaders is empty");
  bool has_host = false, has_date = false;
  for (std::string_view h : split(signed_headers, ';')) {
    if (h.empty()) return refuse(kIncompleteSignature, "SignedHeaders has an empty name");
    for (char c : h) {
      if (std::isupper(static_cast<unsigned char>(c)) != 0) {
        return refuse(kIncompleteSignature, "SignedHeaders names must be lower-case");
      }
    }
    if (h == "host") has_host = true;
    if (h == date_header) has_date = true;
  }
  if (!has_host) return refuse(kIncompleteSignature, "SignedHeaders must include host");
  if (need_date_header && !has_date) {
    return refuse(kIncompleteSignature,
                  fmt::format("SignedHeaders must include {}, the header that dates the request",
                              date_header));
  }
  return Status();
}

// Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...
Result<SignatureInput> parse_header_form(std::string_view authorization, const Headers& headers) {
  SignatureInput in;
  authorization = trim(authorization);
  const size_t sp = authorization.find(' ');
  const std::string_view algorithm = authorization.substr(0, sp);
  if (algorithm != kSigV4Algorithm) {
    return refuse(kIncompleteSignature,
                  fmt::format("Authorization header must use the algorithm {}", kSigV4Algorithm));
  }
  if (sp == std::string_view::npos) {
    return refuse(kIncompleteSignature,
                  "Authorization header requires Credential, SignedHeaders and Signature");
  }
  std::optional<std::string_view> credential, signed_headers, signature;
  for (std::string_view part : split(authorization.substr(sp + 1), ',')) {
    part = trim(part);
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = part.substr(0, eq);
    const std::string_view value = part.substr(eq + 1);
    if (key == "Credential") credential = value;
    if (key == "SignedHeaders") signed_headers = value;
    if (key == "Signature") signature = value;
  }
  if (!credential || !signed_headers || !signature) {
    return refuse(kIncompleteSignature,
                  "Authorization header requires Credential, SignedHeaders and Signature");
  }
  RETURN_IF_ERROR(parse_credential(*credential, &in));
  if (!is_lower_hex64(*signature)) {
    return refuse(kIncompleteSignature, "Signature must be 64 lower-case hex digits");
  }
  in.signature = std::string(*signature);
  in.signed_headers = std::string(*signed_headers);

  std::string_view date_header = "x-amz-date";
  if (auto amz = header_values(headers, "x-amz-date")) {
    auto t = parse_amz_date(*amz);
    if (!t.ok()) {
      return refuse(kIncompleteSignature, "X-Amz-Date must have the form YYYYMMDDTHHMMSSZ");
    }
    in.amz_date = *amz;
    in.request_ms = *t;
  } else if (auto date = header_values(headers, "date")) {
    auto t = parse_http_date(*date);
    if (!t.ok()) return refuse(kIncompleteSignature, "Date header is not an RFC 1123 date");
    date_header = "date";
    in.request_ms = *t;
    in.amz_date = format_amz_date(*t);
  } else {
    return refuse(kIncompleteSignature, "a signed request needs an X-Amz-Date or Date header");
  }
  RETURN_IF_ERROR(check_signed_headers(in.signed_headers, true, date_header));
  return in;
}

Result<SignatureInput> parse_query_form(std::string_view raw_query, int64_t now_ms) {
  SignatureInput in;
  auto algorithm = query_param(raw_query, "X-Amz-Algorithm");
  auto credential = query_param(raw_query, "X-Amz-Credential");
  auto date = query_param(raw_query, "X-Amz-Date");
  auto expires = query_param(raw_query, "X-Amz-Expires");
  auto signed_headers = query_param(raw_query, "X-Amz-SignedHeaders");
  auto signature = query_param(raw_query, "X-Amz-Signature");
  if (!algorithm || !credential || !date || !expires || !signed_headers || !signature) {
    return refuse(kIncompleteSignature,
                  "a presigned request needs X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, "
                  "X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature");
  }
  if (*algorithm != kSigV4Algorithm) {
    return refuse(kIncompleteSignature, fmt::format("X-Amz-Algorithm must be {}", kSigV4Algorithm));
  }
  RETURN_IF_ERROR(parse_credential(*credential, &in));
  if (!is_lower_hex64(*signature)) {
    return refuse(kIncompleteSignature, "X-Amz-Signature must be 64 lower-case hex digits");
  }
  auto t = parse_amz_date(*date);
  if (!t.ok()) {
    return refuse(kIncompleteSignature, "X-Amz-Date must have the form YYYYMMDDTHHMMSSZ");
  }
  int64_t expires_s = 0;
  if (!parse_digits(*expires, &expires_s) || expires_s < 1 ||
      expires_s > kMaxPresignExpiresSeconds) {
    return refuse(kIncompleteSignature,
                  fmt::format("X-Amz-Expires must be 1 to {} seconds", kMaxPresignExpiresSeconds));
  }
  RETURN_IF_ERROR(check_signed_headers(*signed_headers, false, ""));
  in.signature = *signature;
  in.signed_headers = *signed_headers;
  in.amz_date = *date;
  in.request_ms = *t;
  if (now_ms > *t + expires_s * 1000) {
    return refuse(kSignatureExpired,
                  fmt::format("the presigned request expired at {} (X-Amz-Date {} + X-Amz-Expires "
                              "{}s); now is {}",
                              format_amz_date(*t + expires_s * 1000), *date, expires_s,
                              format_amz_date(now_ms)));
  }
  if (*t - now_ms > kMaxClockSkewMs) {
    return refuse(kSignatureExpired,
                  fmt::format("X-Amz-Date {} is more than 15 minutes after the server time {}",
                              *date, format_amz_date(now_ms)));
  }
  return in;
}

}  // namespace

std::string sigv4_uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string canonical_uri(std::string_view raw_path) {
  // Remove "." and empty segments and resolve ".." (RFC 3986 section 5.2.4 as the AWS SDKs
  // apply it), keeping a leading and trailing slash.
  if (raw_path.empty()) return "/";
  std::vector<std::string_view> out;
  for (std::string_view seg : split(raw_path, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(seg);
  }
  std::string path = raw_path.front() == '/' ? "/" : "";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) path += '/';
    path += out[i];
  }
  if (!out.empty() && raw_path.back() == '/') path += '/';
  if (path.empty()) path = "/";
  return sigv4_uri_encode(path, true);
}

std::string canonical_query(std::string_view raw_query, std::string_view exclude) {
  if (raw_query.empty()) return "";
  std::vector<std::pair<std::string, std::string>> params;
  for (std::string_view pair : split(raw_query, '&')) {
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string name = percent_decode(pair.substr(0, eq));
    if (!exclude.empty() && name == exclude) continue;
    std::string value = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
    params.emplace_back(sigv4_uri_encode(name, false), sigv4_uri_encode(value, false));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [n, v] : params) {
    if (!out.empty()) out += '&';
    out += n;
    out += '=';
    out += v;
  }
  return out;
}

std::string canonical_request(const SigV4Request& req, std::string_view signed_headers,
                              std::string_view payload_hash, std::string_view exclude_query) {
  static const Headers kNoHeaders;
  const Headers& headers = req.headers != nullptr ? *req.headers : kNoHeaders;
  std::string out;
  out += req.method;
  out += '\n';
  out += canonical_uri(req.raw_path);
  out += '\n';
  out += canonical_query(req.raw_query, exclude_query);
  out += '\n';
  for (std::string_view name : split(signed_headers, ';')) {
    out += name;
    out += ':';
    out += header_values(headers, name).value_or("");
    out += '\n';
  }
  out += '\n';
  out += signed_headers;
  out += '\n';
  out += payload_hash;
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  return fmt::format("{}\n{}\n{}\n{}", kSigV4Algorithm, amz_date, scope,
                     sha256_hex(canonical_request));
}

std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service) {
  const std::string k_date = digest_bytes(hmac_sha256("AWS4" + std::string(secret), date));
  const std::string k_region = digest_bytes(hmac_sha256(k_date, region));
  const std::string k_service = digest_bytes(hmac_sha256(k_region, service));
  return digest_bytes(hmac_sha256(k_service, "aws4_request"));
}

std::string sigv4_signature(std::string_view key, std::string_view sts) {
  static constexpr char kHex[] = "0123456789abcdef";
  const Sha256Digest d = hmac_sha256(key, sts);
  std::string out(64, '0');
  for (size_t i = 0; i < d.size(); ++i) {
    out[2 * i] = kHex[d[i] >> 4];
    out[2 * i + 1] = kHex[d[i] & 0xf];
  }
  return out;
}

std::string sign_sigv4_header(const SigV4Request& req, std::string_view access_key_id,
                              std::string_view secret, std::string_view amz_date,
                              std::string_view region, std::string_view service) {
  std::vector<std::string> names;
  if (req.headers != nullptr) {
    for (const auto& [n, v] : *req.headers) {
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
  }
  std::sort(names.begin(), names.end());
  std::string signed_headers;
  for (const auto& n : names) {
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += n;
  }
  std::string payload = std::string(req.body_sha256_hex.value_or(""));
  if (payload.empty()) {
    if (req.headers != nullptr)
      payload = header_values(*req.headers, "x-amz-content-sha256").value_or("");
    if (payload.empty()) payload = sha256_hex(req.body);
  }
  const std::string date = std::string(amz_date.substr(0, 8));
  const std::string scope = fmt::format("{}/{}/{}/aws4_request", date, region, service);
  const std::string sts =
      string_to_sign(amz_date, scope, canonical_request(req, signed_headers, payload));
  return fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}", kSigV4Algorithm,
                     access_key_id, scope, signed_headers,
                     sigv4_signature(signing_key(secret, date, region, service), sts));
}

Result<int64_t> parse_amz_date(std::string_view s) {
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z' || !parse_digits(s.substr(0, 4), &y) ||
      !parse_digits(s.substr(4, 2), &mo) || !parse_digits(s.substr(6, 2), &d) ||
      !parse_digits(s.substr(9, 2), &h) || !parse_digits(s.substr(11, 2), &mi) ||
      !parse_digits(s.substr(13, 2), &sec)) {
    return Status::invalid_argument("date must have the form YYYYMMDDTHHMMSSZ");
  }
  return civil_to_ms(y, mo, d, h, mi, sec);
}

std::string format_amz_date(int64_t unix_ms) {
  // civil_from_days (H. Hinnant), the inverse of days_from_civil.
  int64_t secs = unix_ms / 1000;
  if (unix_ms < 0 && unix_ms % 1000 != 0) --secs;
  int64_t days = secs / 86'400;
  int64_t rem = secs % 86'400;
  if (rem < 0) {
    rem += 86'400;
    --days;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", y, m, d, rem / 3600, rem / 60 % 60,
                     rem % 60);
}

bool has_sigv4_material(const SigV4Request& req) {
  if (req.headers != nullptr) {
    for (const auto& [n, v] : *req.headers) {
      if (n == "authorization") return true;
    }
  }
  return query_param(req.raw_query, "X-Amz-Signature").has_value() ||
         query_param(req.raw_query, "X-Amz-Credential").has_value();
}

Result<SigV4Identity> verify_sigv4(const SigV4Request& req, int64_t now_ms,
                                   const KeyResolver& resolve) {
  static const Headers kNoHeaders;
  const Headers& headers = req.headers != nullptr ? *req.headers : kNoHeaders;
  const std::optional<std::string> authorization = header_values(headers, "authorization");
  const bool presigned = !authorization && (query_param(req.raw_query, "X-Amz-Signature") ||
                                            query_param(req.raw_query, "X-Amz-Credential"));
  if (!authorization && !presigned) {
    return refuse(kMissingAuthenticationToken,
                  "Request is missing Authentication Token (sign it with AWS Signature Version "
                  "4: an Authorization header or X-Amz-* query parameters)");
  }
  SignatureInput in;
  if (presigned) {
    ASSIGN_OR_RETURN(in, parse_query_form(req.raw_query, now_ms));
  } else {
    ASSIGN_OR_RETURN(in, parse_header_form(*authorization, headers));
    if (std::abs(in.request_ms - now_ms) > kMaxClockSkewMs) {
      return refuse(kRequestExpired,
                    fmt::format("Request timestamp {} is more than 15 minutes away from the "
                                "server time {}; check the client's clock",
                                in.amz_date, format_amz_date(now_ms)));
    }
  }
  if (in.scope_date != in.amz_date.substr(0, 8)) {
    return refuse(kSignatureDoesNotMatch,
                  fmt::format("Credential date {} does not match the request date {}",
                              in.scope_date, in.amz_date.substr(0, 8)));
  }

  // Payload hash candidates.
  std::vector<std::string> payloads;
  const auto content_sha = header_values(headers, "x-amz-content-sha256");
  const std::string body_hash =
      req.body_sha256_hex ? std::string(*req.body_sha256_hex) : sha256_hex(req.body);
  if (content_sha) {
    if (*content_sha == kUnsignedPayload) {
      payloads.push_back(std::string(kUnsignedPayload));
    } else if (is_lower_hex64(*content_sha)) {
      if (!constant_time_equal(*content_sha, body_hash)) {
        return refuse(kSignatureDoesNotMatch,
                      "x-amz-content-sha256 does not match the SHA-256 of the request body");
      }
      payloads.push_back(*content_sha);
    } else {
      return refuse(kIncompleteSignature,
                    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a lower-case hex SHA-256 "
                    "(streaming payload signatures are not supported)");
    }
  } else {
    payloads.push_back(body_hash);
    if (presigned) payloads.push_back(std::string(kUnsignedPayload));
  }

  auto key = resolve(in.key_id);
  if (!key.ok()) {
    if (key.status().code() == Code::kNotFound ||
        key.status().message().starts_with(kInvalidClientTokenId)) {
      return refuse(kInvalidClientTokenId,
                    "The security token included in the request is invalid (unknown or inactive "
                    "access key)");
    }
    return key.status();
  }
  const std::string scope =
      fmt::format("{}/{}/{}/aws4_request", in.scope_date, in.region, in.service);
  const std::string k = signing_key(key->secret, in.scope_date, in.region, in.service);
  bool match = false;
  for (const auto& payload : payloads) {
    const std::string creq =
        canonical_request(req, in.signed_headers, payload, presigned ? "X-Amz-Signature" : "");
    const std::string expected = sigv4_signature(k, string_to_sign(in.amz_date, scope, creq));
    // Evaluate every candidate so the time does not tell which one matched.
    match = constant_time_equal(expected, in.signature) || match;
  }
  if (!match) {
    return refuse(kSignatureDoesNotMatch,
                  "The request signature we calculated does not match the signature you "
                  "provided. Check your AWS Secret Access Key and signing method.");
  }
  SigV4Identity id;
  id.access_key_id = std::move(in.key_id);
  id.account = std::move(key->account);
  id.region = std::move(in.region);
  id.service = std::move(in.service);
  id.presigned = presigned;
  return id;
}

}  // namespace opsight::auth
