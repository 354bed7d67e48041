// format_call and quote_string, with a fake MemoryReader standing in for the
// traced process's memory.
#include "syscalls/call_format.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <cstdint>
#include <map>
#include <string>

#include <linux/futex.h>

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>
#include <sys/socket.h>

namespace sysgate::syscalls {
namespace {

// Memory as a set of readable byte ranges; anything else is unreadable.
class FakeMemory : public MemoryReader {
 public:
  void put(uint64_t addr, std::string bytes) { regions_[addr] = std::move(bytes); }

  std::optional<std::string> read_string(uint64_t addr, size_t max_len, bool* truncated) override {
    const std::string* region = find(addr);
    if (region == nullptr) return std::nullopt;
    std::string_view rest = std::string_view(*region).substr(addr - base_);
    const size_t nul = rest.find('\0');
    if (nul != std::string_view::npos && nul <= max_len) {
      *truncated = false;
      return std::string(rest.substr(0, nul));
    }
    if (rest.size() < max_len && nul == std::string_view::npos) return std::nullopt;  // runs off the end
    *truncated = true;
    return std::string(rest.substr(0, max_len));
  }

  std::optional<std::string> read_bytes(uint64_t addr, size_t len) override {
    const std::string* region = find(addr);
    if (region == nullptr || addr - base_ + len > region->size()) return std::nullopt;
    return region->substr(addr - base_, len);
  }

 private:
  const std::string* find(uint64_t addr) {
    for (const auto& [start, bytes] : regions_) {
      if (addr >= start && addr < start + bytes.size()) {
        base_ = start;
        return &bytes;
      }
    }
    return nullptr;
  }

  std::map<uint64_t, std::string> regions_;
  uint64_t base_ = 0;
};

constexpr uint64_t kPath = 0x1000;
constexpr uint64_t kBuffer = 0x2000;
constexpr uint64_t kUnmapped = 0xdead0000;
constexpr uint64_t kAtFdcwd = static_cast<uint64_t>(int64_t{AT_FDCWD});

std::string call(int nr, std::initializer_list<uint64_t> values, MemoryReader* reader,
                 FormatOptions options = {}) {
  uint64_t args[6] = {};
  size_t i = 0;
  for (uint64_t v : values) args[i++] = v;
  return format_call(nr, args, reader, options);
}

class CallFormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    memory_.put(kPath, std::string("/etc/hostname\0", 14));
    memory_.put(kBuffer, "hello\n");
  }
  FakeMemory memory_;
};

TEST_F(CallFormatTest, OpenatShowsPathAndFlagsAndModeOnlyWithOCreat) {
  EXPECT_EQ(call(SYS_openat, {kAtFdcwd, kPath, O_RDONLY, 0}, &memory_),
            "openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY)");
  EXPECT_EQ(call(SYS_openat, {kAtFdcwd, kPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0644}, &memory_),
            "openat(AT_FDCWD, \"/etc/hostname\", O_WRONLY|O_CREAT|O_CLOEXEC, 0644)");
  EXPECT_EQ(call(SYS_open, {kPath, O_RDWR | O_TMPFILE, 0600}, &memory_),
            "open(\"/etc/hostname\", O_RDWR|O_TMPFILE, 0600)");
}

TEST_F(CallFormatTest, WriteShowsTheBufferItsLengthArgumentDescribes) {
  EXPECT_EQ(call(SYS_write, {1, kBuffer, 6}, &memory_), "write(1, \"hello\\n\", 6)");
  EXPECT_EQ(call(SYS_write, {1, kBuffer, 5}, &memory_), "write(1, \"hello\", 5)");
  EXPECT_EQ(call(SYS_write, {1, kBuffer, 0}, &memory_), "write(1, \"\", 0)");
}

TEST_F(CallFormatTest, LongBuffersAreCutAtMaxString) {
  memory_.put(0x3000, std::string(100, 'a'));
  FormatOptions options;
  options.max_string = 4;
  EXPECT_EQ(call(SYS_write, {2, 0x3000, 100}, &memory_, options), "write(2, \"aaaa\"..., 100)");
  EXPECT_EQ(call(SYS_write, {2, 0x3000, 4}, &memory_, options), "write(2, \"aaaa\", 4)");
}

TEST_F(CallFormatTest, UnreadableMemoryIsShownAsAnAddress) {
  EXPECT_EQ(call(SYS_write, {1, kUnmapped, 6}, &memory_), "write(1, 0xdead0000, 6)");
  EXPECT_EQ(call(SYS_openat, {kAtFdcwd, kUnmapped, O_RDONLY}, &memory_),
            "openat(AT_FDCWD, 0xdead0000, O_RDONLY)");
  EXPECT_EQ(call(SYS_openat, {kAtFdcwd, 0, O_RDONLY}, &memory_), "openat(AT_FDCWD, NULL, O_RDONLY)");
  // A buffer whose claimed length runs past readable memory.
  EXPECT_EQ(call(SYS_write, {1, kBuffer, 7}, &memory_), "write(1, 0x2000, 7)");
}

// As strace 6.1 printed them (tests/integration/programs/structs.c).
TEST_F(CallFormatTest, WaitOptionsAndIpProtocolsAreNamed) {
  EXPECT_EQ(call(SYS_wait4, {8789, 0, 2 /* WUNTRACED */, 0}, nullptr), "wait4(8789, NULL, WSTOPPED, NULL)");
  EXPECT_EQ(call(SYS_wait4, {static_cast<uint64_t>(-1), 0, 1 | 8, 0}, nullptr),
            "wait4(-1, NULL, WNOHANG|WCONTINUED, NULL)");
  EXPECT_EQ(call(SYS_wait4, {1, 0, 0, 0}, nullptr), "wait4(1, NULL, 0, NULL)");
  EXPECT_EQ(call(SYS_socket, {AF_INET, SOCK_STREAM, 0}, nullptr), "socket(AF_INET, SOCK_STREAM, IPPROTO_IP)");
  EXPECT_EQ(call(SYS_socket, {AF_INET6, SOCK_DGRAM, 17}, nullptr), "socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP)");
  EXPECT_EQ(call(SYS_socket, {AF_UNIX, SOCK_STREAM, 0}, nullptr), "socket(AF_UNIX, SOCK_STREAM, 0)");
}

TEST_F(CallFormatTest, StatxFlagsAndMaskAreNamed) {
  EXPECT_EQ(call(SYS_statx, {kAtFdcwd, kPath, 0x900 /* AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT */, 0x25e, 0}, &memory_),
            "statx(AT_FDCWD, \"/etc/hostname\", AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT, "
            "STATX_MODE|STATX_NLINK|STATX_UID|STATX_GID|STATX_MTIME|STATX_SIZE, NULL)");
  EXPECT_EQ(format_statx_mask(0xfff), "STATX_ALL");  // as strace 6.1 names it
  EXPECT_EQ(format_statx_mask(0x17ff), "STATX_BASIC_STATS|STATX_MNT_ID");
  EXPECT_EQ(format_statx_mask(0x80000001), "STATX_TYPE|0x80000000");
  EXPECT_EQ(call(SYS_statx, {3, kPath, 0x4000 /* AT_STATX_DONT_SYNC */, 0, 0}, &memory_),
            "statx(3, \"/etc/hostname\", AT_STATX_DONT_SYNC, 0, NULL)");
}

TEST_F(CallFormatTest, WithoutAReaderPointersStayAddresses) {
  EXPECT_EQ(call(SYS_openat, {kAtFdcwd, kPath, O_RDONLY}, nullptr),
            "openat(AT_FDCWD, 0x1000, O_RDONLY)");
  EXPECT_EQ(call(SYS_write, {1, kBuffer, 6}, nullptr), "write(1, 0x2000, 6)");
}

TEST_F(CallFormatTest, LongPathsAreCutAtMaxPath) {
  FormatOptions options;
  options.max_path = 4;
  EXPECT_EQ(call(SYS_chdir, {kPath}, &memory_, options), "chdir(\"/etc\"...)");
}

TEST_F(CallFormatTest, OutputBuffersAreAddresses) {
  EXPECT_EQ(call(SYS_read, {3, 0x7ffd0000, 4096}, &memory_), "read(3, 0x7ffd0000, 4096)");
}

TEST_F(CallFormatTest, Mmap) {
  EXPECT_EQ(call(SYS_mmap, {0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                            UINT64_MAX, 0},
                 &memory_),
            "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)");
  // strace prints the file offset in hex (pread64's stays decimal).
  EXPECT_EQ(call(SYS_mmap, {0x7f553dde3000, 1400832, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED | MAP_DENYWRITE, 3,
                            0x26000},
                 &memory_),
            "mmap(0x7f553dde3000, 1400832, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x26000)");
  EXPECT_EQ(call(SYS_pread64, {3, 0x1000, 784, 64}, &memory_), "pread64(3, 0x1000, 784, 64)");
}

// As strace 6 prints them (ls -l's calls, compared by hand).
TEST_F(CallFormatTest, RseqGetrandomAndSocketFlagsAsStrace) {
  EXPECT_EQ(call(SYS_rseq, {0x7f553df8f060, 0x20, 0, 0x53053053}, &memory_), "rseq(0x7f553df8f060, 0x20, 0, 0x53053053)");
  EXPECT_EQ(call(SYS_rseq, {0, 0, 0, 0}, &memory_), "rseq(0, 0, 0, 0)");  // unregistering: strace 6.1's 0
  const std::string random = call(SYS_getrandom, {0x1000, 8, 1}, &memory_);
  EXPECT_EQ(random.substr(random.rfind(", ")), ", GRND_NONBLOCK)") << random;
  const std::string insecure = call(SYS_getrandom, {0x1000, 8, 4 | 2}, &memory_);
  EXPECT_EQ(insecure.substr(insecure.rfind(", ")), ", GRND_RANDOM|GRND_INSECURE)") << insecure;
  EXPECT_EQ(call(SYS_socket, {AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0}, &memory_),
            "socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0)");
  // The descriptor-creating calls' flags (strace 6, python3 making each).
  EXPECT_EQ(call(SYS_eventfd2, {0, 0x80001 | 0x800}, &memory_), "eventfd2(0, EFD_SEMAPHORE|EFD_CLOEXEC|EFD_NONBLOCK)");
  EXPECT_EQ(call(SYS_epoll_create1, {0x80000}, &memory_), "epoll_create1(EPOLL_CLOEXEC)");
  EXPECT_EQ(call(SYS_timerfd_create, {1, 0x80800}, &memory_), "timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC|TFD_NONBLOCK)");
  EXPECT_EQ(call(SYS_inotify_init1, {0x80800}, &memory_), "inotify_init1(IN_NONBLOCK|IN_CLOEXEC)");
  memory_.put(0x5000, std::string("x\0", 2));
  EXPECT_EQ(call(SYS_memfd_create, {0x5000, 3}, &memory_), "memfd_create(\"x\", MFD_CLOEXEC|MFD_ALLOW_SEALING)");
  EXPECT_EQ(call(SYS_eventfd2, {0, 0}, &memory_), "eventfd2(0, 0)");
  EXPECT_EQ(call(SYS_fadvise64, {3, 0, 0, 2}, &memory_), "fadvise64(3, 0, 0, POSIX_FADV_SEQUENTIAL)");
  EXPECT_EQ(call(SYS_fadvise64, {3, 0, 0, 9}, &memory_), "fadvise64(3, 0, 0, 9)");
}

TEST_F(CallFormatTest, IntLengthArguments) {
  memory_.put(0x4000, "box");
  EXPECT_EQ(call(SYS_sethostname, {0x4000, 3}, &memory_), "sethostname(\"box\", 3)");
  // A negative int length is not a length: show the address.
  EXPECT_EQ(call(SYS_sethostname, {0x4000, 0xffffffff}, &memory_), "sethostname(0x4000, -1)");
}

TEST_F(CallFormatTest, FcntlArgumentDependsOnTheCommand) {
  EXPECT_EQ(call(SYS_fcntl, {3, F_GETFL, 0x1234}, &memory_), "fcntl(3, F_GETFL)");
  EXPECT_EQ(call(SYS_fcntl, {3, F_SETFD, FD_CLOEXEC}, &memory_), "fcntl(3, F_SETFD, FD_CLOEXEC)");
  EXPECT_EQ(call(SYS_fcntl, {3, F_SETFL, O_RDONLY | O_NONBLOCK}, &memory_),
            "fcntl(3, F_SETFL, O_RDONLY|O_NONBLOCK)");
  EXPECT_EQ(call(SYS_fcntl, {3, F_DUPFD_CLOEXEC, 10}, &memory_), "fcntl(3, F_DUPFD_CLOEXEC, 10)");
  EXPECT_EQ(call(SYS_fcntl, {3, F_SETLK, 0x7ffd0000}, &memory_), "fcntl(3, F_SETLK, 0x7ffd0000)");
}

TEST_F(CallFormatTest, FlagsWithoutAccessMode) {
  EXPECT_EQ(call(SYS_dup3, {3, 4, O_CLOEXEC}, &memory_), "dup3(3, 4, O_CLOEXEC)");
  EXPECT_EQ(call(SYS_dup3, {3, 4, 0}, &memory_), "dup3(3, 4, 0)");
  EXPECT_EQ(call(SYS_pipe2, {0x7ffd0000, O_NONBLOCK | O_CLOEXEC}, &memory_),
            "pipe2(0x7ffd0000, O_NONBLOCK|O_CLOEXEC)");
}

TEST_F(CallFormatTest, AssortedCalls) {
  EXPECT_EQ(call(SYS_getpid, {}, &memory_), "getpid()");
  EXPECT_EQ(call(SYS_kill, {1234, SIGTERM}, &memory_), "kill(1234, SIGTERM)");
  EXPECT_EQ(call(SYS_close, {0xffffffff00000005}, &memory_), "close(5)");
  EXPECT_EQ(call(SYS_exit_group, {0}, &memory_), "exit_group(0)");
}

TEST_F(CallFormatTest, UnknownSyscallsShowAllSixArgumentsInHex) {
  EXPECT_EQ(call(470, {1, 2, 3, 0, 0x10, 0xffffffffffffffff}, &memory_),
            "syscall_470(0x1, 0x2, 0x3, 0, 0x10, 0xffffffffffffffff)");
  EXPECT_EQ(call(400, {}, nullptr), "syscall_400(0, 0, 0, 0, 0, 0)");
}

// append_call adds to a line being built and is what format_call returns.
TEST_F(CallFormatTest, AppendCallAddsTheSameTextToTheBuffer) {
  const uint64_t args[6] = {kAtFdcwd, kPath, O_RDONLY, 0, 0, 0};
  std::string line = "[pid  7] ";
  append_call(line, SYS_openat, args, &memory_);
  EXPECT_EQ(line, "[pid  7] " + format_call(SYS_openat, args, &memory_));
  EXPECT_EQ(line, "[pid  7] openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY)");
  const uint64_t unknown[6] = {1, 0, 0, 0, 0, 0};
  append_call(line, 470, unknown, nullptr);
  EXPECT_EQ(line, "[pid  7] openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY)syscall_470(0x1, 0, 0, 0, 0, 0)");
}

// A reader that holds the bytes serves them without a copy (view_bytes); one
// that does not is asked to copy them (read_bytes). Both print the same.
TEST_F(CallFormatTest, InputBuffersComeFromViewBytesWhenTheReaderHasThem) {
  class Viewing : public FakeMemory {
   public:
    std::optional<std::string_view> view_bytes(uint64_t addr, size_t len) override {
      ++views;
      if (addr != kBuffer || len > held.size()) return std::nullopt;
      return std::string_view(held).substr(0, len);
    }
    std::string held = "viewed";
    int views = 0;
  } viewing;
  viewing.put(kBuffer, "copied");
  EXPECT_EQ(call(SYS_write, {1, kBuffer, 6}, &viewing), "write(1, \"viewed\", 6)");
  EXPECT_EQ(viewing.views, 1);
  EXPECT_EQ(call(SYS_write, {1, kBuffer, 7}, &viewing), "write(1, 0x2000, 7)");  // neither has 7 bytes
}

// The hooks append in place of the address, or leave it when they decline.
TEST_F(CallFormatTest, ArgHooksAppendTheirTextOrLeaveTheAddress) {
  struct Seen {
    mutable int index = -1;
    mutable uint64_t value = 0;
  } seen;
  FormatOptions options;
  options.output_buffer = {[](const void* context, int index, uint64_t value, std::string& out) {
                             const auto* s = static_cast<const Seen*>(context);
                             s->index = index;
                             s->value = value;
                             if (value != 0x7ffd0000) return false;
                             out += "\"read\"";
                             return true;
                           },
                           &seen};
  EXPECT_EQ(call(SYS_read, {3, 0x7ffd0000, 4096}, &memory_, options), "read(3, \"read\", 4096)");
  EXPECT_EQ(seen.index, 1);
  EXPECT_EQ(seen.value, 0x7ffd0000u);
  EXPECT_EQ(call(SYS_read, {3, 0x7ffd1000, 4096}, &memory_, options), "read(3, 0x7ffd1000, 4096)");
  options.struct_arg = {[](const void*, int, uint64_t, std::string& out) {
                          out += "{st_mode=S_IFREG|0644, ...}";
                          return true;
                        },
                        nullptr};
  EXPECT_EQ(call(SYS_fstat, {3, 0x7ffd2000}, &memory_, options), "fstat(3, {st_mode=S_IFREG|0644, ...})");
  EXPECT_EQ(call(SYS_fstat, {3, 0}, &memory_, options), "fstat(3, NULL)");  // NULL is never decoded
}

TEST(QuoteString, AppendQuotedAndStatxMaskAddToTheBuffer) {
  std::string out = "x=";
  append_quoted(out, std::string_view("a\0" "1\n", 4), true);
  out += " mask=";
  append_statx_mask(out, 0x17ff);
  out += ' ';
  append_statx_mask(out, 0);
  EXPECT_EQ(out, "x=\"a\\0001\\n\"... mask=STATX_BASIC_STATS|STATX_MNT_ID 0");
}

// strace shows the arguments each futex command takes (strace's futex.c):
// these are its lines for the same calls.
TEST(CallFormat, FutexShowsWhatEachCommandTakes) {
  const uint64_t w = 0x5000, w2 = 0x5004;
  auto f = [&](uint64_t op, uint64_t val, uint64_t a3, uint64_t a4, uint64_t a5) {
    const uint64_t args[6] = {w, op, val, a3, a4, a5};
    return format_call(SYS_futex, args, nullptr);
  };
  EXPECT_EQ(f(FUTEX_WAKE_PRIVATE, 1, 0, 0, 0), "futex(0x5000, FUTEX_WAKE_PRIVATE, 1)");
  EXPECT_EQ(f(FUTEX_WAIT_PRIVATE, 1, 0, 0, 0), "futex(0x5000, FUTEX_WAIT_PRIVATE, 1, NULL)");
  EXPECT_EQ(f(FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 1, 0, 0, 0xffffffff),
            "futex(0x5000, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 1, NULL, FUTEX_BITSET_MATCH_ANY)");
  EXPECT_EQ(f(FUTEX_WAKE_BITSET_PRIVATE, 1, 0, 0, 0x5), "futex(0x5000, FUTEX_WAKE_BITSET_PRIVATE, 1, 0x5)");
  EXPECT_EQ(f(FUTEX_CMP_REQUEUE_PRIVATE, 1, 2, w2, 0), "futex(0x5000, FUTEX_CMP_REQUEUE_PRIVATE, 1, 2, 0x5004, 0)");
  EXPECT_EQ(f(FUTEX_REQUEUE_PRIVATE, 1, 2, w2, 0), "futex(0x5000, FUTEX_REQUEUE_PRIVATE, 1, 2, 0x5004)");
  EXPECT_EQ(f(FUTEX_WAKE_OP_PRIVATE, 1, 1, w2, FUTEX_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_GT, 1)),
            "futex(0x5000, FUTEX_WAKE_OP_PRIVATE, 1, 1, 0x5004, FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1)");
  EXPECT_EQ(f(FUTEX_LOCK_PI_PRIVATE, 0, 0, 0, 0), "futex(0x5000, FUTEX_LOCK_PI_PRIVATE, NULL)");
  EXPECT_EQ(f(FUTEX_UNLOCK_PI_PRIVATE, 0, 0, 0, 0), "futex(0x5000, FUTEX_UNLOCK_PI_PRIVATE)");
}

// prctl: the option, then what it takes, as strace's prctl.c shows it;
// pointers are the struct hook's (a trace record's bytes) or their address.
TEST(CallFormat, PrctlShowsWhatEachOptionTakes) {
  auto p = [](uint64_t option, uint64_t a2 = 0, uint64_t a3 = 0, uint64_t a4 = 0, uint64_t a5 = 0,
              FormatOptions options = {}) {
    const uint64_t args[6] = {option, a2, a3, a4, a5, 0};
    return format_call(SYS_prctl, args, nullptr, options);
  };
  EXPECT_EQ(p(PR_GET_DUMPABLE, 0x7ffd, 7), "prctl(PR_GET_DUMPABLE)");
  EXPECT_EQ(p(PR_SET_DUMPABLE, 0), "prctl(PR_SET_DUMPABLE, SUID_DUMP_DISABLE)");
  EXPECT_EQ(p(PR_SET_DUMPABLE, 9), "prctl(PR_SET_DUMPABLE, 9)");
  EXPECT_EQ(p(PR_SET_PDEATHSIG, SIGKILL), "prctl(PR_SET_PDEATHSIG, SIGKILL)");
  EXPECT_EQ(p(PR_SET_PDEATHSIG, 0), "prctl(PR_SET_PDEATHSIG, 0)");
  EXPECT_EQ(p(PR_CAPBSET_DROP, CAP_CHOWN), "prctl(PR_CAPBSET_DROP, CAP_CHOWN)");
  // Beyond the last capability, as strace 6.1 shows ps probing for them.
  EXPECT_EQ(p(PR_CAPBSET_READ, 48), "prctl(PR_CAPBSET_READ, 0x30 /* CAP_??? */)");
  EXPECT_EQ(p(PR_CAPBSET_READ, 40), "prctl(PR_CAPBSET_READ, CAP_CHECKPOINT_RESTORE)");
  EXPECT_EQ(p(PR_SET_TIMERSLACK, 50000, 5), "prctl(PR_SET_TIMERSLACK, 50000)");
  EXPECT_EQ(p(PR_SET_NO_NEW_PRIVS, 1), "prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)");
  EXPECT_EQ(p(0x12345678, 1, 0, 0x20, 4), "prctl(0x12345678 /* PR_??? */, 0x1, 0, 0x20, 0x4)");
  EXPECT_EQ(p(PR_SET_MM, 1, 0x5000), "prctl(PR_SET_MM, 0x1, 0x5000, 0, 0)");
  // Pointers: NULL, the address, or what the hook shows.
  EXPECT_EQ(p(PR_SET_NAME, 0), "prctl(PR_SET_NAME, NULL)");
  EXPECT_EQ(p(PR_GET_NAME, 0x7ffd1000), "prctl(PR_GET_NAME, 0x7ffd1000)");
  FormatOptions named;
  named.struct_arg.decode = [](const void*, int index, uint64_t value, std::string& out) {
    if (index != 1 || value != 0x7ffd1000) return false;
    out += "\"worker\"";
    return true;
  };
  EXPECT_EQ(p(PR_GET_NAME, 0x7ffd1000, 0, 0, 0, named), "prctl(PR_GET_NAME, \"worker\")");
  EXPECT_EQ(p(PR_GET_PDEATHSIG, 0x7ffd2000, 0, 0, 0, named), "prctl(PR_GET_PDEATHSIG, 0x7ffd2000)");
}

// seccomp, and prctl(PR_SET_SECCOMP): as strace 6.1 showed them for
// tests/integration/programs/structs.c. Only a filter's flags are names; the
// third argument is the struct hook's (a trace record's copy) or its address.
TEST(CallFormat, SeccompShowsItsOperationFlagsAndFilter) {
  auto s = [](uint64_t op, uint64_t flags, uint64_t uargs, FormatOptions options = {}) {
    const uint64_t args[6] = {op, flags, uargs, 0, 0, 0};
    return format_call(SYS_seccomp, args, nullptr, options);
  };
  EXPECT_EQ(s(SECCOMP_SET_MODE_FILTER, 0, 0x8), "seccomp(SECCOMP_SET_MODE_FILTER, 0, 0x8)");
  EXPECT_EQ(s(SECCOMP_SET_MODE_FILTER, 0x80000003, 0x7ffe1000),
            "seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC|SECCOMP_FILTER_FLAG_LOG|0x80000000, 0x7ffe1000)");
  EXPECT_EQ(s(SECCOMP_SET_MODE_FILTER, 0x3f, 0),
            "seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC|SECCOMP_FILTER_FLAG_LOG|"
            "SECCOMP_FILTER_FLAG_SPEC_ALLOW|SECCOMP_FILTER_FLAG_NEW_LISTENER|SECCOMP_FILTER_FLAG_TSYNC_ESRCH|"
            "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, NULL)");
  EXPECT_EQ(s(SECCOMP_SET_MODE_FILTER, 0x100, 0x7ffe1000),
            "seccomp(SECCOMP_SET_MODE_FILTER, 0x100 /* SECCOMP_FILTER_FLAG_??? */, 0x7ffe1000)");
  EXPECT_EQ(s(SECCOMP_SET_MODE_STRICT, 1, 0), "seccomp(SECCOMP_SET_MODE_STRICT, 0x1, NULL)");
  EXPECT_EQ(s(SECCOMP_GET_ACTION_AVAIL, 5, 0), "seccomp(SECCOMP_GET_ACTION_AVAIL, 0x5, NULL)");
  EXPECT_EQ(s(SECCOMP_GET_NOTIF_SIZES, 1, 0x7ffe1000), "seccomp(SECCOMP_GET_NOTIF_SIZES, 0x1, 0x7ffe1000)");
  EXPECT_EQ(s(7, 3, 1), "seccomp(0x7 /* SECCOMP_SET_MODE_??? */, 0x3, 0x1)");
  // The kernel reads op and flags as unsigned int.
  EXPECT_EQ(s(0xffffffff00000001, 0xffffffff00000000, 0), "seccomp(SECCOMP_SET_MODE_FILTER, 0, NULL)");

  FormatOptions hooked;
  hooked.struct_arg.decode = [](const void*, int index, uint64_t value, std::string& out) {
    if (index != 2 || value != 0x7ffe1000) return false;
    out += "{len=1, filter=0x7ffe2000}";
    return true;
  };
  EXPECT_EQ(s(SECCOMP_SET_MODE_FILTER, 0, 0x7ffe1000, hooked),
            "seccomp(SECCOMP_SET_MODE_FILTER, 0, {len=1, filter=0x7ffe2000})");
  // Strict mode's and unknown operations' argument is only an address, as strace's.
  EXPECT_EQ(s(SECCOMP_SET_MODE_STRICT, 0, 0x7ffe1000, hooked), "seccomp(SECCOMP_SET_MODE_STRICT, 0, 0x7ffe1000)");
  EXPECT_EQ(s(9, 0, 0x7ffe1000, hooked), "seccomp(0x9 /* SECCOMP_SET_MODE_??? */, 0, 0x7ffe1000)");

  auto p = [](uint64_t mode, uint64_t filter, FormatOptions options = {}) {
    const uint64_t args[6] = {PR_SET_SECCOMP, mode, filter, 0, 0, 0};
    return format_call(SYS_prctl, args, nullptr, options);
  };
  EXPECT_EQ(p(SECCOMP_MODE_FILTER, 0), "prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL)");
  EXPECT_EQ(p(SECCOMP_MODE_FILTER, 0x7ffe1000, hooked),
            "prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, {len=1, filter=0x7ffe2000})");
  EXPECT_EQ(p(SECCOMP_MODE_STRICT, 0x7ffe1000), "prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT)");
  EXPECT_EQ(p(SECCOMP_MODE_DISABLED, 0x7ffe1000), "prctl(PR_SET_SECCOMP, SECCOMP_MODE_DISABLED, 0x7ffe1000, 0, 0)");
  EXPECT_EQ(p(5, 0x7ffe1000), "prctl(PR_SET_SECCOMP, 0x5 /* SECCOMP_MODE_??? */, 0x7ffe1000, 0, 0)");
  const uint64_t get[6] = {PR_GET_SECCOMP, 0, 0, 0, 0, 0};
  EXPECT_EQ(format_call(SYS_prctl, get, nullptr), "prctl(PR_GET_SECCOMP)");
}

// -x hexes a string only when it holds other than printable ASCII and the
// whitespace \t-\r (strace's test); -xx hexes every string.
TEST(QuoteString, HexStylesAsStraceXAndXX) {
  constexpr StringStyle x = StringStyle::kHexNonAscii, xx = StringStyle::kHexAll;
  EXPECT_EQ(quote_string("plain text\n\t", false, x), "\"plain text\\n\\t\"");
  EXPECT_EQ(quote_string(std::string_view("a\0", 2), false, x), "\"\\x61\\x00\"");
  EXPECT_EQ(quote_string("caf\xc3\xa9", true, x), "\"\\x63\\x61\\x66\\xc3\\xa9\"...");
  EXPECT_EQ(quote_string("\x1b[0m", false, x), "\"\\x1b\\x5b\\x30\\x6d\"");
  EXPECT_EQ(quote_string("/tmp", false, xx), "\"\\x2f\\x74\\x6d\\x70\"");
  EXPECT_EQ(quote_string("", false, xx), "\"\"");
}

TEST(QuoteString, EscapesLikeStrace) {
  EXPECT_EQ(quote_string("hello", false), "\"hello\"");
  EXPECT_EQ(quote_string("a\tb\nc\rd\ve\ff", false), "\"a\\tb\\nc\\rd\\ve\\ff\"");
  EXPECT_EQ(quote_string("say \"hi\" \\o/", false), "\"say \\\"hi\\\" \\\\o/\"");
  EXPECT_EQ(quote_string(std::string_view("\x01x", 2), false), "\"\\1x\"");
  EXPECT_EQ(quote_string(std::string_view("\0", 1), false), "\"\\0\"");
  // An octal digit after an escape forces three digits, or it would join the escape.
  EXPECT_EQ(quote_string(std::string_view("\0" "1", 2), false), "\"\\0001\"");
  EXPECT_EQ(quote_string("\x7f", false), "\"\\177\"");
  EXPECT_EQ(quote_string("caf\xc3\xa9", false), "\"caf\\303\\251\"");
  EXPECT_EQ(quote_string("", false), "\"\"");
  EXPECT_EQ(quote_string("abc", true), "\"abc\"...");
}

// strace -X raw and verbose, as strace 6.1 prints these calls: statx's sync
// type apart from its other flags (nothing for 0 in raw: strace's "|0x900"),
// socket's protocol, prctl's option and its argument, futex's bitset.
TEST_F(CallFormatTest, ConstStylesAsStraceXPrintsThem) {
  FormatOptions raw, verbose;
  raw.const_style = ConstStyle::kRaw;
  verbose.const_style = ConstStyle::kVerbose;
  EXPECT_EQ(call(SYS_statx, {kAtFdcwd, kPath, 0x900, 0x25e, 0}, &memory_, raw),
            "statx(-100, \"/etc/hostname\", |0x900, 0x25e, NULL)");
  EXPECT_EQ(call(SYS_statx, {kAtFdcwd, kPath, 0x900, 0x25e, 0}, &memory_, verbose),
            "statx(-100 /* AT_FDCWD */, \"/etc/hostname\", 0 /* AT_STATX_SYNC_AS_STAT */|0x900 /* "
            "AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT */, 0x25e /* STATX_MODE|STATX_NLINK|STATX_UID|STATX_GID|STATX_MTIME|"
            "STATX_SIZE */, NULL)");
  EXPECT_EQ(call(SYS_statx, {3, kPath, 0x4000, 0xfff, 0}, &memory_, raw), "statx(3, \"/etc/hostname\", 0x4000, 0xfff, NULL)");
  EXPECT_EQ(call(SYS_socket, {AF_INET, SOCK_STREAM, 0}, nullptr, verbose),
            "socket(0x2 /* AF_INET */, 0x1 /* SOCK_STREAM */, 0 /* IPPROTO_IP */)");
  EXPECT_EQ(call(SYS_socket, {AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0}, nullptr, raw), "socket(0x1, 0x1|0x80000, 0)");
  EXPECT_EQ(call(SYS_prctl, {PR_SET_PDEATHSIG, SIGTERM}, nullptr, verbose), "prctl(0x1 /* PR_SET_PDEATHSIG */, 15 /* SIGTERM */)");
  EXPECT_EQ(call(SYS_prctl, {0x12345678, 1, 2, 3, 4}, nullptr, raw), "prctl(0x12345678, 0x1, 0x2, 0x3, 0x4)");
  EXPECT_EQ(call(SYS_prctl, {0x12345678, 1, 2, 3, 4}, nullptr, verbose),
            "prctl(0x12345678 /* PR_??? */, 0x1, 0x2, 0x3, 0x4)");
  EXPECT_EQ(call(SYS_prctl, {PR_CAPBSET_READ, 21}, nullptr, verbose), "prctl(0x17 /* PR_CAPBSET_READ */, 0x15 /* CAP_SYS_ADMIN */)");
  // seccomp's, as strace 6.1 -X showed tests/integration/programs/structs.c's.
  EXPECT_EQ(call(SYS_seccomp, {SECCOMP_SET_MODE_FILTER, 0x80000003, 0x8}, nullptr, raw), "seccomp(0x1, 0x80000003, 0x8)");
  EXPECT_EQ(call(SYS_seccomp, {SECCOMP_SET_MODE_FILTER, 0x80000003, 0x8}, nullptr, verbose),
            "seccomp(0x1 /* SECCOMP_SET_MODE_FILTER */, 0x80000003 /* SECCOMP_FILTER_FLAG_TSYNC|SECCOMP_FILTER_FLAG_LOG|"
            "0x80000000 */, 0x8)");
  EXPECT_EQ(call(SYS_seccomp, {SECCOMP_SET_MODE_FILTER, 0x100, 0}, nullptr, verbose),
            "seccomp(0x1 /* SECCOMP_SET_MODE_FILTER */, 0x100 /* SECCOMP_FILTER_FLAG_??? */, NULL)");
  EXPECT_EQ(call(SYS_seccomp, {SECCOMP_SET_MODE_STRICT, 1, 0}, nullptr, verbose),
            "seccomp(0 /* SECCOMP_SET_MODE_STRICT */, 0x1, NULL)");
  EXPECT_EQ(call(SYS_seccomp, {7, 3, 1}, nullptr, raw), "seccomp(0x7, 0x3, 0x1)");
  EXPECT_EQ(call(SYS_seccomp, {7, 3, 1}, nullptr, verbose), "seccomp(0x7 /* SECCOMP_SET_MODE_??? */, 0x3, 0x1)");
  EXPECT_EQ(call(SYS_prctl, {PR_SET_SECCOMP, 5, 0x8}, nullptr, raw), "prctl(0x16, 0x5, 0x8, 0, 0)");
  EXPECT_EQ(call(SYS_prctl, {PR_SET_SECCOMP, SECCOMP_MODE_DISABLED, 0x8}, nullptr, verbose),
            "prctl(0x16 /* PR_SET_SECCOMP */, 0 /* SECCOMP_MODE_DISABLED */, 0x8, 0, 0)");
  EXPECT_EQ(call(SYS_prctl, {PR_SET_SECCOMP, SECCOMP_MODE_FILTER, 0}, nullptr, verbose),
            "prctl(0x16 /* PR_SET_SECCOMP */, 0x2 /* SECCOMP_MODE_FILTER */, NULL)");
  EXPECT_EQ(call(SYS_futex, {0x1000, 0x189, 1, 0, 0, 0xffffffff}, nullptr, verbose),
            "futex(0x1000, 0x189 /* FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME */, 1, NULL, 0xffffffff /* "
            "FUTEX_BITSET_MATCH_ANY */)");
  EXPECT_EQ(call(SYS_futex, {0x1000, 0x85, 1, 1, 0x2000, 0x17007001}, nullptr, raw),
            "futex(0x1000, 0x85, 1, 1, 0x2000, 0x1<<28 /* FUTEX_OP_??? */|0x7<<12|0x7<<24 /* FUTEX_OP_CMP_??? */|0x1)");
  EXPECT_EQ(call(SYS_fcntl, {3, F_SETFD, FD_CLOEXEC}, nullptr, verbose), "fcntl(3, 0x2 /* F_SETFD */, 0x1 /* FD_CLOEXEC */)");
  EXPECT_EQ(call(SYS_setsockopt, {3, 1, 2, 0, 4}, nullptr, verbose),
            "setsockopt(3, 0x1 /* SOL_SOCKET */, 0x2 /* SO_REUSEADDR */, NULL, 4)");
  EXPECT_EQ(call(SYS_setsockopt, {3, 999, 9999, 0, 4}, nullptr, verbose), "setsockopt(3, 0x3e7 /* SOL_?? */, 9999, NULL, 4)");
  EXPECT_EQ(call(SYS_setsockopt, {3, 1, 9999, 0, 4}, nullptr, raw), "setsockopt(3, 0x1, 0x270f, NULL, 4)");
}

}  // namespace
}  // namespace sysgate::syscalls
