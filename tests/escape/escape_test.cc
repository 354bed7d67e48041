// Attacks on the run sandbox. Each test names the claim it attacks.
#include <gtest/gtest.h>
#include <signal.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <thread>

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

// The same, under `sysgate trace` (every call trapped to the gate, sites rewritten).
Output traced(const std::vector<std::string>& sysgate_args, const std::vector<std::string>& victim_args,
              const std::string& cwd = "") {
  std::vector<std::string> argv = {kSysgate, "trace", "-o", "/dev/null"};
  argv.insert(argv.end(), sysgate_args.begin(), sysgate_args.end());
  argv.push_back("--");
  argv.push_back(kVictim);
  argv.insert(argv.end(), victim_args.begin(), victim_args.end());
  return run(argv, cwd);
}

// A policy without the network that lets the victim read /proc/self/maps.
std::string no_network_with_proc(const TempDir& dir) {
  dir.write("p.toml", "extends = \"default\"\n[files]\nread = [\"/proc\"]\n");
  return dir.path() + "/p.toml";
}

// Claim (invariant 3): the gate's own syscall instruction is no way around the
// policy: a call made from it is judged like any other.
TEST(EscapeGate, JumpingToTheGatesSyscallGainsNothing) {
  TempDir dir;
  const std::string policy = no_network_with_proc(dir);
  for (bool trace : {false, true}) {
    Output o = trace ? traced({"--policy", policy}, {"gate-gadget"}) : under({"--policy", policy}, {"gate-gadget"});
    EXPECT_NE(o.out.find("gadgets tried in"), std::string::npos) << o.out << o.err;
    EXPECT_NE(o.out.find("socket returned -1\n"), std::string::npos) << "trace=" << trace << "\n" << o.out << o.err;
    EXPECT_EQ(o.out.find("socket returned 3"), std::string::npos) << o.out;
    EXPECT_NE(o.err.find("denied socket(AF_INET, SOCK_STREAM, IPPROTO_IP)"), std::string::npos) << o.err;
  }
}

// Claim: unmapping the loader and the gate breaks only the process itself.
TEST(EscapeGate, UnmappingTheGateGainsNothing) {
  TempDir dir;
  const std::string policy = no_network_with_proc(dir);
  for (bool trace : {false, true}) {
    Output o = trace ? traced({"--policy", policy}, {"unmap-loader"}) : under({"--policy", policy}, {"unmap-loader"});
    // Either refused with a report (run: socket never traps) or dead as soon as
    // the gate's own code is gone (trace: the munmap itself runs inside the gate)
    // -- never a socket.
    if (!trace) {
      EXPECT_NE(o.out.find("unmapped"), std::string::npos) << o.out << o.err;
    }
    EXPECT_EQ(o.out.find("socket returned 3"), std::string::npos) << o.out;
    if (o.out.find("socket returned") != std::string::npos) {
      EXPECT_NE(o.out.find("socket returned -1"), std::string::npos) << o.out;
    } else {
      EXPECT_GE(o.status, 128) << o.out << o.err;
    }
  }
}

// Claim: a sandboxed program cannot reach processes outside the sandbox, even
// where the policy lets it make the calls: it takes no descriptor of the
// monitor's (its seccomp listener would let it answer its own refused calls)
// nor of this test's (pidfd_getfd, allowed by an explicit rule), and cannot
// signal them (kill, in the proc promise). A Landlock domain scoped to the
// sandbox refuses all three (ABI 6), with or without file rules.
TEST(EscapeRun, ProcessesOutsideAreOutOfReach) {
  TempDir dir;
  dir.write("p.toml", "default = \"explain\"\npromises = [\"stdio\", \"rpath\", \"proc\", \"prot_exec\"]\n"
                      "[[rule]]\nsyscall = \"pidfd_getfd\"\naction = \"allow\"\n");
  dir.write("f.toml", "default = \"explain\"\npromises = [\"stdio\", \"rpath\", \"proc\", \"prot_exec\"]\n"
                      "[files]\nread = [\"/\"]\n[[rule]]\nsyscall = \"pidfd_getfd\"\naction = \"allow\"\n");
  for (const char* policy : {"p.toml", "f.toml"}) {
    for (const std::string& target : {std::string("parent"), std::to_string(getpid())}) {  // the monitor, this test
      Output o = under({"--policy", dir.path() + "/" + policy}, {"reach", target});
      const std::string where = std::string(policy) + " " + target + "\n" + o.out + o.err;
      EXPECT_NE(o.out.find("pidfd_open 0 taken 0 (errno 1) kill -1/1\n"), std::string::npos) << where;
    }
  }
}

// Claim: the descriptors the gate needs (the loader, the trace region) cannot
// be closed or replaced, so every later image still starts in the loader.
// close and dup2 onto them fail as for a descriptor that is not open, and so
// does making them close-on-exec (fcntl F_SETFD, ioctl FIOCLEX): the next
// exec would close the loader's, and the program could put a file of its own
// at that number, which the filter lets it exec by that number alone; a
// close_range over them closes the rest of its range (the gate splits it,
// close_range.h) and succeeds, as over descriptors that are not open.
TEST(EscapeGate, ProtectedDescriptorsStay) {
  TempDir dir;
  const std::string policy = no_network_with_proc(dir);
  for (bool trace : {false, true}) {
    Output o = trace ? traced({"--policy", policy}, {"fds", "/bin/echo"}) : under({"--policy", policy}, {"fds", "/bin/echo"});
    EXPECT_NE(o.out.find("(loader): close -1/9 dup2 -1/9 close_range 0/0 setfd -1/9 fioclex -1/9 flags 0\n"),
              std::string::npos)
        << "trace=" << trace << "\n" << o.out << o.err;
    EXPECT_NE(o.out.find("after\n"), std::string::npos) << o.out << o.err;  // the exec still worked
    EXPECT_EQ(o.status, 0) << o.out << o.err;
  }
}

// Claim: the exec the filter lets through, execveat of the loader's
// descriptor, runs the loader and nothing else. The kernel ignores the
// descriptor for an absolute path, so the filter also requires the path to be
// the "" of a page each image maps read-only from the loader file and seals
// (src/loader/exec_path.h). The victim tries to unprotect, write (through
// /proc/self/mem too), discard, unmap, map over and mremap over that page,
// then execs /bin/echo by the descriptor with its own path, from the gate's
// instruction, under a policy without the exec promise: refused, so echo never
// prints. With the page's own "" it is the loader, which (given no program)
// fails: still no echo. No file rules, so no Landlock, and wpath: the victim
// can open /proc/self/mem for writing.
TEST(EscapeGate, ExecOfTheLoadersDescriptorRunsOnlyTheLoader) {
  TempDir dir;
  dir.write("p.toml", "default = \"explain\"\npromises = [\"stdio\", \"rpath\", \"wpath\", \"prot_exec\"]\n");
  const std::string policy = dir.path() + "/p.toml";
  for (bool trace : {false, true}) {
    Output o = trace ? traced({"--policy", policy}, {"exec-abs", "/bin/echo"})
                     : under({"--policy", policy}, {"exec-abs", "/bin/echo"});
    const std::string where = "trace=" + std::to_string(trace) + "\n" + o.out + o.err;
    EXPECT_NE(o.out.find("exec path page found"), std::string::npos) << where;
    EXPECT_NE(o.out.find("mprotect -1\n"), std::string::npos) << where;
    EXPECT_NE(o.out.find("proc mem write -1"), std::string::npos) << where;  // (opened: not -2)
    EXPECT_NE(o.out.find("page still \"\": 1\n"), std::string::npos) << where;
    EXPECT_NE(o.out.find("munmap -1\n"), std::string::npos) << where;
    EXPECT_NE(o.out.find("mmap over failed\n"), std::string::npos) << where;
    EXPECT_NE(o.out.find("mremap over failed\n"), std::string::npos) << where;
    EXPECT_NE(o.out.find("execveat own path -1"), std::string::npos) << where;
    EXPECT_EQ(o.out.find("ESCAPED"), std::string::npos) << where;
  }
}

// Claim: the monitor looks into traced processes only. A record's pid is the
// program's to write: the forger publishes a socket() that "returned" this
// test's connected TCP socket and a close() of a file this test holds open,
// both under this test's pid. The forged lines show (the rings are the
// program's memory), but under -yy neither the socket's addresses (read with
// pidfd_getfd) nor the file's path (/proc/PID/fd) may reach the trace.
TEST(EscapeTrace, ForgedRecordsDoNotOpenOtherProcesses) {
  TempDir dir;
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  dir.write("secret-name-7d1f", "x");
  const int file = open((dir.path() + "/secret-name-7d1f").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(file, 0);
  const std::string trace_file = dir.path() + "/trace.txt";
  Output o = run({kSysgate, "trace", "-yy", "-o", trace_file, "--", FORGE_RECORD_BIN, std::to_string(getpid()),
                  std::to_string(client), std::to_string(file)});
  std::ifstream in(trace_file);
  const std::string trace((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(o.out.find("forged"), std::string::npos) << o.out << o.err;
  const std::regex forged_line(std::to_string(getpid()) + R"( +socket\(AF_INET, SOCK_STREAM, IPPROTO_IP\) = )" +
                               std::to_string(client) + "\n");
  EXPECT_TRUE(std::regex_search(trace, forged_line)) << trace;
  EXPECT_EQ(trace.find("TCP:["), std::string::npos) << trace;
  EXPECT_EQ(trace.find("secret-name-7d1f"), std::string::npos) << trace;
  close(file);
  close(client);
  close(listener);
}

// Claim: the monitor tells a program nothing about paths it may not look at
// itself. Under -y a descriptor's path is resolved (symlinks, "..") in the
// monitor's view when its record is read; a forged openat of a symlink the
// program may not readlink would make the monitor print the symlink's target
// in a trace the program can read. With a policy that refuses readlink and
// stat the monitor resolves nothing: the path shows as given.
TEST(EscapeTrace, ForgedPathsAreNotResolvedForAProgramThatCannotStat) {
  TempDir dir;
  ASSERT_EQ(mkdir((dir.path() + "/private").c_str(), 0700), 0);
  dir.write("private/target-name-5a2c", "x");
  ASSERT_EQ(symlink((dir.path() + "/private/target-name-5a2c").c_str(), (dir.path() + "/link").c_str()), 0);
  dir.write("p.toml", "extends = \"stdio\"\n");
  const std::string trace_file = dir.path() + "/trace.txt";
  Output o = run({kSysgate, "trace", "-y", "-o", trace_file, "--policy", dir.path() + "/p.toml", "--", FORGE_RECORD_BIN,
                  "1", "0", "0", dir.path() + "/link"});
  std::ifstream in(trace_file);
  const std::string trace((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(o.out.find("forged"), std::string::npos) << o.out << o.err;
  EXPECT_NE(trace.find("\"" + dir.path() + "/link\", O_RDONLY) = 42<" + dir.path() + "/link>"), std::string::npos)
      << trace;
  EXPECT_EQ(trace.find("target-name-5a2c"), std::string::npos) << trace;
}

// Claim: the same holds in an image the loader started from arguments the
// program wrote itself (no --gate: the gate is not armed there): the loader
// maps and seals the page before it reads its arguments. The victim execs the
// loader to start itself unarmed, then attacks the page and execs /bin/echo
// by the loader's descriptor. A reviewer did so before the loader mapped the
// page unconditionally: the unarmed image mapped a page of its own there.
// Under `trace` only: under `run` the redirect filter, which survives the
// exec, kills an unarmed glibc program at its first signal call (it takes a
// freestanding image there; the filter's rule is the same in both modes).
TEST(EscapeGate, AnUnarmedImageStillHasTheSealedExecPath) {
  TempDir dir;
  dir.write("p.toml", "default = \"explain\"\npromises = [\"stdio\", \"rpath\", \"wpath\", \"prot_exec\"]\n");
  const std::string policy = dir.path() + "/p.toml";
  {
    Output o = traced({"--policy", policy}, {"unarmed", "/bin/echo"});
    const std::string where = o.out + o.err;
    EXPECT_NE(o.out.find("unarmed image\n"), std::string::npos) << where;
    EXPECT_NE(o.out.find("exec path page found"), std::string::npos) << where;
    EXPECT_NE(o.out.find("mmap over failed\n"), std::string::npos) << where;
    EXPECT_NE(o.out.find("execveat own path -1"), std::string::npos) << where;
    EXPECT_EQ(o.out.find("ESCAPED"), std::string::npos) << where;
  }
}

// Claim: close_range over every descriptor, close-on-exec first, leaves the
// gate's: the exec after it and the shell's exec after that start in the loader.
TEST(EscapeGate, ProtectedDescriptorsSurviveCloseRange) {
  TempDir dir;
  const std::string policy = no_network_with_proc(dir);
  for (bool trace : {false, true}) {
    Output o = trace ? traced({"--policy", policy}, {"fd_range", "/bin/echo"})
                     : under({"--policy", policy}, {"fd_range", "/bin/echo"});
    EXPECT_NE(o.out.find("close_range cloexec 0 closed 0\nafter\n"), std::string::npos)
        << "trace=" << trace << "\n" << o.out << o.err;
    EXPECT_EQ(o.status, 0) << o.out << o.err;
  }
}

// Claim: SIGSYS stays the gate's: a program that installs its own handler and
// blocks SIGSYS still has every call judged, and is not killed for it.
TEST(EscapeGate, OwnSigsysHandlerAndMaskGainNothing) {
  for (bool trace : {false, true}) {
    Output o = trace ? traced({"--profile", "default"}, {"own-sigsys"}) : under({"--profile", "default"}, {"own-sigsys"});
    EXPECT_NE(o.out.find("sigaction: 0"), std::string::npos) << o.out << o.err;
    EXPECT_NE(o.out.find("socket returned -1 errno 1; own handler ran: 0"), std::string::npos)
        << "trace=" << trace << "\n" << o.out << o.err;
    // What the program asked for is what it reads back.
    EXPECT_NE(o.out.find("SIGSYS reads back blocked: 1"), std::string::npos) << o.out;
    EXPECT_EQ(o.status, 0) << o.out << o.err;
  }
}

// Claim: under `sysgate trace` every call of the program reaches the gate, even
// one that tries to turn Syscall User Dispatch off or widen its region -- from
// its own code or from the gate's instruction (src/gate/user_dispatch.h).
TEST(EscapeGate, SyscallUserDispatchCannotBeTurnedOff) {
  TempDir dir;
  const std::string out = dir.path() + "/trace.txt";
  Output o = run({kSysgate, "trace", "-o", out, "--", kVictim, "sud-off"});
  EXPECT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("prctl off returned -1\n"), std::string::npos) << o.out << o.err;
  EXPECT_NE(o.out.find("prctl everywhere returned -1\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("prctl off, high bit, returned -1\n"), std::string::npos) << o.out;  // a review: 0
  const size_t at = o.out.find("gadgets ");
  ASSERT_NE(at, std::string::npos) << o.out;
  int gadgets = 0, refused = -1;
  ASSERT_EQ(std::sscanf(o.out.c_str() + at, "gadgets %d, refused %d", &gadgets, &refused), 2) << o.out;
  EXPECT_GT(gadgets, 0);
  EXPECT_EQ(refused, 2 * gadgets) << o.out;
  std::ifstream in(out);
  const std::string trace((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(trace.find("prctl(PR_SET_SYSCALL_USER_DISPATCH"), std::string::npos) << trace;
  EXPECT_NE(trace.find("getpgid(4242)"), std::string::npos) << trace;
}

// A SIGSYS the program forges to itself, as if Syscall User Dispatch had
// caught a call at an address without code: the gate (which may take it for
// a call) reads no such address blindly. It crashed (status 139) in the site
// rewriter under trace (a seventh review).
TEST(EscapeGate, AForgedSigsysNamingNoCodeCrashesNothing) {
  TempDir dir;
  Output o = run({kSysgate, "trace", "-o", dir.path() + "/t", "--", kVictim, "forge-sigsys"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "alive\n") << o.err;
}

// Claim: a forged signal frame only sets registers (under `run` the kernel
// performs the rt_sigreturn, under `trace` the gate does, from the same frame):
// the syscall it lands on is judged like any other.
TEST(EscapeGate, ForgedSigreturnGainsNothing) {
  for (bool trace : {false, true}) {
    Output o = trace ? traced({"--profile", "default"}, {"forged-sigreturn"})
                     : under({"--profile", "default"}, {"forged-sigreturn"});
    EXPECT_NE(o.out.find("forged socket returned -1\n"), std::string::npos) << "trace=" << trace << "\n"
                                                                             << o.out << o.err;
    EXPECT_NE(o.err.find("denied socket(AF_INET, SOCK_STREAM, IPPROTO_IP)"), std::string::npos) << o.err;
  }
}

// Claim: only the x86-64 syscall ABI exists inside; x32 and i386 entries are killed.
// Under `trace` too, where Syscall User Dispatch hands such calls to the gate
// before seccomp sees them: the process ends as the policy says.
TEST(Escape, X32SyscallIsKilled) {
  for (bool trace : {false, true}) {
    Output o = trace ? traced({"--profile", "all"}, {"x32"}) : under({"--profile", "all"}, {"x32"});
    EXPECT_EQ(o.status, 128 + SIGSYS) << "trace=" << trace << "\n" << o.out << o.err;
    EXPECT_EQ(o.out.find("returned"), std::string::npos) << o.out;
  }
}

TEST(Escape, Int80IsKilled) {
  for (bool trace : {false, true}) {
    Output o = trace ? traced({"--profile", "all"}, {"int80"}) : under({"--profile", "all"}, {"int80"});
    EXPECT_EQ(o.status, 128 + SIGSYS) << "trace=" << trace << "\n" << o.out << o.err;
    EXPECT_EQ(o.out.find("returned"), std::string::npos) << o.out;
  }
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

// Claim: a file rule covers the directory or file its path named at start,
// as Landlock's does, not whatever later takes that name. With reads brokered
// (no rpath) and the working directory writable, the program moves the read
// tree aside and its private directory to the tree's name (or a secret file
// over the one readable file): the broker used to judge the opened file by its
// path string, which now lies under the rule's, and handed over the secret.
// The moved rule object keeps its right, wherever it went (pub.old/ok.txt),
// as under Landlock.
TEST(Escape, RenamingAnotherTreeOntoARulesPathGainsNothing) {
  struct Case {
    const char* read;                    // the one readable place in the working directory
    std::vector<std::string> swap_open;  // the victim's arguments
  };
  const Case cases[] = {
      {"pub", {"swap-open", "pub", "private", "pub/ok.txt", "pub/key.txt", "pub.old/ok.txt"}},
      {"public.txt", {"swap-open", "public.txt", "secret.txt", "public.txt", "public.txt.old"}},
  };
  for (const Case& c : cases) {
    TempDir dir;
    ASSERT_EQ(mkdir((dir.path() + "/pub").c_str(), 0755), 0);
    ASSERT_EQ(mkdir((dir.path() + "/private").c_str(), 0755), 0);
    dir.write("pub/ok.txt", "public\n");
    dir.write("private/key.txt", "SECRET\n");
    dir.write("public.txt", "public\n");
    dir.write("secret.txt", "SECRET\n");
    dir.write("p.toml", "default = \"explain\"\npromises = [\"stdio\", \"prot_exec\", \"cpath\", \"wpath\"]\n"
                        "[files]\nread = [\"$CWD/" + std::string(c.read) + "\", \"/usr\", \"/etc\"]\n"
                        "write = [\"$CWD\"]\ncreate = [\"$CWD\"]\n");
    Output o = under({"--policy", dir.path() + "/p.toml"}, c.swap_open, dir.path());
    const std::string where = std::string(c.read) + "\n" + o.out + o.err;
    EXPECT_EQ(o.status, 0) << where;
    const std::string first = c.swap_open[3];
    EXPECT_EQ(o.out.find("read " + first + ": public\n"), 0u) << "readable before the swap: " << where;
    EXPECT_NE(o.out.find("aside: 0\n"), std::string::npos) << where;
    EXPECT_NE(o.out.find("to " + std::string(c.read) + ": 0\n"), std::string::npos) << where;
    EXPECT_EQ(o.out.find("SECRET"), std::string::npos) << where;
    const std::string secret = c.swap_open.size() == 6 ? "pub/key.txt" : "public.txt";
    EXPECT_NE(o.out.find("open " + secret + ": errno 1\n"), std::string::npos) << where;
    EXPECT_NE(o.out.find("read " + c.swap_open.back() + ": public\n"), std::string::npos) << where;
  }
}

// Claim: every brokered open is answered. The kernel refuses to install an
// O_PATH file in another process (ADDFD: EBADF) and any file in a full
// descriptor table (EMFILE); both used to leave the call waiting for ever.
// Now an O_PATH open of a directory or regular file gets it opened read-only
// (the read right allows that much), of a FIFO EACCES without opening it, and
// a full table EMFILE, as natively.
TEST(Escape, BrokeredOpensThatCannotBeInstalledAreAnsweredNotLeftWaiting) {
  TempDir dir;
  ASSERT_EQ(mkdir((dir.path() + "/d").c_str(), 0755), 0);
  dir.write("d/f.txt", "readable\n");
  ASSERT_EQ(mkfifo((dir.path() + "/d/fifo").c_str(), 0644), 0);
  dir.write("p.toml", "extends = \"stdio\"\n[files]\nread = [\"" + dir.path() + "/d\"]\n"
                      "[[rule]]\nsyscall = \"prlimit64\"\naction = \"allow\"\n");
  const std::string policy = dir.path() + "/p.toml";
  Output o = run({kSysgate, "run", "--policy", policy, "--", kVictim, "opath", dir.path() + "/d",
                  dir.path() + "/d/f.txt", dir.path() + "/d/fifo"},
                 "", "", 20);
  EXPECT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("opath dir: 3 errno 0\n"), std::string::npos) << o.out << o.err;
  EXPECT_NE(o.out.find("opath file: 4 errno 0\nread through it: 9 readable\n"), std::string::npos) << o.out << o.err;
  EXPECT_NE(o.out.find("opath fifo: -1 errno 13\n"), std::string::npos) << o.out << o.err;

  Output full = run({kSysgate, "run", "--policy", policy, "--", kVictim, "full-table", dir.path() + "/d/f.txt"},
                    "", "", 20);
  EXPECT_EQ(full.status, 0) << full.out << full.err;
  EXPECT_NE(full.out.find("dup: errno 24\nopen with a full table: -1 errno 24\n"), std::string::npos)
      << full.out << full.err;
}

// Claim: the monitor never lends its own rights to a program that gave its
// up. It opens and changes files with root's credentials; a program that
// became "nobody" (the id promise) asked it to chmod 04755 and chown to root
// a file only root may touch, and got it (a setuid-root file made by nobody),
// or to read it, or to exec a program only root may run. Now the broker
// refuses a caller whose ids or capabilities are not the monitor's: each call
// fails, and the file is unchanged; and the exec broker judges an exec with
// the caller's credentials: a program nobody may run still runs.
TEST(Escape, AProgramThatDroppedItsIdsGetsNoRootRightsFromTheMonitor) {
  TempDir work;
  work.write("root-only", "secret\n");
  const std::string target = work.path() + "/root-only";
  ASSERT_EQ(chmod(target.c_str(), 0600), 0);
  ASSERT_EQ(chmod(work.path().c_str(), 0777), 0);
  work.write("p.toml", "default = \"explain\"\n"
                       "promises = [\"stdio\", \"rpath\", \"wpath\", \"cpath\", \"fattr\", \"chown\", \"id\", \"exec\", \"prot_exec\"]\n"
                       "[files]\nread = [\"/\"]\nwrite = [\"" + work.path() + "\"]\nexec = [\"/\"]\n");
  std::filesystem::copy_file("/bin/echo", work.path() + "/root-only-echo");
  ASSERT_EQ(chmod((work.path() + "/root-only-echo").c_str(), 0700), 0);
  struct stat before {};
  ASSERT_EQ(stat(target.c_str(), &before), 0);
  Output o = under({"--policy", work.path() + "/p.toml"}, {"as-nobody", target, work.path() + "/root-only-echo"},
                   work.path());
  EXPECT_NE(o.out.find("open as nobody: -1"), std::string::npos) << o.out << o.err;
  EXPECT_NE(o.out.find("exec as nobody: errno 13\n"), std::string::npos) << o.out << o.err;
  EXPECT_EQ(o.out.find("ran as nobody"), std::string::npos) << o.out;
  Output may = under({"--policy", work.path() + "/p.toml"}, {"as-nobody", target, "/bin/echo"}, work.path());
  EXPECT_NE(may.out.find("ran as nobody\n"), std::string::npos) << may.out << may.err;
  for (const char* call : {"chmod", "setxattr user", "setxattr capability", "utimensat", "chown"}) {
    EXPECT_NE(o.out.find(std::string(call) + ": -1 errno"), std::string::npos) << call << "\n" << o.out << o.err;
  }
  EXPECT_NE(o.err.find("changed its ids"), std::string::npos) << o.err;
  struct stat after {};
  ASSERT_EQ(stat(target.c_str(), &after), 0);
  EXPECT_EQ(after.st_mode, before.st_mode);
  EXPECT_EQ(after.st_uid, before.st_uid);
  EXPECT_EQ(after.st_mtime, before.st_mtime);
  EXPECT_EQ(getxattr(target.c_str(), "security.capability", nullptr, 0), -1);
}

// Claim: the judgment of a descriptor's file fails closed, and a carve-out
// holds for a file whose name is gone. A file below a path longer than
// PATH_MAX (whose link cannot be read) was taken for a pipe or socket, which
// need no rule; an unlinked file's link reads "PATH (deleted)", which the
// `except` on PATH did not match. A write right alone, without fattr, is no
// licence to chmod either (as under pledge).
TEST(Escape, DescriptorMetadataJudgmentFailsClosed) {
  TempDir work;
  const std::string name(200, 'd');
  std::string deep = work.path();
  int dir = open(deep.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (int i = 0; i < 25; ++i) {
    ASSERT_EQ(mkdirat(dir, name.c_str(), 0755), 0);
    const int next = openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(dir);
    dir = next;
  }
  const int target = openat(dir, "target", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  ASSERT_GE(target, 0);
  close(dir);
  work.write("p.toml", "default = \"explain\"\npromises = [\"stdio\", \"rpath\", \"fattr\", \"prot_exec\"]\n"
                       "[files]\nread = [\"/\"]\nwrite = [\"" + work.path() + "/w\"]\n");
  Output o = under({"--policy", work.path() + "/p.toml"}, {"deep-fchmod", work.path(), "25", name}, work.path());
  EXPECT_NE(o.out.find("deep fchmod: -1 errno 1\n"), std::string::npos) << o.out << o.err;
  struct stat st {};
  ASSERT_EQ(fstat(target, &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  close(target);

  ASSERT_EQ(mkdir((work.path() + "/w").c_str(), 0755), 0);
  work.write("w/secret", "s\n");
  const std::string secret = work.path() + "/w/secret";
  ASSERT_EQ(link(secret.c_str(), (work.path() + "/other-name").c_str()), 0);  // the inode lives on
  work.write("e.toml", "default = \"explain\"\npromises = [\"stdio\", \"rpath\", \"fattr\", \"prot_exec\"]\n"
                       "[files]\nread = [\"/\"]\nwrite = [\"" + work.path() + "/w\"]\nexcept = [\"" + secret + "\"]\n");
  std::thread unlinker([&] {
    usleep(500000);
    unlink(secret.c_str());
  });
  Output d = under({"--policy", work.path() + "/e.toml"}, {"fchmod-after-unlink", secret}, work.path());
  unlinker.join();
  EXPECT_NE(d.out.find("before unlink fchmod: -1 errno 1\nafter unlink fchmod: -1 errno 1\n"), std::string::npos)
      << d.out << d.err;
  ASSERT_EQ(stat((work.path() + "/other-name").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);

  work.write("w/mine", "m\n");
  work.write("q.toml", "default = \"explain\"\npromises = [\"stdio\", \"rpath\", \"wpath\", \"prot_exec\"]\n"
                       "[files]\nread = [\"/\"]\nwrite = [\"" + work.path() + "/w\"]\n");
  Output w = under({"--policy", work.path() + "/q.toml"}, {"meta", work.path() + "/w/mine"}, work.path());
  EXPECT_NE(w.out.find("chmod: -1 errno 1\n"), std::string::npos) << w.out << w.err;
}

// Claim: the fattr and chown promises change metadata only where the file
// rules grant the write right. Landlock has no right for metadata, so the
// default profile's fattr used to let a (root) program set the setuid bit and
// a security.capability xattr on any file. Now the monitor judges them, by
// path and by descriptor (a file opened for reading is no licence to chmod
// it): outside the write trees every one is refused (and the file is
// unchanged), inside the working directory every one works, on a memfd (the
// program's own) too, and so do the programs that change metadata (touch -d,
// chmod, cp -p).
TEST(Escape, MetadataChangesNeedTheWriteRight) {
  TempDir outside, work;
  outside.write("victim.txt", "x\n");
  work.write("mine.txt", "y\n");
  work.write("p.toml", "extends = \"default\"\npromises = [\"chown\"]\n");
  const std::string target = outside.path() + "/victim.txt";
  ASSERT_EQ(chmod(target.c_str(), 0644), 0);
  struct stat before {};
  ASSERT_EQ(stat(target.c_str(), &before), 0);

  Output o = under({"--policy", work.path() + "/p.toml"}, {"meta", target}, work.path());
  for (const char* call : {"chmod", "setxattr user", "setxattr capability", "utimensat", "removexattr", "chown"}) {
    EXPECT_NE(o.out.find(std::string(call) + ": -1 errno 1\n"), std::string::npos) << call << "\n" << o.out << o.err;
  }
  EXPECT_NE(o.err.find("denied chmod(\"" + target + "\", 04755) = -EPERM"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("--allow-write " + target), std::string::npos) << o.err;
  struct stat after {};
  ASSERT_EQ(stat(target.c_str(), &after), 0);
  EXPECT_EQ(after.st_mode, before.st_mode);
  EXPECT_EQ(after.st_mtime, before.st_mtime);
  EXPECT_EQ(getxattr(target.c_str(), "security.capability", nullptr, 0), -1);

  // Nor through a descriptor opened for reading: Landlock judged only that.
  work.write("q.toml", "extends = \"default\"\npromises = [\"chown\"]\n[files]\nread = [\"" + outside.path() + "\"]\n");
  Output by_fd = under({"--policy", work.path() + "/q.toml"}, {"meta-fd", target}, work.path());
  for (const char* call :
       {"fchmod", "fsetxattr user", "fsetxattr capability", "futimens", "fremovexattr", "fchown", "thread fchmod"}) {
    EXPECT_NE(by_fd.out.find(std::string(call) + ": -1 errno 1\n"), std::string::npos) << call << "\n" << by_fd.out << by_fd.err;
  }
  EXPECT_NE(by_fd.out.find("memfd fchmod: 0 errno 0\n"), std::string::npos) << by_fd.out << by_fd.err;  // its own
  EXPECT_NE(by_fd.err.find("--allow-write " + target), std::string::npos) << by_fd.err;
  ASSERT_EQ(stat(target.c_str(), &after), 0);
  EXPECT_EQ(after.st_mode, before.st_mode);
  EXPECT_EQ(after.st_mtime, before.st_mtime);
  EXPECT_EQ(getxattr(target.c_str(), "security.capability", nullptr, 0), -1);

  // Inside the working directory (read, write, create): every call works.
  Output mine_by_fd = under({"--policy", work.path() + "/q.toml"}, {"meta-fd", work.path() + "/mine.txt"}, work.path());
  for (const char* call : {"fchmod", "fsetxattr user", "futimens", "fremovexattr", "fchown", "thread fchmod", "memfd fchmod"}) {
    EXPECT_NE(mine_by_fd.out.find(std::string(call) + ": 0 errno 0\n"), std::string::npos)
        << call << "\n" << mine_by_fd.out << mine_by_fd.err;
  }
  Output mine = under({"--policy", work.path() + "/p.toml"}, {"meta", work.path() + "/mine.txt"}, work.path());
  for (const char* call : {"chmod", "setxattr user", "utimensat", "removexattr", "chown"}) {
    EXPECT_NE(mine.out.find(std::string(call) + ": 0 errno 0\n"), std::string::npos) << call << "\n" << mine.out << mine.err;
  }
  EXPECT_EQ(mine.err.find("denied"), std::string::npos) << mine.err;

  // Real programs, under the default profile as it is.
  Output tools = run({kSysgate, "run", "--", "/bin/sh", "-c",
                      "touch -d 2001-02-03 mine.txt && chmod 0640 mine.txt && cp -p mine.txt copy.txt && "
                      "stat -c '%a %y' mine.txt copy.txt && chmod 0777 " + target + "; touch " + target},
                     work.path());
  EXPECT_NE(tools.out.find("640 2001-02-03 00:00:00.000000000"), std::string::npos) << tools.out << tools.err;
  EXPECT_NE(tools.out.find("640 2001-02-03"), tools.out.rfind("640 2001-02-03")) << "both files: " << tools.out;
  EXPECT_NE(tools.err.find("denied fchmodat(AT_FDCWD, \"" + target + "\", 0777)"), std::string::npos) << tools.err;
  EXPECT_NE(tools.err.find("denied utimensat(AT_FDCWD, \"" + target + "\", NULL, 0)"), std::string::npos) << tools.err;
  ASSERT_EQ(stat(target.c_str(), &after), 0);
  EXPECT_EQ(after.st_mode, before.st_mode);
  EXPECT_EQ(after.st_mtime, before.st_mtime);
}

// Claim: a rule the policy states itself decides, whatever the file rules
// allow. The rule below refuses every open for writing with EACCES; the
// monitor used to broker its explain verdict like the default's, and the
// write right on the directory let the open through. `explain` says the same.
TEST(Escape, AnExplicitExplainRuleIsNotOverriddenByFileRules) {
  TempDir dir;
  dir.write("data.txt", "original\n");
  dir.write("p.toml", "extends = \"stdio\"\npromises = [\"rpath\"]\n[files]\nread = [\"" + dir.path() +
                          "\"]\nwrite = [\"" + dir.path() + "\"]\n"
                          "[[rule]]\nsyscall = \"openat\"\nwhen = \"(flags & O_ACCMODE) != O_RDONLY\"\n"
                          "action = \"explain(EACCES)\"\n");
  const std::string policy = dir.path() + "/p.toml";
  Output o = under({"--policy", policy}, {"open-write", dir.path() + "/data.txt"});
  EXPECT_NE(o.out.find("open for writing: -1 errno 13\n"), std::string::npos) << o.out << o.err;
  EXPECT_NE(o.err.find("denied openat(AT_FDCWD, \"" + dir.path() + "/data.txt\", O_WRONLY|O_TRUNC) = -EACCES"),
            std::string::npos)
      << o.err;
  std::ifstream in(dir.path() + "/data.txt");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "original\n");

  Output e = run({kSysgate, "explain", policy, "openat", "AT_FDCWD", "0", "O_WRONLY"});
  EXPECT_NE(e.out.find("explain(EACCES)"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("decided by " + policy), std::string::npos) << e.out;
  EXPECT_EQ(e.out.find("brokered"), std::string::npos) << e.out;
}

// Claim: under stdio a program cannot address another socket. sendto needs
// a NULL address, but sendmsg's msg_name is in memory: a datagram socket pair
// used to send to any unix socket by path (or abstract name). stdio's pairs
// are now stream and seqpacket only, whose sendmsg refuses (stream: EISCONN)
// or ignores (seqpacket: the peer gets it) msg_name, as this test checks on
// the kernel; a descriptor still passes over a stream pair.
TEST(Escape, StdioCannotAddressOtherSockets) {
  TempDir dir;
  const std::string path = dir.path() + "/listening.sock";
  int listening = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listening, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(bind(listening, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);

  Output o = under({"--profile", "stdio"}, {"dgram", path});
  EXPECT_NE(o.out.find("dgram socketpair: errno 1\n"), std::string::npos) << o.out << o.err;
  EXPECT_NE(o.err.find("denied socketpair(AF_UNIX, SOCK_DGRAM, 0"), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("stream sendmsg to " + path + ": -1 errno " + std::to_string(EISCONN) + "\n"),
            std::string::npos) << o.out;
  EXPECT_NE(o.out.find("seqpacket sendmsg to " + path + ": 17 errno 0\nseqpacket peer got 17\n"), std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("scm_rights: sent 17 received 17 with a descriptor\n"), std::string::npos) << o.out;
  char got[64];
  EXPECT_EQ(recv(listening, got, sizeof got, MSG_DONTWAIT), -1) << "a datagram reached " << path;
  close(listening);
}

// Claim: the broker's answers tell nothing about places no rule covers. The
// kernel walks ".." physically, so "REFUSED/x/../../../etc/ld.so.cache"
// opened when x was a directory, failed with ENOENT when it was missing and
// ENOTDIR when it was a file: an oracle for paths stdio may not see. Now each
// is refused alike (EPERM, reported); a ".." between places the program may
// see still works, and a missing file where it may read still says ENOENT.
TEST(Escape, DotDotWalksTellNothingAboutRefusedPlaces) {
  TempDir dir;
  ASSERT_EQ(mkdir((dir.path() + "/a_dir").c_str(), 0755), 0);
  dir.write("a_file", "SECRET\n");
  // dir.path() is /tmp/NAME: three ".." from one level below it reach "/".
  for (const char* place : {"a_dir", "missing", "a_file"}) {
    const std::string path = dir.path() + "/" + place + "/../../../etc/ld.so.cache";
    Output o = under({"--profile", "stdio"}, {"open", path});
    EXPECT_NE(o.out.find("open " + path + ": errno 1\n"), std::string::npos) << place << "\n" << o.out << o.err;
    // The first place on the way the program may not see: the test's
    // directory, or /tmp itself when the working directory (which the
    // program sees) is not under it.
    EXPECT_TRUE(o.err.find("--allow-read " + dir.path() + "\n") != std::string::npos ||
                o.err.find("--allow-read /tmp\n") != std::string::npos)
        << o.err;
  }
  Output seen = under({"--profile", "stdio"}, {"open", "/etc/../etc/ld.so.cache"});
  EXPECT_NE(seen.out.find("read /etc/../etc/ld.so.cache"), std::string::npos) << seen.out << seen.err;
  Output missing = under({"--profile", "stdio"}, {"open", "/usr/lib/no-such-dir/no-such-file"});
  EXPECT_NE(missing.out.find("errno 2\n"), std::string::npos) << missing.out << missing.err;
  EXPECT_EQ(missing.err.find("denied"), std::string::npos) << missing.err;
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

// Claim (sysgate trace -u): the command and the monitor have the user's
// rights, no more. sysgate runs as root; under -u nobody, a file only root may
// read stays unread, a program only root may run is refused as the command,
// and refused again when the command execs it (the monitor's exec broker opens
// it, as the user by then). Each also runs as root first: the same command
// works there, so the refusals come from -u.
// The trace region's memfd is the program's to write, not to resize: an
// ftruncate under the monitor's mapping ended the monitor with SIGBUS (and
// left a forked child running untraced), from a promise as small as stdio.
TEST(EscapeTrace, TheTraceRegionCannotBeResized) {
  for (const char* profile : {"stdio", "default", "all"}) {
    Output o = traced({"--profile", profile}, {"resize-region"});
    EXPECT_EQ(o.status, 0) << profile << ": " << o.err;
    EXPECT_EQ(o.out, "shrink -1 errno 1 grow -1 errno 1\n") << profile << ": " << o.err;
  }
}

// trace -ff opens PREFIX.TID as each task makes its first record, while the
// program runs: a symlink it planted there led the monitor to truncate and
// write a file outside its reach, a FIFO would hang the monitor. Neither is
// followed or opened; the trace of those tasks is lost, and sysgate says so.
TEST(EscapeTrace, PerTaskTraceFilesFollowNoPlantedName) {
  TempDir work, outside;
  outside.write("precious", "keep me\n");
  const std::string precious = outside.path() + "/precious";
  std::vector<std::string> argv = {kSysgate, "trace", "-ff", "-o", work.path() + "/tr", "--profile", "default",
                                   "--", kVictim, "plant-trace-files", work.path() + "/tr", precious};
  Output o = run(argv, work.path());
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "planted\n") << o.err;
  std::ifstream in(precious);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "keep me\n");
  EXPECT_TRUE(o.err.find("a symbolic link (not followed)") != std::string::npos ||
              o.err.find("not a regular file") != std::string::npos)
      << o.err;
}

// A process of the sandbox that outlives the command stays served: its
// refusals are reported and its calls traced (sysgate waits for it, as
// strace -f does). It used to run on after sysgate returned, unmonitored.
TEST(EscapeRun, ProcessesThatOutliveTheCommandStayMonitored) {
  Output o = under({"--profile", "default"}, {"outlive"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "parent done\nchild: socket -1 errno 1\n") << o.err;
  EXPECT_NE(o.err.find("denied socket(AF_INET"), std::string::npos) << o.err;
  TempDir dir;
  Output t = run({kSysgate, "trace", "-f", "-o", dir.path() + "/t", "--", kVictim, "outlive"});
  EXPECT_EQ(t.status, 0) << t.err;
  EXPECT_EQ(t.out, "parent done\nchild: socket 3 errno 0\n") << t.err;
  std::ifstream in(dir.path() + "/t");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3"), std::string::npos) << text.str();
}

// A refusal by another thread of the command's own process is the command's:
// no "[pid N]", as if another process made it (a fifth review's finding 12).
TEST(EscapeRun, AThreadsRefusalIsTheCommands) {
  Output o = under({"--profile", "default"}, {"thread-refusal"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "joined\n");
  EXPECT_NE(o.err.find("sysgate: denied socket(AF_INET"), std::string::npos) << o.err;
  EXPECT_EQ(o.err.find("[pid"), std::string::npos) << o.err;
}

// The private $TMP is removed once no process of the sandbox is left, and by
// names relative to directories held open: a survivor that swapped a
// directory there for a symlink to files it cannot touch had the monitor
// (root) delete them (reviewer's finding 1).
TEST(EscapeRun, RemovingThePrivateTmpFollowsNoSwap) {
  TempDir work, outside;
  for (int i = 0; i < 20; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "v%04d", i);
    outside.write(name, "keep\n");
  }
  const std::string policy = work.path() + "/p.toml";
  std::ofstream(policy) << "default = \"explain\"\npromises = [\"stdio\", \"rpath\", \"wpath\", \"cpath\", "
                           "\"tmppath\", \"proc\", \"exec\", \"prot_exec\"]\n[files]\nread = [\"/usr\", \"/lib\", "
                           "\"/lib64\", \"/etc\"]\nwrite = [\"$TMP\"]\ncreate = [\"$TMP\"]\n";
  Output o = under({"--policy", policy}, {"swap-tmp", outside.path(), "20"}, work.path());
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "names made\n") << o.err;
  int left = 0;
  for (const auto& e : std::filesystem::directory_iterator(outside.path())) left += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(left, 20);
}

// Refusal reports go to the stderr the program shares: made non-blocking and
// full when a report came, it had every later report of the run dropped
// (std::cerr stayed failed). Each report now waits for room, as a blocking
// write would (reviewer's finding 5; erasing a log file the program may
// write is still possible: docs/policy.md).
TEST(EscapeRun, ANonBlockingFullStderrLosesNoReport) {
  const std::string command = kSysgate + " run --profile default -- " + kVictim +
                              " full-stderr 2>&1 | (sleep 1; grep -c 'denied socket')";
  Output o = run({"/bin/sh", "-c", command});
  EXPECT_EQ(o.out, "3\n") << o.err;
}

// A record the program stamped far in the future, then rdtsc turned off (its
// later records unstamped): every record after it waited in the monitor's
// reordering for that time to come, ~1 GB within 9 s (reviewer's finding 6).
// A stamp later than its arrival now sorts as arriving then.
TEST(EscapeTrace, AStampFromTheFutureHoldsNoRecordBack) {
  TempDir dir;
  Output o = run({kSysgate, "trace", "-o", dir.path() + "/t", "--", FORGE_RECORD_BIN, "future", "1000000"});
  EXPECT_EQ(o.status, 0) << o.err;
  std::smatch peak;
  ASSERT_TRUE(std::regex_search(o.out, peak, std::regex(R"(monitor peak (\d+) MiB)"))) << o.out << o.err;
  EXPECT_LT(std::stol(peak[1]), 64) << o.out;  // 6-8 MiB here; 260 before
}

// The exec broker writes the file's real path where exec's unused sixth
// argument points, through /proc/PID/mem, which ignores page protections: a
// program that named its own read-only code had its text overwritten
// (reviewer's finding 11). Only a writable mapping is written now.
TEST(EscapeGate, TheExecBrokerWritesOnlyWritableMemory) {
  TempDir dir;
  Output o = under({"--policy", no_network_with_proc(dir)}, {"exe-path-into-code"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "code unchanged\nbuffer filled\n") << o.err;
}

TEST(Escape, TraceAsAUserGainsNoRootRights) {
  if (geteuid() != 0) GTEST_SKIP() << "-u needs root";
  TempDir dir;
  ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
  dir.write("secret.txt", "only root reads this\n");
  const std::string secret = dir.path() + "/secret.txt";
  const std::string root_cat = dir.path() + "/root_cat";
  ASSERT_EQ(chmod(secret.c_str(), 0600), 0);
  std::filesystem::copy_file("/bin/cat", root_cat);
  ASSERT_EQ(chmod(root_cat.c_str(), 0700), 0);
  auto trace_as = [&](const std::vector<std::string>& user, const std::vector<std::string>& command) {
    std::vector<std::string> argv = {kSysgate, "trace", "-o", "/dev/null"};
    argv.insert(argv.end(), user.begin(), user.end());
    argv.push_back("--");
    argv.insert(argv.end(), command.begin(), command.end());
    return run(argv);
  };
  const std::vector<std::string> as_root, as_nobody = {"-u", "nobody"};

  const std::vector<std::string> read_secret = {"/bin/cat", secret};
  EXPECT_EQ(trace_as(as_root, read_secret).out, "only root reads this\n");
  const Output read = trace_as(as_nobody, read_secret);
  EXPECT_EQ(read.status, 1) << read.err;
  EXPECT_EQ(read.out, "");
  EXPECT_NE(read.err.find("Permission denied"), std::string::npos) << read.err;

  const std::vector<std::string> run_root_cat = {root_cat, "/etc/hostname"};
  EXPECT_EQ(trace_as(as_root, run_root_cat).status, 0);
  const Output direct = trace_as(as_nobody, run_root_cat);
  EXPECT_EQ(direct.status, 126) << direct.err;  // as a shell reports a program it cannot execute
  EXPECT_NE(direct.err.find("cannot execute " + root_cat + " as the user (access: Permission denied)"),
            std::string::npos)
      << direct.err;

  const std::vector<std::string> shell_runs_it = {"/bin/sh", "-c", "exec " + root_cat + " /etc/hostname"};
  EXPECT_EQ(trace_as(as_root, shell_runs_it).status, 0);
  const Output brokered = trace_as(as_nobody, shell_runs_it);
  EXPECT_EQ(brokered.status, 126) << brokered.err;
  EXPECT_EQ(brokered.out, "");
  EXPECT_NE(brokered.err.find("Permission denied"), std::string::npos) << brokered.err;
}

}  // namespace
}  // namespace sysgate::testing
