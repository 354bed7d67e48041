#include "trace/event_format.h"

#include <sys/syscall.h>

#include <cstring>

#include "syscalls/constant_tables.h"
#include "syscalls/number_text.h"
#include "trace/payload_field.h"
#include "trace/select_format.h"

namespace sysgate::trace {
namespace {

using syscalls::constants::detail::append_flags;
using syscalls::constants::detail::kEpollEvents;
using syscalls::constants::detail::kPollEvents;

constexpr size_t kPollfd = 8;
constexpr size_t kEpollEvent = 12;

const Payload* struct_payload(const Record& record, int index, uint64_t addr) {
  const Payload* p = record.payload(index);
  if (p == nullptr || p->addr != addr || (p->kind != kPayloadStructIn && p->kind != kPayloadStructOut)) return nullptr;
  return p;
}

void append_epoll_event(std::string& out, const std::string& bytes, size_t at, syscalls::ConstStyle style) {
  const uint32_t events = payload_field<uint32_t>(bytes, at);
  const uint64_t data = payload_field<uint64_t>(bytes, at + 4);
  out += "{events=";
  append_flags(out, kEpollEvents, events, style);
  out += ", data={u32=";
  syscalls::append_decimal(out, static_cast<uint32_t>(data));
  out += ", u64=";
  syscalls::append_decimal(out, data);
  out += "}}";
}

// [e0, e1, ...] of `count` items of `size` bytes, at most max_string shown;
// `total`: how many the call had (more than the payload holds: "...").
template <typename Item>
void append_array(std::string& out, size_t count, size_t total, size_t max_string, Item item) {
  out += '[';
  const size_t shown = count < max_string ? count : max_string;
  for (size_t k = 0; k < shown; ++k) {
    if (k > 0) out += ", ";
    item(k);
  }
  if (total > shown) out += shown > 0 ? ", ..." : "...";
  out += ']';
}

}  // namespace

bool append_event_arg(std::string& out, const Record& record, int index, uint64_t addr, size_t max_string,
                      syscalls::ConstStyle style, const FdName& fd_name) {
  switch (record.nr) {
    case SYS_poll:
    case SYS_ppoll: {
      const Payload* p = index == 0 ? struct_payload(record, 0, addr) : nullptr;
      if (p == nullptr || p->bytes.size() % kPollfd != 0) return false;
      const size_t count = p->bytes.size() / kPollfd;
      append_array(out, count, static_cast<uint32_t>(record.args[1]), max_string, [&](size_t k) {
        out += "{fd=";
        append_fd_with_name(out, payload_field<int32_t>(p->bytes, k * kPollfd), fd_name);
        out += ", events=";
        append_flags(out, kPollEvents, payload_field<uint16_t>(p->bytes, k * kPollfd + 4), style);
        out += '}';
      });
      return true;
    }
    case SYS_epoll_ctl: {
      const Payload* p = index == 3 ? struct_payload(record, 3, addr) : nullptr;
      if (p == nullptr || p->bytes.size() != kEpollEvent) return false;
      append_epoll_event(out, p->bytes, 0, style);
      return true;
    }
    case SYS_epoll_wait:
    case SYS_epoll_pwait:
    case SYS_epoll_pwait2: {
      const Payload* p = index == 1 ? struct_payload(record, 1, addr) : nullptr;
      if (p == nullptr || p->bytes.size() % kEpollEvent != 0 || record.ret < 0) return false;
      const size_t count = p->bytes.size() / kEpollEvent;
      append_array(out, count, static_cast<size_t>(record.ret), max_string,
                   [&](size_t k) { append_epoll_event(out, p->bytes, k * kEpollEvent, style); });
      return true;
    }
    default:
      return false;
  }
}

void append_poll_result(std::string& out, const Record& record, syscalls::ConstStyle style) {
  if ((record.nr != SYS_poll && record.nr != SYS_ppoll) || record.kind != kRecordSyscall || record.ret < 0) return;
  if (record.ret == 0) {
    out += " (Timeout)";
    return;
  }
  const Payload* p = struct_payload(record, 0, record.args[0]);
  if (p == nullptr || p->bytes.size() % kPollfd != 0) return;
  out += " ([";
  bool first = true;
  for (size_t at = 0; at < p->bytes.size(); at += kPollfd) {
    const uint16_t revents = payload_field<uint16_t>(p->bytes, at + 6);
    if (revents == 0) continue;
    if (!first) out += ", ";
    first = false;
    out += "{fd=";
    syscalls::append_decimal(out, payload_field<int32_t>(p->bytes, at));
    out += ", revents=";
    append_flags(out, kPollEvents, revents, style);
    out += '}';
  }
  out += ']';
  append_ppoll_time_left(out, record);  // ", left {tv_sec=1, tv_nsec=999}"
  out += ')';
}

}  // namespace sysgate::trace
