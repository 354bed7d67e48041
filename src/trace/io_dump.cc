#include "trace/io_dump.h"

#include <sys/syscall.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "trace/iovec_format.h"
#include "trace/set_items.h"

namespace sysgate::trace {

Result<FdSet> parse_fd_set(std::string_view set) {
  FdSet fds{};
  const bool invert = take_inversion(set);
  while (!set.empty()) {
    const std::string_view item = take_item(set);
    if (item.empty() || item == "none") continue;
    if (item == "all") {
      fds.fill(~uint64_t{0});
      continue;
    }
    uint64_t fd = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), fd);
    if (ec != std::errc() || end != item.data() + item.size()) {
      return make_error(ErrorCode::kInvalidArgument, "invalid descriptor '" + std::string(item) + "'");
    }
    if (fd >= kDumpFdNumbers) {
      return make_error(ErrorCode::kInvalidArgument,
                        "descriptor " + std::string(item) + ": only 0.." + std::to_string(kDumpFdNumbers - 1) + " can be dumped");
    }
    fds[fd / 64] |= uint64_t{1} << (fd % 64);
  }
  if (invert) {
    for (uint64_t& word : fds) word = ~word;
  }
  return fds;
}

bool fd_in_set(const FdSet& set, uint64_t fd) {
  const uint32_t n = static_cast<uint32_t>(fd);  // the kernel's int
  return n < kDumpFdNumbers && (set[n / 64] >> (n % 64) & 1) != 0;
}

std::optional<std::string_view> dumped_bytes(const Record& record, const FdSet& reads, const FdSet& writes) {
  if (record.kind != kRecordSyscall || record.ret < 0) return std::nullopt;
  PayloadKind kind;
  uint64_t length;
  switch (record.nr) {
    case SYS_read:
    case SYS_pread64:
    case SYS_recvfrom:
      if (!fd_in_set(reads, record.args[0]) || record.ret == 0) return std::nullopt;
      kind = kPayloadDataOut;
      length = static_cast<uint64_t>(record.ret);
      break;
    case SYS_write:
    case SYS_pwrite64:
    case SYS_sendto:
      if (!fd_in_set(writes, record.args[0]) || record.args[2] == 0) return std::nullopt;
      kind = kPayloadDataIn;
      length = record.args[2];
      break;
    default:
      return std::nullopt;
  }
  const Payload* p = record.payload(1);
  if (p == nullptr || p->kind != kind) return std::nullopt;
  std::string_view bytes = p->bytes;
  if (bytes.size() > length) bytes = bytes.substr(0, length);
  return bytes;
}

std::vector<std::string> hex_dump_lines(std::string_view bytes) {
  std::vector<std::string> lines;
  lines.reserve(bytes.size() / 16 + 1);
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t at = 0; at < bytes.size(); at += 16) {
    char offset[24];
    std::snprintf(offset, sizeof offset, " | %05zx  ", at);
    std::string line = offset;
    std::string text;
    for (size_t j = 0; j < 16; ++j) {
      if (at + j < bytes.size()) {
        const auto c = static_cast<unsigned char>(bytes[at + j]);
        line += kHex[c >> 4];
        line += kHex[c & 15];
        line += ' ';
        text += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.';
      } else {
        line += "   ";
        text += ' ';
      }
      if (j == 7) line += ' ';
    }
    line += ' ';
    line += text;
    line += " |";
    lines.push_back(std::move(line));
  }
  return lines;
}

std::vector<std::string> dump_lines(const Record& record, const FdSet& reads, const FdSet& writes) {
  if (std::optional<std::string_view> bytes = dumped_bytes(record, reads, writes)) return hex_dump_lines(*bytes);
  std::vector<std::string> lines;
  const bool msghdr = record.nr == SYS_sendmsg || record.nr == SYS_recvmsg;
  if (record.kind != kRecordSyscall || record.ret <= 0 || (!is_iovec_call(record.nr) && !msghdr)) return lines;
  const bool writes_data = record.nr == SYS_writev || record.nr == SYS_pwritev || record.nr == SYS_pwritev2 ||
                           record.nr == SYS_sendmsg;
  if (!fd_in_set(writes_data ? writes : reads, record.args[0])) return lines;
  const Payload* p = record.payload(1);
  if (p == nullptr || p->kind != (msghdr ? kPayloadMsghdr : kPayloadIovec)) return lines;
  std::optional<std::vector<IovecElement>> elements;
  Payload array;  // a msghdr's msg_iov, in kPayloadIovec's layout after the header and the address
  if (msghdr) {
    if (p->bytes.size() < 64) return lines;
    uint32_t name = 0;
    std::memcpy(&name, p->bytes.data() + 56, 4);
    const size_t at = 64 + align_record(name);
    if (name > p->bytes.size() || at > p->bytes.size()) return lines;
    array = Payload{.arg = 1, .kind = kPayloadIovec, .truncated = false, .addr = 0, .bytes = p->bytes.substr(at)};
    elements = iovec_elements(array);
  } else {
    elements = iovec_elements(*p);
  }
  if (!elements) return lines;
  uint64_t left = static_cast<uint64_t>(record.ret);
  for (size_t k = 0; k < elements->size() && left > 0; ++k) {
    const IovecElement& e = (*elements)[k];
    const uint64_t n = std::min(e.len, left);
    if (n == 0) break;  // as strace's loop
    left -= n;
    if (!e.known) continue;
    lines.push_back(" * " + std::to_string(n) + " bytes in buffer " + std::to_string(k));
    for (std::string& line : hex_dump_lines(e.data.substr(0, n))) lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace sysgate::trace
