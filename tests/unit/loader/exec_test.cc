// Runs real programs through build-*/bin/sysgate-exec and compares their
// output and status with a native run; checks the auxv the target sees against
// its real values; checks every error path exits 127 with one clear line.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "elf_builder.h"
#include "run_process.h"

#ifndef SYSGATE_EXEC_BIN
#error "SYSGATE_EXEC_BIN must name the loader under test"
#endif

namespace sysgate::loader::testing {
namespace {

const std::string kLoader = SYSGATE_EXEC_BIN;
const std::string kHookLoader = SYSGATE_EXEC_TESTHOOK_BIN;
constexpr int kFd = 10;
constexpr int kInterpFd = 11;

const std::vector<std::string> kEnv = {"PATH=/usr/bin:/bin", "LC_ALL=C", "HOME=/", "SYSGATE_LOADER_TEST=1"};

bool exists(const std::string& path) { return access(path.c_str(), R_OK) == 0; }

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A temporary file, removed on destruction.
class TempFile {
 public:
  explicit TempFile(const std::vector<uint8_t>& bytes) {
    char name[] = "/tmp/sysgate-loader-test-XXXXXX";
    int fd = mkstemp(name);
    path_ = name;
    size_t done = 0;
    while (fd >= 0 && done < bytes.size()) {
      ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
      if (n <= 0) break;
      done += n;
    }
    if (fd >= 0) close(fd);
  }
  ~TempFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

RunResult native(const std::string& path, const std::vector<std::string>& argv) {
  return run_process(path, argv, kEnv);
}

RunResult via_loader(const std::string& path, const std::vector<std::string>& argv,
                     const std::vector<std::string>& loader_args = {}, const std::string& loader = kLoader,
                     std::vector<OpenFile> extra_files = {}, int timeout_s = 120) {
  std::vector<std::string> full = {loader, "--fd", std::to_string(kFd)};
  full.insert(full.end(), loader_args.begin(), loader_args.end());
  full.push_back("--");
  full.insert(full.end(), argv.begin(), argv.end());
  extra_files.insert(extra_files.begin(), OpenFile{path, kFd});
  return run_process(loader, full, kEnv, extra_files, timeout_s);
}

std::string describe(const RunResult& r) {
  return "status " + std::to_string(r.status) + "\n--- stdout:\n" + r.out + "--- stderr:\n" + r.err;
}

// The program's output and status through the loader equal a native run's.
// Native runs before and after: output that changes under concurrent tests
// (ls -l / shows /tmp's timestamp) must match one of them.
void expect_same_as_native(const std::string& path, const std::vector<std::string>& argv) {
  if (!exists(path)) GTEST_SKIP() << path << " is not installed";
  RunResult before = native(path, argv);
  RunResult l = via_loader(path, argv);
  RunResult after = native(path, argv);
  const RunResult& n = (l.out == after.out && l.err == after.err) ? after : before;
  EXPECT_EQ(l.status, n.status) << describe(l);
  EXPECT_EQ(l.out, n.out);
  EXPECT_EQ(l.err, n.err);
}

// One line "sysgate-exec: ...<needle>...\n", status 127, nothing on stdout.
void expect_loader_error(const RunResult& r, const std::string& needle) {
  EXPECT_EQ(r.status, 127) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("sysgate-exec: ", 0), 0u) << r.err;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not exactly one line: " << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "want \"" << needle << "\" in: " << r.err;
}

// --- real programs -------------------------------------------------------------

TEST(LoaderExecTest, Echo) { expect_same_as_native("/bin/echo", {"/bin/echo", "hello", "loader", "world"}); }

// /usr, not /: other tests create and remove directories in /tmp while this runs.
TEST(LoaderExecTest, LsLongUsr) { expect_same_as_native("/bin/ls", {"/bin/ls", "-l", "/usr"}); }

TEST(LoaderExecTest, StaticBusyboxEcho) {
  expect_same_as_native("/bin/busybox", {"busybox", "echo", "static", "busybox"});
}

TEST(LoaderExecTest, StaticBusyboxShell) {
  expect_same_as_native("/bin/busybox",
                        {"busybox", "sh", "-c", "echo $((6*7)); for i in a b c; do echo $i; done; /bin/echo external"});
}

TEST(LoaderExecTest, Python) { expect_same_as_native("/usr/bin/python3", {"/usr/bin/python3", "-c", "print(1)"}); }

TEST(LoaderExecTest, PythonThreadsAndSubprocess) {
  expect_same_as_native("/usr/bin/python3",
                        {"/usr/bin/python3", "-c",
                         "import threading, subprocess\n"
                         "t = threading.Thread(target=lambda: print('thread'))\n"
                         "t.start(); t.join()\n"
                         "print(subprocess.run(['/bin/echo', 'child'], capture_output=True).stdout.decode(), end='')\n"
                         "print(sum(range(10**6)))"});
}

TEST(LoaderExecTest, ExplicitInterpreterFd) {
  RunResult n = native("/bin/echo", {"/bin/echo", "via", "interp-fd"});
  RunResult l = via_loader("/bin/echo", {"/bin/echo", "via", "interp-fd"}, {"--interp-fd", std::to_string(kInterpFd)},
                           kLoader, {{"/lib64/ld-linux-x86-64.so.2", kInterpFd}});
  EXPECT_EQ(l.status, n.status) << describe(l);
  EXPECT_EQ(l.out, n.out);
}

// --- the probe programs: static/dynamic x PIE/non-PIE ---------------------------

struct Variant {
  const char* name;
  const char* path;
  bool dynamic;
};

const Variant kVariants[] = {
    {"static_nonpie", PROBE_STATIC, false},
    {"static_pie", PROBE_STATIC_PIE, false},
    {"dynamic_nonpie", PROBE_DYNAMIC, true},
    {"dynamic_pie", PROBE_PIE, true},
};

void PrintTo(const Variant& v, std::ostream* os) { *os << v.name; }

class ProbeTest : public ::testing::TestWithParam<Variant> {};

TEST_P(ProbeTest, AuxvAndArgumentsMatchTheProgram) {
  const Variant& v = GetParam();
  const std::vector<std::string> argv = {v.path, "info", "one", "two three", ""};
  RunResult n = native(v.path, argv);
  RunResult l = via_loader(v.path, argv);
  ASSERT_EQ(n.status, 0) << describe(n);
  EXPECT_EQ(l.status, 0) << describe(l);
  EXPECT_EQ(l.out, n.out);
  EXPECT_EQ(l.err, "");
  for (const char* line :
       {"argc=5\n", "argv[3]=two three\n", "argv[4]=\n", "envc=4\n", "env[0]=PATH=/usr/bin:/bin\n", "entry_ok=1\n",
        "phdr_ok=1\n", "phent=56\n", "phnum_ok=1\n", "base_ok=1\n", "random_ok=1\n", "vdso_ok=1\n"}) {
    EXPECT_NE(l.out.find(line), std::string::npos) << "missing " << line << " in:\n" << l.out;
  }
  EXPECT_NE(l.out.find(v.dynamic ? "dynamic=1\n" : "dynamic=0\n"), std::string::npos) << l.out;
  EXPECT_NE(l.out.find("execfn=" + std::string(v.path) + "\n"), std::string::npos) << l.out;
}

TEST_P(ProbeTest, ExecfnOption) {
  const Variant& v = GetParam();
  RunResult l = via_loader(v.path, {"probe-argv0", "info"}, {"--execfn", "/some/where/probe"});
  EXPECT_EQ(l.status, 0) << describe(l);
  EXPECT_NE(l.out.find("argv[0]=probe-argv0\n"), std::string::npos) << l.out;
  EXPECT_NE(l.out.find("execfn=/some/where/probe\n"), std::string::npos) << l.out;
}

TEST_P(ProbeTest, MallocsQuarterGigabyteThroughBrk) {
  const Variant& v = GetParam();
  RunResult n = native(v.path, {v.path, "malloc"});
  RunResult l = via_loader(v.path, {v.path, "malloc"});
  EXPECT_EQ(l.status, 0) << describe(l);
  EXPECT_EQ(l.out, n.out);
  EXPECT_NE(l.out.find("pieces=262144 "), std::string::npos) << l.out;
  EXPECT_NE(l.out.find("brk_grew=1"), std::string::npos) << "malloc did not use brk: " << l.out;
}

TEST_P(ProbeTest, Threads) {
  const Variant& v = GetParam();
  RunResult n = native(v.path, {v.path, "thread"});
  RunResult l = via_loader(v.path, {v.path, "thread"});
  EXPECT_EQ(l.status, 0) << describe(l);
  EXPECT_EQ(l.out, n.out);
  EXPECT_NE(l.out.find("thread 3 -> "), std::string::npos) << l.out;
}

TEST_P(ProbeTest, StackIsNotExecutable) {
  const Variant& v = GetParam();
  RunResult n = native(v.path, {v.path, "stack"});
  RunResult l = via_loader(v.path, {v.path, "stack"});
  EXPECT_EQ(l.status, 0) << describe(l);
  EXPECT_EQ(l.out, n.out);
  EXPECT_EQ(l.out, "stack=rw-p\n");
}

TEST_P(ProbeTest, TaskNameIsTheProgramsNotTheLoaders) {
  const Variant& v = GetParam();
  RunResult n = native(v.path, {"probe", "comm"});
  RunResult l = via_loader(v.path, {"probe", "comm"}, {"--execfn", v.path});  // as the monitor will pass it
  EXPECT_EQ(l.status, 0) << describe(l);
  EXPECT_EQ(l.out, n.out);
  RunResult e = via_loader(v.path, {"probe", "comm"}, {"--execfn", "/opt/a-very-long-program-name"});
  EXPECT_EQ(e.out, "comm=a-very-long-pro\n");
}

TEST_P(ProbeTest, ExitStatusPassesThrough) {
  const Variant& v = GetParam();
  EXPECT_EQ(via_loader(v.path, {v.path, "exit", "42"}).status, 42);
}

INSTANTIATE_TEST_SUITE_P(Variants, ProbeTest, ::testing::ValuesIn(kVariants),
                         [](const ::testing::TestParamInfo<Variant>& info) { return std::string(info.param.name); });

TEST(LoaderExecTest, ExecutableStackIsHonoured) {
  RunResult n = native(PROBE_EXECSTACK, {PROBE_EXECSTACK, "stack"});
  RunResult l = via_loader(PROBE_EXECSTACK, {PROBE_EXECSTACK, "stack"});
  EXPECT_EQ(l.status, 0) << describe(l);
  EXPECT_EQ(l.out, n.out);
  EXPECT_EQ(l.out, "stack=rwxp\n");
}

TEST(LoaderExecTest, LargeSegmentAlignmentIsHonoured) {
  RunResult l = via_loader(PROBE_ALIGN2M, {"probe", "align", "0x200000"});
  EXPECT_EQ(l.status, 0) << describe(l);
  EXPECT_EQ(l.out, "aligned=1\n");
}

// The dynamic loader run as the program (ET_DYN, no PT_INTERP) loads the real one.
TEST(LoaderExecTest, DynamicLoaderAsTheProgram) {
  RunResult l = via_loader("/lib64/ld-linux-x86-64.so.2", {"ld.so", "/bin/echo", "via", "ld.so"});
  EXPECT_EQ(l.status, 0) << describe(l);
  EXPECT_EQ(l.out, "via ld.so\n");
}

// An environment near the kernel's limit: the new block (about as large as
// the original) is built on the stack below it.
TEST(LoaderExecTest, HugeEnvironment) {
  std::vector<std::string> env = kEnv;
  for (int i = 0; i < 60000; ++i) env.push_back("V" + std::to_string(i) + "=xxxxxxxx");
  RunResult l = run_process(kLoader, {kLoader, "--fd", std::to_string(kFd), "--", PROBE_STATIC, "info"}, env,
                            {{PROBE_STATIC, kFd}});
  EXPECT_EQ(l.status, 0) << describe(l);
  EXPECT_NE(l.out.find("envc=60004\n"), std::string::npos) << l.out.substr(0, 300);
}

// Program headers moved past every segment (as patchelf may do): the kernel
// would pass an AT_PHDR that points nowhere; the loader passes a copy on the
// stack, and static glibc still finds its PT_TLS through it.
TEST(LoaderExecTest, ProgramHeadersOutsideTheImageAreCopied) {
  std::vector<uint8_t> bytes = read_bytes(PROBE_STATIC);
  ASSERT_GT(bytes.size(), 64u);
  uint64_t phoff = 0;
  uint16_t phnum = 0;
  memcpy(&phoff, &bytes[32], 8);
  memcpy(&phnum, &bytes[56], 2);
  const std::vector<uint8_t> table(bytes.begin() + phoff, bytes.begin() + phoff + 56 * phnum);
  bytes.resize((bytes.size() + 7) & ~size_t{7});
  const uint64_t new_phoff = bytes.size();
  bytes.insert(bytes.end(), table.begin(), table.end());
  memcpy(&bytes[32], &new_phoff, 8);
  TempFile f(bytes);
  RunResult n = native(PROBE_STATIC, {"probe", "thread"});
  RunResult l = via_loader(f.path(), {"probe", "thread"}, {}, kHookLoader);
  EXPECT_EQ(l.status, 0) << describe(l);
  EXPECT_EQ(l.out, n.out);
  EXPECT_EQ(l.err.rfind("gate-hook: ok", 0), 0u) << l.err;
}

TEST(LoaderExecTest, EntryRegistersAndAlignment) {
  for (const std::vector<std::string>& argv : std::vector<std::vector<std::string>>{
           {"entry"}, {"entry", "a"}, {"entry", "a", "b"}, {"entry", "a", "b", "c"}}) {
    RunResult n = native(ENTRY_PROBE, argv);
    ASSERT_EQ(n.out, "entry ok\n") << "native run: " << describe(n);
    RunResult l = via_loader(ENTRY_PROBE, argv);
    EXPECT_EQ(l.status, 0) << describe(l);
    EXPECT_EQ(l.out, "entry ok\n");
  }
}

// --- the gate hook -------------------------------------------------------------

// sysgate-exec links the real gate (src/gate/loader_glue.cc): without --gate it
// runs the program unarmed; with options it arms the gate, and refuses options it
// does not know rather than run half-armed.
TEST(LoaderGateHookTest, RealGateArmsOrRefuses) {
  RunResult plain = via_loader("/bin/echo", {"/bin/echo", "x"}, {});
  EXPECT_EQ(plain.status, 0) << describe(plain);
  EXPECT_EQ(plain.out, "x\n");
  RunResult armed = via_loader("/bin/echo", {"/bin/echo", "x"}, {"--gate", ""});
  EXPECT_EQ(armed.status, 0) << describe(armed);
  EXPECT_EQ(armed.out, "x\n");
  EXPECT_EQ(armed.err, "");
  RunResult bad = via_loader("/bin/echo", {"/bin/echo", "x"}, {"--gate", "ignored"});
  EXPECT_EQ(bad.status, 127) << describe(bad);
  EXPECT_EQ(bad.out, "");
  EXPECT_EQ(bad.err, "sysgate-exec: gate: unknown --gate option\n");
}

TEST(LoaderGateHookTest, HookSeesTheNewBlockDynamic) {
  RunResult l = via_loader("/bin/echo", {"/bin/echo", "hooked"}, {"--gate", "mode=trace,x=1"}, kHookLoader);
  EXPECT_EQ(l.status, 0) << describe(l);
  EXPECT_EQ(l.out, "hooked\n");
  EXPECT_EQ(l.err, "gate-hook: ok argc=2 options=mode=trace,x=1 execfn=/bin/echo\n");
}

TEST(LoaderGateHookTest, HookSeesTheNewBlockStatic) {
  RunResult l = via_loader(PROBE_STATIC, {"probe", "exit", "7"}, {"--execfn", "/x/probe"}, kHookLoader);
  EXPECT_EQ(l.status, 7) << describe(l);
  EXPECT_EQ(l.err, "gate-hook: ok argc=3 options=(none) execfn=/x/probe\n");
}

// --- errors: one line, status 127 ----------------------------------------------

TEST(LoaderErrorTest, GarbageFile) {
  std::vector<uint8_t> garbage(4096);
  std::mt19937 rng(7);
  for (uint8_t& b : garbage) b = static_cast<uint8_t>(rng());
  TempFile f(garbage);
  expect_loader_error(via_loader(f.path(), {"garbage"}),
                      "sysgate-exec: garbage: malformed ELF: not an ELF file (bad magic)");
}

TEST(LoaderErrorTest, EmptyFile) {
  TempFile f({});
  expect_loader_error(via_loader(f.path(), {"empty"}), "file too short for an ELF header");
}

TEST(LoaderErrorTest, ScriptIsNotLoadedHere) {
  const std::string text = "#!/bin/sh\necho hi\n";
  TempFile f(std::vector<uint8_t>(text.begin(), text.end()));
  expect_loader_error(via_loader(f.path(), {"script"}), "bad magic");
}

TEST(LoaderErrorTest, TruncatedProgram) {
  std::vector<uint8_t> bytes = read_bytes("/bin/ls");
  ASSERT_GT(bytes.size(), 8192u);
  bytes.resize(8192);
  TempFile f(bytes);
  expect_loader_error(via_loader(f.path(), {"ls"}), "segment lies outside the file");
}

TEST(LoaderErrorTest, WrongClassAndMachine) {
  ElfBuilder b = ElfBuilder::static_exec();
  b.ident_class = 1;
  TempFile f32(b.bytes());
  expect_loader_error(via_loader(f32.path(), {"elf32"}), "not a 64-bit ELF file");
  b = ElfBuilder::static_exec();
  b.machine = 183;
  TempFile arm(b.bytes());
  expect_loader_error(via_loader(arm.path(), {"arm"}), "not an x86-64 ELF file");
}

TEST(LoaderErrorTest, MalformedSegmentNamesTheProgramHeader) {
  ElfBuilder b = ElfBuilder::static_exec();
  b.phdrs[2].filesz = b.phdrs[2].memsz + 1;
  TempFile f(b.bytes());
  expect_loader_error(via_loader(f.path(), {"bad"}), "malformed ELF: program header 2: p_filesz exceeds p_memsz");
}

TEST(LoaderErrorTest, MissingInterpreter) {
  std::vector<uint8_t> bytes = read_bytes("/bin/echo");
  const std::string from = "/lib64/ld-linux-x86-64.so.2";
  const std::string to = "/nonexistent/ld-linux.so.22";
  ASSERT_EQ(from.size(), to.size());
  auto it = std::search(bytes.begin(), bytes.end(), from.begin(), from.end());
  ASSERT_NE(it, bytes.end());
  std::copy(to.begin(), to.end(), it);
  TempFile f(bytes);
  expect_loader_error(via_loader(f.path(), {"echo"}),
                      "sysgate-exec: /nonexistent/ld-linux.so.22: cannot open: No such file or directory (ENOENT)");
}

TEST(LoaderErrorTest, InterpreterFdIsNotAnElf) {
  expect_loader_error(via_loader("/bin/echo", {"/bin/echo"}, {"--interp-fd", std::to_string(kInterpFd)}, kLoader,
                                 {{"/etc/passwd", kInterpFd}}),
                      "sysgate-exec: /lib64/ld-linux-x86-64.so.2: malformed ELF: not an ELF file (bad magic)");
}

TEST(LoaderErrorTest, FixedAddressCollidingWithTheLoader) {
  ElfBuilder b = ElfBuilder::static_exec();
  for (auto& p : b.phdrs) {
    if (p.type == kPtLoad) p.vaddr += 0x100000000000 - 0x400000;
  }
  b.entry += 0x100000000000 - 0x400000;
  TempFile f(b.bytes());
  expect_loader_error(via_loader(f.path(), {"clash"}), "cannot reserve its fixed address range: File exists (EEXIST)");
}

TEST(LoaderErrorTest, TheLoaderCannotLoadItself) {
  expect_loader_error(via_loader(kLoader, {"self"}),
                      "sysgate-exec: self: cannot reserve its fixed address range: File exists (EEXIST)");
}

TEST(LoaderErrorTest, FixedAddressBelowMmapMinAddr) {
  ElfBuilder b = ElfBuilder::static_exec();
  for (auto& p : b.phdrs) {
    if (p.type == kPtLoad) p.vaddr -= 0x400000;
  }
  b.entry -= 0x400000;
  TempFile f(b.bytes());
  expect_loader_error(via_loader(f.path(), {"zero"}), "fixed-address image starts below 64 KiB");
}

TEST(LoaderErrorTest, FdProblems) {
  // Not open (a high number: the test runner may have inherited low ones).
  expect_loader_error(run_process(kLoader, {kLoader, "--fd", "987", "--", "x"}, kEnv),
                      "sysgate-exec: x: cannot use fd: Bad file descriptor (EBADF)");
  // A directory.
  expect_loader_error(
      run_process(kLoader, {kLoader, "--fd", "10", "--", "x"}, kEnv, {{"/tmp", kFd, O_RDONLY | O_DIRECTORY}}),
      "not a regular file");
  // Write-only.
  TempFile f(read_bytes("/bin/echo"));
  expect_loader_error(run_process(kLoader, {kLoader, "--fd", "10", "--", "x"}, kEnv, {{f.path(), kFd, O_WRONLY}}),
                      "cannot read: Bad file descriptor (EBADF)");
}

TEST(LoaderErrorTest, BadArguments) {
  struct Case {
    std::vector<std::string> args;
    const char* needle;
  };
  const Case cases[] = {
      {{}, "arguments: missing \"--\""},
      {{"--fd"}, "arguments: option needs a value: --fd"},
      {{"--fd", "x", "--", "a"}, "arguments: not an fd number: x"},
      {{"--fd", "-1", "--", "a"}, "arguments: not an fd number: -1"},
      {{"--fd", "99999999999", "--", "a"}, "arguments: not an fd number"},
      {{"--fd", "", "--", "a"}, "arguments: not an fd number"},
      {{"--fd", "10", "--fd", "10", "--", "a"}, "arguments: option given twice: --fd"},
      {{"--bogus", "1", "--", "a"}, "arguments: unknown option: --bogus"},
      {{"--fd", "10", "a"}, "arguments: unknown option: a"},
      {{"--fd", "10"}, "arguments: missing \"--\""},
      {{"--fd", "10", "--"}, "arguments: missing ARGV0"},
      {{"--execfn", "/x", "--", "a"}, "arguments: missing --fd"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {kLoader};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    SCOPED_TRACE(::testing::PrintToString(c.args));
    expect_loader_error(run_process(kLoader, argv, kEnv, {{"/bin/echo", kFd}}), c.needle);
  }
}

// The loader either refuses an image with its one-line message (127) or
// reaches the gate hook and jumps (what the target then does is its own
// business: a synthetic image may well crash). It never dies on its own.
// Returns true when the target was entered.
bool expect_refused_or_entered(const RunResult& r, const std::string& label) {
  if (r.err.find("gate-hook: ok") != std::string::npos) return true;
  EXPECT_EQ(r.status, 127) << label << ": " << describe(r);
  EXPECT_EQ(r.err.rfind("sysgate-exec: ", 0), 0u) << label << ": " << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << label << ": " << r.err;
  return false;
}

// Every seed of the fuzz corpus (truncated real headers, malformed and
// synthetic images) is refused with a message or entered.
TEST(LoaderErrorTest, FuzzCorpusNeverCrashesTheLoader) {
  DIR* d = opendir(ELF_CORPUS_DIR);
  ASSERT_NE(d, nullptr);
  int refused = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string path = std::string(ELF_CORPUS_DIR) + "/" + e->d_name;
    if (!expect_refused_or_entered(via_loader(path, {e->d_name}, {}, kHookLoader, {}, 10), path)) ++refused;
  }
  closedir(d);
  EXPECT_GT(refused, 10);
}

// Random bit flips in a real program's headers.
TEST(LoaderErrorTest, MutatedHeadersNeverCrashTheLoader) {
  const std::vector<uint8_t> original = read_bytes(PROBE_STATIC);
  ASSERT_GT(original.size(), 4096u);
  std::mt19937 rng(20240601);
  const size_t header_bytes = 64 + 56 * 12;
  int refused = 0, entered = 0;
  for (int i = 0; i < 150; ++i) {
    std::vector<uint8_t> bytes = original;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) bytes[rng() % header_bytes] ^= static_cast<uint8_t>(1u << (rng() % 8));
    TempFile f(bytes);
    RunResult r = via_loader(f.path(), {"probe", "exit", "0"}, {}, kHookLoader, {}, 10);
    (expect_refused_or_entered(r, "mutation " + std::to_string(i)) ? entered : refused)++;
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(entered, 0);
}

}  // namespace
}  // namespace sysgate::loader::testing
