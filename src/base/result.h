// Result<T>: a value or an Error, the error type at every sysgate module boundary.
//
//   Result<Policy> p = parse_policy_file("p.toml");
//   if (!p) { std::cerr << p.error().describe() << "\n"; return 2; }
//   use(p.value());
//
// Errors carry a code (what kind of failure), a message, and an optional source
// position (file:line:column) for errors in policy text. Nothing here throws.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace sysgate {

enum class ErrorCode {
  kInvalidArgument,  // a caller passed something malformed
  kParse,            // policy text is malformed (has a position)
  kUnknownName,      // unknown syscall, promise, errno or constant
  kConflict,         // contradictory or unreachable rules
  kTooLarge,         // input or generated program exceeds a limit
  kUnsupported,      // the kernel lacks a feature
  kSystem,           // a syscall failed (message says which, errno included)
  kNotFound,         // a file or command does not exist
};

struct SourcePosition {
  std::string file;  // empty when the text did not come from a file
  uint32_t line = 0;    // 1-based; 0 = unknown
  uint32_t column = 0;  // 1-based; 0 = unknown
};

struct Error {
  ErrorCode code = ErrorCode::kInvalidArgument;
  std::string message;
  SourcePosition where;

  // "p.toml:3:14: unknown syscall \"opne\"" or just the message.
  std::string describe() const {
    std::string out;
    if (!where.file.empty() || where.line != 0) {
      out += where.file.empty() ? "<policy>" : where.file;
      if (where.line != 0) {
        out += ":" + std::to_string(where.line);
        if (where.column != 0) out += ":" + std::to_string(where.column);
      }
      out += ": ";
    }
    return out + message;
  }
};

inline Error make_error(ErrorCode code, std::string message, SourcePosition where = {}) {
  return Error{code, std::move(message), std::move(where)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Calling value() on an error (or error() on a value) is a programming bug: abort.
  T& value() & { check(ok()); return std::get<0>(state_); }
  const T& value() const& { check(ok()); return std::get<0>(state_); }
  T&& value() && { check(ok()); return std::get<0>(std::move(state_)); }
  const Error& error() const { check(!ok()); return std::get<1>(state_); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  static void check(bool condition) { if (!condition) std::abort(); }
  std::variant<T, Error> state_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { if (!failed_) std::abort(); return error_; }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace sysgate
