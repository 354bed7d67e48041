#include "policy/builder.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "policy/evaluate.h"

namespace sysgate::policy {
namespace {

TEST(Builder, KeepsTheFirstError) {
  Result<Policy> p = PolicyBuilder().allow("nosuchcall").allow("alsonot").build();
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message, "unknown syscall \"nosuchcall\"");
}

TEST(Builder, RejectsBadConditionsAndFileRules) {
  EXPECT_FALSE(PolicyBuilder().rule(SYS_read, Condition::compare(6, 64, CmpOp::kEq, 0), Action::allow()).build().ok());
  EXPECT_FALSE(PolicyBuilder().rule(SYS_read, Condition::compare(0, 16, CmpOp::kEq, 0), Action::allow()).build().ok());
  EXPECT_FALSE(PolicyBuilder().rule(-1, Condition::always(), Action::allow()).build().ok());
  EXPECT_FALSE(PolicyBuilder().file({.path = "rel", .rights = kRead}).build().ok());
  EXPECT_FALSE(PolicyBuilder().file({.path = "/x", .rights = 0}).build().ok());
  EXPECT_FALSE(PolicyBuilder().file({.path = "/x", .rights = 0x10}).build().ok());
  EXPECT_TRUE(PolicyBuilder().file({.path = "$TMP/x", .rights = kRead | kWrite}).build().ok());
}

TEST(Builder, RejectsErrnoTheKernelWouldClamp) {
  // SECCOMP_RET_ERRNO is clamped to MAX_ERRNO; 4096 would make the filter return -4095.
  EXPECT_FALSE(PolicyBuilder().rule(SYS_read, Condition::always(), Action::error(4096)).build().ok());
  EXPECT_FALSE(PolicyBuilder().set_default(Action::explain(5000)).build().ok());
  EXPECT_TRUE(PolicyBuilder().rule(SYS_read, Condition::always(), Action::error(4095)).build().ok());
}

// Landlock has no right for metadata: with file rules, fattr's path forms go
// to the monitor (explain, from the promise); without, they are plain grants.
// The descriptor forms (futimens is utimensat with a NULL path) stay allowed.
TEST(Builder, MetadataByPathGoesToTheMonitorWhenThereAreFileRules) {
  auto decide = [](const Policy& p, int nr, uint64_t arg1) {
    SyscallInput in{.nr = nr};
    in.args[1] = arg1;
    return evaluate(p, in);
  };
  Result<Policy> files = PolicyBuilder().promise(Promise::kFattr).file({.path = "/x", .rights = kRead}).build();
  Result<Policy> none = PolicyBuilder().promise(Promise::kFattr).build();
  ASSERT_TRUE(files.ok() && none.ok());
  for (int nr : {SYS_chmod, SYS_fchmodat, SYS_setxattr, SYS_lremovexattr, SYS_utimes}) {
    Decision d = decide(*files, nr, 0x1000);
    EXPECT_EQ(d.action, Action::explain()) << nr;
    ASSERT_NE(d.rule, nullptr);
    EXPECT_EQ(d.rule->origin.source, Origin::Source::kPromise);
    EXPECT_EQ(decide(*none, nr, 0x1000).action, Action::allow()) << nr;
  }
  // The descriptor forms too: a file opened for reading is no licence to chmod it.
  for (int nr : {SYS_utimensat, SYS_fchmod, SYS_fsetxattr, SYS_fremovexattr}) {
    for (uint64_t arg1 : {uint64_t{0}, uint64_t{0x1000}}) {
      EXPECT_EQ(decide(*files, nr, arg1).action, Action::explain()) << nr;
      EXPECT_EQ(decide(*none, nr, arg1).action, Action::allow()) << nr;
    }
  }
}

TEST(Builder, ExplicitRulesPrecedePromiseGrants) {
  Result<Policy> p = PolicyBuilder()
                         .promise(Promise::kUnix)
                         .rule(SYS_socket, Condition::compare(0, 32, CmpOp::kEq, AF_UNIX), Action::kill())
                         .build();
  ASSERT_TRUE(p.ok());
  SyscallInput in{.nr = SYS_socket};
  in.args[0] = AF_UNIX;
  EXPECT_EQ(evaluate(*p, in).action, Action::kill());
  ASSERT_NE(evaluate(*p, in).rule, nullptr);
}

TEST(Builder, CompatibilityRulesKeepLibcWorking) {
  Result<Policy> p = PolicyBuilder().promise(Promise::kStdio).build();
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(evaluate(*p, {.nr = SYS_clone3}).action, Action::error(ENOSYS));
  EXPECT_EQ(evaluate(*p, {.nr = SYS_openat2}).action, Action::error(ENOSYS));
  EXPECT_EQ(evaluate(*p, {.nr = SYS_faccessat2}).action, Action::error(ENOSYS));
  // A promise that grants faccessat2 wins over the compatibility answer.
  Result<Policy> r = PolicyBuilder().promise(Promise::kRpath).build();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(evaluate(*r, {.nr = SYS_faccessat2}).action, Action::allow());
  // An allow-everything policy gets no compatibility rules.
  Result<Policy> all = PolicyBuilder().set_default(Action::allow()).build();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(evaluate(*all, {.nr = SYS_clone3}).action, Action::allow());
}

}  // namespace
}  // namespace sysgate::policy
