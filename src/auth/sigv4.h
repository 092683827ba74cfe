#pragma once
// Verification of AWS Signature Version 4 requests, implemented from the AWS documentation
// "Signature Version 4 signing process" / "Create a signed AWS API request"
// (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html) and
// "Authenticating Requests: Using Query Parameters" for the presigned form. Free of HTTP types:
// the caller passes the method, the raw path and query as received, the headers and the body.
//
// Design:
//  - Both forms are accepted: the Authorization header ("AWS4-HMAC-SHA256 Credential=<key>/
//    <yyyymmdd>/<region>/<service>/aws4_request, SignedHeaders=a;b, Signature=<64 hex>") and the
//    query string (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires <= 7 days,
//    X-Amz-SignedHeaders, X-Amz-Signature).
//  - Canonical request = method \n canonical URI \n canonical query \n canonical headers \n
//    signed headers \n payload hash. The URI is the received (already encoded) path with dot
//    segments and empty segments removed, URI-encoded again (every service but S3 double-encodes;
//    opsight serves no S3). Query names and values are decoded and re-encoded with the strict
//    unreserved set (A-Z a-z 0-9 - _ . ~, space as %20), sorted by name then value.
//    Header values are trimmed with runs of spaces collapsed; repeated headers join with ",".
//  - Payload: x-amz-content-sha256 when present ("UNSIGNED-PAYLOAD" is accepted; a hash must
//    equal the body's, so a tampered body fails even though the header itself was signed), else
//    SHA-256 of the body. A presigned request without that header may use either the body's hash
//    or UNSIGNED-PAYLOAD (clients differ), so its body is not protected — as in AWS.
//  - Time: X-Amz-Date (or Date, RFC 1123) must be within kMaxClockSkewMs of now both ways; the
//    credential scope's date must be the request date's day. Presigned requests are valid from
//    X-Amz-Date - skew to X-Amz-Date + X-Amz-Expires. Any region and service are accepted: they
//    are only inputs to the signing key.
//  - The signature is compared in constant time.
//
// Errors: a non-ok Status with code Unauthenticated whose message starts with the AWS error code
// (api/aws/protocol/aws_error.h renders it): MissingAuthenticationToken, IncompleteSignature,
// InvalidClientTokenId (unknown or inactive key), SignatureDoesNotMatch, RequestExpired (header
// form outside the skew window) and SignatureExpired (presigned URL past X-Amz-Expires). Other
// codes (e.g. an I/O error of the key lookup) pass through unchanged. Messages never contain the
// secret, the expected signature, the string to sign or the canonical request.
//
// Thread safety: pure functions; the key resolver is called on the caller's thread.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace opsight::auth {

inline constexpr int64_t kMaxClockSkewMs = 15 * 60'000;
inline constexpr int64_t kMaxPresignExpiresSeconds = 7 * 86'400;
inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

// The AWS error codes of refused requests (message prefixes).
inline constexpr std::string_view kMissingAuthenticationToken = "MissingAuthenticationToken";
inline constexpr std::string_view kIncompleteSignature = "IncompleteSignature";
inline constexpr std::string_view kInvalidClientTokenId = "InvalidClientTokenId";
inline constexpr std::string_view kSignatureDoesNotMatch = "SignatureDoesNotMatch";
inline constexpr std::string_view kRequestExpired = "RequestExpired";
inline constexpr std::string_view kSignatureExpired = "SignatureExpired";

struct SigV4Request {
  std::string_view method;
  std::string_view raw_path;   // as received, still percent-encoded; "" means "/"
  std::string_view raw_query;  // after '?', as received; "" when none
  // Header names lower-case; a name may repeat.
  const std::vector<std::pair<std::string, std::string>>* headers = nullptr;
  std::string_view body;
  // SHA-256 hex of the body when the caller has it (then `body` is not hashed).
  std::optional<std::string_view> body_sha256_hex;
};

// What a key id resolves to. NotFound (or any Status whose message starts with
// InvalidClientTokenId) = unknown or inactive key.
struct ResolvedKey {
  std::string account;
  std::string secret;
};
using KeyResolver = std::function<Result<ResolvedKey>(std::string_view access_key_id)>;

// Who signed a verified request.
struct SigV4Identity {
  std::string access_key_id;
  std::string account;
  std::string region;   // from the credential scope
  std::string service;  // from the credential scope
  bool presigned = false;
};

// True when the request carries any SigV4 material (an Authorization header or
// X-Amz-Signature / X-Amz-Credential in the query).
bool has_sigv4_material(const SigV4Request& req);

// Verifies `req` signed at most kMaxClockSkewMs from `now_ms` (Unix ms).
Result<SigV4Identity> verify_sigv4(const SigV4Request& req, int64_t now_ms,
                                   const KeyResolver& resolve);

// ---- Building blocks, exposed for tests and for signing in tests. Their outputs are secret
// material or derived from it: never log or return them to clients. ----

// URI-encodes per SigV4: unreserved bytes kept, everything else %XX (upper-case hex);
// '/' kept when `keep_slash`.
std::string sigv4_uri_encode(std::string_view s, bool keep_slash);
// The canonical URI of a raw path: dot and empty segments removed, encoded again.
std::string canonical_uri(std::string_view raw_path);
// The canonical query of a raw query string, without the parameter `exclude` (when non-empty).
std::string canonical_query(std::string_view raw_query, std::string_view exclude = "");
// The canonical request for `signed_headers` (lower-case, ';'-separated, as given by the client).
std::string canonical_request(const SigV4Request& req, std::string_view signed_headers,
                              std::string_view payload_hash, std::string_view exclude_query = "");
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);
// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service);
// Lower-case hex HMAC-SHA256(signing_key, string_to_sign).
std::string sigv4_signature(std::string_view signing_key, std::string_view string_to_sign);

// Signs a request in the header form (for tests and tools): returns the Authorization header
// value. `req.headers` must already hold host and x-amz-date (= amz_date); all its headers are
// signed.
std::string sign_sigv4_header(const SigV4Request& req, std::string_view access_key_id,
                              std::string_view secret, std::string_view amz_date,
                              std::string_view region, std::string_view service);

// Parses "YYYYMMDDTHHMMSSZ" into Unix ms.
Result<int64_t> parse_amz_date(std::string_view s);
// Formats Unix ms as "YYYYMMDDTHHMMSSZ".
std::string format_amz_date(int64_t unix_ms);

}  // namespace opsight::auth
