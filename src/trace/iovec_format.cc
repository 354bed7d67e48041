#include "trace/iovec_format.h"

#include <sys/syscall.h>

#include <algorithm>
#include <cstring>

#include "syscalls/number_text.h"
#include "trace/payload_field.h"

namespace sysgate::trace {
namespace {

bool writes_data(int nr) { return nr == SYS_writev || nr == SYS_pwritev || nr == SYS_pwritev2; }

}  // namespace

bool is_iovec_call(int nr) {
  return nr == SYS_readv || nr == SYS_writev || nr == SYS_preadv || nr == SYS_pwritev || nr == SYS_preadv2 ||
         nr == SYS_pwritev2;
}

std::optional<std::vector<IovecElement>> iovec_elements(const Payload& payload) {
  const std::string_view bytes = payload.bytes;
  if (payload.kind != kPayloadIovec || bytes.size() < 8) return std::nullopt;
  const uint32_t described = payload_field<uint32_t>(bytes, 0);
  if (described > kMaxIovecElements) return std::nullopt;
  std::vector<IovecElement> elements;
  elements.reserve(described);
  size_t at = 8;
  for (uint32_t k = 0; k < described; ++k) {
    if (bytes.size() - at < kIovecElementHeaderBytes) return std::nullopt;
    IovecElement e;
    e.base = payload_field<uint64_t>(bytes, at);
    e.len = payload_field<uint64_t>(bytes, at + 8);
    const uint32_t copied = payload_field<uint32_t>(bytes, at + 16);
    const uint32_t flags = payload_field<uint32_t>(bytes, at + 20);
    at += kIovecElementHeaderBytes;
    const size_t padded = align_record(copied);
    if (copied > kMaxDumpBytes || bytes.size() - at < padded) return std::nullopt;
    e.data = bytes.substr(at, copied);
    e.known = (flags & kIovecNoData) == 0;
    at += padded;
    elements.push_back(e);
  }
  return elements;
}

bool append_iovec_arg(std::string& out, const Record& record, int index, uint64_t addr, size_t max_string,
                      syscalls::StringStyle style) {
  if (!is_iovec_call(record.nr) || index != 1) return false;
  const Payload* p = record.payload(1);
  if (p == nullptr || p->addr != addr || p->kind != kPayloadIovec) return false;
  const std::optional<std::vector<IovecElement>> elements = iovec_elements(*p);
  if (!elements) return false;
  append_iovec_elements(out, *elements, record.args[2], writes_data(record.nr), record.ret, max_string, style);
  return true;
}

void append_iovec_elements(std::string& out, const std::vector<IovecElement>& elements, uint64_t vlen, bool writes,
                           int64_t ret, size_t max_string, syscalls::StringStyle style) {
  const uint64_t done = ret > 0 ? static_cast<uint64_t>(ret) : 0;
  uint64_t offset = 0;
  const size_t shown = std::min(elements.size(), max_string);
  out += '[';
  for (size_t k = 0; k < shown; ++k) {
    const IovecElement& e = elements[k];
    if (k > 0) out += ", ";
    out += "{iov_base=";
    // What the element holds for the trace: all of it for a write, what the
    // call filled for a read.
    const uint64_t available = writes ? e.len : (offset < done ? std::min(e.len, done - offset) : 0);
    offset += e.len;
    if (e.known) {
      const std::string_view data = e.data.substr(0, std::min<size_t>(e.data.size(), max_string));
      syscalls::append_quoted(out, data, available > data.size(), style);
    } else {
      syscalls::append_hex_or_zero(out, e.base);
    }
    out += ", iov_len=";
    syscalls::append_decimal(out, e.len);
    out += '}';
  }
  if (vlen > shown) out += shown > 0 ? ", ..." : "...";
  out += ']';
}

}  // namespace sysgate::trace
