#include "trace/msghdr_format.h"

#include <sys/syscall.h>

#include <cstring>

#include "syscalls/constant_tables.h"
#include "syscalls/number_text.h"
#include "trace/payload_field.h"
#include "trace/iovec_format.h"
#include "trace/struct_format.h"

namespace sysgate::trace {
namespace {

constexpr size_t kMsghdr = 56;

void append_pointer(std::string& out, uint64_t v) {
  if (v == 0) out += "NULL";
  else syscalls::append_hex_or_zero(out, v);
}

}  // namespace

bool append_msghdr_arg(std::string& out, const Record& record, int index, uint64_t addr, size_t max_string,
                       syscalls::StringStyle style) {
  if ((record.nr != SYS_sendmsg && record.nr != SYS_recvmsg) || index != 1) return false;
  const bool receives = record.nr == SYS_recvmsg;
  if (receives && record.kind == kRecordSyscall && record.ret < 0) {
    // strace shows what it read before the call: the length offered.
    if (record.before_arg != 1) return false;
    out += "{msg_namelen=";
    syscalls::append_decimal(out, record.before_value);
    out += '}';
    return true;
  }
  const Payload* p = record.payload(1);
  if (p == nullptr || p->addr != addr || p->kind != kPayloadMsghdr || p->bytes.size() < kMsghdr + 8) return false;
  const std::string& b = p->bytes;
  const uint64_t name = payload_field<uint64_t>(b, 0);
  const uint32_t namelen = payload_field<uint32_t>(b, 8);
  const uint64_t iov = payload_field<uint64_t>(b, 16);
  const uint64_t iovlen = payload_field<uint64_t>(b, 24);
  const uint64_t control = payload_field<uint64_t>(b, 32);
  const uint64_t controllen = payload_field<uint64_t>(b, 40);
  const int32_t flags = payload_field<int32_t>(b, 48);
  const uint32_t name_bytes = payload_field<uint32_t>(b, kMsghdr);
  const size_t iov_at = kMsghdr + 8 + align_record(name_bytes);
  if (name_bytes > b.size() - kMsghdr - 8 || iov_at > b.size()) return false;

  out += "{msg_name=";
  const size_t start = out.size();
  bool shown = false;
  if (name_bytes != 0) {
    shown = append_socket_address(out, std::string_view(b).substr(kMsghdr + 8, name_bytes), style);
  }
  if (!shown) {
    out.resize(start);
    append_pointer(out, name);
  }
  out += ", msg_namelen=";
  if (receives && record.before_arg == 1 && record.before_value != namelen) {
    syscalls::append_decimal(out, record.before_value);
    out += " => ";
  }
  syscalls::append_decimal(out, namelen);
  out += ", msg_iov=";
  Payload array{.arg = 1, .kind = kPayloadIovec, .truncated = false, .addr = iov, .bytes = b.substr(iov_at)};
  const std::optional<std::vector<IovecElement>> elements = iovec_elements(array);
  if (iov != 0 && elements && (!elements->empty() || iovlen == 0)) {
    append_iovec_elements(out, *elements, iovlen, !receives, record.ret, max_string, style);
  } else {
    append_pointer(out, iov);
  }
  out += ", msg_iovlen=";
  syscalls::append_decimal(out, iovlen);
  if (controllen != 0) {
    out += ", msg_control=";
    append_pointer(out, control);
  }
  out += ", msg_controllen=";
  syscalls::append_decimal(out, controllen);
  out += ", msg_flags=";
  syscalls::constants::detail::append_flags(out, syscalls::constants::detail::kMsgFlags, static_cast<uint32_t>(flags));
  out += '}';
  return true;
}

}  // namespace sysgate::trace
