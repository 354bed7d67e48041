// Attacks on the run sandbox. Each test names the claim it attacks.
#include <gtest/gtest.h>
#include <signal.h>

#include "support/subprocess.h"

namespace sysgate::testing {
namespace {

const std::string kSysgate = SYSGATE_BIN;
const std::string kVictim = VICTIM_BIN;

// The victim binary lives in the build tree; policies must let it run.
Output under(const std::vector<std::string>& sysgate_args, const std::vector<std::string>& victim_args,
             const std::string& cwd = "") {
  std::vector<std::string> argv = {kSysgate, "run"};
  argv.insert(argv.end(), sysgate_args.begin(), sysgate_args.end());
  argv.push_back("--");
  argv.push_back(kVictim);
  argv.insert(argv.end(), victim_args.begin(), victim_args.end());
  return run(argv, cwd);
}

// Claim: only the x86-64 syscall ABI exists inside; x32 and i386 entries are killed.
TEST(Escape, X32SyscallIsKilled) {
  Output o = under({"--profile", "all"}, {"x32"});
  EXPECT_EQ(o.status, 128 + SIGSYS) << o.out << o.err;
  EXPECT_EQ(o.out.find("returned"), std::string::npos);
}

TEST(Escape, Int80IsKilled) {
  Output o = under({"--profile", "all"}, {"int80"});
  EXPECT_EQ(o.status, 128 + SIGSYS) << o.out << o.err;
}

// Claim: a brokered open is judged on the monitor's own copy of the path, so
// flipping the path in memory while the monitor checks it never opens the secret.
TEST(Escape, PathRaceAgainstTheBrokerNeverLeaks) {
  TempDir dir;
  dir.write("ok.txt", "fine\n");
  dir.write("secret.txt", "SECRET\n");
  dir.write("p.toml",
            "extends = \"stdio\"\npromises = [\"thread\"]\n[files]\nread = [\"" + dir.path() + "/ok.txt\"]\n");
  Output o = under({"--policy", dir.path() + "/p.toml", "-q"},
                   {"toctou", dir.path() + "/ok.txt", dir.path() + "/secret.txt", "3000"});
  EXPECT_NE(o.out.find("leaked 0"), std::string::npos) << o.out << o.err;
  EXPECT_EQ(o.out.find("opened 0 "), std::string::npos) << "the allowed file should open sometimes: " << o.out;
  EXPECT_EQ(o.status, 0) << o.out << o.err;
}

// Claim: the broker judges the file it opened, not the name it was given.
TEST(Escape, SymlinkOutOfAnAllowedTreeIsRefused) {
  TempDir allowed, outside;
  outside.write("secret.txt", "SECRET\n");
  ASSERT_EQ(symlink((outside.path() + "/secret.txt").c_str(), (allowed.path() + "/link").c_str()), 0);
  Output o = under({"--profile", "stdio", "--allow-read", allowed.path()}, {"open", allowed.path() + "/link"});
  EXPECT_EQ(o.out.find("SECRET"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("errno 1"), std::string::npos) << o.out << o.err;
  EXPECT_NE(o.err.find("--allow-read " + outside.path() + "/secret.txt"), std::string::npos) << o.err;
}

// Claim: the broker never hands out /proc paths (its /proc/self is the monitor).
TEST(Escape, ProcSelfIsNeverBrokered) {
  Output o = under({"--profile", "stdio", "--allow-read", "/proc"}, {"open", "/proc/self/environ"});
  EXPECT_NE(o.out.find("errno 1"), std::string::npos) << o.out << o.err;
}

// Claim: filters only stack; a program cannot loosen the sandbox with its own filter.
TEST(Escape, OwnAllowAllFilterDoesNotLoosen) {
  TempDir dir;
  dir.write("p.toml",
            "extends = \"stdio\"\n[[rule]]\nsyscalls = [\"seccomp\", \"prctl\"]\naction = \"allow\"\n");
  Output o = under({"--policy", dir.path() + "/p.toml"}, {"loosen", "/etc/hostname"});
  EXPECT_NE(o.out.find("seccomp: 0"), std::string::npos) << o.out << o.err;
  EXPECT_NE(o.out.find("open /etc/hostname: errno 1"), std::string::npos) << o.out << o.err;
  EXPECT_NE(o.err.find("denied openat"), std::string::npos) << o.err;
}

// Claim: a program allowed to install filters still cannot install one with its
// own listener, which would receive (and could continue) the calls the monitor
// is meant to judge.
TEST(Escape, SecondListenerCannotAnswerForTheMonitor) {
  TempDir dir;
  dir.write("p.toml", "extends = \"stdio\"\n[[rule]]\nsyscalls = [\"seccomp\", \"ioctl\"]\naction = \"allow\"\n");
  Output o = under({"--policy", dir.path() + "/p.toml"}, {"second-listener", "/etc/hostname"});
  EXPECT_NE(o.out.find("seccomp listener: -1 errno 1"), std::string::npos) << o.out << o.err;
  EXPECT_NE(o.out.find("open /etc/hostname: errno 1"), std::string::npos) << o.out << o.err;
}

// Claim: the sandboxed program cannot reach into its supervisor.
TEST(Escape, CannotTraceOrWriteTheMonitor) {
  TempDir dir;
  Output o = under({}, {"ptrace"}, dir.path());
  EXPECT_NE(o.out.find("ptrace: -1 errno 1"), std::string::npos) << o.out << o.err;
  EXPECT_NE(o.out.find("process_vm_writev: -1 errno 1"), std::string::npos) << o.out << o.err;
  EXPECT_NE(o.err.find("denied ptrace("), std::string::npos) << o.err;
}

// Claim: 32-bit arguments are judged on the 32 bits the kernel uses.
TEST(Escape, UpperHalfGarbageDoesNotSmuggleTiocsti) {
  TempDir dir;
  Output o = under({}, {"ioctl-high"}, dir.path());
  EXPECT_NE(o.out.find("ioctl: -1 errno 1"), std::string::npos) << o.out << o.err;
}

}  // namespace
}  // namespace sysgate::testing
