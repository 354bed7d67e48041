#include "trace/mempolicy_format.h"

#include <sys/syscall.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "syscalls/constants.h"
#include "syscalls/number_text.h"

namespace sysgate::trace {
namespace {

constexpr uint64_t kMpolFNode = 1;

// The argument holding maxnode for the call's node mask argument, or -1.
int maxnode_arg(int nr, int mask_arg) {
  switch (nr) {
    case SYS_get_mempolicy:
    case SYS_set_mempolicy: return mask_arg == 1 ? 2 : -1;
    case SYS_mbind: return mask_arg == 3 ? 4 : -1;
    default: return -1;
  }
}

void append_node_mask(std::string& out, const std::string& bytes, uint64_t maxnode) {
  const uint64_t longs = maxnode < 2 ? 0 : (maxnode - 1 + 63) / 64;
  const size_t shown = bytes.size() / 8;
  out += '[';
  for (size_t i = 0; i < shown; ++i) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + 8 * i, sizeof word);
    char text[24];
    std::snprintf(text, sizeof text, "%#016" PRIx64, word);
    if (i > 0) out += ", ";
    out += text;
  }
  if (longs > shown) out += shown > 0 ? ", ..." : "...";
  out += ']';
}

}  // namespace

bool append_mempolicy_payload(std::string& out, const Record& r, const Payload& p) {
  if (r.nr == SYS_get_mempolicy && p.arg == 0) {
    if (p.bytes.size() != 4) return false;
    int32_t mode;
    std::memcpy(&mode, p.bytes.data(), sizeof mode);
    if ((r.args[4] & kMpolFNode) != 0) {
      syscalls::append_bracketed_decimal(out, mode);  // a node number
      return true;
    }
    out += '[';
    syscalls::constants::append_value(out, syscalls::ArgType::kMempolicyMode, static_cast<uint32_t>(mode));
    out += ']';
    return true;
  }
  const int maxnode = maxnode_arg(r.nr, p.arg);
  if (maxnode < 0 || p.bytes.empty() || p.bytes.size() % 8 != 0) return false;
  append_node_mask(out, p.bytes, r.args[maxnode]);
  return true;
}

}  // namespace sysgate::trace
