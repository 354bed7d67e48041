#include "trace/offset_format.h"

#include <sys/syscall.h>

#include "syscalls/number_text.h"
#include "trace/payload_field.h"

namespace sysgate::trace {
namespace {

constexpr size_t kOffset = 8;  // loff_t

bool is_offset_arg(const Record& r, int index) {
  switch (r.nr) {
    case SYS_sendfile:
      return index == 2;
    case SYS_splice:
    case SYS_copy_file_range:
      return index == 1 || index == 3;
    default:
      return false;
  }
}

void append_offset(std::string& out, const std::string& bytes, size_t at) {
  out += '[';
  syscalls::append_decimal(out, payload_field<int64_t>(bytes, at));
  out += ']';
}

}  // namespace

bool append_offset_arg(std::string& out, const Record& record, int index, uint64_t addr) {
  if (!is_offset_arg(record, index)) return false;
  const Payload* p = record.payload(index);
  if (p == nullptr || p->kind != kPayloadInOut || p->addr != addr) return false;
  if (p->bytes.size() != kOffset && p->bytes.size() != 2 * kOffset) return false;
  append_offset(out, p->bytes, 0);
  // strace: the offset the call left, after a call that moved bytes.
  if (record.nr == SYS_sendfile && record.kind == kRecordSyscall && record.ret > 0 && p->bytes.size() == 2 * kOffset) {
    out += " => ";
    append_offset(out, p->bytes, kOffset);
  }
  return true;
}

}  // namespace sysgate::trace
