#pragma once
// Status and Result<T>: the error values of opsight. No exceptions cross the ingest and query
// paths; a function that can fail returns one of these. Messages are written for the user who
// sent the request: they name the item and the rule that was broken.

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace opsight {

enum class Code {
  kOk = 0,
  kInvalidArgument,    // bad input: 400
  kNotFound,           // 404
  kAlreadyExists,      // 409
  kResourceExhausted,  // limit or overload: 429
  kUnavailable,        // shutting down, not ready: 503
  kDeadlineExceeded,   // query deadline: 503/504
  kPermissionDenied,   // 403
  kUnauthenticated,    // 401
  kFailedPrecondition,
  kCorruption,  // on-disk data failed a checksum or format check
  kIOError,
  kCancelled,
  kUnimplemented,
  kInternal,
};

std::string_view code_name(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }
  static Status invalid_argument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status not_found(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status already_exists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
  static Status resource_exhausted(std::string m) {
    return {Code::kResourceExhausted, std::move(m)};
  }
  static Status unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status deadline_exceeded(std::string m) { return {Code::kDeadlineExceeded, std::move(m)}; }
  static Status corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status io_error(std::string m) { return {Code::kIOError, std::move(m)}; }
  static Status internal(std::string m) { return {Code::kInternal, std::move(m)}; }
  static Status unimplemented(std::string m) { return {Code::kUnimplemented, std::move(m)}; }
  static Status failed_precondition(std::string m) {
    return {Code::kFailedPrecondition, std::move(m)};
  }
  static Status cancelled(std::string m) { return {Code::kCancelled, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "InvalidArgument: message"
  std::string to_string() const;

  // Returns a copy whose message is "<prefix>: <message>".
  Status with_prefix(std::string_view prefix) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status OkStatus() {
  return Status();
}

// Result<T>: a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace opsight

#define OPSIGHT_CONCAT_INNER(a, b) a##b
#define OPSIGHT_CONCAT(a, b) OPSIGHT_CONCAT_INNER(a, b)

// RETURN_IF_ERROR(expr): return the Status of expr when it is not ok.
#define RETURN_IF_ERROR(expr)       \
  do {                              \
    ::opsight::Status _st = (expr); \
    if (!_st.ok()) return _st;      \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): evaluate a Result; return its Status on error, else assign.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(OPSIGHT_CONCAT(_res_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
