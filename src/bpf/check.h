// Internal invariant checks of the BPF backend: a failed check is a bug in
// sysgate (never a property of the input), so it aborts with the location.
// Async-signal-unsafe (writes to stderr); only used on paths that should not run.
#pragma once

#include <cstdio>
#include <cstdlib>

#define SYSGATE_BPF_CHECK(condition)                                                          \
  do {                                                                                        \
    if (!(condition)) {                                                                       \
      std::fprintf(stderr, "%s:%d: internal check failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)
