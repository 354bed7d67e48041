// A hostile traced program for the escape suite: it writes, into a ring of the
// trace region it holds, records naming another process -- a socket() that
// "returned" descriptor SOCKET_FD of process PID, then a close() of its
// FILE_FD -- as a program can, since the rings are its memory. The monitor
// must not look into PID on their word (trace/traced_processes.h): -yy would
// print that socket's addresses, -y that file's path. With a fourth argument
// it also forges its own openat(AT_FDCWD, PATH) = 42: under a policy that
// lets it neither stat nor readlink, -y must not resolve PATH for it.
//
//   forge_record PID SOCKET_FD FILE_FD [PATH]
#include <asm/unistd.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <x86intrin.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "gate/ring_writer.h"
#include "trace/ring_format.h"

namespace {

// The descriptor of the trace region: the file whose first bytes are its
// magic (fstat and mmap only: a policy may refuse readlink of /proc).
int region_fd() {
  for (int fd = 3; fd < 4096; ++fd) {
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 4096) continue;
    void* head = mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0);
    if (head == MAP_FAILED) continue;
    const bool region = *static_cast<const uint64_t*>(head) == sysgate::trace::kRegionMagic;
    munmap(head, 4096);
    if (region) return fd;
  }
  return -1;
}

void forge(const sysgate::gate::TraceRegion& region, sysgate::gate::RingWriter* w, int32_t pid, long nr,
           uint64_t arg0, uint64_t arg1, uint64_t arg2, int64_t ret, const std::string& path = "",
           uint64_t tsc = 0) {
  const uint32_t path_bytes = path.empty() ? 0 : static_cast<uint32_t>(sizeof(sysgate::trace::PayloadHeader) +
                                                                        (path.size() + 7) / 8 * 8);
  const uint32_t bytes = static_cast<uint32_t>(sizeof(sysgate::trace::RecordHeader)) + path_bytes;
  uint8_t* at = sysgate::gate::ring_reserve(region, w, bytes);
  if (at == nullptr) return;
  std::memset(at, 0, bytes);
  sysgate::trace::RecordHeader h = {};
  h.size = bytes;
  h.payload_count = path.empty() ? 0 : 1;
  h.kind = sysgate::trace::kRecordSyscall;
  h.tid = h.pid = pid;
  h.nr = static_cast<int32_t>(nr);
  h.args[0] = arg0;
  h.args[1] = arg1;
  h.args[2] = arg2;
  h.ret = ret;
  h.tsc = tsc != 0 ? tsc : __rdtsc();
  std::memcpy(at, &h, sizeof h);
  if (!path.empty()) {
    sysgate::trace::PayloadHeader ph = {};
    ph.length = static_cast<uint32_t>(path.size());
    ph.arg = 1;
    ph.kind = sysgate::trace::kPayloadPath;
    ph.addr = arg1;
    std::memcpy(at + sizeof h, &ph, sizeof ph);
    std::memcpy(at + sizeof h + sizeof ph, path.data(), path.size());
  }
  sysgate::gate::ring_commit(region, w);
}

}  // namespace

// The monitor's peak resident set (VmHWM of our parent), in MiB.
long monitor_peak_mib() {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/status", getppid());
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return -1;
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "VmHWM:", 6) == 0) kib = std::atol(line + 6);
  }
  std::fclose(f);
  return kib < 0 ? -1 : kib / 1024;
}

int main(int argc, char** argv) {
  // forge_record future CALLS: one record stamped far in the future, rdtsc
  // then turned off (every later record unstamped), CALLS getppid calls,
  // and the monitor's peak memory.
  const bool future = argc == 3 && std::strcmp(argv[1], "future") == 0;
  if (argc != 4 && argc != 5 && !future) return 2;
  const int32_t pid = future ? getpid() : std::atoi(argv[1]);
  const int fd = region_fd();
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0) {
    std::printf("no trace region\n");
    return 1;
  }
  void* map = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  sysgate::gate::TraceRegion region;
  if (map == MAP_FAILED ||
      !sysgate::gate::region_check(static_cast<sysgate::trace::RegionHeader*>(map), static_cast<uint64_t>(st.st_size), &region)) {
    std::printf("bad trace region\n");
    return 1;
  }
  sysgate::gate::RingWriter w;
  if (!sysgate::gate::ring_claim(region, static_cast<int32_t>(syscall(SYS_gettid)), getpid(), &w)) return 1;
  if (future) {
    forge(region, &w, pid, __NR_getppid, 0, 0, 0, getppid(), "", uint64_t{1} << 62);
    sysgate::gate::ring_release(&w);
    prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
    const long calls = std::atol(argv[2]);
    for (long i = 0; i < calls; ++i) syscall(SYS_getppid);
    std::printf("monitor peak %ld MiB\n", monitor_peak_mib());
    return 0;
  }
  forge(region, &w, pid, __NR_socket, 2 /* AF_INET */, 1 /* SOCK_STREAM */, 0, std::atoi(argv[2]));
  forge(region, &w, pid, __NR_close, static_cast<uint64_t>(std::atoi(argv[3])), 0, 0, 0);
  if (argc == 5) {
    forge(region, &w, getpid(), __NR_openat, static_cast<uint64_t>(AT_FDCWD), 0x1000, O_RDONLY, 42, argv[4]);
  }
  usleep(200000);  // while the monitor reads them
  sysgate::gate::ring_release(&w);
  std::printf("forged\n");
  return 0;
}
