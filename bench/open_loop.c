/* open_loop PATH N: N openat(AT_FDCWD, PATH, O_RDONLY) + close pairs; prints ns per pair.
 * Under sysgate this exercises the file path of the policy: Landlock plus a
 * filter leaf (default profile), or a monitor round trip that opens the file
 * and installs the descriptor with ADDFD (stdio profile + --allow-read). A
 * failed open is an error, not a fast path to time: exit 1. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench_clock.h"

static int run(const char* path, long n) {
  for (long i = 0; i < n; i++) {
    /* Raw syscalls: glibc's open() is openat already, but this keeps the
     * measured call identical whatever the libc does. */
    long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      fprintf(stderr, "open_loop: openat(%s): %s\n", path, strerror(errno));
      return -1;
    }
    syscall(SYS_close, fd);
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s PATH N\n", argv[0]);
    return 2;
  }
  const char* path = argv[1];
  long n = bench_parse_count(argv[0], argv[2]);
  if (run(path, bench_warmup(n)) != 0) return 1;
  uint64_t start = bench_now_ns();
  if (run(path, n) != 0) return 1;
  uint64_t elapsed = bench_now_ns() - start;
  printf("%.1f\n", (double)elapsed / (double)n);
  return 0;
}
