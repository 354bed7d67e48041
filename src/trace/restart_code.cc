#include "trace/restart_code.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>

#include <cerrno>

namespace sysgate::trace {
namespace {

constexpr int64_t kErestartSys = 512, kErestartNoHand = 514, kErestartRestartBlock = 516;

// 0: the call returns EINTR itself, or is not known here.
int64_t restart_code(const Record& r) {
  const uint64_t* a = r.args;
  switch (r.nr) {
    // Waits on pipes, terminals, sockets, FIFOs, locks, children.
    case SYS_read: case SYS_write: case SYS_readv: case SYS_writev:
    case SYS_open: case SYS_openat: case SYS_creat:
    case SYS_accept: case SYS_accept4: case SYS_connect: case SYS_recvfrom: case SYS_recvmsg:
    case SYS_sendto: case SYS_sendmsg: case SYS_wait4: case SYS_waitid: case SYS_flock: case SYS_fcntl:
      return kErestartSys;
    case SYS_pause: case SYS_rt_sigsuspend: case SYS_select: case SYS_pselect6: case SYS_ppoll:
      return kErestartNoHand;
    case SYS_nanosleep:
      return kErestartRestartBlock;
    case SYS_clock_nanosleep:  // an absolute time needs no restart block
      return (a[1] & TIMER_ABSTIME) != 0 ? kErestartNoHand : kErestartRestartBlock;
    case SYS_poll:  // with or without a timeout (fs/select.c: has_timeout says which)
      return kErestartRestartBlock;
    case SYS_futex: {
      const uint32_t cmd = static_cast<uint32_t>(a[1]) & FUTEX_CMD_MASK;
      if (cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET) return 0;
      return a[3] != 0 ? kErestartRestartBlock : kErestartSys;
    }
    default:
      return 0;
  }
}

}  // namespace

int64_t shown_result(const Record& r) {
  if ((r.flags & kRecordInterrupted) == 0 || r.ret != -EINTR) return r.ret;
  const int64_t code = restart_code(r);
  return code != 0 ? -code : r.ret;
}

}  // namespace sysgate::trace
