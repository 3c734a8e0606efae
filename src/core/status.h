// Status and Result: the core never throws across its API. A failed call carries a
// message that names the model element (file, node, tensor, op) and what was expected.
#pragma once
#include <optional>
#include <sstream>
#include <string>
#include <utility>

namespace qplay {

enum class StatusCode { kOk, kInvalidModel, kUnsupported, kInvalidArgument, kCancelled, kInternal };

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with context, e.g. the node a kernel failure happened in.
  Status WithContext(const std::string& context) const {
    return ok() ? *this : Status(code_, context + ": " + message_);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Text from streamable parts: Message("scale ", 1e-12) is "scale 1e-12".
template <typename... Parts>
std::string Message(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

// A failure with a message from streamable parts: Fail(kUnsupported, "op ", op, " is not supported").
template <typename... Parts>
Status Fail(StatusCode code, const Parts&... parts) {
  return Status(code, Message(parts...));
}

template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  Result(Status status) : status_(std::move(status)) {}

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T* operator->() { return &*value_; }
  T& operator*() { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace qplay

#define QPLAY_RETURN_IF_ERROR(expr)        \
  do {                                     \
    ::qplay::Status _qplay_status = (expr); \
    if (!_qplay_status.ok()) return _qplay_status; \
  } while (0)
