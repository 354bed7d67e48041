// trace::struct_arg_text against what strace 6.1 printed for the same structs
// (tests/integration/programs/structs.c under strace), from hand-built records
// whose payloads hold the bytes the gate would have copied.
#include "trace/struct_format.h"

#include <arpa/inet.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include <gtest/gtest.h>

#include "syscalls/syscall_table.h"
#include "trace/formatter.h"

namespace sysgate::trace {
namespace {

constexpr uint64_t kAddr = 0x7ffc1000;

template <typename T>
void put(std::string& bytes, size_t offset, T v) {
  if (bytes.size() < offset + sizeof v) bytes.resize(offset + sizeof v);
  std::memcpy(bytes.data() + offset, &v, sizeof v);
}

// A completed call of `name` whose argument `index` is a struct at kAddr holding bytes.
std::optional<std::string> decode(const char* name, int index, std::string bytes, int64_t ret = 0,
                                  PayloadKind kind = kPayloadStructOut) {
  Record r;
  r.nr = syscalls::by_name(name)->nr;
  r.ret = ret;
  r.args[index] = kAddr;
  r.payloads.push_back(Payload{.arg = index, .kind = kind, .truncated = false, .addr = kAddr, .bytes = std::move(bytes)});
  return struct_arg_text(r, index, kAddr);
}

// statx's attributes by name in the abbreviated struct too, as strace 6.1
// prints a file with `chattr +a`.
TEST(StructFormat, StatxAttributesByName) {
  std::string stx(48, '\0');
  put<uint32_t>(stx, 0, 0x1fff);  // STATX_ALL|STATX_MNT_ID
  put<uint64_t>(stx, 8, 0x20);    // STATX_ATTR_APPEND
  put<uint16_t>(stx, 28, 0100644);
  EXPECT_EQ(decode("statx", 4, stx),
            "{stx_mask=STATX_ALL|STATX_MNT_ID, stx_attributes=STATX_ATTR_APPEND, stx_mode=S_IFREG|0644, stx_size=0, ...}");
}

// times' ticks with their seconds (strace 6.1's comment), zero without one.
TEST(StructFormat, TimesTicksWithSeconds) {
  std::string tms;
  put<uint64_t>(tms, 0, 1234);
  put<uint64_t>(tms, 8, 0);
  put<uint64_t>(tms, 16, 5);
  put<uint64_t>(tms, 24, 100);
  EXPECT_EQ(decode("times", 0, tms),
            "{tms_utime=1234 /* 12.34 s */, tms_stime=0, tms_cutime=5 /* 0.05 s */, tms_cstime=100 /* 1.00 s */}");
  EXPECT_EQ(decode("times", 0, tms.substr(0, 16)), std::nullopt);  // not a whole struct: the address
}

// sendfile's, splice's and copy_file_range's offsets from kPayloadInOut
// payloads: the value given, and what sendfile left after moving bytes.
TEST(StructFormat, FileOffsetsTakenByPointer) {
  auto offset = [](int arg, std::initializer_list<int64_t> values) {
    std::string bytes;
    for (int64_t v : values) put<int64_t>(bytes, bytes.size(), v);
    return Payload{.arg = arg, .kind = kPayloadInOut, .truncated = false, .addr = kAddr, .bytes = std::move(bytes)};
  };
  Record r;
  r.nr = syscalls::by_name("sendfile")->nr;
  r.args[0] = 5;
  r.args[1] = 3;
  r.args[2] = kAddr;
  r.args[3] = 4;
  r.ret = 4;
  r.payloads.push_back(offset(2, {2, 6}));
  EXPECT_EQ(format_call_text(r), "sendfile(5, 3, [2] => [6], 4)");
  r.ret = 0;  // nothing moved: the gate copies nothing after the call
  r.payloads[0] = offset(2, {20});
  EXPECT_EQ(format_call_text(r), "sendfile(5, 3, [20], 4)");
  r.payloads[0] = offset(2, {20, 24});
  r.ret = -9;
  EXPECT_EQ(format_call_text(r), "sendfile(5, 3, [20], 4)");
  r.payloads[0].bytes.resize(5);  // not an offset: the address
  EXPECT_EQ(format_call_text(r), "sendfile(5, 3, 0x7ffc1000, 4)");

  Record s;
  s.nr = syscalls::by_name("splice")->nr;
  s.args[0] = 3;
  s.args[1] = kAddr;
  s.args[2] = 5;
  s.args[4] = 3;
  s.ret = 3;
  s.payloads.push_back(offset(1, {1}));
  EXPECT_EQ(format_call_text(s), "splice(3, [1], 5, NULL, 3, 0)");
}

// select/pselect6/ppoll from kPayloadInOut payloads (bytes before the call,
// then after it): strace 6.1's lines for the calls
// tests/integration/trace_test.cc's SelectPpollAndAltStacksAgreeWithStrace makes.
TEST(StructFormat, SelectSetsTimeoutsAndTimeLeft) {
  auto in_out = [](int arg, uint64_t addr, std::string bytes) {
    return Payload{.arg = arg, .kind = kPayloadInOut, .truncated = false, .addr = addr, .bytes = std::move(bytes)};
  };
  auto set_of = [](std::initializer_list<int> fds, size_t bytes) {
    std::string set(bytes, '\0');
    for (int fd : fds) set[static_cast<size_t>(fd / 8)] = static_cast<char>(set[static_cast<size_t>(fd / 8)] | 1 << (fd % 8));
    return set;
  };
  auto time_of = [](int64_t sec, int64_t frac) {
    std::string t;
    put<int64_t>(t, 0, sec);
    put<int64_t>(t, 8, frac);
    return t;
  };
  Record r;
  r.nr = syscalls::by_name("pselect6")->nr;
  r.args[0] = 5;
  r.args[1] = kAddr;
  r.args[2] = kAddr + 0x80;
  r.args[4] = kAddr + 0x100;
  r.args[5] = kAddr + 0x200;
  r.ret = 2;
  r.payloads.push_back(in_out(1, kAddr, set_of({3, 4}, 8) + set_of({3}, 8)));
  r.payloads.push_back(in_out(2, kAddr + 0x80, set_of({4}, 8) + set_of({4}, 8)));
  r.payloads.push_back(in_out(4, kAddr + 0x100, time_of(1, 0) + time_of(0, 999)));
  std::string sigmask;
  put<uint64_t>(sigmask, 0, 0x7ffc2000);
  put<uint64_t>(sigmask, 8, 8);
  put<uint64_t>(sigmask, 16, uint64_t{1} << 16);  // SIGCHLD
  r.payloads.push_back(in_out(5, kAddr + 0x200, sigmask));
  EXPECT_EQ(format_record(r), "pselect6(5, [3 4], [4], NULL, {tv_sec=1, tv_nsec=0}, {sigmask=[CHLD], sigsetsize=8}) = 2 "
                              "(in [3], out [4], left {tv_sec=0, tv_nsec=999})");
  r.ret = 0;  // a timeout: the gate copies nothing after the call
  for (Payload& p : r.payloads) {
    if (p.arg != 5) p.bytes.resize(p.bytes.size() / 2);
  }
  EXPECT_EQ(format_result(r), "= 0 (Timeout)");
  r.ret = -9;  // EBADF: the sets as given
  EXPECT_EQ(format_record(r), "pselect6(5, [3 4], [4], NULL, {tv_sec=1, tv_nsec=0}, {sigmask=[CHLD], sigsetsize=8}) = -1 "
                              "EBADF (Bad file descriptor)");
  r.payloads[0].bytes = std::string(7, '\0');  // not a whole set: the address
  r.payloads.pop_back();                     // no copy: the address
  EXPECT_EQ(format_call_text(r), "pselect6(5, 0x7ffc1000, [4], NULL, {tv_sec=1, tv_nsec=0}, 0x7ffc1200)");

  Record old;  // select's timeval; 70 descriptors: two longs a set
  old.nr = syscalls::by_name("select")->nr;
  old.args[0] = 70;
  old.args[2] = kAddr;
  old.args[4] = kAddr + 0x100;
  old.ret = 1;
  old.payloads.push_back(in_out(2, kAddr, set_of({4, 64, 67}, 16) + set_of({67}, 16)));
  old.payloads.push_back(in_out(4, kAddr + 0x100, time_of(3, 7) + time_of(2, 500)));
  EXPECT_EQ(format_record(old), "select(70, NULL, [4 64 67], NULL, {tv_sec=3, tv_usec=7}) = 1 (out [67], left {tv_sec=2, tv_usec=500})");

  Record pp;  // ppoll's timeout and time left inside poll's result
  pp.nr = syscalls::by_name("ppoll")->nr;
  std::string fds;
  put<int32_t>(fds, 0, 3);
  put<uint16_t>(fds, 4, 0x1);  // POLLIN
  put<uint16_t>(fds, 6, 0x1);
  pp.args[0] = kAddr;
  pp.args[1] = 1;
  pp.args[2] = kAddr + 0x100;
  pp.args[4] = 8;
  pp.ret = 1;
  pp.payloads.push_back(Payload{.arg = 0, .kind = kPayloadStructIn, .truncated = false, .addr = kAddr, .bytes = fds});
  pp.payloads.push_back(in_out(2, kAddr + 0x100, time_of(2, 500) + time_of(1, 999998446)));
  EXPECT_EQ(format_record(pp), "ppoll([{fd=3, events=POLLIN}], 1, {tv_sec=2, tv_nsec=500}, NULL, 8) = 1 "
                               "([{fd=3, revents=POLLIN}], left {tv_sec=1, tv_nsec=999998446})");
}

// strace 6.1's lines for python's select.poll, select.epoll and os.sched_*affinity.
TEST(StructFormat, PollEpollAndCpuSets) {
  std::string fds;
  put<int32_t>(fds, 0, 3);
  put<uint16_t>(fds, 4, 0x3);  // POLLIN|POLLPRI
  put<uint16_t>(fds, 6, 0);
  put<int32_t>(fds, 8, 4);
  put<uint16_t>(fds, 12, 0x4);  // POLLOUT
  put<uint16_t>(fds, 14, 0x4);
  Record poll;
  poll.nr = syscalls::by_name("poll")->nr;
  poll.args[0] = kAddr;
  poll.args[1] = 2;
  poll.ret = 1;
  poll.payloads.push_back(Payload{.arg = 0, .kind = kPayloadStructIn, .truncated = false, .addr = kAddr, .bytes = fds});
  EXPECT_EQ(format_record(poll),
            "poll([{fd=3, events=POLLIN|POLLPRI}, {fd=4, events=POLLOUT}], 2, 0) = 1 ([{fd=4, revents=POLLOUT}])");
  FormatOptions one;
  one.max_string = 1;
  EXPECT_EQ(format_call_text(poll, one), "poll([{fd=3, events=POLLIN|POLLPRI}, ...], 2, 0)");
  poll.ret = 0;
  EXPECT_EQ(format_result(poll), "= 0 (Timeout)");

  std::string event;
  put<uint32_t>(event, 0, 0x80000001u);  // EPOLLIN|EPOLLET
  put<uint64_t>(event, 4, 0x7f8e00000003ull);
  EXPECT_EQ(decode("epoll_ctl", 3, event, 0, kPayloadStructIn), std::nullopt);  // struct_arg_text: not its job
  Record ctl;
  ctl.nr = syscalls::by_name("epoll_ctl")->nr;
  ctl.args[0] = 5;
  ctl.args[1] = 1;
  ctl.args[2] = 3;
  ctl.args[3] = kAddr;
  ctl.payloads.push_back(Payload{.arg = 3, .kind = kPayloadStructIn, .truncated = false, .addr = kAddr, .bytes = event});
  EXPECT_EQ(format_call_text(ctl), "epoll_ctl(5, EPOLL_CTL_ADD, 3, {events=EPOLLIN|EPOLLET, data={u32=3, u64=140247862083587}})");
  Record wait;
  wait.nr = syscalls::by_name("epoll_wait")->nr;
  wait.args[0] = 5;
  wait.args[1] = kAddr;
  wait.args[2] = 1023;
  wait.ret = 0;
  wait.payloads.push_back(Payload{.arg = 1, .kind = kPayloadStructOut, .truncated = false, .addr = kAddr, .bytes = ""});
  EXPECT_EQ(format_call_text(wait), "epoll_wait(5, [], 1023, 0)");

  std::string mask(8, '\0');
  mask[0] = 0x3;
  mask[1] = 0x1;
  EXPECT_EQ(decode("sched_getaffinity", 2, mask, 8), "[0 1 8]");
  Record pkey;
  pkey.nr = syscalls::by_name("pkey_alloc")->nr;
  pkey.args[1] = 1;
  EXPECT_EQ(format_call_text(pkey), "pkey_alloc(0, PKEY_DISABLE_ACCESS)");
}

// strace 6.1's line for statfs("/") on this machine's ext4.
TEST(StructFormat, Statfs) {
  std::string b;
  put<uint64_t>(b, 0, 0xef53);
  const int64_t counts[] = {4096, 66053021, 59810234, 18841510, 16777216, 16312835};
  for (size_t i = 0; i < 6; ++i) put<int64_t>(b, 8 + 8 * i, counts[i]);
  put<uint32_t>(b, 56, 0x9f9dac47);
  put<uint32_t>(b, 60, 0x4613861d);
  put<int64_t>(b, 64, 255);
  put<int64_t>(b, 72, 4096);
  put<uint64_t>(b, 80, 0x1020);  // ST_VALID|ST_RELATIME
  EXPECT_EQ(decode("statfs", 1, b),
            "{f_type=EXT2_SUPER_MAGIC, f_bsize=4096, f_blocks=66053021, f_bfree=59810234, f_bavail=18841510, "
            "f_files=16777216, f_ffree=16312835, f_fsid={val=[0x9f9dac47, 0x4613861d]}, f_namelen=255, "
            "f_frsize=4096, f_flags=ST_VALID|ST_RELATIME}");
  put<uint64_t>(b, 0, 0x12345678);
  put<uint64_t>(b, 80, 0);
  EXPECT_EQ(decode("fstatfs", 1, b)->substr(0, 20), "{f_type=0x12345678, ");
  EXPECT_EQ(decode("fstatfs", 1, b.substr(0, 40)), std::nullopt);
}

// utimensat's times, as strace 6.1 printed them for touch (in UTC).
TEST(StructFormat, UtimensatTimes) {
  setenv("TZ", "UTC", 1);
  tzset();
  std::string t(32, '\0');
  put<int64_t>(t, 0, 1700000000);
  put<int64_t>(t, 8, 500000000);
  put<int64_t>(t, 16, 1700000000);
  put<int64_t>(t, 24, 0);
  EXPECT_EQ(decode("utimensat", 2, t, 0, kPayloadStructIn),
            "[{tv_sec=1700000000, tv_nsec=500000000} /* 2023-11-14T22:13:20.500000000+0000 */, "
            "{tv_sec=1700000000, tv_nsec=0} /* 2023-11-14T22:13:20+0000 */]");
  put<int64_t>(t, 8, (1 << 30) - 1);   // UTIME_NOW
  put<int64_t>(t, 24, (1 << 30) - 2);  // UTIME_OMIT
  EXPECT_EQ(decode("utimensat", 2, t, 0, kPayloadStructIn), "[UTIME_NOW, UTIME_OMIT]");
  EXPECT_EQ(decode("utimensat", 2, std::string(32, '\0'), 0, kPayloadStructIn),
            "[{tv_sec=0, tv_nsec=0}, {tv_sec=0, tv_nsec=0}]");
}

// -v: strace 6.1's line for /etc/hostname (in UTC).
TEST(StructFormat, StatWholeWhenVerbose) {
  setenv("TZ", "UTC", 1);
  tzset();
  std::string st(144, '\0');
  put<uint64_t>(st, 0, 0xfe00);  // makedev(0xfe, 0)
  put<uint64_t>(st, 8, 551);
  put<uint64_t>(st, 16, 1);
  put<uint32_t>(st, 24, 0100644);
  put<int64_t>(st, 48, 41747);
  put<int64_t>(st, 56, 4096);
  put<int64_t>(st, 64, 88);
  put<int64_t>(st, 72, 1795728001);
  put<int64_t>(st, 80, 203093107);
  put<int64_t>(st, 88, 1777320873);
  put<int64_t>(st, 104, 1777320873);
  Record r;
  r.nr = syscalls::by_name("newfstatat")->nr;
  r.args[2] = kAddr;
  r.payloads.push_back(Payload{.arg = 2, .kind = kPayloadStructOut, .truncated = false, .addr = kAddr, .bytes = st});
  EXPECT_EQ(struct_arg_text(r, 2, kAddr, syscalls::StringStyle::kEscaped, true),
            "{st_dev=makedev(0xfe, 0), st_ino=551, st_mode=S_IFREG|0644, st_nlink=1, st_uid=0, st_gid=0, "
            "st_blksize=4096, st_blocks=88, st_size=41747, st_atime=1795728001 /* 2026-11-26T21:20:01.203093107+0000 */, "
            "st_atime_nsec=203093107, st_mtime=1777320873 /* 2026-04-27T20:14:33+0000 */, st_mtime_nsec=0, "
            "st_ctime=1777320873 /* 2026-04-27T20:14:33+0000 */, st_ctime_nsec=0}");
  EXPECT_EQ(struct_arg_text(r, 2, kAddr), "{st_mode=S_IFREG|0644, st_size=41747, ...}");  // without -v
}

// Terminal ioctls as strace 6.1 printed them for ls and python's tty module
// (but c_iflag=0 as "0", where strace prints nothing after the "=").
TEST(StructFormat, TerminalIoctls) {
  auto ioctl_arg = [](uint32_t request, std::string bytes) {
    Record r;
    r.nr = syscalls::by_name("ioctl")->nr;
    r.args[1] = request;
    r.args[2] = kAddr;
    r.payloads.push_back(Payload{.arg = 2, .kind = kPayloadStructOut, .truncated = false, .addr = kAddr, .bytes = bytes});
    return struct_arg_text(r, 2, kAddr);
  };
  std::string termios(36, '\0');
  put<uint32_t>(termios, 0, 02400);     // ICRNL|IXON
  put<uint32_t>(termios, 4, 05);        // OPOST|ONLCR
  put<uint32_t>(termios, 8, 0277);      // B38400|CS8|CREAD
  put<uint32_t>(termios, 12, 0105073);  // ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE
  EXPECT_EQ(ioctl_arg(0x5401, termios),
            "{c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, c_cflag=B38400|CS8|CREAD, "
            "c_lflag=ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE, ...}");
  put<uint32_t>(termios, 0, 0);
  put<uint32_t>(termios, 8, 0277 | (015u << 16));  // and an input speed of B9600
  EXPECT_EQ(ioctl_arg(0x5402, termios)->substr(0, 75),
            "{c_iflag=0, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, c_cflag=B38400|CS");
  EXPECT_NE(ioctl_arg(0x5402, termios)->find("CREAD|B9600<<IBSHIFT"), std::string::npos);
  std::string winsize;
  put<uint16_t>(winsize, 0, 24);
  put<uint16_t>(winsize, 2, 80);
  put<uint16_t>(winsize, 4, 0);
  put<uint16_t>(winsize, 6, 0);
  EXPECT_EQ(ioctl_arg(0x5413, winsize), "{ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}");
  EXPECT_EQ(ioctl_arg(0x541b, winsize), std::nullopt);  // FIONREAD: not decoded
}

TEST(StructFormat, Stat) {
  std::string st(144, '\0');
  put<uint32_t>(st, 24, 0100644);
  put<int64_t>(st, 48, 41747);
  EXPECT_EQ(decode("newfstatat", 2, st), "{st_mode=S_IFREG|0644, st_size=41747, ...}");
  put<uint32_t>(st, 24, 0020666);
  put<uint64_t>(st, 40, (1u << 8) | 3);  // makedev(1, 3)
  EXPECT_EQ(decode("stat", 1, st), "{st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}");
  put<uint32_t>(st, 24, 0120777);
  put<int64_t>(st, 48, 7);
  EXPECT_EQ(decode("lstat", 1, st), "{st_mode=S_IFLNK|0777, st_size=7, ...}");
  // Set-id and sticky bits by name, as strace 6 shows /tmp and /usr/bin/passwd.
  put<uint32_t>(st, 24, 041777);
  EXPECT_EQ(decode("stat", 1, st), "{st_mode=S_IFDIR|S_ISVTX|0777, st_size=7, ...}");
  put<uint32_t>(st, 24, 0106755);
  EXPECT_EQ(decode("stat", 1, st), "{st_mode=S_IFREG|S_ISUID|S_ISGID|0755, st_size=7, ...}");
  EXPECT_EQ(decode("fstat", 1, std::string(10, '\0')), std::nullopt);  // not a whole struct
}

TEST(StructFormat, Statx) {
  std::string stx(256, '\0');
  put<uint32_t>(stx, 0, 0x17ff);  // STATX_BASIC_STATS|STATX_MNT_ID
  put<uint16_t>(stx, 28, 0100755);
  put<uint64_t>(stx, 40, 3);
  EXPECT_EQ(decode("statx", 4, stx),
            "{stx_mask=STATX_BASIC_STATS|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFREG|0755, stx_size=3, ...}");
}

TEST(StructFormat, SignalSetsAndActions) {
  EXPECT_EQ(format_sigset(0), "[]");
  EXPECT_EQ(format_sigset((1u << (1 - 1)) | (1u << (12 - 1))), "[HUP USR2]");
  // glibc's sigfillset leaves out 32 and 33 (its own real-time signals).
  EXPECT_EQ(format_sigset(~((uint64_t{1} << 31) | (uint64_t{1} << 32))), "~[RTMIN RT_1]");
  std::string act(32, '\0');
  put<uint64_t>(act, 0, 0x56229e1512e9);
  put<uint64_t>(act, 8, 0x04000000 | 0x08000000 | 0x10000000 | 0x40000000);
  put<uint64_t>(act, 16, 0x7fc544bea050);
  put<uint64_t>(act, 24, (1u << (2 - 1)) | (1u << (15 - 1)) | (uint64_t{1} << (36 - 1)));
  EXPECT_EQ(decode("rt_sigaction", 1, act, 0, kPayloadStructIn),
            "{sa_handler=0x56229e1512e9, sa_mask=[INT TERM RT_4], "
            "sa_flags=SA_RESTORER|SA_ONSTACK|SA_RESTART|SA_NODEFER, sa_restorer=0x7fc544bea050}");
  std::string dfl(32, '\0');
  EXPECT_EQ(decode("rt_sigaction", 2, dfl), "{sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}");
  put<uint64_t>(dfl, 0, 1);
  put<uint64_t>(dfl, 8, 0xffffffff84000005);  // glibc sign-extends SA_RESETHAND
  EXPECT_EQ(decode("rt_sigaction", 2, dfl),
            "{sa_handler=SIG_IGN, sa_mask=[], sa_flags=SA_RESTORER|SA_RESETHAND|SA_SIGINFO|SA_NOCLDSTOP|"
            "0xffffffff00000000, sa_restorer=NULL}");
  std::string set;
  put<uint64_t>(set, 0, (1u << (1 - 1)) | (1u << (12 - 1)));
  EXPECT_EQ(decode("rt_sigprocmask", 2, set), "[HUP USR2]");
}

TEST(StructFormat, LimitsTimesPipesNames) {
  std::string rl;
  put<uint64_t>(rl, 0, 8192 * 1024);
  put<uint64_t>(rl, 8, ~uint64_t{0});
  EXPECT_EQ(decode("prlimit64", 3, rl), "{rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}");
  put<uint64_t>(rl, 0, 20000);
  put<uint64_t>(rl, 8, 0);
  EXPECT_EQ(decode("getrlimit", 1, rl), "{rlim_cur=20000, rlim_max=0}");
  std::string ts;
  put<int64_t>(ts, 0, 0);
  put<int64_t>(ts, 8, 1000);
  EXPECT_EQ(decode("clock_nanosleep", 2, ts, 0, kPayloadStructIn), "{tv_sec=0, tv_nsec=1000}");
  std::string fds;
  put<int32_t>(fds, 0, 3);
  put<int32_t>(fds, 4, 4);
  EXPECT_EQ(decode("pipe2", 0, fds), "[3, 4]");
  std::string uts(6 * 65, '\0');
  std::memcpy(uts.data(), "Linux", 5);
  std::memcpy(uts.data() + 65, "vm", 2);
  EXPECT_EQ(decode("uname", 0, uts), "{sysname=\"Linux\", nodename=\"vm\", ...}");
}

TEST(StructFormat, WaitStatus) {
  auto status = [](uint32_t s) {
    std::string b;
    put<uint32_t>(b, 0, s);
    return decode("wait4", 1, b, 42);
  };
  EXPECT_EQ(status(3 << 8), "[{WIFEXITED(s) && WEXITSTATUS(s) == 3}]");
  EXPECT_EQ(status(9), "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}]");
  EXPECT_EQ(status(11 | 0x80), "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}]");
  EXPECT_EQ(status((19 << 8) | 0x7f), "[{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}]");
  EXPECT_EQ(status(0xffff), "[{WIFCONTINUED(s)}]");
}

TEST(StructFormat, SocketAddresses) {
  std::string un;
  put<uint16_t>(un, 0, AF_UNIX);
  un += "/var/run/nscd/socket";
  un.resize(110, '\0');
  EXPECT_EQ(decode("connect", 1, un, -2, kPayloadStructIn), "{sa_family=AF_UNIX, sun_path=\"/var/run/nscd/socket\"}");
  std::string abstract;
  put<uint16_t>(abstract, 0, AF_UNIX);
  abstract += std::string("\0abstract", 9);
  EXPECT_EQ(decode("connect", 1, abstract, -111, kPayloadStructIn), "{sa_family=AF_UNIX, sun_path=@\"abstract\"}");
  std::string in(16, '\0');
  put<uint16_t>(in, 0, AF_INET);
  put<uint16_t>(in, 2, htons(9));
  put<uint32_t>(in, 4, inet_addr("127.0.0.1"));
  EXPECT_EQ(decode("bind", 1, in, 0, kPayloadStructIn),
            "{sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr(\"127.0.0.1\")}");
  std::string in6(28, '\0');
  put<uint16_t>(in6, 0, AF_INET6);
  put<uint16_t>(in6, 2, htons(443));
  in6[23] = 1;  // ::1
  EXPECT_EQ(decode("connect", 1, in6, 0, kPayloadStructIn),
            "{sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"::1\", "
            "&sin6_addr), sin6_scope_id=0}");
  std::string netlink(12, '\0');
  put<uint16_t>(netlink, 0, 16);
  put<uint32_t>(netlink, 4, 4242);
  put<uint32_t>(netlink, 8, 0x11);
  EXPECT_EQ(decode("bind", 1, netlink, 0, kPayloadStructIn), "{sa_family=AF_NETLINK, nl_pid=4242, nl_groups=00000011}");
  put<uint16_t>(netlink, 2, 0xfdae);  // garbage in the pad: strace shows it
  EXPECT_EQ(decode("bind", 1, netlink, 0, kPayloadStructIn),
            "{sa_family=AF_NETLINK, nl_pad=0xfdae, nl_pid=4242, nl_groups=00000011}");
  std::string packet(12, '\0');
  put<uint16_t>(packet, 0, 17);  // AF_PACKET: not decoded, the address
  EXPECT_EQ(decode("bind", 1, packet, 0, kPayloadStructIn), std::nullopt);
}

TEST(StructFormat, ExecArgvAndEnvironmentSize) {
  auto argv = [](std::string bytes, bool truncated) {
    Record r;
    r.kind = kRecordSyscallEnter;
    r.nr = syscalls::by_name("execve")->nr;
    r.args[1] = kAddr;
    r.payloads.push_back(
        Payload{.arg = 1, .kind = kPayloadStringArray, .truncated = truncated, .addr = kAddr, .bytes = std::move(bytes)});
    return struct_arg_text(r, 1, kAddr);
  };
  EXPECT_EQ(argv(std::string("\0ls\0\0-l\0", 8), false), "[\"ls\", \"-l\"]");
  EXPECT_EQ(argv(std::string("\0env\0\1aaaa\0", 11), true), "[\"env\", \"aaaa\"..., ...]");  // cut string, cut array
  EXPECT_EQ(argv("", false), "[]");
  EXPECT_EQ(argv(std::string("\0unterminated", 13), false), std::nullopt);
  Record e;
  e.nr = syscalls::by_name("execveat")->nr;
  e.args[3] = kAddr;
  std::string count(8, '\0');
  count[0] = 37;
  e.payloads.push_back(Payload{.arg = 3, .kind = kPayloadArrayCount, .truncated = false, .addr = kAddr, .bytes = count});
  EXPECT_EQ(struct_arg_text(e, 3, kAddr), "0x7ffc1000 /* 37 vars */");
  e.payloads[0].bytes[0] = 1;
  EXPECT_EQ(struct_arg_text(e, 3, kAddr), "0x7ffc1000 /* 1 var */");
}

TEST(StructFormat, OnlyTheArgumentsAddressAndKind) {
  std::string fds(8, '\0');
  Record r;
  r.nr = syscalls::by_name("pipe2")->nr;
  r.args[0] = kAddr;
  r.payloads.push_back(Payload{.arg = 0, .kind = kPayloadDataOut, .truncated = false, .addr = kAddr, .bytes = fds});
  EXPECT_EQ(struct_arg_text(r, 0, kAddr), std::nullopt);
  r.payloads[0].kind = kPayloadStructOut;
  EXPECT_EQ(struct_arg_text(r, 0, kAddr + 8), std::nullopt);
  EXPECT_EQ(struct_arg_text(r, 0, kAddr), "[0, 0]");
}

// append_struct_arg adds the struct to a line, or leaves the line as it was
// when it cannot decode it (even after starting to: an argv without its NUL).
TEST(StructFormat, AppendStructArgAddsOrLeavesTheLineAlone) {
  Record r;
  r.nr = syscalls::by_name("execve")->nr;
  r.args[1] = kAddr;
  r.payloads.push_back(Payload{.arg = 1, .kind = kPayloadStringArray, .truncated = false, .addr = kAddr,
                               .bytes = std::string("\0ls\0\0-l\0", 8)});
  std::string line = "execve(\"/bin/ls\", ";
  EXPECT_TRUE(append_struct_arg(line, r, 1, kAddr));
  EXPECT_EQ(line, "execve(\"/bin/ls\", [\"ls\", \"-l\"]");
  r.payloads[0].bytes = std::string("\0ls\0\0-l", 7);
  line = "execve(\"/bin/ls\", ";
  EXPECT_FALSE(append_struct_arg(line, r, 1, kAddr));
  EXPECT_EQ(line, "execve(\"/bin/ls\", ");
  EXPECT_FALSE(append_struct_arg(line, r, 2, kAddr));  // no payload for that argument

  std::string sigset = "mask=";
  append_sigset(sigset, (uint64_t{1} << 1) | (uint64_t{1} << 14));
  EXPECT_EQ(sigset, "mask=[INT TERM]");
  EXPECT_EQ(format_sigset(~uint64_t{0}), "~[]");
}

// struct sysinfo, every field, as strace 6 prints python3's call.
TEST(StructFormat, Sysinfo) {
  std::string si(112, '\0');
  put<int64_t>(si, 0, 41605);
  put<uint64_t>(si, 8, 80320);
  put<uint64_t>(si, 16, 68640);
  put<uint64_t>(si, 24, 70720);
  put<uint64_t>(si, 32, 25276063744);
  put<uint64_t>(si, 40, 21882458112);
  put<uint64_t>(si, 48, 9166848);
  put<uint64_t>(si, 56, 42287104);
  put<uint16_t>(si, 80, 80);
  put<uint32_t>(si, 104, 1);
  EXPECT_EQ(decode("sysinfo", 0, si),
            "{uptime=41605, loads=[80320, 68640, 70720], totalram=25276063744, freeram=21882458112, "
            "sharedram=9166848, bufferram=42287104, totalswap=0, freeswap=0, procs=80, totalhigh=0, freehigh=0, "
            "mem_unit=1}");
  EXPECT_EQ(decode("sysinfo", 0, std::string(64, '\0')), std::nullopt);
}

// getgroups(0, list) = 0: nothing written, shown as strace shows it.
TEST(StructFormat, EmptyGroupList) {
  Record r;
  r.kind = kRecordSyscall;
  r.nr = syscalls::by_name("getgroups")->nr;
  r.args[1] = kAddr;
  r.ret = 0;
  EXPECT_EQ(struct_arg_text(r, 1, kAddr), "[]");
  r.ret = 2;  // two groups, not copied: the address
  EXPECT_EQ(struct_arg_text(r, 1, kAddr), std::nullopt);
}

// strace -X raw and verbose inside structs, as strace 6.1 printed them for
// tests/integration/programs/structs.c.
TEST(StructFormat, ConstStylesAsStraceXPrintsThem) {
  auto styled = [](const char* name, int index, std::string bytes, syscalls::ConstStyle style,
                   PayloadKind kind = kPayloadStructOut) {
    Record r;
    r.nr = syscalls::by_name(name)->nr;
    r.args[index] = kAddr;
    r.payloads.push_back(Payload{.arg = index, .kind = kind, .truncated = false, .addr = kAddr, .bytes = std::move(bytes)});
    return struct_arg_text(r, index, kAddr, syscalls::StringStyle::kEscaped, false, style).value_or("(none)");
  };
  constexpr auto kRaw = syscalls::ConstStyle::kRaw;
  constexpr auto kVerbose = syscalls::ConstStyle::kVerbose;
  std::string st(56, '\0');
  put<uint32_t>(st, 24, 020666);
  put<uint64_t>(st, 40, 0x103);
  EXPECT_EQ(styled("newfstatat", 2, st, kRaw), "{st_mode=020666, st_rdev=0x103, ...}");
  EXPECT_EQ(styled("newfstatat", 2, st, kVerbose),
            "{st_mode=020666 /* S_IFCHR|0666 */, st_rdev=0x103 /* makedev(0x1, 0x3) */, ...}");
  put<uint32_t>(st, 24, 041777);
  EXPECT_EQ(styled("newfstatat", 2, st, kVerbose), "{st_mode=041777 /* S_IFDIR|S_ISVTX|0777 */, st_size=0, ...}");

  std::string act(32, '\0');
  put<uint64_t>(act, 0, 0x56229e1512e9);
  put<uint64_t>(act, 8, 0xffffffff84000004);
  put<uint64_t>(act, 16, 0x7fc544bea050);
  put<uint64_t>(act, 24, ~((uint64_t{1} << 31) | (uint64_t{1} << 32)));
  EXPECT_EQ(styled("rt_sigaction", 1, act, kRaw, kPayloadStructIn),
            "{sa_handler=0x56229e1512e9, sa_mask=~[32 33], sa_flags=0xffffffff84000004, sa_restorer=0x7fc544bea050}");
  EXPECT_EQ(styled("rt_sigaction", 1, act, kVerbose, kPayloadStructIn),
            "{sa_handler=0x56229e1512e9, sa_mask=~[32 /* RTMIN */ 33 /* RT_1 */], sa_flags=0xffffffff84000004 /* "
            "SA_RESTORER|SA_RESETHAND|SA_SIGINFO|0xffffffff00000000 */, sa_restorer=0x7fc544bea050}");
  std::string dfl(32, '\0');
  EXPECT_EQ(styled("rt_sigaction", 2, dfl, kVerbose), "{sa_handler=0 /* SIG_DFL */, sa_mask=[], sa_flags=0}");
  put<uint64_t>(dfl, 0, 1);
  EXPECT_EQ(styled("rt_sigaction", 2, dfl, kRaw), "{sa_handler=0x1, sa_mask=[], sa_flags=0}");
  EXPECT_EQ(format_sigset((1u << (1 - 1)) | (1u << (12 - 1)), kVerbose), "[1 /* HUP */ 12 /* USR2 */]");

  std::string times(32, '\0');  // utimensat's UTIME_NOW and UTIME_OMIT: the numbers
  put<int64_t>(times, 8, (1 << 30) - 1);
  put<int64_t>(times, 24, (1 << 30) - 2);
  EXPECT_EQ(styled("utimensat", 2, times, kRaw, kPayloadStructIn),
            "[{tv_sec=0, tv_nsec=1073741823}, {tv_sec=0, tv_nsec=1073741822}]");
  EXPECT_EQ(styled("utimensat", 2, times, kVerbose, kPayloadStructIn),
            "[{tv_sec=0, tv_nsec=1073741823} /* UTIME_NOW */, {tv_sec=0, tv_nsec=1073741822} /* UTIME_OMIT */]");

  std::string limit;
  put<uint64_t>(limit, 0, 8192 * 1024);
  put<uint64_t>(limit, 8, ~uint64_t{0});
  EXPECT_EQ(styled("prlimit64", 3, limit, kRaw), "{rlim_cur=8388608, rlim_max=18446744073709551615}");
  EXPECT_EQ(styled("prlimit64", 3, limit, kVerbose),
            "{rlim_cur=8388608 /* 8192*1024 */, rlim_max=18446744073709551615 /* RLIM64_INFINITY */}");

  std::string in(16, '\0');
  put<uint16_t>(in, 0, AF_INET);
  put<uint16_t>(in, 2, htons(9));
  put<uint32_t>(in, 4, htonl(0x7f000001));
  EXPECT_EQ(styled("connect", 1, in, kRaw, kPayloadStructIn),
            "{sa_family=0x2, sin_port=\"\\x00\\x09\", sin_addr=\"\\x7f\\x00\\x00\\x01\"}");
  EXPECT_EQ(styled("connect", 1, in, kVerbose, kPayloadStructIn),
            "{sa_family=0x2 /* AF_INET */, sin_port=\"\\x00\\x09\" /* htons(9) */, "
            "sin_addr=\"\\x7f\\x00\\x00\\x01\" /* inet_addr(\"127.0.0.1\") */}");

  std::string caps(24, '\0');
  put<uint32_t>(caps, 0, 0x21);           // CAP_CHOWN, CAP_KILL
  put<uint32_t>(caps, 12, 0x1);           // CAP_MAC_OVERRIDE
  EXPECT_EQ(styled("capget", 1, caps, kRaw), "{effective=0x21|0x1, permitted=0, inheritable=0}");
  EXPECT_EQ(styled("capget", 1, caps, kVerbose),
            "{effective=0x21 /* 1<<CAP_CHOWN|1<<CAP_KILL */|0x1 /* 1<<CAP_MAC_OVERRIDE */, permitted=0, inheritable=0}");
}

}  // namespace
}  // namespace sysgate::trace
