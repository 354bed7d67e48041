// Real programs, unmodified, under --profile default: same output as natively.
#include <gtest/gtest.h>

#include "support/subprocess.h"

namespace sysgate::testing {
namespace {

const std::string kSysgate = SYSGATE_BIN;
// The system interpreter, not whatever PATH finds first (version-manager shims live in $HOME).
const std::string kPython = "/usr/bin/python3";

// Runs argv natively and under sysgate in the same fresh working directory
// (prepared by `setup`), and compares stdout and status.
void expect_same(const std::vector<std::string>& argv, const std::string& profile = "default",
                 void (*setup)(const TempDir&) = nullptr) {
  TempDir native_dir, sandbox_dir;
  if (setup) {
    setup(native_dir);
    setup(sandbox_dir);
  }
  Output native = run(argv, native_dir.path());
  std::vector<std::string> confined = {kSysgate, "run", "--profile", profile, "--"};
  confined.insert(confined.end(), argv.begin(), argv.end());
  Output sandboxed = run(confined, sandbox_dir.path());
  std::string joined;
  for (const std::string& a : argv) joined += a + " ";
  EXPECT_EQ(sandboxed.out, native.out) << joined << "\nstderr under sysgate:\n" << sandboxed.err;
  EXPECT_EQ(sandboxed.status, native.status) << joined << "\nstderr under sysgate:\n" << sandboxed.err;
  EXPECT_EQ(sandboxed.err.find("sysgate: denied"), std::string::npos) << joined << "\n" << sandboxed.err;
}

void some_files(const TempDir& d) {
  d.write("b.txt", "banana\napple\ncherry\n");
  d.write("a.txt", "alpha\n");
}

// -A, not -a: sysgate's private temp dir changes the link count of /tmp, the parent here.
TEST(Programs, Ls) { expect_same({"ls", "-lA", "--time-style=+", "."}, "default", some_files); }
TEST(Programs, Cat) { expect_same({"cat", "b.txt", "a.txt"}, "default", some_files); }
TEST(Programs, Sort) { expect_same({"sort", "b.txt"}, "default", some_files); }
TEST(Programs, TarCreatesAndLists) {
  expect_same({"sh", "-c", "tar cf t.tar a.txt b.txt && tar tvf t.tar | awk '{print $6}'"}, "default", some_files);
}
TEST(Programs, ShellPipeline) {
  expect_same({"sh", "-c", "cat b.txt | sort -r | tr a-z A-Z | head -n 2; echo $?"}, "default", some_files);
}
TEST(Programs, Python) {
  expect_same({kPython, "-c", "import json, os, sys; print(json.dumps(sorted(os.listdir('.')))); print(sum(range(100)))"},
              "default", some_files);
}
TEST(Programs, GitVersion) { expect_same({"git", "--version"}); }
TEST(Programs, Sqlite) { expect_same({"sqlite3", ":memory:", "create table t(x); insert into t values (1),(2); select sum(x) from t;"}); }
TEST(Programs, WritesInTheWorkingDirectory) {
  expect_same({"sh", "-c", "echo data > out.txt && mkdir d && mv out.txt d/ && cat d/out.txt && rm -r d && ls"});
}
TEST(Programs, TempFilesGoToThePrivateTmp) {
  expect_same({"sh", "-c", "f=$(mktemp) && echo hi > $f && cat $f && rm $f"});
}
TEST(Programs, AllProfileRunsAnything) { expect_same({"sh", "-c", "id -u; uname -s"}, "all"); }

TEST(Programs, DefaultProfileRefusesSecretsAndNetwork) {
  TempDir dir;
  Output o = run({kSysgate, "run", "--", kPython, "-c",
                  "import socket\n"
                  "try:\n  open('/etc/shadow').read(); print('read shadow')\nexcept OSError as e: print('shadow', e.errno)\n"
                  "try:\n  open('/root/.bashrc-sysgate-test', 'w'); print('wrote')\nexcept OSError as e: print('write', e.errno)\n"
                  "try:\n  socket.socket(); print('socket')\nexcept OSError as e: print('socket', e.errno)\n"},
                 dir.path());
  EXPECT_EQ(o.out, "shadow 13\nwrite 13\nsocket 1\n") << o.err;
  EXPECT_NE(o.err.find("denied socket(AF_INET, SOCK_STREAM"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("needs promise \"inet\""), std::string::npos) << o.err;
}

TEST(Programs, ReportsNameTheChildProcess) {
  TempDir dir;
  Output o = run({kSysgate, "run", "--", "sh", "-c", kPython + " -c 'import socket; socket.socket()'; true"}, dir.path());
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.err.find("sysgate: [pid "), std::string::npos) << o.err;
}

}  // namespace
}  // namespace sysgate::testing
