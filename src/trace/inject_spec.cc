#include "trace/inject_spec.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "syscalls/constants.h"
#include "trace/signal_filter.h"

namespace sysgate::trace {
namespace {

Error bad(std::string message) { return make_error(ErrorCode::kInvalidArgument, std::move(message)); }

// A whole decimal number within [low, high], or nullopt.
std::optional<uint64_t> number_in(std::string_view text, uint64_t low, uint64_t high) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value < low || value > high) return std::nullopt;
  return value;
}

std::optional<int> errno_of(std::string_view text) {
  if (std::optional<uint64_t> n = number_in(text, 1, 4095)) return static_cast<int>(*n);
  std::string name(text);
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return syscalls::constants::errno_by_name(name);
}

// strace's time specification: strtod's number, then s, ms, us or ns (us without).
std::optional<uint64_t> nanoseconds_of(std::string_view text) {
  const std::string copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end == copy.c_str() || !std::isfinite(value) || value < 0) return std::nullopt;
  const std::string_view unit(end);
  double scale = 0;
  if (unit.empty() || unit == "us") scale = 1e3;
  else if (unit == "s") scale = 1e9;
  else if (unit == "ms") scale = 1e6;
  else if (unit == "ns") scale = 1;
  else return std::nullopt;
  const double ns = value * scale;
  if (ns >= 1e18) return std::nullopt;  // ~31 years
  return static_cast<uint64_t>(ns);
}

// first[..last][+[step]]
Result<void> parse_when(std::string_view text, InjectRule& rule) {
  const Error error = bad("when=" + std::string(text) + ": expected first[..last][+[step]], first and step 1..65535, last first..65534");
  std::string_view step_text;
  bool has_step = false;
  if (const size_t plus = text.find('+'); plus != std::string_view::npos) {
    has_step = true;
    step_text = text.substr(plus + 1);
    text = text.substr(0, plus);
  }
  std::string_view last_text;
  bool has_last = false;
  if (const size_t dots = text.find(".."); dots != std::string_view::npos) {
    has_last = true;
    last_text = text.substr(dots + 2);
    text = text.substr(0, dots);
  }
  const std::optional<uint64_t> first = number_in(text, 1, 65535);
  if (!first) return error;
  rule.first = static_cast<uint32_t>(*first);
  rule.last = 0;
  rule.step = 0;
  if (has_last) {
    const std::optional<uint64_t> last = number_in(last_text, *first, 65534);
    if (!last) return error;
    rule.last = static_cast<uint32_t>(*last);
    rule.step = 1;
  }
  if (has_step) {
    if (step_text.empty()) {
      rule.step = 1;
    } else {
      const std::optional<uint64_t> step = number_in(step_text, 1, 65535);
      if (!step) return error;
      rule.step = static_cast<uint32_t>(*step);
    }
  }
  return {};
}

}  // namespace

Result<InjectSpec> parse_inject_spec(std::string_view text, bool fault) {
  const size_t colon = text.find(':');
  Result<TraceFilter> calls = parse_trace_filter(text.substr(0, colon));
  if (!calls) return calls.error();
  InjectSpec spec;
  spec.calls = std::move(*calls);
  spec.rule.first = 1;
  spec.rule.step = 1;
  bool has_error = false;
  bool has_retval = false;
  bool has_signal = false;
  std::string_view rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  while (!rest.empty()) {
    const size_t next = rest.find(':');
    const std::string_view option = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    const size_t equals = option.find('=');
    const std::string_view key = option.substr(0, equals);
    const std::string_view value = equals == std::string_view::npos ? std::string_view() : option.substr(equals + 1);
    const std::string quoted = "'" + std::string(option) + "'";
    if (equals == std::string_view::npos) return bad("expected option=value, not " + quoted);
    if (key == "when") {
      if (Result<void> r = parse_when(value, spec.rule); !r) return r.error();
    } else if (key == "error") {
      if (has_error || has_retval) return bad("one error= or retval= only");
      const std::optional<int> err = errno_of(value);
      if (!err) return make_error(ErrorCode::kUnknownName, "unknown errno '" + std::string(value) + "'");
      spec.rule.ret = -static_cast<int64_t>(*err);
      spec.rule.flags |= kInjectReturn;
      has_error = true;
    } else if (fault) {
      return bad("-e fault= takes only error= and when=, not " + quoted);
    } else if (key == "retval") {
      if (has_error || has_retval) return bad("one error= or retval= only");
      const std::optional<uint64_t> n = number_in(value, 0, uint64_t{INT64_MAX});
      if (!n) return bad("retval=" + std::string(value) + ": expected a number 0..9223372036854775807");
      spec.rule.ret = static_cast<int64_t>(*n);
      spec.rule.flags |= kInjectReturn;
      has_retval = true;
    } else if (key == "signal") {
      if (has_signal) return bad("one signal= only");
      const int sig = signal_of(value);
      if (sig == 0) return make_error(ErrorCode::kUnknownName, "unknown signal '" + std::string(value) + "'");
      spec.rule.signal = static_cast<uint8_t>(sig);
      has_signal = true;
    } else if (key == "delay_enter" || key == "delay_exit") {
      const std::optional<uint64_t> ns = nanoseconds_of(value);
      if (!ns) return bad(std::string(key) + "=" + std::string(value) + ": expected a time such as 500, 20ms or 1.5s");
      (key == "delay_enter" ? spec.rule.delay_enter_ns : spec.rule.delay_exit_ns) = *ns;
    } else if (key == "syscall" || key == "poke_enter" || key == "poke_exit") {
      return make_error(ErrorCode::kUnsupported, std::string(key) + "= is not supported");
    } else {
      return bad("unknown option " + quoted);
    }
  }
  if (fault && !has_error) {
    spec.rule.ret = -38;  // ENOSYS
    spec.rule.flags |= kInjectReturn;
  }
  const bool delays = spec.rule.delay_enter_ns != 0 || spec.rule.delay_exit_ns != 0;
  if ((spec.rule.flags & kInjectReturn) == 0 && !has_signal && !delays) {
    return bad("needs error=, retval=, signal=, delay_enter= or delay_exit=");
  }
  return spec;
}

Result<InjectTable> inject_table(const std::vector<InjectSpec>& specs, const TraceFilter& traced) {
  InjectTable table{};
  if (specs.size() > kMaxInjectRules) {
    return make_error(ErrorCode::kTooLarge, "at most " + std::to_string(kMaxInjectRules) + " -e inject= or -e fault=");
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    table.rules[i] = specs[i].rule;
    for (int nr = 0; nr < kCallMaskNumbers; ++nr) {
      if (specs[i].calls.matches(nr) && traced.matches(nr)) table.rule_of[nr] = static_cast<uint8_t>(i + 1);
    }
  }
  table.rule_count = static_cast<uint32_t>(specs.size());
  return table;
}

}  // namespace sysgate::trace
