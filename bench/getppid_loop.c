/* getppid_loop N: N raw getppid syscalls; prints ns per call.
 * getppid does no work in the kernel, so this measures the syscall path itself:
 * entry, seccomp (if any), exit. syscall(2) rather than getppid(3) so that no
 * libc caching can ever skip the kernel. */
#include <sys/syscall.h>
#include <unistd.h>

#include "bench_clock.h"

static void run(long n) {
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s N\n", argv[0]);
    return 2;
  }
  long n = bench_parse_count(argv[0], argv[1]);
  run(bench_warmup(n));
  uint64_t start = bench_now_ns();
  run(n);
  uint64_t elapsed = bench_now_ns() - start;
  printf("%.1f\n", (double)elapsed / (double)n);
  return 0;
}
