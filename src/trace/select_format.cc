#include "trace/select_format.h"

#include <sys/syscall.h>

#include <string_view>

#include "syscalls/number_text.h"
#include "trace/payload_field.h"
#include "trace/struct_format.h"

namespace sysgate::trace {
namespace {

constexpr size_t kTime = 16;  // struct timeval, struct timespec
constexpr int kMaxFds = 1024;  // gate/call_snapshot.h kSnapshotMaxFds

bool is_select(const Record& r) { return r.nr == SYS_select || r.nr == SYS_pselect6; }
int timeout_arg(const Record& r) { return r.nr == SYS_ppoll ? 2 : 4; }

// Bytes of one fd set of the call's nfds descriptors, as the gate copies it;
// -1 when it copies none.
int64_t set_bytes(const Record& r) {
  const auto nfds = static_cast<int32_t>(r.args[0]);
  if (nfds < 0 || nfds > kMaxFds) return -1;
  return (nfds + 63) / 64 * 8;
}

// The payload of argument index, when it holds `bytes` before the call (and
// as many after it, or not).
const Payload* in_out(const Record& r, int index, uint64_t addr, size_t bytes) {
  const Payload* p = r.payload(index);
  if (p == nullptr || p->kind != kPayloadInOut || p->addr != addr) return nullptr;
  if (p->bytes.size() != bytes && p->bytes.size() != 2 * bytes) return nullptr;
  return p;
}

// "[3 4]": the descriptors below nfds whose bits are set (-y: named).
void append_fd_set(std::string& out, std::string_view set, int32_t nfds, const FdName& fd_name = {}) {
  out += '[';
  bool first = true;
  for (int32_t fd = 0; fd < nfds && static_cast<size_t>(fd / 8) < set.size(); ++fd) {
    if ((static_cast<uint8_t>(set[static_cast<size_t>(fd / 8)]) >> (fd % 8) & 1) == 0) continue;
    if (!first) out += ' ';
    first = false;
    append_fd_with_name(out, fd, fd_name);
  }
  out += ']';
}

// select's timeval, pselect6's and ppoll's timespec.
void append_time(std::string& out, const Record& r, std::string_view t) {
  out += "{tv_sec=";
  syscalls::append_decimal(out, payload_field<int64_t>(t, 0));
  out += r.nr == SYS_select ? ", tv_usec=" : ", tv_nsec=";
  syscalls::append_decimal(out, payload_field<int64_t>(t, 8));
  out += '}';
}

// pselect6's sixth argument: {sigmask=[CHLD], sigsetsize=8}.
void append_pselect_sigmask(std::string& out, std::string_view b) {
  const auto set = payload_field<uint64_t>(b, 0);
  out += "{sigmask=";
  if (set == 0) {
    out += "NULL";
  } else if (b.size() == 24) {
    append_sigset(out, payload_field<uint64_t>(b, 16));
  } else {
    syscalls::append_hex_or_zero(out, set);
  }
  out += ", sigsetsize=";
  syscalls::append_decimal(out, payload_field<uint64_t>(b, 8));
  out += '}';
}

// The time left, when the call worked and was given a timeout.
const Payload* time_left(const Record& r) {
  if (r.kind != kRecordSyscall || r.ret <= 0) return nullptr;
  const Payload* p = in_out(r, timeout_arg(r), r.args[timeout_arg(r)], kTime);
  return p != nullptr && p->bytes.size() == 2 * kTime ? p : nullptr;
}

}  // namespace

bool append_select_arg(std::string& out, const Record& record, int index, uint64_t addr, const FdName& fd_name) {
  if (record.nr == SYS_ppoll) {
    if (index != 2) return false;
    const Payload* p = in_out(record, index, addr, kTime);
    if (p == nullptr) return false;
    append_time(out, record, std::string_view(p->bytes).substr(0, kTime));
    return true;
  }
  if (!is_select(record)) return false;
  if (index >= 1 && index <= 3) {
    const int64_t n = set_bytes(record);
    const Payload* p = n < 0 ? nullptr : in_out(record, index, addr, static_cast<size_t>(n));
    if (p == nullptr) return false;
    append_fd_set(out, std::string_view(p->bytes).substr(0, static_cast<size_t>(n)), static_cast<int32_t>(record.args[0]),
                  fd_name);
    return true;
  }
  if (index == 4) {
    const Payload* p = in_out(record, index, addr, kTime);
    if (p == nullptr) return false;
    append_time(out, record, std::string_view(p->bytes).substr(0, kTime));
    return true;
  }
  if (index == 5 && record.nr == SYS_pselect6) {
    const Payload* p = record.payload(index);
    if (p == nullptr || p->kind != kPayloadInOut || p->addr != addr || (p->bytes.size() != 16 && p->bytes.size() != 24)) {
      return false;
    }
    append_pselect_sigmask(out, p->bytes);
    return true;
  }
  return false;
}

void append_select_result(std::string& out, const Record& record) {
  if (!is_select(record) || record.kind != kRecordSyscall || record.ret < 0) return;
  if (record.ret == 0) {
    out += " (Timeout)";
    return;
  }
  const int64_t n = set_bytes(record);
  std::string parts;
  static constexpr const char* kNames[] = {"in ", "out ", "except "};
  for (int i = 1; i <= 3 && n >= 0; ++i) {
    const Payload* p = in_out(record, i, record.args[i], static_cast<size_t>(n));
    if (p == nullptr || p->bytes.size() != 2 * static_cast<size_t>(n)) continue;
    const std::string_view after = std::string_view(p->bytes).substr(static_cast<size_t>(n));
    if (after.find_first_not_of('\0') == std::string_view::npos) continue;  // no descriptor ready there
    if (!parts.empty()) parts += ", ";
    parts += kNames[i - 1];
    append_fd_set(parts, after, static_cast<int32_t>(record.args[0]));
  }
  if (const Payload* left = time_left(record)) {
    if (!parts.empty()) parts += ", ";
    parts += "left ";
    append_time(parts, record, std::string_view(left->bytes).substr(kTime));
  }
  if (parts.empty()) return;
  out += " (";
  out += parts;
  out += ')';
}

void append_ppoll_time_left(std::string& out, const Record& record) {
  if (record.nr != SYS_ppoll) return;
  const Payload* left = time_left(record);
  if (left == nullptr) return;
  out += ", left ";
  append_time(out, record, std::string_view(left->bytes).substr(kTime));
}

}  // namespace sysgate::trace
