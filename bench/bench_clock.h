/* Helpers shared by the loop benchmarks: a monotonic clock and argument parsing.
 * Each benchmark prints one number (ns per operation) on stdout so bench/run.sh
 * can read it without parsing prose. Diagnostics go to stderr. */
#ifndef SYSGATE_BENCH_CLOCK_H
#define SYSGATE_BENCH_CLOCK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* clock_gettime goes through the vDSO, so it costs no syscall and the filter
 * under test never sees it. */
static inline uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A positive iteration count, or exit 2 with a message naming the program. */
static inline long bench_parse_count(const char* prog, const char* text) {
  char* end = NULL;
  long n = strtol(text, &end, 10);
  if (end == text || *end != '\0' || n <= 0) {
    fprintf(stderr, "%s: iteration count must be a positive integer, got \"%s\"\n", prog, text);
    exit(2);
  }
  return n;
}

/* Warm-up length: enough to fault in the code and the kernel's verdict cache,
 * short enough to be cheap under strace. */
static inline long bench_warmup(long n) { return n / 10 < 1000 ? (n / 10 > 0 ? n / 10 : 1) : 1000; }

#endif
