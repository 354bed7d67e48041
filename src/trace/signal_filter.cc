#include "trace/signal_filter.h"

#include <cctype>
#include <charconv>
#include <string>

#include "syscalls/constants.h"
#include "trace/set_items.h"

namespace sysgate::trace {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

int signal_of(std::string_view item) {
  int number = 0;
  const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), number);
  if (ec == std::errc() && end == item.data() + item.size()) return number >= 1 && number <= 64 ? number : 0;
  std::string name = upper(item);
  if (name.rfind("SIG", 0) != 0) name = "SIG" + name;
  const std::optional<int> sig = syscalls::constants::signal_by_name(name);
  return sig && *sig >= 1 && *sig <= 64 ? *sig : 0;
}

Result<SignalFilter> parse_signal_filter(std::string_view set) {
  SignalFilter filter;
  filter.selected_.reset();
  const bool invert = take_inversion(set);
  while (!set.empty()) {
    const std::string_view item = take_item(set);
    if (item.empty()) continue;
    const std::string word = upper(item);
    if (word == "ALL") {
      filter.selected_.set();
    } else if (word == "NONE") {
      // nothing more
    } else if (const int sig = signal_of(item); sig != 0) {
      filter.selected_.set(static_cast<size_t>(sig));
    } else {
      return make_error(ErrorCode::kUnknownName, "invalid signal '" + std::string(item) + "'");
    }
  }
  if (invert) filter.selected_.flip();
  filter.selected_.reset(0);
  return filter;
}

}  // namespace sysgate::trace
