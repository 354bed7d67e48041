// A hostile traced program for the escape suite: it writes, into a ring of the
// trace region it holds, records naming another process -- a socket() that
// "returned" descriptor SOCKET_FD of process PID, then a close() of its
// FILE_FD -- as a program can, since the rings are its memory. The monitor
// must not look into PID on their word (trace/traced_processes.h): -yy would
// print that socket's addresses, -y that file's path.
//
//   forge_record PID SOCKET_FD FILE_FD
#include <asm/unistd.h>
#include <fcntl.h>
#include <sys/mman.h>
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

int region_fd() {
  for (int fd = 3; fd < 4096; ++fd) {
    char link[256];
    const ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), link, sizeof link - 1);
    if (n <= 0) continue;
    link[n] = '\0';
    if (std::strstr(link, "memfd:sysgate-trace") != nullptr) return fd;
  }
  return -1;
}

void forge(const sysgate::gate::TraceRegion& region, sysgate::gate::RingWriter* w, int32_t pid, long nr,
           uint64_t arg0, uint64_t arg1, uint64_t arg2, int64_t ret) {
  uint8_t* at = sysgate::gate::ring_reserve(region, w, sizeof(sysgate::trace::RecordHeader));
  if (at == nullptr) return;
  sysgate::trace::RecordHeader h = {};
  h.size = sizeof h;
  h.kind = sysgate::trace::kRecordSyscall;
  h.tid = h.pid = pid;
  h.nr = static_cast<int32_t>(nr);
  h.args[0] = arg0;
  h.args[1] = arg1;
  h.args[2] = arg2;
  h.ret = ret;
  h.tsc = __rdtsc();
  std::memcpy(at, &h, sizeof h);
  sysgate::gate::ring_commit(region, w);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  const int32_t pid = std::atoi(argv[1]);
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
  forge(region, &w, pid, __NR_socket, 2 /* AF_INET */, 1 /* SOCK_STREAM */, 0, std::atoi(argv[2]));
  forge(region, &w, pid, __NR_close, static_cast<uint64_t>(std::atoi(argv[3])), 0, 0, 0);
  usleep(200000);  // while the monitor reads them
  sysgate::gate::ring_release(&w);
  std::printf("forged\n");
  return 0;
}
