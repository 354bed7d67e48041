#include "trace/msghdr_format.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/syscall.h>

#include <cstring>

#include "syscalls/constant_tables.h"
#include "syscalls/constants.h"
#include "syscalls/number_text.h"
#include "syscalls/sockopt_names.h"
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

constexpr size_t kCmsghdr = 16;  // struct cmsghdr: size_t cmsg_len, int cmsg_level, int cmsg_type
constexpr int kSolSocket = 1, kScmRights = 1, kScmCredentials = 2;
constexpr int kSolIp = 0, kIpTos = 1, kIpTtl = 2, kIpPktinfo = 8;
constexpr int kSolIpv6 = 41;

// "inet_addr(\"127.0.0.1\")" of 4 bytes in network order.
void append_inet_addr(std::string& out, std::string_view data, size_t at) {
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, data.data() + at, text, sizeof text);
  out += "inet_addr(\"";
  out += text;
  out += "\")";
}

// SOL_IP's messages strace decodes: IP_TTL's int, IP_TOS's byte, IP_PKTINFO's
// struct in_pktinfo (the interface by name while it exists, as strace asks
// if_indextoname). False for a type whose data strace shows otherwise.
bool append_ip_control_data(std::string& out, int type, std::string_view data) {
  switch (type) {
    case kIpTtl:
      if (data.size() < 4) return false;
      out += ", cmsg_data=";
      syscalls::append_bracketed_decimal(out, payload_field<int32_t>(data, 0));
      return true;
    case kIpTos:
      if (data.empty()) return false;
      out += ", cmsg_data=";
      syscalls::append_bracketed_decimal(out, static_cast<uint8_t>(data[0]));
      return true;
    case kIpPktinfo: {
      if (data.size() < 12) return false;
      const auto index = payload_field<uint32_t>(data, 0);
      char name[IF_NAMESIZE];
      out += ", cmsg_data={ipi_ifindex=";
      if (if_indextoname(index, name) != nullptr) {
        out += "if_nametoindex(\"";
        out += name;
        out += "\")";
      } else {
        syscalls::append_decimal(out, index);
      }
      out += ", ipi_spec_dst=";
      append_inet_addr(out, data, 4);
      out += ", ipi_addr=";
      append_inet_addr(out, data, 8);
      out += '}';
      return true;
    }
    default:
      return false;
  }
}

// A control message's data, when strace decodes it: SCM_RIGHTS' descriptors,
// SCM_CREDENTIALS' {pid, uid, gid}.
void append_control_data(std::string& out, int level, int type, std::string_view data, const FdName& fd_name) {
  if (level != kSolSocket || data.empty()) return;
  if (type == kScmRights) {
    out += ", cmsg_data=[";
    for (size_t at = 0; at + 4 <= data.size(); at += 4) {
      if (at > 0) out += ", ";
      append_fd_with_name(out, payload_field<int32_t>(data, at), fd_name);
    }
    out += ']';
  } else if (type == kScmCredentials && data.size() >= 12) {
    out += ", cmsg_data={pid=";
    syscalls::append_decimal(out, payload_field<int32_t>(data, 0));
    out += ", uid=";
    syscalls::append_decimal(out, payload_field<uint32_t>(data, 4));
    out += ", gid=";
    syscalls::append_decimal(out, payload_field<uint32_t>(data, 8));
    out += '}';
  }
}

// msg_control as strace shows it: [{cmsg_len=20, cmsg_level=SOL_SOCKET,
// cmsg_type=SCM_RIGHTS, cmsg_data=[4]}, {cmsg_len=20, cmsg_level=SOL_IP,
// cmsg_type=IP_TTL, cmsg_data=[7]}, {cmsg_len=20, cmsg_level=SOL_IPV6,
// cmsg_type=0x34}, ...] (strace 6 names no SOL_IPV6 message, and shows none's
// data); messages follow each other at 8-byte boundaries, a message's data is
// what its cmsg_len covers of the bytes. False (nothing appended) when a
// message's header does not fit, or its level or SOL_IP type is one whose
// form is not known here.
bool append_control_messages(std::string& out, std::string_view b, const FdName& fd_name) {
  std::string text = "[";
  size_t at = 0;
  while (b.size() - at >= kCmsghdr) {
    const uint64_t len = payload_field<uint64_t>(b, at);
    const int level = payload_field<int32_t>(b, at + 8);
    const int type = payload_field<int32_t>(b, at + 12);
    if ((level != kSolSocket && level != kSolIp && level != kSolIpv6) || len < kCmsghdr) return false;
    if (at > 0) text += ", ";
    text += "{cmsg_len=";
    syscalls::append_decimal(text, len);
    text += ", cmsg_level=";
    syscalls::append_sockopt_level(text, static_cast<uint32_t>(level));
    text += ", cmsg_type=";
    const uint64_t data = (len < b.size() - at ? len : b.size() - at) - kCmsghdr;
    const std::string_view bytes = b.substr(at + kCmsghdr, data);
    if (level == kSolIp) {
      syscalls::append_sockopt_name(text, static_cast<uint32_t>(level), static_cast<uint32_t>(type));
      if (!append_ip_control_data(text, type, bytes)) return false;
    } else if (level == kSolIpv6) {
      syscalls::append_hex_or_zero(text, static_cast<uint32_t>(type));
    } else {
      if (type == kScmRights) text += "SCM_RIGHTS";
      else if (type == kScmCredentials) text += "SCM_CREDENTIALS";
      else syscalls::append_decimal(text, type);
      append_control_data(text, level, type, bytes, fd_name);
    }
    text += '}';
    at += align_record(len);  // CMSG_ALIGN
    if (at >= b.size() || len > b.size()) break;
  }
  text += ']';
  out += text;
  return true;
}

}  // namespace

bool append_msghdr_arg(std::string& out, const Record& record, int index, uint64_t addr, size_t max_string,
                       syscalls::StringStyle style, syscalls::ConstStyle consts, const FdName& fd_name) {
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
  const uint32_t control_bytes = payload_field<uint32_t>(b, kMsghdr + 4);
  const size_t control_at = kMsghdr + 8 + align_record(name_bytes);
  const size_t iov_at = control_at + align_record(control_bytes);
  if (name_bytes > b.size() - kMsghdr - 8 || control_bytes > kMaxMsgControlBytes || iov_at > b.size()) return false;

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
    if (control_bytes == 0 ||
        !append_control_messages(out, std::string_view(b).substr(control_at, control_bytes), fd_name)) {
      append_pointer(out, control);
    }
  }
  out += ", msg_controllen=";
  syscalls::append_decimal(out, controllen);
  out += ", msg_flags=";
  syscalls::constants::append_value(out, syscalls::ArgType::kMsgFlags, static_cast<uint32_t>(flags), consts);
  out += '}';
  return true;
}

std::vector<int32_t> received_fds(const Record& record) {
  std::vector<int32_t> fds;
  if (record.nr != SYS_recvmsg || record.kind != kRecordSyscall || record.ret < 0) return fds;
  const Payload* p = record.payload(1);
  if (p == nullptr || p->kind != kPayloadMsghdr || p->bytes.size() < kMsghdr + 8) return fds;
  const std::string_view b = p->bytes;
  const uint32_t name_bytes = payload_field<uint32_t>(b, kMsghdr);
  const uint32_t control_bytes = payload_field<uint32_t>(b, kMsghdr + 4);
  const size_t control_at = kMsghdr + 8 + align_record(name_bytes);
  if (name_bytes > b.size() - kMsghdr - 8 || control_bytes > kMaxMsgControlBytes || control_at > b.size()) return fds;
  const std::string_view control = b.substr(control_at, control_bytes);
  for (size_t at = 0; control.size() >= kCmsghdr && at <= control.size() - kCmsghdr;) {
    const uint64_t len = payload_field<uint64_t>(control, at);
    if (len < kCmsghdr || len > control.size() - at) break;
    if (payload_field<int32_t>(control, at + 8) == kSolSocket && payload_field<int32_t>(control, at + 12) == kScmRights) {
      for (uint64_t d = kCmsghdr; d + 4 <= len; d += 4) fds.push_back(payload_field<int32_t>(control, at + d));
    }
    at += align_record(len);
  }
  return fds;
}

}  // namespace sysgate::trace
