// The shape of strace's sets (-e signal=, -e read=, ...): ["!"] item ("," item)*.
//
//   const bool invert = take_inversion(set);
//   while (!set.empty()) { std::string_view item = take_item(set); ... }
//
// Pure, inline.
#pragma once

#include <string_view>

namespace sysgate::trace {

// Drops a leading "!" and says whether there was one.
inline bool take_inversion(std::string_view& set) {
  const bool invert = !set.empty() && set[0] == '!';
  if (invert) set.remove_prefix(1);
  return invert;
}

// The next comma-separated item (possibly empty), taken off the front of set.
inline std::string_view take_item(std::string_view& set) {
  const size_t comma = set.find(',');
  const std::string_view item = set.substr(0, comma);
  set = comma == std::string_view::npos ? std::string_view() : set.substr(comma + 1);
  return item;
}

}  // namespace sysgate::trace
