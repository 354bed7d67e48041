// Real-kernel tests of Landlock rulesets: built in the test process, enforced
// in forked children.
#include "sandbox/landlock.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/landlock.h>
#include <unistd.h>

#include <cerrno>

#include "sandbox/seccomp_install.h"
#include "test_support.h"

namespace sysgate::sandbox::landlock {
namespace {

using test_support::describe_status;
using test_support::run_in_child;
using test_support::TempDir;

constexpr uint64_t kReadFile = 1ULL << 2;
constexpr uint64_t kReadDir = 1ULL << 3;
constexpr uint64_t kWriteFile = 1ULL << 1;
constexpr uint64_t kExecuteRight = 1ULL << 0;
constexpr uint64_t kMakeReg = 1ULL << 8;
constexpr uint64_t kRefer = 1ULL << 13;
constexpr uint64_t kTruncate = 1ULL << 14;
constexpr uint64_t kIoctlDev = 1ULL << 15;

#define REQUIRE_LANDLOCK() \
  if (abi_version() == 0) GTEST_SKIP() << "Landlock is not available on this kernel"

// Opens path read-only: 0, or errno.
int try_open(const std::string& path, int flags = O_RDONLY) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

TEST(Landlock, ProbesAbi) {
  REQUIRE_LANDLOCK();
  EXPECT_GE(abi_version(), 1);
}

TEST(Landlock, HandledRightsGrowWithAbi) {
  EXPECT_EQ(handled_access_for_abi(0), 0u);
  EXPECT_EQ(handled_access_for_abi(1), 0x1FFFu);
  EXPECT_EQ(handled_access_for_abi(2), 0x1FFFu | kRefer);
  EXPECT_EQ(handled_access_for_abi(3), 0x1FFFu | kRefer | kTruncate);
  EXPECT_EQ(handled_access_for_abi(4), handled_access_for_abi(3));
  EXPECT_EQ(handled_access_for_abi(5), 0x1FFFu | kRefer | kTruncate | kIoctlDev);
  EXPECT_EQ(handled_access_for_abi(7), handled_access_for_abi(5));
}

TEST(Landlock, MapsRightsByKindOfPath) {
  const uint64_t all = handled_access_for_abi(5);
  EXPECT_EQ(kernel_access(kRead, true, all), kReadFile | kReadDir);
  EXPECT_EQ(kernel_access(kRead, false, all), kReadFile);
  EXPECT_EQ(kernel_access(kWrite, false, all), kWriteFile | kTruncate | kIoctlDev);
  EXPECT_EQ(kernel_access(kExecute, false, all), kExecuteRight);
  EXPECT_EQ(kernel_access(kCreate, false, all), 0u);  // no MAKE_*/REMOVE_*/REFER on a file
  uint64_t create_dir = kernel_access(kCreate, true, all);
  EXPECT_EQ(create_dir, 0x1FF0u | kRefer);  // MAKE_* (6..12), REMOVE_* (4,5), REFER
  EXPECT_TRUE(create_dir & kMakeReg);
  // Masked by what the ABI handles.
  EXPECT_EQ(kernel_access(kWrite | kCreate, true, handled_access_for_abi(1)), kWriteFile | 0x1FF0u);
}

TEST(Landlock, RejectsRelativePathsAndUnknownBits) {
  std::vector<Rule> relative = {{"tmp", kRead}};
  Result<Ruleset> r1 = build_ruleset(relative);
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().code, ErrorCode::kInvalidArgument);
  std::vector<Rule> bits = {{"/tmp", 0x100}};
  Result<Ruleset> r2 = build_ruleset(bits);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, ErrorCode::kInvalidArgument);
}

TEST(Landlock, MissingPathIsANoteNotAnError) {
  REQUIRE_LANDLOCK();
  TempDir tmp;
  std::vector<Rule> rules = {{tmp.path() + "/missing", kRead}, {tmp.path(), kRead}};
  Result<Ruleset> rs = build_ruleset(rules);
  ASSERT_TRUE(rs.ok()) << rs.error().describe();
  ASSERT_EQ(rs->notes.size(), 1u);
  EXPECT_NE(rs->notes[0].find("missing does not exist"), std::string::npos) << rs->notes[0];
  EXPECT_TRUE(rs->fd.valid());
}

TEST(Landlock, ReportsDegradationsOfOlderAbis) {
  REQUIRE_LANDLOCK();
  std::vector<Rule> none;
  Result<Ruleset> v1 = build_ruleset(none, {.max_abi = 1});
  ASSERT_TRUE(v1.ok()) << v1.error().describe();
  EXPECT_EQ(v1->abi, 1);
  EXPECT_EQ(v1->handled_access_fs, handled_access_for_abi(1));
  ASSERT_EQ(v1->degradations.size(), 3u);
  EXPECT_NE(v1->degradations[1].find("truncate not restricted"), std::string::npos);

  if (abi_version() >= 3) {
    Result<Ruleset> v2 = build_ruleset(none, {.max_abi = 2});
    ASSERT_TRUE(v2.ok());
    ASSERT_EQ(v2->degradations.size(), 2u);
    EXPECT_EQ(v2->degradations[0].rfind("Landlock ABI 2", 0), 0u) << v2->degradations[0];
    EXPECT_NE(v2->degradations[0].find("truncate not restricted"), std::string::npos);
  }
  if (abi_version() >= 5) {
    Result<Ruleset> full = build_ruleset(none);
    ASSERT_TRUE(full.ok());
    EXPECT_TRUE(full->degradations.empty());
  }
}

class LandlockEnforcement : public ::testing::TestWithParam<int> {};

// Read on inside/ only: reading inside works, reading outside and creating
// anything are denied; the same on the ABI under test.
TEST_P(LandlockEnforcement, DeniesOutsideAllowsInside) {
  REQUIRE_LANDLOCK();
  TempDir tmp;
  tmp.make_dir("inside");
  tmp.make_dir("outside");
  std::string in_file = tmp.write_file("inside/f", "in");
  std::string out_file = tmp.write_file("outside/f", "out");
  std::vector<Rule> rules = {{tmp.path() + "/inside", kRead}};
  Result<Ruleset> rs = build_ruleset(rules, {.max_abi = GetParam()});
  ASSERT_TRUE(rs.ok()) << rs.error().describe();

  int fd = rs->fd.get();
  int status = run_in_child([&] {
    if (raw_set_no_new_privs() != 0) return 10;
    if (raw_restrict_self(fd) != 0) return 11;
    if (try_open(in_file) != 0) return 12;
    if (try_open(tmp.path() + "/inside", O_RDONLY | O_DIRECTORY) != 0) return 13;
    if (try_open(out_file) != EACCES) return 14;
    if (try_open(in_file, O_WRONLY) != EACCES) return 15;
    if (try_open(tmp.path() + "/inside/new", O_WRONLY | O_CREAT) != EACCES) return 16;
    return 0;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe_status(status);
}

INSTANTIATE_TEST_SUITE_P(Abis, LandlockEnforcement, ::testing::Values(0, 1, 3));

TEST(Landlock, WriteAndCreateOnADirectory) {
  REQUIRE_LANDLOCK();
  TempDir tmp;
  tmp.make_dir("work");
  std::vector<Rule> rules = {{tmp.path() + "/work", kRead | kWrite | kCreate}};
  Result<Ruleset> rs = build_ruleset(rules);
  ASSERT_TRUE(rs.ok()) << rs.error().describe();
  int fd = rs->fd.get();
  int status = run_in_child([&] {
    if (raw_set_no_new_privs() != 0 || raw_restrict_self(fd) != 0) return 10;
    if (try_open(tmp.path() + "/work/new", O_WRONLY | O_CREAT) != 0) return 11;
    if (::unlink((tmp.path() + "/work/new").c_str()) != 0) return 12;
    if (try_open(tmp.path() + "/elsewhere", O_WRONLY | O_CREAT) != EACCES) return 13;
    return 0;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe_status(status);
}

// A rule on a regular file keeps only file rights (the kernel would reject the
// rest) and says what it dropped.
TEST(Landlock, FileRuleKeepsOnlyFileRights) {
  REQUIRE_LANDLOCK();
  TempDir tmp;
  std::string allowed = tmp.write_file("allowed", "a");
  std::string sibling = tmp.write_file("sibling", "s");
  std::vector<Rule> rules = {{allowed, kRead | kCreate}};
  Result<Ruleset> rs = build_ruleset(rules);
  ASSERT_TRUE(rs.ok()) << rs.error().describe();
  ASSERT_EQ(rs->notes.size(), 1u);
  EXPECT_NE(rs->notes[0].find("not a directory"), std::string::npos) << rs->notes[0];
  int fd = rs->fd.get();
  int status = run_in_child([&] {
    if (raw_set_no_new_privs() != 0 || raw_restrict_self(fd) != 0) return 10;
    if (try_open(allowed) != 0) return 11;
    if (try_open(sibling) != EACCES) return 12;
    return 0;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe_status(status);

  std::vector<Rule> create_only = {{allowed, kCreate}};
  Result<Ruleset> skipped = build_ruleset(create_only);
  ASSERT_TRUE(skipped.ok()) << skipped.error().describe();
  ASSERT_EQ(skipped->notes.size(), 2u);
  EXPECT_NE(skipped->notes[1].find("rule skipped"), std::string::npos);
}

TEST(Landlock, RestrictSelfNeedsNoNewPrivsOrCapability) {
  REQUIRE_LANDLOCK();
  std::vector<Rule> none;
  Result<Ruleset> rs = build_ruleset(none);
  ASSERT_TRUE(rs.ok());
  int fd = rs->fd.get();
  // As root we hold CAP_SYS_ADMIN, so restrict_self succeeds even without
  // no_new_privs; everything on the filesystem is then denied.
  int status = run_in_child([&] {
    Result<void> r = restrict_self(fd);
    if (!r.ok()) return geteuid() == 0 ? 10 : 0;
    if (try_open("/etc/hostname") != EACCES) return 11;
    return 0;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe_status(status);
}

}  // namespace
}  // namespace sysgate::sandbox::landlock
