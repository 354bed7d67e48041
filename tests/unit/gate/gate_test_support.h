// Running a function in a forked child under the real gate and a hand-written
// seccomp filter, with the trace reader draining the rings in the parent.
//
//   TracedRun run = run_traced([] {
//     CHILD_CHECK(getppid() > 1);
//     return 0;
//   });
//   EXPECT_EQ(exit_code(run.status), 0);
//   EXPECT_EQ(count(run.records, SYS_getppid), 1u);
//
// The filter (install_test_filter):
//   arch != x86-64                                  -> KILL_PROCESS
//   nr >= 0x40000000 (x32)                          -> KILL_PROCESS
//   nr == rt_sigreturn                              -> ALLOW
//   nr == exit_group && arg0 == 42                  -> ALLOW  (exit42 has no gate)
//   instruction_pointer in [gate begin, gate end)   -> ALLOW
//   anything else                                   -> TRAP
#pragma once

#include <sys/syscall.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "trace/record.h"
#include "trace/ring_reader.h"

namespace sysgate::gate::test {

// In the child: report a failed expectation on stderr and fail the child.
#define CHILD_CHECK(cond)                                                              \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: child check failed: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                                        \
    }                                                                                  \
  } while (0)

struct RunOptions {
  trace::RegionOptions region;
  bool trace = true;          // false: gate_install with ring_fd = -1
  size_t poll_batch = SIZE_MAX;  // records per poll
  std::chrono::microseconds pause_between_polls{0};  // > 0: a slow reader
  std::chrono::seconds deadline{120};
  std::function<void()> before_install;  // runs in the child before gate_install
  uint32_t gate_flags = 0;  // GateConfig::flags (kGateRewrite: the program's AT_PHDR/AT_BASE are passed)
};

struct TracedRun {
  int status = -1;  // wait status of the child
  std::vector<trace::Record> records;
  std::vector<trace::RingError> errors;
  uint64_t dropped = 0;
};

// Installs the test filter in the calling process (NO_NEW_PRIVS first). False on failure.
bool install_test_filter();

// Forks; the child installs the gate (with the reader's region unless
// options.trace is false) and the filter, runs body and exits with its result
// (through the gate: exit_group is trapped). The parent drains the rings until
// the child is gone.
TracedRun run_traced(const std::function<int()>& body, const RunOptions& options = {});

// Exit code of a normal exit, or 1000 + signal number when killed.
int exit_code(int status);

size_t count(const std::vector<trace::Record>& records, long nr);
std::vector<const trace::Record*> with_nr(const std::vector<trace::Record>& records, long nr);
// First record of syscall nr whose payload for argument arg equals bytes.
const trace::Record* find_with_payload(const std::vector<trace::Record>& records, long nr, int arg,
                                       const std::string& bytes);
// "name(args) = ret" in strace's grammar, payloads served from the record.
std::string format(const trace::Record& record);

// A fresh file in a fresh temporary directory, with the given content; removed at exit.
std::string temp_file(const std::string& content);

}  // namespace sysgate::gate::test
