#include "cli/command_boundary.h"

#include <cstdint>

namespace sysgate::cli {
namespace {

constexpr size_t kUnknown = SIZE_MAX;

// How many arguments the option arg uses: itself, and its value when that is
// the next argument. 0: not an option (the command starts here); kUnknown:
// not one of sub's (CLI11 then says so).
size_t option_length(const CLI::App& sub, const std::string& arg) {
  if (arg.size() < 2 || arg[0] != '-') return 0;
  auto find = [&](const std::string& name) { return sub.get_option_no_throw(name); };
  if (arg[1] == '-') {  // --name or --name=value
    const CLI::Option* option = find(arg.substr(0, arg.find('=')));
    if (option == nullptr) return kUnknown;
    return arg.find('=') == std::string::npos && option->get_items_expected_min() > 0 ? 2 : 1;
  }
  // -x, -xVALUE, or flags run together (-ff, -qq, -fo FILE): the first letter
  // that takes a value takes the rest of the argument, or the next one.
  for (size_t i = 1; i < arg.size(); ++i) {
    const CLI::Option* option = find(std::string{'-', arg[i]});
    if (option == nullptr) return kUnknown;
    if (option->get_items_expected_min() > 0) return i + 1 < arg.size() ? 1 : 2;
  }
  return 1;
}

}  // namespace

std::vector<std::string> with_command_boundary(const CLI::App& sub, int argc, char** argv, int first) {
  std::vector<std::string> args(argv, argv + argc);
  size_t i = static_cast<size_t>(first);
  while (i < args.size()) {
    if (args[i] == "--") return args;
    const size_t n = option_length(sub, args[i]);
    if (n == kUnknown) return args;
    if (n == 0) {
      args.insert(args.begin() + static_cast<std::ptrdiff_t>(i), "--");
      return args;
    }
    i += n;
  }
  return args;
}

}  // namespace sysgate::cli
