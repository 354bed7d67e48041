// `sysgate run`: brokered opens that wait (a FIFO's for its other end) wait in
// the calling thread only, as they do natively: the monitor goes on answering
// the program's other calls and ends with the program (src/monitor/blocking_open.h).
// A monitor that waited in such an open itself hangs these tests; each run has
// a timeout, so a hang fails the test.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "support/subprocess.h"

namespace sysgate::testing {
namespace {

const std::string kSysgate = SYSGATE_BIN;
const std::string kProgram = FIFO_OPENS_PROGRAM;
constexpr int kTimeoutS = 20;

// A directory with the FIFOs "fifo" and "ready", a regular file "plain" and
// policy.toml: stdio-like promises (and more_promises), no rpath (so every open
// is brokered), and the right to read and write in the directory (and to exec
// there, if more_promises has "exec").
class FifoDir {
 public:
  // more_rules: policy text appended (rules of its own).
  explicit FifoDir(const std::vector<std::string>& more_promises = {}, const std::string& more_rules = "") {
    EXPECT_EQ(mkfifo((dir_.path() + "/fifo").c_str(), 0600), 0);
    EXPECT_EQ(mkfifo((dir_.path() + "/ready").c_str(), 0600), 0);
    dir_.write("plain", "plain text\n");
    const std::string here = "\"" + dir_.path() + "\"";
    std::string policy = "default = \"explain\"\npromises = [\"stdio\", \"thread\", \"prot_exec\"";
    for (const std::string& p : more_promises) policy += ", \"" + p + "\"";
    policy += "]\n[files]\nread = [\"/usr\", \"/lib\", \"/lib64\", \"/etc/ld.so.cache\", \"/etc/ld.so.preload\", " +
              here + "]\nwrite = [" + here + "]\n";
    if (std::find(more_promises.begin(), more_promises.end(), "exec") != more_promises.end()) {
      policy += "exec = [" + here + "]\n";
    }
    dir_.write("leased", "leased text\n");
    dir_.write("policy.toml", policy + more_rules);
  }
  const std::string& path() const { return dir_.path(); }
  std::vector<std::string> native(const std::string& mode) const { return {kProgram, mode, path()}; }
  std::vector<std::string> confined(const std::string& mode) const {
    return {kSysgate, "run", "--policy", path() + "/policy.toml", "--", kProgram, mode, path()};
  }

 private:
  TempDir dir_;
};

// Runs the program in mode natively, expecting exit status 0 and output
// `expected`, then under sysgate, expecting the same and no timeout.
void expect_as_native(const FifoDir& dir, const std::string& mode, const std::string& expected) {
  Output native = run(dir.native(mode), "", "", kTimeoutS);
  ASSERT_EQ(native.status, 0) << native.err;
  ASSERT_EQ(native.out, expected);
  Output o = run(dir.confined(mode), "", "", kTimeoutS);
  EXPECT_EQ(o.status, 0) << mode << ": " << o.err;
  EXPECT_EQ(o.out, native.out) << mode << ": " << o.err;
  EXPECT_EQ(o.err.find("<timed out>"), std::string::npos) << mode << ": " << o.err;
}

// The reviewer's case: one thread waits in a brokered open of a FIFO nobody
// writes to; the main thread's brokered open of a regular file still succeeds
// and the program exits, ending the waiting thread.
TEST(Run, AThreadWaitingInAFifoOpenDoesNotStopTheOthersOrTheExit) {
  FifoDir dir;
  expect_as_native(dir, "exit", "plain: plain text\n");
}

// Runs argv on a thread of its own; once it wrote "ready" to DIR/ready (after
// its main thread's open of a regular file), opens DIR/fifo for writing and
// writes a line the program's waiting thread reads.
Output run_with_a_writer(const FifoDir& dir, const std::vector<std::string>& argv) {
  const int ready = open((dir.path() + "/ready").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  EXPECT_GE(ready, 0);
  Output o;
  std::thread program([&] { o = run(argv, "", "", kTimeoutS); });
  pollfd p{ready, POLLIN, 0};
  const bool cued = poll(&p, 1, (kTimeoutS - 5) * 1000) == 1;
  EXPECT_TRUE(cued) << "no \"ready\" from the program: its open of DIR/plain never returned";
  if (cued) {
    // Not blocking: the program's reader must already be waiting in its open (ENXIO otherwise).
    const int fifo = open((dir.path() + "/fifo").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    EXPECT_GE(fifo, 0) << strerror(errno);
    const std::string line = "from the test\n";
    if (fifo >= 0) {
      EXPECT_EQ(write(fifo, line.data(), line.size()), static_cast<ssize_t>(line.size()));
      close(fifo);
    }
  }
  program.join();
  close(ready);
  return o;
}

// The same, with the FIFO's writer appearing from outside once the main
// thread's open succeeded: the waiting open completes then, and reads it.
TEST(Run, AFifoOpenWaitingForAnOutsideWriterLetsTheOthersGoOn) {
  FifoDir dir;
  Output native = run_with_a_writer(dir, dir.native("signal"));
  ASSERT_EQ(native.status, 0) << native.err;
  ASSERT_EQ(native.out, "plain: plain text\nfifo: from the test\n");
  Output o = run_with_a_writer(dir, dir.confined("signal"));
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, native.out) << o.err;
  EXPECT_EQ(o.err.find("<timed out>"), std::string::npos) << o.err;
}

// A FIFO open waits for its writer and then works: both ends opened by the
// program, each brokered, the reader first.
TEST(Run, AFifoOpenCompletesWhenItsWriterComesAndReadsItsData) {
  FifoDir dir;
  expect_as_native(dir, "pair", "fifo: through the fifo\n");
}

// SIGKILL while a thread waits in a brokered FIFO open: sysgate reports the
// kill at once, whatever became of the open it had started for that thread.
TEST(Run, APendingFifoOpenDoesNotKeepSysgateAliveAfterAKill) {
  FifoDir dir;
  const auto start = std::chrono::steady_clock::now();
  Output o = run(dir.confined("kill"), "", "", kTimeoutS);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(o.status, 128 + SIGKILL) << o.err;
  EXPECT_LT(took, std::chrono::seconds(5)) << o.err;
  EXPECT_EQ(o.err.find("<timed out>"), std::string::npos) << o.err;
}

// A thread's FIFO open interrupted by a signal fails with EINTR, and leaves
// no reader behind: the monitor ended the open it had started for it, so a
// writer that does not wait finds no reader (ENXIO), as natively.
TEST(Run, AnInterruptedFifoOpenLeavesNoReaderBehind) {
  FifoDir dir({"signal"});
  expect_as_native(dir, "interrupt", "fifo: Interrupted system call\nwriter: No such device or address\n");
}

// A regular file's open waits while another process holds a lease on it
// (until the holder gives it up, or lease-break-time, 45 s, passes): the
// program's own main thread holds a write lease (a policy that allows fcntl
// lets it), its second thread opens the file; the main thread's open of
// another file must not wait behind that one, and once it gives the lease up
// the waiting open completes.
TEST(Run, AnOpenWaitingForALeaseLetsTheOthersGoOn) {
  FifoDir dir({}, "[[rule]]\nsyscall = \"fcntl\"\naction = \"allow\"\n");
  expect_as_native(dir, "lease", "plain: plain text\nleased: leased text\n");
}

// exec of a FIFO the policy lets run: EACCES, as the kernel answers (it
// execs regular files only), decided without opening the FIFO.
TEST(Run, ExecOfAFifoIsRefusedWithoutWaiting) {
  FifoDir dir({"exec"});
  expect_as_native(dir, "exec", "exec: Permission denied\n");
}

}  // namespace
}  // namespace sysgate::testing
