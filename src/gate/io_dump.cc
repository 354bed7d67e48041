#include "gate/io_dump.h"

#include <asm/unistd.h>

namespace sysgate::gate {
namespace {

struct DumpSets {
  uint32_t bytes;  // 0: no dumps
  uint64_t read_fds[trace::kDumpFdNumbers / 64];
  uint64_t write_fds[trace::kDumpFdNumbers / 64];
};

DumpSets g_dump;  // io_dump_install's copy

bool in_set(const uint64_t* set, uint64_t fd) {
  // The kernel takes the descriptor as an int: compare what it will see.
  const uint32_t n = static_cast<uint32_t>(fd);
  return n < trace::kDumpFdNumbers && (set[n / 64] >> (n % 64) & 1) != 0;
}

}  // namespace

void io_dump_install(const trace::RegionHeader& header, uint32_t ring_bytes) {
  for (uint32_t i = 0; i < trace::kDumpFdNumbers / 64; ++i) {
    g_dump.read_fds[i] = header.dump_read_fds[i];
    g_dump.write_fds[i] = header.dump_write_fds[i];
  }
  g_dump.bytes = trace::max_dump_bytes(header.dump_bytes, ring_bytes);
}

uint32_t io_dump_bytes(long nr, const uint64_t args[6]) {
  if (g_dump.bytes == 0) return 0;
  switch (nr) {
    case __NR_read:
    case __NR_pread64:
    case __NR_recvfrom:
    case __NR_readv:
    case __NR_preadv:
    case __NR_preadv2:
    case __NR_recvmsg:
      return in_set(g_dump.read_fds, args[0]) ? g_dump.bytes : 0;
    case __NR_write:
    case __NR_pwrite64:
    case __NR_sendto:
    case __NR_writev:
    case __NR_pwritev:
    case __NR_pwritev2:
    case __NR_sendmsg:
      return in_set(g_dump.write_fds, args[0]) ? g_dump.bytes : 0;
    default:
      return 0;
  }
}

}  // namespace sysgate::gate
