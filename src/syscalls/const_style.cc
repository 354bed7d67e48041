// The number forms and the verbose comment of const_style.h.
#include "syscalls/const_style.h"

#include <charconv>

#include "syscalls/number_text.h"

namespace sysgate::syscalls {
namespace {

// A text that is only a number (strace's abbreviation of a value with no
// name: "0", "0x40", "-1"), which a verbose comment would only repeat.
bool is_bare_number(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    const bool digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == 'x' || c == '-';
    if (!digit) return false;
  }
  return true;
}

}  // namespace

std::optional<ConstStyle> const_style_by_name(std::string_view name) {
  if (name == "abbrev") return ConstStyle::kAbbrev;
  if (name == "raw") return ConstStyle::kRaw;
  if (name == "verbose") return ConstStyle::kVerbose;
  return std::nullopt;
}

void append_number(std::string& out, uint64_t value, NumberForm form) {
  switch (form) {
    case NumberForm::kHex:
      return append_hex_or_zero(out, value);
    case NumberForm::kDecimal:
      return append_decimal(out, static_cast<int64_t>(value));
    case NumberForm::kUnsigned:
      return append_decimal(out, value);
    case NumberForm::kOctal: {
      if (value == 0) {
        out += '0';
        return;
      }
      char buf[24];
      const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, 8);
      out += '0';
      out.append(buf, end);
      return;
    }
  }
}

void finish_verbose_constant(std::string& out, size_t start, size_t number_end, size_t comment) {
  const std::string_view text(out.data() + comment, out.size() - comment);
  const std::string_view number(out.data() + start, number_end - start);
  if (is_bare_number(text)) {
    out.resize(number_end);
    return;
  }
  if (text.size() > number.size() + 4 && text.starts_with(number) && text.substr(number.size(), 4) == " /* ") {
    out.erase(start, comment - start);
    return;
  }
  out += " */";
}

}  // namespace sysgate::syscalls
