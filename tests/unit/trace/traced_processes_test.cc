// trace::TracedProcesses: /proc/PID is opened only for processes that hold
// the trace region at its number, and a pid reused after a traced process
// ended is not taken for it.
#include "trace/traced_processes.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace sysgate::trace {
namespace {

constexpr int kProgramFd = 777;

// A child that holds fd at kProgramFd (or nothing there, fd < 0) and waits to
// be killed.
pid_t child_holding(int fd) {
  int ready[2];
  if (pipe(ready) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    if (fd >= 0) dup2(fd, kProgramFd);
    else close(kProgramFd);
    (void)!write(ready[1], "x", 1);
    for (;;) pause();
  }
  char c;
  (void)!read(ready[0], &c, 1);
  close(ready[0]);
  close(ready[1]);
  return pid;
}

void end(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

TEST(TracedProcesses, OnlyProcessesHoldingTheRegionAreLookedInto) {
  const int region = memfd_create("region", MFD_CLOEXEC);
  const int other = memfd_create("region", MFD_CLOEXEC);  // same name, another file
  ASSERT_GE(region, 0);
  ASSERT_GE(other, 0);
  TracedProcesses traced;
  const pid_t holder = child_holding(region);
  EXPECT_EQ(traced.proc_dir(holder), -1);  // no region set yet: nobody
  traced.set_region(region, kProgramFd);
  const pid_t impostor = child_holding(other);
  const pid_t without = child_holding(-1);
  EXPECT_GE(traced.proc_dir(holder), 0);
  EXPECT_EQ(traced.proc_dir(impostor), -1);
  EXPECT_EQ(traced.proc_dir(without), -1);
  EXPECT_EQ(traced.proc_dir(getpid()), -1);  // the monitor itself holds it, but elsewhere
  EXPECT_EQ(traced.proc_dir(0), -1);
  EXPECT_EQ(traced.proc_dir(-1), -1);
  // Ended: its kept /proc descriptor no longer answers, whoever has the pid now.
  end(holder);
  EXPECT_EQ(traced.proc_dir(holder), -1);
  end(impostor);
  end(without);
  close(region);
  close(other);
}

}  // namespace
}  // namespace sysgate::trace
