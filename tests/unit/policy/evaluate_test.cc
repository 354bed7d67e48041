#include "policy/evaluate.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "policy/builder.h"
#include "policy/profiles.h"

namespace sysgate::policy {
namespace {

SyscallInput call(int nr, std::initializer_list<uint64_t> args) {
  SyscallInput in{.nr = nr};
  size_t i = 0;
  for (uint64_t a : args) in.args[i++] = a;
  return in;
}

Action verdict(const Policy& p, int nr, std::initializer_list<uint64_t> args) { return evaluate(p, call(nr, args)).action; }

TEST(Evaluate, WrongArchAndX32AreKilled) {
  Result<Policy> p = PolicyBuilder().set_default(Action::allow()).build();
  ASSERT_TRUE(p.ok());
  SyscallInput i386{.nr = 1, .arch = 0x40000003u};
  EXPECT_EQ(evaluate(*p, i386).action, Action::kill());
  EXPECT_EQ(evaluate(*p, i386).reason, Decision::Reason::kWrongArch);
  EXPECT_EQ(evaluate(*p, {.nr = 0x40000000 | SYS_read}).reason, Decision::Reason::kX32);
  EXPECT_EQ(evaluate(*p, {.nr = -1}).action, Action::kill());
  EXPECT_EQ(evaluate(*p, {.nr = 5000}).action, Action::allow());
}

TEST(Evaluate, StdioProfile) {
  Result<Policy> p = load_profile("stdio");
  ASSERT_TRUE(p.ok()) << p.error().describe();
  EXPECT_EQ(verdict(*p, SYS_write, {1, 0, 5}), Action::allow());
  EXPECT_EQ(verdict(*p, SYS_openat, {static_cast<uint64_t>(AT_FDCWD), 0, O_RDONLY}), Action::explain());
  EXPECT_EQ(verdict(*p, SYS_socket, {AF_INET, SOCK_STREAM, 0}), Action::explain());
  EXPECT_EQ(verdict(*p, SYS_ioctl, {1, TCGETS}), Action::allow());
  EXPECT_EQ(verdict(*p, SYS_ioctl, {1, TIOCSTI}), Action::explain());
  EXPECT_EQ(verdict(*p, SYS_newfstatat, {3, 0, 0, AT_EMPTY_PATH}), Action::allow());
  EXPECT_EQ(verdict(*p, SYS_newfstatat, {3, 0, 0, 0}), Action::explain());
}

TEST(Evaluate, DefaultProfileOpenFlags) {
  Result<Policy> p = load_profile("default");
  ASSERT_TRUE(p.ok()) << p.error().describe();
  const uint64_t cwd = static_cast<uint32_t>(AT_FDCWD);
  EXPECT_EQ(verdict(*p, SYS_openat, {cwd, 0, O_RDONLY | O_CLOEXEC}), Action::allow());
  EXPECT_EQ(verdict(*p, SYS_openat, {cwd, 0, O_WRONLY | O_CREAT | O_TRUNC}), Action::allow());
  EXPECT_EQ(verdict(*p, SYS_socket, {AF_INET, SOCK_STREAM, 0}), Action::explain());
  EXPECT_EQ(verdict(*p, SYS_mmap, {0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE}), Action::allow());
  EXPECT_EQ(verdict(*p, SYS_clone, {CLONE_NEWUSER}), Action::explain());
  EXPECT_EQ(verdict(*p, SYS_clone, {CLONE_VM | CLONE_THREAD | CLONE_SIGHAND}), Action::allow());
  EXPECT_EQ(verdict(*p, SYS_ptrace, {}), Action::explain());
}

TEST(Evaluate, PromiseSplitsOpenByFlags) {
  Result<Policy> r = PolicyBuilder().promise(Promise::kRpath).build();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(verdict(*r, SYS_openat, {0, 0, O_RDONLY | O_DIRECTORY}), Action::allow());
  EXPECT_EQ(verdict(*r, SYS_openat, {0, 0, O_RDWR}), Action::explain());
  EXPECT_EQ(verdict(*r, SYS_openat, {0, 0, O_RDONLY | O_CREAT}), Action::explain());
  EXPECT_EQ(verdict(*r, SYS_openat, {0, 0, O_TMPFILE | O_RDWR}), Action::explain());
  // Upper-half garbage in the 32-bit flags argument changes nothing.
  EXPECT_EQ(verdict(*r, SYS_openat, {0, 0, (1ull << 33) | O_RDONLY}), Action::allow());
  Result<Policy> w = PolicyBuilder().promise(Promise::kWpath).build();
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(verdict(*w, SYS_openat, {0, 0, O_WRONLY | O_TRUNC}), Action::allow());
  EXPECT_EQ(verdict(*w, SYS_openat, {0, 0, O_WRONLY | O_CREAT}), Action::explain());
  EXPECT_EQ(verdict(*w, SYS_openat, {0, 0, O_RDONLY}), Action::explain());
}

TEST(Evaluate, RulesDecideInOrder) {
  Result<Policy> p = PolicyBuilder()
                         .set_default(Action::kill())
                         .rule(SYS_read, Condition::compare(0, 32, CmpOp::kEq, 0), Action::allow())
                         .rule(SYS_read, Condition::compare(0, 32, CmpOp::kLt, 10), Action::error(EBADF))
                         .build();
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(verdict(*p, SYS_read, {0}), Action::allow());
  EXPECT_EQ(verdict(*p, SYS_read, {5}), Action::error(EBADF));
  EXPECT_EQ(verdict(*p, SYS_read, {50}), Action::kill());
  EXPECT_EQ(evaluate(*p, call(SYS_read, {50})).reason, Decision::Reason::kDefault);
}

}  // namespace
}  // namespace sysgate::policy
