#include "trace/seccomp_format.h"

#include <linux/prctl.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include <cstdint>
#include <cstring>

#include "syscalls/number_text.h"
#include "syscalls/seccomp_format.h"
#include "trace/payload_field.h"

namespace sysgate::trace {
namespace {

// struct sock_fprog: a u16 count of instructions and, 8 bytes in, their address.
bool append_sock_fprog(std::string& out, const std::string& bytes) {
  if (bytes.size() != 16) return false;
  out += "{len=";
  syscalls::append_decimal(out, payload_field<uint16_t>(bytes, 0));
  out += ", filter=";
  const auto filter = payload_field<uint64_t>(bytes, 8);
  if (filter == 0) {
    out += "NULL";
  } else {
    syscalls::append_hex(out, filter);
  }
  out += '}';
  return true;
}

// struct seccomp_notif_sizes: three u16, the kernel's sizes of its notification structs.
bool append_notif_sizes(std::string& out, const std::string& bytes) {
  if (bytes.size() != 6) return false;
  out += "{seccomp_notif=";
  syscalls::append_decimal(out, payload_field<uint16_t>(bytes, 0));
  out += ", seccomp_notif_resp=";
  syscalls::append_decimal(out, payload_field<uint16_t>(bytes, 2));
  out += ", seccomp_data=";
  syscalls::append_decimal(out, payload_field<uint16_t>(bytes, 4));
  out += '}';
  return true;
}

}  // namespace

bool append_seccomp_payload(std::string& out, const Record& r, const Payload& p, syscalls::ConstStyle consts) {
  if (p.arg != 2) return false;
  if (r.nr == SYS_prctl) {
    const bool filter = static_cast<uint32_t>(r.args[0]) == PR_SET_SECCOMP && r.args[1] == SECCOMP_MODE_FILTER;
    return filter && append_sock_fprog(out, p.bytes);
  }
  if (r.nr != SYS_seccomp) return false;
  switch (static_cast<uint32_t>(r.args[0])) {
    case SECCOMP_SET_MODE_FILTER:
      return append_sock_fprog(out, p.bytes);
    case SECCOMP_GET_ACTION_AVAIL:
      if (p.bytes.size() != 4) return false;
      out += '[';
      syscalls::append_seccomp_action(out, payload_field<uint32_t>(p.bytes, 0), consts);
      out += ']';
      return true;
    case SECCOMP_GET_NOTIF_SIZES:
      return append_notif_sizes(out, p.bytes);
    default:
      return false;
  }
}

}  // namespace sysgate::trace
