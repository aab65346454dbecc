// Errors as values. Library code returns Status or Result<T>; only src/cli turns them into exit
// codes. An error carries a kind (how callers should react) and a message that already names the
// operation and the objects involved (stream, shard, sequence number, table, column).
#pragma once

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace ki {

enum class ErrorKind {
  kOk,
  kRetriable,        // throttling, 5xx, connection reset, timeouts: try again with backoff
  kExpiredIterator,  // shard iterator expired: re-acquire it from the last position
  kFatal,            // the user must act: unknown stream, access denied, bad credentials, ...
  kBadRecord,        // a record that cannot be converted; goes to the configured error policy
  kInvalidArgument,  // wrong usage or configuration (exit code 2 at the CLI when it is usage)
  kNotFound,         // a thing that should exist does not (table, file, profile)
  kIo,               // local I/O or database failure
  kInternal,
};

const char* ErrorKindName(ErrorKind kind);

// What a caller needs to react to an error without reading its message: where it came from
// (AWS error type and request id, HTTP status, SQLSTATE) and librdkafka-style flags. Filled where
// the error is first seen (the Kinesis client, the sinks); WithContext keeps it.
struct ErrorDetail {
  std::string aws_error_type;  // the JSON "__type" without its namespace, e.g. "ResourceNotFoundException"
  std::string request_id;      // x-amzn-RequestId
  int http_status = 0;         // 0: no HTTP response
  std::string sqlstate;        // PostgreSQL's five-character code
  // The same call may succeed when tried again (throttling, 5xx, a reset connection).
  bool retriable = false;
  // The open transaction is lost (a dropped database connection, a server-side abort): roll
  // back and start again from the committed positions; retrying the statement cannot help.
  bool abort_transaction = false;
  // Nothing this process can do will help: the user must act.
  bool fatal = false;
  // COMMIT was sent and no answer came back: the transaction may or may not have committed.
  bool commit_outcome_unknown = false;
  // The call gave up because the caller asked to stop (CancelledStatus in common/retry.h), not
  // because anything failed.
  bool cancelled = false;
  // Several workers sharing a stream: the commit was refused because another worker holds (a
  // newer epoch of) the lease of a shard this one wrote positions for. Rolled back; the worker
  // drops those shards and starts again from the committed positions.
  bool lease_lost = false;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(ErrorKind kind, std::string message) {
    Status s;
    s.kind_ = kind;
    s.message_ = std::move(message);
    return s;
  }

  bool ok() const { return kind_ == ErrorKind::kOk; }
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }

  // The structured detail; flags not set explicitly follow the kind (kRetriable -> retriable,
  // kFatal -> fatal).
  ErrorDetail detail() const {
    ErrorDetail d = detail_ ? *detail_ : ErrorDetail{};
    if (!detail_) {
      d.retriable = kind_ == ErrorKind::kRetriable;
      d.fatal = kind_ == ErrorKind::kFatal;
    }
    return d;
  }
  bool has_detail() const { return detail_ != nullptr; }
  Status WithDetail(ErrorDetail detail) const& {
    Status s = *this;
    if (!ok()) s.detail_ = std::make_shared<const ErrorDetail>(std::move(detail));
    return s;
  }

  // Prefixes the message with more context: "GetRecords stream 'x' shard 'y': <message>".
  Status WithContext(const std::string& context) const& {
    if (ok()) return *this;
    Status s = Error(kind_, context + ": " + message_);
    s.detail_ = detail_;
    return s;
  }

 private:
  ErrorKind kind_ = ErrorKind::kOk;
  std::string message_;
  std::shared_ptr<const ErrorDetail> detail_;  // shared: statuses are copied along call chains
};

inline Status FatalError(std::string m) { return Status::Error(ErrorKind::kFatal, std::move(m)); }
inline Status InvalidArgument(std::string m) {
  return Status::Error(ErrorKind::kInvalidArgument, std::move(m));
}
inline Status NotFound(std::string m) { return Status::Error(ErrorKind::kNotFound, std::move(m)); }
inline Status IoError(std::string m) { return Status::Error(ErrorKind::kIo, std::move(m)); }
inline Status BadRecord(std::string m) { return Status::Error(ErrorKind::kBadRecord, std::move(m)); }
inline Status InternalError(std::string m) {
  return Status::Error(ErrorKind::kInternal, std::move(m));
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design, like arrow::Result
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
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

}  // namespace ki

#define KI_CONCAT_INNER(a, b) a##b
#define KI_CONCAT(a, b) KI_CONCAT_INNER(a, b)

// Returns the status from the enclosing function if it is an error.
#define KI_RETURN_IF_ERROR(expr)            \
  do {                                      \
    ::ki::Status _ki_st = (expr);           \
    if (!_ki_st.ok()) return _ki_st;        \
  } while (0)

#define KI_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()

// KI_ASSIGN_OR_RETURN(auto x, SomethingReturningResult());
#define KI_ASSIGN_OR_RETURN(lhs, expr) \
  KI_ASSIGN_OR_RETURN_IMPL(KI_CONCAT(_ki_result_, __LINE__), lhs, expr)
