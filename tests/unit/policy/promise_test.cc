#include "policy/promise.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <fstream>
#include <sstream>

#include "policy/promise_docs.h"

namespace sysgate::policy {
namespace {

TEST(Promise, NamesRoundTrip) {
  for (Promise p : all_promises()) {
    EXPECT_EQ(promise_by_name(promise_name(p)), p);
    EXPECT_FALSE(promise_summary(p).empty());
    EXPECT_FALSE(promise_grants(p).empty()) << promise_name(p);
  }
  EXPECT_FALSE(promise_by_name("nope").has_value());
}

TEST(Promise, TheIssueListIsCovered) {
  for (const char* name : {"stdio", "rpath", "wpath", "cpath", "tmppath", "inet", "unix", "dns", "proc", "thread",
                           "exec", "prot_exec", "tty", "id", "time", "signal"}) {
    EXPECT_TRUE(promise_by_name(name).has_value()) << name;
  }
}

TEST(Promise, DangerousCallsAreInNoPromise) {
  for (int nr : {SYS_ptrace, SYS_process_vm_writev, SYS_bpf, SYS_perf_event_open, SYS_mount, SYS_unshare,
                 SYS_setns, SYS_init_module, SYS_kexec_load, SYS_reboot, SYS_seccomp, SYS_userfaultfd,
                 SYS_io_uring_setup, SYS_keyctl, SYS_add_key}) {
    EXPECT_TRUE(promises_granting(nr).empty()) << nr;
  }
}

TEST(Promise, GrantingIsFoundByReports) {
  std::vector<Promise> open = promises_granting(SYS_openat);
  EXPECT_NE(std::find(open.begin(), open.end(), Promise::kRpath), open.end());
  EXPECT_EQ(std::find(open.begin(), open.end(), Promise::kStdio), open.end());
}

TEST(Promise, DocsAreUpToDate) {
  std::ifstream in(std::string(SYSGATE_SOURCE_DIR) + "/docs/promises.md");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), promises_markdown())
      << "docs/promises.md is stale: run build/bin/sysgate promises --markdown > docs/promises.md";
}

}  // namespace
}  // namespace sysgate::policy
