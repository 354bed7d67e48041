// strace -y inside structs: a descriptor followed by what it names.
//
//   append_fd_with_name(out, 3, fd_name);   // "3</etc/hosts>", or "3" unnamed
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "syscalls/number_text.h"

namespace sysgate::trace {

// -y: the name of one of the record's process's descriptors, or null (and an
// empty function without -y).
using FdName = std::function<const std::string*(int32_t fd)>;

inline void append_fd_with_name(std::string& out, int32_t fd, const FdName& fd_name) {
  syscalls::append_decimal(out, fd);
  if (const std::string* name = fd_name ? fd_name(fd) : nullptr) {
    out += '<';
    out += *name;
    out += '>';
  }
}

}  // namespace sysgate::trace
