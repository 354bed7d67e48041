#include "gate/struct_payloads.h"

#include <asm/unistd.h>

#include "gate/app_memory.h"
#include "gate/util.h"
#include "trace/ring_format.h"

namespace sysgate::gate {
namespace {

// x86-64 sizes of the kernel's structures.
// struct stat (144 bytes) and struct statx (256): only the prefix holding what
// the trace prints, as strace prints them without -v -- st_mode (at 24),
// st_rdev (40), st_size (48); stx_mask (0), stx_attributes (8), stx_mode (28),
// stx_size (40). The rest would be copied into the ring and read by the monitor
// for nothing: newfstatat is three calls in four of tar's.
constexpr uint32_t kStat = 56;
constexpr uint32_t kStatx = 48;
constexpr uint32_t kSigaction = 32;    // the kernel's struct sigaction (handler, flags, restorer, mask)
constexpr uint32_t kSigset = 8;        // kernel_sigset_t
constexpr uint32_t kRlimit = 16;       // struct rlimit64
constexpr uint32_t kTimespec = 16;     // struct __kernel_timespec
constexpr uint32_t kFdPair = 8;        // int[2]
constexpr uint32_t kUtsname = 6 * 65;  // struct new_utsname
constexpr uint32_t kSysinfo = 112;     // struct sysinfo
constexpr uint32_t kWaitStatus = 4;    // int
constexpr uint32_t kMaxSockaddr = 128; // struct sockaddr_storage
constexpr uint32_t kTaskName = 16;     // TASK_COMM_LEN: prctl's PR_SET_NAME / PR_GET_NAME
constexpr uint32_t kCapHeader = 8;     // struct __user_cap_header_struct {version, pid}
constexpr uint32_t kCapData = 12;      // struct __user_cap_data_struct: one for version 1, two after
constexpr uint32_t kCapVersion1 = 0x19980330;
constexpr uint32_t kEpollEvent = 12;      // struct epoll_event, packed on x86-64
constexpr uint32_t kMaxEpollEvents = 42;  // of an epoll_wait's result: within kMaxStructBytes
constexpr uint32_t kPollfd = 8;           // struct pollfd
constexpr uint32_t kMaxPollfds = 64;
constexpr uint32_t kMaxCpuMask = 512;     // sched_{get,set}affinity's mask: 4096 CPUs
constexpr uint64_t kEpollCtlAdd = 1, kEpollCtlMod = 3;
constexpr uint32_t kFlock = 32;  // struct flock
constexpr uint32_t kStatfs = 88;
constexpr uint32_t kStack = 24;  // stack_t {ss_sp, ss_flags, ss_size}
constexpr uint32_t kItimerval = 32;  // struct itimerval: two timevals
constexpr uint32_t kItimerspec = 32;  // struct itimerspec: two timespecs
constexpr uint32_t kRusageTimes = 32;  // struct rusage's ru_utime and ru_stime (what strace shows)
constexpr uint32_t kTms = 32;          // struct tms: four clock_t
constexpr uint32_t kSiginfoShown = 48;  // a siginfo's fields strace shows (signal_format.h)
constexpr uint32_t kSigevent = 32;    // struct sigevent's value, signo, notify, thread id or function and attributes
constexpr uint32_t kMaxSockoptValue = 16;
constexpr uint32_t kTcgets = 0x5401, kTcsets = 0x5402, kTcsetsw = 0x5403, kTcsetsf = 0x5404;
constexpr uint32_t kTiocgwinsz = 0x5413, kTiocswinsz = 0x5414;
// ioctls that pass one int by pointer, which strace shows as [N] (<asm/ioctls.h>).
constexpr uint32_t kFionread = 0x541B, kTiocoutq = 0x5411, kTiocgpgrp = 0x540F, kTiocgptn = 0x80045430;
constexpr uint32_t kTiocspgrp = 0x5410, kTiocsptlck = 0x40045431, kFionbio = 0x5421, kFioasync = 0x5452;
constexpr uint32_t kFsIocGetflags = 0x80086601, kFsIocSetflags = 0x40086602;  // an int, the inode's FS_*_FL
constexpr uint32_t kInt = 4;
constexpr uint32_t kOpenHow = 24;  // struct open_how
constexpr uint32_t kTermios = 36, kWinsize = 8;  // the kernel's struct termios, struct winsize  // the ints and small structs strace decodes  // struct statfs up to f_flags (of 120): what strace prints
constexpr uint64_t kCloneParentSettid = 0x00100000, kClonePidfd = 0x00001000;
constexpr uint32_t kCloneArgsV0 = 64, kCloneArgs = 88;  // struct clone_args: first version, and with cgroup
// fcntl's lock commands: F_GETLK, F_SETLK, F_SETLKW and their OFD twins.
constexpr uint64_t kFGetlk = 5, kFSetlk = 6, kFSetlkw = 7, kFOfdGetlk = 36, kFOfdSetlk = 37, kFOfdSetlkw = 38;

// prctl's options whose second argument points at something strace shows
// (syscalls/prctl_format.h): <linux/prctl.h>'s numbers.
constexpr uint64_t kPrGetPdeathsig = 2, kPrSetName = 15, kPrGetName = 16, kPrGetChildSubreaper = 37,
                   kPrGetTidAddress = 40;

// seccomp's third argument, and prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER)'s
// (syscalls/seccomp_format.h): <linux/seccomp.h>'s and <linux/prctl.h>'s numbers.
constexpr uint64_t kSeccompSetModeFilter = 1, kSeccompGetActionAvail = 2, kSeccompGetNotifSizes = 3;
constexpr uint64_t kPrSetSeccomp = 22, kSeccompModeFilter = 2;
constexpr uint32_t kSockFprog = 16;   // struct sock_fprog: its length (u16) and the instructions' address
constexpr uint32_t kNotifSizes = 6;   // struct seccomp_notif_sizes: three u16
constexpr uint32_t kSeccompAction = 4;  // GET_ACTION_AVAIL's u32

bool set(StructPayload* out, uint32_t bytes, uint8_t kind) {
  out->bytes = bytes;
  out->kind = kind;
  return true;
}

// A NUMA node mask of maxnode - 1 bits, as the kernel reads it (get_nodes):
// whole longs, at most kMaxNodeMaskLongs of them (strace shows as many as -s
// elements). 0 when there is none.
constexpr uint64_t kMaxNodeMaskLongs = 32;
uint32_t node_mask_bytes(uint64_t maxnode) {
  if (maxnode < 2) return 0;
  const uint64_t longs = (maxnode - 1 + 63) / 64;
  return static_cast<uint32_t>(8 * (longs < kMaxNodeMaskLongs ? longs : kMaxNodeMaskLongs));
}

bool node_mask(uint64_t maxnode, uint8_t kind, StructPayload* out) {
  const uint32_t bytes = node_mask_bytes(maxnode);
  return bytes != 0 && set(out, bytes, kind);
}

bool prctl_payload(uint64_t option, StructPayload* out) {
  switch (static_cast<uint32_t>(option)) {
    case kPrSetName: return set(out, kTaskName, trace::kPayloadStructIn);
    case kPrGetName: return set(out, kTaskName, trace::kPayloadStructOut);
    case kPrGetPdeathsig:
    case kPrGetChildSubreaper: return set(out, 4, trace::kPayloadStructOut);
    case kPrGetTidAddress: return set(out, 8, trace::kPayloadStructOut);
    default: return false;
  }
}

// What seccomp's op reads (a filter's sock_fprog, the action asked about:
// copied whatever the call returned, as strace reads them before it) or
// writes (the notification sizes, only if it worked).
bool seccomp_payload(uint64_t op, StructPayload* out) {
  switch (static_cast<uint32_t>(op)) {
    case kSeccompSetModeFilter: return set(out, kSockFprog, trace::kPayloadStructIn);
    case kSeccompGetActionAvail: return set(out, kSeccompAction, trace::kPayloadStructIn);
    case kSeccompGetNotifSizes: return set(out, kNotifSizes, trace::kPayloadStructOut);
    default: return false;
  }
}

// capget/capset's data: one struct for _LINUX_CAPABILITY_VERSION_1, two for
// the later versions (the kernel reads or writes no more); the version from
// the header, which the kernel read too. 0 when the header is unreadable.
uint32_t cap_data_bytes(uint64_t header) {
  if (!app_probe_read(header, 4)) return 0;
  uint32_t version;
  copy_bytes(&version, reinterpret_cast<const void*>(header), 4);
  return version == kCapVersion1 ? kCapData : 2 * kCapData;
}

// The futex commands whose fourth argument is a timeout (the others pass a
// count there): FUTEX_WAIT, LOCK_PI, WAIT_BITSET, WAIT_REQUEUE_PI, LOCK_PI2.
bool futex_takes_timeout(uint64_t op) {
  switch (op & 0x7f) {  // FUTEX_CMD_MASK: without PRIVATE and CLOCK_REALTIME
    case 0: case 6: case 9: case 11: case 13:
      return true;
    default:
      return false;
  }
}

uint32_t min32(uint64_t a, uint32_t b) { return a < b ? static_cast<uint32_t>(a) : b; }

// The address a successful getsockname, getpeername, accept, accept4 or
// recvfrom wrote (argument addr_index), as long as the length it wrote back
// says (argument len_index: that u32 itself, after the call, is copied too).
// The kernel just wrote the length; the address only up to the buffer's size,
// which the length written back may exceed (a truncated address): probed.
bool socket_address_out(int addr_index, int len_index, int i, const uint64_t args[6], long ret, StructPayload* out) {
  if (ret < 0 || args[addr_index] == 0 || args[len_index] == 0) return false;
  if (i == len_index) return set(out, 4, trace::kPayloadStructOut);
  if (i != addr_index) return false;
  uint32_t len;
  copy_bytes(&len, reinterpret_cast<const void*>(args[len_index]), 4);
  const uint32_t bytes = min32(len, kMaxSockaddr);
  return (bytes == 0 || app_probe_read(args[addr_index], bytes)) && set(out, bytes, trace::kPayloadStructOut);
}

}  // namespace

uint32_t verbose_struct_bytes(long nr, uint32_t bytes) {
  constexpr uint32_t kWholeStat = 144;
  constexpr uint32_t kWholeRusage = 144;
  constexpr uint32_t kStatxPrinted = 152;  // up to stx_mnt_id, what strace -v prints
  switch (nr) {
    case __NR_stat: case __NR_fstat: case __NR_lstat: case __NR_newfstatat:
      return bytes == kStat ? kWholeStat : bytes;
    case __NR_statx:
      return bytes == kStatx ? kStatxPrinted : bytes;
    case __NR_getrusage:
      return bytes == kRusageTimes ? kWholeRusage : bytes;
    default:
      return bytes;
  }
}

bool has_struct_payloads(long nr) {
  switch (nr) {
    case __NR_stat: case __NR_fstat: case __NR_lstat: case __NR_newfstatat: case __NR_statx:
    case __NR_rt_sigaction: case __NR_rt_sigprocmask: case __NR_rt_sigsuspend: case __NR_rt_sigpending:
    case __NR_rt_sigreturn: case __NR_rt_sigtimedwait:
    case __NR_getrlimit: case __NR_setrlimit: case __NR_getgroups: case __NR_setgroups:
    case __NR_prlimit64: case __NR_pipe: case __NR_pipe2: case __NR_socketpair: case __NR_nanosleep: case __NR_clock_nanosleep:
    case __NR_clock_gettime: case __NR_uname: case __NR_sysinfo: case __NR_wait4: case __NR_connect: case __NR_bind:
    case __NR_futex: case __NR_prctl: case __NR_capget: case __NR_capset:
    case __NR_poll: case __NR_ppoll: case __NR_epoll_ctl: case __NR_epoll_wait: case __NR_epoll_pwait:
    case __NR_epoll_pwait2: case __NR_sched_getaffinity: case __NR_sched_setaffinity: case __NR_fcntl:
    case __NR_clone: case __NR_clone3: case __NR_statfs: case __NR_fstatfs:
    case __NR_getsockname: case __NR_getpeername: case __NR_accept: case __NR_accept4: case __NR_recvfrom: case __NR_sendto:
    case __NR_setsockopt: case __NR_getsockopt: case __NR_utimensat: case __NR_ioctl: case __NR_sigaltstack:
    case __NR_getitimer: case __NR_setitimer: case __NR_mq_notify: case __NR_get_mempolicy: case __NR_set_mempolicy: case __NR_mbind:
    case __NR_timer_create: case __NR_timer_settime: case __NR_timer_gettime:
    case __NR_timerfd_settime: case __NR_timerfd_gettime:
    case __NR_getrusage: case __NR_times: case __NR_getresuid: case __NR_getresgid: case __NR_waitid:
    case __NR_rt_sigqueueinfo: case __NR_rt_tgsigqueueinfo: case __NR_pidfd_send_signal: case __NR_seccomp:
    case __NR_signalfd: case __NR_signalfd4: case __NR_getcpu: case __NR_get_robust_list: case __NR_openat2:
      return true;
    default:
      return false;
  }
}

bool struct_payload(long nr, int i, const uint64_t args[6], long ret, StructPayload* out) {
  constexpr uint8_t in = trace::kPayloadStructIn;
  constexpr uint8_t written = trace::kPayloadStructOut;
  switch (nr) {
    case __NR_stat:
    case __NR_fstat:
    case __NR_lstat:
      return i == 1 && set(out, kStat, written);
    case __NR_newfstatat:
      return i == 2 && set(out, kStat, written);
    case __NR_statx:
      return i == 4 && set(out, kStatx, written);
    case __NR_rt_sigaction:
      if (args[3] != kSigset) return false;  // the kernel refuses other sizes before reading
      return (i == 1 && set(out, kSigaction, in)) || (i == 2 && set(out, kSigaction, written));
    case __NR_rt_sigprocmask:
      if (args[3] != kSigset) return false;
      return (i == 1 && set(out, kSigset, in)) || (i == 2 && set(out, kSigset, written));
    case __NR_rt_sigsuspend:
      return i == 0 && args[1] == kSigset && set(out, kSigset, in);
    case __NR_rt_sigreturn:  // the gate's own record: argument 0 is the mask the frame restores
      return i == 0 && set(out, kSigset, in);
    case __NR_get_mempolicy:  // the mode (an int), the node mask of maxnode bits
      return (i == 0 && set(out, 4, written)) || (i == 1 && node_mask(args[2], written, out));
    case __NR_set_mempolicy:
      return i == 1 && node_mask(args[2], in, out);
    case __NR_mbind:
      return i == 3 && node_mask(args[4], in, out);
    case __NR_rt_sigpending:
      return i == 0 && args[1] == kSigset && set(out, kSigset, written);
    case __NR_rt_sigtimedwait:  // the set waited for, the siginfo of the signal taken, the timeout
      if (args[3] != kSigset) return false;  // the kernel refuses other sizes before reading
      return (i == 0 && set(out, kSigset, in)) || (i == 1 && ret > 0 && set(out, kSiginfoShown, written)) ||
             (i == 2 && set(out, kTimespec, in));
    case __NR_getrlimit:
      return i == 1 && set(out, kRlimit, written);
    case __NR_setrlimit:
      return i == 1 && set(out, kRlimit, in);
    case __NR_prlimit64:
      return (i == 2 && set(out, kRlimit, in)) || (i == 3 && set(out, kRlimit, written));
    case __NR_pipe:
    case __NR_pipe2:
      return i == 0 && set(out, kFdPair, written);
    case __NR_socketpair:
      return i == 3 && set(out, kFdPair, written);
    case __NR_nanosleep:
      return i == 0 && set(out, kTimespec, in);
    case __NR_clock_nanosleep:
      return i == 2 && set(out, kTimespec, in);
    case __NR_clock_gettime:
      return i == 1 && set(out, kTimespec, written);
    case __NR_futex:
      return i == 3 && futex_takes_timeout(args[1]) && set(out, kTimespec, in);
    case __NR_uname:
      return i == 0 && set(out, kUtsname, written);
    case __NR_sysinfo:
      return i == 0 && set(out, kSysinfo, written);
    case __NR_wait4:
      return i == 1 && set(out, kWaitStatus, written);
    case __NR_prctl:
      if (i == 2) {  // the kernel reads the mode as unsigned long
        return static_cast<uint32_t>(args[0]) == kPrSetSeccomp && args[1] == kSeccompModeFilter &&
               set(out, kSockFprog, in);
      }
      return i == 1 && prctl_payload(args[0], out);
    case __NR_seccomp:
      return i == 2 && seccomp_payload(args[0], out);
    case __NR_capget:
    case __NR_capset: {
      // Both copied when the record is written, after the call: a version
      // capget refused shows as the one the kernel wrote back in its place.
      if (i == 0) return set(out, kCapHeader, in);
      const uint32_t bytes = i == 1 ? cap_data_bytes(args[0]) : 0;
      return bytes != 0 && set(out, bytes, nr == __NR_capget ? written : in);
    }
    case __NR_getitimer:
      return i == 1 && set(out, kItimerval, written);
    case __NR_getrusage:
      return i == 1 && set(out, kRusageTimes, written);
    case __NR_waitid:  // the child's siginfo (zeros: none ready under WNOHANG)
      return i == 2 && set(out, kSiginfoShown, written);
    case __NR_rt_sigqueueinfo:  // the siginfo sent (pidfd_send_signal's may be NULL: none copied)
    case __NR_pidfd_send_signal:
      return i == 2 && set(out, kSiginfoShown, in);
    case __NR_rt_tgsigqueueinfo:
      return i == 3 && set(out, kSiginfoShown, in);
    case __NR_times:
      return i == 0 && set(out, kTms, written);
    case __NR_getresuid:
    case __NR_getresgid:  // [0], [0], [0]
      return i <= 2 && set(out, 4, written);
    case __NR_getcpu:  // the cpu and the node: [1], [0]
      return i <= 1 && ret == 0 && set(out, 4, written);
    case __NR_get_robust_list:  // the list's head, [0x7f...], and its length, [24]
      return (i == 1 || i == 2) && ret == 0 && set(out, 8, written);
    case __NR_mq_notify:
      return i == 1 && set(out, kSigevent, in);
    case __NR_timer_create:  // the event asked for, then the timer's id
      return (i == 1 && set(out, kSigevent, in)) || (i == 2 && set(out, 4, written));
    case __NR_timer_settime:
    case __NR_timerfd_settime:
      return (i == 2 && set(out, kItimerspec, in)) || (i == 3 && set(out, kItimerspec, written));
    case __NR_timer_gettime:
    case __NR_timerfd_gettime:
      return i == 1 && set(out, kItimerspec, written);
    case __NR_setitimer:  // the timer to set, then the one it replaced
      return (i == 1 && set(out, kItimerval, in)) || (i == 2 && set(out, kItimerval, written));
    case __NR_sigaltstack:  // the stack to use, then the one in use before
      return (i == 0 && set(out, kStack, in)) || (i == 1 && set(out, kStack, written));
    case __NR_poll:
    case __NR_ppoll: {
      // Copied after the call: the events asked for, and the revents the kernel wrote.
      const uint64_t nfds = static_cast<uint32_t>(args[1]);
      if (i == 3 && nr == __NR_ppoll) return args[4] == kSigset && set(out, kSigset, in);  // the mask, [CHLD]
      return i == 0 && nfds != 0 && set(out, min32(nfds, kMaxPollfds) * kPollfd, in);
    }
    case __NR_epoll_ctl:
      return i == 3 && (args[1] == kEpollCtlAdd || args[1] == kEpollCtlMod) && set(out, kEpollEvent, in);
    case __NR_epoll_wait:
    case __NR_epoll_pwait:
    case __NR_epoll_pwait2:
      // The mask ([USR1]), and epoll_pwait2's timeout.
      if (i == 4) return nr != __NR_epoll_wait && args[5] == kSigset && set(out, kSigset, in);
      if (i == 3) return nr == __NR_epoll_pwait2 && set(out, kTimespec, in);
      // The events the kernel wrote: ret of them ([] for none).
      return i == 1 && ret >= 0 && set(out, min32(static_cast<uint64_t>(ret), kMaxEpollEvents) * kEpollEvent, written);
    case __NR_signalfd:
    case __NR_signalfd4:  // the set, when its size is the kernel's
      return i == 1 && args[2] == kSigset && set(out, kSigset, in);
    case __NR_sched_getaffinity:
      return i == 2 && ret > 0 && set(out, min32(static_cast<uint64_t>(ret), kMaxCpuMask), written);
    case __NR_getgroups:  // the ret gids it wrote (gid_t: 4 bytes), as many as fit a struct payload
      return i == 1 && ret > 0 && set(out, min32(static_cast<uint64_t>(ret) * 4, trace::kMaxStructBytes), written);
    case __NR_setgroups: {
      const auto count = static_cast<int32_t>(args[0]);
      return i == 1 && count > 0 && set(out, min32(static_cast<uint64_t>(count) * 4, trace::kMaxStructBytes), in);
    }
    case __NR_sched_setaffinity: {
      const uint64_t len = static_cast<uint32_t>(args[1]);
      return i == 2 && len != 0 && set(out, min32(len, kMaxCpuMask), in);
    }
    case __NR_clone:
      // The child's id the kernel stored for the parent (CLONE_PARENT_SETTID,
      // or the pidfd with CLONE_PIDFD): the parent's record only.
      return i == 2 && ret > 0 && (args[0] & (kCloneParentSettid | kClonePidfd)) != 0 && set(out, 4, written);
    case __NR_getsockname:
    case __NR_getpeername:
    case __NR_accept:
    case __NR_accept4:
      return socket_address_out(1, 2, i, args, ret, out);
    case __NR_recvfrom:
      return socket_address_out(4, 5, i, args, ret, out);
    case __NR_sendto: {
      if (i != 4) return false;
      const uint64_t len = static_cast<uint32_t>(args[5]);  // int addr_len
      return len != 0 && len <= kMaxSockaddr && set(out, static_cast<uint32_t>(len), in);
    }
    case __NR_statfs:
    case __NR_fstatfs:
      return i == 1 && set(out, kStatfs, written);
    case __NR_utimensat:
      return i == 2 && set(out, 2 * kTimespec, in);  // atime and mtime
    case __NR_ioctl: {
      // The terminal's: struct termios and struct winsize (trace/termios_format.h).
      if (i != 2) return false;
      switch (static_cast<uint32_t>(args[1])) {
        case kTcgets: return ret >= 0 && set(out, kTermios, written);
        case kTcsets: case kTcsetsw: case kTcsetsf: return set(out, kTermios, in);
        case kTiocgwinsz: return ret >= 0 && set(out, kWinsize, written);
        case kTiocswinsz: return set(out, kWinsize, in);
        case kFionread: case kTiocoutq: case kTiocgpgrp: case kTiocgptn: case kFsIocGetflags:
          return ret >= 0 && set(out, kInt, written);
        case kTiocspgrp: case kTiocsptlck: case kFionbio: case kFioasync: case kFsIocSetflags: return set(out, kInt, in);
        default: return false;
      }
    }
    case __NR_setsockopt: {
      const uint64_t len = static_cast<uint32_t>(args[4]);  // int optlen
      return i == 3 && len != 0 && set(out, min32(len, kMaxSockoptValue), in);
    }
    case __NR_getsockopt: {
      // The value and its length as the kernel wrote them back.
      if (ret < 0 || args[3] == 0 || args[4] == 0) return false;
      if (i == 4) return set(out, 4, written);
      if (i != 3) return false;
      uint32_t len;
      copy_bytes(&len, reinterpret_cast<const void*>(args[4]), 4);
      const uint32_t bytes = min32(len, kMaxSockoptValue);
      return (bytes == 0 || app_probe_read(args[3], bytes)) && set(out, bytes, written);
    }
    case __NR_openat2:  // struct open_how {flags, mode, resolve}; a larger usize's tail is not shown
      return i == 2 && args[3] == kOpenHow && set(out, kOpenHow, in);
    case __NR_clone3:
      // struct clone_args, as far as the size says (88 bytes since Linux 5.7).
      return i == 0 && args[1] >= kCloneArgsV0 && set(out, min32(args[1], kCloneArgs), in);
    case __NR_fcntl: {
      if (i != 2) return false;
      const uint64_t cmd = static_cast<uint32_t>(args[1]);
      if (cmd == kFSetlk || cmd == kFSetlkw || cmd == kFOfdSetlk || cmd == kFOfdSetlkw) return set(out, kFlock, in);
      return (cmd == kFGetlk || cmd == kFOfdGetlk) && set(out, kFlock, written);  // strace shows the answer
    }
    case __NR_connect:
    case __NR_bind: {
      if (i != 1) return false;
      const uint64_t len = static_cast<uint32_t>(args[2]);  // int addrlen
      return len != 0 && len <= kMaxSockaddr && set(out, static_cast<uint32_t>(len), in);
    }
    default:
      return false;
  }
}

}  // namespace sysgate::gate
