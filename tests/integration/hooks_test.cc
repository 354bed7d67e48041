// `sysgate run|trace --hooks LIB`: a hook library (include/sysgate/hook_library.h,
// here tests/integration/programs/hook_library_example.cc) loaded into the gate
// of every image: its hooks change what the program sees after every exec, in
// static and dynamic programs, and anything the loader cannot link is refused
// with a message before the program starts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "support/subprocess.h"

namespace sysgate::testing {
namespace {

const std::string kSysgate = SYSGATE_BIN;
const std::string kHooks = HOOK_LIBRARY;

std::vector<std::string> with(std::vector<std::string> head, const std::vector<std::string>& command) {
  head.insert(head.end(), command.begin(), command.end());
  return head;
}

// uname -n twice (a child of sh, then an exec in place) and python's getppid:
// three images, each with the library's hooks.
const std::vector<std::string> kCommand = {
    "/bin/sh", "-c", "uname -n; exec /usr/bin/python3 -c 'import os, platform; print(os.getppid(), platform.node())'"};
constexpr char kHookedOutput[] = "sysgate-hooked\n4242 sysgate-hooked\n";

TEST(Hooks, LibraryHooksEveryImageUnderRun) {
  Output native = run(kCommand);
  ASSERT_EQ(native.status, 0) << native.err;
  ASSERT_NE(native.out, kHookedOutput);  // the hooks, not the machine, say so
  Output r = run(with({kSysgate, "run", "--profile", "all", "--hooks", kHooks, "--"}, kCommand));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, kHookedOutput) << r.err;
}

TEST(Hooks, LibraryHooksEveryImageUnderTraceAndTheTraceShowsTheirResults) {
  TempDir dir;
  Output r = run(with({kSysgate, "trace", "-o", dir.path() + "/t.txt", "--hooks", kHooks, "--"}, kCommand));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, kHookedOutput) << r.err;
  std::ifstream in(dir.path() + "/t.txt");
  std::stringstream trace;
  trace << in.rdbuf();
  EXPECT_NE(trace.str().find("uname({sysname=\"Linux\", nodename=\"sysgate-hooked\", ...}) = 0"), std::string::npos)
      << trace.str();
  EXPECT_NE(trace.str().find("getppid()                               = 4242"), std::string::npos) << trace.str();
}

TEST(Hooks, StaticProgramsToo) {
  if (access("/bin/busybox", X_OK) != 0) GTEST_SKIP() << "no static /bin/busybox";
  Output r = run({kSysgate, "run", "--profile", "all", "--hooks", kHooks, "--", "/bin/busybox", "uname", "-n"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "sysgate-hooked\n") << r.err;
}

// The library's descriptor stays open for the next exec's loader: the program
// can neither close it nor put something else in its place.
TEST(Hooks, TheLibrarysDescriptorIsProtected) {
  const std::string script =
      "import os\n"
      "def target(f):\n"
      "  try: return os.readlink('/proc/self/fd/%d' % f)\n"
      "  except OSError: return ''\n"
      "fd = [f for f in range(1024) if target(f).endswith('libhook_library_example.so')][0]\n"
      "for attempt in (lambda: os.close(fd), lambda: os.dup2(0, fd)):\n"
      "  try:\n    attempt(); print('changed')\n  except OSError as e: print(e.strerror)\n";
  Output r = run({kSysgate, "run", "--profile", "all", "--hooks", kHooks, "--", "/usr/bin/python3", "-c", script});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "Bad file descriptor\nBad file descriptor\n") << r.err;
}

TEST(Hooks, WhatTheLoaderCannotLinkIsRefusedBeforeTheProgramRuns) {
  struct Case {
    std::string library;
    std::string message;
    int status;
  } cases[] = {
      {"/nonexistent/hooks.so", "cannot open the hook library /nonexistent/hooks.so", 127},
      {"/usr/lib/x86_64-linux-gnu/libm.so.6", "needs another shared library (DT_NEEDED)", 127},
      {"/usr/lib/x86_64-linux-gnu/libc.so.6", "has a PT_INTERP", 127},
      {"/etc/hostname", "malformed ELF", 127},
  };
  for (const Case& c : cases) {
    Output r = run({kSysgate, "run", "--profile", "all", "--hooks", c.library, "--", "/bin/echo", "ran"});
    EXPECT_EQ(r.status, c.status) << c.library << ": " << r.err;
    EXPECT_EQ(r.out, "") << c.library;  // the program never started
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.library << ": " << r.err;
  }
}

}  // namespace
}  // namespace sysgate::testing
