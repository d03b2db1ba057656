// Errors are values: every fallible call returns a Status or a Result<T>.
// The codes are a stable catalogue: they appear in CLI messages, HTTP error bodies
// ({"code":"...","message":"..."}) and logs, so a code is never renamed or reused.
#pragma once

#include <cassert>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace attrib {

// X(enumerator, stable wire code, HTTP status used by the server).
#define ATTRIB_ERROR_CODES(X)                        \
  X(kInvalidArgument, "invalid_argument", 400)       \
  X(kInvalidUrl, "invalid_url", 400)                 \
  X(kInvalidRules, "invalid_rules", 400)             \
  X(kLimitExceeded, "limit_exceeded", 413)           \
  X(kNotFound, "not_found", 404)                     \
  X(kAlreadyExists, "already_exists", 409)           \
  X(kFailedPrecondition, "failed_precondition", 409) \
  X(kUnavailable, "unavailable", 503)                \
  X(kIoError, "io_error", 500)                       \
  X(kInternal, "internal", 500)

enum class ErrorCode {
  kOk = 0,
#define ATTRIB_X(name, wire, http) name,
  ATTRIB_ERROR_CODES(ATTRIB_X)
#undef ATTRIB_X
};

// The stable wire name of a code ("invalid_url"); "ok" for kOk.
std::string_view ErrorCodeName(ErrorCode code);
// The HTTP status the server answers with for a code (200 for kOk).
int ErrorCodeHttpStatus(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(ErrorCode code, std::string message)
      : rep_(code == ErrorCode::kOk ? nullptr : new Rep{code, std::move(message)}) {}
  Status(const Status& other) : rep_(other.rep_ ? new Rep(*other.rep_) : nullptr) {}
  Status& operator=(const Status& other) {
    if (this != &other) rep_.reset(other.rep_ ? new Rep(*other.rep_) : nullptr);
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {ErrorCode::kInvalidArgument, std::move(m)};
  }
  static Status InvalidUrl(std::string m) { return {ErrorCode::kInvalidUrl, std::move(m)}; }
  static Status InvalidRules(std::string m) { return {ErrorCode::kInvalidRules, std::move(m)}; }
  static Status LimitExceeded(std::string m) { return {ErrorCode::kLimitExceeded, std::move(m)}; }
  static Status NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {ErrorCode::kAlreadyExists, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {ErrorCode::kFailedPrecondition, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
  static Status IoError(std::string m) { return {ErrorCode::kIoError, std::move(m)}; }
  static Status Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

  bool ok() const { return rep_ == nullptr; }
  ErrorCode code() const { return rep_ ? rep_->code : ErrorCode::kOk; }
  const std::string& message() const;
  // "invalid_url: url: invalid character '!' in host"
  std::string ToString() const;

 private:
  // An OK status is one null pointer: cheap to create, return and test on every event.
  struct Rep {
    ErrorCode code;
    std::string message;
  };
  std::unique_ptr<Rep> rep_;
};

// A value or the Status saying why there is none. Constructing from an OK status is a bug.
template <class T>
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
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace attrib

#define ATTRIB_CONCAT_INNER(a, b) a##b
#define ATTRIB_CONCAT(a, b) ATTRIB_CONCAT_INNER(a, b)

#define ATTRIB_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::attrib::Status attrib_status_ = (expr);        \
    if (!attrib_status_.ok()) return attrib_status_; \
  } while (0)

#define ATTRIB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

// ATTRIB_ASSIGN_OR_RETURN(auto x, MaybeX());
#define ATTRIB_ASSIGN_OR_RETURN(lhs, expr) \
  ATTRIB_ASSIGN_OR_RETURN_IMPL(ATTRIB_CONCAT(attrib_result_, __LINE__), lhs, expr)
